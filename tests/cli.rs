//! The binary as a user runs it: exit codes, formats, redaction, stdin, bad input.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use common::*;
use std::path::Path;

fn env_leak() -> Vec<u8> {
    format!("PORT=8080\nLUSHA_API_KEY={KEY}\n").into_bytes()
}

#[test]
fn exit_codes_follow_findings() {
    let dirty = tree(&[(".env", &env_leak())]);
    let out = run(dirty.path(), &["scan", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout
            .contains(".env:2:15: lusha-api-key [high] 6f1c****-****-****-****-********6c35"),
        "{}",
        out.stdout
    );

    let out = run(dirty.path(), &["scan", "--exit-code", "7", "."]);
    assert_eq!(out.code, 7);

    let clean = tree(&[(
        "a.txt",
        b"request_id=6f1c2a9e-3b7d-4c58-9e21-0d4b8f7a6c35\n",
    )]);
    let out = run(clean.path(), &["scan", "."]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("No secrets found"), "{}", out.stdout);
}

#[test]
fn usage_and_fatal_errors_exit_2_with_one_line() {
    let dir = tree(&[]);
    for args in [
        &["scan", "--min-confidence", "severe", "."][..],
        &["scan", "does-not-exist"][..],
        &["scan", "--bogus"][..],
        &["scan", "--format", "xml", "."][..],
        &["scan", "--rules", "nope.toml", "."][..],
    ] {
        let out = run(dir.path(), args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.all());
        assert_eq!(out.stdout, "", "{args:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.starts_with("lushaguard: error: "),
            "{}",
            out.stderr
        );
    }
    let out = run(dir.path(), &["scan", "does-not-exist"]);
    assert!(
        out.stderr
            .contains("does-not-exist: no such file or directory"),
        "{}",
        out.stderr
    );
}

#[test]
fn json_report_has_the_documented_shape() {
    let dir = tree(&[(".env", &env_leak())]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["tool"]["name"], "lushaguard");
    let f = &v["findings"][0];
    assert_eq!(f["rule_id"], "lusha-api-key");
    assert_eq!(f["path"], ".env");
    assert_eq!(f["line"], 2);
    assert_eq!(f["column"], 15);
    assert_eq!(f["confidence"], "high");
    assert!(f["encoding"].is_null());
    assert_eq!(f["redacted"], "6f1c****-****-****-****-********6c35");
    // fingerprint = sha256 of the lowercase hyphenated key
    // sha256 of the lowercase hyphenated key, computed independently (`printf %s KEY | sha256sum`).
    assert_eq!(
        f["fingerprint"],
        "fd15059280b8a4a1e6d1cbf0d166996bbf3c306c74d87a28fed0eabcf6cb1528"
    );
    assert!(f["reasons"].as_array().unwrap().len() >= 2);
    assert!(f.get("secret").is_none());
    assert_eq!(v["summary"]["findings"], 1);
    assert_eq!(v["summary"]["files_scanned"], 1);
}

#[test]
fn keys_never_appear_unless_asked() {
    let dir = tree(&[
        (".env", &env_leak()),
        ("k8s/secret.yaml", b"kind: Secret\ndata:\n  LUSHA_API_KEY: NmYxYzJhOWUtM2I3ZC00YzU4LTllMjEtMGQ0YjhmN2E2YzM1\n"), // lushaguard:allow (test key)
    ]);
    for format in ["human", "json", "jsonl"] {
        let out = run(dir.path(), &["scan", "--explain", "--format", format, "."]);
        assert_eq!(out.code, 1);
        assert!(
            !out.all().contains(KEY),
            "{format}: key leaked: {}",
            out.all()
        );
        assert!(
            !out.all()
                .contains("NmYxYzJhOWUtM2I3ZC00YzU4LTllMjEtMGQ0YjhmN2E2YzM1"), // lushaguard:allow (test key)
            "{format}: base64 leaked"
        );
    }
    let out = run(
        dir.path(),
        &["scan", "--no-redact", "--format", "json", "."],
    );
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["secret"], KEY);
    let out = run(dir.path(), &["scan", "--no-redact", "."]);
    assert!(out.stdout.contains(KEY));
}

