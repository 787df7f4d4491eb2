//! Git as a source: which blobs a history, a push or a commit-to-be holds, read once each, with
//! where they came from. Nothing here knows rules or findings.
//!
//! History is walked oldest first (topological, then by time) from a `Selection` of tips minus
//! hidden commits. Each commit's tree is compared with its parents' trees entry by entry: an
//! entry whose object id equals the parent's is skipped whole, so an unchanged subtree is never
//! read, and a merge introduces only what differs from *every* parent. A blob is recorded once,
//! at the first (commit, path) that introduced it; renames and re-adds of the same content are
//! not recorded again. Blobs are read on worker threads, each with its own `Repository`
//! (libgit2 handles are not `Sync`), while the walk goes on, and handed to a visitor.
//!
//! Commit messages and annotated-tag messages are scanned too, as text at the paths
//! `<commit message>` and `<tag message>`. A ref that ends at a tree or a blob instead of a commit
//! (directly or through tags) has that tree or blob scanned, under the paths `REF:PATH` and `REF`.
//!
//! Problems (a missing or corrupt object, a shallow boundary, a submodule, an LFS pointer) are
//! notes: counted, named by object id, and the walk goes on. A missing commit does not stop the
//! walk: what can be read is still scanned, and what cannot is listed as not scanned.
//!
//! The concerns live apart: `open` (finding and opening the repository, on every thread),
//! `select` (which commits: refs, revisions, what a push adds), `hook_input` (what git writes to
//! the push hooks' standard input), `history` (the walk and the blob readers), `objects` (single
//! objects: a blob, a commit's metadata, HEAD's blobs), `dates` (git times as report dates) and
//! `staged` (what the next commit would add).

mod dates;
mod history;
mod hook_input;
mod objects;
mod open;
mod select;
mod staged;

pub use dates::{parse_date, rfc3339, utc};
use history::missing_reason;
pub use history::{scan_history, BlobItem, BlobVisitor, Content, History, Origin};
pub use hook_input::{parse_pre_push, parse_pre_receive, PushUpdate, RefUpdate};
pub use objects::{commit_meta, head_blobs, read_blob, replaced_blobs, tag_meta};
pub use open::Opener;
pub use select::{Destination, Selection};
pub use staged::{staged, StagedFile};

use crate::model::{Incomplete, IncompleteKind};
use crate::source::budget::Budget;
use crate::source::packs::{Location, Packs, Peeker, Stored};
use git2::{Delta, ErrorCode, ObjectType, Oid, Repository, Sort, Tree};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

const MODE_TREE: i32 = 0o040000;
const MODE_LINK: i32 = 0o120000;
const MODE_GITLINK: i32 = 0o160000;

/// Tree entries kept in memory between commits, in the two generations of `TreeCache`.
const TREE_CACHE_ENTRIES: usize = 1 << 18;

/// The path shown for a finding in a commit message.
pub const COMMIT_MESSAGE: &str = "<commit message>";
/// The path shown for a finding in an annotated tag's message.
pub const TAG_MESSAGE: &str = "<tag message>";

/// Tags of tags followed before giving up (git itself stops at a few thousand).
const TAG_CHAIN_MAX: usize = 64;

/// The first line of every Git LFS pointer file.
const LFS_POINTER: &[u8] = b"version https://git-lfs.github.com/spec/v1";
/// LFS pointers are small; anything larger is real content.
const LFS_POINTER_MAX: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{path}: no such file or directory")]
    Missing { path: String },
    #[error("{path}: not a git repository")]
    NotARepository { path: String },
    #[error("{path}: cannot open the git repository: {message}")]
    Open { path: String, message: String },
    #[error("`{spec}` is not a revision or range of this repository: {message}")]
    BadRevision { spec: String, message: String },
    #[error("{what}: {message}")]
    Git { what: String, message: String },
    #[error("hook input line {line}: expected `{expected}`, got `{text}`")]
    HookInput {
        line: usize,
        text: String,
        expected: &'static str,
    },
}

fn git_err(what: impl Into<String>) -> impl FnOnce(git2::Error) -> GitError {
    let what = what.into();
    move |e| GitError::Git {
        what,
        message: e.message().to_string(),
    }
}

/// Problems met on the way, and what was left out.
#[derive(Debug, Default)]
pub struct Notes {
    pub warnings: Vec<String>,
    /// Gitlinks (submodule commits): their content lives in another repository.
    pub submodules: u64,
    /// Symbolic links: their blob is a path, not content.
    pub symlinks: u64,
    /// Git LFS pointer files: the content lives on the LFS server.
    pub lfs_pointers: u64,
    /// Objects that could not be read (each is also in `incomplete`).
    pub unreadable: u64,
    /// What should have been scanned and was not: missing or corrupt objects, unreadable refs.
    pub incomplete: Vec<Incomplete>,
    /// The repository is a shallow clone: history before its boundary was not scanned.
    pub shallow: bool,
}

impl Notes {
    fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }

    /// Records an object or ref that should have been scanned and was not.
    fn not_scanned(&mut self, kind: IncompleteKind, what: String, reason: String) {
        if kind == IncompleteKind::Object {
            self.unreadable += 1;
        }
        self.incomplete.push(Incomplete::new(kind, what, reason));
    }

    /// Counts an entry that holds no content of this repository (a submodule or a symbolic
    /// link); true when `mode` is such an entry and it should be skipped.
    fn skip_special(&mut self, mode: i32) -> bool {
        match mode {
            MODE_GITLINK => self.submodules += 1,
            MODE_LINK => self.symlinks += 1,
            _ => return false,
        }
        true
    }

    fn absorb(&mut self, other: Notes) {
        self.warnings.extend(other.warnings);
        self.submodules += other.submodules;
        self.symlinks += other.symlinks;
        self.lfs_pointers += other.lfs_pointers;
        self.unreadable += other.unreadable;
        self.incomplete.extend(other.incomplete);
        self.shallow |= other.shallow;
    }
}

/// Is this blob a Git LFS pointer rather than content?
pub fn is_lfs_pointer(content: &[u8]) -> bool {
    content.len() <= LFS_POINTER_MAX && content.starts_with(LFS_POINTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lfs_pointers_are_recognised() {
        let p = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n";
        assert!(is_lfs_pointer(p));
        assert!(!is_lfs_pointer(b"LUSHA_API_KEY=x\n"));
    }
}
