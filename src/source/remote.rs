//! Remote repositories as a source: telling a URL from a local path, cloning it with the system
//! `git` into a private directory, and removing that directory again. The clone is a mirror
//! (`git clone --mirror`): every ref the server advertises (branches, tags, notes, and refs such
//! as `refs/pull/*` where a server shows them), so that scanning "every ref" of the clone scans
//! every ref of the remote. What is scanned, and how, is the `git` source's business.
//!
//! The system `git` clones, not libgit2 (built here without HTTPS or SSH): credentials come from
//! git's own credential helpers and the SSH agent, never from lushaguard's flags. A URL may still
//! carry `user:token@`; it is passed to git as given and shown everywhere as `***@` (git's error
//! messages included). The remote is untrusted: the clone checks nothing out (so no filters, no
//! checkout hooks), runs no hooks at all, copies no templates, recurses into no submodules,
//! speaks only the transports named below, and never waits on a terminal prompt when there is no
//! terminal. A temporary clone is removed when the run ends: normally, on an error, and (on Unix)
//! on Ctrl-C, SIGTERM or SIGHUP, which also stop the clone's git.

use std::ffi::OsStr;
use std::fmt;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The transports a remote URL may use (`GIT_ALLOW_PROTOCOL`): not `ext::` or other remote
/// helpers, even if a server redirects to one.
const PROTOCOLS: &str = "http:https:ssh:git:file";

/// URL schemes taken as remote repositories, as git spells them.
const SCHEMES: &[&str] = &["https", "http", "ssh", "git+ssh", "ssh+git", "git", "file"];

/// How much of git's error output is kept for the error message.
const STDERR_MAX: usize = 16 * 1024;

/// Environment variables that would point the clone at another repository (a hook sets them).
const REPOSITORY_ENV: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_QUARANTINE_PATH",
];

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("{url}: not a repository URL lushaguard clones (it takes https, http, ssh, git, file and user@host:path)")]
    Unsupported { url: String },
    #[error("{dir}: --clone-dir must be an empty directory or not exist yet")]
    CloneDirInUse { dir: String },
    #[error("{dir}: cannot make a directory for the clone: {message}")]
    CloneDir { dir: String, message: String },
    #[error("cannot run git to clone {url} (cloning needs the git command): {message}")]
    NoGit { url: String, message: String },
    #[error("cannot clone {url}: {message}")]
    Clone { url: String, message: String },
    #[error("cannot clone {url}: no answer within {seconds} s (--clone-timeout)")]
    Timeout { url: String, seconds: u64 },
    #[error("{dir}: the clone is kept, but its origin URL could not be rewritten, so the credentials given in the URL may be stored in {dir}/config: {message}")]
    CredentialsKept { dir: String, message: String },
}

/// A remote repository's address: as given (passed to git, never shown) and as shown.
pub struct RemoteUrl {
    raw: String,
    shown: String,
    /// Credentials the address carries, to take out of anything git says.
    secrets: Vec<String>,
    /// The address with its password (and, outside SSH, its user name) left out: what a kept
    /// clone remembers as its origin.
    stored: String,
}

impl fmt::Debug for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RemoteUrl").field(&self.shown).finish()
    }
}

impl fmt::Display for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Temporary clones to remove if the run is interrupted (Ctrl-C, SIGTERM, SIGHUP).
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
/// The process id of the `git clone` running now (0: none), killed if the run is interrupted.
static CLONING: AtomicU32 = AtomicU32::new(0);
/// Set by the signal handler before it stops the clone: the run ends with the signal's status.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Once per process: on SIGINT, SIGTERM or SIGHUP, stop the clone, remove the temporary clones
/// and exit with 128 + the signal's number, as a shell reports a process the signal ended.
#[cfg(unix)]
fn clean_up_when_interrupted() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            let Some(signal) = signals.forever().next() else {
                return;
            };
            INTERRUPTED.store(true, Ordering::SeqCst);
            let git = i32::try_from(CLONING.load(Ordering::SeqCst)).ok();
            if let Some(pid) = git.and_then(rustix::process::Pid::from_raw) {
                let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
            }
            for dir in pending().drain(..) {
                // git may still be writing for a moment after it was told to stop.
                for _ in 0..20 {
                    if std::fs::remove_dir_all(&dir).is_ok() || !dir.exists() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            std::process::exit(128 + signal);
        });
    });
}

