//! What every git source shares: the validated settings of a git scan (`GitScan`: detector,
//! floor, report settings, exclusions, `--strict`'s base), the way repository paths become
//! report paths, and the walk's notes turned into counted warnings. The sources themselves are
//! `history` (commits, pushes) and `staged` (the index).

use super::{Collected, Engine};
use crate::cli::ScanOptions;
use crate::detect::{Confidence, Detection, Detector};
use crate::model::{Provenance, SettingsChange, SettingsChanges};
use crate::settings::{self, Lookup, ReportSettings, CONFIG_FILE};
use crate::source::commit_files::{self, CommitFiles};
use crate::source::fs::Warning;
use crate::source::git::Notes;
use crate::source::unpack::Unpack;
use crate::suppress::{Exclusions, IGNORE_FILE};
use anyhow::Result;
use git2::{Oid, Repository};
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

/// Everything a git scan needs, validated.
pub struct GitScan {
    pub detector: Detector,
    pub min: Confidence,
    pub report: ReportSettings,
    pub threads: usize,
    /// How archives in blobs are opened (`--archive-*`; never images: a finding in history or
    /// the index must stay a path in a commit).
    pub(crate) unpack: Unpack,
    exclusions: Exclusions,
    /// The top of the work tree (a bare repository's directory): where `exclude` globs start.
    workdir: PathBuf,
    /// `--strict` with a base: allow marks count only on lines the base commit already had.
    strict_base: Option<Oid>,
}

impl GitScan {
    /// The engine a git scan runs on: its detector, floor, progress line (`label`) and threads.
    pub fn engine(&self, label: &'static str) -> Engine<'_> {
        Engine::new(&self.detector, self.min, self.report.progress, label).threads(self.threads)
    }

    /// Settings for a scan of the commits a change adds on top of `base` up to `tip`: the
    /// suppression settings come from `base`, which the change cannot edit, and the report
    /// lists what the change does to them. Without a range: `--config`, else `.lushaguard.toml`
    /// at the top of the work tree (a bare repository has none), then the flags.
    pub fn for_range(
        repo: &Repository,
        args: &ScanOptions,
        range: Option<(Oid, Oid)>,
    ) -> Result<GitScan> {
        GitScan::build(repo, args, range, range.map(|(base, _)| base))
    }

    /// Settings for `--staged`: a commit-to-be's base is HEAD, for `--strict`.
    pub fn staged(repo: &Repository, args: &ScanOptions) -> Result<GitScan> {
        let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        GitScan::build(repo, args, None, head.map(|c| c.id()))
    }

    fn build(
        repo: &Repository,
        args: &ScanOptions,
        range: Option<(Oid, Oid)>,
        base: Option<Oid>,
    ) -> Result<GitScan> {
        let base_files = match range {
            Some((base, _)) => {
                Some(Box::new(CommitFiles::new(repo, base)?) as Box<dyn crate::files::CommitTree>)
            }
            None => None,
        };
        let lookup = Lookup::repository(repo.workdir(), repo.path(), base_files);
        let mut r = settings::resolve(args, &lookup)?;
        r.exclusions
            .set_roots(std::slice::from_ref(&lookup.workdir))?;
        if let Some((base, tip)) = range {
            let changes = commit_files::settings_changes(
                repo,
                base,
                tip,
                &[CONFIG_FILE, IGNORE_FILE],
                &r.named_files,
            )?;
            if !changes.is_empty() {
                r.report.settings_changes = Some(SettingsChanges {
                    base: format!("base commit {}", commit_files::short(base)),
                    files: changes
                        .into_iter()
                        .map(|c| SettingsChange {
                            path: c.path,
                            change: c.how.to_string(),
                        })
                        .collect(),
                });
            }
        }
        let strict_base = match (args.suppress.strict, base) {
            (true, Some(base)) => Some(base),
            (true, None) => {
                r.report.notes.push(
                    "--strict has no base commit to compare with here (a whole history or a new \
                     branch): every lushaguard:allow mark counts"
                        .into(),
                );
                None
            }
            (false, _) => None,
        };
        Ok(GitScan {
            detector: Detector::new(r.rules).with_decoding(r.decode),
            min: r.min_confidence,
            report: r.report,
            threads: r.threads,
            unpack: Unpack {
                images: false,
                ..settings::unpack(&args.archives)
            },
            exclusions: r.exclusions,
            workdir: lookup.workdir,
            strict_base,
        })
    }

    /// Is a repository path (relative to the top of the tree) left out by `exclude`?
    pub(crate) fn excluded(&self, path: &[u8]) -> bool {
        self.exclusions
            .repo_path(&self.workdir, &bytes_to_path(path))
    }

    /// With `--strict`, takes back the allow marks on lines that the base commit's version of
    /// `path` does not have: the change added them, and a change cannot suppress itself.
    pub(crate) fn unmark_added_allows(
        &self,
        repo: &Repository,
        path: &[u8],
        content: impl FnOnce() -> Option<Vec<u8>>,
        detections: &mut [Detection],
        base_lines: &mut HashMap<Vec<u8>, BTreeSet<Vec<u8>>>,
    ) {
        let Some(base) = self.strict_base else { return };
        if !detections.iter().any(|d| d.allowed) {
            return;
        }
        let lines: Vec<Vec<u8>> = content()
            .unwrap_or_default()
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
            .collect();
        let known = base_lines
            .entry(path.to_vec())
            .or_insert_with(|| commit_files::lines_at(repo, base, &bytes_to_path(path)));
        for d in detections.iter_mut().filter(|d| d.allowed) {
            let line = usize::try_from(d.line)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| lines.get(i));
            if !line.is_some_and(|l| known.contains(l)) {
                d.allowed = false;
            }
        }
    }

