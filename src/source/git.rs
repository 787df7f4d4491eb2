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

use super::budget::Budget;
use super::packs::{Location, Packs, Peeker, Stored};
use crate::model::{Incomplete, IncompleteKind};
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

/// Sets libgit2's process-wide options, once, when a repository is first opened here.
///
/// Its object cache is off: it keeps every commit and tree read, up to 256 MiB, where the
/// history walk keeps its own bounded cache of trees and reads each commit once. Hash
/// verification of each object read is off: it computed SHA-1 (with collision detection) over
/// every byte inflated, a third of a history scan's time, and git's own readers (`git log`,
/// `git cat-file`) do not do it either; a damaged object still fails to inflate (zlib checks
/// every stream) and is reported as not scanned.
fn tune_libgit2() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        git2::opts::enable_caching(false);
        git2::opts::strict_hash_verification(false);
    });
}

/// How to open the repository, again, on every worker thread.
#[derive(Debug, Clone)]
pub enum Opener {
    /// This directory or one above it, like `git -C DIR`.
    Path(PathBuf),
    /// From git's environment (`GIT_DIR`, `GIT_INDEX_FILE`, `GIT_OBJECT_DIRECTORY`,
    /// `GIT_ALTERNATE_OBJECT_DIRECTORIES`), as a hook is run; this is how a pre-receive hook
    /// sees the pushed objects still in git's quarantine directory.
    Env,
}

impl Opener {
    pub fn open(&self) -> Result<Repository, GitError> {
        tune_libgit2();
        let (shown, result) = match self {
            Opener::Path(p) => {
                if std::fs::metadata(p).is_err() {
                    return Err(GitError::Missing {
                        path: p.display().to_string(),
                    });
                }
                let no_ceiling: &[&std::ffi::OsStr] = &[];
                (
                    p.display().to_string(),
                    Repository::open_ext(p, git2::RepositoryOpenFlags::empty(), no_ceiling),
                )
            }
            Opener::Env => (".".to_string(), Repository::open_from_env()),
        };
        result.map_err(|e| {
            if e.code() == git2::ErrorCode::NotFound {
                GitError::NotARepository { path: shown }
            } else {
                GitError::Open {
                    path: shown,
                    message: e.message().to_string(),
                }
            }
        })
    }

    /// The opener for worker threads: the exact git directory found (no search again), or the
    /// environment again.
    pub fn for_workers(&self, repo: &Repository) -> Opener {
        match self {
            Opener::Path(_) => Opener::Path(repo.path().to_path_buf()),
            Opener::Env => Opener::Env,
        }
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

/// Which commits to walk: everything reachable from `include` and not from `exclude`; and the
/// objects refs lead to that are not commits.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub include: Vec<Oid>,
    pub exclude: Vec<Oid>,
    /// Leave out commits whose committer date is before this (seconds since the epoch).
    pub since: Option<i64>,
    /// True when the selection is everything: every blob of HEAD is then in the walk.
    pub everything: bool,
    /// Annotated tag objects on the way from a selected ref to its target: their messages are
    /// scanned.
    pub tags: Vec<Oid>,
    /// Refs that end at a tree or a blob rather than a commit, with that object: scanned whole.
    pub objects: Vec<(String, Oid)>,
}

impl Selection {
    /// Every commit reachable from any ref (branches, tags, remote-tracking refs, notes, the
    /// stash and its older entries) and from HEAD, every annotated tag on the way, and every
    /// tree or blob a ref points to.
    pub fn all_refs(repo: &Repository, notes: &mut Notes) -> Result<Selection, GitError> {
        let mut sel = Selection::default();
        let refs = repo.references().map_err(git_err("listing refs"))?;
        for r in refs {
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    notes.not_scanned(
                        IncompleteKind::Ref,
                        "(a ref)".into(),
                        format!("cannot read: {}", e.message()),
                    );
                    continue;
                }
            };
            let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
            match r.resolve() {
                Ok(direct) => match direct.target() {
                    Some(id) => sel.add_ref(repo, &name, id, notes),
                    None => notes.not_scanned(
                        IncompleteKind::Ref,
                        name,
                        "cannot resolve: it names no object".into(),
                    ),
                },
                Err(e) => notes.not_scanned(
                    IncompleteKind::Ref,
                    name,
                    format!("cannot resolve: {}", e.message()),
                ),
            }
        }
        // A detached HEAD is a ref of its own; an unborn branch has nothing to scan yet.
        match repo.head() {
            Ok(head) => {
                if let Some(id) = head.target() {
                    sel.add_ref(repo, "HEAD", id, notes);
                }
            }
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {}
            Err(e) => notes.not_scanned(
                IncompleteKind::Ref,
                "HEAD".into(),
                format!("cannot resolve: {}", e.message()),
            ),
        }
        // `git stash` keeps older stashes only in the reflog of refs/stash.
        if let Ok(log) = repo.reflog("refs/stash") {
            sel.include
                .extend(log.iter().map(|e| e.id_new()).filter(|id| !id.is_zero()));
        }
        sel.everything = true;
        sel.normalize();
        Ok(sel)
    }

    /// Follows the value `id` of ref `name` through annotated tags (whose messages are scanned)
    /// to a commit (walked), a tree or a blob (scanned whole). An object that cannot be read
    /// leaves the ref not scanned.
    fn add_ref(&mut self, repo: &Repository, name: &str, id: Oid, notes: &mut Notes) {
        let mut id = id;
        for _ in 0..TAG_CHAIN_MAX {
            let obj = match repo.find_object(id, None) {
                Ok(obj) => obj,
                Err(e) => {
                    notes.not_scanned(
                        IncompleteKind::Ref,
                        name.to_string(),
                        format!("cannot resolve: object {id}: {}", missing_reason(repo, &e)),
                    );
                    return;
                }
            };
            match obj.kind() {
                Some(ObjectType::Tag) => {
                    self.tags.push(id);
                    match obj.as_tag() {
                        Some(tag) => id = tag.target_id(),
                        None => return,
                    }
                }
                Some(ObjectType::Commit) => {
                    self.include.push(id);
                    return;
                }
                Some(ObjectType::Tree | ObjectType::Blob) => {
                    self.objects.push((name.to_string(), id));
                    return;
                }
                _ => {
                    notes.not_scanned(
                        IncompleteKind::Ref,
                        name.to_string(),
                        format!("object {id} is of an unknown type"),
                    );
                    return;
                }
            }
        }
        notes.not_scanned(
            IncompleteKind::Ref,
            name.to_string(),
            format!("more than {TAG_CHAIN_MAX} tags of tags"),
        );
    }

    /// Sorted and without duplicates, so that the walk is the same however refs were listed.
    fn normalize(&mut self) {
        self.include.sort();
        self.include.dedup();
        self.exclude.sort();
        self.exclude.dedup();
        self.tags.sort();
        self.tags.dedup();
        self.objects.sort();
        self.objects.dedup();
    }

    /// A revision (`main`: it and its ancestors), a range (`A..B`) or a symmetric difference
    /// (`A...B`), as `git rev-parse` understands them.
    pub fn revspec(repo: &Repository, spec: &str) -> Result<Selection, GitError> {
        let bad = |e: git2::Error| GitError::BadRevision {
            spec: spec.to_string(),
            message: e.message().to_string(),
        };
        let rs = repo.revparse(spec).map_err(bad)?;
        let commit_of = |o: &git2::Object<'_>| o.peel_to_commit().map(|c| c.id()).map_err(bad);
        let mut sel = Selection::default();
        let mode = rs.mode();
        if mode.contains(git2::RevparseMode::SINGLE) {
            if let Some(from) = rs.from() {
                sel.include.push(commit_of(from)?);
            }
        } else {
            let from = rs.from().map(commit_of).transpose()?;
            let to = rs.to().map(commit_of).transpose()?;
            if let Some(to) = to {
                sel.include.push(to);
            }
            if mode.contains(git2::RevparseMode::MERGE_BASE) {
                if let Some(from) = from {
                    sel.include.push(from);
                    if let Some(to) = to {
                        if let Ok(base) = repo.merge_base(from, to) {
                            sel.exclude.push(base);
                        }
                    }
                }
            } else if let Some(from) = from {
                sel.exclude.push(from);
            }
        }
        Ok(sel)
    }

    /// What a `git push` sends to `destination`: everything the pushed values reach (commits,
    /// tags, trees, blobs) that neither the remote's current value of each ref nor
    /// `destination`'s remote-tracking refs reach. Commits that only *another* remote has are
    /// still sent, so they are scanned. Deletions send nothing.
    pub fn pushed(
        repo: &Repository,
        updates: &[PushUpdate],
        destination: &Destination,
        notes: &mut Notes,
    ) -> Result<Selection, GitError> {
        let mut sel = Selection::default();
        for u in updates {
            if u.local_oid.is_zero() || u.local_oid == u.remote_oid {
                continue;
            }
            sel.add_ref(repo, &u.local_ref, u.local_oid, notes);
            if !u.remote_oid.is_zero() {
                // The remote's value, if this repository has it, and what it reaches.
                if let Ok(c) = repo
                    .find_object(u.remote_oid, None)
                    .and_then(|o| o.peel_to_commit())
                {
                    sel.exclude.push(c.id());
                }
            }
        }
        for prefix in &destination.tracking {
            sel.exclude.extend(ref_tips(repo, Some(prefix))?);
        }
        sel.normalize();
        Ok(sel)
    }

    /// The commits a push brings to this (server) repository: reachable from the new values
    /// and from no existing ref, with the tags, trees and blobs pushed refs lead to. Run before
    /// the refs are updated, so existing refs are the old state. Deletions bring nothing.
    pub fn received(
        repo: &Repository,
        updates: &[RefUpdate],
        notes: &mut Notes,
    ) -> Result<Selection, GitError> {
        let mut sel = Selection::default();
        for u in updates {
            if !u.new.is_zero() && u.new != u.old {
                sel.add_ref(repo, &u.name, u.new, notes);
            }
        }
        sel.exclude.extend(ref_tips(repo, None)?);
        sel.normalize();
        Ok(sel)
    }
}