#[cfg(not(unix))]
fn clean_up_when_interrupted() {}

/// How a repository argument is written.
#[derive(Debug, PartialEq, Eq)]
enum Form {
    /// `scheme://…`, with the scheme, lowercased.
    Scheme(String),
    /// `[user@]host:path`, git's scp-like SSH syntax.
    ScpLike,
    /// `helper::address`: a remote helper, which lushaguard refuses.
    Helper,
}

impl RemoteUrl {
    /// The URL `arg` stands for, or `None` when it is a local path. A path that exists is local
    /// (as `git clone` decides), so `lushaguard git host:dir` scans a directory named `host:dir`
    /// when there is one. A URL whose scheme lushaguard does not clone is an error, not a path.
    pub fn from_argument(arg: &Path) -> Result<Option<RemoteUrl>, RemoteError> {
        if arg.symlink_metadata().is_ok() {
            return Ok(None);
        }
        let Some(text) = arg.to_str() else {
            return Ok(None);
        };
        RemoteUrl::parse(text)
    }

    /// `text` as a URL (`None`: it is written as a path).
    pub fn parse(text: &str) -> Result<Option<RemoteUrl>, RemoteError> {
        let Some(form) = form_of(text) else {
            return Ok(None);
        };
        let url = RemoteUrl::new(text, &form);
        // An address that reads as an option to git or ssh (`-oProxyCommand=…:x`) is refused.
        if text.starts_with('-') {
            return Err(RemoteError::Unsupported { url: url.shown });
        }
        match form {
            Form::Scheme(s) if SCHEMES.contains(&s.as_str()) => Ok(Some(url)),
            Form::ScpLike => Ok(Some(url)),
            _ => Err(RemoteError::Unsupported { url: url.shown }),
        }
    }

