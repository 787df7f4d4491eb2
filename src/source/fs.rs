//! Files on disk. A parallel walk with the `ignore` crate's walker (the one ripgrep uses):
//! hidden files are included (`.env` is where secrets live), `.git` is never entered, and only
//! regular files are opened, non-blocking and checked again after opening, so a FIFO or device
//! that appears mid-walk never blocks the scan.
//!
//! Which files ignore rules leave out is decided here, not by the walker, because a secret
//! scanner must not let them hide what the repository holds: a file tracked by git is scanned
//! even when `.gitignore`, `.ignore`, `.git/info/exclude` or the user's `core.excludesFile`
//! lists it, and ignore files are read only from the scanned directory down and, inside a git
//! work tree, up to its top, never above it. Untracked ignored files are skipped.
//!
//! A path named on the command line is always scanned. One that cannot be (unreadable, a FIFO or
//! a device) makes the scan incomplete; so does a file or directory met while walking that cannot
//! be opened or listed. Symbolic link loops, dangling links and files that vanish are warnings.

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::{Match, WalkBuilder, WalkState};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Debug, Clone)]
pub struct WalkOptions {
    pub roots: Vec<PathBuf>,
    pub respect_ignore: bool,
    pub follow_links: bool,
    pub threads: usize,
    /// Paths to leave out (each left out is counted there).
    pub exclude: crate::suppress::Exclusions,
}

/// What the walk hands to the visitor.
pub enum Item {
    /// A regular file, opened.
    File { path: PathBuf, file: File, len: u64 },
    /// Something met while walking that was not scanned, and why.
    Skipped { path: PathBuf, why: Skip },
    /// Something that should have been scanned and was not (a file that could not be opened, a
    /// directory that could not be listed, a FIFO named on the command line): the scan is
    /// incomplete. `reason` says why, in a few words.
    Unreadable {
        path: String,
        directory: bool,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// A FIFO, socket or device met while walking: never opened.
    NotRegular,
    /// A symbolic link, not followed (use `--follow`).
    Symlink,
}

/// A problem met during the walk; the walk goes on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    pub path: String,
    pub message: String,
}

/// The path as reports show it: without a leading `./`.
pub fn display_path(path: &Path) -> String {
    #[cfg(unix)]
    {
        // This runs for every file: most paths are `./dir/name` or `dir/name`, where dropping
        // the `./` needs no parsing of components, and a UTF-8 check that goes a word at a time
        // is all the conversion.
        use std::os::unix::ffi::OsStrExt;
        let bytes = path.as_os_str().as_bytes();
        let plain = |b: &[u8]| !matches!(b.last(), Some(b'/' | b'.'));
        let rest = match bytes {
            [b'.', b'/', c, ..] if !matches!(c, b'/' | b'.') && plain(bytes) => Some(&bytes[2..]),
            [c, ..] if *c != b'.' && plain(bytes) => Some(bytes),
            _ => None,
        };
        if let Some(rest) = rest {
            return match std::str::from_utf8(rest) {
                Ok(s) => s.to_owned(),
                Err(_) => String::from_utf8_lossy(rest).into_owned(),
            };
        }
    }
    let p = path.strip_prefix("./").unwrap_or(path);
    p.to_string_lossy().into_owned()
}

/// Opens a regular file without blocking, whatever it turned into since it was listed.
pub fn open_regular(path: &Path) -> Result<Option<(File, u64)>, std::io::Error> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    Ok(Some((file, meta.len())))
}

/// An I/O error as a reason, saying so when a path is longer than the system allows.
fn io_reason(verb: &str, e: &std::io::Error) -> String {
    #[cfg(unix)]
    if e.raw_os_error() == Some(libc::ENAMETOOLONG) {
        return format!("{verb}: {e} (the path is longer than the system's PATH_MAX)");
    }
    format!("{verb}: {e}")
}

/// Walks the roots with `threads` threads. `make_visitor` is called once per thread; the visitor
/// it returns gets every item and problem found by that thread.
pub fn walk<F, V>(options: &WalkOptions, make_visitor: F) -> Result<(), ignore::Error>
where
    F: Fn() -> V + Sync,
    V: FnMut(Result<Item, Warning>) + Send,
{
    for root in &options.roots {
        walk_root(root, options, &make_visitor)?;
    }
    Ok(())
}

