//! The CI report formats as a user gets them: golden files of each format on `fixtures/leaks`
//! (`UPDATE_SNAPSHOTS=1 cargo test --test formats` regenerates them), validation against the
//! published schemas copied into `tests/schemas/` (SARIF 2.1.0 and GitLab's secret-detection
//! report with the `jsonschema` crate, JUnit against the Ant XSD with `xmllint` when it is
//! installed; `.ci/run` installs it and sets `LUSHAGUARD_REQUIRE_XMLLINT` so CI never skips it),
//! escaping of hostile paths, and the commit and time that GitLab and JUnit reports name.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test
#![allow(clippy::print_stderr)] // notes on skipped checks go to the test log

mod common;

use common::schema::{json_errors as schema_errors, validate_json as validate, validate_junit};
use common::*;
use lushaguard::report::Format;
use serde_json::Value;
use std::path::Path;

/// A format's golden file of `fixtures/leaks` in `tests/snapshots/`. No wildcard: a new format
/// does not compile here until it has one.
fn golden_file(format: Format) -> &'static str {
    match format {
        Format::Human => "leaks.human.txt",
        Format::Json => "leaks.json",
        Format::Jsonl => "leaks.jsonl",
        Format::Sarif => "leaks.sarif.json",
        Format::Github => "leaks.github.txt",
        Format::Gitlab => "leaks.gitlab.json",
        Format::Junit => "leaks.junit.xml",
        Format::Csv => "leaks.csv",
        Format::Markdown => "leaks.md",
    }
}

/// Runs lushaguard as if no git repository held `dir`, so that the formats naming HEAD name
/// none and the golden files do not change with every commit of this repository.
fn run_outside_git(dir: &Path, args: &[&str]) -> Output {
    run_with(
        dir,
        args,
        None,
        &[("GIT_DIR", "/nonexistent/lushaguard-tests")],
    )
}

/// How many findings `fixtures/leaks` holds: one per row of its expected list.
fn planted() -> usize {
    let tsv = std::fs::read_to_string(repo_root().join("fixtures/leaks.expected.tsv")).unwrap();
    tsv.lines().skip(1).filter(|l| !l.trim().is_empty()).count()
}

fn leaks(format: &str) -> Output {
    let out = run_outside_git(
        &repo_root(),
        &[
            "scan",
            "--format",
            format,
            "--threads",
            "2",
            "fixtures/leaks",
        ],
    );
    assert_eq!(out.code, 1, "{format}: {}", out.all());
    assert_eq!(out.stderr, "", "{format}");
    out
}

/// A report of a tree with nothing to find.
fn clean(format: &str) -> Output {
    let dir = tree(&[(
        "a.txt",
        b"request_id=6f1c2a9e-3b7d-4c58-9e21-0d4b8f7a6c35\n",
    )]); // lushaguard:allow (test key)
    let out = run_outside_git(dir.path(), &["scan", "--format", format, "."]);
    assert_eq!(out.code, 0, "{format}: {}", out.all());
    out
}

#[test]
fn format_snapshots() {
    for (format, name) in formats() {
        // `fixtures.rs` keeps these two: the human report with --explain, JSON whole.
        if matches!(format, Format::Human | Format::Json) {
            continue;
        }
        snapshot(golden_file(format), &leaks(&name).stdout);
    }
}

#[test]
fn formats_are_identical_across_thread_counts() {
    for (_, format) in formats() {
        let format = format.as_str();
        let one = run_outside_git(
            &repo_root(),
            &["scan", "--format", format, "--threads", "1", "fixtures"],
        );
        let four = run_outside_git(
            &repo_root(),
            &["scan", "--format", format, "--threads", "4", "fixtures"],
        );
        assert_eq!(one.code, 1);
        assert_eq!(one.stdout, four.stdout, "{format}");
    }
}