    fn new(raw: &str, form: &Form) -> RemoteUrl {
        let ssh = match form {
            Form::Scheme(s) => s.contains("ssh"),
            Form::ScpLike => true,
            Form::Helper => false,
        };
        // Where the authority (`[userinfo@]host[:port]`) starts and ends.
        let start = match form {
            Form::Scheme(_) => raw.find("://").map_or(0, |i| i + 3),
            _ => 0,
        };
        let rest = raw.get(start..).unwrap_or_default();
        let end = start
            + match form {
                // `[user[:password]@]host:path`: the host ends at the first `:` after the last
                // `@` that has one after it (a password may hold `:` or `/`; an `@` in the path
                // has no `:` after it). Taken too far, this hides more than needed, never less.
                Form::ScpLike => {
                    let colon = rest.rfind(':').unwrap_or(rest.len());
                    let host = rest
                        .get(..colon)
                        .and_then(|r| r.rfind('@'))
                        .map_or(0, |a| a + 1);
                    let tail = rest.get(host..).unwrap_or_default();
                    host + tail.find(':').unwrap_or(tail.len())
                }
                // Up to the first `/` after the last `@` before any query: a password written
                // with a bare `/` in it is still taken for one (an `@` in the path is too, which
                // hides more than needed, never less).
                _ => {
                    let scope = rest.find(['?', '#']).unwrap_or(rest.len());
                    let host = rest
                        .get(..scope)
                        .and_then(|r| r.rfind('@'))
                        .map_or(0, |a| a + 1);
                    let tail = rest.get(host..).unwrap_or_default();
                    host + tail.find(['/', '?', '#']).unwrap_or(tail.len())
                }
            };
        let authority = raw.get(start..end).unwrap_or_default();
        let mut secrets = Vec::new();
        let (mut shown, mut stored) = (raw.to_string(), raw.to_string());
        if let Some(at) = authority.rfind('@') {
            let userinfo = authority.get(..at).unwrap_or_default();
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            // An SSH user name is a login, not a credential; over HTTP it is often a token.
            let keep_user = ssh && !user.is_empty();
            let (shown_info, stored_info) = if keep_user {
                (
                    if password.is_some() {
                        format!("{user}:***")
                    } else {
                        user.to_string()
                    },
                    user.to_string(),
                )
            } else {
                ("***".to_string(), String::new())
            };
            if let Some(p) = password {
                secrets.push(p.to_string());
            }
            if !keep_user {
                secrets.push(user.to_string());
            }
            secrets.push(userinfo.to_string());
            let host = authority.get(at + 1..).unwrap_or_default();
            let before = raw.get(..start).unwrap_or_default();
            let after = raw.get(end..).unwrap_or_default();
            shown = format!("{before}{shown_info}@{host}{after}");
            stored = if stored_info.is_empty() {
                format!("{before}{host}{after}")
            } else {
                format!("{before}{stored_info}@{host}{after}")
            };
        }
        // A query string can carry a token too (`?private_token=`).
        if !matches!(form, Form::ScpLike) {
            if let Some(q) = shown.find('?') {
                let tail = shown.get(q + 1..).unwrap_or_default();
                let query = tail.split('#').next().unwrap_or_default().to_string();
                if !query.is_empty() {
                    secrets.push(query.clone());
                    shown = shown.replacen(&format!("?{query}"), "?***", 1);
                    // A kept clone's origin must not keep the token either.
                    stored = stored.replacen(&format!("?{query}"), "", 1);
                }
            }
        }
        // Percent-encoded credentials reach git (and its messages) decoded as well.
        let decoded: Vec<String> = secrets
            .iter()
            .map(|s| percent_decode(s))
            .filter(|d| !secrets.contains(d))
            .collect();
        secrets.extend(decoded);
        secrets.retain(|s| !s.is_empty());
        // Longest first, so that a part never leaves the rest of a whole behind.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        RemoteUrl {
            raw: raw.to_string(),
            shown,
            secrets,
            stored,
        }
    }

    /// The URL as it may be shown: credentials replaced by `***`.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `text` (git's messages) with the URL shown redacted and every credential it carries
    /// replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.replace(&self.raw, &self.shown);
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "***");
        }
        out
    }
}

/// How `text` is written as a repository address, if it is one (git's rules: `scheme://`, a
/// `helper::` prefix, or a colon with no slash before it, which is not a drive letter).
fn form_of(text: &str) -> Option<Form> {
    if let Some(i) = text.find("://") {
        let scheme = text.get(..i).unwrap_or_default();
        let valid = !scheme.is_empty()
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            return Some(Form::Scheme(scheme.to_ascii_lowercase()));
        }
    }
    if let Some(i) = text.find("::") {
        let helper = text.get(..i).unwrap_or_default();
        if !helper.is_empty()
            && helper
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Some(Form::Helper);
        }
    }
    let colon = text.find(':')?;
    let before = text.get(..colon).unwrap_or_default();
    let drive = before.len() == 1 && before.starts_with(|c: char| c.is_ascii_alphabetic());
    let host = before.rsplit('@').next().unwrap_or_default();
    (!before.contains(['/', '\\']) && !drive && !host.is_empty()).then_some(Form::ScpLike)
}

/// `%XX` escapes decoded (invalid ones kept as written).
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// How to clone.
#[derive(Debug, Clone, Default)]
pub struct CloneOptions {
    /// Clone here and keep it (`--clone-dir`); otherwise into a private temporary directory
    /// removed when the `Mirror` is dropped.
    pub dir: Option<PathBuf>,
    /// Give up a clone that has not finished in this long (`--clone-timeout`).
    pub timeout: Option<Duration>,
}

/// Where a clone lives.
enum Place {
    /// Removed on drop.
    Temporary(tempfile::TempDir),
    /// The user's `--clone-dir`: kept.
    Kept(PathBuf),
}

/// A bare mirror clone of a remote repository on disk: removed when dropped, unless it is in the
/// user's `--clone-dir`.
pub struct Mirror {
    url: RemoteUrl,
    place: Place,
}

