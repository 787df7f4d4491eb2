//! History as a source: the commits of a `Selection` (all refs, a range, a push). The git source
//! (`source::git`) walks them and hands every new blob and every commit and tag message, once,
//! to worker threads, which scan it with the engine. The detections are then attributed: one
//! finding per (key fingerprint, path), at the earliest commit that introduced that key there;
//! a key that moved to a new path in the commit that removed it from the old one is the same
//! finding, not a new one. Each finding can say whether its key is still in HEAD. An archive
//! committed as a blob (a jar, a zip, a tar.gz) is opened like `scan` opens one
//! (`source::unpack`): a key inside it is a finding of the commit that added the archive, at
//! the path inside (`lib/service.jar!BOOT-INF/classes/application.properties`).

use super::git::{
    absorb_notes, archive_sort_key, bytes_to_path, in_archives, inner_paths, is_file_mode, shown,
    GitScan,
};
use super::{scan_bytes, scan_reader, Blob, Collected, Content, Engine, Source, Worker};
use crate::detect::{Detection, Detector};
use crate::model::{CommitInfo, IncompleteKind, Provenance};
use crate::source::git::{
    self as git_source, BlobItem, BlobVisitor, Content as GitContent, Notes, Opener, Origin,
    Selection,
};
use crate::source::unpack::{self, Sink, Unpack};
use anyhow::Result;
use git2::{Oid, Repository};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Mutex;

/// A blob's detections, by its index in `History::introductions`, and the paths inside
/// archives that lead from the blob to the file they are in (none: the blob itself).
struct BlobDetections {
    intro: usize,
    inner: Vec<String>,
    detections: Vec<Detection>,
}

/// One worker thread's share of a history scan: the engine scans and counts each blob (and each
/// file in an archive blob), and the detections are kept by introduction for the attribution at
/// the end.
struct BlobScanner<'e, 'd, 'u> {
    worker: Worker<'e, 'd>,
    unpack: &'u Unpack,
    found: Vec<BlobDetections>,
}

/// The files of one blob as `unpack` hands them over.
struct Entries<'s, 'e, 'd> {
    worker: &'s mut Worker<'e, 'd>,
    found: &'s mut Vec<BlobDetections>,
    intro: usize,
}

impl Sink for Entries<'_, '_, '_> {
    fn blob(&mut self, blob: Blob<'_>) {
        let inner = inner_paths(&blob.provenance);
        let detections = self.worker.scan(blob);
        if !detections.is_empty() {
            self.found.push(BlobDetections {
                intro: self.intro,
                inner,
                detections,
            });
        }
    }

    fn not_scanned(&mut self, kind: IncompleteKind, what: String, reason: String) {
        self.worker.not_scanned(kind, what, reason);
    }
}

impl BlobVisitor for BlobScanner<'_, '_, '_> {
    fn visit(&mut self, item: BlobItem<'_>) {
        let provenance = Provenance::Commit {
            commit: None,
            path: shown(item.path),
            present_in_head: None,
        };
        let mut entries = Entries {
            worker: &mut self.worker,
            found: &mut self.found,
            intro: item.index,
        };
        if item.message {
            // Messages are scanned, but "files scanned" counts files; they are never archives.
            let content = match item.content {
                GitContent::Bytes(bytes) => Content::Bytes(bytes),
                GitContent::Stream { reader, len } => Content::Reader {
                    reader,
                    size: Some(len),
                },
            };
            let blob = Blob {
                provenance,
                sort_key: None,
                content,
                counted: false,
            };
            return entries.blob(blob);
        }
        match item.content {
            GitContent::Bytes(bytes) => unpack::bytes(&mut entries, self.unpack, provenance, bytes),
            GitContent::Stream { mut reader, len } => {
                unpack::file(
                    &mut entries,
                    self.unpack,
                    provenance,
                    None,
                    &mut reader,
                    len,
                );
            }
        }
    }
}

/// A finding candidate before deduplication.
struct Candidate {
    fingerprint: String,
    intro: usize,
    inner: Vec<String>,
    /// Index into `History::origins`: walk order, so smaller is earlier.
    origin: usize,
    detection: Detection,
}

/// The commits of `selection` as a source. Findings are one per (key fingerprint, path),
/// attributed to the earliest commit that introduced that key there; a key that moved to a new
/// path in the commit that removed it from the old one is the same finding, not a new one. With
/// `head_presence`, each finding also says whether its key is still in HEAD's tree.
pub struct History<'a> {
    pub opener: &'a Opener,
    pub repo: &'a Repository,
    pub selection: &'a Selection,
    pub scan: &'a GitScan,
    /// What choosing the selection already noted (unreadable refs, a shallow clone).
    pub notes: Notes,
    pub head_presence: bool,
}

impl History<'_> {
    /// Runs the history on an engine of its own (with a `scanning history` progress line) and
    /// returns what it gathered: how the `git` command and the push hooks scan.
    pub fn collect(mut self) -> Result<Collected> {
        let scan = self.scan;
        let engine = scan.engine("scanning history");
        self.scan(&engine)?;
        Ok(engine.finish())
    }
}

impl Source for History<'_> {
    fn scan(&mut self, engine: &Engine<'_>) -> Result<()> {
        let c = scan_commits(
            engine,
            self.opener,
            self.repo,
            self.selection,
            self.scan,
            std::mem::take(&mut self.notes),
            self.head_presence,
        )?;
        engine.absorb(c);
        Ok(())
    }
}

