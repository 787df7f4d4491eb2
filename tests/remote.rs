//! `lushaguard git URL` against real servers on 127.0.0.1: `git daemon` (git://), `git
//! http-backend` behind a small HTTP server (http://, with and without Basic authentication),
//! file://, and SSH through a stand-in `GIT_SSH_COMMAND` that runs git's remote command locally.
//! The served repository hides its keys where only a clone of every ref finds them: on a branch
//! that later removed the key, behind an annotated tag whose branch is gone, and in a
//! `refs/pull/*` ref that no branch or tag reaches. git (with git-daemon and git-http-backend) and
//! python3 come from the system; a test whose tool is missing says so and passes, unless
//! `LUSHAGUARD_REQUIRE_TOOLS` is set (CI sets it), when it fails.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test
#![allow(clippy::print_stderr)] // notes on skipped tests go to the test log

mod common;

use common::{bin, git, hermetic, Output, KEY, KEY2};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A third random UUID v4 for these tests; Lusha never issued it.
const KEY3: &str = "c9a743aa-2930-4e76-9751-473f8ba50f37"; // lushaguard:allow (test key)

/// A credential that must never be printed.
const TOKEN: &str = "tok3nNeverShown";

/// Is `what` available? When not, the test is skipped, unless CI requires every tool.
fn have(what: &str, found: bool) -> bool {
    if !found {
        assert!(
            std::env::var_os("LUSHAGUARD_REQUIRE_TOOLS").is_none(),
            "{what} is not installed, and LUSHAGUARD_REQUIRE_TOOLS is set"
        );
        eprintln!("note: {what} is not installed; the test is skipped");
    }
    found
}

/// Is git's helper program `name` (git-daemon, git-http-backend) installed?
fn have_git_program(name: &str) -> bool {
    let exec_path = Command::new("git").arg("--exec-path").output();
    let found = exec_path.is_ok_and(|o| {
        let dir = String::from_utf8_lossy(&o.stdout).trim().to_string();
        Path::new(&dir).join(name).is_file()
    });
    have(name, found)
}

fn have_python() -> bool {
    let found = Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    have("python3", found)
}

/// Runs lushaguard in `dir` with `TMPDIR` set to `tmp` (so that a test can see what is left
/// there), no terminal, and none of the machine's git configuration.
fn lushaguard(dir: &Path, tmp: &Path, args: &[&str]) -> Output {
    let tmp = tmp.to_str().unwrap();
    let env = [
        ("TMPDIR", tmp),
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
    ];
    common::run_with(dir, args, None, &env)
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.all()))
}

/// A served repository: `base/repo.git`, a bare repository whose keys are only in history.
struct Served {
    tmp: tempfile::TempDir,
}

impl Served {
    fn new() -> Served {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        std::fs::create_dir(&work).unwrap();
        let commit = |file: &str, content: Option<&str>, message: &str| {
            match content {
                Some(c) => std::fs::write(work.join(file), c).unwrap(),
                None => std::fs::remove_file(work.join(file)).unwrap(),
            }
            git(&work, &["add", "-A"]);
            git(&work, &["commit", "-q", "-m", message]);
        };
        git(&work, &["init", "-q"]);
        commit("README.md", Some("# app\n"), "start");
        // A key added and removed on a branch that is not the default one.
        git(&work, &["checkout", "-q", "-b", "feature"]);
        commit(".env", Some(&format!("LUSHA_API_KEY={KEY}\n")), "add env");
        commit(".env", None, "remove env");
        // A key reachable only through an annotated tag: its branch is deleted.
        git(&work, &["checkout", "-q", "-b", "release", "main"]);
        commit(
            "config.yml",
            Some(&format!("lusha:\n  api_key: {KEY2}\n")),
            "config",
        );
        git(&work, &["tag", "-a", "-m", "release 1", "v1"]);
        git(&work, &["checkout", "-q", "main"]);
        git(&work, &["branch", "-q", "-D", "release"]);
        // A key in a pull-request ref only, as forges advertise them.
        git(&work, &["checkout", "-q", "-b", "pr", "main"]);
        commit(
            "client.py",
            Some(&format!("LUSHA_API_KEY = \"{KEY3}\"\n")),
            "pr",
        );
        let pr = git(&work, &["rev-parse", "HEAD"]);
        git(&work, &["checkout", "-q", "main"]);
        git(&work, &["branch", "-q", "-D", "pr"]);
        git(&work, &["update-ref", "refs/pull/7/head", &pr]);
        let base = tmp.path().join("base");
        std::fs::create_dir(&base).unwrap();
        git(
            tmp.path(),
            &["clone", "-q", "--mirror", "work", "base/repo.git"],
        );
        std::fs::create_dir(tmp.path().join("lushaguard-tmp")).unwrap();
        Served { tmp }
    }