impl Drop for Mirror {
    fn drop(&mut self) {
        // The `TempDir` removes it now; an interruption no longer needs to.
        if let Place::Temporary(t) = &self.place {
            pending().retain(|p| p != t.path());
        }
    }
}

impl Mirror {
    /// The clone's git directory.
    pub fn path(&self) -> &Path {
        match &self.place {
            Place::Temporary(t) => t.path(),
            Place::Kept(p) => p,
        }
    }

    pub fn url(&self) -> &RemoteUrl {
        &self.url
    }

    /// What a report says about the clone, until reports carry provenance of their own.
    pub fn describe(&self) -> String {
        match &self.place {
            Place::Temporary(_) => format!(
                "scanned {}: a mirror clone of every ref it advertises, removed after the scan",
                self.url
            ),
            Place::Kept(dir) => format!(
                "scanned {}: a mirror clone of every ref it advertises, kept in {}",
                self.url,
                dir.display()
            ),
        }
    }

    /// Is the clone kept after the run (`--clone-dir`)?
    pub fn is_kept(&self) -> bool {
        matches!(self.place, Place::Kept(_))
    }
}

/// Clones every ref of `url` bare (`git clone --mirror`) into `options.dir` or a new private
/// temporary directory. A clone that fails leaves no temporary directory behind.
pub fn mirror(url: RemoteUrl, options: &CloneOptions) -> Result<Mirror, RemoteError> {
    let place = match &options.dir {
        Some(dir) => {
            check_clone_dir(dir)?;
            Place::Kept(dir.clone())
        }
        None => Place::Temporary(
            tempfile::Builder::new()
                .prefix("lushaguard-clone-")
                .tempdir()
                .map_err(|e| RemoteError::CloneDir {
                    dir: std::env::temp_dir().display().to_string(),
                    message: e.to_string(),
                })?,
        ),
    };
    if let Place::Temporary(t) = &place {
        clean_up_when_interrupted();
        pending().push(t.path().to_path_buf());
    }
    let mirror = Mirror { url, place };
    run_clone(&mirror, options.timeout)?;
    if mirror.is_kept() {
        forget_credentials(&mirror)?;
    }
    Ok(mirror)
}

/// `--clone-dir` must not hold anything: the clone must not mix with, or be mistaken for,
/// what is there.
fn check_clone_dir(dir: &Path) -> Result<(), RemoteError> {
    let in_use = || RemoteError::CloneDirInUse {
        dir: dir.display().to_string(),
    };
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(RemoteError::CloneDir {
            dir: dir.display().to_string(),
            message: e.to_string(),
        }),
        Ok(meta) if !meta.is_dir() => Err(in_use()),
        Ok(_) => match std::fs::read_dir(dir).map(|mut entries| entries.next().is_none()) {
            Ok(true) => Ok(()),
            Ok(false) => Err(in_use()),
            Err(e) => Err(RemoteError::CloneDir {
                dir: dir.display().to_string(),
                message: e.to_string(),
            }),
        },
    }
}

