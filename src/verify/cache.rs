//! The verification cache: results keyed by the key's SHA-256 fingerprint, never the key, each
//! with the time it was checked and the endpoint that answered. It lives in the user's cache
//! directory (`$XDG_CACHE_HOME/lushaguard/verify-cache.json`) unless the user names another file;
//! settings found in a scanned tree cannot name it.
//!
//! It cannot lie: an entry dated in the future or older than the TTL is dropped, an entry from
//! another endpoint is not used, and `unknown` results are never stored. It cannot clobber:
//! a save takes an advisory lock (`flock` on `<cache>.lock`), merges its new entries into what
//! is on disk then (so concurrent runs lose nothing), writes a new file with a unique name,
//! created exclusively (never through a symbolic link) with mode 0600 in the same directory, and
//! renames it over the cache.

use crate::model::{Verification, VerifyStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Version 2 added `endpoint`; older files are not used.
const VERSION: u32 = 2;

/// The cache file's name in the user's cache directory.
pub const FILE_NAME: &str = "verify-cache.json";

/// The longest a save waits for another run's lock once the deadline has passed.
pub const LOCK_GRACE: Duration = Duration::from_secs(1);

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    version: u32,
    /// fingerprint → entry
    entries: BTreeMap<String, Entry>,
    /// What this run added, merged into the file on save.
    #[serde(skip)]
    fresh: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// Unix seconds.
    checked_at: u64,
    /// The URL that gave the answer.
    endpoint: String,
    result: Verification,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Is this entry worth believing at `now`? Not from the future, not older than `ttl`.
fn fresh_at(e: &Entry, now: u64, ttl: Duration) -> bool {
    e.checked_at <= now && now - e.checked_at < ttl.as_secs()
}

/// The user's cache directory for lushaguard: `$XDG_CACHE_HOME/lushaguard`, else
/// `~/.cache/lushaguard`. `None` when neither can be found.
pub fn default_dir() -> Option<PathBuf> {
    crate::files::xdg_dir("XDG_CACHE_HOME", ".cache")
}

impl Cache {
    fn empty() -> Cache {
        Cache {
            version: VERSION,
            ..Cache::default()
        }
    }

    /// Loads the cache, keeping only entries fresh under `ttl`. A missing file is an empty cache;
    /// an unreadable or corrupt one is an empty cache plus a warning.
    pub fn load(path: &Path, ttl: Duration) -> (Cache, Option<String>) {
        let shown = path.display();
        let bytes = match crate::files::read_bounded(path, &shown.to_string()) {
            Ok(b) => b,
            Err(crate::files::FileError::Missing { .. }) => return (Cache::empty(), None),
            Err(e) => {
                return (
                    Cache::empty(),
                    Some(format!("verification cache not used: {e}")),
                )
            }
        };
        match serde_json::from_slice::<Cache>(&bytes) {
            Ok(mut c) if c.version == VERSION => {
                let now = now_secs();
                c.entries.retain(|_, e| fresh_at(e, now, ttl));
                (c, None)
            }
            Ok(_) => (
                Cache::empty(),
                Some(format!(
                    "{shown}: verification cache of another version, not used (it is replaced \
                     on the next save)"
                )),
            ),
            Err(e) => (
                Cache::empty(),
                Some(format!(
                    "{shown}: verification cache is not valid ({e}), not used"
                )),
            ),
        }
    }

    /// A result for this fingerprint that `endpoint` gave less than `ttl` ago, if any.
    pub fn get(&self, fingerprint: &str, endpoint: &str, ttl: Duration) -> Option<Verification> {
        let e = self.entries.get(fingerprint)?;
        (e.endpoint == endpoint && fresh_at(e, now_secs(), ttl)).then(|| e.result.clone())
    }

    pub fn put(&mut self, fingerprint: &str, endpoint: &str, result: &Verification) {
        if result.status == VerifyStatus::Unknown {
            return;
        }
        let entry = Entry {
            checked_at: now_secs(),
            endpoint: endpoint.to_string(),
            result: result.clone(),
        };
        self.entries.insert(fingerprint.to_string(), entry.clone());
        self.fresh.insert(fingerprint.to_string(), entry);
    }

    /// Merges this run's new entries into the file as it is now, under the lock, and replaces it.
    /// Waits for the lock until `lock_until` at most: a run that holds it for longer (stopped,
    /// hung) costs this run its save, never its deadline.
    pub fn save(&mut self, path: &Path, ttl: Duration, lock_until: Instant) -> std::io::Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        create_private_dir(&dir)?;
        let _lock = Lock::take(path, lock_until)?;
        let (mut on_disk, _) = Cache::load(path, ttl);
        for (fp, e) in &self.fresh {
            match on_disk.entries.get(fp) {
                Some(old) if old.checked_at > e.checked_at => {}
                _ => {
                    on_disk.entries.insert(fp.clone(), e.clone());
                }
            }
        }
        let now = now_secs();
        on_disk.entries.retain(|_, e| fresh_at(e, now, ttl));
        let text = serde_json::to_string_pretty(&on_disk).map_err(std::io::Error::other)? + "\n";
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| FILE_NAME.to_string());
        // tempfile creates the file with O_CREAT | O_EXCL (which never follows a symbolic link)
        // under a random name, mode 0600.
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".tmp")
            .tempfile_in(&dir)?;
        tmp.write_all(text.as_bytes())?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        self.entries = on_disk.entries;
        self.fresh.clear();
        Ok(())
    }
}

