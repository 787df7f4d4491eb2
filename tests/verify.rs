//! `--verify` and `lushaguard verify` against a real HTTP server on 127.0.0.1 started by each test.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use common::http::{closed_port, serve, Reply};
use common::*;
use serde_json::Value;
use std::time::Duration;

const ACCOUNT: &str = r#"{"requestId":"0df691af-b67e-4e41-98d9-4bdf53077c48","plan":"Premium","credits":{"total":1200,"used":388,"remaining":812}}"#; // lushaguard:allow (test data)

#[test]
fn live_key_with_account_details_and_the_exact_request() {
    let server = serve(|_, _| Reply::json(200, ACCOUNT));
    let dir = leak_tree();
    let (out, v) = verify_json(dir.path(), &server.url(), &[]);
    assert_eq!(out.code, 1, "{}", out.all());
    let ver = &v["findings"][0]["verification"];
    assert_eq!(ver["status"], "live");
    assert_eq!(ver["http_status"], 200);
    assert_eq!(ver["account"]["plan"], "Premium");
    // Credits are whole numbers, as the dashboard shows them.
    assert!(ver["account"]["credits_remaining"].is_i64(), "{ver}");
    assert_eq!(ver["account"]["credits_remaining"], 812);
    assert_eq!(ver["account"]["credits_total"], 1200);
    assert_eq!(v["summary"]["verification"]["live"], 1);

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path, "/v3/account/usage");
    // The header name on the wire is exactly `api_key`.
    assert!(
        reqs[0]
            .header_lines
            .iter()
            .any(|l| l == &format!("api_key: {KEY}")),
        "{:?}",
        reqs[0].header_lines
    );
    let ua = reqs[0].header("user-agent").unwrap();
    assert_eq!(ua, format!("lushaguard/{}", env!("CARGO_PKG_VERSION")));

    // The human report puts the live key first and says what to do.
    let human = run(
        dir.path(),
        &["scan", "--verify", "--verify-url", &server.url(), "."],
    );
    assert!(human.stdout.contains("[high, live]"), "{}", human.stdout);
    assert!(
        human.stdout.contains("rotate them first"),
        "{}",
        human.stdout
    );
}

#[test]
fn invalid_restricted_and_server_errors() {
    for (status, expected) in [
        (401, "invalid"),
        (403, "restricted"),
        (500, "unknown"),
        (503, "unknown"),
        (404, "unknown"),
    ] {
        let server = serve(move |_, _| Reply::status(status));
        let dir = leak_tree();
        let (out, v) = verify_json(dir.path(), &server.url(), &[]);
        assert_eq!(out.code, 1, "{status}: {}", out.all());
        assert_eq!(
            v["findings"][0]["verification"]["status"], expected,
            "{status}"
        );
        assert_eq!(v["findings"][0]["verification"]["http_status"], status);
        // --fail-on live: only a live key fails the run for findings; a key without a verdict
        // might be live, so it leaves the run incomplete (exit 2).
        let (out, _) = verify_json(dir.path(), &server.url(), &["--fail-on", "live"]);
        let want = if expected == "unknown" { 2 } else { 0 };
        assert_eq!(out.code, want, "{status}: {}", out.all());
    }
}