/// The clone command: the user's git configuration (credential helpers, proxies, SSH) applies,
/// but nothing of it can run code during the clone or fetch less than everything.
fn clone_command(url: &RemoteUrl, dest: &Path) -> Command {
    let mut cmd = Command::new("git");
    for var in REPOSITORY_ENV {
        cmd.env_remove(var);
    }
    cmd.env("GIT_ALLOW_PROTOCOL", PROTOCOLS);
    if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
        // No one to answer: a missing credential fails the clone instead of hanging CI.
        cmd.env("GIT_TERMINAL_PROMPT", "0");
        cmd.env("GCM_INTERACTIVE", "never");
    }
    for setting in [
        "core.hooksPath=/dev/null",
        "core.fsmonitor=false",
        "submodule.recurse=false",
        "fetch.recurseSubmodules=false",
    ] {
        cmd.args(["-c", setting]);
    }
    cmd.args(["clone", "--mirror", "--quiet", "--no-local", "--template="])
        .arg("--")
        .arg(OsStr::new(&url.raw))
        .arg(dest)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn run_clone(mirror: &Mirror, timeout: Option<Duration>) -> Result<(), RemoteError> {
    let url = &mirror.url;
    let mut child = clone_command(url, mirror.path())
        .spawn()
        .map_err(|e| RemoteError::NoGit {
            url: url.shown.clone(),
            message: e.to_string(),
        })?;
    let stderr = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let room = STDERR_MAX.saturating_sub(kept.len());
                kept.extend_from_slice(buf.get(..n.min(room)).unwrap_or_default());
            }
            kept
        })
    });
    CLONING.store(child.id(), Ordering::SeqCst);
    let status = wait(&mut child, timeout);
    CLONING.store(0, Ordering::SeqCst);
    // The clone ended because the run was interrupted: the handler is removing the clone and
    // will exit with the signal's status; do not race it to an exit of our own.
    while INTERRUPTED.load(Ordering::SeqCst) {
        std::thread::park();
    }
    let said = stderr
        .and_then(|t| t.join().ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    match status {
        Some(Ok(s)) if s.success() => Ok(()),
        Some(Ok(s)) => {
            let said: Vec<&str> = said
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let message = if said.is_empty() {
                format!("git clone failed ({s})")
            } else {
                said.join("; ")
            };
            Err(RemoteError::Clone {
                url: url.shown.clone(),
                message: url.redact(&message),
            })
        }
        Some(Err(e)) => Err(RemoteError::Clone {
            url: url.shown.clone(),
            message: format!("waiting for git: {e}"),
        }),
        None => Err(RemoteError::Timeout {
            url: url.shown.clone(),
            seconds: timeout.map_or(0, |t| t.as_secs()),
        }),
    }
}

/// Waits for `child`; `None` when `timeout` passed first (the child is then killed).
fn wait(
    child: &mut Child,
    timeout: Option<Duration>,
) -> Option<std::io::Result<std::process::ExitStatus>> {
    let Some(timeout) = timeout else {
        return Some(child.wait());
    };
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(Ok(status)),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Some(Err(e)),
        }
    }
}