/// A path named on the command line: a file is scanned whatever ignore rules say, a directory
/// is walked, anything else cannot be scanned.
fn walk_root<F, V>(
    root: &Path,
    options: &WalkOptions,
    make_visitor: &F,
) -> Result<(), ignore::Error>
where
    F: Fn() -> V + Sync,
    V: FnMut(Result<Item, Warning>) + Send,
{
    let shown = display_path(root);
    let item = match std::fs::metadata(root) {
        Ok(meta) if meta.is_dir() => return walk_dir(root, options, make_visitor),
        Ok(meta) if meta.is_file() => match open_regular(root) {
            Ok(Some((file, len))) => Item::File {
                path: root.to_path_buf(),
                file,
                len,
            },
            Ok(None) => not_scannable(shown),
            Err(e) => Item::Unreadable {
                path: shown,
                directory: false,
                reason: io_reason("cannot open", &e),
            },
        },
        Ok(_) => not_scannable(shown),
        Err(e) => Item::Unreadable {
            path: shown,
            directory: false,
            reason: io_reason("cannot open", &e),
        },
    };
    make_visitor()(Ok(item));
    Ok(())
}

fn not_scannable(path: String) -> Item {
    Item::Unreadable {
        path,
        directory: false,
        reason: "named on the command line, but a FIFO, socket or device cannot be scanned".into(),
    }
}

fn walk_dir<F, V>(root: &Path, options: &WalkOptions, make_visitor: &F) -> Result<(), ignore::Error>
where
    F: Fn() -> V + Sync,
    V: FnMut(Result<Item, Warning>) + Send,
{
    let excludes = options.exclude.clone();
    let rules = options
        .respect_ignore
        .then(|| Arc::new(IgnoreRules::new(root)));
    // The walker builds every path as `root/...`: what follows is the path in the tree.
    let root_len = {
        let b = path_bytes(root);
        b.len() + usize::from(!b.ends_with(b"/"))
    };
    let mut builder = WalkBuilder::new(root);
    builder
        .standard_filters(false)
        .hidden(false)
        .follow_links(options.follow_links)
        .threads(options.threads.max(1))
        .filter_entry(move |e| {
            if e.file_name() == ".git" {
                return false;
            }
            let bytes = path_bytes(e.path());
            let Some(rel) = bytes.get(root_len..).filter(|r| !r.is_empty()) else {
                return true;
            };
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if excludes.walk_filter(e.path(), is_dir) {
                return false;
            }
            rules.as_ref().is_none_or(|r| r.keeps(rel, is_dir))
        });
    builder.build_parallel().run(|| {
        let mut visit = make_visitor();
        Box::new(move |entry| {
            match entry {
                Ok(entry) => {
                    let path = entry.path().to_path_buf();
                    let Some(ft) = entry.file_type() else {
                        return WalkState::Continue;
                    };
                    if ft.is_dir() {
                        return WalkState::Continue;
                    }
                    if ft.is_symlink() {
                        visit(Ok(Item::Skipped {
                            path,
                            why: Skip::Symlink,
                        }));
                        return WalkState::Continue;
                    }
                    if !ft.is_file() {
                        visit(Ok(Item::Skipped {
                            path,
                            why: Skip::NotRegular,
                        }));
                        return WalkState::Continue;
                    }
                    match open_regular(&path) {
                        Ok(Some((file, len))) => visit(Ok(Item::File { path, file, len })),
                        Ok(None) => visit(Ok(Item::Skipped {
                            path,
                            why: Skip::NotRegular,
                        })),
                        // Gone since it was listed: nothing left to scan.
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => visit(Err(Warning {
                            path: display_path(&path),
                            message: e.to_string(),
                        })),
                        Err(e) => visit(Ok(Item::Unreadable {
                            path: display_path(&path),
                            directory: false,
                            reason: io_reason("cannot open", &e),
                        })),
                    }
                }
                Err(err) => visit(walk_problem(&err)),
            }
            WalkState::Continue
        })
    });
    Ok(())
}