/// Where a push goes, as far as this repository knows it: the ref prefixes under which it keeps
/// that remote's branches (`refs/remotes/origin/` for `origin`, from the remote's fetch
/// refspecs). Empty for a URL that is no configured remote: then only the remote's own values
/// of the pushed refs count as already there.
#[derive(Debug, Clone, Default)]
pub struct Destination {
    pub tracking: Vec<String>,
}

impl Destination {
    /// The destination named `remote` (a remote name, or a URL as git passes it when the push
    /// names no remote).
    pub fn of_remote(repo: &Repository, remote: &str) -> Destination {
        let mut tracking = Vec::new();
        let found = repo.find_remote(remote).ok().or_else(|| {
            // `git push URL` passes the URL twice; a configured remote with that URL is the same
            // destination.
            let names = repo.remotes().ok()?;
            names
                .iter()
                .flatten()
                .filter_map(|n| repo.find_remote(n).ok())
                .find(|r| r.url() == Some(remote) || r.pushurl() == Some(remote))
        });
        if let Some(r) = found {
            if let Ok(specs) = r.fetch_refspecs() {
                for spec in specs.iter().flatten() {
                    // `+refs/heads/*:refs/remotes/origin/*` keeps the remote's branches under
                    // `refs/remotes/origin/`.
                    let Some((_, dst)) = spec.trim_start_matches('+').split_once(':') else {
                        continue;
                    };
                    let prefix = dst.split('*').next().unwrap_or(dst);
                    if prefix.starts_with("refs/") && prefix.ends_with('/') {
                        tracking.push(prefix.to_string());
                    } else if !dst.contains('*') && dst.starts_with("refs/") {
                        tracking.push(dst.to_string());
                    }
                }
            }
        }
        tracking.sort();
        tracking.dedup();
        Destination { tracking }
    }
}

/// The commits the refs (under `prefix`, if given) point to.
fn ref_tips(repo: &Repository, prefix: Option<&str>) -> Result<Vec<Oid>, GitError> {
    let mut tips = Vec::new();
    for r in repo
        .references()
        .map_err(git_err("listing refs"))?
        .flatten()
    {
        if prefix.is_some_and(|p| !r.name_bytes().starts_with(p.as_bytes())) {
            continue;
        }
        if let Ok(c) = r.peel_to_commit() {
            tips.push(c.id());
        }
    }
    Ok(tips)
}

/// One line of a pre-push hook's standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    pub local_ref: String,
    pub local_oid: Oid,
    pub remote_ref: String,
    pub remote_oid: Oid,
}

/// One line of a pre-receive hook's standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    pub old: Oid,
    pub new: Oid,
    pub name: String,
}

fn parse_oid(s: &str) -> Option<Oid> {
    (s.len() == 40 || s.len() == 64)
        .then(|| Oid::from_str(s).ok())
        .flatten()
}

/// Parses `<local ref> SP <local oid> SP <remote ref> SP <remote oid>` lines.
pub fn parse_pre_push(input: &str) -> Result<Vec<PushUpdate>, GitError> {
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let parsed = match f.as_slice() {
            [lr, lo, rr, ro] => parse_oid(lo).zip(parse_oid(ro)).map(|(lo, ro)| PushUpdate {
                local_ref: lr.to_string(),
                local_oid: lo,
                remote_ref: rr.to_string(),
                remote_oid: ro,
            }),
            _ => None,
        };
        out.push(parsed.ok_or_else(|| GitError::HookInput {
            line: i + 1,
            text: line.to_string(),
            expected: "<local ref> <local oid> <remote ref> <remote oid>",
        })?);
    }
    Ok(out)
}

/// Parses `<old oid> SP <new oid> SP <ref name>` lines.
pub fn parse_pre_receive(input: &str) -> Result<Vec<RefUpdate>, GitError> {
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let parsed = match f.as_slice() {
            [old, new, name] => parse_oid(old)
                .zip(parse_oid(new))
                .map(|(old, new)| RefUpdate {
                    old,
                    new,
                    name: name.to_string(),
                }),
            _ => None,
        };
        out.push(parsed.ok_or_else(|| GitError::HookInput {
            line: i + 1,
            text: line.to_string(),
            expected: "<old oid> <new oid> <ref name>",
        })?);
    }
    Ok(out)
}

/// Where scanned content came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A commit of the walk: the blobs it introduced, and its message.
    Commit(Oid),
    /// An annotated tag object: its message.
    Tag(Oid),
    /// A ref that ends at a tree or a blob rather than a commit.
    Ref(String),
}

/// Where a blob (or a message) first appeared.
#[derive(Debug, Clone)]
pub struct Introduction {
    /// The blob; for a message, the commit or tag object holding it.
    pub blob: Oid,
    /// Path in the commit's tree, `/`-separated, raw bytes; `<commit message>`,
    /// `<tag message>`, `REF` or `REF:PATH` for what is not a file of a commit.
    pub path: Vec<u8>,
    /// Index into `History::origins`.
    pub origin: usize,
}

/// What a walk found.
#[derive(Debug, Default)]
pub struct History {
    /// The commits walked, oldest first, then the tags and refs whose content was scanned.
    pub origins: Vec<Origin>,
    /// Every blob and message, once, in the order the walk met them.
    pub introductions: Vec<Introduction>,
    /// Other paths a commit of the walk put a recorded blob at, later (renames, copies,
    /// reverts elsewhere): the index of its introduction, and the path.
    pub also_at: Vec<(usize, Vec<u8>)>,
    pub notes: Notes,
}

impl History {
    /// The commit an introduction belongs to, if it belongs to one.
    pub fn commit_of(&self, intro: &Introduction) -> Option<Oid> {
        match self.origins.get(intro.origin) {
            Some(Origin::Commit(id)) => Some(*id),
            _ => None,
        }
    }
}

/// Receives the blobs read by one worker thread.
pub trait BlobVisitor {
    fn visit(&mut self, item: BlobItem<'_>);
}

/// A reader that can go back to its start (a large blob is read twice: once for whole-file facts,
/// once to search it).
pub trait ReadSeek: std::io::Read + std::io::Seek {}
impl<T: std::io::Read + std::io::Seek> ReadSeek for T {}

/// A blob's content: in memory, or, for a large blob stored whole, a stream inflated as it is
/// read, so that it never is in memory all at once.
pub enum Content<'a> {
    Bytes(&'a [u8]),
    Stream {
        reader: &'a mut dyn ReadSeek,
        len: u64,
    },
}

/// A blob handed to the visitor.
pub struct BlobItem<'a> {
    /// Index into `History::introductions`.
    pub index: usize,
    pub path: &'a [u8],
    pub content: Content<'a>,
    /// A commit or tag message rather than a file.
    pub message: bool,
}

