//! The history walk and the blob readers: commits oldest first, each compared with its parents
//! tree by tree; each new blob recorded once and read on worker threads in pack order.

use super::*;

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
pub(super) fn missing_reason(repo: &Repository, e: &git2::Error) -> String {
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
