//! What `scan` walks: every file it should have scanned and could not makes the run incomplete
//! (exit 2, listed), and ignore rules never hide a file git tracks. Permissions are tested as a
//! real unprivileged user (`nobody`, through `setpriv`), ignore rules with real repositories and
//! a real global excludes file. Each test is a case that passed silently before (issue 9).

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test
#![allow(clippy::print_stderr)] // notes on skipped checks go to the test log

mod common;

use common::{bin, run, run_with, Output};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

/// Random UUID v4s generated for these tests; Lusha never issued them.
const KEY: &str = "46eb66e9-4c66-4a14-ab91-22834a8deff1"; // lushaguard:allow (test key)
const KEY2: &str = "46c636a9-df50-461a-8c2d-e3ea1cda7ae2"; // lushaguard:allow (test key)
const KEY3: &str = "f4c49a59-e882-496e-8f46-a56d2fbf2be8"; // lushaguard:allow (test key)
const KEY4: &str = "99a0c646-e5e5-4685-b60f-5e18d518e3a6"; // lushaguard:allow (test key)

fn env(key: &str) -> String {
    format!("PORT=8080\nLUSHA_API_KEY={key}\n")
}

fn write(path: &Path, content: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.all()))
}

/// The paths of the findings and the incomplete items of a JSON report.
fn paths_and_incomplete(out: &Output) -> (Vec<String>, Vec<(String, String, String)>) {
    let v = json(out);
    let paths = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    let incomplete = v["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap().to_string(),
                i["what"].as_str().unwrap().to_string(),
                i["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (paths, incomplete)
}

/// Runs lushaguard as `nobody` with `args` in `dir`, or says why it cannot and returns `None`.
/// The binary and the tree must be reachable by that user; the caller sets modes accordingly.
fn as_nobody(dir: &Path, args: &[&str]) -> Option<Output> {
    // The effective user, as a shell would ask for it.
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        eprintln!("skipped: permissions can only be tested as root switching to nobody");
        return None;
    }
    let has_setpriv = Command::new("setpriv")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_setpriv {
        eprintln!("skipped: setpriv (util-linux) is not installed");
        return None;
    }
    // The binary lives under the build directory; every directory above it must be searchable.
    let exe = bin();
    let reachable = exe
        .ancestors()
        .skip(1)
        .all(|d| std::fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o001 != 0));
    if !reachable {
        eprintln!("skipped: {} is not reachable by nobody", exe.display());
        return None;
    }
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&exe)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Some(Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// A temp tree `nobody` can walk (tempdirs are 0700).
fn open_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    chmod(dir.path(), 0o755);
    dir
}

#[test]
fn a_file_the_user_cannot_read_makes_the_scan_incomplete() {
    let dir = open_tree();
    let d = dir.path();
    write(&d.join("ok/app.env"), &env(KEY));
    write(&d.join("secret/.env"), &env(KEY2));
    chmod(&d.join("ok"), 0o755);
    chmod(&d.join("ok/app.env"), 0o644);
    chmod(&d.join("secret"), 0o755);
    chmod(&d.join("secret/.env"), 0o600); // root's, unreadable to nobody
    let Some(out) = as_nobody(d, &["scan", "--format", "json", "ok", "secret"]) else {
        return;
    };
    // The readable key is found (exit 1), and the unreadable file is listed.
    assert_eq!(out.code, 1, "{}", out.all());
    let (paths, incomplete) = paths_and_incomplete(&out);
    assert_eq!(paths, ["ok/app.env"]);
    assert_eq!(incomplete.len(), 1, "{incomplete:?}");
    assert_eq!(incomplete[0].0, "file");
    assert_eq!(incomplete[0].1, "secret/.env");
    assert!(
        incomplete[0].2.contains("ermission denied"),
        "{incomplete:?}"
    );
    // Alone, it ends the run with exit 2, never 0, and says so even with --quiet.
    let out = as_nobody(d, &["scan", "--quiet", "secret"]).unwrap();
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("secret/.env"), "{}", out.stderr);
    // Named on the command line, the same.
    let out = as_nobody(d, &["scan", "secret/.env"]).unwrap();
    assert_eq!(out.code, 2, "{}", out.all());
}