    fn base(&self) -> PathBuf {
        self.tmp.path().join("base")
    }

    /// TMPDIR for lushaguard: empty before and (the tests check) after each run.
    fn scratch(&self) -> PathBuf {
        self.tmp.path().join("lushaguard-tmp")
    }

    fn scan(&self, args: &[&str]) -> Output {
        lushaguard(self.tmp.path(), &self.scratch(), args)
    }

    fn scratch_is_empty(&self) -> bool {
        std::fs::read_dir(self.scratch()).unwrap().next().is_none()
    }

    /// `git URL` finds every hidden key, the report names the URL, and the clone is gone.
    fn assert_url_scanned(&self, url: &str) {
        let out = self.scan(&["git", "--no-progress", "-f", "json", url]);
        assert_every_ref_scanned(&out);
        let warnings = json(&out)["warnings"].to_string();
        assert!(warnings.contains(url), "{warnings}");
        assert!(
            self.scratch_is_empty(),
            "the temporary clone was left behind"
        );
    }
}

/// The (path, present_in_head) of each finding, sorted.
fn found(v: &Value) -> Vec<(String, Value)> {
    let mut f: Vec<(String, Value)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["present_in_head"].clone(),
            )
        })
        .collect();
    f.sort_by(|a, b| a.0.cmp(&b.0));
    f
}

/// Every hidden key, each at its in-repository path, none still in HEAD.
fn assert_every_ref_scanned(out: &Output) {
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json(out);
    assert_eq!(
        found(&v),
        vec![
            (".env".to_string(), Value::Bool(false)),
            ("client.py".to_string(), Value::Bool(false)),
            ("config.yml".to_string(), Value::Bool(false)),
        ],
        "{}",
        out.all()
    );
}

