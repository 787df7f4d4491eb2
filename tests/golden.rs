//! Golden files of the findings the `fixtures/leaks` snapshots do not hold: a history finding
//! (commit, author, date, no longer in HEAD) and a verified live key (the API answered by a
//! real HTTP server on 127.0.0.1), in every format, each validated against its schema like the
//! rest. `UPDATE_SNAPSHOTS=1 cargo test --test golden` regenerates them.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use clap::ValueEnum;
use common::http::{serve, Reply};
use common::schema::{validate_json, validate_junit};
use common::*;
use lushaguard::report::Format;
use serde_json::Value;
use std::path::Path;

const ACCOUNT: &str = r#"{"plan":"Premium","credits":{"total":1200,"used":388,"remaining":812}}"#;

/// Every format by its command-line name.
fn formats() -> Vec<(Format, String)> {
    Format::value_variants()
        .iter()
        .map(|f| (*f, f.to_possible_value().unwrap().get_name().to_string()))
        .collect()
}

/// Checks a report against its format's schema, when the format has one.
fn validate(format: Format, text: &str) {
    match format {
        Format::Sarif => validate_json("sarif-2.1.0.json", &serde_json::from_str(text).unwrap()),
        Format::Gitlab => validate_json(
            "gitlab-secret-detection-report.json",
            &serde_json::from_str(text).unwrap(),
        ),
        Format::Junit => validate_junit(text),
        Format::Json => {
            let _: Value = serde_json::from_str(text).unwrap();
        }
        _ => {}
    }
}

/// git with a fixed identity and clock, so that commit ids and dates are the same every run.
fn git(dir: &Path, date: &str, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args(["-c", "commit.gpgsign=false", "-c", "core.autocrlf=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A key committed, then removed: it is only in history.
fn history_repo() -> tempfile::TempDir {
    let dir = tree(&[("README.md", b"# sync\n")]);
    let d = dir.path();
    git(
        d,
        "2024-03-01T12:00:00+01:00",
        &["init", "-q", "-b", "main"],
    );
    git(d, "2024-03-01T12:00:00+01:00", &["add", "README.md"]);
    git(
        d,
        "2024-03-01T12:00:00+01:00",
        &["commit", "-q", "-m", "Start"],
    );
    std::fs::write(d.join(".env"), format!("LUSHA_API_KEY={KEY}\n")).unwrap();
    git(d, "2024-03-02T09:30:00+01:00", &["add", ".env"]);
    git(
        d,
        "2024-03-02T09:30:00+01:00",
        &["commit", "-q", "-m", "Add the sync settings"],
    );
    git(d, "2024-03-03T17:45:00+01:00", &["rm", "-q", ".env"]);
    git(
        d,
        "2024-03-03T17:45:00+01:00",
        &["commit", "-q", "-m", "Remove the settings"],
    );
    dir
}

#[test]
fn history_finding_snapshots() {
    let dir = history_repo();
    for (format, name) in formats() {
        let out = run(
            dir.path(),
            &["git", "--format", &name, "--threads", "2", "."],
        );
        assert_eq!(out.code, 1, "{name}: {}", out.all());
        assert!(!out.stdout.contains(KEY), "{name} shows the key");
        validate(format, &out.stdout);
        snapshot(&format!("history.{name}"), &out.stdout);
    }
    let v: Value =
        serde_json::from_str(&run(dir.path(), &["git", "--format", "json", "."]).stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["provenance"]["kind"], "commit");
    assert_eq!(f["provenance"]["commit"], f["commit"]);
    assert_eq!(f["commit"]["summary"], "Add the sync settings");
    assert_eq!(f["present_in_head"], false);
}

#[test]
fn verified_finding_snapshots() {
    let server = serve(|_, _| Reply::json(200, ACCOUNT));
    let dir = leak_tree();
    let url = server.url();
    for (format, name) in formats() {
        let out = run_with(
            dir.path(),
            &[
                "scan",
                "--format",
                &name,
                "--verify",
                "--verify-url",
                &url,
                ".",
            ],
            None,
            &[("GIT_DIR", "/nonexistent/lushaguard-tests")],
        );
        assert_eq!(out.code, 1, "{name}: {}", out.all());
        assert!(!out.stdout.contains(KEY), "{name} shows the key");
        // The server's port changes from run to run.
        let stdout = out.stdout.replace(&url, "http://127.0.0.1:PORT");
        validate(format, &stdout);
        snapshot(&format!("verified.{name}"), &stdout);
    }
    // One key, one request, whatever the number of reports.
    assert_eq!(server.requests().len(), formats().len());
}