/// Walks and scans the history; returns what the walk counted and the attributed findings (the
/// blobs' own counts are on the engine's workers).
fn scan_commits(
    engine: &Engine<'_>,
    opener: &Opener,
    repo: &Repository,
    selection: &Selection,
    scan: &GitScan,
    notes: Notes,
    head_presence: bool,
) -> Result<Collected> {
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
                worker: engine.worker(),
                unpack: &scan.unpack,
                found: Vec::new(),
            }
        })?;

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
    // Each scanner's worker hands its counts to the engine as it goes.
    for s in scanners {
        found.extend(s.found);
    }
    // Walk order (oldest commit first), so that "first" below means earliest; within a blob,
    // its files in the order they were read (the same on every run).
    found.sort_by_key(|f| f.intro);

    // Every key seen in each blob, at any confidence: for "still there?" questions.
    let mut keys_in_blob: HashMap<Oid, HashSet<String>> = HashMap::new();
    let mut candidates = Vec::new();
    let mut hidden: HashSet<(String, Vec<u8>, bool)> = HashSet::new();
    let mut base_lines = HashMap::new();
    for BlobDetections {
        intro,
        inner,
        mut detections,
    } in found
    {
        let Some(introduction) = introductions.get(intro) else {
            continue;
        };
        if inner.is_empty() {
            scan.unmark_added_allows(
                repo,
                &introduction.path,
                || git_source::read_blob(repo, introduction.blob).ok(),
                &mut detections,
                &mut base_lines,
            );
        } else {
            scan.unmark_archive_allows(&mut detections);
        }
        // The place a key is counted at: the blob's path, and the path inside the archive.
        let place = archive_sort_key(&introduction.path, &inner);
        for d in detections {
            let fp = d.secret.fingerprint();
            keys_in_blob
                .entry(introduction.blob)
                .or_default()
                .insert(fp.clone());
            if d.allowed || d.confidence < scan.min {
                // Counted once per key and path, however many versions of the file held it.
                if hidden.insert((fp, place.clone(), d.allowed)) {
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
                inner: inner.clone(),
                origin: introduction.origin,
                detection: d,
            });
        }
    }

    // One per (key, path): the earliest commit, then the first place in that file. A file in
    // an archive is a path of its own.
    let mut first: BTreeMap<(String, Vec<u8>), Candidate> = BTreeMap::new();
    for cand in candidates {
        let key = (
            cand.fingerprint.clone(),
            archive_sort_key(&introductions[cand.intro].path, &cand.inner),
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
        group.sort_by(|a, b| (a.origin, a.intro, &a.inner).cmp(&(b.origin, b.intro, &b.inner)));
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
        let provenance = Provenance::Commit {
            commit,
            path: shown(&intro.path),
            // Unknown (None) when part of HEAD could not be read and the key was not seen there.
            present_in_head: head_keys.as_ref().and_then(|(keys, unsure)| {
                let here = keys.contains(&cand.fingerprint);
                (here || !unsure).then_some(here)
            }),
        };
        let provenance = in_archives(provenance, &cand.inner);
        let sort_key = archive_sort_key(&intro.path, &cand.inner);
        c.findings
            .push(engine.finding(provenance, sort_key, cand.detection.clone()));
    }
    Ok(c)
}

/// The fingerprints of every key anywhere in HEAD's tree (none when HEAD has no commit), and
/// whether part of HEAD could not be read (then a key not among them may still be there). When
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
) -> Result<(HashSet<String>, bool)> {
    let mut keys = HashSet::new();
    if selection.everything {
        let Some(head) = repo.head().ok().and_then(|h| h.peel_to_tree().ok()) else {
            return Ok((keys, false));
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
        return Ok((keys, false));
    }
    let Some(blobs) = git_source::head_blobs(repo)? else {
        return Ok((keys, false));
    };
    let walked: HashSet<Oid> = history.introductions.iter().map(|i| i.blob).collect();
    let mut sink = HeadKeys {
        detector: &scan.detector,
        keys,
        buf: Vec::new(),
        unsure: false,
    };
    for blob in blobs {
        if let Some(k) = keys_in_blob.get(&blob) {
            sink.keys.extend(k.iter().cloned());
        } else if !walked.contains(&blob) {
            let Ok(content) = git_source::read_blob(repo, blob) else {
                sink.unsure = true;
                continue;
            };
            // A key in an archive in HEAD is in HEAD too.
            let whole = Provenance::Commit {
                commit: None,
                path: String::new(),
                present_in_head: None,
            };
            unpack::bytes(&mut sink, &scan.unpack, whole, &content);
        }
    }
    Ok((sink.keys, sink.unsure))
}

/// Gathers the keys of HEAD's blobs the walk did not cover, archives opened.
struct HeadKeys<'d> {
    detector: &'d Detector,
    keys: HashSet<String>,
    buf: Vec<u8>,
    /// Part of HEAD could not be read: a key not seen may still be there.
    unsure: bool,
}

impl Sink for HeadKeys<'_> {
    fn blob(&mut self, blob: Blob<'_>) {
        let found = match blob.content {
            Content::Bytes(bytes) => scan_bytes(self.detector, "", bytes, &mut self.buf),
            Content::Reader { reader, size } => {
                scan_reader(self.detector, "", reader, size, None, &mut self.buf)
            }
        };
        match found {
            Ok((_, found)) => self
                .keys
                .extend(found.iter().map(|d| d.secret.fingerprint())),
            Err(_) => self.unsure = true,
        }
    }

    // Only a question about HEAD: what cannot be read there leaves the answer unknown.
    fn not_scanned(&mut self, _: IncompleteKind, _: String, _: String) {
        self.unsure = true;
    }
}
