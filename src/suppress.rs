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
//!
//! Paths are left out before they are read by `Exclusions`: `exclude` globs of a settings file
//! apply beneath that file's directory, `--exclude` globs beneath each scanned path; a path named
//! on the command line is scanned even if a glob matches it or a directory above it. Each path
//! left out is counted (`excluded`).

use crate::files::{current_dir, lexical as resolve};
use crate::model::{Finding, Suppressed};
use crate::rules::Rule;
use crate::secret::fingerprint_of;
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The ignore file looked for at the scan root.
pub const IGNORE_FILE: &str = ".lushaguardignore";

#[derive(Debug, thiserror::Error)]
pub enum SuppressError {
    #[error("{path}: exclude pattern `{glob}`: {message}")]
    Exclude {
        path: String,
        glob: String,
        message: String,
    },
    #[error("{path}: not a lushaguard JSON report (`--format json`): {message}")]
    BaselineMalformed { path: String, message: String },
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
        config: &str,
    ) -> Result<(), SuppressError> {
        for (index, raw) in values.iter().enumerate() {
            let value = raw.trim();
            if value.is_empty() {
                return Err(SuppressError::Allow {
                    path: config.to_string(),
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

    /// Adds the entries of an ignore file's text: one fingerprint per line, or
    /// `fingerprint:path` (the path relative to `dir`, the file's directory on disk); `#` starts
    /// a comment line; blank lines are fine. `shown` names the file in errors.
    pub fn add_ignore_text(
        &mut self,
        text: &str,
        shown: &str,
        dir: &Path,
    ) -> Result<(), SuppressError> {
        let shown = shown.to_string();
        let base = resolve(&current_dir(), dir);
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

    /// Adds a baseline: a previous `--format json` report. Only `fingerprint` and `path` of
    /// each finding are kept.
    pub fn add_baseline(&mut self, bytes: &[u8], shown: &str) -> Result<(), SuppressError> {
        let shown = shown.to_string();
        let malformed = |message: String| SuppressError::BaselineMalformed {
            path: shown.clone(),
            message,
        };
        // Parsed as a generic value first: serde's type errors quote the offending value,
        // and a malformed baseline might hold a key where a fingerprint should be.
        let doc: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| malformed(e.to_string()))?;
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

/// `exclude` globs (gitignore syntax) anchored at a directory: they apply to paths beneath it.
#[derive(Debug, Clone)]
struct Anchored {
    dir: PathBuf,
    matcher: Gitignore,
}

/// Which paths are left out, and how many were.
#[derive(Debug, Clone, Default)]
pub struct Exclusions {
    anchored: Vec<Anchored>,
    /// `--exclude` globs and the user config's: relative to each scanned root.
    relative: Vec<String>,
    /// The scanned roots (absolute, lexical) and their matchers for `relative`.
    roots: Vec<(PathBuf, Option<Gitignore>)>,
    /// The current directory, once: walk paths are relative to it.
    cwd: PathBuf,
    count: Arc<AtomicUsize>,
}

fn matcher(dir: &Path, globs: &[String], shown: &str) -> Result<Gitignore, SuppressError> {
    let mut b = GitignoreBuilder::new(dir);
    for glob in globs {
        b.add_line(None, glob).map_err(|e| SuppressError::Exclude {
            path: shown.to_string(),
            glob: glob.clone(),
            message: e.to_string(),
        })?;
    }
    b.build().map_err(|e| SuppressError::Exclude {
        path: shown.to_string(),
        glob: String::new(),
        message: e.to_string(),
    })
}

impl Exclusions {
    /// Globs written in the settings file `shown`, relative to `dir` (absolute).
    pub fn anchor(
        &mut self,
        dir: &Path,
        globs: &[String],
        shown: &str,
    ) -> Result<(), SuppressError> {
        if globs.is_empty() {
            return Ok(());
        }
        self.anchored.push(Anchored {
            dir: dir.to_path_buf(),
            matcher: matcher(dir, globs, shown)?,
        });
        Ok(())
    }

    /// Globs relative to whatever root a path is found under (`--exclude`).
    pub fn relative(&mut self, globs: &[String]) {
        self.relative.extend(globs.iter().cloned());
    }

    /// Fixes the scanned roots; call once all globs are in.
    pub fn set_roots(&mut self, roots: &[PathBuf]) -> Result<(), SuppressError> {
        self.cwd = current_dir();
        self.roots = roots
            .iter()
            .map(|r| {
                let abs = resolve(&self.cwd, r);
                let m = if self.relative.is_empty() {
                    None
                } else {
                    Some(matcher(&abs, &self.relative, "--exclude")?)
                };
                Ok((abs, m))
            })
            .collect::<Result<_, SuppressError>>()?;
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.anchored.is_empty() && self.relative.is_empty()
    }

    /// Is `path` (as the walk spells it) left out? Only the part below the scanned root it was
    /// found under is matched: a root itself is never left out. Counts what it leaves out.
    pub fn walk_filter(&self, path: &Path, is_dir: bool) -> bool {
        if self.is_empty() {
            return false;
        }
        let abs = resolve(&self.cwd, path);
        let Some((root, relative)) = self
            .roots
            .iter()
            .filter(|(r, _)| abs.starts_with(r) && abs != *r)
            .max_by_key(|(r, _)| r.as_os_str().len())
        else {
            return false;
        };
        let out = self.below(&abs, root, is_dir)
            || relative.as_ref().is_some_and(|m| {
                abs.strip_prefix(root)
                    .is_ok_and(|rel| m.matched_path_or_any_parents(rel, is_dir).is_ignore())
            });
        if out {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
        out
    }

    /// Does an anchored glob match `abs` or a directory between it and `root`?
    fn below(&self, abs: &Path, root: &Path, is_dir: bool) -> bool {
        let mut steps: Vec<(&Path, bool)> = Vec::new();
        let mut p = abs;
        let mut dir = is_dir;
        while p != root && p.starts_with(root) {
            steps.push((p, dir));
            dir = true;
            match p.parent() {
                Some(parent) => p = parent,
                None => break,
            }
        }
        // Outermost first: a directory left out takes everything beneath it.
        steps.iter().rev().any(|(p, dir)| {
            self.anchored.iter().any(|a| {
                p.strip_prefix(&a.dir).is_ok_and(|rel| {
                    !rel.as_os_str().is_empty() && a.matcher.matched(rel, *dir).is_ignore()
                })
            })
        })
    }

    /// Is a path of a git tree (relative to its top, `workdir` on disk, absolute and one of the
    /// roots) left out? Not counted here: history meets a path in many commits, and the caller
    /// counts each path once.
    pub fn repo_path(&self, workdir: &Path, rel: &Path) -> bool {
        if self.is_empty() {
            return false;
        }
        let abs = resolve(workdir, rel);
        let relative = self
            .roots
            .iter()
            .find(|(r, _)| r == workdir)
            .and_then(|(_, m)| m.as_ref());
        self.below(&abs, workdir, false)
            || relative.is_some_and(|m| m.matched_path_or_any_parents(rel, false).is_ignore())
    }

    /// How many paths the walk left out.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Relaxed)
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
        let shown = file.display().to_string();
        let text = format!("# ok\n\n{fp}\n{fp}:src/a.env\n{key}\n");
        let err = Suppressions::default()
            .add_ignore_text(&text, &shown, dir.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!("{shown}:5:")), "{err}");
        assert!(!err.contains(key), "{err}");
        assert!(Suppressions::default()
            .add_ignore_text(&format!("{fp}:\n"), &shown, dir.path())
            .is_err());
    }
}