/// The ignore files of one directory, and those of the directories above it.
struct DirRules {
    parent: Option<Arc<DirRules>>,
    /// Some ignore file in the chain has a rule (most trees have one or two).
    any: bool,
    dot_ignore: Gitignore,
    git_ignore: Gitignore,
    /// The directory is the top of a work tree (its `.gitignore` files above do not apply).
    git_top: bool,
    /// The work tree the directory lies in, if any (a repository nested in the scanned tree has
    /// its own).
    tree: Option<Arc<WorkTree>>,
    /// The directory is ignored, and walked only for the tracked files inside it.
    ignored: bool,
}

impl DirRules {
    fn read(dir: &Path, parent: Option<Arc<DirRules>>, ignored: bool) -> DirRules {
        let one = |name: &str| {
            let mut b = GitignoreBuilder::new(dir);
            // A missing file adds nothing; a malformed line is skipped, as git does, and the
            // rest of the file applies.
            let _ = b.add(dir.join(name));
            b.build().unwrap_or_else(|_| Gitignore::empty())
        };
        let (dot_ignore, git_ignore) = (one(".ignore"), one(".gitignore"));
        let git_top = dir.join(".git").exists();
        let tree = if git_top {
            WorkTree::at(dir).map(Arc::new)
        } else {
            parent.as_ref().and_then(|p| p.tree.clone())
        };
        DirRules {
            any: !dot_ignore.is_empty()
                || !git_ignore.is_empty()
                || tree
                    .as_ref()
                    .is_some_and(|t| !t.exclude.is_empty() || !t.global.is_empty())
                || parent.as_ref().is_some_and(|p| p.any),
            parent,
            dot_ignore,
            git_ignore,
            git_top,
            tree,
            ignored,
        }
    }
}

/// A git work tree: what its repository ignores and tracks.
struct WorkTree {
    /// The top of the work tree, absolute, `/`-separated, with a trailing `/`.
    top: Vec<u8>,
    /// The index file; read only when something is ignored (a fresh clone ignores nothing).
    index: PathBuf,
    /// Bytes of an object id: 20 (SHA-1) or 32 (SHA-256).
    hash_len: usize,
    /// Paths in the index, relative to the top, sorted; `None` if the index cannot be read (then
    /// every path counts as tracked: nothing is hidden).
    tracked: OnceLock<Option<Vec<Vec<u8>>>>,
    /// `.git/info/exclude` and `core.excludesFile`.
    exclude: Gitignore,
    global: Gitignore,
}

impl WorkTree {
    /// The top of the work tree around `abs`: the nearest directory holding `.git` (a
    /// directory, or a file naming one as in linked worktrees and submodules). Found by looking,
    /// as ripgrep does; opening the repository with libgit2 costs more than a small scan.
    fn top_of(abs: &Path) -> Option<PathBuf> {
        abs.ancestors()
            .find(|d| d.join(".git").exists())
            .map(Path::to_path_buf)
    }

    /// The work tree whose top is `top`.
    fn at(top: &Path) -> Option<WorkTree> {
        let dot_git = top.join(".git");
        let git_dir = if dot_git.is_dir() {
            dot_git
        } else {
            let link = std::fs::read_to_string(&dot_git).ok()?;
            top.join(link.trim().strip_prefix("gitdir:")?.trim())
        };
        // A linked worktree shares `info/exclude` and the config with the main repository.
        let common = match std::fs::read_to_string(git_dir.join("commondir")) {
            Ok(rel) => git_dir.join(rel.trim()),
            Err(_) => git_dir.clone(),
        };
        let mut top_bytes = path_bytes(top).into_owned();
        if !top_bytes.ends_with(b"/") {
            top_bytes.push(b'/');
        }
        let mut exclude = GitignoreBuilder::new(top);
        let _ = exclude.add(common.join("info/exclude"));
        let exclude = exclude.build().unwrap_or_else(|_| Gitignore::empty());
        let (global, _) = GitignoreBuilder::new(top).build_global();
        let sha256 = std::fs::read_to_string(common.join("config")).is_ok_and(|config| {
            config.lines().any(|l| {
                let l: String = l.chars().filter(|c| !c.is_whitespace()).collect();
                l.eq_ignore_ascii_case("objectformat=sha256")
            })
        });
        Some(WorkTree {
            top: top_bytes,
            index: git_dir.join("index"),
            hash_len: if sha256 { 32 } else { 20 },
            tracked: OnceLock::new(),
            exclude,
            global,
        })
    }