#[test]
fn jsonl_is_one_finding_per_line() {
    let dir = tree(&[
        (".env", &env_leak()),
        ("b/.env", format!("LUSHA_KEY={KEY2}\n").as_bytes()),
    ]);
    let out = run(dir.path(), &["scan", "--format", "jsonl", "."]);
    let lines: Vec<_> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["rule_id"], "lusha-api-key");
    }
}

#[test]
fn output_file_and_stdin() {
    let dir = tree(&[]);
    let out = run_in(
        dir.path(),
        &["scan", "--format", "json", "--output", "r.json", "-"],
        Some(&env_leak()),
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(out.stdout, "");
    let report = std::fs::read_to_string(dir.path().join("r.json")).unwrap();
    assert_eq!(
        findings(&report),
        vec![("<stdin>".to_string(), 2, "high".to_string())]
    );
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(
        v["findings"][0]["provenance"],
        serde_json::json!({"kind": "stdin"})
    );
}

#[test]
fn file_findings_name_their_provenance() {
    let dir = tree(&[("config/.env", format!("LUSHA_API_KEY={KEY}\n").as_bytes())]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["findings"][0]["provenance"],
        serde_json::json!({"kind": "file", "path": "config/.env"})
    );
    assert!(v["findings"][0]["commit"].is_null());
}

#[test]
fn min_confidence_threshold() {
    let dir = tree(&[("notes.md", format!("X-API-Key: {KEY}\n").as_bytes())]);
    assert_eq!(run(dir.path(), &["scan", "."]).code, 0);
    let out = run(
        dir.path(),
        &["scan", "--min-confidence", "low", "--format", "json", "."],
    );
    assert_eq!(out.code, 1);
    assert_eq!(findings(&out.stdout)[0].2, "low");
}

#[test]
fn findings_are_sorted_and_identical_across_thread_counts() {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..60 {
        files.push((
            format!("d{}/f{i}.env", i % 7),
            format!("x=1\nLUSHA_API_KEY={}\n", key_n(i)).into_bytes(),
        ));
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    let dir = tree(&refs);
    let one = run(
        dir.path(),
        &["scan", "--format", "json", "--threads", "1", "."],
    );
    let four = run(
        dir.path(),
        &["scan", "--format", "json", "--threads", "4", "."],
    );
    assert_eq!(one.stdout, four.stdout);
    let human1 = run(dir.path(), &["scan", "--threads", "1", "."]);
    let human4 = run(dir.path(), &["scan", "--threads", "4", "."]);
    assert_eq!(human1.stdout, human4.stdout);
    let paths: Vec<_> = findings(&one.stdout).into_iter().map(|f| f.0).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);
    assert_eq!(paths.len(), 60);
}

/// Distinct random-looking UUID v4s for bulk tests.
fn key_n(i: u32) -> String {
    let h = lushaguard::secret::fingerprint_of(&i.to_string());
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

#[test]
fn hidden_files_are_scanned_ignored_ones_are_not_and_dot_git_never() {
    let dir = tree(&[
        (".env", &env_leak()),
        (".ignore", b"ignored/\n"),
        ("ignored/.env", format!("LUSHA_API_KEY={KEY2}\n").as_bytes()),
        (".git/config", format!("LUSHA_API_KEY={KEY2}\n").as_bytes()),
    ]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    let paths: Vec<_> = findings(&out.stdout).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, vec![".env"]);
    let out = run(
        dir.path(),
        &["scan", "--no-ignore", "--format", "json", "."],
    );
    let paths: Vec<_> = findings(&out.stdout).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, vec![".env", "ignored/.env"]);
}

#[test]
fn utf16_files_with_a_bom_are_decoded() {
    let text = format!("# profile\r\n$env:LUSHA_API_KEY = \"{KEY}\"\r\n");
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let mut be = vec![0xFE, 0xFF];
    be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
    let dir = tree(&[("le.ps1", &le), ("be.ps1", &be)]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 2, "{}", out.stdout);
    assert_eq!(f[0]["path"], "be.ps1");
    assert_eq!(f[0]["encoding"], "utf-16be");
    assert_eq!(f[1]["encoding"], "utf-16le");
    assert_eq!(f[1]["line"], 2);
}

#[test]
fn invalid_utf8_content_and_file_names_are_scanned() {
    let mut content = b"bytes \xff\xfe\xfd garbage \xc3\x28\n".to_vec();
    content.extend(env_leak());
    let dir = tree(&[("ok.env", &content)]);
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"caf\xe9.env");
        std::fs::write(dir.path().join(name), env_leak()).unwrap();
    }
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    let f = findings(&out.stdout);
    assert!(f.iter().any(|x| x.0 == "ok.env" && x.1 == 3), "{f:?}");
    #[cfg(unix)]
    assert!(
        f.iter().any(|x| x.0 == "caf\u{fffd}.env" && x.1 == 2),
        "{f:?}"
    );
}

