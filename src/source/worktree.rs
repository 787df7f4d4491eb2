//! The work tree and standard input as sources for the engine: the walker's files (regular files
//! only, bounded reads, on the walker's threads), its skips and what it could not read, and
//! standard input read once as a stream.

use crate::engine::{self, Blob, Content, Engine, Source};
use crate::model::{IncompleteKind, Provenance};
use crate::source::fs::{self, display_path, Item, Skip, WalkOptions};

/// The paths a `scan` names, walked with the ignore rules and exclusions of `options`.
pub struct WorkTree<'a> {
    pub options: &'a WalkOptions,
}

impl Source for WorkTree<'_> {
    fn scan(&mut self, engine: &Engine<'_>) -> anyhow::Result<()> {
        fs::walk(self.options, || {
            let mut worker = engine.worker();
            move |item| match item {
                Ok(Item::File {
                    path,
                    mut file,
                    len,
                }) => {
                    let shown = display_path(&path);
                    // The raw bytes order a name that is not UTF-8; any other orders as shown.
                    let sort_key = path.to_str().is_none().then(|| engine::sort_key(&path));
                    worker.blob(Blob {
                        provenance: Provenance::File { path: shown },
                        sort_key,
                        content: Content::Reader {
                            reader: &mut file,
                            size: Some(len),
                        },
                        counted: true,
                    });
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
pub struct Stdin;

impl Source for Stdin {
    fn scan(&mut self, engine: &Engine<'_>) -> anyhow::Result<()> {
        let mut input = std::io::stdin().lock();
        engine.worker().blob(Blob::new(
            Provenance::Stdin,
            Content::Reader {
                reader: &mut input,
                size: None,
            },
        ));
        Ok(())
    }
}