#[test]
fn a_directory_the_user_cannot_enter_or_list_makes_the_scan_incomplete() {
    let dir = open_tree();
    let d = dir.path();
    write(&d.join("locked/.env"), &env(KEY));
    write(&d.join("unlisted/.env"), &env(KEY2));
    write(&d.join("fine.txt"), "x=1\n");
    chmod(&d.join("fine.txt"), 0o644);
    chmod(&d.join("locked/.env"), 0o644);
    chmod(&d.join("unlisted/.env"), 0o644);
    chmod(&d.join("locked"), 0o744); // listable, not enterable
    chmod(&d.join("unlisted"), 0o711); // enterable, not listable
    let Some(out) = as_nobody(d, &["scan", "--format", "json", "."]) else {
        return;
    };
    assert_eq!(out.code, 2, "{}", out.all());
    let (paths, incomplete) = paths_and_incomplete(&out);
    assert!(paths.is_empty(), "{paths:?}");
    let what: Vec<(&str, &str)> = incomplete
        .iter()
        .map(|i| (i.0.as_str(), i.1.as_str()))
        .collect();
    assert!(what.contains(&("file", "locked/.env")), "{incomplete:?}");
    assert!(what.contains(&("directory", "unlisted")), "{incomplete:?}");
}

#[test]
fn a_path_longer_than_path_max_makes_the_scan_incomplete() {
    // Built with relative steps: no single path given to the kernel is too long.
    let dir = tempfile::tempdir().unwrap();
    let name = "d".repeat(200);
    let mut depth = dir.path().to_path_buf();
    let mut rel = std::path::PathBuf::new();
    for _ in 0..24 {
        let ok = Command::new("mkdir")
            .arg(&name)
            .current_dir(&depth)
            .status()
            .unwrap()
            .success();
        if !ok {
            eprintln!("skipped: cannot build a deep tree here");
            return;
        }
        rel.push(&name);
        // Stay under PATH_MAX for the cwd of the next step by hopping with a short symlink.
        let hop = dir.path().join(format!("hop{}", rel.components().count()));
        std::os::unix::fs::symlink(depth.join(&name), &hop).unwrap();
        depth = hop;
    }
    std::fs::write(depth.join(".env"), env(KEY)).unwrap();
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with("hop") {
            std::fs::remove_file(p).unwrap();
        }
    }
    assert!(dir.path().join(&rel).as_os_str().len() > 4096);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 2, "{}", out.all());
    let (_, incomplete) = paths_and_incomplete(&out);
    assert_eq!(incomplete.len(), 1, "{incomplete:?}");
    assert_eq!(incomplete[0].0, "directory", "{incomplete:?}");
    assert!(incomplete[0].2.contains("PATH_MAX"), "{incomplete:?}");
}

#[test]
fn a_fifo_or_device_named_on_the_command_line_makes_the_scan_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(&d.join("tree/.env"), "x=1\n");
    let fifo = d.join("tree/pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for named in ["tree/pipe", "/dev/null"] {
        let out = run(d, &["scan", "--format", "json", named]);
        assert_eq!(out.code, 2, "{named}: {}", out.all());
        let (_, incomplete) = paths_and_incomplete(&out);
        assert_eq!(incomplete.len(), 1, "{named}: {incomplete:?}");
        assert_eq!(incomplete[0].1, named);
        assert!(
            incomplete[0].2.contains("FIFO, socket or device"),
            "{incomplete:?}"
        );
    }
    // Met while walking, a FIFO is a counted skip and the run is complete.
    let out = run(d, &["scan", "--format", "json", "tree"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let v = json(&out);
    assert_eq!(v["summary"]["skipped"]["not_regular"], 1);
    assert_eq!(v["incomplete"].as_array().unwrap().len(), 0);
}

/// A repository in `dir` with a deterministic git and the given global configuration (a real
/// `core.excludesFile` through `GIT_CONFIG_GLOBAL` and `HOME`).
struct Repo<'a> {
    root: &'a Path,
    home: &'a Path,
}

impl Repo<'_> {
    fn env(&self) -> Vec<(String, String)> {
        let h = self.home.display().to_string();
        vec![
            ("HOME".into(), h.clone()),
            ("XDG_CONFIG_HOME".into(), format!("{h}/.config")),
            ("GIT_CONFIG_GLOBAL".into(), format!("{h}/.gitconfig")),
            ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
        ]
    }

    fn git(&self, args: &[&str]) {
        let ok = Command::new("git")
            .args(args)
            .current_dir(self.root)
            .envs(self.env())
            .env("GIT_AUTHOR_NAME", "Ada Tester")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_NAME", "Ada Tester")
            .env("GIT_COMMITTER_EMAIL", "ada@example.com")
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    fn scan(&self, dir: &Path, args: &[&str]) -> (i32, Vec<String>, String) {
        let env = self.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let mut all = vec!["scan", "--format", "json"];
        all.extend(args);
        let out = run_with(dir, &all, None, &env);
        let (mut paths, _) = paths_and_incomplete(&out);
        paths.sort();
        (out.code, paths, out.all())
    }
}