/// Blobs larger than this that are stored whole (in a pack or loose) are streamed rather than
/// read into memory.
const STREAM_OVER: u64 = 32 << 20;

/// Bytes of blob content the readers may hold in memory at once, shared by all of them: a blob
/// this large or larger is read alone. (libgit2 needs about twice a blob's size while it applies
/// a delta: the base and the result.)
pub const BLOB_BUDGET: u64 = 64 << 20;

/// Work items a reader claims at a time: few, so that neighbours in a pack are read close
/// together in time, whichever reader reads them.
const CLAIM: usize = 4;

/// What the readers do, in order: every message, then every blob in the order it is stored.
enum Work {
    Text { index: usize, text: Vec<u8> },
    Blob { index: usize, at: Option<Location> },
}

/// Walks the selected history, then hands each new blob's content to a visitor on one of
/// `threads` worker threads. Blobs at paths `keep` refuses are neither read nor recorded.
/// `make_visitor` is called once per worker; the visitors are returned when the reads are done.
///
/// The walk reads commits and trees only, on this thread; the workers then read the blobs in
/// the order of their offsets in the pack files (see `packs`), each with its own `Repository`
/// (libgit2 handles are not `Sync`), taking a few at a time from one shared list. Which worker
/// reads which blob varies from run to run; what is found is keyed by introduction, so the
/// results do not.
pub fn scan_history<F, V>(
    opener: &Opener,
    repo: &Repository,
    selection: &Selection,
    threads: usize,
    keep: &(dyn Fn(&[u8]) -> bool + Sync),
    make_visitor: F,
) -> Result<(History, Vec<V>), GitError>
where
    F: Fn() -> V + Sync,
    V: BlobVisitor + Send,
{
    let mut history = History::default();
    let mut texts = Vec::new();
    let worker_opener = opener.for_workers(repo);
    walk(
        &worker_opener,
        repo,
        selection,
        threads,
        keep,
        &mut history,
        &mut texts,
    )?;
    let packs = Packs::of(repo, matches!(opener, Opener::Env));
    let work = plan(&packs, &history.introductions, texts);
    let partial = is_partial_clone(repo);
    let budget = Budget::new(BLOB_BUDGET);
    let next = AtomicUsize::new(0);
    let introductions = &history.introductions;
    let joined = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                let reader = Reader {
                    work: &work,
                    next: &next,
                    introductions,
                    packs: &packs,
                    budget: &budget,
                    partial,
                };
                let (opener, make_visitor) = (&worker_opener, &make_visitor);
                s.spawn(move || reader.run(opener, make_visitor))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<Vec<_>>()
    });
    let mut visitors = Vec::new();
    for result in joined {
        let (visitor, notes) = result?;
        history.notes.absorb(notes);
        visitors.push(visitor);
    }
    Ok((history, visitors))
}

/// The messages first (they are in hand), then the blobs by pack and offset; blobs in no pack
/// index (loose objects) last, by id.
fn plan(packs: &Packs, introductions: &[Introduction], texts: Vec<(usize, Vec<u8>)>) -> Vec<Work> {
    let mut is_text = vec![false; introductions.len()];
    for (index, _) in &texts {
        if let Some(t) = is_text.get_mut(*index) {
            *t = true;
        }
    }
    let blobs: Vec<usize> = (0..introductions.len()).filter(|&i| !is_text[i]).collect();
    let ids: Vec<Oid> = blobs.iter().map(|&i| introductions[i].blob).collect();
    let locations = packs.locate(&ids);
    let mut located: Vec<(Option<Location>, Oid, usize)> = locations
        .into_iter()
        .zip(ids)
        .zip(blobs)
        .map(|((at, id), index)| (at, id, index))
        .collect();
    located.sort_unstable_by_key(|&(at, id, _)| (at.is_none(), at, id));
    let mut work: Vec<Work> = texts
        .into_iter()
        .map(|(index, text)| Work::Text { index, text })
        .collect();
    work.extend(
        located
            .into_iter()
            .map(|(at, _, index)| Work::Blob { index, at }),
    );
    work
}

/// A reader thread's own ways into the repository.
struct Handles<'r, 'p> {
    repo: &'r Repository,
    odb: git2::Odb<'r>,
    peeker: Peeker<'p>,
}

/// One worker's view of the shared work.
struct Reader<'a> {
    work: &'a [Work],
    next: &'a AtomicUsize,
    introductions: &'a [Introduction],
    packs: &'a Packs,
    budget: &'a Budget,
    partial: bool,
}

impl Reader<'_> {
    fn run<F, V>(&self, opener: &Opener, make_visitor: &F) -> Result<(V, Notes), GitError>
    where
        F: Fn() -> V,
        V: BlobVisitor,
    {
        let repo = opener.open()?;
        let mut handles = Handles {
            odb: repo.odb().map_err(git_err("opening the object database"))?,
            repo: &repo,
            peeker: Peeker::new(self.packs),
        };
        let mut visit = make_visitor();
        let mut notes = Notes::default();
        loop {
            let start = self.next.fetch_add(CLAIM, Ordering::Relaxed);
            let claimed = self.work.get(start..).unwrap_or_default();
            if claimed.is_empty() {
                break;
            }
            for item in claimed.iter().take(CLAIM) {
                match item {
                    Work::Text { index, text } => {
                        let Some(intro) = self.introductions.get(*index) else {
                            continue;
                        };
                        visit.visit(BlobItem {
                            index: *index,
                            path: &intro.path,
                            content: Content::Bytes(text),
                            message: true,
                        });
                    }
                    Work::Blob { index, at } => {
                        self.blob(&mut handles, *index, *at, &mut visit, &mut notes);
                    }
                }
            }
        }
        Ok((visit, notes))
    }

    /// Reads one blob and hands it to the visitor: streamed if it is large and stored whole,
    /// else whole, within the shared budget.
    fn blob<V: BlobVisitor>(
        &self,
        handles: &mut Handles<'_, '_>,
        index: usize,
        at: Option<Location>,
        visit: &mut V,
        notes: &mut Notes,
    ) {
        let Some(intro) = self.introductions.get(index) else {
            return;
        };
        let id = intro.blob;
        // The size, from the entry's header in its pack, else from libgit2; an error here
        // shows again, with its reason, when the blob is read below.
        let size = match at.and_then(|at| handles.peeker.stored(at)) {
            Some(Stored::Whole { size, .. } | Stored::Delta { size }) => Some(size),
            None => handles.odb.read_header(id).ok().map(|(n, _)| n as u64),
        };
        if let Some(len) = size.filter(|&n| n > STREAM_OVER) {
            if let Some(mut stream) = self.packs.open_whole(id, at, len) {
                visit.visit(BlobItem {
                    index,
                    path: &intro.path,
                    content: Content::Stream {
                        reader: &mut stream,
                        len,
                    },
                    message: false,
                });
                return;
            }
        }
        let _permit = self.budget.take(size.unwrap_or(0));
        match handles.repo.find_blob(id) {
            Ok(blob) => {
                let content = blob.content();
                if is_lfs_pointer(content) {
                    notes.lfs_pointers += 1;
                    return;
                }
                visit.visit(BlobItem {
                    index,
                    path: &intro.path,
                    content: Content::Bytes(content),
                    message: false,
                });
            }
            Err(e) => notes.not_scanned(
                IncompleteKind::Object,
                format!("blob {id} ({})", String::from_utf8_lossy(&intro.path)),
                unreadable(self.partial, &e),
            ),
        }
    }
}

/// Is this a partial clone (`git clone --filter`)? It lacks, by design, the objects it never
/// fetched from its promisor remote; lushaguard reads only what is on disk.
pub fn is_partial_clone(repo: &Repository) -> bool {
    let Ok(config) = repo.config() else {
        return false;
    };
    if config.get_string("extensions.partialclone").is_ok() {
        return true;
    }
    let Ok(remotes) = repo.remotes() else {
        return false;
    };
    let promisor = remotes
        .iter()
        .flatten()
        .any(|name| config.get_bool(&format!("remote.{name}.promisor")) == Ok(true));
    promisor
}

/// Why an object could not be read, in words; in a partial clone a missing object is one the
/// clone never fetched.
fn unreadable(partial: bool, e: &git2::Error) -> String {
    if partial && e.code() == ErrorCode::NotFound {
        format!(
            "not in this partial clone (a promisor object that was never fetched; scan a full \
             clone): {}",
            e.message()
        )
    } else {
        format!("cannot read: {}", e.message())
    }
}

