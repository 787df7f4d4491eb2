//! Suppression: findings that were found but are not to be reported, and the count of each kind.
//! Besides lines marked `lushaguard:allow` (the detector flags those; `inline`), a finding is
//! hidden when
//!
//! - its key is an allowed value of `.lushaguard.toml` (`allow`, by key or fingerprint; `config`),
//! - its fingerprint, alone or with its path, is listed in `.lushaguardignore` or `--ignore-file`
//!   (`ignore_file`), or
//! - its fingerprint and path are both listed in the `--baseline` report (`baseline`),
//!
//! checked in that order; each hidden finding is counted once, under the first that matches.
//! Everything here holds fingerprints (SHA-256 of a key), never keys: a baseline made with
//! `--no-redact` has its `secret` fields ignored, and no error message repeats what it read.

use crate::report::{Finding, Suppressed};
use crate::rules::Rule;
use crate::secret::fingerprint_of;
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

/// The ignore file looked for at the scan root.
pub const IGNORE_FILE: &str = ".lushaguardignore";

#[derive(Debug, thiserror::Error)]
pub enum SuppressError {
    #[error("{path}: cannot read the baseline: {message}")]
    BaselineUnreadable { path: String, message: String },
    #[error("{path}: not a lushaguard JSON report (`--format json`): {message}")]
    BaselineMalformed { path: String, message: String },
    #[error("{path}: cannot read the ignore file: {message}")]
    IgnoreUnreadable { path: String, message: String },
    #[error("{path}:{line}: expected a 64-digit hex fingerprint (as in a JSON report), optionally followed by `:path`")]
    IgnoreLine { path: String, line: usize },
    #[error("{path}: allow[{index}]: {message}")]
    Allow {
        path: String,
        index: usize,
        message: String,
    },
}

/// Which mechanism hid a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Config,
    IgnoreFile,
    Baseline,
}

/// An ignore-file entry's path: as written, and resolved against the ignore file's directory.
#[derive(Debug, Clone)]
struct EntryPath {
    written: String,
    resolved: PathBuf,
}

#[derive(Debug, Clone)]
struct IgnoreEntry {
    fingerprint: String,
    path: Option<EntryPath>,
}

/// The loaded suppression lists. The default hides nothing.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    /// Fingerprints of allowed values.
    allow: BTreeSet<String>,
    ignore: Vec<IgnoreEntry>,
    /// (fingerprint, path) pairs of the baseline report.
    baseline: BTreeSet<(String, String)>,
    /// Things worth a warning that are not errors (a baseline that held keys).
    pub notes: Vec<String>,
}

