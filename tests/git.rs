//! `lushaguard git` and `lushaguard hook` on real repositories built with the git CLI in temp
//! dirs: history attribution and deduplication, staged scans, hooks run by real `git commit` and
//! `git push` (including a server-side pre-receive hook and git's quarantine directory).

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use common::packed::zip_of;
use common::{bin, hermetic, KEY, KEY2};
use serde_json::Value;
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A third random UUID v4 for these tests; Lusha never issued it.
const KEY3: &str = "0d7e5b3a-9c41-4f2e-8a6d-3e1f7c9b2a54"; // lushaguard:allow (test key)

fn env_with(key: &str) -> String {
    format!("PORT=8080\nLUSHA_API_KEY={key}\n")
}

/// Environment that makes git deterministic and blind to the machine's own configuration.
fn git_env(cmd: &mut Command) -> &mut Command {
    // Per test thread, so each test sees the same dates whatever runs beside it.
    thread_local!(static CLOCK: Cell<u64> = const { Cell::new(0) });
    let t = 1_700_000_000 + 3600 * CLOCK.with(|c| c.replace(c.get() + 1));
    hermetic(cmd)
        .env("GIT_AUTHOR_DATE", format!("@{t} +0200"))
        .env("GIT_COMMITTER_DATE", format!("@{t} +0200"))
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.all()))
    }
}

fn output(cmd: &mut Command) -> Out {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs git in `dir`; panics if it fails.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = try_git(dir, args);
    assert_eq!(out.code, 0, "git {args:?} failed: {}", out.all());
    out.stdout.trim_end().to_string()
}

fn try_git(dir: &Path, args: &[&str]) -> Out {
    let mut cmd = Command::new("git");
    git_env(&mut cmd)
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir);
    output(&mut cmd)
}

/// Runs lushaguard in `dir` with a clean git environment.
fn lg(dir: &Path, args: &[&str]) -> Out {
    let mut cmd = Command::new(bin());
    git_env(&mut cmd).args(args).current_dir(dir);
    output(&mut cmd)
}

struct Repo {
    _tmp: tempfile::TempDir,
    path: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("repo");
        std::fs::create_dir(&path).unwrap();
        git(&path, &["init", "-q"]);
        Repo { _tmp: tmp, path }
    }

    fn write(&self, file: &str, content: &str) -> &Repo {
        self.write_bytes(file.as_ref(), content.as_bytes())
    }

    fn write_bytes(&self, file: &Path, content: &[u8]) -> &Repo {
        let p = self.path.join(file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
        self
    }

    fn git(&self, args: &[&str]) -> String {
        git(&self.path, args)
    }

    /// Stages everything and commits; returns the commit id.
    fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Clones this repository next to it, as `git clone ARGS... file://REPO NAME` does; returns
    /// the clone's path.
    fn clone_as(&self, name: &str, args: &[&str]) -> PathBuf {
        let dest = self._tmp.path().join(name);
        let url = format!("file://{}", self.path.display());
        let mut all = vec!["clone", "-q"];
        all.extend_from_slice(args);
        all.extend([url.as_str(), dest.to_str().unwrap()]);
        git(self._tmp.path(), &all);
        dest
    }

    /// Deletes the loose object `spec` names (as if the repository lost it); returns its id.
    fn remove_loose(&self, spec: &str) -> String {
        let id = self.git(&["rev-parse", spec]);
        let loose = self.path.join(".git/objects").join(&id[..2]).join(&id[2..]);
        std::fs::remove_file(loose).unwrap();
        id
    }

    fn scan(&self, args: &[&str]) -> Out {
        let mut all = vec!["git", "--format", "json"];
        all.extend_from_slice(args);
        lg(&self.path, &all)
    }
}

fn findings(v: &Value) -> &Vec<Value> {
    v["findings"].as_array().unwrap()
}

/// (path, line, commit summary, present_in_head) of each finding.
fn summary(v: &Value) -> Vec<(String, u64, String, Value)> {
    findings(v)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["commit"]["summary"].as_str().unwrap_or("").to_string(),
                f["present_in_head"].clone(),
            )
        })
        .collect()
}

#[test]
fn a_deleted_key_is_found_with_the_commit_that_added_it() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    r.write(".env", &env_with(KEY))
        .write("config/app.yml", &format!("lusha:\n  api_key: {KEY2}\n"));
    let added = r.commit("Add settings");
    r.write(".env", "PORT=8080\n").commit("Remove the key");

    let out = r.scan(&[]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = out.json();
    assert_eq!(
        summary(&v),
        vec![
            (".env".into(), 2, "Add settings".into(), Value::Bool(false)),
            (
                "config/app.yml".into(),
                2,
                "Add settings".into(),
                Value::Bool(true)
            ),
        ]
    );
    let c = &findings(&v)[0]["commit"];
    assert_eq!(c["id"], added.as_str());
    assert_eq!(c["author"], "Ada Tester");
    assert_eq!(c["email"], "ada@example.com");
    let date = c["date"].as_str().unwrap();
    assert!(
        date.starts_with("2023-11-") && date.ends_with("+02:00"),
        "{date}"
    );
    // The human report tells the reader a removed key still needs rotating.
    let human = lg(&r.path, &["git"]);
    assert!(
        human
            .stdout
            .contains("no longer in HEAD, but still in git history"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains(&added[..12]), "{}", human.stdout);
    assert!(!human.all().contains(KEY), "key leaked: {}", human.all());
}

#[test]
fn keys_only_on_a_side_branch_or_behind_a_tag_are_found() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    r.git(&["checkout", "-q", "-b", "feature"]);
    r.write(".env", &env_with(KEY)).commit("Feature settings");
    r.git(&["checkout", "-q", "main"]);
    // A key reachable only through an annotated tag on a deleted branch.
    r.git(&["checkout", "-q", "-b", "release"]);
    r.write("deploy/.env", &env_with(KEY2))
        .commit("Release settings");
    r.git(&["tag", "-a", "-m", "v1", "v1.0"]);
    r.git(&["checkout", "-q", "main"]);
    r.git(&["branch", "-q", "-D", "release"]);

    let v = r.scan(&[]).json();
    assert_eq!(
        summary(&v),
        vec![
            (
                ".env".into(),
                2,
                "Feature settings".into(),
                Value::Bool(false)
            ),
            (
                "deploy/.env".into(),
                2,
                "Release settings".into(),
                Value::Bool(false)
            ),
        ]
    );
    // --branch limits the walk to one branch.
    let v = r.scan(&["--branch", "main"]).json();
    assert!(findings(&v).is_empty(), "{v}");
    let v = r.scan(&["--branch", "feature"]).json();
    assert_eq!(findings(&v).len(), 1);
}

#[test]
fn renames_edits_and_moves_report_a_key_once_at_its_first_commit() {
    let r = Repo::new();
    r.write(".env", &env_with(KEY)).commit("Add key");
    r.git(&["mv", ".env", ".env.production"]);
    r.commit("Rename");
    r.write(".env.production", &format!("{}DEBUG=0\n", env_with(KEY)))
        .commit("Edit another line");
    // Move and edit in one commit: a new blob at a new path, the old path gone.
    r.git(&["mv", ".env.production", "deploy.env"]);
    r.write("deploy.env", &format!("{}DEBUG=1\n", env_with(KEY)))
        .commit("Move and edit");
    // A copy with other content is a second place to clean up: reported. (A byte-identical
    // copy is the same blob, reported once at its first path.)
    r.write("backup.env", &format!("# backup\n{}", env_with(KEY)))
        .commit("Copy");

    let v = r.scan(&[]).json();
    assert_eq!(
        summary(&v),
        vec![
            (".env".into(), 2, "Add key".into(), Value::Bool(true)),
            ("backup.env".into(), 3, "Copy".into(), Value::Bool(true)),
        ]
    );
    assert_eq!(v["summary"]["unique_secrets"], 1);
}

