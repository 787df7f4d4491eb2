//! Fail closed at the end of the pipeline: a key the Lusha API gave no verdict on (429 after
//! retries, 5xx, a timeout, no connection) fails an `--only-verified` or `--fail-on live` run
//! instead of passing it, against a real HTTP server on 127.0.0.1; and a run that cannot write
//! every report leaves the earlier reports as they were.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use common::http::{closed_port, serve, Reply};
use common::*;
use serde_json::Value;
use std::time::Duration;

const ACCOUNT: &str = r#"{"plan":"Premium","credits":{"total":10,"used":1,"remaining":9}}"#;

/// Asserts the run failed as incomplete with the unverified key reported and counted.
fn assert_no_verdict_fails(what: &str, out: &Output, v: &Value) {
    assert_eq!(out.code, 2, "{what}: {}", out.all());
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1, "{what}: the unverified key is reported: {v}");
    assert_eq!(f[0]["verification"]["status"], "unknown", "{what}");
    let items = v["incomplete"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{what}: {v}");
    assert_eq!(items[0]["kind"], "verification", "{what}");
    assert!(
        items[0]["what"]
            .as_str()
            .unwrap()
            .contains("6f1c****-****-****-****-********6c35"),
        "{what}: {v}"
    );
    assert!(
        out.stderr.contains("1 key could not be verified"),
        "{what}: {}",
        out.stderr
    );
    assert!(!out.all().contains(KEY), "{what}: the key leaked");
}

#[test]
fn no_verdict_fails_only_verified_and_fail_on_live() {
    let dir = leak_tree();
    let rate_limited = serve(|_, _| Reply::status(429).header("Retry-After", "1"));
    let broken = serve(|_, _| Reply::status(503));
    let slow = serve(|_, _| Reply::json(200, ACCOUNT).delayed(Duration::from_secs(4)));
    let refused = format!("http://127.0.0.1:{}", closed_port());
    let cases: [(&str, String, &[&str]); 4] = [
        ("429 after retries", rate_limited.url(), &[]),
        ("503", broken.url(), &[]),
        ("timeout", slow.url(), &["--verify-timeout", "1"]),
        ("connection refused", refused, &[]),
    ];
    for (what, url, extra) in cases {
        for mode in [&["--only-verified"][..], &["--fail-on", "live"][..]] {
            let mut flags = extra.to_vec();
            flags.extend_from_slice(mode);
            let (out, v) = verify_json(dir.path(), &url, &flags);
            assert_no_verdict_fails(&format!("{what} {mode:?}"), &out, &v);
        }
    }
    // The rate limit was retried before giving up.
    assert!(rate_limited.requests().len() >= 2 * 3);
    // --quiet and --exit-code 0 hide neither the line nor the failure.
    let (out, v) = verify_json(
        dir.path(),
        &broken.url(),
        &["--only-verified", "--quiet", "--exit-code", "0"],
    );
    assert_no_verdict_fails("quiet", &out, &v);
}

#[test]
fn a_live_key_still_decides_and_answered_keys_pass() {
    let dir = tree(&[(
        ".env",
        format!("LUSHA_API_KEY={KEY}\nLUSHA_API_KEY_OLD={KEY2}\n").as_bytes(),
    )]);
    // KEY has no verdict, KEY2 is live: findings make it 1, the unverified key is still listed.
    let server = serve(|r, _| {
        if r.header("api_key").as_deref() == Some(KEY2) {
            Reply::json(200, ACCOUNT)
        } else {
            Reply::status(500)
        }
    });
    let (out, v) = verify_json(dir.path(), &server.url(), &["--only-verified"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(v["findings"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["incomplete"].as_array().unwrap().len(), 1, "{v}");
    // Every key answered and none live: a clean pass.
    let invalid = serve(|_, _| Reply::status(401));
    let (out, v) = verify_json(dir.path(), &invalid.url(), &["--fail-on", "live"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(v["incomplete"].as_array().unwrap().is_empty());
    assert!(
        !out.stderr.contains("could not be verified"),
        "{}",
        out.stderr
    );
    // Without --only-verified or --fail-on live an unverified key is a finding like any other.
    let broken = serve(|_, _| Reply::status(503));
    let (out, v) = verify_json(dir.path(), &broken.url(), &[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(v["incomplete"].as_array().unwrap().is_empty());
}

#[test]
fn the_verify_command_fails_without_a_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let broken = serve(|_, _| Reply::status(503));
    let out = run(dir.path(), &["verify", "--verify-url", &broken.url(), KEY]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("could not be verified"),
        "{}",
        out.stderr
    );
    let invalid = serve(|_, _| Reply::status(401));
    let out = run(dir.path(), &["verify", "--verify-url", &invalid.url(), KEY]);
    assert_eq!(out.code, 0, "{}", out.all());
}

/// Files in `dir` whose names say they are lushaguard's temporary reports.
fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".lushaguard-"))
        .collect()
}

#[test]
fn a_run_that_cannot_write_every_report_changes_none() {
    let dir = leak_tree();
    let out_dir = tempfile::tempdir().unwrap();
    let json = out_dir.path().join("report.json");
    let sarif = out_dir.path().join("report.sarif");
    std::fs::write(&json, "earlier report\n").unwrap();
    std::fs::write(&sarif, "earlier sarif\n").unwrap();
    let json_arg = json.to_str().unwrap().to_string();
    let sarif_arg = format!("sarif={}", sarif.display());
    for broken in [
        format!(
            "markdown={}",
            out_dir.path().join("no/such/dir.md").display()
        ),
        "junit=/dev/full".to_string(),
    ] {
        let out = run(
            dir.path(),
            &[
                "scan", "--format", "json", "-o", &json_arg, "--write", &sarif_arg, "--write",
                &broken, ".",
            ],
        );
        assert_eq!(out.code, 2, "{broken}: {}", out.all());
        assert_eq!(std::fs::read_to_string(&json).unwrap(), "earlier report\n");
        assert_eq!(std::fs::read_to_string(&sarif).unwrap(), "earlier sarif\n");
        assert!(
            leftovers(out_dir.path()).is_empty(),
            "{:?}",
            leftovers(out_dir.path())
        );
    }
    // A run that writes them all replaces both, keeping each file's permissions.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&json, std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    let out = run(
        dir.path(),
        &[
            "scan", "--format", "json", "-o", &json_arg, "--write", &sarif_arg, ".",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert!(std::fs::read_to_string(&sarif)
        .unwrap()
        .contains("\"version\": \"2.1.0\""));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&json).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
    }
    assert!(leftovers(out_dir.path()).is_empty());
}

#[test]
fn reports_to_devices_and_through_symlinks_are_written_in_place() {
    let dir = leak_tree();
    // A device is written, never replaced.
    let out = run(dir.path(), &["scan", "-o", "/dev/null", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let meta = std::fs::metadata("/dev/null").unwrap();
        assert!(meta.file_type().is_char_device());
        // A symbolic link keeps pointing at the report it names.
        let out_dir = tempfile::tempdir().unwrap();
        let real = out_dir.path().join("real.json");
        let link = out_dir.path().join("link.json");
        std::fs::write(&real, "old\n").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let out = run(
            dir.path(),
            &[
                "scan",
                "--format",
                "json",
                "-o",
                link.to_str().unwrap(),
                ".",
            ],
        );
        assert_eq!(out.code, 1, "{}", out.all());
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert!(std::fs::read_to_string(&real).unwrap().contains("findings"));
    }
}