/// Creates the cache directory (mode 0700) if it is missing.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// An exclusive advisory lock on `<cache>.lock`, held until dropped.
struct Lock {
    _file: std::fs::File,
}

impl Lock {
    fn take(cache: &Path, until: Instant) -> std::io::Result<Lock> {
        let mut name = cache.as_os_str().to_owned();
        name.push(".lock");
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            // A symbolic link planted at the lock's name is refused, not followed.
            options
                .mode(0o600)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC);
        }
        let file = options.open(PathBuf::from(name))?;
        #[cfg(unix)]
        loop {
            use rustix::fs::{flock, FlockOperation};
            match flock(&file, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => break,
                Err(e) if e == rustix::io::Errno::WOULDBLOCK && Instant::now() < until => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) if e == rustix::io::Errno::WOULDBLOCK => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::WouldBlock,
                        "another lushaguard run holds its lock",
                    ))
                }
                Err(e) => return Err(e.into()),
            }
        }
        #[cfg(not(unix))]
        let _ = until;
        Ok(Lock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDPOINT: &str = "https://api.lusha.com/v3/account/usage";

    fn result(status: VerifyStatus) -> Verification {
        Verification {
            status,
            http_status: Some(200),
            detail: "d".into(),
            account: None,
        }
    }

    const MINUTE: Duration = Duration::from_secs(60);

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[cfg(unix)]
    #[test]
    fn a_save_waits_for_a_held_lock_only_until_told() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        let held = Lock::take(&path, soon()).unwrap();
        let mut c = Cache::empty();
        c.put("aa", ENDPOINT, &result(VerifyStatus::Live));
        let err = c.save(&path, MINUTE, Instant::now()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "{err}");
        drop(held);
        c.save(&path, MINUTE, soon()).unwrap();
    }

    #[test]
    fn round_trip_ttl_endpoint_and_no_unknowns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        let (mut c, warning) = Cache::load(&path, MINUTE);
        assert!(warning.is_none());
        c.put("aa", ENDPOINT, &result(VerifyStatus::Live));
        c.put("bb", ENDPOINT, &result(VerifyStatus::Unknown));
        c.save(&path, MINUTE, soon()).unwrap();
        let (c, _) = Cache::load(&path, MINUTE);
        assert_eq!(
            c.get("aa", ENDPOINT, MINUTE).unwrap().status,
            VerifyStatus::Live
        );
        assert!(c.get("bb", ENDPOINT, MINUTE).is_none());
        assert!(c.get("aa", ENDPOINT, Duration::ZERO).is_none());
        // Another endpoint's answer is not this one's.
        assert!(c
            .get("aa", "http://127.0.0.1:9/v3/account/usage", MINUTE)
            .is_none());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn entries_from_the_future_or_past_the_ttl_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        let entry = |at: u64| {
            serde_json::json!({"checked_at": at, "endpoint": ENDPOINT,
                "result": {"status": "invalid", "http_status": 401, "detail": "d", "account": null}})
        };
        let doc = serde_json::json!({"version": VERSION, "entries": {
            "future": entry(now_secs() + 10_000_000),
            "old": entry(now_secs() - 7200),
            "good": entry(now_secs()),
        }});
        std::fs::write(&path, doc.to_string()).unwrap();
        let ttl = Duration::from_secs(3600);
        let (mut c, _) = Cache::load(&path, ttl);
        assert!(c.get("future", ENDPOINT, ttl).is_none());
        assert!(c.get("old", ENDPOINT, ttl).is_none());
        assert!(c.get("good", ENDPOINT, ttl).is_some());
        c.put("new", ENDPOINT, &result(VerifyStatus::Live));
        c.save(&path, ttl, soon()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("future") && !text.contains("\"old\""),
            "{text}"
        );
        assert!(text.contains("good") && text.contains("new"), "{text}");
    }

    #[test]
    fn corrupt_cache_warns_and_starts_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        std::fs::write(&path, "{oops").unwrap();
        let (c, warning) = Cache::load(&path, MINUTE);
        assert!(c.entries.is_empty());
        assert!(warning.unwrap().contains("not valid"));
    }

    #[cfg(unix)]
    #[test]
    fn saving_never_writes_through_planted_links() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let path = dir.path().join("cache.json");
        for planted in ["cache.json.tmp", "cache.json.lock"] {
            std::os::unix::fs::symlink(&victim, dir.path().join(planted)).unwrap();
        }
        let (mut c, _) = Cache::load(&path, MINUTE);
        c.put("aa", ENDPOINT, &result(VerifyStatus::Live));
        // The planted lock link is refused; nothing is written anywhere.
        assert!(c.save(&path, MINUTE, soon()).is_err());
        std::fs::remove_file(dir.path().join("cache.json.lock")).unwrap();
        c.save(&path, MINUTE, soon()).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        // A link at the cache's own name is replaced, not written through.
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        c.put("bb", ENDPOINT, &result(VerifyStatus::Live));
        c.save(&path, MINUTE, soon()).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(!std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink());
    }
}