#[test]
fn merges_attribute_keys_to_the_commit_that_wrote_them() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    r.git(&["checkout", "-q", "-b", "topic"]);
    r.write("topic.env", &env_with(KEY)).commit("Topic key");
    r.git(&["checkout", "-q", "main"]);
    r.write("main.txt", "main work\n").commit("Main work");
    r.git(&["merge", "-q", "--no-ff", "-m", "Merge topic", "topic"]);
    // An "evil" merge: the merge commit itself adds a key no parent has.
    r.git(&["checkout", "-q", "-b", "topic2"]);
    r.write("t2.txt", "x\n").commit("Topic 2");
    r.git(&["checkout", "-q", "main"]);
    r.git(&["merge", "-q", "--no-ff", "--no-commit", "topic2"]);
    r.write("merge.env", &env_with(KEY2));
    r.git(&["add", "-A"]);
    r.git(&["commit", "-q", "-m", "Merge topic2 with a key"]);

    let v = r.scan(&[]).json();
    assert_eq!(
        summary(&v),
        vec![
            (
                "merge.env".into(),
                2,
                "Merge topic2 with a key".into(),
                Value::Bool(true)
            ),
            ("topic.env".into(), 2, "Topic key".into(), Value::Bool(true)),
        ]
    );
}

#[test]
fn range_scans_see_only_their_commits() {
    let r = Repo::new();
    r.write("a.env", &env_with(KEY));
    let first = r.commit("First key");
    r.write("b.env", &env_with(KEY2));
    let second = r.commit("Second key");
    r.write("c.env", &env_with(KEY3)).commit("Third key");

    let range = format!("{first}..{second}");
    let v = r.scan(&["--range", &range]).json();
    assert_eq!(
        summary(&v),
        vec![("b.env".into(), 2, "Second key".into(), Value::Bool(true))]
    );
    let v = r.scan(&["--range", &first]).json();
    assert_eq!(summary(&v).len(), 1);
    assert_eq!(summary(&v)[0].0, "a.env");
    let v = r.scan(&["--range", "HEAD~1..HEAD"]).json();
    assert_eq!(summary(&v)[0].0, "c.env");
    // --since: commits committed at or after the second one.
    let when = format!("@{}", r.git(&["log", "-1", "--format=%ct", &second]));
    let v = r.scan(&["--since", &when]).json();
    let paths: Vec<String> = summary(&v).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, vec!["b.env", "c.env"]);

    let bad = r.scan(&["--range", "nope..HEAD"]);
    assert_eq!(bad.code, 2, "{}", bad.all());
    assert_eq!(bad.stderr.lines().count(), 1, "{}", bad.stderr);
    assert!(bad.stderr.contains("nope..HEAD"), "{}", bad.stderr);
}