/// A kept clone remembers its origin without the password (or an HTTP user name that may be a
/// token): a credential given once on the command line is not left on disk.
/// Failing that is an error, not a silence: the clone is left where it is, and the user is told
/// that its config may hold the credential.
fn forget_credentials(mirror: &Mirror) -> Result<(), RemoteError> {
    if mirror.url.stored == mirror.url.raw {
        return Ok(());
    }
    git2::Repository::open_bare(mirror.path())
        .and_then(|repo| repo.remote_set_url("origin", &mirror.url.stored))
        .map_err(|e| RemoteError::CredentialsKept {
            dir: mirror.path().display().to_string(),
            message: mirror.url.redact(e.message()),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> RemoteUrl {
        match RemoteUrl::parse(s) {
            Ok(Some(u)) => u,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn urls_and_paths_are_told_apart() {
        for remote in [
            "https://example.com/a.git",
            "HTTP://example.com/a.git",
            "ssh://git@example.com:2222/a.git",
            "git://example.com/a",
            "file:///srv/git/a.git",
            "git@example.com:team/a.git",
            "example.com:a.git",
        ] {
            assert!(matches!(RemoteUrl::parse(remote), Ok(Some(_))), "{remote}");
        }
        for path in [
            "repo",
            "./a:b",
            "dir/a:b",
            "C:\\repo",
            "C:/repo",
            ":x",
            "/srv/a.git",
        ] {
            assert!(matches!(RemoteUrl::parse(path), Ok(None)), "{path}");
        }
        for refused in [
            "ext::sh -c touch% /tmp/x",
            "ftp://example.com/a",
            "fd::3",
            "-oProxyCommand=touch% x:a",
        ] {
            assert!(
                matches!(
                    RemoteUrl::parse(refused),
                    Err(RemoteError::Unsupported { .. })
                ),
                "{refused}"
            );
        }
    }

    #[test]
    fn credentials_are_never_shown() {
        let u = url("https://alice:s3cr%2Ft@example.com/a.git?private_token=tok123");
        assert_eq!(u.shown(), "https://***@example.com/a.git?***");
        assert_eq!(u.stored, "https://example.com/a.git");
        let said = "fatal: unable to access 'https://alice:s3cr%2Ft@example.com/a.git?private_token=tok123/': \
                    auth for alice with s3cr/t failed";
        let redacted = u.redact(said);
        for leak in ["alice", "s3cr", "tok123"] {
            assert!(!redacted.contains(leak), "{leak} in {redacted}");
        }
        assert!(redacted.contains("https://***@example.com/a.git?***"));

        let slash = url("https://bot:pa/ss@example.com/a.git");
        assert_eq!(slash.shown(), "https://***@example.com/a.git");
        assert!(!slash.redact("for pa/ss").contains("pa/ss"));

        let token = url("https://ghp_abcdef@example.com/a.git");
        assert_eq!(token.shown(), "https://***@example.com/a.git");

        let ssh = url("git@example.com:team/a.git");
        assert_eq!(ssh.shown(), "git@example.com:team/a.git");
        let ssh = url("ssh://deploy:pw0rd@example.com/a.git");
        assert_eq!(ssh.shown(), "ssh://deploy:***@example.com/a.git");
        assert_eq!(ssh.stored, "ssh://deploy@example.com/a.git");
        assert!(!ssh.redact("Permission denied for pw0rd").contains("pw0rd"));
        assert!(!format!("{ssh:?}").contains("pw0rd"));
    }

    #[test]
    fn a_password_in_the_scp_like_form_is_never_shown() {
        let u = url("deploy:hunter2@github.com:org/repo.git");
        assert_eq!(u.shown(), "deploy:***@github.com:org/repo.git");
        assert_eq!(u.stored, "deploy@github.com:org/repo.git");
        let said = "cannot clone deploy:hunter2@github.com:org/repo.git: denied for hunter2";
        assert!(!u.redact(said).contains("hunter2"), "{}", u.redact(said));
        // A password holding `:`, `/` or `@`.
        let u = url("deploy:p:a/s@s@github.com:org/repo.git");
        assert_eq!(u.shown(), "deploy:***@github.com:org/repo.git");
        assert!(!u.redact("p:a/s@s").contains("a/s"));
        // A bare user name stays, and an `@` in the path is not taken for the user's.
        let u = url("git@github.com:org/a@b.git");
        assert_eq!(u.shown(), "git@github.com:org/a@b.git");
        assert_eq!(u.stored, "git@github.com:org/a@b.git");
        let u = url("github.com:org/a@b.git");
        assert_eq!(u.shown(), "github.com:org/a@b.git");
    }

    #[test]
    fn a_clone_whose_origin_cannot_be_rewritten_is_an_error() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        // Not a repository: opening it fails, as a clone with a broken config would.
        let mirror = Mirror {
            url: url("https://ci:tok3n@example.com/a.git"),
            place: Place::Kept(tmp.path().to_path_buf()),
        };
        match forget_credentials(&mirror) {
            Err(e @ RemoteError::CredentialsKept { .. }) => {
                let said = e.to_string();
                assert!(said.contains("may be stored"), "{said}");
                assert!(!said.contains("tok3n"), "{said}");
            }
            other => panic!("{other:?}"),
        }
        // Nothing to rewrite: nothing to fail.
        let plain = Mirror {
            url: url("https://example.com/a.git"),
            place: Place::Kept(tmp.path().to_path_buf()),
        };
        assert!(forget_credentials(&plain).is_ok());
    }

    #[test]
    fn a_clone_dir_must_be_empty_or_absent() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        assert!(check_clone_dir(&tmp.path().join("new")).is_ok());
        assert!(check_clone_dir(tmp.path()).is_ok());
        std::fs::write(tmp.path().join("f"), "x").unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            check_clone_dir(tmp.path()),
            Err(RemoteError::CloneDirInUse { .. })
        ));
        assert!(matches!(
            check_clone_dir(&tmp.path().join("f")),
            Err(RemoteError::CloneDirInUse { .. })
        ));
    }
}