/// A port on 127.0.0.1 that was free a moment ago.
fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Waits until something accepts connections on `port`.
fn wait_for(port: u16, server: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = server.try_wait() {
            panic!("the server exited before listening: {status}");
        }
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A server process, killed when the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `git daemon` serving `base` on a free loopback port; returns it and the port.
fn git_daemon(base: &Path) -> (Server, u16) {
    let port = free_port();
    let mut child = hermetic(&mut Command::new("git"))
        .arg("daemon")
        .arg("--reuseaddr")
        .arg("--export-all")
        .arg("--listen=127.0.0.1")
        .arg(format!("--port={port}"))
        .arg(format!("--base-path={}", base.display()))
        .arg(base)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(port, &mut child);
    (Server(child), port)
}

/// A CGI bridge: an HTTP server on 127.0.0.1 that runs `git http-backend` for each request
/// (GIT_PROJECT_ROOT = argv[1]) and, when argv[2] is not empty, answers 401 unless the request
/// carries Basic credentials equal to it. Prints its port, then serves until killed.
const HTTP_BACKEND: &str = r#"
import base64, http.server, os, subprocess, sys

root, credentials = sys.argv[1], sys.argv[2]

class Bridge(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def answer(self):
        body = self.body()
        if credentials:
            expected = "Basic " + base64.b64encode(credentials.encode()).decode()
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        path, _, query = self.path.partition("?")
        env = dict(os.environ)
        env.update({
            "GIT_PROJECT_ROOT": root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "HTTP_GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
        })
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.split(b"\r\n"):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = answer
    do_POST = answer

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Bridge)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// `git http-backend` serving `base` over HTTP on 127.0.0.1, asking for `credentials`
/// (`user:password`) when not empty; returns it and its port.
fn http_backend(base: &Path, credentials: &str) -> (Server, u16) {
    let mut child = hermetic(&mut Command::new("python3"))
        .args(["-c", HTTP_BACKEND])
        .arg(base)
        .arg(credentials)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port: u16 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no port: {line:?}"));
    wait_for(port, &mut child);
    (Server(child), port)
}

#[test]
fn a_git_daemon_url_is_cloned_whole_and_every_ref_scanned() {
    if !have_git_program("git-daemon") {
        return;
    }
    let served = Served::new();
    let (_daemon, port) = git_daemon(&served.base());
    served.assert_url_scanned(&format!("git://127.0.0.1:{port}/repo.git"));
}

#[test]
fn an_http_url_is_cloned_through_git_http_backend() {
    if !have_git_program("git-http-backend") || !have_python() {
        return;
    }
    let served = Served::new();
    let (_server, port) = http_backend(&served.base(), "");
    served.assert_url_scanned(&format!("http://127.0.0.1:{port}/repo.git"));
}

#[test]
fn credentials_in_a_url_are_used_but_never_shown() {
    if !have_git_program("git-http-backend") || !have_python() {
        return;
    }
    let served = Served::new();
    let (_server, port) = http_backend(&served.base(), &format!("ci:{TOKEN}"));
    let url = format!("http://ci:{TOKEN}@127.0.0.1:{port}/repo.git");
    let sarif = served.tmp.path().join("report.sarif");
    let write = format!("sarif={}", sarif.display());
    for (_, format) in common::formats() {
        let out = served.scan(&[
            "git",
            "--no-progress",
            "-f",
            &format,
            "--write",
            &write,
            &url,
        ]);
        assert_eq!(out.code, 1, "{format}: {}", out.all());
        let report = std::fs::read_to_string(&sarif).unwrap();
        for text in [&out.stdout, &out.stderr, &report] {
            assert!(
                !text.contains(TOKEN),
                "{format}: the token was shown: {text}"
            );
        }
        assert!(
            out.all()
                .contains(&format!("http://***@127.0.0.1:{port}/repo.git")),
            "{format}: {}",
            out.all()
        );
    }
    // A wrong password: git's own error, redacted.
    let wrong = format!("http://ci:{TOKEN}x@127.0.0.1:{port}/repo.git");
    let out = served.scan(&["git", "--no-progress", &wrong]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("cannot clone http://***@127.0.0.1"),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains(TOKEN), "{}", out.all());
    assert!(
        served.scratch_is_empty(),
        "the temporary clone was left behind"
    );
}

#[test]
fn an_unreachable_url_fails_with_git_s_reason_and_leaves_nothing() {
    let served = Served::new();
    let port = free_port();
    let url = format!("git://127.0.0.1:{port}/repo.git");
    let out = served.scan(&["git", "--no-progress", &url]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains(&format!("cannot clone {url}")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("onnect"),
        "git's reason: {}",
        out.stderr
    );
    assert_eq!(out.stdout, "");
    assert!(
        served.scratch_is_empty(),
        "the temporary clone was left behind"
    );
}

/// The scp-like form `user:password@host:path`: the host ends at the `:` after the `@`, not at
/// the first `:`, so the password is hidden in the error that names the address.
#[test]
fn a_password_in_an_scp_like_address_is_never_shown() {
    let served = Served::new();
    let password = "hunter2-e3c1a9";
    let url = format!("deploy:{password}@127.0.0.1:org/repo.git");
    let scratch = served.scratch();
    let env = [
        ("TMPDIR", scratch.to_str().unwrap()),
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
        // No network: the "ssh" that git runs fails at once.
        ("GIT_SSH_COMMAND", "false"),
    ];
    let out = common::run_with(
        served.tmp.path(),
        &["git", "--no-progress", &url],
        None,
        &env,
    );
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr
            .contains("cannot clone deploy:***@127.0.0.1:org/repo.git"),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains(password), "{}", out.all());
    assert!(served.scratch_is_empty());
}

#[test]
fn a_server_that_never_answers_is_given_up_after_the_clone_timeout() {
    let served = Served::new();
    // Accepts connections and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let url = format!("git://127.0.0.1:{port}/repo.git");
    let out = served.scan(&["git", "--no-progress", "--clone-timeout", "1", &url]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("--clone-timeout"), "{}", out.stderr);
    assert!(
        served.scratch_is_empty(),
        "the temporary clone was left behind"
    );
}

#[cfg(unix)]
#[test]
fn an_interrupted_clone_leaves_no_temporary_directory() {
    let served = Served::new();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let url = format!("git://127.0.0.1:{port}/repo.git");
    let mut child = Server(
        hermetic(&mut Command::new(bin()))
            .args(["git", "--no-progress", &url])
            .env("TMPDIR", served.scratch())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The clone has started once git is connected to the silent server.
    silent.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let _connection = loop {
        match silent.accept() {
            Ok((connection, _)) => break connection,
            Err(_) => {
                assert!(
                    child.0.try_wait().unwrap().is_none(),
                    "lushaguard ended first"
                );
                assert!(Instant::now() < deadline, "git never connected");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    };
    assert!(!served.scratch_is_empty(), "no temporary clone directory");
    let pid = child.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let status = child.0.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status}");
    assert!(
        served.scratch_is_empty(),
        "the temporary clone was left behind"
    );
}

#[test]
fn clone_dir_keeps_the_clone_without_its_credentials() {
    let served = Served::new();
    let repo = served.base().join("repo.git");
    let url = format!("file://ci:{TOKEN}@{}", repo.display());
    let kept = served.tmp.path().join("kept");
    let out = served.scan(&[
        "git",
        "--no-progress",
        "-f",
        "json",
        "--clone-dir",
        kept.to_str().unwrap(),
        &url,
    ]);
    assert_every_ref_scanned(&out);
    assert!(!out.all().contains(TOKEN), "{}", out.all());
    // Every ref is there, pull-request refs included, and the origin has no password.
    let refs = git(&kept, &["for-each-ref", "--format=%(refname)"]);
    for r in [
        "refs/heads/main",
        "refs/heads/feature",
        "refs/tags/v1",
        "refs/pull/7/head",
    ] {
        assert!(refs.lines().any(|l| l == r), "{r} not in the clone: {refs}");
    }
    let origin = git(&kept, &["config", "--get", "remote.origin.url"]);
    assert!(!origin.contains(TOKEN), "{origin}");
    // A directory that is not empty is refused and left as it was.
    let out = served.scan(&["git", "--clone-dir", kept.to_str().unwrap(), &url]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr
            .contains("--clone-dir must be an empty directory"),
        "{}",
        out.stderr
    );
    assert!(kept.join("HEAD").is_file());
}

/// A kept clone whose origin cannot be rewritten (here its config is broken right after the
/// clone, by a `git` that wraps the real one) is an error that says the credential may be in it,
/// not a silence.
#[cfg(unix)]
#[test]
fn a_kept_clone_whose_origin_cannot_be_rewritten_fails_and_says_so() {
    use std::os::unix::fs::PermissionsExt;
    let served = Served::new();
    let real_git = std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join("git"))
        .find(|g| g.is_file())
        .unwrap();
    let bin = served.tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let wrapper = bin.join("git");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n'{}' \"$@\" || exit $?\nfor last; do :; done\nprintf '[core\\n' > \"$last/config\"\n",
            real_git.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin.clone())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let repo = served.base().join("repo.git");
    let url = format!("file://ci:{TOKEN}@{}", repo.display());
    let kept = served.tmp.path().join("kept");
    let scratch = served.scratch();
    let env = [
        ("TMPDIR", scratch.to_str().unwrap()),
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_CONFIG_GLOBAL", "/dev/null"),
        ("PATH", path.to_str().unwrap()),
    ];
    let out = common::run_with(
        served.tmp.path(),
        &[
            "git",
            "--no-progress",
            "--clone-dir",
            kept.to_str().unwrap(),
            &url,
        ],
        None,
        &env,
    );
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("may be stored") && out.stderr.contains("kept"),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains(TOKEN), "{}", out.all());
    assert_eq!(out.stdout, "", "no report from a run that failed");
    assert!(
        kept.join("HEAD").is_file(),
        "the clone is left for the user"
    );
}

