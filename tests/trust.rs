//! The trust boundary: the code being scanned cannot steer the scanner. One test per attack of
//! issue 8, each run the way an attacker would set it up: settings planted in the scanned tree,
//! a loopback collector that must receive nothing, victims (a file outside the tree, a symbolic
//! link's target) that must stay intact, pull-request-shaped repositories with a base and a
//! head, a poisoned verification cache, a user rule with `--verify`, proxies in the environment.
//! Also: settings found by walking up from the scanned path, and the cache under concurrency.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use common::http::{serve, Reply, Server};
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const ACCOUNT: &str = r#"{"plan":"Premium","credits":{"total":1200,"used":388,"remaining":812}}"#;

fn leak(key: &str) -> Vec<u8> {
    format!("LUSHA_API_KEY={key}\n").into_bytes()
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.all()))
}

/// A request carried this key, anywhere in its request line or headers.
fn carried(server: &Server, key: &str) -> bool {
    server
        .requests()
        .iter()
        .any(|r| r.path.contains(key) || r.header_lines.iter().any(|l| l.contains(key)))
}

#[test]
fn tree_settings_cannot_turn_on_verification_or_choose_where_keys_go() {
    // The collector answers 401 so that `fail_on = "live"` would also pass the run.
    let collector = serve(|_, _| Reply::status(401));
    let config = format!(
        "[verify]\nenabled = true\nurl = \"{}\"\nfail_on = \"live\"\n",
        collector.url()
    );
    let dir = tree(&[
        (".env", &leak(KEY)),
        (".lushaguard.toml", config.as_bytes()),
    ]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(
        collector.requests().len(),
        0,
        "the key reached the collector"
    );
    assert_eq!(out.code, 1, "{}", out.all());
    for key in ["verify.enabled", "verify.url", "verify.fail_on"] {
        assert_eq!(
            out.stderr.matches(&format!("`{key}` ignored")).count(),
            1,
            "{key}: {}",
            out.stderr
        );
    }
    // With verification turned on by the user, keys go where the user said, not to the
    // collector, and the tree's fail_on does not decide what fails.
    let api = serve(|_, _| Reply::status(401));
    let out = run(
        dir.path(),
        &["scan", "--verify", "--verify-url", &api.url(), "."],
    );
    assert_eq!(collector.requests().len(), 0);
    assert_eq!(api.requests().len(), 1);
    assert_eq!(out.code, 1, "{}", out.all());
}

#[test]
fn a_cache_path_named_by_the_tree_is_refused_and_its_victim_stays_intact() {
    let api = serve(|_, _| Reply::json(200, ACCOUNT));
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let config = format!("[verify]\ncache = \"{}\"\n", victim.display());
    let dir = tree(&[
        (".env", &leak(KEY)),
        (".lushaguard.toml", config.as_bytes()),
    ]);
    let out = run(
        dir.path(),
        &["scan", "--verify", "--verify-url", &api.url(), "."],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("`verify.cache` ignored"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
}

#[cfg(unix)]
#[test]
fn a_link_planted_beside_the_cache_redirects_no_write() {
    let api = serve(|_, _| Reply::json(200, ACCOUNT));
    let dir = tree(&[(".env", &leak(KEY))]);
    let state = tempfile::tempdir().unwrap();
    let victim = state.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    let cache = state.path().join("cache.json");
    std::os::unix::fs::symlink(&victim, state.path().join("cache.json.tmp")).unwrap();
    let out = run(
        dir.path(),
        &[
            "scan",
            "--verify",
            "--verify-url",
            &api.url(),
            "--verify-cache",
            cache.to_str().unwrap(),
            ".",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(text.contains(&lushaguard::secret::fingerprint_of(KEY)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "cache mode {mode:o}");
    }
}

#[cfg(unix)]
#[test]
fn settings_never_read_devices_or_oversized_files() {
    // Named by the tree: outside the tree (a path, or a link leading out) is ignored.
    let dir = tree(&[
        (".env", &leak(KEY)),
        (
            ".lushaguard.toml",
            b"rules = [\"zero.toml\"]\nignore_file = \"/dev/zero\"\n",
        ),
    ]);
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.toml")).unwrap();
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("`rules` entry `zero.toml` ignored")
            && out
                .stderr
                .contains("`ignore_file` entry `/dev/zero` ignored"),
        "{}",
        out.stderr
    );
    assert_eq!(json(&out)["findings"].as_array().unwrap().len(), 1);

    // Named by the user: a clear one-line error, not a read that never ends.
    for args in [
        &["scan", "--ignore-file", "/dev/zero", "."][..],
        &["scan", "--rules", "/dev/zero", "."][..],
        &["scan", "--baseline", "/dev/zero", "."][..],
        &["scan", "--config", "/dev/zero", "."][..],
    ] {
        let out = run(dir.path(), args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.all());
        assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }

    // Inside the tree but larger than 64 MiB (sparse: it takes no disk).
    let big = tree(&[
        (".env", &leak(KEY)),
        (".lushaguard.toml", b"ignore_file = \"big\"\n"),
    ]);
    let f = std::fs::File::create(big.path().join("big")).unwrap();
    f.set_len((64 << 20) + 1).unwrap();
    let out = run(big.path(), &["scan", "."]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("larger than 64 MiB"), "{}", out.stderr);
}

/// The verification cache of an older lushaguard (version 1): no endpoint, any date.
fn v1_cache(key: &str, checked_at: u64) -> String {
    serde_json::json!({"version": 1, "entries": {
        lushaguard::secret::fingerprint_of(key): {"checked_at": checked_at,
            "result": {"status": "invalid", "http_status": 401, "detail": "invalid", "account": null}}
    }})
    .to_string()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn a_poisoned_cache_entry_cannot_hide_a_live_key() {
    let api = serve(|_, _| Reply::json(200, ACCOUNT));
    let dir = tree(&[(".env", &leak(KEY))]);
    let state = tempfile::tempdir().unwrap();
    let cache = state.path().join("cache.json");
    let ten_years = 10 * 365 * 24 * 3600;
    let entry = |checked_at: u64, endpoint: &str| {
        serde_json::json!({"version": 2, "entries": {
            lushaguard::secret::fingerprint_of(KEY): {"checked_at": checked_at,
                "endpoint": endpoint,
                "result": {"status": "invalid", "http_status": 401, "detail": "invalid", "account": null}}
        }})
        .to_string()
    };
    let endpoint = format!("{}/v3/account/usage", api.url());
    let poisons = [
        // Dated ten years ahead, in the format every version read so far.
        v1_cache(KEY, now() + ten_years),
        // Dated ahead, from this endpoint.
        entry(now() + ten_years, &endpoint),
        // Fresh, but another endpoint's answer.
        entry(now(), "http://127.0.0.1:9/v3/account/usage"),
    ];
    for (i, poison) in poisons.iter().enumerate() {
        std::fs::write(&cache, poison).unwrap();
        let before = api.requests().len();
        let url = api.url();
        for only in [
            &["--fail-on", "live"][..],
            &["--only-verified", "--format", "json"][..],
        ] {
            std::fs::write(&cache, poison).unwrap();
            let mut args = vec![
                "scan",
                "--verify",
                "--verify-url",
                &url,
                "--verify-cache",
                cache.to_str().unwrap(),
            ];
            args.extend_from_slice(only);
            args.push(".");
            let out = run(dir.path(), &args);
            assert_eq!(out.code, 1, "poison {i} {only:?}: {}", out.all());
        }
        assert_eq!(
            api.requests().len(),
            before + 2,
            "poison {i}: the API was not asked"
        );
    }
}

#[test]
fn a_user_rule_without_a_verifier_never_has_its_findings_sent() {
    let api = serve(|_, _| Reply::json(200, ACCOUNT));
    let token = "acme_k2j4h5g6f7d8s9a0q1w2e3r4";
    let dir = tree(&[
        (
            "acme.toml",
            br#"[[rules]]
id = "acme-token"
description = "Acme internal token"
pattern = 'acme_[a-z0-9]{24}'
keywords = ["acme"]
examples = ['ACME_TOKEN = "acme_q8w7e6r5t4y3u2i1o9p0a8s7"']
"#,
        ),
        (
            "app/config.py",
            format!("ACME_TOKEN = \"{token}\"\nLUSHA_API_KEY = \"{KEY}\"\n").as_bytes(),
        ),
    ]);
    let out = run(
        dir.path(),
        &[
            "scan",
            "--rules",
            "acme.toml",
            "--verify",
            "--verify-url",
            &api.url(),
            "--format",
            "json",
            "app",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        !carried(&api, token),
        "the Acme token was sent to the Lusha API"
    );
    assert!(carried(&api, KEY), "the Lusha key was not verified");
    assert_eq!(api.requests().len(), 1);
    let v = json(&out);
    assert_eq!(v["summary"]["verification"]["not_verifiable"], 1);
    let acme = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule_id"] == "acme-token")
        .unwrap();
    assert!(acme["verification"].is_null());
    // --fail-on live cannot wave through what was never verified.
    let out = run(
        dir.path(),
        &[
            "scan",
            "--rules",
            "acme.toml",
            "--verify",
            "--verify-url",
            &api.url(),
            "--fail-on",
            "live",
            "app",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.all());

    // A rule file found in the scanned tree cannot name a verifier.
    let rule = std::fs::read_to_string(dir.path().join("acme.toml")).unwrap();
    std::fs::write(
        dir.path().join("acme.toml"),
        rule.replace("keywords", "verify = \"lusha\"\nkeywords"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".lushaguard.toml"),
        "rules = [\"acme.toml\"]\n",
    )
    .unwrap();
    // In a git work tree, so that scanning `app` finds the settings at its top.
    git(dir.path(), &["init", "-q"]);
    let out = run(
        dir.path(),
        &["scan", "--verify", "--verify-url", &api.url(), "app"],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(!carried(&api, token), "a tree rule had its finding sent");
    assert!(out.stderr.contains("`verify` ignored"), "{}", out.all());
}

#[test]
fn proxies_from_the_environment_never_see_a_loopback_key() {
    let proxy = serve(|_, _| Reply::status(502));
    let api = serve(|_, _| Reply::json(200, ACCOUNT));
    let dir = tree(&[(".env", &leak(KEY))]);
    let p = proxy.url();
    let env: Vec<(&str, &str)> = [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .into_iter()
    .map(|v| (v, p.as_str()))
    .collect();
    let out = run_with(
        dir.path(),
        &[
            "scan",
            "--verify",
            "--verify-url",
            &api.url(),
            "--format",
            "json",
            ".",
        ],
        None,
        &env,
    );
    assert_eq!(proxy.requests().len(), 0, "the proxy saw the request");
    assert_eq!(api.requests().len(), 1);
    assert_eq!(json(&out)["findings"][0]["verification"]["status"], "live");
}

#[test]
fn https_proxy_is_honoured_for_the_real_api_and_sees_no_key() {
    // A proxy that refuses the tunnel: nothing leaves this machine.
    let proxy = serve(|_, _| Reply::status(403));
    let dir = tree(&[(".env", &leak(KEY))]);
    let out = run_with(
        dir.path(),
        &[
            "scan",
            "--verify",
            "--no-verify-cache",
            "--format",
            "json",
            ".",
        ],
        None,
        &[("HTTPS_PROXY", &proxy.url())],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    let reqs = proxy.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].method, "CONNECT");
    assert_eq!(reqs[0].path, "api.lusha.com:443");
    assert!(
        !carried(&proxy, KEY),
        "the key travelled outside the tunnel"
    );
    assert_eq!(
        json(&out)["findings"][0]["verification"]["status"],
        "unknown"
    );
}

/// Runs git in `dir` with a fixed identity, blind to the machine's git configuration.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Mallory")
        .env("GIT_AUTHOR_EMAIL", "mallory@example.com")
        .env("GIT_COMMITTER_NAME", "Mallory")
        .env("GIT_COMMITTER_EMAIL", "mallory@example.com")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn commit_files(dir: &Path, files: &[(&str, &[u8])], message: &str) -> String {
    for (path, content) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        git(dir, &["add", path]);
    }
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// A pull request: `base` on main, and a head commit that adds a key together with `extra`
/// (its own suppression). The work tree is at the head, as in a CI checkout.
fn pull_request(
    base_files: &[(&str, &[u8])],
    extra: &[(&str, &[u8])],
) -> (tempfile::TempDir, String, String) {
    let dir = tree(&[]);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let mut files: Vec<(&str, &[u8])> = vec![("README.md", b"# app\n")];
    files.extend_from_slice(base_files);
    let base = commit_files(dir.path(), &files, "base");
    let leak = leak(KEY);
    let mut head_files: Vec<(&str, &[u8])> = vec![(".env", &leak)];
    head_files.extend_from_slice(extra);
    let head = commit_files(dir.path(), &head_files, "Add settings");
    (dir, base, head)
}

#[test]
fn a_change_cannot_suppress_itself_in_a_range_scan() {
    let fp = lushaguard::secret::fingerprint_of(KEY);
    let ignore = format!("{fp}\n");
    let allow = format!("allow = [\"{fp}\"]\n");
    let cases: [(&str, &[u8]); 3] = [
        (".lushaguardignore", ignore.as_bytes()),
        (".lushaguard.toml", allow.as_bytes()),
        (".lushaguard.toml", b"exclude = [\".env\"]\n"),
    ];
    for (file, content) in cases {
        let (dir, base, head) = pull_request(&[], &[(file, content)]);
        let range = format!("{base}..{head}");
        let out = run(
            dir.path(),
            &["git", "--range", &range, "--format", "json", "."],
        );
        assert_eq!(out.code, 1, "{file}: {}", out.all());
        let v = json(&out);
        assert_eq!(v["findings"][0]["path"], ".env", "{file}");
        assert_eq!(v["settings_changes"]["files"][0]["path"], file, "{v}");
        assert_eq!(v["settings_changes"]["files"][0]["change"], "added");
        // The human report says so too.
        let out = run(dir.path(), &["git", "--range", &range, "."]);
        assert!(
            out.stdout
                .contains("This change edits suppression settings")
                && out.stdout.contains(file),
            "{}",
            out.stdout
        );
        // The same suppression, already in the base, still works.
        let (dir, base, head) = pull_request(&[(file, content)], &[]);
        let out = run(
            dir.path(),
            &["git", "--range", &format!("{base}..{head}"), "."],
        );
        assert_eq!(out.code, 0, "{file} in the base: {}", out.all());
    }
}

#[test]
fn a_push_cannot_suppress_itself_in_the_pre_push_hook() {
    let fp = lushaguard::secret::fingerprint_of(KEY);
    let (dir, base, head) =
        pull_request(&[], &[(".lushaguardignore", format!("{fp}\n").as_bytes())]);
    let stdin = format!("refs/heads/main {head} refs/heads/main {base}\n");
    let out = run_in(
        dir.path(),
        &["hook", "pre-push", "origin", "https://example.com/x.git"],
        Some(stdin.as_bytes()),
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains(".env"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("This change edits suppression settings: .lushaguardignore (added)"),
        "{}",
        out.stderr
    );
}

#[test]
fn strict_does_not_honour_allow_marks_the_change_adds() {
    let marked = format!("LUSHA_API_KEY={KEY} # lushaguard:allow\n");
    let (dir, base, head) = pull_request(&[], &[("config.env", marked.as_bytes())]);
    // Without --strict the mark hides the key in config.env (.env still leaks).
    let range = format!("{base}..{head}");
    let out = run(
        dir.path(),
        &["git", "--range", &range, "--format", "json", "."],
    );
    let paths: Vec<String> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, [".env"], "{}", out.all());
    let out = run(
        dir.path(),
        &[
            "git", "--range", &range, "--strict", "--format", "json", ".",
        ],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    let paths: Vec<String> = json(&out)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, [".env", "config.env"], "{}", out.all());

    // A mark the base already had still counts when the change edits the file elsewhere.
    let dir = tree(&[]);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    let base = commit_files(dir.path(), &[("config.env", marked.as_bytes())], "base");
    let edited = format!("PORT=8080\n{marked}");
    let head = commit_files(dir.path(), &[("config.env", edited.as_bytes())], "port");
    let out = run(
        dir.path(),
        &[
            "git",
            "--range",
            &format!("{base}..{head}"),
            "--strict",
            ".",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.all());

    // Before a commit: a mark on a staged line that HEAD does not have.
    let added = format!("{edited}SECOND_LUSHA_API_KEY={KEY2} # lushaguard:allow\n");
    std::fs::write(dir.path().join("config.env"), added).unwrap();
    git(dir.path(), &["add", "config.env"]);
    let out = run(dir.path(), &["git", "--staged", "."]);
    assert_eq!(out.code, 0, "{}", out.all());
    let out = run(
        dir.path(),
        &["git", "--staged", "--strict", "--format", "json", "."],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(json(&out)["findings"][0]["line"], 3, "{}", out.all());
}

#[test]
fn settings_are_found_upward_from_each_scanned_path() {
    let dir = tree(&[
        (".lushaguard.toml", b"exclude = [\"src/generated/\"]\n"),
        ("src/generated/client.env", &leak(KEY)),
        ("src/app.env", &leak(KEY2)),
        // A nested project with settings of its own: the nearest file wins below it.
        ("tools/.lushaguard.toml", b"exclude = [\"fixtures/\"]\n"),
        ("tools/fixtures/demo.env", &leak(KEY)),
        ("tools/real.env", &leak(KEY2)),
    ]);
    git(dir.path(), &["init", "-q"]);
    let paths =
        |out: &Output| -> Vec<String> { findings(&out.stdout).into_iter().map(|f| f.0).collect() };
    // Scanning a subdirectory from the top still uses the top's settings.
    let out = run(dir.path(), &["scan", "--format", "json", "src"]);
    assert_eq!(paths(&out), ["src/app.env"], "{}", out.all());
    assert_eq!(json(&out)["summary"]["suppressed"]["excluded"], 1);
    // So does scanning from inside it.
    let out = run(&dir.path().join("src"), &["scan", "--format", "json", "."]);
    assert_eq!(paths(&out), ["app.env"], "{}", out.all());
    // Two scanned paths, two nearest files, each applying beneath its own directory.
    let out = run(dir.path(), &["scan", "--format", "json", "src", "tools"]);
    assert_eq!(
        paths(&out),
        ["src/app.env", "tools/real.env"],
        "{}",
        out.all()
    );
    // A path named on the command line is scanned even where a glob would leave it out.
    let out = run(dir.path(), &["scan", "--format", "json", "src/generated"]);
    assert_eq!(paths(&out), ["src/generated/client.env"], "{}", out.all());
    // Found upward, but still the tree's: it cannot turn verification on.
    std::fs::write(
        dir.path().join(".lushaguard.toml"),
        "[verify]\nenabled = true\n",
    )
    .unwrap();
    let out = run(dir.path(), &["scan", "src"]);
    assert!(
        out.stderr.contains("`verify.enabled` ignored"),
        "{}",
        out.stderr
    );
    // Outside a git repository, only the scanned directory's own file counts.
    let outer = tree(&[
        (".lushaguard.toml", b"exclude = [\"inner/\"]\n"),
        ("inner/app.env", &leak(KEY)),
    ]);
    let out = run(outer.path(), &["scan", "--format", "json", "inner"]);
    assert_eq!(paths(&out), ["inner/app.env"], "{}", out.all());
}

#[test]
fn the_user_config_may_turn_verification_on() {
    let api = serve(|_, _| Reply::json(200, ACCOUNT));
    let dir = tree(&[(".env", &leak(KEY))]);
    let home = tempfile::tempdir().unwrap();
    let config_dir = home.path().join("lushaguard");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(
        config_dir.join("config.toml"),
        format!(
            "[verify]\nenabled = true\nurl = \"{}\"\nfail_on = \"live\"\n",
            api.url()
        ),
    )
    .unwrap();
    let out = run_with(
        dir.path(),
        &["scan", "--format", "json", "."],
        None,
        &[("XDG_CONFIG_HOME", home.path().to_str().unwrap())],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(api.requests().len(), 1);
    assert_eq!(json(&out)["findings"][0]["verification"]["status"], "live");
    // And so may the environment.
    let out = run_with(
        dir.path(),
        &["scan", "--verify", "--format", "json", "."],
        None,
        &[("LUSHAGUARD_VERIFY_URL", &api.url())],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(api.requests().len(), 2);
}

/// Random UUID v4s made for the concurrency test; Lusha never issued them.
const KEYS: [&str; 6] = [
    "8da973ee-4d01-43eb-90ff-583adeda90d2", // lushaguard:allow (test key)
    "d43e7007-940f-4ac0-8061-028de0c3ed99", // lushaguard:allow (test key)
    "f56fd41f-aae2-4338-b8fe-11c43bacf540", // lushaguard:allow (test key)
    "936b02a7-8735-4029-88f2-2e5930a77796", // lushaguard:allow (test key)
    "5dfe7aad-d992-41f2-bf58-9d5ed272fc19", // lushaguard:allow (test key)
    "5a0b6d30-b7f3-4f6c-9d42-d8fe344605e4", // lushaguard:allow (test key)
];

#[test]
fn concurrent_runs_lose_no_cache_entry() {
    // Slow answers make every run read the cache before any of them writes it.
    let api = serve(|_, _| Reply::json(200, ACCOUNT).delayed(Duration::from_millis(400)));
    let state = tempfile::tempdir().unwrap();
    let cache = state.path().join("cache.json");
    let trees: Vec<tempfile::TempDir> = KEYS.iter().map(|k| tree(&[(".env", &leak(k))])).collect();
    let children: Vec<_> = trees
        .iter()
        .map(|t| {
            Command::new(bin())
                .args(["scan", "--verify", "--verify-url", &api.url()])
                .arg("--verify-cache")
                .arg(&cache)
                .arg(".")
                .current_dir(t.path())
                .env("XDG_CONFIG_HOME", state.path().join("config"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    let entries = v["entries"].as_object().unwrap();
    for k in KEYS {
        assert!(
            entries.contains_key(&lushaguard::secret::fingerprint_of(k)),
            "lost the entry of {k}: {entries:?}"
        );
    }
    // No temporary file is left behind.
    let left: Vec<PathBuf> = std::fs::read_dir(state.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn a_push_cannot_suppress_itself_in_the_pre_receive_hook() {
    let server = tree(&[]);
    git(
        server.path(),
        &["init", "-q", "--bare", "-b", "main", "srv.git"],
    );
    let srv = server.path().join("srv.git");
    let hook = srv.join("hooks/pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nexec '{}' hook pre-receive --no-progress\n",
            bin().display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let fp = lushaguard::secret::fingerprint_of(KEY);
    let (client, _, _) = pull_request(&[], &[(".lushaguardignore", format!("{fp}\n").as_bytes())]);
    // The base goes first, so that the branch exists on the server.
    git(
        client.path(),
        &[
            "push",
            "-q",
            srv.to_str().unwrap(),
            "HEAD~1:refs/heads/main",
        ],
    );
    let out = Command::new("git")
        .args(["push", srv.to_str().unwrap(), "HEAD:refs/heads/main"])
        .current_dir(client.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains(".env"), "{stderr}");
    assert!(stderr.contains(".lushaguardignore (added)"), "{stderr}");
}
