//! `lushaguard git`: history and the index as sources. The git source walks the selected commits
//! and hands every blob and every commit and tag message, once, to worker threads that scan it
//! with the same detector and reader `scan` uses. Findings then become one per (key fingerprint, path), attributed to the earliest
//! commit that introduced that key there; a key that moved to a new path in the commit that
//! removed it from the old one is the same finding, not a new one. Each history finding says
//! whether the key is still anywhere in HEAD. `--staged` scans the index blobs that differ from
//! HEAD and keeps only findings on added lines. The hooks (`commands::hook`) reuse all of this.

use super::pipeline::{self, to_finding, Collected};
use super::progress::Progress;
use super::scan::scan_file;
use crate::cli::{GitArgs, ScanOptions};
use crate::detect::{Confidence, Detection, Detector};
use crate::report::{CommitInfo, Finding, IncompleteKind};
use crate::report::{SettingsChange, SettingsChanges};
use crate::settings::{self, Lookup, ReportSettings, CONFIG_FILE};
use crate::source::commit_files::{self, CommitFiles};
use crate::source::fs::Warning;
use crate::source::git::{
    self as git_source, BlobItem, BlobVisitor, Content, Notes, Opener, Origin, Selection,
};
use crate::source::reader;
use crate::source::remote;
use crate::suppress::{Exclusions, IGNORE_FILE};
use anyhow::Result;
use git2::{Oid, Repository};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// Everything a git scan needs, validated.
pub struct GitScan {
    pub detector: Detector,
    pub min: Confidence,
    pub report: ReportSettings,
    pub threads: usize,
    exclusions: Exclusions,
    /// The top of the work tree (a bare repository's directory): where `exclude` globs start.
    workdir: PathBuf,
    /// `--strict` with a base: allow marks count only on lines the base commit already had.
    strict_base: Option<Oid>,
}

impl GitScan {
    /// Settings for a scan of `repo`: `--config`, else `.lushaguard.toml` at the top of the
    /// work tree (a bare repository has none), then the flags.
    pub fn new(repo: &Repository, args: &ScanOptions) -> Result<GitScan> {
        GitScan::for_range(repo, args, None)
    }

    /// Settings for a scan of the commits a change adds on top of `base` up to `tip`: the
    /// suppression settings come from `base`, which the change cannot edit, and the report
    /// lists what the change does to them. Without a range, as `new`.
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
            exclusions: r.exclusions,
            workdir: lookup.workdir,
            strict_base,
        })
    }

    /// Is a repository path (relative to the top of the tree) left out by `exclude`?
    fn excluded(&self, path: &[u8]) -> bool {
        self.exclusions
            .repo_path(&self.workdir, &bytes_to_path(path))
    }

    /// With `--strict`, takes back the allow marks on lines that the base commit's version of
    /// `path` does not have: the change added them, and a change cannot suppress itself.
    fn unmark_added_allows(
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
}

/// The range a `--range` selection stands for: (base, tip), when it has a base.
pub fn range_of(selection: &Selection) -> Option<(Oid, Oid)> {
    match (selection.exclude.first(), selection.include.first()) {
        (Some(base), Some(tip)) => Some((*base, *tip)),
        _ => None,
    }
}

#[cfg(unix)]
fn bytes_to_path(path: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(path))
}

#[cfg(not(unix))]
fn bytes_to_path(path: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(path).into_owned())
}