#[test]
fn sarif_is_valid_and_fit_for_github_code_scanning() {
    let sarif: Value = serde_json::from_str(&leaks("sarif").stdout).unwrap();
    validate("sarif-2.1.0.json", &sarif);
    let json: Value = serde_json::from_str(&leaks("json").stdout).unwrap();

    let run = &sarif["runs"][0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "lushaguard");
    assert!(driver["semanticVersion"].is_string());
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let rule = &driver["rules"][0];
    assert_eq!(rule["id"], "lusha-api-key");
    assert_eq!(rule["properties"]["security-severity"], "8.9");
    assert!(rule["properties"]["tags"]
        .as_array()
        .unwrap()
        .contains(&Value::from("security")));
    assert!(rule["help"]["text"].as_str().unwrap().contains("Rotate"));
    assert!(rule["help"]["markdown"].is_string());
    assert!(rule["fullDescription"]["text"].is_string());

    let results = run["results"].as_array().unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    for (r, f) in results.iter().zip(findings) {
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], f["path"]);
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(loc["region"]["startLine"], f["line"]);
        assert_eq!(loc["region"]["startColumn"], f["column"]);
        assert_eq!(loc["region"]["endLine"], f["line"]);
        assert_eq!(loc["region"]["endColumn"], f["end_column"]);
        assert!(loc["region"].get("snippet").is_none());
        assert_eq!(r["partialFingerprints"]["lushaguard/v1"], f["fingerprint"]);
        assert_eq!(r["properties"]["confidence"], f["confidence"]);
        assert_eq!(r["properties"]["encoding"], f["encoding"]);
        let level = match f["confidence"].as_str().unwrap() {
            "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], level);
        assert!(r["message"]["text"]
            .as_str()
            .unwrap()
            .contains(f["redacted"].as_str().unwrap()));
    }
    assert!(!leaks("sarif").stdout.contains("snippet"));

    let empty: Value = serde_json::from_str(&clean("sarif").stdout).unwrap();
    validate("sarif-2.1.0.json", &empty);
    assert_eq!(empty["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn the_schemas_do_reject_broken_reports() {
    let mut sarif: Value = serde_json::from_str(&leaks("sarif").stdout).unwrap();
    sarif["runs"][0]["results"][0]["level"] = "fatal".into();
    sarif["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert_eq!(schema_errors("sarif-2.1.0.json", &sarif).len(), 2);
    let mut gitlab: Value = serde_json::from_str(&leaks("gitlab").stdout).unwrap();
    gitlab["vulnerabilities"][0]["severity"] = "Severe".into();
    gitlab["scan"]["start_time"] = "2024-01-01 00:00".into();
    assert_eq!(
        schema_errors("gitlab-secret-detection-report.json", &gitlab).len(),
        2
    );
}

#[test]
fn gitlab_report_is_valid_outside_git() {
    let report: Value = serde_json::from_str(&leaks("gitlab").stdout).unwrap();
    validate("gitlab-secret-detection-report.json", &report);
    assert_eq!(report["version"], "15.2.1");
    assert_eq!(report["scan"]["type"], "secret_detection");
    assert_eq!(report["scan"]["start_time"], "1970-01-01T00:00:00");
    let vulns = report["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), planted());
    let ids: std::collections::BTreeSet<&str> =
        vulns.iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), vulns.len(), "ids are unique");
    for v in vulns {
        assert_eq!(v["category"], "secret_detection");
        assert_eq!(v["location"]["commit"]["sha"], "0".repeat(40));
        assert!(["High", "Medium"].contains(&v["severity"].as_str().unwrap()));
    }
    let empty: Value = serde_json::from_str(&clean("gitlab").stdout).unwrap();
    validate("gitlab-secret-detection-report.json", &empty);
}

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "core.hooksPath=/dev/null",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "A U Thor")
        .env("GIT_AUTHOR_EMAIL", "author@example.com")
        .env("GIT_COMMITTER_NAME", "C O Mitter")
        .env("GIT_COMMITTER_EMAIL", "committer@example.com")
        .env("GIT_AUTHOR_DATE", "1600000000 +0200")
        .env("GIT_COMMITTER_DATE", "1700000000 -0500")
        .output()
        .ok()?;
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap().trim().to_string())
}