    /// With `--strict` and a base, takes back every allow mark found inside an archive: an
    /// entry has no lines the base commit's file can be compared with, and a change cannot
    /// suppress itself.
    pub(crate) fn unmark_archive_allows(&self, detections: &mut [Detection]) {
        if self.strict_base.is_some() {
            for d in detections.iter_mut() {
                d.allowed = false;
            }
        }
    }
}

/// The paths inside archives that lead from a git blob to the entry `provenance` names,
/// outermost first (none for the blob itself).
pub(crate) fn inner_paths(provenance: &Provenance) -> Vec<String> {
    let mut chain = Vec::new();
    let mut p = provenance;
    while let Provenance::Archive { outer, inner } = p {
        chain.push(inner.clone());
        p = outer;
    }
    chain.reverse();
    chain
}

/// `outer` wrapped in one `Provenance::Archive` per inner path.
pub(crate) fn in_archives(outer: Provenance, inner: &[String]) -> Provenance {
    inner
        .iter()
        .fold(outer, |outer, inner| Provenance::Archive {
            outer: Box::new(outer),
            inner: inner.clone(),
        })
}

/// The bytes a finding inside archives sorts by: the blob's raw path, then each inner path.
pub(crate) fn archive_sort_key(path: &[u8], inner: &[String]) -> Vec<u8> {
    let mut key = path.to_vec();
    for i in inner {
        key.extend(crate::model::NESTED.to_string().as_bytes());
        key.extend(i.as_bytes());
    }
    key
}

#[cfg(unix)]
pub(crate) fn bytes_to_path(path: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(path))
}

#[cfg(not(unix))]
pub(crate) fn bytes_to_path(path: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(path).into_owned())
}

/// The path as reports show it (non-UTF-8 bytes as U+FFFD; the sort key keeps the raw bytes).
pub(crate) fn shown(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// The notes of a git scan as counted warnings, each kind said once.
pub(crate) fn absorb_notes(c: &mut Collected, notes: Notes) {
    c.skipped.symlinks += notes.symlinks;
    c.skipped.unreadable += notes.unreadable;
    c.incomplete.extend(notes.incomplete);
    c.shallow |= notes.shallow;
    c.warnings
        .extend(notes.warnings.into_iter().map(|message| Warning {
            path: String::new(),
            message,
        }));
    let mut counted = |n: u64, one: &str, many: &str, why: &str| {
        if n > 0 {
            let what = if n == 1 { one } else { many };
            c.warnings.push(Warning {
                path: String::new(),
                message: format!("{n} {what} skipped: {why}"),
            });
        }
    };
    counted(
        notes.submodules,
        "submodule entry (gitlinks)",
        "submodule entries (gitlinks)",
        "scan each submodule's repository on its own",
    );
    counted(
        notes.lfs_pointers,
        "Git LFS pointer file",
        "Git LFS pointer files",
        "the content lives on the LFS server",
    );
}

/// A regular or executable file's mode (not a symbolic link, a submodule or a directory).
pub(crate) fn is_file_mode(mode: i32) -> bool {
    mode & 0o170000 == 0o100000
}