/// The path as reports show it (non-UTF-8 bytes as U+FFFD; the sort key keeps the raw bytes).
fn shown(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

pub fn run(args: &GitArgs) -> Result<u8> {
    // A URL is cloned first; the clone lives (and a temporary one is removed) with `mirror`.
    let mirror = clone_remote(args)?;
    let opener = match (&mirror, &args.repo) {
        (Some(m), _) => Opener::Path(m.path().to_path_buf()),
        (None, Some(p)) => Opener::Path(p.clone()),
        (None, None) => Opener::Env,
    };
    let repo = opener.open()?;
    if args.staged {
        let mut scan = GitScan::staged(&repo, &args.scan)?;
        // The pre-commit hook's command: what to do about a commit, not about history.
        scan.report.advice = Some(super::hook::commit_advice());
        let collected = scan_staged(&repo, &scan, matches!(opener, Opener::Env))?;
        return pipeline::deliver(&scan.detector, collected, scan.min, &scan.report);
    }
    let mut notes = Notes::default();
    let mut selection = match (&args.range, &args.branch) {
        (Some(spec), _) | (None, Some(spec)) => Selection::revspec(&repo, spec)?,
        (None, None) => Selection::all_refs(&repo, &mut notes)?,
    };
    let range = args.range.as_ref().and_then(|_| range_of(&selection));
    let mut scan = GitScan::for_range(&repo, &args.scan, range)?;
    scan.report
        .notes
        .extend(mirror.as_ref().map(remote::Mirror::describe));
    // Parsed (and checked to be a date) by the command line.
    if let Some(since) = args.since {
        selection.since = Some(since);
        selection.everything = false;
    }
    let collected = scan_commits(&opener, &repo, &selection, &scan, notes, true)?;
    pipeline::deliver(&scan.detector, collected, scan.min, &scan.report)
}

/// `git URL`: the URL cloned (every ref, bare), or `None` for a local repository.
fn clone_remote(args: &GitArgs) -> Result<Option<remote::Mirror>> {
    let url = match &args.repo {
        Some(repo) => remote::RemoteUrl::from_argument(repo)?,
        None => None,
    };
    let usage = |message: String| Err(super::UsageError(message).into());
    match url {
        Some(url) if args.staged => {
            usage(format!("{url}: --staged scans an index; a URL has none"))
        }
        Some(url) => {
            let options = remote::CloneOptions {
                dir: args.clone_dir.clone(),
                timeout: args.clone_timeout.map(std::time::Duration::from_secs),
            };
            Ok(Some(remote::mirror(url, &options)?))
        }
        None if args.clone_dir.is_some() || args.clone_timeout.is_some() => {
            usage("--clone-dir and --clone-timeout are for a repository URL".into())
        }
        None => Ok(None),
    }
}

/// A blob's detections, by its index in `History::introductions`.
type BlobDetections = (usize, Vec<Detection>);

/// One worker thread's share of a history scan.
struct BlobScanner<'a> {
    scan: &'a GitScan,
    counters: Arc<super::progress::Counters>,
    buf: Vec<u8>,
    found: Vec<BlobDetections>,
    files: u64,
    bytes: u64,
    unreadable: Vec<Warning>,
}

/// Scans one blob as `scan` scans a file: every view (bytes, UTF-16/32, wide text), windows,
/// whole-file facts.
fn scan_blob(
    detector: &Detector,
    path: &str,
    content: &[u8],
    buf: &mut Vec<u8>,
) -> std::io::Result<(u64, Vec<Detection>)> {
    scan_file(
        detector,
        path,
        Cursor::new(content),
        content.len() as u64,
        buf,
    )
}

impl BlobVisitor for BlobScanner<'_> {
    fn visit(&mut self, item: BlobItem<'_>) {
        let path = shown(item.path);
        let scanned = match item.content {
            Content::Bytes(bytes) => scan_blob(&self.scan.detector, &path, bytes, &mut self.buf),
            Content::Stream { reader, len } => {
                scan_file(&self.scan.detector, &path, reader, len, &mut self.buf)
            }
        };
        match scanned {
            Ok((bytes, detections)) => {
                // Messages are scanned, but "files scanned" counts files.
                if !item.message {
                    self.files += 1;
                    self.bytes += bytes;
                    self.counters.files.fetch_add(1, Ordering::Relaxed);
                    self.counters.bytes.fetch_add(bytes, Ordering::Relaxed);
                }
                if !detections.is_empty() {
                    self.found.push((item.index, detections));
                }
            }
            // A streamed blob that does not inflate, or a bug: either way it was not scanned.
            Err(e) => self.unreadable.push(Warning {
                path,
                message: format!("cannot scan: {e}"),
            }),
        }
        if self.buf.capacity() > 2 * reader::WINDOW {
            self.buf = Vec::new();
        }
    }
}