#[test]
fn gitlab_and_junit_name_the_head_commit_and_its_date() {
    let dir = tree(&[(".env", format!("LUSHA_API_KEY={KEY}\n").as_bytes())]);
    if git(dir.path(), &["init", "-q"]).is_none() {
        eprintln!("note: git not found; HEAD commit test skipped");
        return;
    }
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "leak"]);
    let head = git(dir.path(), &["rev-parse", "HEAD"]).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    for cwd in [dir.path().to_path_buf(), dir.path().join("sub")] {
        let out = run(
            &cwd,
            &["scan", "--format", "gitlab", dir.path().to_str().unwrap()],
        );
        assert_eq!(out.code, 1, "{}", out.all());
        let report: Value = serde_json::from_str(&out.stdout).unwrap();
        validate("gitlab-secret-detection-report.json", &report);
        let v = &report["vulnerabilities"][0];
        assert_eq!(v["location"]["commit"]["sha"], head.as_str());
        // 1700000000 is 2023-11-14T22:13:20 UTC, whatever the committer's zone.
        assert_eq!(report["scan"]["start_time"], "2023-11-14T22:13:20");
        assert_eq!(report["scan"]["end_time"], "2023-11-14T22:13:20");
    }
    let out = run(dir.path(), &["scan", "--format", "junit", "."]);
    assert!(
        out.stdout.contains("timestamp=\"2023-11-14T22:13:20\""),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains(&head));
    validate_junit(&out.stdout);
}

#[test]
fn junit_is_valid_against_the_ant_schema() {
    let out = leaks("junit");
    assert_eq!(out.stdout.matches("<testcase ").count(), planted());
    assert_eq!(out.stdout.matches("<failure ").count(), planted());
    validate_junit(&out.stdout);
    let empty = clean("junit").stdout;
    assert_eq!(empty.matches("<testcase ").count(), 1);
    assert!(!empty.contains("<failure"));
    validate_junit(&empty);
}

/// A path with every character the formats must escape.
const HOSTILE: &str = "we,ird:dir/100%|x`_[y]\"q.env";

fn hostile(format: &str) -> String {
    let dir = tree(&[(HOSTILE, format!("x=1\nLUSHA_API_KEY={KEY}\n").as_bytes())]);
    let out = run_outside_git(dir.path(), &["scan", "--format", format, "."]);
    assert_eq!(out.code, 1, "{format}: {}", out.all());
    assert!(!out.stdout.contains(KEY), "{format} shows the key");
    out.stdout
}

#[test]
fn hostile_paths_are_escaped_in_every_format() {
    let github = hostile("github");
    assert!(
        github.starts_with(
            "::error file=we%2Cird%3Adir/100%25|x`_[y]\"q.env,line=2,col=15,endColumn=51,\
             title=Lusha API key (high confidence)::Lusha API key 6f1c****-****-****-****-********6c35 \
             (high confidence). Rotate the key now"
        ),
        "{github}"
    );
    assert_eq!(github.lines().count(), 2, "{github}");

    let sarif: Value = serde_json::from_str(&hostile("sarif")).unwrap();
    validate("sarif-2.1.0.json", &sarif);
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"],
        "we,ird%3Adir/100%25%7Cx%60_%5By%5D%22q.env"
    );

    let gitlab: Value = serde_json::from_str(&hostile("gitlab")).unwrap();
    validate("gitlab-secret-detection-report.json", &gitlab);
    assert_eq!(gitlab["vulnerabilities"][0]["location"]["file"], HOSTILE);

    let csv = hostile("csv");
    assert_eq!(
        csv.split("\r\n").nth(1).unwrap(),
        "lusha-api-key,\"we,ird:dir/100%|x`_[y]\"\"q.env\",2,15,51,high,80,,\
         6f1c****-****-****-****-********6c35,\
         fd15059280b8a4a1e6d1cbf0d166996bbf3c306c74d87a28fed0eabcf6cb1528,,"
    );

    let markdown = hostile("markdown");
    assert!(
        markdown.contains(
            "| we,ird:dir/100%\\|x\\`\\_\\[y\\]\"q.env:2 | lusha-api-key | high | \
             `6f1c****-****-****-****-********6c35` |  |  |"
        ),
        "{markdown}"
    );

    let junit = hostile("junit");
    assert!(
        junit.contains("classname=\"we,ird:dir/100%|x`_[y]&quot;q.env\""),
        "{junit}"
    );
    validate_junit(&junit);
}

#[test]
fn empty_reports_say_so() {
    assert_eq!(
        clean("csv").stdout,
        "rule_id,path,line,column,end_column,confidence,score,encoding,redacted,fingerprint,\
         commit,verification\r\n"
    );
    let md = clean("markdown").stdout;
    assert!(md.contains("No Lusha API keys found"), "{md}");
    assert!(!md.contains("| location |"));
    let github = clean("github").stdout;
    assert!(!github.contains("::"), "{github}");
    assert!(github.contains("no Lusha API keys found"), "{github}");
}

