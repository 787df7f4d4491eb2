//! The optional verification cache (`--verify-cache FILE`): results keyed by the key's SHA-256
//! fingerprint, never the key, each with the time it was checked. Entries older than the TTL are
//! ignored; `unknown` results are never cached (they are worth asking again). The file is
//! replaced atomically (write a sibling, then rename).

use crate::report::{Verification, VerifyStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cache {
    version: u32,
    /// fingerprint → entry
    entries: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// Unix seconds.
    checked_at: u64,
    result: Verification,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Cache {
    /// Loads the cache; a missing file is an empty cache, an unreadable or corrupt one is an
    /// empty cache plus a warning.
    pub fn load(path: &Path) -> (Cache, Option<String>) {
        let empty = Cache {
            version: VERSION,
            entries: BTreeMap::new(),
        };
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (empty, None),
            Err(e) => {
                return (
                    empty,
                    Some(format!(
                        "{}: cannot read the verification cache: {e}",
                        path.display()
                    )),
                )
            }
        };
        match serde_json::from_str::<Cache>(&text) {
            Ok(c) if c.version == VERSION => (c, None),
            Ok(_) => (
                empty,
                Some(format!(
                    "{}: verification cache of another version, ignored",
                    path.display()
                )),
            ),
            Err(e) => (
                empty,
                Some(format!(
                    "{}: verification cache is not valid ({e}), ignored",
                    path.display()
                )),
            ),
        }
    }

    /// A fresh result for this fingerprint, if any.
    pub fn get(&self, fingerprint: &str, ttl: Duration) -> Option<Verification> {
        let e = self.entries.get(fingerprint)?;
        (now_secs().saturating_sub(e.checked_at) < ttl.as_secs()).then(|| e.result.clone())
    }

    pub fn put(&mut self, fingerprint: &str, result: &Verification) {
        if result.status == VerifyStatus::Unknown {
            return;
        }
        self.entries.insert(
            fingerprint.to_string(),
            Entry {
                checked_at: now_secs(),
                result: result.clone(),
            },
        );
    }

    /// Drops entries older than `ttl`, then writes the file atomically.
    pub fn save(&mut self, path: &Path, ttl: Duration) -> std::io::Result<()> {
        let now = now_secs();
        self.entries
            .retain(|_, e| now.saturating_sub(e.checked_at) < ttl.as_secs());
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        std::fs::write(&tmp, text + "\n")?;
        std::fs::rename(&tmp, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(status: VerifyStatus) -> Verification {
        Verification {
            status,
            http_status: Some(200),
            detail: "d".into(),
            account: None,
        }
    }

    #[test]
    fn round_trip_ttl_and_no_unknowns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        let (mut c, warning) = Cache::load(&path);
        assert!(warning.is_none());
        c.put("aa", &result(VerifyStatus::Live));
        c.put("bb", &result(VerifyStatus::Unknown));
        c.save(&path, Duration::from_secs(60)).unwrap();
        let (c, _) = Cache::load(&path);
        assert_eq!(
            c.get("aa", Duration::from_secs(60)).unwrap().status,
            VerifyStatus::Live
        );
        assert!(c.get("bb", Duration::from_secs(60)).is_none());
        assert!(c.get("aa", Duration::ZERO).is_none());
    }

    #[test]
    fn corrupt_cache_warns_and_starts_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.json");
        std::fs::write(&path, "{oops").unwrap();
        let (c, warning) = Cache::load(&path);
        assert!(c.entries.is_empty());
        assert!(warning.unwrap().contains("not valid"));
    }
}