/// The notes of a git scan as counted warnings, each kind said once.
fn absorb_notes(c: &mut Collected, notes: Notes) {
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

/// A finding candidate before deduplication.
struct Candidate {
    fingerprint: String,
    intro: usize,
    /// Index into `History::origins`: walk order, so smaller is earlier.
    origin: usize,
    detection: Detection,
}

/// Scans the commits of `selection` and returns findings with their provenance. With
/// `head_presence`, each finding also says whether its key is still in HEAD's tree.
pub fn scan_commits(
    opener: &Opener,
    repo: &Repository,
    selection: &Selection,
    scan: &GitScan,
    notes: Notes,
    head_presence: bool,
) -> Result<Collected> {
    let progress = Progress::start(scan.report.progress, "scanning history");
    // Filled by the walker threads.
    let left_out: Mutex<BTreeSet<Vec<u8>>> = Mutex::new(BTreeSet::new());
    let keep = |path: &[u8]| {
        let out = scan.excluded(path);
        if out {
            left_out
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(path.to_vec());
        }
        !out
    };
    let (mut history, scanners) =
        git_source::scan_history(opener, repo, selection, scan.threads, &keep, || {
            BlobScanner {
                scan,
                counters: Arc::clone(&progress.counters),
                buf: Vec::new(),
                found: Vec::new(),
                files: 0,
                bytes: 0,
                unreadable: Vec::new(),
            }
        })?;
    progress.finish();

    let walked = history
        .origins
        .iter()
        .filter(|o| matches!(o, Origin::Commit(_)))
        .count();
    let mut c = Collected {
        commits: Some(walked as u64),
        ..Collected::default()
    };
    c.suppressed.excluded += left_out
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .len();
    absorb_notes(&mut c, notes);
    let walk_notes = std::mem::take(&mut history.notes);
    absorb_notes(&mut c, walk_notes);
    let introductions = &history.introductions;
    let mut found: Vec<BlobDetections> = Vec::new();
    for s in scanners {
        c.files += s.files;
        c.bytes += s.bytes;
        c.skipped.unreadable += s.unreadable.len() as u64;
        for w in s.unreadable {
            c.not_scanned(IncompleteKind::Object, w.path, w.message);
        }
        found.extend(s.found);
    }
    // Walk order (oldest commit first), so that "first" below means earliest.
    found.sort_by_key(|(i, _)| *i);

    // Every key seen in each blob, at any confidence: for "still there?" questions.
    let mut keys_in_blob: HashMap<Oid, HashSet<String>> = HashMap::new();
    let mut candidates = Vec::new();
    let mut hidden: HashSet<(String, Vec<u8>, bool)> = HashSet::new();
    let mut base_lines = HashMap::new();
    for (intro, mut detections) in found {
        let Some(introduction) = introductions.get(intro) else {
            continue;
        };
        scan.unmark_added_allows(
            repo,
            &introduction.path,
            || git_source::read_blob(repo, introduction.blob).ok(),
            &mut detections,
            &mut base_lines,
        );
        for d in detections {
            let fp = d.secret.fingerprint();
            keys_in_blob
                .entry(introduction.blob)
                .or_default()
                .insert(fp.clone());
            if d.allowed || d.confidence < scan.min {
                // Counted once per key and path, however many versions of the file held it.
                if hidden.insert((fp, introduction.path.clone(), d.allowed)) {
                    if d.allowed {
                        c.suppressed.inline += 1;
                    } else {
                        c.below_threshold += 1;
                    }
                }
                continue;
            }
            candidates.push(Candidate {
                fingerprint: fp,
                intro,
                origin: introduction.origin,
                detection: d,
            });
        }
    }

    // One per (key, path): the earliest commit, then the first place in that file.
    let mut first: BTreeMap<(String, Vec<u8>), Candidate> = BTreeMap::new();
    for cand in candidates {
        let key = (
            cand.fingerprint.clone(),
            introductions[cand.intro].path.clone(),
        );
        match first.get(&key) {
            Some(old)
                if (old.origin, old.detection.line, old.detection.column)
                    <= (cand.origin, cand.detection.line, cand.detection.column) => {}
            _ => {
                first.insert(key, cand);
            }
        }
    }
    // A later (key, path) is not a new place for the key when, in its commit, the key left
    // another path (a move with edits), or the path already held it (it came there by a
    // rename, which records no new blob). A key that stays where it was and appears
    // elsewhere was copied: both places are reported.
    let mut by_key: BTreeMap<&str, Vec<&Candidate>> = BTreeMap::new();
    for cand in first.values() {
        by_key.entry(&cand.fingerprint).or_default().push(cand);
    }
    let holds = |blob: &Oid, fp: &str| keys_in_blob.get(blob).is_some_and(|k| k.contains(fp));
    let mut kept: Vec<&Candidate> = Vec::new();
    for (fp, mut group) in by_key {
        group.sort_by_key(|c| (c.origin, c.intro));
        let (earliest, later) = group.split_at(1);
        kept.extend(earliest);
        for cand in later {
            let path = &introductions[cand.intro].path;
            let Some(commit) = history.commit_of(&introductions[cand.intro]) else {
                kept.push(cand);
                continue;
            };
            let moved = git_source::replaced_blobs(repo, commit).iter().any(|r| {
                holds(&r.old, fp) && (&r.path == path || !r.new.is_some_and(|n| holds(&n, fp)))
            });
            if !moved {
                kept.push(cand);
            }
        }
    }

    let head_keys = if head_presence && !kept.is_empty() {
        Some(keys_in_head(
            repo,
            scan,
            &history,
            &keys_in_blob,
            selection,
        )?)
    } else {
        None
    };
    let mut metas: HashMap<usize, Option<CommitInfo>> = HashMap::new();
    for cand in kept {
        let intro = &introductions[cand.intro];
        let commit = match metas.get(&cand.origin) {
            Some(m) => m.clone(),
            None => {
                let meta = match history.origins.get(cand.origin) {
                    Some(Origin::Commit(id)) => Some(git_source::commit_meta(repo, *id)?),
                    Some(Origin::Tag(id)) => Some(git_source::tag_meta(repo, *id)?),
                    // A tree or blob a ref points to: the path names the ref.
                    Some(Origin::Ref(_)) | None => None,
                };
                let info = meta.map(|m| CommitInfo {
                    id: m.id,
                    author: m.author,
                    email: m.email,
                    date: m.date,
                    summary: m.summary,
                });
                metas.insert(cand.origin, info.clone());
                info
            }
        };
        let mut f: Finding = to_finding(
            &scan.detector,
            &shown(&intro.path),
            intro.path.clone(),
            cand.detection.clone(),
        );
        f.commit = commit;
        f.present_in_head = head_keys
            .as_ref()
            .map(|keys| keys.contains(&cand.fingerprint));
        c.findings.push(f);
    }
    Ok(c)
}

/// The fingerprints of every key anywhere in HEAD's tree (none when HEAD has no commit). When
/// the walk covered every commit, HEAD's blobs are among those it recorded: a blob with keys is
/// in HEAD when HEAD's tree holds it at one of the paths the walk met it at, which reads only the
/// trees along those paths. Otherwise (a range, `--since`) HEAD's tree is read whole and the
/// blobs the walk did not cover are scanned now.
fn keys_in_head(
    repo: &Repository,
    scan: &GitScan,
    history: &git_source::History,
    keys_in_blob: &HashMap<Oid, HashSet<String>>,
    selection: &Selection,
) -> Result<HashSet<String>> {
    let mut keys = HashSet::new();
    if selection.everything {
        let Some(head) = repo.head().ok().and_then(|h| h.peel_to_tree().ok()) else {
            return Ok(keys);
        };
        let with_keys = |i: usize| {
            history
                .introductions
                .get(i)
                .filter(|intro| history.commit_of(intro).is_some())
                .and_then(|intro| Some((intro.blob, keys_in_blob.get(&intro.blob)?)))
        };
        let places = history
            .introductions
            .iter()
            .enumerate()
            .map(|(i, intro)| (i, intro.path.as_slice()))
            .chain(history.also_at.iter().map(|(i, p)| (*i, p.as_slice())));
        for (i, path) in places {
            let Some((blob, found)) = with_keys(i) else {
                continue;
            };
            let here = head
                .get_path(&bytes_to_path(path))
                .is_ok_and(|e| e.id() == blob && is_file_mode(e.filemode()));
            if here {
                keys.extend(found.iter().cloned());
            }
        }
        return Ok(keys);
    }
    let Some(blobs) = git_source::head_blobs(repo)? else {
        return Ok(keys);
    };
    let walked: HashSet<Oid> = history.introductions.iter().map(|i| i.blob).collect();
    let mut buf = Vec::new();
    for blob in blobs {
        if let Some(k) = keys_in_blob.get(&blob) {
            keys.extend(k.iter().cloned());
        } else if !walked.contains(&blob) {
            let Ok(content) = git_source::read_blob(repo, blob) else {
                continue;
            };
            if let Ok((_, found)) = scan_blob(&scan.detector, "", &content, &mut buf) {
                keys.extend(found.iter().map(|d| d.secret.fingerprint()));
            }
        }
    }
    Ok(keys)
}

/// A regular or executable file's mode (not a symbolic link, a submodule or a directory).
fn is_file_mode(mode: i32) -> bool {
    mode & 0o170000 == 0o100000
}

/// `--staged`: the index blobs that differ from HEAD, findings on added lines only.
fn scan_staged(repo: &Repository, scan: &GitScan, use_env_index: bool) -> Result<Collected> {
    let mut notes = Notes::default();
    let files = git_source::staged(repo, use_env_index, &mut notes)?;
    let mut c = Collected::default();
    let mut buf = Vec::new();
    let mut base_lines = HashMap::new();
    for file in files {
        if scan.excluded(&file.path) {
            c.suppressed.excluded += 1;
            continue;
        }
        let path = shown(&file.path);
        let content = match git_source::read_blob(repo, file.blob) {
            Ok(content) => content,
            Err(e) => {
                c.skipped.unreadable += 1;
                c.not_scanned(IncompleteKind::Object, path, e.to_string());
                continue;
            }
        };
        if git_source::is_lfs_pointer(&content) {
            notes.lfs_pointers += 1;
            continue;
        }
        match scan_blob(&scan.detector, &path, &content, &mut buf) {
            Ok((bytes, detections)) => {
                c.files += 1;
                c.bytes += bytes;
                let mut added: Vec<Detection> = detections
                    .into_iter()
                    .filter(|d| file.added.contains(d.line))
                    .collect();
                scan.unmark_added_allows(
                    repo,
                    &file.path,
                    || Some(content.clone()),
                    &mut added,
                    &mut base_lines,
                );
                c.add(&scan.detector, &path, file.path.clone(), added, scan.min);
            }
            Err(e) => {
                c.skipped.unreadable += 1;
                c.not_scanned(IncompleteKind::Object, path, format!("cannot scan: {e}"));
            }
        }
    }
    absorb_notes(&mut c, notes);
    Ok(c)
}