/// SSH through the user's own ssh command (`GIT_SSH_COMMAND`): here a stand-in that runs the
/// remote command locally, as sshd would after logging in.
#[cfg(unix)]
#[test]
fn ssh_urls_are_cloned_with_the_user_s_ssh() {
    use std::os::unix::fs::PermissionsExt;
    let served = Served::new();
    let ssh = served.tmp.path().join("ssh");
    std::fs::write(
        &ssh,
        "#!/bin/sh\n# HOST COMMAND: run COMMAND here\nshift\nexec sh -c \"$*\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&ssh, std::fs::Permissions::from_mode(0o755)).unwrap();
    let repo = served.base().join("repo.git");
    let repo = repo.to_str().unwrap();
    let env = [
        ("TMPDIR", served.scratch().to_str().unwrap().to_string()),
        ("GIT_CONFIG_NOSYSTEM", "1".into()),
        ("GIT_CONFIG_GLOBAL", "/dev/null".into()),
        ("GIT_SSH_COMMAND", ssh.to_str().unwrap().to_string()),
        ("GIT_SSH_VARIANT", "simple".into()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    for (url, shown) in [
        (
            format!("git@localhost:{repo}"),
            format!("git@localhost:{repo}"),
        ),
        (
            format!("ssh://deploy:{TOKEN}@localhost{repo}"),
            format!("ssh://deploy:***@localhost{repo}"),
        ),
    ] {
        let args = ["git", "--no-progress", "-f", "json", &url];
        let out = common::run_with(served.tmp.path(), &args, None, &env);
        assert_every_ref_scanned(&out);
        assert!(out.stderr.contains(&shown), "{}", out.stderr);
        assert!(!out.all().contains(TOKEN), "{}", out.all());
        assert!(
            served.scratch_is_empty(),
            "the temporary clone was left behind"
        );
    }
}

#[test]
fn a_file_url_is_cloned_and_scanned() {
    let served = Served::new();
    served.assert_url_scanned(&format!(
        "file://{}",
        served.base().join("repo.git").display()
    ));
}

#[test]
fn a_local_path_that_looks_like_a_url_is_a_path() {
    let served = Served::new();
    // `host:repo.git` reads as git's scp-like syntax, but it is a directory here.
    let local = served.tmp.path().join("host:repo.git");
    git(
        served.tmp.path(),
        &["clone", "-q", "--bare", "base/repo.git", "host:repo.git"],
    );
    assert!(local.is_dir());
    let out = served.scan(&["git", "--no-progress", "-f", "json", "host:repo.git"]);
    // The bare clone has branches and tags but not refs/pull/*: a local scan, no clone.
    assert_eq!(out.code, 1, "{}", out.all());
    let paths: Vec<String> = found(&json(&out)).into_iter().map(|(p, _)| p).collect();
    assert_eq!(paths, [".env", "config.yml"], "{}", out.all());
    assert!(!out.stderr.contains("mirror clone"), "{}", out.stderr);
}

#[test]
fn refused_urls_and_flags_are_usage_errors() {
    let served = Served::new();
    for (args, says) in [
        (vec!["git", "ext::sh -c true"], "not a repository URL"),
        (
            vec!["git", "ftp://127.0.0.1/repo.git"],
            "not a repository URL",
        ),
        (
            vec!["git", "--staged", "git://127.0.0.1:9/repo.git"],
            "--staged",
        ),
        (
            vec!["git", "--clone-dir", "x", "base/repo.git"],
            "are for a repository URL",
        ),
    ] {
        let out = served.scan(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.all());
        assert!(out.stderr.contains(says), "{args:?}: {}", out.stderr);
    }
    assert!(served.scratch_is_empty());
}