#[test]
fn no_redact_shows_keys_in_messages_but_never_in_source_extracts() {
    let dir = tree(&[(".env", format!("LUSHA_API_KEY={KEY}\n").as_bytes())]);
    let args = |f| ["scan", "--no-redact", "--format", f, "."];
    let sarif = run_outside_git(dir.path(), &args("sarif")).stdout;
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let result = &v["runs"][0]["results"][0];
    assert!(result["message"]["text"].as_str().unwrap().contains(KEY));
    assert!(!sarif.contains("snippet"));

    let gitlab = run_outside_git(dir.path(), &args("gitlab")).stdout;
    let v: Value = serde_json::from_str(&gitlab).unwrap();
    let vuln = &v["vulnerabilities"][0];
    assert!(!vuln["raw_source_code_extract"]
        .as_str()
        .unwrap()
        .contains(KEY));
    assert_eq!(vuln["details"]["key"]["value"], KEY);

    let csv = run_outside_git(dir.path(), &args("csv")).stdout;
    let rows: Vec<&str> = csv.split("\r\n").collect();
    assert!(rows[0].ends_with(",verification,secret"), "{csv}");
    assert!(rows[1].ends_with(&format!(",{KEY}")), "{csv}");
    for (_, format) in formats() {
        assert!(
            run_outside_git(
                dir.path(),
                &["scan", "--no-redact", "--format", &format, "."]
            )
            .stdout
            .contains(KEY),
            "{format}"
        );
    }
}

/// A history whose one blob is gone: the scan cannot be complete, and every report says so.
#[test]
fn an_incomplete_scan_exits_2_and_every_report_says_what_was_not_scanned() {
    let dir = tree(&[("app.env", b"PORT=8080\n")]);
    if git(dir.path(), &["init", "-q"]).is_none() {
        eprintln!("note: git not found; incomplete-scan test skipped");
        return;
    }
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "settings"]);
    let blob = git(dir.path(), &["rev-parse", "HEAD:app.env"]).unwrap();
    std::fs::remove_file(
        dir.path()
            .join(".git/objects")
            .join(&blob[..2])
            .join(&blob[2..]),
    )
    .unwrap();

    let json = run(dir.path(), &["git", "--format", "json", "."]);
    assert_eq!(json.code, 2, "{}", json.all());
    assert!(json.stderr.contains(&blob), "{}", json.stderr);
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["summary"]["incomplete"], 1);
    assert_eq!(report["incomplete"][0]["kind"], "object");
    assert!(report["incomplete"][0]["what"]
        .as_str()
        .unwrap()
        .contains(&blob));

    let sarif = run(dir.path(), &["git", "--format", "sarif", "."]);
    assert_eq!(sarif.code, 2);
    let log: Value = serde_json::from_str(&sarif.stdout).unwrap();
    validate("sarif-2.1.0.json", &log);
    let invocation = &log["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    assert_eq!(
        invocation["toolExecutionNotifications"][0]["level"],
        "error"
    );

    let gitlab = run(dir.path(), &["git", "--format", "gitlab", "."]);
    let doc: Value = serde_json::from_str(&gitlab.stdout).unwrap();
    validate("gitlab-secret-detection-report.json", &doc);
    assert_eq!(doc["scan"]["status"], "failure");

    let junit = run(dir.path(), &["git", "--format", "junit", "."]);
    assert!(junit.stdout.contains("errors=\"1\""), "{}", junit.stdout);
    validate_junit(&junit.stdout);

    // Every format: exit 2 and the object named on stderr, and in the report itself except in
    // CSV, which has rows of findings only.
    for (format, name) in formats() {
        let out = run(dir.path(), &["git", "--format", &name, "."]);
        assert_eq!(out.code, 2, "{name}");
        assert!(out.stderr.contains(&blob), "{name}: {}", out.stderr);
        if format != Format::Csv {
            assert!(out.stdout.contains(&blob), "{name}: {}", out.stdout);
        }
        if matches!(format, Format::Human | Format::Markdown | Format::Github) {
            assert!(out.stdout.contains("INCOMPLETE"), "{name}: {}", out.stdout);
        }
    }
}