    fn tracked(&self) -> Option<&[Vec<u8>]> {
        self.tracked
            .get_or_init(|| {
                // A repository without an index (no commit, nothing added) tracks nothing.
                if !self.index.exists() {
                    return Some(Vec::new());
                }
                let mut paths = std::fs::read(&self.index)
                    .ok()
                    .and_then(|data| index_paths(&data, self.hash_len))
                    .or_else(|| {
                        // A split index or a format this reader does not know: libgit2's.
                        let index = git2::Index::open(&self.index).ok()?;
                        Some(index.iter().map(|e| e.path).collect())
                    })?;
                paths.sort_unstable();
                paths.dedup();
                Some(paths)
            })
            .as_deref()
    }

    /// Is the file at `abs` (absolute bytes) in the index, or, for a directory, anything below
    /// it (or the directory itself, a submodule)?
    fn tracks(&self, abs: &[u8], is_dir: bool) -> bool {
        let Some(tracked) = self.tracked() else {
            return true;
        };
        let Some(rel) = abs.strip_prefix(self.top.as_slice()) else {
            return false;
        };
        if tracked.binary_search_by(|t| t.as_slice().cmp(rel)).is_ok() {
            return true;
        }
        if !is_dir {
            return false;
        }
        let mut dir = rel.to_vec();
        dir.push(b'/');
        let i = tracked.partition_point(|t| t < &dir);
        tracked.get(i).is_some_and(|t| t.starts_with(&dir))
    }
}

/// The paths in a git index file (versions 2 to 4), or `None` when this cannot read it whole (a
/// split index keeps entries in another file); the caller then asks libgit2. Only the paths are
/// needed, so the checksum is not verified: libgit2 hashes the whole file first, which costs
/// more than the rest of a walk.
fn index_paths(data: &[u8], hash_len: usize) -> Option<Vec<Vec<u8>>> {
    let be32 = |at: usize| -> Option<usize> {
        let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        usize::try_from(u32::from_be_bytes(b)).ok()
    };
    if data.get(..4)? != b"DIRC" {
        return None;
    }
    let version = be32(4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = be32(8)?;
    let end = data.len().checked_sub(hash_len)?;
    let mut paths: Vec<Vec<u8>> = Vec::with_capacity(count.min(end / 62));
    let mut pos = 12;
    let mut prev: Vec<u8> = Vec::new();
    for _ in 0..count {
        let start = pos;
        let flags_at = start + 40 + hash_len;
        let flags = u16::from_be_bytes(data.get(flags_at..flags_at + 2)?.try_into().ok()?);
        let mut name_at = flags_at + 2;
        if version >= 3 && flags & 0x4000 != 0 {
            name_at += 2;
        }
        let path = if version == 4 {
            // Prefix compression: how many bytes of the previous path to drop, then the rest.
            let mut i = name_at;
            let mut c = *data.get(i)?;
            i += 1;
            let mut strip = usize::from(c & 0x7F);
            while c & 0x80 != 0 {
                c = *data.get(i)?;
                i += 1;
                strip = strip.checked_add(1)?.checked_mul(128)? + usize::from(c & 0x7F);
            }
            let len = memchr::memchr(0, data.get(i..end)?)?;
            let mut path = prev.get(..prev.len().checked_sub(strip)?)?.to_vec();
            path.extend_from_slice(&data[i..i + len]);
            pos = i + len + 1;
            path
        } else {
            let len = memchr::memchr(0, data.get(name_at..end)?)?;
            // Entries are padded with NULs to a multiple of eight bytes.
            pos = start + ((name_at - start + len + 8) & !7);
            data[name_at..name_at + len].to_vec()
        };
        prev.clone_from(&path);
        paths.push(path);
    }
    // Extensions: a split index keeps most entries elsewhere.
    while pos + 8 <= end {
        if &data[pos..pos + 4] == b"link" {
            return None;
        }
        pos = pos.checked_add(8 + be32(pos + 4)?)?;
    }
    Some(paths)
}

/// A path's bytes (`/`-separated).
fn path_bytes(p: &Path) -> std::borrow::Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::borrow::Cow::Borrowed(p.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        std::borrow::Cow::Owned(p.to_string_lossy().replace('\\', "/").into_bytes())
    }
}