#[test]
fn tracked_files_are_scanned_whatever_ignore_files_say() {
    let base = tempfile::tempdir().unwrap();
    let home = base.path().join("home");
    let outer = base.path().join("work");
    let root = outer.join("app");
    // The user's global excludes, as `git config --global core.excludesFile` writes it.
    write(
        &home.join(".gitconfig"),
        &format!(
            "[core]\n\texcludesFile = {}\n",
            home.join(".gitignore_global").display()
        ),
    );
    write(&home.join(".gitignore_global"), "*.env\n");
    // A .ignore above the repository, as a parent project of ripgrep users might have.
    write(&outer.join(".ignore"), "secrets/\n");
    std::fs::create_dir_all(&root).unwrap();
    let repo = Repo {
        root: &root,
        home: &home,
    };
    repo.git(&["init", "-q"]);
    write(&root.join("prod.env"), &env(KEY)); // tracked, globally excluded
    write(&root.join("secrets/app.conf"), &env(KEY2)); // tracked, in a .ignore above the repo
    write(
        &root.join("build/config.yml"),
        &format!("lusha:\n  api_key: {KEY3}\n"),
    ); // tracked, .gitignore
    write(&root.join(".gitignore"), "build/\n");
    repo.git(&["add", "-f", "prod.env", "secrets", "build", ".gitignore"]);
    repo.git(&["commit", "-q", "-m", "Initial"]);
    // Untracked files in the same places stay skipped...
    write(&root.join("local.env"), &env(KEY4));
    write(
        &root.join("build/cache.yml"),
        &format!("lusha:\n  api_key: {KEY4}\n"),
    );
    write(&root.join(".git/info/exclude"), "scratch/\n");
    write(&root.join("scratch/notes.txt"), &env(KEY4));
    // ...except where only a .ignore above the repository lists them: that file is not read.
    write(&root.join("secrets/new.conf"), &env(KEY4));

    let (code, paths, all) = repo.scan(&root, &["."]);
    assert_eq!(code, 1, "{all}");
    assert_eq!(
        paths,
        [
            "build/config.yml",
            "prod.env",
            "secrets/app.conf",
            "secrets/new.conf"
        ],
        "{all}"
    );
    // From a subdirectory the repository's rules still apply and tracked files still win...
    let (_, paths, all) = repo.scan(&root.join("secrets"), &["."]);
    assert_eq!(paths, ["app.conf", "new.conf"], "{all}");
    // ...and a directory named on the command line is scanned whole, even an ignored one.
    let (_, paths, all) = repo.scan(&root.join("build"), &["."]);
    assert_eq!(paths, ["cache.yml", "config.yml"], "{all}");
    // --no-ignore scans everything, as before.
    let (_, paths, _) = repo.scan(&root, &["--no-ignore", "."]);
    assert_eq!(paths.len(), 7, "{paths:?}");
}

#[test]
fn ignore_files_above_a_scanned_directory_outside_any_repository_are_not_read() {
    let base = tempfile::tempdir().unwrap();
    write(&base.path().join(".ignore"), "*.env\n");
    write(&base.path().join("project/.env"), &env(KEY));
    let out = run(
        &base.path().join("project"),
        &["scan", "--format", "json", "."],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    // Inside the scanned directory, .ignore applies as it always did.
    let out = run(base.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 0, "{}", out.all());
}

#[test]
fn repositories_inside_a_scanned_directory_keep_their_own_rules() {
    let base = tempfile::tempdir().unwrap();
    let home = base.path().join("home");
    write(&home.join(".gitconfig"), "");
    let projects = base.path().join("projects");
    let api = projects.join("api");
    std::fs::create_dir_all(&api).unwrap();
    let repo = Repo {
        root: &api,
        home: &home,
    };
    repo.git(&["init", "-q"]);
    write(&api.join(".gitignore"), "*.env\nnode_modules/\n");
    write(&api.join("prod.env"), &env(KEY)); // tracked though ignored
    write(&api.join("node_modules/pkg/.env"), &env(KEY2)); // untracked, ignored
    write(&api.join("local.env"), &env(KEY3)); // untracked, ignored
    repo.git(&["add", ".gitignore"]);
    repo.git(&["add", "-f", "prod.env"]);
    repo.git(&["commit", "-q", "-m", "Initial"]);
    write(&projects.join("notes/todo.env"), &env(KEY4)); // outside any repository
    let (code, paths, all) = repo.scan(&projects, &["."]);
    assert_eq!(code, 1, "{all}");
    assert_eq!(paths, ["api/prod.env", "notes/todo.env"], "{all}");
}