#[test]
fn bare_repositories_and_exit_codes() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    let clean = lg(&r.path, &["git", "."]);
    assert_eq!(clean.code, 0, "{}", clean.all());
    assert!(
        clean.stdout.contains("No secrets found"),
        "{}",
        clean.stdout
    );

    r.write(".env", &env_with(KEY)).commit("Key");
    let bare = r._tmp.path().join("bare.git");
    git(
        r._tmp.path(),
        &["clone", "-q", "--bare", "repo", bare.to_str().unwrap()],
    );
    let out = lg(r._tmp.path(), &["git", "--format", "json", "bare.git"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(summary(&out.json())[0].0, ".env");
    let out = lg(r._tmp.path(), &["git", "--exit-code", "9", "bare.git"]);
    assert_eq!(out.code, 9);

    let not_repo = tempfile::tempdir().unwrap();
    let out = lg(not_repo.path(), &["git", "."]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("not a git repository"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
}

#[test]
fn output_is_identical_at_any_thread_count() {
    let r = Repo::new();
    for i in 0..12 {
        let key = [KEY, KEY2, KEY3][i % 3];
        r.write(
            &format!("svc{i}/.env"),
            &format!("# service {i}\n{}", env_with(key)),
        )
        .write(
            &format!("svc{i}/notes.txt"),
            &"filler line\n".repeat(i * 50),
        )
        .commit(&format!("Service {i}"));
    }
    let one = lg(&r.path, &["git", "--format", "json", "--threads", "1"]);
    let four = lg(&r.path, &["git", "--format", "json", "--threads", "4"]);
    assert_eq!(one.code, 1);
    assert_eq!(findings(&one.json()).len(), 12);
    assert_eq!(one.stdout, four.stdout);
    assert_eq!(one.stderr, four.stderr);
}

#[test]
fn history_is_identical_at_any_thread_count_across_walkers_packs_and_renames() {
    // Enough commits for several walker chunks, renames and copies (a blob met again at another
    // path), blobs stored as deltas in a pack, and keys that come and go: whichever thread walks
    // or reads what, the report is the same.
    let r = Repo::new();
    for i in 0..150 {
        let key = [KEY, KEY2, KEY3][i % 3];
        let svc = i % 7;
        r.write(
            &format!("svc{svc}/settings.env"),
            &format!("# revision {i}\n{}", env_with(key)),
        )
        .write(&format!("svc{svc}/log.txt"), &"line\n".repeat(i + 1));
        if i % 10 == 9 {
            r.git(&["mv", &format!("svc{svc}"), &format!("moved{i}")]);
        }
        if i % 25 == 0 {
            std::fs::remove_dir_all(r.path.join(format!("svc{}", (svc + 1) % 7))).ok();
        }
        r.commit(&format!("Revision {i}"));
    }
    r.git(&["gc", "-q"]);
    let one = lg(&r.path, &["git", "--format", "json", "--threads", "1"]);
    assert_eq!(one.code, 1, "{}", one.all());
    assert!(findings(&one.json()).len() >= 3, "{}", one.stdout);
    for threads in ["2", "3", "8"] {
        let other = lg(&r.path, &["git", "--format", "json", "--threads", threads]);
        assert_eq!(one.stdout, other.stdout, "--threads {threads}");
        assert_eq!(one.stderr, other.stderr, "--threads {threads}");
    }
}

/// A text blob larger than the size over which blobs stored whole are streamed (32 MiB), with
/// `key` on its last line.
fn large_text_with(key: &str) -> String {
    let mut text = String::with_capacity(34 << 20);
    let mut n = 0u64;
    while text.len() < 33 << 20 {
        text.push_str(&format!("row {n} of generated data, nothing to see\n"));
        n += 1;
    }
    text.push_str(&env_with(key));
    text
}

#[test]
fn a_large_blob_is_streamed_from_its_pack_and_a_damaged_one_is_incomplete() {
    let r = Repo::new();
    let text = large_text_with(KEY);
    let last_line = text.lines().count() as u64;
    r.write("big.env", &text).commit("Large settings");
    r.git(&["gc", "-q"]);
    let out = r.scan(&[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(summary(&out.json())[0].0, "big.env");
    assert_eq!(summary(&out.json())[0].1, last_line);

    // Damage the middle of the blob's deflated data: the stream must fail, and the blob is
    // named as not scanned rather than scanned as whatever it inflates to.
    let blob = r.git(&["rev-parse", "HEAD:big.env"]);
    let pack = std::fs::read_dir(r.path.join(".git/objects/pack"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "pack"))
        .unwrap();
    let listing = r.git(&[
        "verify-pack",
        "-v",
        pack.with_extension("idx").to_str().unwrap(),
    ]);
    let entry: Vec<u64> = listing
        .lines()
        .find(|l| l.starts_with(&blob))
        .unwrap()
        .split_whitespace()
        .skip(3)
        .take(2)
        .map(|n| n.parse().unwrap())
        .collect();
    let (packed, offset) = (entry[0], entry[1]);
    let mut bytes = std::fs::read(&pack).unwrap();
    let at = usize::try_from(offset + packed / 2).unwrap();
    bytes[at] ^= 0x5a;
    bytes[at + 1] ^= 0xa5;
    let mut perms = std::fs::metadata(&pack).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&pack, perms).unwrap();
    std::fs::write(&pack, bytes).unwrap();

    let out = r.scan(&[]);
    assert_eq!(out.code, 2, "{}", out.all());
    let items = incomplete(&out.json());
    assert!(
        items
            .iter()
            .any(|(kind, what, _)| kind == "object" && what.contains("big.env")),
        "{items:?}"
    );
}

#[test]
fn whether_a_key_is_in_head_is_unknown_when_part_of_head_cannot_be_read() {
    let r = Repo::new();
    let base = r.write("notes.txt", "nothing here\n").commit("Notes");
    r.write("a.env", &env_with(KEY)).commit("Add a key");
    std::fs::remove_file(r.path.join("a.env")).unwrap();
    r.commit("Remove the key");
    // HEAD's notes.txt is outside the range, so HEAD is read to answer "still in HEAD?".
    r.remove_loose("HEAD:notes.txt");

    let range = format!("{base}..HEAD");
    let out = r.scan(&["--range", &range]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = out.json();
    // Not "false": a blob of HEAD went unread, so the key might be in it.
    assert_eq!(findings(&v)[0]["present_in_head"], Value::Null, "{v}");
}

#[test]
fn a_missing_object_is_a_warning_naming_it_and_the_scan_goes_on() {
    let r = Repo::new();
    r.write("a.env", &env_with(KEY))
        .write("b.txt", "nothing here\n")
        .commit("Two files");
    let blob = r.remove_loose("HEAD:b.txt");

    let out = r.scan(&[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains(&blob), "{}", out.stderr);
    assert_eq!(summary(&out.json())[0].0, "a.env");
    assert_eq!(out.json()["summary"]["skipped"]["unreadable"], 1);
}

#[test]
fn shallow_clones_submodules_and_lfs_pointers_are_noted() {
    let r = Repo::new();
    r.write("old.env", &env_with(KEY)).commit("Old key");
    r.write("old.env", "PORT=1\n")
        .write("new.env", &env_with(KEY2))
        .write(
            "model.bin",
            "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
        )
        .commit("New key and an LFS file");
    // A gitlink, as `git submodule add` leaves it.
    let head = r.git(&["rev-parse", "HEAD"]);
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{head},vendor/lib"),
    ]);
    r.git(&["commit", "-q", "-m", "Submodule"]);

    let out = r.scan(&[]);
    assert!(
        out.stderr.contains("1 submodule entry (gitlinks) skipped"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("1 Git LFS pointer file skipped"),
        "{}",
        out.stderr
    );
    assert_eq!(findings(&out.json()).len(), 2);

    let shallow = r.clone_as("shallow", &["--depth", "1"]);
    let out = lg(&shallow, &["git", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("shallow clone"), "{}", out.stderr);
    // Only what the clone has: the key still in HEAD, not the one removed before the boundary.
    assert_eq!(summary(&out.json())[0].0, "new.env");
    assert_eq!(findings(&out.json()).len(), 1);
}

#[test]
fn staged_scans_the_index_not_the_work_tree() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    // A key only in the work tree is not what would be committed.
    r.write(".env", &env_with(KEY));
    let out = lg(&r.path, &["git", "--staged"]);
    assert_eq!(out.code, 0, "{}", out.all());
    // Staged, then removed from the work tree: the index still has it.
    r.git(&["add", ".env"]);
    r.write(".env", "PORT=8080\n");
    let out = lg(&r.path, &["git", "--staged", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = out.json();
    assert_eq!(findings(&v)[0]["path"], ".env");
    assert_eq!(findings(&v)[0]["line"], 2);
    assert!(findings(&v)[0]["commit"].is_null());
}

/// Regression: a staged blob missing from the object store stopped the whole `--staged` scan
/// with an error and no report; it is one object not scanned, and the rest is still scanned.
#[test]
fn staged_blob_that_cannot_be_read_is_incomplete_and_the_rest_is_scanned() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    r.write(".env", &env_with(KEY));
    r.write("lost.txt", "this blob will go missing\n");
    r.git(&["add", ".env", "lost.txt"]);
    let id = r.git(&["rev-parse", ":lost.txt"]);
    let id = id.trim();
    std::fs::remove_file(r.path.join(".git/objects").join(&id[..2]).join(&id[2..])).unwrap();
    let out = lg(&r.path, &["git", "--staged", "--format", "json"]);
    // The key in `.env` is found (1), and the report says what was not scanned.
    assert_eq!(out.code, 1, "{}", out.all());
    let v = out.json();
    assert_eq!(findings(&v)[0]["path"], ".env");
    assert_eq!(findings(&v)[0]["provenance"]["kind"], "staged");
    let incomplete = v["incomplete"].as_array().unwrap();
    assert_eq!(incomplete.len(), 1, "{v}");
    assert_eq!(incomplete[0]["kind"], "object");
    assert_eq!(incomplete[0]["what"], "lost.txt");
    assert_eq!(v["summary"]["skipped"]["unreadable"], 1);
    // Alone, the unreadable blob makes the run incomplete: exit 2, with a report.
    r.git(&["rm", "--cached", "-q", ".env"]);
    let out = lg(&r.path, &["git", "--staged", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert_eq!(out.json()["incomplete"][0]["what"], "lost.txt");
}

/// `--staged` reads and scans on the worker threads: the report is the same at any count.
#[test]
fn staged_reports_are_identical_across_thread_counts() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    for i in 0..24 {
        let content = if i % 5 == 0 {
            env_with(if i % 2 == 0 { KEY } else { KEY2 })
        } else {
            format!("PORT={i}\n")
        };
        r.write(&format!("svc{i:02}/.env"), &content);
    }
    r.git(&["add", "."]);
    let one = lg(
        &r.path,
        &["git", "--staged", "--format", "json", "--threads", "1"],
    );
    let four = lg(
        &r.path,
        &["git", "--staged", "--format", "json", "--threads", "4"],
    );
    assert_eq!(one.code, 1, "{}", one.all());
    assert_eq!(one.stdout, four.stdout);
    let v = one.json();
    assert_eq!(findings(&v).len(), 5);
    assert_eq!(v["summary"]["files_scanned"], 24);
    assert!(findings(&v)
        .iter()
        .all(|f| f["provenance"]["kind"] == "staged"));
}

#[test]
fn staged_reports_only_added_lines() {
    let r = Repo::new();
    r.write(
        "config/settings.py",
        &format!("DEBUG = False\nLUSHA_API_KEY = \"{KEY}\"\nTIMEOUT = 5\n"),
    )
    .commit("Old key");
    // An unrelated change in the same file does not trip over the old key.
    r.write(
        "config/settings.py",
        &format!("DEBUG = True\nLUSHA_API_KEY = \"{KEY}\"\nTIMEOUT = 5\n"),
    );
    r.git(&["add", "-A"]);
    let out = lg(&r.path, &["git", "--staged"]);
    assert_eq!(out.code, 0, "{}", out.all());
    // A new key on a new line does.
    r.write(
        "config/settings.py",
        &format!(
            "DEBUG = True\nLUSHA_API_KEY = \"{KEY}\"\nTIMEOUT = 5\nLUSHA_BACKUP_KEY = \"{KEY2}\"\n"
        ),
    );
    r.git(&["add", "-A"]);
    let out = lg(&r.path, &["git", "--staged", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let lines: Vec<u64> = findings(&out.json())
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![4]);
}

#[test]
fn staged_works_without_commits_and_with_renames_deletions_binaries_and_odd_names() {
    let r = Repo::new();
    r.write(".env", &env_with(KEY));
    r.git(&["add", "-A"]);
    let out = lg(&r.path, &["git", "--staged", "--format", "json"]);
    assert_eq!(out.code, 1, "no commits yet: {}", out.all());
    r.commit("Old key");

    // Renaming a file with an old key, and deleting another, adds no key.
    r.write("other.txt", "x\n").commit("Other");
    r.git(&["mv", ".env", "prod.env"]);
    r.git(&["rm", "-q", "other.txt"]);
    let out = lg(&r.path, &["git", "--staged"]);
    assert_eq!(out.code, 0, "{}", out.all());
    r.commit("Rename");

    // A binary file is searched like any other (all of it counts as added).
    let mut binary = b"\0\x01\x02LUSHA_API_KEY=".to_vec();
    binary.extend_from_slice(KEY2.as_bytes());
    binary.push(b'\n');
    r.write_bytes(Path::new("blob.dat"), &binary);
    r.git(&["add", "-A"]);
    let out = lg(&r.path, &["git", "--staged", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(findings(&out.json())[0]["path"], "blob.dat");
    r.commit("Binary");

    // A path that is not UTF-8.
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let name = std::ffi::OsStr::from_bytes(b"lusha-\xff.env");
        r.write_bytes(Path::new(name), env_with(KEY3).as_bytes());
        r.git(&["add", "-A"]);
        let out = lg(&r.path, &["git", "--staged", "--format", "json"]);
        assert_eq!(out.code, 1, "{}", out.all());
        assert_eq!(findings(&out.json())[0]["path"], "lusha-\u{fffd}.env");
    }
}

#[test]
fn staged_follows_renames_with_edits_and_intent_to_add_entries() {
    let r = Repo::new();
    let old = format!("DEBUG = False\nLUSHA_API_KEY = \"{KEY}\"\nTIMEOUT = 5\nRETRIES = 3\n");
    r.write("settings.py", &old).commit("Old key");
    // Moved and edited: the old key's line is not new.
    std::fs::remove_file(r.path.join("settings.py")).unwrap();
    r.write("app/settings.py", &format!("{old}COLOR = 1\n"));
    r.git(&["add", "-A"]);
    let out = lg(&r.path, &["git", "--staged"]);
    assert_eq!(out.code, 0, "{}", out.all());
    // Moved with a new key line: only that line.
    r.write(
        "app/settings.py",
        &format!("{old}LUSHA_BACKUP_KEY = \"{KEY2}\"\n"),
    );
    r.git(&["add", "-A"]);
    let out = lg(&r.path, &["git", "--staged", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let lines: Vec<u64> = findings(&out.json())
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![5]);
    // An intent-to-add entry (`git add -N`) takes the general diff; still correct.
    r.write("later.txt", "not yet\n");
    r.git(&["add", "-N", "later.txt"]);
    let out = lg(&r.path, &["git", "--staged", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(findings(&out.json())[0]["path"], "app/settings.py");
}

/// A directory holding a `lushaguard` that runs the binary under test, for hooks that look on
/// PATH, and the PATH to use.
fn path_with_lushaguard(dir: &Path) -> String {
    let bindir = dir.join("bin");
    std::fs::create_dir_all(&bindir).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(bin(), bindir.join("lushaguard")).unwrap();
    format!(
        "{}:{}",
        bindir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

fn git_with_path(dir: &Path, path: &str, args: &[&str]) -> Out {
    let mut cmd = Command::new("git");
    git_env(&mut cmd)
        .env("PATH", path)
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir);
    output(&mut cmd)
}

#[test]
fn installed_pre_commit_hook_blocks_staged_keys_only() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    let out = lg(&r.path, &["hook", "install"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let hook = r.path.join(".git/hooks/pre-commit");
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("git --staged"));
    // Found through PATH...
    let path = path_with_lushaguard(r._tmp.path());
    r.write(".env", &env_with(KEY));
    r.git(&["add", "-A"]);
    let blocked = git_with_path(&r.path, &path, &["commit", "-q", "-m", "leak"]);
    assert_ne!(blocked.code, 0, "{}", blocked.all());
    assert!(
        blocked
            .all()
            .contains("6f1c****-****-****-****-********6c35"),
        "{}",
        blocked.all()
    );
    assert!(!blocked.all().contains(KEY));
    assert_eq!(r.git(&["rev-list", "--count", "HEAD"]), "1");
    // ...or, off PATH, at the absolute path of the binary that installed it.
    let bare_path = "/usr/local/bin:/usr/bin:/bin";
    let blocked = git_with_path(&r.path, bare_path, &["commit", "-q", "-m", "leak"]);
    assert_ne!(blocked.code, 0, "{}", blocked.all());
    // `git commit -a` commits through a temporary index (GIT_INDEX_FILE): still seen.
    r.git(&["reset", "-q"]);
    std::fs::remove_file(r.path.join(".env")).unwrap();
    r.write("README.md", "# app\n")
        .write("README.md", &format!("# app\n\nLUSHA_API_KEY={KEY2}\n"));
    let blocked = git_with_path(&r.path, &path, &["commit", "-q", "-a", "-m", "leak"]);
    assert_ne!(blocked.code, 0, "commit -a: {}", blocked.all());
    // A clean commit passes.
    r.write("README.md", "# app\n\nsee docs\n");
    let ok = git_with_path(&r.path, &path, &["commit", "-q", "-a", "-m", "docs"]);
    assert_eq!(ok.code, 0, "{}", ok.all());
}

#[test]
fn a_blocked_commit_gets_advice_for_a_commit() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    let out = lg(&r.path, &["hook", "install"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let path = path_with_lushaguard(r._tmp.path());
    r.write(".env", &env_with(KEY));
    r.git(&["add", "-A"]);
    let blocked = git_with_path(&r.path, &path, &["commit", "-q", "-m", "leak"]);
    assert_ne!(blocked.code, 0, "{}", blocked.all());
    let all = blocked.all();
    assert!(
        all.contains("6f1c****-****-****-****-********6c35"),
        "{all}"
    );
    assert!(
        all.contains("commit blocked") && all.contains("Nothing was committed"),
        "{all}"
    );
    // Nothing reached history: no history rewriting, no force-push, and no flag to rerun with.
    assert!(!all.contains("force-push"), "{all}");
    assert!(!all.contains("filter-repo"), "{all}");
    assert!(!all.contains("--explain"), "{all}");
    // A history scan keeps the rule's full remediation.
    r.git(&["commit", "-q", "--no-verify", "-m", "leak"]);
    let out = lg(&r.path, &["git"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stdout.contains("force-push"), "{}", out.stdout);
    assert!(out.stdout.contains("--explain"), "{}", out.stdout);
}

#[test]
fn hook_uninstall_puts_back_the_users_hooks_and_undoes_each_install() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    let hooks = r.path.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let marker = r._tmp.path().join("ran");
    let theirs = |name: &str| format!("#!/bin/sh\necho {name} >> '{}'\n", marker.display());
    let write_hook = |hook: &str, text: &str, mode: u32| {
        let p = hooks.join(hook);
        std::fs::write(&p, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        #[cfg(not(unix))]
        let _ = mode;
    };
    let mode = |hook: &str| {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(hooks.join(hook))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        }
        #[cfg(not(unix))]
        0
    };
    let read = |hook: &str| std::fs::read_to_string(hooks.join(hook)).ok();
    write_hook("pre-commit", &theirs("first"), 0o750);
    write_hook("pre-push", &theirs("push"), 0o700);

    // Installed over the user's hooks, reinstalled, then a tool replaces our pre-commit hook
    // and lushaguard is installed over that one too: three installs, two backups of pre-commit.
    let out = lg(&r.path, &["hook", "install", "--pre-push", "--force"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let out = lg(&r.path, &["hook", "install", "--pre-push"]);
    assert_eq!(out.code, 0, "{}", out.all());
    write_hook("pre-commit", &theirs("second"), 0o755);
    let out = lg(&r.path, &["hook", "install", "--force"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(
        read("pre-commit.bak.1").as_deref(),
        Some(theirs("second").as_str())
    );

    // Uninstalling undoes the last install of each hook: the hook each one replaced is back,
    // with its content and mode, and the backup it was kept under is gone.
    let out = lg(&r.path, &["hook", "uninstall"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("put back"), "{}", out.stdout);
    assert_eq!(
        read("pre-commit").as_deref(),
        Some(theirs("second").as_str())
    );
    assert_eq!(read("pre-push").as_deref(), Some(theirs("push").as_str()));
    assert_eq!(read("pre-commit.bak.1"), None);
    assert_eq!(read("pre-push.bak"), None);
    #[cfg(unix)]
    {
        assert_eq!(mode("pre-commit"), 0o755);
        assert_eq!(mode("pre-push"), 0o700);
    }
    // The first hook was not ours to put back any more: the second replaced our hook, so it
    // stays the leftover backup it was before the last install.
    assert_eq!(
        read("pre-commit.bak").as_deref(),
        Some(theirs("first").as_str())
    );

    // git runs the user's hook again, and lushaguard no longer: a staged key is committed.
    let path = path_with_lushaguard(r._tmp.path());
    r.write(".env", &env_with(KEY));
    r.git(&["add", "-A"]);
    let ok = git_with_path(&r.path, &path, &["commit", "-q", "-m", "unguarded"]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "second\n");

    // Again: nothing of ours is left, and the user's hooks are not touched.
    let out = lg(&r.path, &["hook", "uninstall"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains("left the pre-commit hook"),
        "{}",
        out.stdout
    );
    assert_eq!(
        read("pre-commit").as_deref(),
        Some(theirs("second").as_str())
    );

    // With no hook before it, uninstalling removes ours and leaves nothing; core.hooksPath is
    // followed both ways.
    r.git(&["config", "core.hooksPath", "tools/hooks"]);
    let out = lg(&r.path, &["hook", "install", "--pre-push"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let custom = r.path.join("tools/hooks");
    assert!(custom.join("pre-commit").is_file());
    let out = lg(&r.path, &["hook", "uninstall"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(std::fs::read_dir(&custom).unwrap().count(), 0);
    let out = lg(&r.path, &["hook", "uninstall"]);
    assert!(
        out.stdout.contains("no lushaguard hook in"),
        "{}",
        out.stdout
    );
}

#[test]
fn hook_uninstall_unwinds_a_chain_of_lushaguard_hooks_down_to_the_users() {
    // Our hook kept as another of ours' backup (someone moved it aside and installed again):
    // uninstalling undoes both and ends at the user's hook.
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    let hooks = r.path.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let users = "#!/bin/sh\nexit 0\n";
    std::fs::write(hooks.join("pre-commit"), users).unwrap();
    assert_eq!(lg(&r.path, &["hook", "install", "--force"]).code, 0);
    let ours = std::fs::read_to_string(hooks.join("pre-commit")).unwrap();
    std::fs::rename(hooks.join("pre-commit"), hooks.join("pre-commit.saved")).unwrap();
    std::fs::write(
        hooks.join("pre-commit"),
        "#!/bin/sh\nexit 0\n# placeholder\n",
    )
    .unwrap();
    assert_eq!(lg(&r.path, &["hook", "install", "--force"]).code, 0);
    // Now pre-commit (ours) runs pre-commit.bak.1 (the placeholder); make that one ours too,
    // running pre-commit.bak (the user's).
    std::fs::rename(
        hooks.join("pre-commit.saved"),
        hooks.join("pre-commit.bak.1"),
    )
    .unwrap();
    assert!(ours.contains("pre-commit.bak"));
    let out = lg(&r.path, &["hook", "uninstall"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        users
    );
    assert!(!hooks.join("pre-commit.bak").exists());
    assert!(!hooks.join("pre-commit.bak.1").exists());
}

#[test]
fn history_summaries_count_commits_and_blobs_and_since_wants_a_date() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    r.write(".env", &env_with(KEY)).commit("key");
    r.write("README.md", "# app\n\nmore\n").commit("docs");
    let out = lg(&r.path, &["git"]);
    assert_eq!(out.code, 1, "{}", out.all());
    // Three commits; three distinct blobs (README twice, .env once).
    assert!(
        out.stdout
            .contains("of 1 distinct key; 3 commits, 3 blobs ("),
        "{}",
        out.stdout
    );
    let v = r.scan(&[]).json();
    assert_eq!(v["summary"]["commits"], 3, "{}", v["summary"]);
    assert_eq!(v["summary"]["files_scanned"], 3);
    // A file scan and a staged scan count files, and have no `commits`.
    let staged = lg(&r.path, &["git", "--staged", "--format", "json"]).json();
    assert!(
        staged["summary"].get("commits").is_none(),
        "{}",
        staged["summary"]
    );
    let files = lg(&r.path, &["scan", "."]);
    assert!(files.stdout.contains(" files ("), "{}", files.stdout);

    for bad in ["yesterday", "2024-02-30", "31/01/2024"] {
        let out = lg(&r.path, &["git", "--since", bad]);
        assert_eq!(out.code, 2, "{bad}: {}", out.all());
        assert!(
            out.stderr.contains(&format!("`{bad}` is not a date")),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains("revision"), "{}", out.stderr);
    }
    let out = lg(
        &r.path,
        &["git", "--since", "2000-01-01", "--format", "json"],
    );
    assert_eq!(out.code, 1, "{}", out.all());
}

#[test]
fn hook_install_respects_foreign_hooks_hooks_path_and_worktrees() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    let hooks = r.path.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    std::fs::write(hooks.join("pre-commit"), "#!/bin/sh\necho theirs\n").unwrap();
    let out = lg(&r.path, &["hook", "install", "--pre-push"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert!(!hooks.join("pre-push").exists(), "nothing half-installed");
    let out = lg(&r.path, &["hook", "install", "--pre-push", "--force"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit.bak")).unwrap(),
        "#!/bin/sh\necho theirs\n"
    );
    assert!(std::fs::read_to_string(hooks.join("pre-push"))
        .unwrap()
        .contains("hook pre-push"));
    // Our own hooks are replaced without --force.
    let out = lg(&r.path, &["hook", "install", "--pre-push"]);
    assert_eq!(out.code, 0, "{}", out.all());

    // core.hooksPath, relative to the work tree.
    r.git(&["config", "core.hooksPath", "tools/hooks"]);
    let out = lg(&r.path, &["hook", "install"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(r.path.join("tools/hooks/pre-commit").is_file());
    r.git(&["config", "--unset", "core.hooksPath"]);

    // From a linked worktree the hook goes to the shared hooks directory.
    std::fs::remove_file(hooks.join("pre-commit")).unwrap();
    let wt = r._tmp.path().join("wt");
    r.git(&["worktree", "add", "-q", wt.to_str().unwrap()]);
    let out = lg(&wt, &["hook", "install"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(hooks.join("pre-commit").is_file(), "{}", out.stdout);
}

/// A bare "server" repository and a clone of it to push from.
fn server_and_clone() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let server = tmp.path().join("server.git");
    let client = tmp.path().join("client");
    git(tmp.path(), &["init", "-q", "--bare", "server.git"]);
    git(
        tmp.path(),
        &["clone", "-q", server.to_str().unwrap(), "client"],
    );
    std::fs::write(client.join("README.md"), "# app\n").unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "initial"]);
    git(&client, &["push", "-q", "origin", "HEAD:main"]);
    (tmp, server, client)
}

#[test]
fn pre_push_scans_only_the_commits_being_pushed() {
    let (tmp, server, client) = server_and_clone();
    // An old key already on the remote does not block later pushes.
    std::fs::write(client.join("old.env"), env_with(KEY)).unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "old key"]);
    git(&client, &["push", "-q", "origin", "HEAD:main"]);

    let out = lg(&client, &["hook", "install", "--pre-push"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let path = path_with_lushaguard(tmp.path());

    std::fs::write(client.join("notes.txt"), "clean\n").unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "clean"]);
    let ok = git_with_path(&client, &path, &["push", "-q", "origin", "HEAD:main"]);
    assert_eq!(ok.code, 0, "{}", ok.all());

    // A new key in a new branch is blocked, even though a later commit removes it.
    git(&client, &["checkout", "-q", "-b", "feature"]);
    std::fs::write(client.join("new.env"), env_with(KEY2)).unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "--no-verify", "-m", "new key"]);
    std::fs::remove_file(client.join("new.env")).unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "remove it"]);
    let blocked = git_with_path(&client, &path, &["push", "-q", "origin", "feature"]);
    assert_ne!(blocked.code, 0, "{}", blocked.all());
    let all = blocked.all();
    assert!(all.contains("push blocked"), "{all}");
    assert!(
        all.contains("b2e4****-****-****-****-********b842"),
        "{all}"
    );
    // Advice for a push: an allow mark added now cannot clear the commits that hold the key;
    // `.lushaguardignore` on the remote's branch can. Nothing about force-pushing (nothing was
    // pushed) or --explain (a hook cannot be rerun with flags).
    assert!(
        all.contains("cannot change the commits above") && all.contains("`.lushaguardignore`"),
        "{all}"
    );
    assert!(!all.contains("force-push"), "{all}");
    assert!(!all.contains("--explain"), "{all}");
    // The summary counts what a history scan reads: commits and blobs.
    assert!(all.contains("2 commits, 1 blob ("), "{all}");
    assert!(!all.contains("6f1c****"), "the old key was reported: {all}");
    assert!(
        try_git(
            &server,
            &["rev-parse", "--verify", "-q", "refs/heads/feature"]
        )
        .code
            != 0
    );
    // Deleting a remote branch sends nothing and is never blocked.
    git(
        &client,
        &["push", "-q", "--no-verify", "origin", "feature:doomed"],
    );
    let ok = git_with_path(&client, &path, &["push", "-q", "origin", ":doomed"]);
    assert_eq!(ok.code, 0, "{}", ok.all());
}

#[test]
fn pre_push_takes_the_range_from_the_pre_commit_framework() {
    // pre-commit consumes git's pre-push lines and passes the range in the environment.
    let (_tmp, _server, client) = server_and_clone();
    let base = git(&client, &["rev-parse", "HEAD"]);
    std::fs::write(client.join("new.env"), env_with(KEY2)).unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "new key"]);
    let tip = git(&client, &["rev-parse", "HEAD"]);
    let run = |from: &str| {
        let mut cmd = Command::new(bin());
        git_env(&mut cmd)
            .args(["hook", "pre-push", "origin", "url"])
            .env("PRE_COMMIT_FROM_REF", from)
            .env("PRE_COMMIT_TO_REF", &tip)
            .current_dir(&client);
        output(&mut cmd)
    };
    let out = run(&base);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("new.env"), "{}", out.stderr);
    let out = run(&tip);
    assert_eq!(out.code, 0, "nothing new: {}", out.all());
}

fn install_pre_receive(server: &Path) {
    let hook = server.join("hooks/pre-receive");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
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
}

#[test]
fn pre_receive_opens_a_pushed_jar() {
    const JAR_KEY: &str = "6448b7e4-2a70-4097-a6e7-a3ae74f366c5"; // lushaguard:allow (test key)
    let (_tmp, server, client) = server_and_clone();
    install_pre_receive(&server);

    let properties = format!("lusha.api-key={JAR_KEY}\n");
    let jar = zip_of(&[(
        "BOOT-INF/classes/application.properties",
        properties.as_bytes(),
    )]);
    std::fs::create_dir_all(client.join("lib")).unwrap();
    std::fs::write(client.join("lib/service.jar"), jar).unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "add the jar"]);
    let rejected = try_git(&client, &["push", "origin", "HEAD:main"]);
    assert_ne!(rejected.code, 0, "{}", rejected.all());
    let err = &rejected.stderr;
    assert!(err.contains("push rejected"), "{err}");
    assert!(
        err.contains("lib/service.jar!BOOT-INF/classes/application.properties"),
        "{err}"
    );
    assert!(!err.contains(JAR_KEY), "{err}");
}

#[test]
fn pre_receive_rejects_pushes_that_add_keys_even_if_removed_again() {
    let (_tmp, server, client) = server_and_clone();
    install_pre_receive(&server);

    std::fs::write(client.join("app.env"), env_with(KEY)).unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "add key"]);
    let blob = git(&client, &["rev-parse", "HEAD:app.env"]);
    std::fs::write(client.join("app.env"), "PORT=8080\n").unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "remove key"]);
    let before = git(&server, &["rev-parse", "refs/heads/main"]);

    let rejected = try_git(&client, &["push", "origin", "HEAD:main"]);
    assert_ne!(rejected.code, 0, "{}", rejected.all());
    let err = &rejected.stderr;
    assert!(err.contains("pre-receive hook declined"), "{err}");
    assert!(err.contains("push rejected"), "{err}");
    assert!(
        err.contains("6f1c****-****-****-****-********6c35"),
        "{err}"
    );
    assert!(err.contains("app.env"), "{err}");
    assert!(err.contains("Manage API Keys"), "{err}");
    assert!(
        err.contains("git rebase -i") && err.contains("filter-repo"),
        "{err}"
    );
    assert!(
        err.contains("cannot change the commits above") && err.contains("`.lushaguardignore`"),
        "{err}"
    );
    assert!(!err.contains("--explain"), "{err}");
    assert!(!err.contains(KEY), "key leaked: {err}");
    assert_eq!(git(&server, &["rev-parse", "refs/heads/main"]), before);
    // The key's blob only ever existed in git's quarantine directory: the hook read it there,
    // and git threw it away with the rejected push.
    assert_ne!(try_git(&server, &["cat-file", "-e", &blob]).code, 0);

    // A clean push (the same branch rewritten without the key) is accepted.
    git(&client, &["reset", "-q", "--hard", "HEAD~2"]);
    std::fs::write(client.join("app.env"), "PORT=8080\n").unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "settings"]);
    let accepted = try_git(&client, &["push", "origin", "HEAD:main"]);
    assert_eq!(accepted.code, 0, "{}", accepted.all());
    // So are new branches that add nothing new, and deletions.
    let accepted = try_git(&client, &["push", "origin", "HEAD:refs/heads/copy"]);
    assert_eq!(accepted.code, 0, "{}", accepted.all());
    let accepted = try_git(&client, &["push", "origin", ":copy"]);
    assert_eq!(accepted.code, 0, "{}", accepted.all());
    // A new branch with a key is not.
    git(&client, &["checkout", "-q", "-b", "leaky"]);
    std::fs::write(client.join("k.yml"), format!("lusha:\n  api_key: {KEY2}\n")).unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "leaky"]);
    let rejected = try_git(&client, &["push", "origin", "leaky"]);
    assert_ne!(rejected.code, 0, "{}", rejected.all());
    assert!(rejected.stderr.contains("k.yml"), "{}", rejected.stderr);
    // Nor is an annotated tag alone on such a commit (its new value is the tag object).
    git(&client, &["tag", "-a", "-m", "release", "v9"]);
    let rejected = try_git(&client, &["push", "origin", "refs/tags/v9"]);
    assert_ne!(rejected.code, 0, "{}", rejected.all());
    assert!(rejected.stderr.contains("k.yml"), "{}", rejected.stderr);
}

/// The loose object file of `id` in a repository whose objects are all loose.
fn loose_object(repo: &Path, id: &str) -> PathBuf {
    repo.join(".git/objects").join(&id[..2]).join(&id[2..])
}

/// Unpacks every object of a clone so that single objects can be deleted.
fn explode_packs(repo: &Path) {
    let pack_dir = repo.join(".git/objects/pack");
    for entry in std::fs::read_dir(&pack_dir).unwrap().flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "pack") {
            let data = std::fs::read(&p).unwrap();
            for ext in ["pack", "idx", "rev"] {
                let _ = std::fs::remove_file(p.with_extension(ext));
            }
            let mut child = Command::new("git");
            git_env(&mut child)
                .args(["unpack-objects", "-q"])
                .current_dir(repo)
                .stdin(Stdio::piped());
            let mut child = child.spawn().unwrap();
            use std::io::Write;
            child.stdin.take().unwrap().write_all(&data).unwrap();
            assert!(child.wait().unwrap().success());
        }
    }
}

fn incomplete(v: &Value) -> Vec<(String, String, String)> {
    v["incomplete"]
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
        .collect()
}

#[test]
fn a_detached_head_at_a_missing_commit_is_incomplete() {
    // The only commit holding this key is reachable from HEAD alone, and it is gone.
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    r.git(&["checkout", "-q", "--detach"]);
    r.write(".env", &env_with(KEY));
    let lost = r.commit("Key on a detached HEAD");
    std::fs::remove_file(loose_object(&r.path, &lost)).unwrap();

    let out = r.scan(&[]);
    assert_eq!(out.code, 2, "{}", out.all());
    let v = out.json();
    let items = incomplete(&v);
    assert!(
        items
            .iter()
            .any(|(kind, what, reason)| kind == "ref" && what == "HEAD" && reason.contains(&lost)),
        "{items:?}"
    );
    assert!(out.stderr.contains(&lost), "{}", out.stderr);
}

#[test]
fn a_missing_commit_does_not_stop_the_walk() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    let middle = r.write("docs.md", "docs\n").commit("Docs");
    r.write(".env", &env_with(KEY)).commit("Add settings");
    let clone = r.clone_as("clone", &[]);
    explode_packs(&clone);
    std::fs::remove_file(loose_object(&clone, &middle)).unwrap();

    let out = lg(&clone, &["git", "--format", "json"]);
    // The key in the commit after the hole is still found; the hole is listed.
    assert_eq!(out.code, 1, "{}", out.all());
    let v = out.json();
    assert_eq!(summary(&v)[0].0, ".env");
    assert_eq!(summary(&v)[0].2, "Add settings");
    let items = incomplete(&v);
    assert!(
        items
            .iter()
            .any(|(kind, what, _)| kind == "object" && what.contains(&middle)),
        "{items:?}"
    );
    // Without a finding the same hole makes the run exit 2, never 0.
    let config = r._tmp.path().join("exclude-env.toml");
    std::fs::write(&config, "exclude = [\".env\"]\n").unwrap();
    let config = config.to_str().unwrap();
    let out = lg(&clone, &["git", "--format", "json", "--config", config]);
    assert_eq!(out.code, 2, "{}", out.all());
    // The commit after the hole counts as a root: all of its files are read.
    assert_eq!(out.json()["summary"]["files_scanned"], 2);
}

#[test]
fn a_truncated_pack_is_named_and_the_scan_is_incomplete() {
    let r = Repo::new();
    r.write(".env", &env_with(KEY)).commit("Key");
    r.write(".env", "PORT=1\n").commit("No key");
    let clone = r.clone_as("clone", &[]);
    let pack = std::fs::read_dir(clone.join(".git/objects/pack"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "pack"))
        .unwrap();
    let len = std::fs::metadata(&pack).unwrap().len();
    let file = std::fs::OpenOptions::new().write(true).open(&pack).unwrap();
    file.set_len(len - 30).unwrap();
    drop(file);

    let out = lg(&clone, &["git", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.all());
    let name = pack.file_name().unwrap().to_str().unwrap();
    let items = incomplete(&out.json());
    assert!(
        items.iter().any(|(kind, what, reason)| kind == "object"
            && what == &format!("pack objects/pack/{name}")
            && reason.contains("truncated")),
        "{items:?}"
    );
}

#[test]
fn a_partial_clone_is_incomplete_and_says_why() {
    let r = Repo::new();
    r.write(".env", &env_with(KEY)).commit("Key");
    r.write(".env", "PORT=1\n").commit("No key");
    r.git(&["config", "uploadpack.allowFilter", "true"]);
    let clone = r.clone_as("partial", &["--filter=blob:none"]);
    let out = lg(&clone, &["git", "--format", "json"]);
    assert_eq!(out.code, 2, "{}", out.all());
    let items = incomplete(&out.json());
    // The old blob with the key was never fetched: named, with the reason.
    let old_blob = git(&clone, &["rev-parse", "HEAD~1:.env"]);
    assert!(
        items.iter().any(|(kind, what, reason)| kind == "object"
            && what.contains(&old_blob)
            && reason.contains("partial clone")),
        "{items:?}"
    );
    assert!(out.stderr.contains("partial clone"), "{}", out.stderr);
}

#[test]
fn a_shallow_clone_is_flagged_in_the_report() {
    let r = Repo::new();
    r.write("old.env", &env_with(KEY)).commit("Old key");
    r.write("old.env", "PORT=1\n").commit("Removed");
    let shallow = r.clone_as("shallow", &["--depth", "1"]);
    let out = lg(&shallow, &["git", "--format", "json"]);
    // The user chose a shallow clone: a warning recorded in the report, not a failure.
    assert_eq!(out.code, 0, "{}", out.all());
    let v = out.json();
    assert_eq!(v["summary"]["shallow"], true, "{v}");
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("shallow clone")),
        "{v}"
    );
    // A full repository says nothing about it.
    let v = r.scan(&[]).json();
    assert!(v["summary"].get("shallow").is_none(), "{v}");
}

#[test]
fn keys_in_commit_and_tag_messages_are_found() {
    let r = Repo::new();
    r.write("README.md", "# app\n");
    r.git(&["add", "-A"]);
    r.git(&[
        "commit",
        "-q",
        "-m",
        &format!("Configure the client\n\nLUSHA_API_KEY={KEY}\n"),
    ]);
    let commit = r.git(&["rev-parse", "HEAD"]);
    r.git(&[
        "tag",
        "-a",
        "v1.0",
        "-m",
        &format!("Release 1.0\n\nlusha:\n  api_key: {KEY2}\n"),
    ]);
    let tag = r.git(&["rev-parse", "v1.0"]);

    let out = r.scan(&[]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = out.json();
    let f = findings(&v);
    assert_eq!(f.len(), 2, "{v}");
    assert_eq!(f[0]["path"], "<commit message>");
    assert_eq!(f[0]["line"], 3);
    assert_eq!(f[0]["commit"]["id"], commit.as_str());
    assert_eq!(f[1]["path"], "<tag message>");
    assert_eq!(f[1]["commit"]["id"], tag.as_str());
    assert_eq!(f[1]["commit"]["summary"], "tag v1.0: Release 1.0");
    // Messages are scanned, not counted as files.
    assert_eq!(v["summary"]["files_scanned"], 1);
    assert!(!out.all().contains(KEY) && !out.all().contains(KEY2));
    // A range scan reads its commits' messages too.
    let v = r.scan(&["--range", "HEAD"]).json();
    assert_eq!(findings(&v)[0]["path"], "<commit message>");
}

#[test]
fn refs_to_blobs_and_trees_are_scanned() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    // A lightweight tag on a blob, an annotated tag on a blob, and a ref to a tree: content no
    // commit holds.
    let blob = {
        let mut cmd = Command::new("git");
        git_env(&mut cmd)
            .args(["hash-object", "-w", "--stdin"])
            .current_dir(&r.path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(env_with(KEY).as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    r.git(&["tag", "secret-blob", &blob]);
    r.write("deploy/k.yml", &format!("lusha:\n  api_key: {KEY2}\n"));
    r.git(&["add", "deploy/k.yml"]);
    let tree = r.git(&["write-tree"]);
    r.git(&["rm", "-q", "--cached", "deploy/k.yml"]);
    std::fs::remove_file(r.path.join("deploy/k.yml")).unwrap();
    r.git(&["update-ref", "refs/snapshots/deploy", &tree]);
    let blob3 = {
        std::fs::write(r._tmp.path().join("k3"), env_with(KEY3)).unwrap();
        r.git(&[
            "hash-object",
            "-w",
            r._tmp.path().join("k3").to_str().unwrap(),
        ])
    };
    r.git(&["tag", "-a", "-m", "a blob", "annotated-blob", &blob3]);

    let out = r.scan(&[]);
    assert_eq!(out.code, 1, "{}", out.all());
    let paths: Vec<String> = findings(&out.json())
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        paths,
        vec![
            "refs/snapshots/deploy:deploy/k.yml",
            "refs/tags/annotated-blob",
            "refs/tags/secret-blob",
        ]
    );
}

#[test]
fn notes_and_the_stash_are_scanned() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    r.git(&["notes", "add", "-m", &format!("LUSHA_API_KEY={KEY}")]);
    r.write("README.md", &format!("# app\nLUSHA_API_KEY={KEY2}\n"));
    r.write("local.env", &env_with(KEY3));
    r.git(&["stash", "-q", "-u"]);
    let v = r.scan(&[]).json();
    assert_eq!(findings(&v).len(), 3, "{v}");
    let commits: Vec<&str> = findings(&v)
        .iter()
        .map(|f| f["commit"]["summary"].as_str().unwrap())
        .collect();
    assert!(
        commits.iter().any(|s| s.contains("git notes")),
        "{commits:?}"
    );
    assert!(
        commits.iter().any(|s| s.starts_with("untracked files on")),
        "{commits:?}"
    );
}

/// Writes `content` as a blob into `repo`'s object store; returns its id.
fn hash_blob(repo: &Path, content: &str) -> String {
    let file = repo.join(".git/lushaguard-test-blob");
    std::fs::write(&file, content).unwrap();
    let id = git(repo, &["hash-object", "-w", file.to_str().unwrap()]);
    std::fs::remove_file(file).unwrap();
    id
}

#[test]
fn pre_push_scans_commits_that_only_another_remote_has() {
    let (tmp, _server, client) = server_and_clone();
    // A second remote already has a commit with a key; the destination does not.
    git(tmp.path(), &["init", "-q", "--bare", "upstream.git"]);
    let upstream = tmp.path().join("upstream.git");
    git(
        &client,
        &["remote", "add", "upstream", upstream.to_str().unwrap()],
    );
    std::fs::write(client.join("feature.env"), env_with(KEY2)).unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "feature key"]);
    git(
        &client,
        &["push", "-q", "upstream", "HEAD:refs/heads/feature"],
    );
    assert!(!git(&client, &["branch", "-r"]).contains("origin/feature"));

    let out = lg(&client, &["hook", "install", "--pre-push"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let path = path_with_lushaguard(tmp.path());
    let blocked = git_with_path(&client, &path, &["push", "-q", "origin", "HEAD:main"]);
    assert_ne!(blocked.code, 0, "{}", blocked.all());
    assert!(blocked.all().contains("feature.env"), "{}", blocked.all());
    // Pushing the same commit to the remote that has it sends nothing new.
    let ok = git_with_path(
        &client,
        &path,
        &["push", "-q", "upstream", "HEAD:refs/heads/feature"],
    );
    assert_eq!(ok.code, 0, "{}", ok.all());
}

#[test]
fn pre_push_under_the_pre_commit_framework_scans_a_first_push_to_an_empty_remote() {
    // pre-commit sets no PRE_COMMIT_FROM_REF/TO_REF when every commit is new (the remote is
    // empty): only the local and remote branch and the remote's name.
    let tmp = tempfile::tempdir().unwrap();
    git(tmp.path(), &["init", "-q", "--bare", "server.git"]);
    let client = tmp.path().join("client");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            tmp.path().join("server.git").to_str().unwrap(),
            "client",
        ],
    );
    std::fs::write(client.join("app.env"), env_with(KEY)).unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "add key"]);
    std::fs::write(client.join("app.env"), "PORT=1\n").unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "-m", "remove key"]);
    let run = |local: &str| {
        let mut cmd = Command::new(bin());
        git_env(&mut cmd)
            .args(["hook", "pre-push", "--format", "json"])
            .env("PRE_COMMIT", "1")
            .env("PRE_COMMIT_LOCAL_BRANCH", local)
            .env("PRE_COMMIT_REMOTE_BRANCH", "refs/heads/main")
            .env("PRE_COMMIT_REMOTE_NAME", "origin")
            .env("PRE_COMMIT_REMOTE_URL", "unused")
            .current_dir(&client);
        output(&mut cmd)
    };
    let out = run("refs/heads/main");
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("app.env"), "{}", out.stderr);
    // Once the remote has the commits (its tracking ref says so), nothing is new.
    git(&client, &["push", "-q", "origin", "HEAD:main"]);
    let out = run("refs/heads/main");
    assert_eq!(out.code, 0, "{}", out.all());
}

