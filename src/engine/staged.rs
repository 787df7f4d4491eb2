//! The index as a source (`git --staged`, the pre-commit hook): the blobs that differ from HEAD,
//! read and scanned on worker threads like any other source, each with its own `Repository`
//! (libgit2 handles are not `Sync`). Only findings on added lines are kept; with `--strict`,
//! allow marks the change added do not count. An archive in the index is opened like `scan`
//! opens one: a staged archive is a whole new blob, so every key in any file inside it counts
//! as added.

use super::git::{absorb_notes, archive_sort_key, inner_paths, shown, GitScan};
use super::{Blob, Collected, Engine, Source, Worker};
use crate::detect::Detection;
use crate::model::{IncompleteKind, Provenance};
use crate::source::git::{self as git_source, Notes, Opener, StagedFile};
use crate::source::unpack::{self, Sink};
use anyhow::Result;
use git2::Repository;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// What `git commit` would commit now.
pub struct Staged<'a> {
    pub opener: &'a Opener,
    pub repo: &'a Repository,
    pub scan: &'a GitScan,
}

impl Source for Staged<'_> {
    fn scan(&mut self, engine: &Engine<'_>) -> Result<()> {
        let (repo, scan) = (self.repo, self.scan);
        let mut notes = Notes::default();
        // A hook during `git commit -a` or `git commit FILE` sees git's temporary index.
        let use_env_index = matches!(self.opener, Opener::Env);
        let staged = git_source::staged(repo, use_env_index, &mut notes)?;
        let mut c = Collected::default();
        let mut files = Vec::with_capacity(staged.len());
        for file in staged {
            if scan.excluded(&file.path) {
                c.suppressed.excluded += 1;
            } else {
                files.push(file);
            }
        }
        let next = AtomicUsize::new(0);
        let lfs_pointers = AtomicU64::new(0);
        let threads = scan.threads.min(files.len()).max(1);
        if threads == 1 {
            // A commit's few files: no second handle on the repository needed.
            scan_files::<git_source::GitError>(
                Ok(repo),
                engine.worker(),
                scan,
                &files,
                &next,
                &lfs_pointers,
            );
        } else {
            let opener = self.opener.for_workers(repo);
            std::thread::scope(|s| {
                for _ in 0..threads {
                    let (opener, files, next, lfs) = (&opener, &files, &next, &lfs_pointers);
                    s.spawn(move || {
                        let own = opener.open();
                        scan_files(own.as_ref(), engine.worker(), scan, files, next, lfs);
                    });
                }
            });
        }
        notes.lfs_pointers += lfs_pointers.into_inner();
        absorb_notes(&mut c, notes);
        engine.absorb(c);
        Ok(())
    }
}

/// One worker's loop: claims files from `files` until none is left. Without a repository handle
/// every file it claims is recorded as not scanned, so that nothing is passed over silently.
fn scan_files<E: std::fmt::Display>(
    repo: Result<&Repository, E>,
    mut worker: Worker<'_, '_>,
    scan: &GitScan,
    files: &[StagedFile],
    next: &AtomicUsize,
    lfs_pointers: &AtomicU64,
) {
    let mut base_lines = HashMap::new();
    while let Some(file) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
        let path = shown(&file.path);
        let repo = match &repo {
            Ok(repo) => *repo,
            Err(e) => {
                worker.not_scanned(
                    IncompleteKind::Object,
                    path,
                    format!("cannot open the repository: {e}"),
                );
                continue;
            }
        };
        let content = match git_source::read_blob(repo, file.blob) {
            Ok(content) => content,
            Err(e) => {
                worker.not_scanned(IncompleteKind::Object, path, e.to_string());
                continue;
            }
        };
        if git_source::is_lfs_pointer(&content) {
            lfs_pointers.fetch_add(1, Ordering::Relaxed);
            continue;
        }
        let provenance = Provenance::Staged { path };
        let mut sink = StagedSink {
            worker: &mut worker,
            scan,
            repo,
            file,
            content: &content,
            base_lines: &mut base_lines,
        };
        unpack::bytes(&mut sink, &scan.unpack, provenance, &content);
    }
}

/// The staged file itself, or the files inside it when it is an archive, as `unpack` hands
/// them over.
struct StagedSink<'s, 'e, 'd> {
    worker: &'s mut Worker<'e, 'd>,
    scan: &'s GitScan,
    repo: &'s Repository,
    file: &'s StagedFile,
    content: &'s [u8],
    base_lines: &'s mut HashMap<Vec<u8>, std::collections::BTreeSet<Vec<u8>>>,
}

impl Sink for StagedSink<'_, '_, '_> {
    fn blob(&mut self, blob: Blob<'_>) {
        let provenance = blob.provenance.clone();
        let detections = self.worker.scan(blob);
        let inner = inner_paths(&provenance);
        let file = self.file;
        let kept = if inner.is_empty() {
            let mut added: Vec<Detection> = detections
                .into_iter()
                .filter(|d| file.added.contains(d.line))
                .collect();
            let content = self.content;
            self.scan.unmark_added_allows(
                self.repo,
                &file.path,
                || Some(content.to_vec()),
                &mut added,
                self.base_lines,
            );
            added
        } else {
            let mut all = detections;
            self.scan.unmark_archive_allows(&mut all);
            all
        };
        let sort_key = archive_sort_key(&file.path, &inner);
        self.worker.keep(&provenance, sort_key, kept);
    }

    fn not_scanned(&mut self, kind: IncompleteKind, what: String, reason: String) {
        self.worker.not_scanned(kind, what, reason);
    }
}
