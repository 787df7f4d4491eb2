//! The work tree and standard input as sources for the engine: the walker's files (regular files
//! only, bounded reads, on the walker's threads), its skips and what it could not read, and
//! standard input read once as a stream. Archives and images among them are opened
//! (`source::unpack`); an OCI image layout directory named on the command line is read as an
//! image, and then walked like any other for every file the image reader did not read.

use crate::engine::{self, Engine, Source};
use crate::model::{IncompleteKind, Provenance};
use crate::source::fs::{self, display_path, Item, Skip, WalkOptions};
use crate::source::unpack::{self, Unpack};
use std::path::PathBuf;
use std::sync::PoisonError;

/// The paths a `scan` names, walked with the ignore rules and exclusions of `options`.
pub struct WorkTree<'a> {
    pub options: &'a WalkOptions,
    pub unpack: &'a Unpack,
}

impl Source for WorkTree<'_> {
    fn scan(&mut self, engine: &Engine<'_>) -> anyhow::Result<()> {
        let unpack = self.unpack;
        // Filled by `ImageDirs`, which runs first; copied so that the walker's threads share it
        // without a lock.
        let read_by_images = unpack
            .read_by_images
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let read_by_images = &read_by_images;
        fs::walk(self.options, || {
            let mut worker = engine.worker();
            move |item| match item {
                Ok(Item::File { path, .. }) if read_by_images.contains(&path) => {}
                Ok(Item::File {
                    path,
                    mut file,
                    len,
                }) => {
                    let shown = display_path(&path);
                    // The raw bytes order a name that is not UTF-8; any other orders as shown.
                    let sort_key = path.to_str().is_none().then(|| engine::sort_key(&path));
                    let provenance = Provenance::File { path: shown };
                    unpack::file(&mut worker, unpack, provenance, sort_key, &mut file, len);
                }
                Ok(Item::Skipped {
                    why: Skip::Symlink, ..
                }) => worker.counts().skipped.symlinks += 1,
                Ok(Item::Skipped {
                    path,
                    why: Skip::NotRegular,
                }) => {
                    worker.counts().skipped.not_regular += 1;
                    worker.warn(
                        display_path(&path),
                        "not a regular file (FIFO, socket or device): skipped",
                    );
                }
                Ok(Item::Unreadable {
                    path,
                    directory,
                    reason,
                }) => {
                    let kind = if directory {
                        IncompleteKind::Directory
                    } else {
                        IncompleteKind::File
                    };
                    worker.not_scanned(kind, path, reason);
                }
                Err(w) => worker.counts().warnings.push(w),
            }
        })?;
        Ok(())
    }
}

/// Standard input (`scan -`), read once as a stream of unknown length.
pub struct Stdin<'a> {
    pub unpack: &'a Unpack,
}

impl Source for Stdin<'_> {
    fn scan(&mut self, engine: &Engine<'_>) -> anyhow::Result<()> {
        let mut input = std::io::stdin().lock();
        unpack::stdin(&mut engine.worker(), self.unpack, &mut input);
        Ok(())
    }
}

/// OCI image layout directories named on the command line (`scan ./oci-dir`, or `scan` in one),
/// each read as an image: every layer's files and the config. The walk that follows scans every
/// other file in them. One met inside a walked directory is walked as files instead, and its
/// layer blobs, being archives, are opened as such.
pub struct ImageDirs<'a> {
    pub dirs: &'a [PathBuf],
    pub unpack: &'a Unpack,
}

impl Source for ImageDirs<'_> {
    fn scan(&mut self, engine: &Engine<'_>) -> anyhow::Result<()> {
        for dir in self.dirs {
            // `scan` run inside the layout names it `.`, not an empty string before the image.
            let shown = match display_path(dir) {
                shown if shown.is_empty() => ".".to_string(),
                shown => shown,
            };
            unpack::image_dir(&mut engine.worker(), self.unpack, dir, &shown);
        }
        Ok(())
    }
}