#[test]
fn hooks_scan_refs_to_blobs_and_pre_receive_rejects_them() {
    let (tmp, server, client) = server_and_clone();
    install_pre_receive(&server);
    let leaky = hash_blob(&client, &env_with(KEY));
    git(&client, &["tag", "leaky-blob", &leaky]);
    let rejected = try_git(&client, &["push", "origin", "refs/tags/leaky-blob"]);
    assert_ne!(rejected.code, 0, "{}", rejected.all());
    assert!(
        rejected.stderr.contains("push rejected"),
        "{}",
        rejected.stderr
    );
    assert!(
        rejected.stderr.contains("refs/tags/leaky-blob"),
        "{}",
        rejected.stderr
    );
    // A clean blob behind a tag is accepted like any other ref.
    let clean = hash_blob(&client, "just notes\n");
    git(&client, &["tag", "clean-blob", &clean]);
    let accepted = try_git(&client, &["push", "origin", "refs/tags/clean-blob"]);
    assert_eq!(accepted.code, 0, "{}", accepted.all());

    // The client's pre-push hook sees the same.
    let out = lg(&client, &["hook", "install", "--pre-push"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let path = path_with_lushaguard(tmp.path());
    let blocked = git_with_path(
        &client,
        &path,
        &["push", "-q", "origin", "refs/tags/leaky-blob"],
    );
    assert_ne!(blocked.code, 0, "{}", blocked.all());
    assert!(blocked.all().contains("push blocked"), "{}", blocked.all());
    // An annotated tag whose message holds a key is rejected by the server.
    git(
        &client,
        &["tag", "-a", "v2", "-m", &format!("LUSHA_API_KEY={KEY2}")],
    );
    let rejected = try_git(&client, &["push", "origin", "refs/tags/v2"]);
    assert_ne!(rejected.code, 0, "{}", rejected.all());
    assert!(
        rejected.stderr.contains("<tag message>"),
        "{}",
        rejected.stderr
    );
}

#[test]
fn hook_install_force_keeps_every_backup_and_runs_the_previous_hook() {
    let r = Repo::new();
    r.write("README.md", "# app\n").commit("initial");
    let hooks = r.path.join(".git/hooks");
    std::fs::create_dir_all(&hooks).unwrap();
    let marker = r._tmp.path().join("theirs-ran");
    let theirs = |name: &str, fail: bool| {
        format!(
            "#!/bin/sh\necho {name} >> '{}'\nexit {}\n",
            marker.display(),
            u8::from(fail)
        )
    };
    let write_hook = |text: &str| {
        let p = hooks.join("pre-commit");
        std::fs::write(&p, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    };
    write_hook(&theirs("first", false));
    let out = lg(&r.path, &["hook", "install", "--force"]);
    assert_eq!(out.code, 0, "{}", out.all());
    // Another tool replaces our hook; installing again keeps both earlier hooks.
    write_hook(&theirs("second", false));
    let out = lg(&r.path, &["hook", "install", "--force"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit.bak")).unwrap(),
        theirs("first", false)
    );
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit.bak.1")).unwrap(),
        theirs("second", false)
    );
    // Reinstalling over our own hook keeps running the same previous hook.
    let out = lg(&r.path, &["hook", "install"]);
    assert_eq!(out.code, 0, "{}", out.all());

    // The installed hook runs the hook it replaced, then lushaguard.
    let path = path_with_lushaguard(r._tmp.path());
    r.write("notes.txt", "clean\n");
    r.git(&["add", "-A"]);
    let ok = git_with_path(&r.path, &path, &["commit", "-q", "-m", "clean"]);
    assert_eq!(ok.code, 0, "{}", ok.all());
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "second\n");
    r.write(".env", &env_with(KEY));
    r.git(&["add", "-A"]);
    let blocked = git_with_path(&r.path, &path, &["commit", "-q", "-m", "leak"]);
    assert_ne!(blocked.code, 0, "{}", blocked.all());
    assert!(blocked.all().contains("6f1c****"), "{}", blocked.all());
    // The previous hook's failure still blocks the commit.
    std::fs::write(hooks.join("pre-commit.bak.1"), theirs("second", true)).unwrap();
    r.git(&["reset", "-q"]);
    std::fs::remove_file(r.path.join(".env")).unwrap();
    r.write("notes.txt", "still clean\n");
    r.git(&["add", "-A"]);
    let blocked = git_with_path(&r.path, &path, &["commit", "-q", "-m", "theirs fails"]);
    assert_ne!(blocked.code, 0, "{}", blocked.all());
    assert_eq!(r.git(&["rev-list", "--count", "HEAD"]), "2");
}

#[test]
fn the_pre_push_hook_hands_its_input_to_the_previous_hook() {
    let (tmp, _server, client) = server_and_clone();
    let hooks = client.join(".git/hooks");
    let seen = tmp.path().join("seen");
    std::fs::write(
        hooks.join("pre-push"),
        format!(
            "#!/bin/sh\necho \"$1\" > '{0}'\ncat >> '{0}'\n",
            seen.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            hooks.join("pre-push"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
    }
    let out = lg(&client, &["hook", "install", "--pre-push", "--force"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let path = path_with_lushaguard(tmp.path());
    std::fs::write(client.join("new.env"), env_with(KEY2)).unwrap();
    git(&client, &["add", "-A"]);
    git(&client, &["commit", "-q", "--no-verify", "-m", "new key"]);
    let tip = git(&client, &["rev-parse", "HEAD"]);
    let blocked = git_with_path(&client, &path, &["push", "-q", "origin", "HEAD:main"]);
    // Both hooks saw the push: the previous one its arguments and ref lines, lushaguard the key.
    assert_ne!(blocked.code, 0, "{}", blocked.all());
    assert!(blocked.all().contains("new.env"), "{}", blocked.all());
    let seen = std::fs::read_to_string(&seen).unwrap();
    assert!(seen.starts_with("origin\n"), "{seen}");
    assert!(seen.contains(&tip), "{seen}");
}
