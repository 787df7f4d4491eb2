//! Suppression as a user meets it: adopting lushaguard on a repository with old leaks through a
//! baseline, `.lushaguardignore` and `--ignore-file`, allowed values in `.lushaguard.toml`, the
//! counts in the summary, and the one-line errors for every malformed input, none of which
//! repeats a key.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use common::*;
use serde_json::Value;

/// sha256 of `KEY` and `KEY2` (`printf %s KEY | sha256sum`).
const FP: &str = "fd15059280b8a4a1e6d1cbf0d166996bbf3c306c74d87a28fed0eabcf6cb1528";

fn fp2() -> String {
    lushaguard::secret::fingerprint_of(KEY2)
}

fn leak(key: &str) -> Vec<u8> {
    format!("PORT=8080\nLUSHA_API_KEY={key}\n").into_bytes()
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|_| panic!("not JSON: {}", out.all()))
}

fn paths(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

fn one_line_error(out: &Output) -> &str {
    assert_eq!(out.code, 2, "{}", out.all());
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("lushaguard: error: "),
        "{}",
        out.stderr
    );
    &out.stderr
}

#[test]
fn a_baseline_hides_old_leaks_and_new_ones_still_fail() {
    let dir = tree(&[("old/.env", &leak(KEY)), ("old/copy.env", &leak(KEY))]);
    // Adopt: record what is there today.
    let out = run(
        dir.path(),
        &[
            "scan",
            "--format",
            "json",
            "-o",
            "lushaguard-baseline.json",
            ".",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    let baseline = std::fs::read_to_string(dir.path().join("lushaguard-baseline.json")).unwrap();
    assert!(!baseline.contains(KEY));

    // CI with the baseline passes...
    let ci = || {
        run(
            dir.path(),
            &[
                "scan",
                "--baseline",
                "lushaguard-baseline.json",
                "--format",
                "json",
                ".",
            ],
        )
    };
    let out = ci();
    assert_eq!(out.code, 0, "{}", out.all());
    let v = json(&out);
    assert_eq!(v["summary"]["findings"], 0);
    assert_eq!(v["summary"]["suppressed"]["baseline"], 2);

    // ...until someone adds a new key, or the old key in a new place.
    std::fs::write(dir.path().join("new.env"), leak(KEY2)).unwrap();
    std::fs::write(dir.path().join("old/moved.env"), leak(KEY)).unwrap();
    let out = ci();
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json(&out);
    assert_eq!(paths(&v), ["new.env", "old/moved.env"]);
    assert_eq!(v["summary"]["suppressed"]["baseline"], 2);

    // The human summary says what was hidden.
    let out = run(
        dir.path(),
        &["scan", "--baseline", "lushaguard-baseline.json", "."],
    );
    assert!(
        out.stdout
            .contains("2 suppressed (2 baseline, 0 ignore file, 0 inline, 0 config)."),
        "{}",
        out.stdout
    );
}

#[test]
fn a_baseline_made_with_no_redact_is_used_by_fingerprint_only() {
    let dir = tree(&[(".env", &leak(KEY))]);
    let out = run(
        dir.path(),
        &[
            "scan",
            "--no-redact",
            "--format",
            "json",
            "-o",
            "b.json",
            ".",
        ],
    );
    assert_eq!(out.code, 1);
    assert!(std::fs::read_to_string(dir.path().join("b.json"))
        .unwrap()
        .contains(KEY));
    let out = run(
        dir.path(),
        &["scan", "--baseline", "b.json", "--exclude", "b.json", "."],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stderr.contains("b.json: the baseline holds full keys"),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains(KEY));
}

#[test]
fn bad_baselines_are_one_line_errors_that_repeat_nothing() {
    let dir = tree(&[
        (".env", &leak(KEY)),
        (
            "not-json.json",
            format!("{{\"findings\": [{KEY}").as_bytes(),
        ),
        ("sarif.json", b"{\"version\": \"2.1.0\", \"runs\": []}"),
        (
            "key-as-fingerprint.json",
            format!("{{\"findings\": [{{\"fingerprint\": \"{KEY}\", \"path\": \".env\"}}]}}")
                .as_bytes(),
        ),
        (
            "no-path.json",
            format!("{{\"findings\": [{{\"fingerprint\": \"{FP}\"}}]}}").as_bytes(),
        ),
    ]);
    let cases = [
        ("missing.json", "missing.json: cannot read the baseline"),
        (
            "not-json.json",
            "not-json.json: not a lushaguard JSON report",
        ),
        ("sarif.json", "no `findings` array"),
        (
            "key-as-fingerprint.json",
            "finding 0 has no 64-digit hex `fingerprint`",
        ),
        ("no-path.json", "finding 0 has no `path`"),
    ];
    for (file, expected) in cases {
        let out = run(dir.path(), &["scan", "--baseline", file, "."]);
        let err = one_line_error(&out);
        assert!(err.contains(expected), "{file}: {err}");
        assert!(!err.contains(KEY), "{file}: {err}");
    }
}

#[test]
fn the_ignore_file_lists_fingerprints_alone_or_with_a_path() {
    let dir = tree(&[
        ("a/.env", &leak(KEY)),
        ("b/.env", &leak(KEY)),
        ("c/.env", &leak(KEY2)),
        (
            ".lushaguardignore",
            format!("# reviewed: test fixtures\n\n{FP}:a/.env\n  {}  \n", fp2()).as_bytes(),
        ),
    ]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    let v = json(&out);
    assert_eq!(paths(&v), ["b/.env"]);
    assert_eq!(v["summary"]["suppressed"]["ignore_file"], 2);

    // Paths are relative to the ignore file, wherever the scan is run from.
    let out = run(&dir.path().join("a"), &["scan", "--format", "json", ".."]);
    let v = json(&out);
    assert_eq!(paths(&v), ["../b/.env"]);

    // --ignore-file replaces the default file.
    std::fs::write(dir.path().join("other-ignore"), format!("{FP}\n")).unwrap();
    let out = run(
        dir.path(),
        &[
            "scan",
            "--ignore-file",
            "other-ignore",
            "--format",
            "json",
            ".",
        ],
    );
    let v = json(&out);
    assert_eq!(paths(&v), ["c/.env"]);
    assert_eq!(v["summary"]["suppressed"]["ignore_file"], 2);

    // So does `ignore_file` in the config, and the flag overrides the config.
    std::fs::write(
        dir.path().join(".lushaguard.toml"),
        "ignore_file = \"other-ignore\"\n",
    )
    .unwrap();
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(paths(&json(&out)), ["c/.env"]);
    let out = run(
        dir.path(),
        &[
            "scan",
            "--ignore-file",
            ".lushaguardignore",
            "--format",
            "json",
            ".",
        ],
    );
    assert_eq!(paths(&json(&out)), ["b/.env"]);
}

#[test]
fn ignore_file_errors_name_the_file_and_line() {
    let dir = tree(&[
        (".env", &leak(KEY)),
        (
            ".lushaguardignore",
            format!("{FP}\n# a key, not its fingerprint:\n{KEY}\n").as_bytes(),
        ),
    ]);
    let out = run(dir.path(), &["scan", "."]);
    let err = one_line_error(&out);
    assert!(
        err.contains(".lushaguardignore:3: expected a 64-digit hex fingerprint"),
        "{err}"
    );
    assert!(!err.contains(KEY), "{err}");

    let out = run(dir.path(), &["scan", "--ignore-file", "nope", "."]);
    assert!(one_line_error(&out).contains("nope: cannot read the ignore file"));
}

#[test]
fn allowed_values_in_the_config_by_key_or_fingerprint() {
    let demo = "B2E47D10-8C3F-4A96-A5D7-19E0C6F3B842"; // KEY2 in capitals lushaguard:allow (test key)
    let dir = tree(&[
        ("a.env", &leak(KEY)),
        ("b.env", &leak(KEY2)),
        ("c.env", &leak(&KEY2.to_uppercase())),
        ("d.env", b"x=1\n"),
    ]);
    std::fs::write(
        dir.path().join(".lushaguard.toml"),
        format!("allow = [\"{demo}\"]\n"),
    )
    .unwrap();
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    let v = json(&out);
    assert_eq!(paths(&v), ["a.env"]);
    assert_eq!(v["summary"]["suppressed"]["config"], 2);

    std::fs::write(
        dir.path().join(".lushaguard.toml"),
        format!("allow = [\"{FP}\"]\n"),
    )
    .unwrap();
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    let v = json(&out);
    assert_eq!(paths(&v), ["b.env", "c.env"]);
    assert_eq!(v["summary"]["suppressed"]["config"], 1);
}

#[test]
fn bad_config_values_name_the_key_and_file_without_repeating_the_value() {
    let dir = tree(&[(".env", &leak(KEY))]);
    // TOML errors keep the parser's layout (the line, a caret, the message) with the value
    // masked; the others are one line.
    let masked = "*".repeat(KEY.len());
    let cases = [
        (
            format!("allow = \"{KEY}\"\n"),
            vec![
                "TOML parse error at line 1, column 9".to_string(),
                format!("1 | allow = \"{masked}\""),
                "invalid type: string, expected a sequence".to_string(),
            ],
        ),
        (
            // Unquoted, the key is not even a string: still never echoed.
            format!("allow = [{KEY}]\n"),
            vec!["TOML parse error at line 1".to_string()],
        ),
        (
            "allow = [\n  \"x\",\n  3,\n]\n".to_string(),
            vec![
                "TOML parse error at line 3, column 3".to_string(),
                "3 |   *,".to_string(),
                "invalid type: integer".to_string(),
                "in `allow`".to_string(),
            ],
        ),
        (
            "ignore_file = 3\n".to_string(),
            vec![
                "1 | ignore_file = *".to_string(),
                "invalid type: integer".to_string(),
            ],
        ),
        (
            "baselines = \"b.json\"\n".to_string(),
            vec!["unknown field `baselines`".to_string()],
        ),
    ];
    for (config, expected) in cases {
        std::fs::write(dir.path().join(".lushaguard.toml"), &config).unwrap();
        let out = run(dir.path(), &["scan", "."]);
        assert_eq!(out.code, 2, "{}", out.all());
        assert_eq!(out.stdout, "");
        let err = &out.stderr;
        assert!(
            err.starts_with("lushaguard: error: .lushaguard.toml: TOML parse error at line "),
            "{err}"
        );
        assert!(err.lines().count() >= 4, "{config}: {err}");
        for line in expected {
            assert!(err.contains(&line), "{config}: no `{line}` in\n{err}");
        }
        for part in KEY.split('-') {
            assert!(!err.contains(part), "{err}");
        }
    }
    std::fs::write(dir.path().join(".lushaguard.toml"), "allow = [\"\"]\n").unwrap();
    let out = run(dir.path(), &["scan", "."]);
    assert!(one_line_error(&out).contains("allow[0]: empty value"));
}

#[test]
fn every_kind_of_suppression_is_counted_once() {
    let dir = tree(&[
        (
            "inline.env",
            format!("LUSHA_API_KEY={KEY} # lushaguard:allow\n").as_bytes(),
        ),
        ("config.env", &leak(KEY2)),
        ("ignored.env", &leak(KEY)),
        ("both.env", &leak(KEY)),
        (
            ".lushaguard.toml",
            format!("allow = [\"{}\"]\n", fp2()).as_bytes(),
        ),
        (".lushaguardignore", format!("{FP}\n").as_bytes()),
    ]);
    // both.env is in the ignore file and the baseline: counted under the ignore file only.
    std::fs::write(
        dir.path().join("base.json"),
        format!("{{\"findings\": [{{\"fingerprint\": \"{FP}\", \"path\": \"both.env\"}}]}}"),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &["scan", "--baseline", "base.json", "--format", "json", "."],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    let s = &json(&out)["summary"]["suppressed"];
    assert_eq!(
        (
            &s["inline"],
            &s["config"],
            &s["ignore_file"],
            &s["baseline"]
        ),
        (&1.into(), &1.into(), &2.into(), &0.into())
    );
    for format in ["human", "markdown"] {
        let out = run(dir.path(), &["scan", "--format", format, "."]);
        assert!(
            out.stdout
                .contains("4 suppressed (0 baseline, 2 ignore file, 1 inline, 1 config)."),
            "{format}: {}",
            out.stdout
        );
    }
}