/// The path of `bytes` (as `path_bytes` made them).
fn bytes_path(bytes: &[u8]) -> std::borrow::Cow<'_, Path> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::borrow::Cow::Borrowed(Path::new(std::ffi::OsStr::from_bytes(bytes)))
    }
    #[cfg(not(unix))]
    {
        std::borrow::Cow::Owned(PathBuf::from(String::from_utf8_lossy(bytes).into_owned()))
    }
}

/// The directory part of a `/`-separated relative path (empty at the top).
fn parent_bytes(rel: &[u8]) -> &[u8] {
    memchr::memrchr(b'/', rel).map_or(&[][..], |i| &rel[..i])
}

/// Ignore rules for one scanned directory, read as the walk reaches each directory.
struct IgnoreRules {
    /// The scanned directory made absolute, so that every matcher sees full paths.
    abs_root: PathBuf,
    /// Rules of the directories from the top of the work tree down to the scanned one.
    base: Arc<DirRules>,
    /// Rules by directory (relative to the scanned one, `/`-separated).
    dirs: Mutex<HashMap<Vec<u8>, Arc<DirRules>>>,
    /// Tells this walk's entries in the per-thread cache from another walk's.
    id: usize,
}

/// A walk's id, a directory, and its rules.
type LastDir = (usize, Vec<u8>, Arc<DirRules>);

thread_local! {
    /// The directory whose rules this thread used last: the walker hands a directory's entries
    /// to one thread in a row, so this spares most lookups in the shared map.
    static LAST_DIR: std::cell::RefCell<Option<LastDir>> =
        const { std::cell::RefCell::new(None) };
}

