//! The bundled fixtures: `fixtures/leaks/` must yield exactly the planted keys listed in
//! `fixtures/leaks.expected.tsv` (no decoy, no miss), `fixtures/clean/` must yield nothing, and the
//! human and JSON reports of the leaks match their golden files in `tests/snapshots/`
//! (regenerate with `UPDATE_SNAPSHOTS=1 cargo test --test fixtures`).

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use common::*;
use std::collections::BTreeSet;

fn expected() -> BTreeSet<(String, u64, String)> {
    let tsv = std::fs::read_to_string(repo_root().join("fixtures/leaks.expected.tsv")).unwrap();
    tsv.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (
                format!("fixtures/leaks/{}", cols[0]),
                cols[1].parse().unwrap(),
                cols[2].to_string(),
            )
        })
        .collect()
}

fn scan_json(args: &[&str]) -> serde_json::Value {
    let out = run(&repo_root(), args);
    assert!(out.code == 0 || out.code == 1, "{}", out.all());
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn leaks_yield_exactly_the_planted_keys() {
    let report = scan_json(&[
        "scan",
        "--format",
        "json",
        "--threads",
        "2",
        "fixtures/leaks",
    ]);
    let found: BTreeSet<(String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let enc = f["encoding"].as_str().unwrap_or("-").to_string();
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                enc,
            )
        })
        .collect();
    let expected = expected();
    let missed: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(&expected).collect();
    assert!(
        missed.is_empty() && extra.is_empty(),
        "missed {missed:#?}\nextra {extra:#?}"
    );
    assert!(expected.len() >= 40);
}

#[test]
fn clean_trees_yield_nothing() {
    // A missing tree is a failure, not a pass: this test exists to hold the detector to it.
    let clean = repo_root().join("fixtures/clean");
    assert!(clean.is_dir(), "{} is missing", clean.display());
    let report = scan_json(&["scan", "--format", "json", "fixtures/clean"]);
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        0,
        "{report:#}"
    );
    assert!(report["summary"]["files_scanned"].as_u64().unwrap() >= 30);
}

#[test]
fn human_report_snapshot() {
    let out = run(&repo_root(), &["scan", "--explain", "fixtures/leaks"]);
    assert_eq!(out.code, 1);
    snapshot(
        "leaks.human.txt",
        &format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            out.code, out.stdout, out.stderr
        ),
    );
}

#[test]
fn json_report_snapshot() {
    let out = run(
        &repo_root(),
        &[
            "scan",
            "--format",
            "json",
            "--threads",
            "3",
            "fixtures/leaks",
        ],
    );
    assert_eq!(out.code, 1);
    snapshot("leaks.json", &out.stdout);
}

#[test]
fn reports_are_identical_across_thread_counts() {
    let one = run(
        &repo_root(),
        &["scan", "--format", "json", "--threads", "1", "fixtures"],
    );
    let four = run(
        &repo_root(),
        &["scan", "--format", "json", "--threads", "4", "fixtures"],
    );
    assert_eq!(one.code, 1);
    assert_eq!(one.stdout, four.stdout);
    assert_eq!(one.stderr, four.stderr);
}

#[test]
fn no_planted_key_appears_in_any_report() {
    let keys: Vec<String> = {
        let re = regex::Regex::new(
            r"(?i)[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
        )
        .unwrap();
        let tsv = std::fs::read_to_string(repo_root().join("fixtures/leaks.expected.tsv")).unwrap();
        let mut keys = Vec::new();
        for line in tsv.lines().skip(1) {
            let path = repo_root()
                .join("fixtures/leaks")
                .join(line.split('\t').next().unwrap());
            let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
            keys.extend(re.find_iter(&text).map(|m| m.as_str().to_ascii_lowercase()));
        }
        keys
    };
    assert!(keys.len() >= 30);
    for (_, format) in formats() {
        let format = format.as_str();
        let out = run(
            &repo_root(),
            &[
                "scan",
                "--explain",
                "--format",
                format,
                "--min-confidence",
                "low",
                "fixtures",
            ],
        );
        let all = out.all().to_ascii_lowercase();
        for k in &keys {
            assert!(!all.contains(k.as_str()), "{format} report shows a key");
        }
    }
}