fn is_fingerprint(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `path` made absolute against `base` and normalised lexically (`.` dropped, `..` applied), so
/// two spellings of one file compare equal without touching the file system.
fn resolve(base: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in base.join(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn current_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

impl Suppressions {
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.ignore.is_empty() && self.baseline.is_empty()
    }

    /// Adds the allowed values of a config file: each is a key (compared in each rule's
    /// canonical form) or the 64-hex-digit fingerprint of one.
    pub fn allow_values(
        &mut self,
        values: &[String],
        rules: &[Rule],
        config: &Path,
    ) -> Result<(), SuppressError> {
        for (index, raw) in values.iter().enumerate() {
            let value = raw.trim();
            if value.is_empty() {
                return Err(SuppressError::Allow {
                    path: config.display().to_string(),
                    index,
                    message: "empty value (give a key or its sha256 fingerprint)".into(),
                });
            }
            if is_fingerprint(value) {
                self.allow.insert(value.to_ascii_lowercase());
            }
            for rule in rules {
                self.allow.insert(fingerprint_of(&rule.canonicalize(value)));
            }
        }
        Ok(())
    }

    /// Reads an ignore file: one fingerprint per line, or `fingerprint:path` (the path relative
    /// to the file's directory); `#` starts a comment line; blank lines are fine.
    pub fn read_ignore_file(&mut self, file: &Path) -> Result<(), SuppressError> {
        let shown = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|e| SuppressError::IgnoreUnreadable {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let base = resolve(&current_dir(), file.parent().unwrap_or(Path::new("")));
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || SuppressError::IgnoreLine {
                path: shown.clone(),
                line: i + 1,
            };
            let (fingerprint, path) = match line.split_once(':') {
                Some((f, p)) => (f.trim(), Some(p.trim())),
                None => (line, None),
            };
            if !is_fingerprint(fingerprint) || path == Some("") {
                return Err(bad());
            }
            self.ignore.push(IgnoreEntry {
                fingerprint: fingerprint.to_ascii_lowercase(),
                path: path.map(|p| EntryPath {
                    written: p.to_string(),
                    resolved: resolve(&base, Path::new(p)),
                }),
            });
        }
        Ok(())
    }

    /// Reads a baseline: a previous `--format json` report. Only `fingerprint` and `path` of
    /// each finding are kept.
    pub fn read_baseline(&mut self, file: &Path) -> Result<(), SuppressError> {
        let shown = file.display().to_string();
        let bytes = std::fs::read(file).map_err(|e| SuppressError::BaselineUnreadable {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let malformed = |message: String| SuppressError::BaselineMalformed {
            path: shown.clone(),
            message,
        };
        // Parsed as a generic value first: serde's type errors quote the offending value,
        // and a malformed baseline might hold a key where a fingerprint should be.
        let doc: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| malformed(e.to_string()))?;
        let findings = doc
            .get("findings")
            .and_then(|f| f.as_array())
            .ok_or_else(|| malformed("no `findings` array".into()))?;
        let mut held_keys = false;
        for (i, f) in findings.iter().enumerate() {
            let fingerprint = f
                .get("fingerprint")
                .and_then(|v| v.as_str())
                .filter(|v| is_fingerprint(v))
                .ok_or_else(|| {
                    malformed(format!("finding {i} has no 64-digit hex `fingerprint`"))
                })?;
            let path = f
                .get("path")
                .and_then(|v| v.as_str())
                .ok_or_else(|| malformed(format!("finding {i} has no `path`")))?;
            held_keys |= f.get("secret").is_some();
            self.baseline
                .insert((fingerprint.to_ascii_lowercase(), path.to_string()));
        }
        if held_keys {
            self.notes.push(format!(
                "{shown}: the baseline holds full keys (made with --no-redact); only fingerprints \
                 were used. Regenerate it without --no-redact and do not commit keys"
            ));
        }
        Ok(())
    }

    /// Why a finding is hidden, if it is. `cwd` resolves finding paths for ignore entries.
    pub fn reason(&self, f: &Finding, cwd: &Path) -> Option<Reason> {
        let fingerprint = f.secret.fingerprint();
        if self.allow.contains(&fingerprint) {
            return Some(Reason::Config);
        }
        let mut resolved = None;
        for entry in self.ignore.iter().filter(|e| e.fingerprint == fingerprint) {
            let Some(p) = &entry.path else {
                return Some(Reason::IgnoreFile);
            };
            if p.written == f.path {
                return Some(Reason::IgnoreFile);
            }
            let here = resolved.get_or_insert_with(|| resolve(cwd, Path::new(&f.path)));
            if *here == p.resolved {
                return Some(Reason::IgnoreFile);
            }
        }
        if self.baseline.contains(&(fingerprint, f.path.clone())) {
            return Some(Reason::Baseline);
        }
        None
    }

    /// Drops the hidden findings and counts them by reason.
    pub fn apply(&self, findings: &mut Vec<Finding>, counts: &mut Suppressed) {
        if self.is_empty() {
            return;
        }
        let cwd = current_dir();
        findings.retain(|f| match self.reason(f, &cwd) {
            None => true,
            Some(Reason::Config) => {
                counts.config += 1;
                false
            }
            Some(Reason::IgnoreFile) => {
                counts.ignore_file += 1;
                false
            }
            Some(Reason::Baseline) => {
                counts.baseline += 1;
                false
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_lexically() {
        let base = Path::new("/repo");
        assert_eq!(
            resolve(base, Path::new("./a/../b/c")),
            PathBuf::from("/repo/b/c")
        );
        assert_eq!(resolve(base, Path::new("/abs/x")), PathBuf::from("/abs/x"));
    }

    #[test]
    fn malformed_ignore_lines_name_the_file_and_line_but_not_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(IGNORE_FILE);
        let fp = "a".repeat(64);
        // A key pasted where a fingerprint belongs must not be echoed back.
        let key = "6f1c2a9e-3b7d-4c58-9e21-0d4b8f7a6c35"; // lushaguard:allow (test key)
        std::fs::write(&file, format!("# ok\n\n{fp}\n{fp}:src/a.env\n{key}\n")).unwrap();
        let err = Suppressions::default()
            .read_ignore_file(&file)
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("{}:5:", file.display())), "{err}");
        assert!(!err.contains(key), "{err}");
        std::fs::write(&file, format!("{fp}:\n")).unwrap();
        assert!(Suppressions::default().read_ignore_file(&file).is_err());
    }
}