impl IgnoreRules {
    fn new(root: &Path) -> IgnoreRules {
        let abs_root = root
            .canonicalize()
            .unwrap_or_else(|_| std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()));
        // Directories from the top of the work tree (or the scanned directory) down.
        let mut chain: Vec<PathBuf> = match WorkTree::top_of(&abs_root) {
            Some(top) => abs_root
                .ancestors()
                .take_while(|d| d.starts_with(&top))
                .map(Path::to_path_buf)
                .collect(),
            None => vec![abs_root.clone()],
        };
        chain.reverse();
        let mut base: Option<Arc<DirRules>> = None;
        for dir in &chain {
            base = Some(Arc::new(DirRules::read(dir, base.take(), false)));
        }
        let base = base.unwrap_or_else(|| Arc::new(DirRules::read(&abs_root, None, false)));
        IgnoreRules {
            abs_root,
            base,
            dirs: Mutex::new(HashMap::new()),
            id: {
                static NEXT: std::sync::atomic::AtomicUsize =
                    std::sync::atomic::AtomicUsize::new(0);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            },
        }
    }

    /// `rel` under the scanned directory, as bytes (cheaper than `Path::join`, which parses).
    fn absolute(&self, rel: &[u8]) -> Vec<u8> {
        let root = path_bytes(&self.abs_root);
        let mut abs = Vec::with_capacity(root.len() + 1 + rel.len());
        abs.extend_from_slice(&root);
        if !abs.ends_with(b"/") {
            abs.push(b'/');
        }
        abs.extend_from_slice(rel);
        abs
    }

    /// The rules in force in directory `rel` (relative to the scanned directory).
    fn rules_for(&self, rel: &[u8]) -> Arc<DirRules> {
        if rel.is_empty() {
            return self.base.clone();
        }
        let cached = LAST_DIR.with_borrow(|last| match last {
            Some((id, dir, rules)) if *id == self.id && dir.as_slice() == rel => {
                Some(rules.clone())
            }
            _ => None,
        });
        if let Some(r) = cached {
            return r;
        }
        let r = self.lookup(rel);
        LAST_DIR.with_borrow_mut(|last| *last = Some((self.id, rel.to_vec(), r.clone())));
        r
    }

    fn lookup(&self, rel: &[u8]) -> Arc<DirRules> {
        if let Some(r) = self.dirs.lock().unwrap_or_else(|p| p.into_inner()).get(rel) {
            return r.clone();
        }
        let parent = self.rules_for(parent_bytes(rel));
        let ignored = parent.ignored || self.matched(&parent, rel, true);
        let rules = Arc::new(DirRules::read(
            &self.abs_root.join(bytes_path(rel)),
            Some(parent),
            ignored,
        ));
        self.dirs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(rel.to_vec(), rules.clone());
        rules
    }

    /// Do the ignore files list `rel`? The deepest `.ignore` that matches decides, then the
    /// deepest `.gitignore` inside the same work tree, then `.git/info/exclude`, then
    /// `core.excludesFile` (the precedence of ripgrep and git).
    fn matched(&self, dir: &DirRules, rel: &[u8], is_dir: bool) -> bool {
        if !dir.any {
            return false;
        }
        let abs = self.absolute(rel);
        let abs = bytes_path(&abs);
        let (mut m_ignore, mut m_git) = (Match::None, Match::None);
        let mut saw_top = false;
        let mut d = Some(dir);
        while let Some(rules) = d {
            if m_ignore.is_none() {
                m_ignore = rules.dot_ignore.matched(&abs, is_dir).map(|_| ());
            }
            if dir.tree.is_some() && !saw_top && m_git.is_none() {
                m_git = rules.git_ignore.matched(&abs, is_dir).map(|_| ());
            }
            saw_top |= rules.git_top;
            d = rules.parent.as_deref();
        }
        let m = m_ignore.or(m_git);
        match &dir.tree {
            Some(t) if m.is_none() => t
                .exclude
                .matched(&abs, is_dir)
                .map(|_| ())
                .or(t.global.matched(&abs, is_dir).map(|_| ()))
                .is_ignore(),
            _ => m.is_ignore(),
        }
    }

    /// Should the walk keep `rel` (a path below the scanned directory)?
    fn keeps(&self, rel: &[u8], is_dir: bool) -> bool {
        let parent = self.rules_for(parent_bytes(rel));
        let ignored = parent.ignored || self.matched(&parent, rel, is_dir);
        if !ignored {
            return true;
        }
        // Ignore rules never hide what the repository tracks.
        parent
            .tree
            .as_ref()
            .is_some_and(|tree| tree.tracks(&self.absolute(rel), is_dir))
    }
}

/// A walk error as what it means for the scan: an I/O error on a path (a directory that cannot
/// be listed, an entry that cannot be examined) left something unscanned; anything else (a
/// symbolic link loop, a dangling link) is a warning.
fn walk_problem(err: &ignore::Error) -> Result<Item, Warning> {
    fn io_of(err: &ignore::Error) -> Option<&std::io::Error> {
        match err {
            ignore::Error::Io(e) => Some(e),
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => io_of(err),
            _ => None,
        }
    }
    fn path_buf_of(err: &ignore::Error) -> Option<&Path> {
        match err {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } => path_buf_of(err),
            _ => None,
        }
    }
    match (io_of(err), path_buf_of(err)) {
        // A dangling symbolic link, or a file deleted during the walk: nothing left to scan.
        (Some(io), Some(_)) if io.kind() == std::io::ErrorKind::NotFound => Err(walk_warning(err)),
        // The walker lists directories; what it cannot even examine (a path too long to stat)
        // is most likely one too.
        (Some(io), Some(path)) => {
            let directory = std::fs::metadata(path).map_or(true, |m| m.is_dir());
            Ok(Item::Unreadable {
                path: display_path(path),
                directory,
                reason: io_reason(
                    if directory {
                        "cannot list"
                    } else {
                        "cannot open"
                    },
                    io,
                ),
            })
        }
        _ => Err(walk_warning(err)),
    }
}