/// `unreadable`, finding out first whether `repo` is a partial clone.
fn missing_reason(repo: &Repository, e: &git2::Error) -> String {
    unreadable(e.code() == ErrorCode::NotFound && is_partial_clone(repo), e)
}

/// Packs whose data does not end with the checksum their index records: truncated or
/// overwritten, so that every object in them is unreadable. Named here because the error git
/// gives for each of their objects does not say where the problem is.
fn broken_packs(repo: &Repository, notes: &mut Notes) {
    let hash_len = match repo
        .config()
        .and_then(|c| c.get_string("extensions.objectformat"))
    {
        Ok(f) if f.eq_ignore_ascii_case("sha256") => 32,
        _ => 20,
    };
    let dir = repo.commondir().join("objects").join("pack");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut packs: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pack"))
        .collect();
    packs.sort();
    for pack in packs {
        // An index ends with the pack's checksum, then its own.
        let Some(idx_tail) = tail(&pack.with_extension("idx"), 2 * hash_len) else {
            continue;
        };
        let expected = &idx_tail[..hash_len];
        if tail(&pack, hash_len).as_deref() != Some(expected) {
            notes.not_scanned(
                IncompleteKind::Object,
                format!(
                    "pack {}",
                    pack.strip_prefix(repo.commondir())
                        .unwrap_or(&pack)
                        .display()
                ),
                "truncated or corrupt: its data does not end with the checksum its index \
                 records, so none of its objects can be read"
                    .into(),
            );
        }
    }
}

/// The last `n` bytes of a file.
fn tail(path: &Path, n: usize) -> Option<Vec<u8>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    let len = f.metadata().ok()?.len();
    let n64 = u64::try_from(n).ok()?;
    if len < n64 {
        return None;
    }
    f.seek(SeekFrom::Start(len - n64)).ok()?;
    let mut buf = vec![0; n];
    f.read_exact(&mut buf).ok()?;
    Some(buf)
}

/// Is this blob a Git LFS pointer rather than content?
pub fn is_lfs_pointer(content: &[u8]) -> bool {
    content.len() <= LFS_POINTER_MAX && content.starts_with(LFS_POINTER)
}

/// Trees by id, kept from one commit to the next: a commit's parents' trees are usually the
/// ones the commits before it read. Two generations, bounded by their number of entries (a
/// tree's memory grows with them): when the new one is full it becomes the old one, and what
/// is used again moves back to the new one.
struct TreeCache<'r> {
    repo: &'r Repository,
    new: HashMap<Oid, Tree<'r>>,
    old: HashMap<Oid, Tree<'r>>,
    new_entries: usize,
    /// Entries in a generation.
    generation: usize,
}

impl<'r> TreeCache<'r> {
    fn new(repo: &'r Repository, entries: usize) -> TreeCache<'r> {
        TreeCache {
            repo,
            new: HashMap::new(),
            old: HashMap::new(),
            new_entries: 0,
            generation: (entries / 2).max(1),
        }
    }

    fn get(&mut self, id: Oid) -> Result<Tree<'r>, git2::Error> {
        if let Some(t) = self.new.get(&id) {
            return Ok(t.clone());
        }
        let t = match self.old.remove(&id) {
            Some(t) => t,
            None => self.repo.find_tree(id)?,
        };
        self.new_entries += t.len().max(1);
        self.new.insert(id, t.clone());
        if self.new_entries > self.generation {
            self.old = std::mem::take(&mut self.new);
            self.new_entries = 0;
        }
        Ok(t)
    }
}

/// The files a commit adds: each path, and its blob.
type Added = Vec<(Vec<u8>, Oid)>;

/// What the walk learned from one commit, merged into the history in walk order.
struct CommitWalk {
    id: Oid,
    /// Its message and the files it adds; `None` when it, or its tree, could not be read, or
    /// when it is older than `--since`.
    found: Option<(Vec<u8>, Added)>,
    notes: Notes,
}

/// What every walker needs to know.
struct CommitContext<'a> {
    since: Option<i64>,
    keep: &'a (dyn Fn(&[u8]) -> bool + Sync),
    boundary: &'a HashSet<Oid>,
    partial: bool,
}

/// Consecutive commits a walker claims at a time: they share most of their trees, which it
/// keeps in its cache.
const WALK_CHUNK: usize = 64;

/// Commits oldest first, each compared with its parents, on `threads` walker threads (each with
/// its own `Repository` and tree cache), merged here in walk order; then the tags and the refs
/// to trees and blobs. Records blobs and keeps messages for the readers.
fn walk(
    opener: &Opener,
    repo: &Repository,
    selection: &Selection,
    threads: usize,
    keep: &(dyn Fn(&[u8]) -> bool + Sync),
    history: &mut History,
    texts: &mut Vec<(usize, Vec<u8>)>,
) -> Result<(), GitError> {
    let partial = is_partial_clone(repo);
    let boundary = shallow_boundary(repo);
    {
        let notes = &mut history.notes;
        if repo.is_shallow() {
            notes.shallow = true;
            notes.warn(
                "shallow clone: history before the shallow boundary is not in this repository \
                 and was not scanned (`git fetch --unshallow` to scan all of it)"
                    .into(),
            );
        }
        broken_packs(repo, notes);
    }
    let order = commit_order(repo, selection, &mut history.notes)?;
    let mut rec = Recorder {
        seen: HashMap::new(),
        texts,
    };
    let context = CommitContext {
        since: selection.since,
        keep,
        boundary: &boundary,
        partial,
    };
    walk_commits(opener, threads, &order, &context, |walked| {
        history.notes.absorb(walked.notes);
        let Some((message, added)) = walked.found else {
            return;
        };
        let index = history.origins.len();
        history.origins.push(Origin::Commit(walked.id));
        rec.text(history, COMMIT_MESSAGE, walked.id, index, message);
        for (path, blob) in added {
            rec.blob(history, path, blob, index, true);
        }
    })?;
    let mut trees = TreeCache::new(repo, TREE_CACHE_ENTRIES);
    for &id in &selection.tags {
        let tag = match repo.find_tag(id) {
            Ok(t) => t,
            Err(e) => {
                history.notes.not_scanned(
                    IncompleteKind::Object,
                    format!("tag {id}"),
                    unreadable(partial, &e),
                );
                continue;
            }
        };
        let index = history.origins.len();
        history.origins.push(Origin::Tag(id));
        rec.text(
            history,
            TAG_MESSAGE,
            id,
            index,
            tag.message_bytes().unwrap_or_default().to_vec(),
        );
    }
    for (name, id) in &selection.objects {
        let index = history.origins.len();
        history.origins.push(Origin::Ref(name.clone()));
        let obj = match repo.find_object(*id, None) {
            Ok(o) => o,
            Err(e) => {
                history.notes.not_scanned(
                    IncompleteKind::Object,
                    format!("object {id} ({name})"),
                    unreadable(partial, &e),
                );
                continue;
            }
        };
        if let Some(tree) = obj.as_tree() {
            // Every file of the tree, as `REF:PATH` (how `git show` names it).
            let added = files_added(&mut trees, tree, &[], keep, &mut history.notes, partial);
            for (path, blob) in added {
                let mut shown = format!("{name}:").into_bytes();
                shown.extend_from_slice(&path);
                rec.blob(history, shown, blob, index, false);
            }
        } else {
            rec.blob(history, name.as_bytes().to_vec(), *id, index, false);
        }
    }
    Ok(())
}