#[test]
fn rate_limited_then_live_after_retry_after() {
    let server = serve(|_, i| {
        if i == 0 {
            Reply::status(429).header("Retry-After", "1")
        } else {
            Reply::json(200, ACCOUNT)
        }
    });
    let dir = leak_tree();
    let (out, v) = verify_json(dir.path(), &server.url(), &[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(v["findings"][0]["verification"]["status"], "live");
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn rate_limited_for_too_long_is_unknown() {
    let server = serve(|_, _| Reply::status(429).header("Retry-After", "3600"));
    let dir = leak_tree();
    let (_, v) = verify_json(dir.path(), &server.url(), &[]);
    let ver = &v["findings"][0]["verification"];
    assert_eq!(ver["status"], "unknown");
    assert_eq!(ver["http_status"], 429);
    assert!(ver["detail"].as_str().unwrap().contains("rate limited"));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_response_slower_than_the_timeout_is_unknown() {
    let server = serve(|_, _| Reply::json(200, ACCOUNT).delayed(Duration::from_secs(4)));
    let dir = leak_tree();
    let (_, v) = verify_json(dir.path(), &server.url(), &["--verify-timeout", "1"]);
    let ver = &v["findings"][0]["verification"];
    assert_eq!(ver["status"], "unknown");
    assert!(
        ver["detail"].as_str().unwrap().contains("timed out"),
        "{ver}"
    );
}

#[test]
fn connection_refused_is_unknown() {
    let dir = leak_tree();
    let url = format!("http://127.0.0.1:{}", closed_port());
    let (out, v) = verify_json(dir.path(), &url, &[]);
    assert_eq!(out.code, 1);
    let ver = &v["findings"][0]["verification"];
    assert_eq!(ver["status"], "unknown");
    assert!(ver["http_status"].is_null());
    assert!(
        ver["detail"].as_str().unwrap().contains("connection"),
        "{ver}"
    );
}

#[test]
fn a_redirect_is_not_followed_and_nothing_reaches_the_other_host() {
    let elsewhere = serve(|_, _| Reply::json(200, ACCOUNT));
    let target = format!(
        "http://localhost:{}/v3/account/usage",
        elsewhere.addr.port()
    );
    let server = serve(move |_, _| Reply::status(302).header("Location", &target));
    let dir = leak_tree();
    let (_, v) = verify_json(dir.path(), &server.url(), &[]);
    let ver = &v["findings"][0]["verification"];
    assert_eq!(ver["status"], "unknown");
    assert_eq!(ver["http_status"], 302);
    assert!(ver["detail"].as_str().unwrap().contains("redirect"));
    assert_eq!(server.requests().len(), 1);
    assert_eq!(
        elsewhere.requests().len(),
        0,
        "the key reached the redirect target"
    );
}

#[test]
fn oversized_and_malformed_bodies_still_mean_live() {
    let big = serve(|_, _| Reply::json(200, &format!("{{\"plan\":\"{}\"}}", "x".repeat(2 << 20))));
    let dir = leak_tree();
    let (_, v) = verify_json(dir.path(), &big.url(), &[]);
    let ver = &v["findings"][0]["verification"];
    assert_eq!(ver["status"], "live");
    assert!(ver["account"].is_null());
    assert!(
        ver["detail"].as_str().unwrap().contains("too large"),
        "{ver}"
    );

    let bad = serve(|_, _| Reply::json(200, "{\"plan\": oops"));
    let (_, v) = verify_json(dir.path(), &bad.url(), &[]);
    let ver = &v["findings"][0]["verification"];
    assert_eq!(ver["status"], "live");
    assert!(ver["account"].is_null());
    assert!(
        ver["detail"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{ver}"
    );
}

#[test]
fn three_findings_of_one_key_make_one_request() {
    let server = serve(|_, _| Reply::json(200, ACCOUNT));
    let dir = tree(&[
        (".env", format!("LUSHA_API_KEY={KEY}\n").as_bytes()),
        (
            "app/settings.py",
            format!("LUSHA_API_KEY = \"{KEY}\"\n").as_bytes(),
        ),
        (
            "k8s/values.yaml",
            format!("lusha:\n  apiKey: {}\n", KEY.to_uppercase()).as_bytes(),
        ),
    ]);
    let (out, v) = verify_json(dir.path(), &server.url(), &[]);
    assert_eq!(out.code, 1);
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 3);
    assert!(f.iter().all(|x| x["verification"]["status"] == "live"));
    assert_eq!(server.requests().len(), 1);
    // The summary counts keys, not findings: one live key, whatever the number of places.
    assert_eq!(v["summary"]["verification"]["live"], 1, "{}", v["summary"]);
    let human = run(
        dir.path(),
        &["scan", "--verify", "--verify-url", &server.url(), "."],
    );
    assert!(
        human.stdout.contains(
            "Verified 1 distinct key against the Lusha API: 1 live, 0 restricted, 0 invalid, \
             0 unknown."
        ),
        "{}",
        human.stdout
    );
}

/// A tree with `n` distinct keys, one `.env` each.
fn tree_of_keys(n: u8) -> tempfile::TempDir {
    let files: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| {
            let key = format!("6f1c2a9e-3b7d-4c58-9e21-0d4b8f7a6c{i:02x}");
            (
                format!("s{i}/.env"),
                format!("LUSHA_API_KEY={key}\n").into_bytes(),
            )
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    tree(&refs)
}

#[test]
fn the_deadline_bounds_every_request_not_only_the_start_of_one() {
    // Each answer takes 5 s; a request may take 30 s; the whole stage may take 1 s. The first
    // request is cut at the deadline rather than allowed its own 30 s, and no other key is
    // sent at all.
    let server = serve(|_, _| Reply::json(200, ACCOUNT).delayed(Duration::from_secs(5)));
    let dir = tree_of_keys(6);
    let (out, v) = verify_json(
        dir.path(),
        &server.url(),
        &[
            "--verify-concurrency",
            "1",
            "--verify-timeout",
            "30",
            "--verify-deadline",
            "1",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    let statuses: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["verification"]["status"])
        .collect();
    assert_eq!(statuses.len(), 6);
    assert!(statuses.iter().all(|s| *s == "unknown"), "{statuses:?}");
    let details: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["verification"]["detail"].as_str())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("timed out at the verification deadline")),
        "{details:?}"
    );
    assert!(server.requests().len() <= 1, "{}", server.requests().len());
    assert_eq!(v["summary"]["verification"]["unknown"], 6);
}

#[test]
fn concurrency_is_bounded() {
    let server = serve(|_, _| Reply::status(401).delayed(Duration::from_millis(300)));
    let dir = tree_of_keys(8);
    let (out, v) = verify_json(dir.path(), &server.url(), &["--verify-concurrency", "2"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(v["summary"]["verification"]["invalid"], 8);
    assert_eq!(server.requests().len(), 8);
    let max = server
        .max_in_flight
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!((1..=2).contains(&max), "{max} requests in flight");
}

#[test]
fn only_verified_shows_live_keys_only() {
    let server = serve(|r, _| {
        if r.header("api_key").as_deref() == Some(KEY) {
            Reply::json(200, ACCOUNT)
        } else {
            Reply::status(401)
        }
    });
    let dir = tree(&[(
        ".env",
        format!("LUSHA_API_KEY={KEY}\nLUSHA_API_KEY_OLD={KEY2}\n").as_bytes(),
    )]);
    let (out, v) = verify_json(dir.path(), &server.url(), &["--only-verified"]);
    assert_eq!(out.code, 1);
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["line"], 1);
    assert_eq!(v["summary"]["verification"]["invalid"], 1);
}

#[test]
fn the_cache_is_keyed_by_fingerprint_and_spares_requests() {
    let server = serve(|_, _| Reply::json(200, ACCOUNT));
    let dir = leak_tree();
    let cache = dir.path().join("verify-cache.json");
    let cache_arg = cache.to_str().unwrap().to_string();
    let (_, first) = verify_json(dir.path(), &server.url(), &["--verify-cache", &cache_arg]);
    assert_eq!(first["findings"][0]["verification"]["status"], "live");
    let (_, second) = verify_json(dir.path(), &server.url(), &["--verify-cache", &cache_arg]);
    assert_eq!(second["findings"][0]["verification"]["status"], "live");
    assert!(second["findings"][0]["verification"]["detail"]
        .as_str()
        .unwrap()
        .contains("cached"));
    assert_eq!(server.requests().len(), 1);
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(!text.contains(KEY));
    assert!(text.contains(&lushaguard::secret::fingerprint_of(KEY)));
    // An expired cache asks again.
    let (_, _) = verify_json(
        dir.path(),
        &server.url(),
        &["--verify-cache", &cache_arg, "--verify-cache-ttl", "0"],
    );
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn the_key_never_appears_in_any_output() {
    let server = serve(|_, i| {
        if i % 2 == 0 {
            Reply::json(200, ACCOUNT)
        } else {
            Reply::status(500)
        }
    });
    let dir = leak_tree();
    for format in ["human", "json", "jsonl"] {
        let out = run(
            dir.path(),
            &[
                "scan",
                "--explain",
                "--format",
                format,
                "--verify",
                "--verify-url",
                &server.url(),
                ".",
            ],
        );
        assert!(!out.all().contains(KEY), "{format}: {}", out.all());
    }
    let out = run(
        dir.path(),
        &["verify", "--verify-url", &server.url(), KEY, KEY2],
    );
    assert!(
        !out.all().contains(KEY) && !out.all().contains(KEY2),
        "{}",
        out.all()
    );
    let refused = run(
        dir.path(),
        &[
            "verify",
            "--verify-url",
            &format!("http://127.0.0.1:{}", closed_port()),
            KEY,
        ],
    );
    assert!(!refused.all().contains(KEY), "{}", refused.all());
}

#[test]
fn verify_command_prints_one_redacted_status_per_key() {
    let server = serve(|r, _| {
        if r.header("api_key").as_deref() == Some(KEY) {
            Reply::json(200, ACCOUNT)
        } else {
            Reply::status(401)
        }
    });
    let dir = tree(&[]);
    let out = run(
        dir.path(),
        &[
            "verify",
            "--verify-url",
            &server.url(),
            KEY,
            &KEY2.to_uppercase(),
        ],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with("6f1c****-****-****-****-********6c35  live"),
        "{}",
        lines[0]
    );
    // The plan and the credits of a live key, credits as whole numbers.
    assert!(
        lines[0].ends_with("(plan Premium, 812 credits left)"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("b2e4****-****-****-****-********b842  invalid"),
        "{}",
        lines[1]
    );

    let input = format!("# keys to check\n{KEY2}\n\n");
    let out = run_in(
        dir.path(),
        &["verify", "--json", "--verify-url", &server.url()],
        Some(input.as_bytes()),
    );
    assert_eq!(out.code, 0, "{}", out.all());
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v[0]["status"], "invalid");
    assert_eq!(
        v[0]["fingerprint"],
        lushaguard::secret::fingerprint_of(KEY2)
    );

    let out = run(
        dir.path(),
        &["verify", "--verify-url", &server.url(), "not-a-key"],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("not a UUID v4"));
}

#[test]
fn unsafe_base_urls_are_refused_before_anything_is_sent() {
    let dir = leak_tree();
    for url in [
        "http://example.com",
        "http://10.1.2.3:8080",
        "ftp://127.0.0.1/",
        "https://u:p@api.lusha.com",
    ] {
        let out = run(dir.path(), &["scan", "--verify", "--verify-url", url, "."]);
        assert_eq!(out.code, 2, "{url}: {}", out.all());
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
        assert!(out.stderr.contains("--verify-url"), "{}", out.stderr);
    }
    let out = run(dir.path(), &["scan", "--only-verified", "."]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("needs --verify"), "{}", out.stderr);
    let out = run(dir.path(), &["scan", "--fail-on", "live", "."]);
    assert_eq!(out.code, 2);
}

/// A repository whose history added a key and removed it again.
fn repo_with_history_leak() -> tempfile::TempDir {
    let dir = tree(&[]);
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args([
                "-c",
                "user.name=Dev",
                "-c",
                "user.email=dev@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(dir.path().join(".env"), format!("LUSHA_API_KEY={KEY}\n")).unwrap();
    git(&["add", ".env"]);
    git(&["commit", "-q", "-m", "Add settings"]);
    git(&["rm", "-q", ".env"]);
    git(&["commit", "-q", "-m", "Remove settings"]);
    dir
}

#[test]
fn history_scans_verify_and_suppress_too() {
    let server = serve(|_, _| Reply::json(200, ACCOUNT));
    let dir = repo_with_history_leak();
    let out = run(
        dir.path(),
        &[
            "git",
            "--format",
            "json",
            "--verify",
            "--verify-url",
            &server.url(),
            ".",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["verification"]["status"], "live");
    assert_eq!(f["commit"]["summary"], "Add settings");
    assert_eq!(f["present_in_head"], false);
    assert_eq!(server.requests().len(), 1);

    // The ignore file at the top of the work tree hides it (and nothing is sent to the API).
    let fingerprint = lushaguard::secret::fingerprint_of(KEY);
    std::fs::write(
        dir.path().join(".lushaguardignore"),
        format!("# rotated\n{fingerprint}\n"),
    )
    .unwrap();
    let out = run(
        dir.path(),
        &[
            "git",
            "--format",
            "json",
            "--verify",
            "--verify-url",
            &server.url(),
            ".",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["summary"]["suppressed"]["ignore_file"], 1);
    assert_eq!(
        server.requests().len(),
        1,
        "a suppressed key was sent to the API"
    );
}
