//! Helpers for the integration tests: run the real binary the way a user does and capture
//! exit status, stdout and stderr.
#![allow(dead_code)]

pub mod http;
pub mod packed;
pub mod schema;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Random UUID v4s generated for these tests; Lusha never issued them.
pub const KEY: &str = "6f1c2a9e-3b7d-4c58-9e21-0d4b8f7a6c35"; // lushaguard:allow (test key)
pub const KEY2: &str = "b2e47d10-8c3f-4a96-a5d7-19e0c6f3b842"; // lushaguard:allow (test key)

/// Every report format and its `--format` name, from the format enum itself: a format added to
/// `lushaguard::report::Format` is in every test that loops over this, with no list to edit.
pub fn formats() -> Vec<(lushaguard::report::Format, String)> {
    use clap::ValueEnum;
    let all: Vec<_> = lushaguard::report::Format::value_variants()
        .iter()
        .filter_map(|f| Some((*f, f.to_possible_value()?.get_name().to_string())))
        .collect();
    assert!(all.len() >= 9, "report formats: {all:?}");
    all
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Everything the process printed.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// The binary under test: this build's, or `LUSHAGUARD_TEST_BIN` (to check that a regression
/// test fails on an older build).
pub fn bin() -> PathBuf {
    std::env::var_os("LUSHAGUARD_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_lushaguard")))
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs lushaguard with `args` in `dir`, feeding `stdin`. A run that hangs (a FIFO opened for
/// reading would) is killed after a minute and fails the test.
pub fn run_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    run_with(dir, args, stdin, &[])
}

/// `run_in` with extra environment variables. Each run gets its own empty user config and cache
/// directories (unless `env` names others), so that no run sees the user's settings or another
/// run's cached verification results; proxies and `LUSHAGUARD_*` variables of the environment
/// the tests run in are removed.
pub fn run_with(dir: &Path, args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &str)]) -> Output {
    let home = tempfile::tempdir().expect("tempdir");
    let mut command = Command::new(bin());
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().to_ascii_uppercase();
        if name.starts_with("LUSHAGUARD_") || name.ends_with("_PROXY") {
            command.env_remove(&name);
            command.env_remove(name.to_ascii_lowercase());
        }
    }
    let mut child = command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lushaguard");
    if let Some(data) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        pipe.write_all(data).expect("write stdin");
    }
    // Drain both pipes while waiting: a report larger than a pipe buffer would otherwise block
    // the child on write and look like a hang.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            buf
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("lushaguard {args:?} did not finish within a minute (blocked?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    Output {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    run_in(dir, args, None)
}

/// Writes `files` (path, content) under a new temp dir.
pub fn tree(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, content) in files {
        let p = dir.path().join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&p, content).expect("write");
    }
    dir
}

/// A tree with one `.env` holding `KEY`.
pub fn leak_tree() -> tempfile::TempDir {
    tree(&[(".env", format!("LUSHA_API_KEY={KEY}\n").as_bytes())])
}

/// `scan --format json --verify --verify-url URL EXTRA... .` in `dir`: the output and the report.
pub fn verify_json(dir: &Path, url: &str, extra: &[&str]) -> (Output, serde_json::Value) {
    let mut args = vec!["scan", "--format", "json", "--verify", "--verify-url", url];
    args.extend_from_slice(extra);
    args.push(".");
    let out = run(dir, &args);
    let v = serde_json::from_str(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out, v)
}

/// The findings of a JSON report as (path, line, confidence).
pub fn findings(json: &str) -> Vec<(String, u64, String)> {
    let v: serde_json::Value = serde_json::from_str(json).expect("valid JSON report");
    v["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["confidence"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Compares `actual` with the golden file `tests/snapshots/NAME`, or rewrites the file when
/// `UPDATE_SNAPSHOTS` is set (`UPDATE_SNAPSHOTS=1 cargo test`).
pub fn snapshot(name: &str, actual: &str) {
    let path = repo_root().join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("snapshot dir")).expect("mkdir");
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "missing {}: run UPDATE_SNAPSHOTS=1 cargo test",
            path.display()
        )
    });
    if expected != actual {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(5)
            .map(|(i, (a, b))| format!("line {}:\n  want {a}\n  got  {b}", i + 1))
            .collect();
        panic!(
            "{name} differs from its snapshot ({} vs {} lines):\n{}",
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

/// Runs git in `dir` blind to the machine's configuration; returns its trimmed stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = hermetic(&mut Command::new("git"))
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .env("GIT_AUTHOR_DATE", "@1700000000 +0000")
        .env("GIT_COMMITTER_DATE", "@1700000000 +0000")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A command (git, or a program that runs git) that sees none of the machine's git configuration
/// and none of the variables a hook sets to point git at another repository, with a fixed
/// identity and no colour.
pub fn hermetic(cmd: &mut Command) -> &mut Command {
    for var in [
        "GIT_DIR",
        "GIT_INDEX_FILE",
        "GIT_WORK_TREE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Ada Tester")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Tester")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("NO_COLOR", "1")
}