fn walk_warning(err: &ignore::Error) -> Warning {
    fn path_of(err: &ignore::Error) -> Option<String> {
        match err {
            ignore::Error::WithPath { path, .. } => Some(display_path(path)),
            ignore::Error::WithDepth { err, .. } => path_of(err),
            ignore::Error::WithLineNumber { err, .. } => path_of(err),
            ignore::Error::Loop { child, .. } => Some(display_path(child)),
            _ => None,
        }
    }
    fn message_of(err: &ignore::Error) -> String {
        match err {
            ignore::Error::WithPath { err, .. } => message_of(err),
            ignore::Error::WithDepth { err, .. } => message_of(err),
            ignore::Error::Loop { ancestor, .. } => {
                format!("symbolic link loop back to {}", display_path(ancestor))
            }
            other => other.to_string(),
        }
    }
    Warning {
        path: path_of(err).unwrap_or_default(),
        message: message_of(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[cfg(unix)]
    #[test]
    fn a_shown_path_is_what_dropping_a_leading_dot_component_leaves() {
        use std::os::unix::ffi::OsStrExt;
        let paths: &[&[u8]] = &[
            b"./a/b.txt",
            b"a/b.txt",
            b"./a",
            b".",
            b"./",
            b".//a",
            b"././a",
            b"./.env",
            b"./a/",
            b"./a/.",
            b"a/./b",
            b"/abs/x",
            b".env",
            b"..",
            b"../x",
            b"",
            b"./\xff\xfe",
            b"dir/\xe9t\xe9.txt",
            b"./caf\xc3\xa9",
            b"x\n\x1b[2J",
        ];
        for &p in paths {
            let path = Path::new(std::ffi::OsStr::from_bytes(p));
            let old = path.strip_prefix("./").unwrap_or(path).to_string_lossy();
            assert_eq!(display_path(path), old, "{p:?}");
        }
    }

    fn collect(options: &WalkOptions) -> (Vec<String>, Vec<Warning>) {
        let files = Mutex::new(Vec::new());
        let warnings = Mutex::new(Vec::new());
        walk(options, || {
            |item| match item {
                Ok(Item::File { path, .. }) => files.lock().unwrap().push(display_path(&path)),
                Ok(Item::Skipped { .. }) => {}
                Ok(Item::Unreadable { path, reason, .. }) => {
                    warnings.lock().unwrap().push(Warning {
                        path,
                        message: reason,
                    })
                }
                Err(w) => warnings.lock().unwrap().push(w),
            }
        })
        .unwrap();
        let mut f = files.into_inner().unwrap();
        f.sort();
        (f, warnings.into_inner().unwrap())
    }

    fn options(root: &Path) -> WalkOptions {
        WalkOptions {
            roots: vec![root.to_path_buf()],
            respect_ignore: true,
            follow_links: false,
            threads: 2,
            exclude: Default::default(),
        }
    }

    #[test]
    fn includes_hidden_files_and_skips_dot_git() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".env"), "A=1").unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git/config"), "x").unwrap();
        let (files, _) = collect(&options(dir.path()));
        assert_eq!(files.len(), 1);
        assert!(files[0].ends_with(".env"));
    }

    #[test]
    fn honours_ignore_files_unless_told_not_to() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".ignore"), "skipped.txt\n").unwrap();
        std::fs::write(dir.path().join("skipped.txt"), "x").unwrap();
        std::fs::write(dir.path().join("kept.txt"), "x").unwrap();
        let (files, _) = collect(&options(dir.path()));
        assert!(files.iter().any(|f| f.ends_with("kept.txt")));
        assert!(!files.iter().any(|f| f.ends_with("skipped.txt")));
        let mut all = options(dir.path());
        all.respect_ignore = false;
        assert!(collect(&all).0.iter().any(|f| f.ends_with("skipped.txt")));
    }

    #[test]
    fn excludes_globs() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("fixtures")).unwrap();
        std::fs::write(dir.path().join("fixtures/a.env"), "x").unwrap();
        std::fs::write(dir.path().join("b.env"), "x").unwrap();
        let mut o = options(dir.path());
        o.exclude.relative(&["fixtures/**".into()]);
        o.exclude.set_roots(&o.roots).unwrap();
        let (files, _) = collect(&o);
        assert_eq!(o.exclude.count(), 1);
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(files[0].ends_with("b.env"));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_warn_and_fifos_are_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("d/loop")).unwrap();
        let fifo = dir.path().join("pipe");
        assert!(mkfifo(&fifo));
        std::fs::write(dir.path().join("f.txt"), "x").unwrap();
        let mut o = options(dir.path());
        o.follow_links = true;
        let (files, warnings) = collect(&o);
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(
            warnings.iter().any(|w| w.message.contains("loop")),
            "{warnings:?}"
        );
        assert!(open_regular(&fifo).unwrap().is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_named_explicitly_cannot_be_scanned() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        assert!(mkfifo(&fifo));
        let (files, problems) = collect(&options(&fifo));
        assert!(files.is_empty());
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("FIFO"), "{problems:?}");
    }

    #[test]
    fn ignore_files_above_the_scanned_directory_are_not_read_outside_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".ignore"), "*.env\n").unwrap();
        std::fs::create_dir(dir.path().join("app")).unwrap();
        std::fs::write(dir.path().join("app/.env"), "x").unwrap();
        let (files, _) = collect(&options(&dir.path().join("app")));
        assert_eq!(files.len(), 1, "{files:?}");
        // From the directory that holds it, the same file applies.
        let (files, _) = collect(&options(dir.path()));
        assert!(files.iter().all(|f| !f.ends_with("app/.env")), "{files:?}");
    }

    fn git(dir: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn tracked_files_are_walked_whatever_ignore_files_say() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        std::fs::create_dir_all(d.join("build/sub")).unwrap();
        for f in [
            "tracked.env",
            "build/sub/tracked.txt",
            "build/untracked.txt",
            "untracked.env",
        ] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        git(d, &["add", "tracked.env", "build/sub/tracked.txt"]);
        std::fs::write(d.join(".gitignore"), "*.env\nbuild/\n").unwrap();
        let (files, _) = collect(&options(d));
        let names: Vec<String> = files
            .iter()
            .map(|f| display_path(Path::new(f).strip_prefix(d).unwrap()))
            .collect();
        assert_eq!(
            names,
            [".gitignore", "build/sub/tracked.txt", "tracked.env"]
        );
        // From a subdirectory, the top's .gitignore applies...
        std::fs::write(d.join("build/sub/untracked.env"), "x").unwrap();
        let (files, _) = collect(&options(&d.join("build")));
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(files[0].ends_with("build/sub/tracked.txt"));
        // ...but a directory named explicitly is scanned, even when it is ignored itself.
        assert!(files[1].ends_with("build/untracked.txt"));
    }

    #[test]
    fn index_paths_match_git_in_every_index_version() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q"]);
        let names = [
            "a.txt",
            "dir/b.env",
            "dir/sub/c",
            "dir/sub/cc",
            "d\u{e9}j\u{e0}.txt",
            "x/very/deep/path/with/many/levels/file.rs",
        ];
        for n in names {
            let p = d.join(n);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "x").unwrap();
        }
        git(d, &["add", "a.txt", "dir", "x"]);
        // An intent-to-add entry carries the extended flags of version 3.
        git(d, &["add", "-N", "d\u{e9}j\u{e0}.txt"]);
        let listed = std::process::Command::new("git")
            .args(["-c", "core.quotepath=off", "ls-files", "-z"])
            .current_dir(d)
            .output()
            .unwrap()
            .stdout;
        let mut want: Vec<Vec<u8>> = listed
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        want.sort();
        for version in ["2", "3", "4"] {
            git(d, &["update-index", "--index-version", version]);
            let data = std::fs::read(d.join(".git/index")).unwrap();
            let mut got = index_paths(&data, 20).expect(version);
            got.sort();
            assert_eq!(got, want, "index version {version}");
        }
        assert!(index_paths(b"DIRC\0\0\0\x09", 20).is_none());
        assert!(index_paths(&[0u8; 100], 20).is_none());
    }

    /// mkfifo(1) keeps the tests free of `unsafe`.
    #[cfg(unix)]
    pub fn mkfifo(path: &Path) -> bool {
        std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap()
            .success()
    }
}