/// Walks the commits of `order` on `threads` threads, a chunk of consecutive commits at a
/// time, and hands what each commit adds to `merge`, in the order of `order`.
fn walk_commits(
    opener: &Opener,
    threads: usize,
    order: &[Oid],
    context: &CommitContext<'_>,
    mut merge: impl FnMut(CommitWalk),
) -> Result<(), GitError> {
    let threads = threads.max(1);
    let chunks = order.len().div_ceil(WALK_CHUNK);
    let next = AtomicUsize::new(0);
    let (tx, rx) = mpsc::channel::<(usize, Vec<CommitWalk>)>();
    std::thread::scope(|s| {
        let walkers: Vec<_> = (0..threads)
            .map(|_| {
                let (tx, next) = (tx.clone(), &next);
                s.spawn(move || -> Result<(), GitError> {
                    let repo = opener.open()?;
                    let mut trees = TreeCache::new(&repo, TREE_CACHE_ENTRIES / threads);
                    // The tree of each commit this walker read: parents come before their
                    // children, so a parent's tree is usually found here rather than by
                    // reading the parent again.
                    let mut tree_of: HashMap<Oid, Oid> = HashMap::new();
                    loop {
                        let chunk = next.fetch_add(1, Ordering::Relaxed);
                        let start = chunk.saturating_mul(WALK_CHUNK);
                        let end = start.saturating_add(WALK_CHUNK).min(order.len());
                        let Some(ids) = order.get(start..end).filter(|ids| !ids.is_empty()) else {
                            break;
                        };
                        let walked = ids
                            .iter()
                            .map(|&id| walk_commit(&repo, &mut trees, &mut tree_of, id, context))
                            .collect();
                        if tx.send((chunk, walked)).is_err() {
                            break;
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        drop(tx);
        // Chunks arrive in any order; they are merged in walk order.
        let mut pending: BTreeMap<usize, Vec<CommitWalk>> = BTreeMap::new();
        let mut due = 0;
        for (chunk, walked) in rx {
            pending.insert(chunk, walked);
            while let Some(walked) = pending.remove(&due) {
                walked.into_iter().for_each(&mut merge);
                due += 1;
            }
        }
        let mut first_error = None;
        for w in walkers {
            match w.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        match first_error {
            Some(e) => Err(e),
            None if due < chunks => Err(GitError::Git {
                what: "walking history".into(),
                message: "a walker thread stopped before the end".into(),
            }),
            None => Ok(()),
        }
    })
}

/// Reads commit `id` and finds what it adds: its message, and the files that differ from the
/// same path in every parent.
fn walk_commit<'r>(
    repo: &'r Repository,
    trees: &mut TreeCache<'r>,
    tree_of: &mut HashMap<Oid, Oid>,
    id: Oid,
    cx: &CommitContext<'_>,
) -> CommitWalk {
    let mut notes = Notes::default();
    let found = commit_adds(repo, trees, tree_of, id, cx, &mut notes);
    CommitWalk { id, found, notes }
}

fn commit_adds<'r>(
    repo: &'r Repository,
    trees: &mut TreeCache<'r>,
    tree_of: &mut HashMap<Oid, Oid>,
    id: Oid,
    cx: &CommitContext<'_>,
    notes: &mut Notes,
) -> Option<(Vec<u8>, Added)> {
    let partial = cx.partial;
    let commit = match repo.find_commit(id) {
        Ok(c) => c,
        Err(e) => {
            notes.not_scanned(
                IncompleteKind::Object,
                format!("commit {id}"),
                unreadable(partial, &e),
            );
            return None;
        }
    };
    tree_of.insert(id, commit.tree_id());
    if cx
        .since
        .is_some_and(|since| commit.committer().when().seconds() < since)
    {
        return None;
    }
    let tree = match trees.get(commit.tree_id()) {
        Ok(t) => t,
        Err(e) => {
            notes.not_scanned(
                IncompleteKind::Object,
                format!("tree {} of commit {id}", commit.tree_id()),
                unreadable(partial, &e),
            );
            return None;
        }
    };
    let mut parents = Vec::new();
    for pid in commit.parent_ids() {
        // A parent another walker read, or outside the walk (a range's base), is read here.
        let parent_tree = match tree_of.get(&pid) {
            Some(&tid) => Ok(tid),
            None => repo.find_commit(pid).map(|p| p.tree_id()),
        };
        match parent_tree {
            Ok(tid) => match trees.get(tid) {
                Ok(t) => parents.push(t),
                Err(e) => notes.not_scanned(
                    IncompleteKind::Object,
                    format!("tree {tid}"),
                    unreadable(partial, &e),
                ),
            },
            // A shallow boundary: the parent is not here, the commit counts as a root.
            Err(_) if cx.boundary.contains(&id) => {}
            // Anything else is a hole in the history: the commit is still scanned, as if it
            // were a root, and the missing commit is named.
            Err(e) => notes.not_scanned(
                IncompleteKind::Object,
                format!("commit {pid} (parent of {id})"),
                unreadable(partial, &e),
            ),
        }
    }
    let added = files_added(trees, &tree, &parents, cx.keep, notes, partial);
    Some((commit.message_raw_bytes().to_vec(), added))
}

/// Records where each blob and message appeared, each blob once, and keeps the messages for
/// the readers.
struct Recorder<'t> {
    /// Each blob recorded, with its index in `History::introductions`.
    seen: HashMap<Oid, usize>,
    texts: &'t mut Vec<(usize, Vec<u8>)>,
}

impl Recorder<'_> {
    /// A blob at a path. The first time the walk meets it, it is an introduction; when a
    /// commit puts it at another path later (a rename, a copy), that path is noted in
    /// `History::also_at` (with `in_commit`), so that whether it is in HEAD can be answered
    /// without reading HEAD's tree whole.
    fn blob(
        &mut self,
        history: &mut History,
        path: Vec<u8>,
        blob: Oid,
        origin: usize,
        in_commit: bool,
    ) {
        match self.seen.get(&blob) {
            Some(&index) => {
                if in_commit
                    && history
                        .introductions
                        .get(index)
                        .is_some_and(|i| i.path != path)
                {
                    history.also_at.push((index, path));
                }
            }
            None => {
                self.seen.insert(blob, history.introductions.len());
                history
                    .introductions
                    .push(Introduction { blob, path, origin });
            }
        }
    }

    /// A message of the commit or tag `id`.
    fn text(&mut self, history: &mut History, path: &str, id: Oid, origin: usize, text: Vec<u8>) {
        self.texts.push((history.introductions.len(), text));
        history.introductions.push(Introduction {
            blob: id,
            path: path.as_bytes().to_vec(),
            origin,
        });
    }
}

/// The commits of the shallow boundary: their parents are missing on purpose.
fn shallow_boundary(repo: &Repository) -> HashSet<Oid> {
    let Ok(text) = std::fs::read_to_string(repo.commondir().join("shallow")) else {
        return HashSet::new();
    };
    text.lines()
        .filter_map(|l| Oid::from_str(l.trim()).ok())
        .collect()
}

/// The selected commits, oldest first (parents before children, then by time). libgit2's walk
/// stops at the first commit it cannot read; then the history is walked again by hand, reading
/// what can be read, so that one missing commit does not hide all the others.
fn commit_order(
    repo: &Repository,
    selection: &Selection,
    notes: &mut Notes,
) -> Result<Vec<Oid>, GitError> {
    let mut rw = repo.revwalk().map_err(git_err("walking history"))?;
    rw.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)
        .map_err(git_err("walking history"))?;
    let mut tips = Vec::new();
    for &id in &selection.include {
        match rw.push(id) {
            Ok(()) => tips.push(id),
            Err(e) => notes.not_scanned(
                IncompleteKind::Object,
                format!("commit {id}"),
                format!("cannot walk from it: {}", missing_reason(repo, &e)),
            ),
        }
    }
    for &id in &selection.exclude {
        // An excluded commit this repository lacks hides nothing.
        let _ = rw.hide(id);
    }
    match rw.collect::<Result<Vec<Oid>, git2::Error>>() {
        Ok(order) => Ok(order),
        Err(_) => Ok(tolerant_order(repo, &tips, &selection.exclude)),
    }
}

/// Commits reachable from `tips` and not from `exclude`, parents before children, reading
/// commit by commit and going around those that cannot be read (the walk reports them).
fn tolerant_order(repo: &Repository, tips: &[Oid], exclude: &[Oid]) -> Vec<Oid> {
    let parents_of = |id: Oid| -> Option<Vec<Oid>> {
        repo.find_commit(id).ok().map(|c| c.parent_ids().collect())
    };
    let mut hidden: HashSet<Oid> = HashSet::new();
    let mut stack: Vec<Oid> = exclude.to_vec();
    while let Some(id) = stack.pop() {
        if hidden.insert(id) {
            stack.extend(parents_of(id).unwrap_or_default());
        }
    }
    // Depth first, a commit after all its parents (iteratively: histories are deep).
    let mut order = Vec::new();
    let mut visited: HashSet<Oid> = HashSet::new();
    let mut sorted_tips = tips.to_vec();
    sorted_tips.sort();
    for tip in sorted_tips {
        let mut stack: Vec<(Oid, bool)> = vec![(tip, false)];
        while let Some((id, parents_done)) = stack.pop() {
            if parents_done {
                order.push(id);
                continue;
            }
            if hidden.contains(&id) || !visited.insert(id) {
                continue;
            }
            let Some(parents) = parents_of(id) else {
                // Unreadable: the walk names it where a readable commit refers to it.
                continue;
            };
            stack.push((id, true));
            for p in parents.into_iter().rev() {
                if !visited.contains(&p) && !hidden.contains(&p) {
                    stack.push((p, false));
                }
            }
        }
    }
    order
}

/// The files (path and blob) under `new` that differ from every one of `olds`, skipping special
/// entries and paths `keep` refuses.
fn files_added<'r>(
    trees: &mut TreeCache<'r>,
    new: &Tree<'r>,
    olds: &[Tree<'r>],
    keep: &dyn Fn(&[u8]) -> bool,
    notes: &mut Notes,
    partial: bool,
) -> Added {
    let mut found = Vec::new();
    let mut on_entry = |path: &[u8], blob: Oid, mode: i32, notes: &mut Notes| {
        if !notes.skip_special(mode) && keep(path) {
            found.push((path.to_vec(), blob));
        }
    };
    added_entries(
        trees,
        new,
        olds,
        &mut Vec::new(),
        &mut on_entry,
        notes,
        partial,
    );
    found
}

type EntryVisitor<'a> = dyn FnMut(&[u8], Oid, i32, &mut Notes) + 'a;

/// Calls `visit` for every non-tree entry under `new` that differs from the same path in every
/// one of `olds` (all of them, for a root commit with no parents). A subtree equal to the same
/// subtree of any parent is skipped without being read.
fn added_entries<'r>(
    trees: &mut TreeCache<'r>,
    new: &Tree<'r>,
    olds: &[Tree<'r>],
    prefix: &mut Vec<u8>,
    visit: &mut EntryVisitor<'_>,
    notes: &mut Notes,
    partial: bool,
) {
    for entry in new.iter() {
        let name = entry.name_bytes();
        let id = entry.id();
        let mode = entry.filemode();
        let mut unchanged = false;
        let mut old_subtrees = Vec::new();
        for old in olds {
            if let Some(o) = old.get_name_bytes(name) {
                if o.id() == id {
                    unchanged = true;
                    break;
                }
                if o.filemode() == MODE_TREE {
                    old_subtrees.push(o.id());
                }
            }
        }
        if unchanged {
            continue;
        }
        let len = prefix.len();
        prefix.extend_from_slice(name);
        if mode == MODE_TREE {
            match trees.get(id) {
                Ok(sub) => {
                    let mut sub_olds = Vec::with_capacity(old_subtrees.len());
                    for oid in old_subtrees {
                        // An unreadable old side only means more is treated as new.
                        if let Ok(t) = trees.get(oid) {
                            sub_olds.push(t);
                        }
                    }
                    prefix.push(b'/');
                    added_entries(trees, &sub, &sub_olds, prefix, visit, notes, partial);
                }
                Err(e) => notes.not_scanned(
                    IncompleteKind::Object,
                    format!("tree {id} ({})", String::from_utf8_lossy(prefix)),
                    unreadable(partial, &e),
                ),
            }
        } else {
            visit(prefix, id, mode, notes);
        }
        prefix.truncate(len);
    }
}

/// Every blob id in HEAD's tree, sorted; `None` when HEAD has no commit (an unborn branch).
pub fn head_blobs(repo: &Repository) -> Result<Option<Vec<Oid>>, GitError> {
    let Ok(head) = repo.head() else {
        return Ok(None);
    };
    let Ok(tree) = head.peel_to_tree() else {
        return Ok(None);
    };
    let mut blobs = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |_, e| {
        if e.kind() == Some(ObjectType::Blob) && e.filemode() != MODE_LINK {
            blobs.push(e.id());
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(git_err("reading HEAD's tree"))?;
    blobs.sort_unstable();
    blobs.dedup();
    Ok(Some(blobs))
}

/// A path that `commit` changed or deleted relative to its first parent.
#[derive(Debug, Clone)]
pub struct Replaced {
    pub path: Vec<u8>,
    /// The blob the path held before.
    pub old: Oid,
    /// The blob it holds now; `None` when it was deleted.
    pub new: Option<Oid>,
}

/// What `commit` changed or took away relative to its first parent.
pub fn replaced_blobs(repo: &Repository, commit: Oid) -> Vec<Replaced> {
    let Ok(c) = repo.find_commit(commit) else {
        return Vec::new();
    };
    let (Ok(tree), Ok(parent)) = (c.tree(), c.parent(0).and_then(|p| p.tree())) else {
        return Vec::new();
    };
    let Ok(diff) = repo.diff_tree_to_tree(Some(&parent), Some(&tree), None) else {
        return Vec::new();
    };
    diff.deltas()
        .filter_map(|d| {
            let new = match d.status() {
                Delta::Deleted => None,
                Delta::Modified | Delta::Typechange => Some(d.new_file().id()),
                _ => return None,
            };
            Some(Replaced {
                path: d.old_file().path_bytes().unwrap_or_default().to_vec(),
                old: d.old_file().id(),
                new,
            })
        })
        .collect()
}

/// Reads one blob, whole.
pub fn read_blob(repo: &Repository, id: Oid) -> Result<Vec<u8>, GitError> {
    repo.find_blob(id)
        .map(|b| b.content().to_vec())
        .map_err(git_err(format!("blob {id}: cannot read")))
}

/// A commit as reports show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitMeta {
    pub id: String,
    pub author: String,
    pub email: String,
    /// Author date, RFC 3339, in the author's own offset.
    pub date: String,
    pub summary: String,
}

pub fn commit_meta(repo: &Repository, id: Oid) -> Result<CommitMeta, GitError> {
    let c = repo
        .find_commit(id)
        .map_err(git_err(format!("commit {id}: cannot read")))?;
    let author = c.author();
    let when = author.when();
    Ok(CommitMeta {
        id: id.to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: rfc3339(when.seconds(), when.offset_minutes()),
        summary: c
            .summary_bytes()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default(),
    })
}

/// An annotated tag as reports show it, in the fields of a commit: the tag object's id, the
/// tagger, the tag date, and `tag NAME: ` before the first line of its message.
pub fn tag_meta(repo: &Repository, id: Oid) -> Result<CommitMeta, GitError> {
    let t = repo
        .find_tag(id)
        .map_err(git_err(format!("tag {id}: cannot read")))?;
    let name = String::from_utf8_lossy(t.name_bytes()).into_owned();
    let first = t
        .message_bytes()
        .and_then(|m| {
            m.split(|&b| b == b'\n')
                .find(|l| !l.trim_ascii().is_empty())
        })
        .map(|l| String::from_utf8_lossy(l.trim_ascii()).into_owned())
        .unwrap_or_default();
    let (author, email, date) = match t.tagger() {
        Some(s) => (
            String::from_utf8_lossy(s.name_bytes()).into_owned(),
            String::from_utf8_lossy(s.email_bytes()).into_owned(),
            rfc3339(s.when().seconds(), s.when().offset_minutes()),
        ),
        None => (String::new(), String::new(), String::new()),
    };
    Ok(CommitMeta {
        id: id.to_string(),
        author,
        email,
        date,
        summary: format!("tag {name}: {first}"),
    })
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `seconds` since the epoch shown in the zone `offset_minutes` east of UTC.
pub fn rfc3339(seconds: i64, offset_minutes: i32) -> String {
    let local = seconds + i64::from(offset_minutes) * 60;
    let (y, mo, d) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        off / 60,
        off % 60
    )
}

/// `seconds` since the epoch as UTC `YYYY-MM-DDTHH:MM:SS`, the form GitLab and JUnit reports use.
pub fn utc(seconds: i64) -> String {
    let (y, mo, d) = civil_from_days(seconds.div_euclid(86_400));
    let secs = seconds.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Parses `--since`: `YYYY-MM-DD` (midnight UTC), an RFC 3339 date-time, or `@SECONDS`.
pub fn parse_date(s: &str) -> Option<i64> {
    if let Some(n) = s.strip_prefix('@') {
        return n.parse().ok();
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let bytes = s.as_bytes();
    if s.len() < 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let days = days_from_civil(i64::from(y), m, d);
    if s.len() == 10 {
        return Some(days * 86_400);
    }
    if !matches!(bytes.get(10), Some(b'T' | b't' | b' ')) || bytes.get(13) != Some(&b':') {
        return None;
    }
    let (h, mi) = (num(11..13)?, num(14..16)?);
    let (sec, rest) = if bytes.get(16) == Some(&b':') {
        (num(17..19)?, s.get(19..)?)
    } else {
        (0, s.get(16..)?)
    };
    let rest = match rest.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) if rest.starts_with('.') => &rest[i..],
        _ => rest,
    };
    let offset = match rest {
        "Z" | "z" | "" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let oh: i64 = rest.get(1..3)?.parse().ok()?;
            let om: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(sec) - offset)
}

/// Which lines of a staged file are new relative to HEAD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddedLines {
    /// Every line (a new file, or one git could not diff line by line, such as a binary or
    /// UTF-16 file).
    All,
    /// These 1-based line numbers of the staged content, ascending.
    Lines(Vec<u64>),
}

impl AddedLines {
    pub fn contains(&self, line: u64) -> bool {
        match self {
            AddedLines::All => true,
            AddedLines::Lines(v) => v.binary_search(&line).is_ok(),
        }
    }
}

/// A file as it would be committed, and what in it is new.
#[derive(Debug, Clone)]
pub struct StagedFile {
    pub path: Vec<u8>,
    pub blob: Oid,
    pub added: AddedLines,
}

/// The lines a patch adds; all of them when git sees the content as binary.
fn added_lines(patch: &git2::Patch<'_>) -> AddedLines {
    if patch.delta().flags().is_binary() {
        return AddedLines::All;
    }
    let mut lines = Vec::new();
    for h in 0..patch.num_hunks() {
        let n = patch.num_lines_in_hunk(h).unwrap_or(0);
        for l in 0..n {
            if let Ok(line) = patch.line_in_hunk(h, l) {
                if line.origin() == '+' {
                    lines.extend(line.new_lineno().map(u64::from));
                }
            }
        }
    }
    lines.sort_unstable();
    lines.dedup();
    AddedLines::Lines(lines)
}

/// A directory of the index, with the tree id git would write for it.
#[derive(Default)]
struct IndexDir {
    id: Option<Oid>,
    files: BTreeMap<Vec<u8>, (i32, Oid)>,
    dirs: BTreeMap<Vec<u8>, IndexDir>,
}

impl IndexDir {
    fn insert(&mut self, path: &[u8], mode: i32, id: Oid) {
        match path.iter().position(|&b| b == b'/') {
            Some(i) => {
                self.dirs
                    .entry(path[..i].to_vec())
                    .or_default()
                    .insert(&path[i + 1..], mode, id)
            }
            None => {
                self.files.insert(path.to_vec(), (mode, id));
            }
        }
    }

    /// Hashes this directory as a tree object, as `git write-tree` would (nothing is written).
    fn hash(&mut self) -> Result<Oid, git2::Error> {
        let mut entries: Vec<(Vec<u8>, i32, &[u8], Oid)> = Vec::new();
        for (name, dir) in self.dirs.iter_mut() {
            let id = dir.hash()?;
            let mut key = name.clone();
            key.push(b'/');
            entries.push((key, MODE_TREE, name, id));
        }
        for (name, &(mode, id)) in &self.files {
            entries.push((name.clone(), mode, name, id));
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut buf = Vec::new();
        for (_, mode, name, id) in entries {
            buf.extend_from_slice(format!("{mode:o} ").as_bytes());
            buf.extend_from_slice(name);
            buf.push(0);
            buf.extend_from_slice(id.as_bytes());
        }
        let id = Oid::hash_object(ObjectType::Tree, &buf)?;
        self.id = Some(id);
        Ok(id)
    }
}

/// One path whose staged content differs from HEAD.
struct Change {
    path: Vec<u8>,
    old: Option<(i32, Oid)>,
    new: Option<(i32, Oid)>,
}

/// Every file under a HEAD subtree, as deleted.
fn all_deleted(tree: &Tree<'_>, prefix: &[u8], out: &mut Vec<Change>) {
    let _ = tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
        if e.filemode() != MODE_TREE {
            let mut path = prefix.to_vec();
            path.extend_from_slice(dir.as_bytes());
            path.extend_from_slice(e.name_bytes());
            out.push(Change {
                path,
                old: Some((e.filemode(), e.id())),
                new: None,
            });
        }
        git2::TreeWalkResult::Ok
    });
}

/// Every file under an index directory, as added.
fn all_added(dir: &IndexDir, prefix: &mut Vec<u8>, out: &mut Vec<Change>) {
    let len = prefix.len();
    for (name, sub) in &dir.dirs {
        prefix.extend_from_slice(name);
        prefix.push(b'/');
        all_added(sub, prefix, out);
        prefix.truncate(len);
    }
    for (name, &(mode, id)) in &dir.files {
        let mut path = prefix.clone();
        path.extend_from_slice(name);
        out.push(Change {
            path,
            old: None,
            new: Some((mode, id)),
        });
    }
}

/// Compares an index directory with the HEAD tree at the same place, reading only subtrees
/// whose id differs.
fn compare_dir(
    repo: &Repository,
    dir: &IndexDir,
    head: Option<&Tree<'_>>,
    prefix: &mut Vec<u8>,
    out: &mut Vec<Change>,
) -> Result<(), git2::Error> {
    let Some(head) = head else {
        all_added(dir, prefix, out);
        return Ok(());
    };
    if dir.id == Some(head.id()) {
        return Ok(());
    }
    let len = prefix.len();
    for entry in head.iter() {
        let name = entry.name_bytes();
        let head_is_dir = entry.filemode() == MODE_TREE;
        let index_dir = dir.dirs.get(name);
        if head_is_dir && index_dir.is_some_and(|d| d.id == Some(entry.id())) {
            continue;
        }
        let mut path = prefix.clone();
        path.extend_from_slice(name);
        if head_is_dir {
            let sub = repo.find_tree(entry.id())?;
            path.push(b'/');
            match index_dir {
                Some(index_dir) => {
                    let mut p = path;
                    compare_dir(repo, index_dir, Some(&sub), &mut p, out)?;
                }
                None => all_deleted(&sub, &path, out),
            }
        } else {
            let new = dir.files.get(name).copied();
            if new != Some((entry.filemode(), entry.id())) {
                out.push(Change {
                    path,
                    old: Some((entry.filemode(), entry.id())),
                    new,
                });
            }
        }
    }
    for (name, sub) in &dir.dirs {
        let head_dir = head
            .get_name_bytes(name)
            .is_some_and(|e| e.filemode() == MODE_TREE);
        if !head_dir {
            prefix.extend_from_slice(name);
            prefix.push(b'/');
            all_added(sub, prefix, out);
            prefix.truncate(len);
        }
    }
    for (name, &(mode, id)) in &dir.files {
        let head_file = head
            .get_name_bytes(name)
            .is_some_and(|e| e.filemode() != MODE_TREE);
        if !head_file {
            let mut path = prefix.clone();
            path.extend_from_slice(name);
            out.push(Change {
                path,
                old: None,
                new: Some((mode, id)),
            });
        }
    }
    Ok(())
}

/// Most staged files most of the time: pair an added file with a deleted one it mostly equals.
const RENAME_PAIRS_MAX: usize = 256;

/// The staged changes found the way `git diff --cached` finds them: the index's directories are
/// hashed as trees in memory, so a HEAD subtree whose id matches is never read. (libgit2's own
/// index diff reads every tree of HEAD, which dominates in a large repository.) `None` when the
/// index has conflicts or intent-to-add entries, which the general diff handles.
fn staged_by_tree_hash(
    repo: &Repository,
    head: Option<&Tree<'_>>,
    index: &git2::Index,
    notes: &mut Notes,
) -> Result<Option<Vec<StagedFile>>, GitError> {
    const STAGE_MASK: u16 = 0x3000;
    const INTENT_TO_ADD: u16 = 1 << 13;
    let mut root = IndexDir::default();
    for e in index.iter() {
        if e.flags & STAGE_MASK != 0 || e.flags_extended & INTENT_TO_ADD != 0 {
            return Ok(None);
        }
        root.insert(&e.path, e.mode as i32, e.id);
    }
    root.hash().map_err(git_err("hashing the index"))?;
    let mut changes = Vec::new();
    compare_dir(repo, &root, head, &mut Vec::new(), &mut changes)
        .map_err(git_err("comparing the index with HEAD"))?;
    changes.sort_by(|a, b| a.path.cmp(&b.path));

    let deleted: Vec<&Change> = changes
        .iter()
        .filter(|c| {
            c.new.is_none()
                && c.old
                    .is_some_and(|(m, _)| m != MODE_GITLINK && m != MODE_LINK)
        })
        .collect();
    let added_count = changes.iter().filter(|c| c.old.is_none()).count();
    let try_renames = !deleted.is_empty() && deleted.len() * added_count <= RENAME_PAIRS_MAX;
    let blob = |id: Oid| {
        repo.find_blob(id)
            .map_err(git_err(format!("blob {id}: cannot read")))
    };
    let mut out = Vec::new();
    for change in &changes {
        let Some((mode, id)) = change.new else {
            continue;
        };
        if notes.skip_special(mode) {
            continue;
        }
        let shown = || String::from_utf8_lossy(&change.path).into_owned();
        // A staged blob that cannot be read is still listed: the scanner's read of it fails too
        // and records it as not scanned, while the other files are scanned.
        let Ok(new_blob) = blob(id) else {
            out.push(StagedFile {
                path: change.path.clone(),
                blob: id,
                added: AddedLines::All,
            });
            continue;
        };
        let diff_with = |old: Oid| -> Result<AddedLines, GitError> {
            let old_blob = blob(old)?;
            let mut opts = git2::DiffOptions::new();
            opts.context_lines(0);
            let patch = git2::Patch::from_blobs(&old_blob, None, &new_blob, None, Some(&mut opts))
                .map_err(git_err(format!("blob {old}: cannot diff")))?;
            Ok(added_lines(&patch))
        };
        let added = match change.old {
            Some((old_mode, old)) if old_mode != MODE_GITLINK && old_mode != MODE_LINK => {
                // HEAD's version unreadable: every line counts as added, which scans more, not
                // less.
                diff_with(old).unwrap_or_else(|e| {
                    notes.warn(format!(
                        "{}: cannot compare with HEAD, scanning all of it: {e}",
                        shown()
                    ));
                    AddedLines::All
                })
            }
            Some(_) => AddedLines::All,
            None if try_renames => {
                // A rename (with or without edits) adds only what differs from the old file,
                // when at most half of the file is new (git's default similarity).
                let total = new_blob
                    .content()
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    .max(1);
                let mut best = AddedLines::All;
                let mut best_count = usize::MAX;
                for d in &deleted {
                    let Some((_, old)) = d.old else { continue };
                    // A deleted file that cannot be read is not the one this came from.
                    if let Ok(AddedLines::Lines(lines)) = diff_with(old) {
                        if lines.len() * 2 <= total && lines.len() < best_count {
                            best_count = lines.len();
                            best = AddedLines::Lines(lines);
                        }
                    }
                }
                best
            }
            None => AddedLines::All,
        };
        out.push(StagedFile {
            path: change.path.clone(),
            blob: id,
            added,
        });
    }
    Ok(Some(out))
}

/// What `git commit` would commit now: the index compared with HEAD's tree (everything, when
/// there is no commit yet), renames followed so a moved file's old lines are not new. The
/// index is `GIT_INDEX_FILE` when git set it (a hook during `git commit -a` or `git commit
/// FILE` sees a temporary index), else the repository's.
pub fn staged(
    repo: &Repository,
    use_env_index: bool,
    notes: &mut Notes,
) -> Result<Vec<StagedFile>, GitError> {
    let head_tree = match repo.head() {
        Ok(h) => Some(h.peel_to_tree().map_err(git_err("reading HEAD's tree"))?),
        Err(_) => None,
    };
    let env_index = std::env::var_os("GIT_INDEX_FILE").filter(|p| use_env_index && !p.is_empty());
    let index = match env_index {
        Some(p) => git2::Index::open(Path::new(&p))
            .map_err(git_err(format!("index {}", Path::new(&p).display())))?,
        _ => repo.index().map_err(git_err("reading the index"))?,
    };
    if let Some(files) = staged_by_tree_hash(repo, head_tree.as_ref(), &index, notes)? {
        return Ok(files);
    }
    let mut opts = git2::DiffOptions::new();
    opts.context_lines(0).include_typechange(true);
    let mut diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut opts))
        .map_err(git_err("comparing the index with HEAD"))?;
    let mut find = git2::DiffFindOptions::new();
    find.renames(true).copies(false);
    diff.find_similar(Some(&mut find))
        .map_err(git_err("finding renames"))?;
    let mut out = Vec::new();
    for (i, delta) in diff.deltas().enumerate() {
        if matches!(delta.status(), Delta::Deleted | Delta::Unmodified) {
            continue;
        }
        let new = delta.new_file();
        let path = new.path_bytes().unwrap_or_default().to_vec();
        if notes.skip_special(i32::from(new.mode())) {
            continue;
        }
        let added = if delta.status() == Delta::Added {
            AddedLines::All
        } else {
            match git2::Patch::from_diff(&diff, i) {
                Ok(Some(patch)) => added_lines(&patch),
                Ok(None) => AddedLines::All,
                Err(e) => {
                    notes.warn(format!(
                        "{}: cannot compare with HEAD, scanning all of it: {}",
                        String::from_utf8_lossy(&path),
                        e.message()
                    ));
                    AddedLines::All
                }
            }
        };
        out.push(StagedFile {
            path,
            blob: new.id(),
            added,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn unix_times_become_utc() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00");
        // `date -u -d @1700000000 +%FT%T`
        assert_eq!(super::utc(1_700_000_000), "2023-11-14T22:13:20");
        assert_eq!(super::utc(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(super::utc(-1), "1969-12-31T23:59:59");
    }

    use super::*;

    #[test]
    fn dates_are_rfc3339_in_the_authors_zone() {
        assert_eq!(rfc3339(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(rfc3339(1_700_000_000, 120), "2023-11-15T00:13:20+02:00");
        assert_eq!(rfc3339(1_700_000_000, -330), "2023-11-14T16:43:20-05:30");
        assert_eq!(rfc3339(951_782_400, 0), "2000-02-29T00:00:00+00:00");
    }

    #[test]
    fn since_dates_parse() {
        assert_eq!(parse_date("1970-01-02"), Some(86_400));
        assert_eq!(parse_date("2023-11-15T00:13:20+02:00"), Some(1_700_000_000));
        assert_eq!(parse_date("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_date("@42"), Some(42));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2023-13-01"), None);
    }

    #[test]
    fn hook_input_parses_and_rejects_garbage() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let pushed = parse_pre_push(&format!("refs/heads/x {a} refs/heads/x {z}\n")).unwrap();
        assert_eq!(pushed.len(), 1);
        assert!(pushed[0].remote_oid.is_zero());
        let received = parse_pre_receive(&format!("{z} {a} refs/heads/main\n\n")).unwrap();
        assert_eq!(received[0].name, "refs/heads/main");
        let err = parse_pre_receive("nonsense\n").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("nonsense"), "{err}");
    }

    #[test]
    fn index_directories_hash_to_the_trees_git_writes() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let mut index = repo.index().unwrap();
        let files: [(&[u8], &[u8], u32); 6] = [
            (b"a.txt", b"a\n", 0o100644),
            (b"a-b/x", b"x\n", 0o100644),
            (b"a/b/c.sh", b"#!/bin/sh\n", 0o100755),
            (b"a0", b"zero\n", 0o100644),
            (b"a/link", b"a.txt", 0o120000),
            (b"z/\xff-name", b"odd\n", 0o100644),
        ];
        for (path, content, mode) in files {
            let id = repo.blob(content).unwrap();
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode,
                uid: 0,
                gid: 0,
                file_size: content.len() as u32,
                id,
                flags: 0,
                flags_extended: 0,
                path: path.to_vec(),
            };
            index.add(&entry).unwrap();
        }
        let mut root = IndexDir::default();
        for e in index.iter() {
            root.insert(&e.path, e.mode as i32, e.id);
        }
        assert_eq!(root.hash().unwrap(), index.write_tree().unwrap());
    }

    #[test]
    fn lfs_pointers_are_recognised() {
        let p = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 12345\n";
        assert!(is_lfs_pointer(p));
        assert!(!is_lfs_pointer(b"LUSHA_API_KEY=x\n"));
    }
}