#[cfg(unix)]
#[test]
fn fifos_are_never_opened_and_symlink_loops_warn() {
    let dir = tree(&[(".env", &env_leak())]);
    let fifo = dir.path().join("pipe");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("sub/up")).unwrap();
    std::os::unix::fs::symlink("missing-target", dir.path().join("dangling")).unwrap();

    let out = run(dir.path(), &["scan", "--follow", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("pipe: not a regular file"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("loop"), "{}", out.stderr);
    assert_eq!(findings(&out.stdout).len(), 1);

    // Named explicitly, a FIFO is still not opened, and the scan is incomplete: it was asked
    // for and could not be scanned.
    let out = run(dir.path(), &["scan", "pipe"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("pipe: named on the command line"),
        "{}",
        out.stderr
    );

    // --quiet silences warnings but not the report.
    let out = run(dir.path(), &["scan", "--follow", "--quiet", "."]);
    assert_eq!(out.stderr, "");
    assert_eq!(out.code, 1);
}

#[test]
fn huge_files_and_huge_lines_are_scanned_in_windows() {
    // ~20 MiB of lines with keys at the start, around the 8 MiB window edge and at the end,
    // and one 18 MiB line with a key in the middle.
    let line = "filler filler filler filler filler filler filler filler filler filler\n";
    let per_window = (8 << 20) / line.len();
    let total = per_window * 2 + per_window / 2;
    let mut big = String::with_capacity(total * line.len() + 200);
    let mut expected = Vec::new();
    for i in 0..total {
        if i == 3 || i == per_window - 1 || i == per_window || i == total - 2 {
            big.push_str(&format!("LUSHA_API_KEY={}\n", key_n(i as u32)));
            expected.push(i as u64 + 1);
        } else {
            big.push_str(line);
        }
    }
    let long_line = format!(
        "{}\"api.lusha.com\",headers:{{api_key:\"{KEY}\"}}{}\n",
        "x".repeat(9 << 20),
        "y".repeat(9 << 20)
    );
    let dir = tree(&[
        ("big.log", big.as_bytes()),
        ("min.js", long_line.as_bytes()),
    ]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    let f = findings(&out.stdout);
    let big_lines: Vec<u64> = f.iter().filter(|x| x.0 == "big.log").map(|x| x.1).collect();
    assert_eq!(big_lines, expected);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let min = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["path"] == "min.js")
        .expect("min.js finding");
    assert_eq!(min["line"], 1);
    assert_eq!(
        min["column"].as_u64().unwrap() as usize,
        long_line.find(KEY).unwrap() + 1
    );
    // Files over a window are searched on several threads: the report is the one a single
    // thread writes, byte for byte.
    for threads in ["1", "3"] {
        let other = run(
            dir.path(),
            &["scan", "--format", "json", "--threads", threads, "."],
        );
        assert_eq!(other.stdout, out.stdout, "--threads {threads}");
    }
}

#[test]
fn custom_rules_from_a_file() {
    let dir = tree(&[
        (
            "acme.toml",
            br#"[[rules]]
id = "acme-token"
description = "Acme internal token"
pattern = 'acme_[a-z0-9]{24}'
keywords = ["acme"]
remediation = "Revoke it in the Acme console."
examples = ['ACME_TOKEN = "acme_q8w7e6r5t4y3u2i1o9p0a8s7"']
non_examples = ['name = "acme_q8w7e6r5t4y3u2i1o9p0a8s7"']
"#,
        ),
        (
            "app/config.py",
            b"ACME_TOKEN = \"acme_k2j4h5g6f7d8s9a0q1w2e3r4\"\n",
        ),
    ]);
    let out = run(
        dir.path(),
        &["scan", "--rules", "acme.toml", "--format", "json", "app"],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["findings"][0]["rule_id"], "acme-token");
    assert!(!out.stdout.contains("acme_k2j4h5g6f7d8s9a0q1w2e3r4"));

    let out = run(dir.path(), &["rules", "test", "--rules", "acme.toml"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("ok    acme-token"), "{}", out.stdout);
    let out = run(dir.path(), &["rules", "list", "--rules", "acme.toml"]);
    assert!(out.stdout.contains("lusha-api-key") && out.stdout.contains("acme-token"));
}

#[test]
fn rules_test_fails_a_rule_without_examples_and_malformed_rules_are_errors() {
    let dir = tree(&[
        (
            "bare.toml",
            b"[[rules]]\nid = \"bare\"\ndescription = \"d\"\npattern = 'bare_[0-9]{8}'\n",
        ),
        (
            "broken.toml",
            b"[[rules]]\nid = \"x\"\ndescription = \"d\"\npattern = 'a'\nseverity = 'extreme'\n",
        ),
    ]);
    let out = run(dir.path(), &["rules", "test", "--rules", "bare.toml"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("FAIL  bare") && out.stdout.contains("no examples"),
        "{}",
        out.stdout
    );
    let out = run(dir.path(), &["rules", "test", "--rules", "broken.toml"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("broken.toml"), "{}", out.stderr);
}

#[test]
fn rules_test_says_why_an_example_failed() {
    // The built-in rule's shape with three examples that cannot pass: a placeholder, a key
    // that nothing ties to Lusha (capped below medium), and a request id (no credential slot).
    let rule = format!(
        r#"[[rules]]
id = "lusha-copy"
description = "d"
pattern = '(?i)[0-9a-f]{{8}}-[0-9a-f]{{4}}-4[0-9a-f]{{3}}-[89ab][0-9a-f]{{3}}-[0-9a-f]{{12}}'
validate = "uuid-v4"
keywords = ["lusha"]
examples = [
  "LUSHA_API_KEY=00000000-0000-4000-8000-000000000000",
  "API_KEY={KEY}",
  "request_id = '{KEY}'",
]
"#
    );
    let dir = tree(&[("copy.toml", rule.as_bytes())]);
    let out = run(dir.path(), &["rules", "test", "--rules", "copy.toml"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let failures: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("example "))
        .collect();
    assert_eq!(failures.len(), 3, "{}", out.stdout);
    assert!(
        failures[0].contains("is a repeated-digit placeholder"),
        "{}",
        failures[0]
    );
    assert!(
        failures[1].contains("it scored") && failures[1].contains("below medium (45 or more)"),
        "{}",
        failures[1]
    );
    assert!(
        failures[2].contains("not reported at any confidence"),
        "{}",
        failures[2]
    );
    assert!(!out.stdout.contains(KEY), "{}", out.stdout);
    assert!(
        out.stdout.ends_with("2 rules, 1 failed\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn builtin_rules_self_test_from_the_cli() {
    let out = run(Path::new("."), &["rules", "test"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("ok    lusha-api-key"));
    // One rule is "1 rule".
    assert!(
        out.stdout.ends_with("\n1 rule, 0 failed\n"),
        "{}",
        out.stdout
    );
    let out = run(Path::new("."), &["rules", "list", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v[0]["id"], "lusha-api-key");
}

#[test]
fn config_file_excludes_and_rejects_unknown_keys() {
    let dir = tree(&[
        (".env", &env_leak()),
        (
            "fixtures/.env",
            format!("LUSHA_API_KEY={KEY2}\n").as_bytes(),
        ),
        (".lushaguard.toml", b"exclude = [\"fixtures/\"]\n"),
    ]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    let paths: Vec<_> = findings(&out.stdout).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, vec![".env"]);
    std::fs::write(
        dir.path().join(".lushaguard.toml"),
        "exclude = []\nthreshold = 3\n",
    )
    .unwrap();
    let out = run(dir.path(), &["scan", "."]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(".lushaguard.toml") && out.stderr.contains("threshold"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_broken_pipe_is_not_an_error() {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..400 {
        files.push((
            format!("f{i}.env"),
            format!("LUSHA_API_KEY={}\n", key_n(i)).into_bytes(),
        ));
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    let dir = tree(&refs);
    // Every format: the JSON-based writers once wrapped the closed pipe in another error kind.
    for (_, format) in formats() {
        let mut child = std::process::Command::new(bin())
            .args(["scan", "--explain", "--format", &format, "."])
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::BufRead;
            let stdout = child.stdout.take().unwrap();
            let mut first = String::new();
            std::io::BufReader::new(stdout)
                .read_line(&mut first)
                .unwrap();
            assert!(!first.is_empty(), "{format}");
            // The reader goes away here, like `| head -n 1`.
        }
        let out = child.wait_with_output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{format}");
        // The findings still decide the exit status: a closed pipe never turns a leak into 0.
        assert_eq!(out.status.code(), Some(1), "{format}");
    }
}

#[test]
fn regression_a_huge_base64_blob_is_scanned_in_linear_time() {
    // 12 MiB of base64 on one line (thousands of anchor images), with an encoded .env at the
    // end; a quadratic scan would not finish within the harness's one-minute limit.
    use base64::Engine;
    let mut noise = Vec::with_capacity(9 << 20);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while noise.len() < 9 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.extend_from_slice(&x.to_le_bytes());
    }
    let blob = base64::engine::general_purpose::STANDARD.encode(&noise);
    let env = base64::engine::general_purpose::STANDARD.encode(format!("LUSHA_API_KEY={KEY}\n"));
    let text = format!("image: {blob}\n.env: {env}\n");
    let dir = tree(&[("secret.yaml", text.as_bytes())]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(
        findings(&out.stdout),
        vec![("secret.yaml".to_string(), 2, "high".to_string())]
    );
}

#[test]
fn one_run_writes_several_reports() {
    let dir = tree(&[(".env", &env_leak())]);
    let out = run(
        dir.path(),
        &[
            "scan",
            "--write",
            "json=r.json",
            "--write",
            "jsonl=r.jsonl",
            ".",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stdout.contains("lusha-api-key [high]"));
    let json = std::fs::read_to_string(dir.path().join("r.json")).unwrap();
    assert_eq!(findings(&json).len(), 1);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("r.jsonl"))
            .unwrap()
            .lines()
            .count(),
        1
    );
    let bad = run(dir.path(), &["scan", "--write", "xml=r.xml", "."]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("not a format"), "{}", bad.stderr);
}

/// A file name is untrusted input: one that holds terminal escapes (`ESC ] 0 ; … BEL` retitles
/// the terminal, `ESC [ 2 J` clears it) is shown with them escaped, in the report and in the
/// warnings on stderr, never raw.
#[cfg(unix)]
#[test]
fn control_characters_in_errors_never_reach_the_terminal() {
    let dir = tree(&[("a.txt", b"x=1\n")]);
    let out = run(
        dir.path(),
        &["rules", "test", "--rules", "\x1b]0;pwned\x07.toml"],
    );
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(!out.stderr.contains('\x1b'), "{:?}", out.stderr);
    assert!(out.stderr.contains("\\x1b]0;pwned"), "{:?}", out.stderr);
}

#[test]
fn control_characters_in_file_names_never_reach_the_terminal() {
    let hostile = "\u{1b}]0;pwned\u{7}\u{1b}[2Jx.env";
    let dir = tree(&[(hostile, &env_leak())]);
    // A dangling symlink followed is a warning that names its path.
    std::os::unix::fs::symlink("gone", dir.path().join("dangling\u{1b}[1A.env")).unwrap();
    for format in ["human", "markdown", "github"] {
        let out = run(dir.path(), &["scan", "--follow", "-f", format, "."]);
        assert_eq!(out.code, 1, "{format}: {}", out.all());
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stderr.contains('\u{1b}'),
            "{format}: raw ESC in {:?}",
            out.all()
        );
        assert!(out.stdout.contains("pwned"), "{format}: {}", out.stdout);
        assert!(
            out.stderr.contains("dangling\\x1b[1A.env"),
            "{format}: {}",
            out.stderr
        );
    }
}
