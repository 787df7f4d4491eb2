//! What `git commit` would commit now: the index compared with HEAD, and which lines of each
//! staged file are new.

use super::*;

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
    use super::*;

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
}
