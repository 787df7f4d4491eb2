//! One commit's tree read like a directory of files: where a range scan reads its suppression
//! settings (the base side, which the change being scanned cannot edit), and what that change
//! did to them. Only regular files (modes 100644 and 100755) are read, up to `files::MAX_SIZE`;
//! a symbolic link or submodule is not a regular file.

use super::git::GitError;
use crate::files::{CommitTree, FileError, Kind, MAX_SIZE};
use git2::{ObjectType, Oid, Repository};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const MODE_TREE: i32 = 0o040000;
const MODE_FILE: i32 = 0o100644;
const MODE_EXECUTABLE: i32 = 0o100755;

/// The tree of one commit, with its own handle on the repository.
pub struct CommitFiles {
    repo: Repository,
    commit: Oid,
    tree: Oid,
}

impl CommitFiles {
    pub fn new(repo: &Repository, commit: Oid) -> Result<CommitFiles, GitError> {
        let err = |e: git2::Error| GitError::Git {
            what: format!("commit {commit}"),
            message: e.message().to_string(),
        };
        let tree = peel(repo, commit).and_then(|c| c.tree()).map_err(err)?.id();
        let repo = Repository::open(repo.path()).map_err(err)?;
        Ok(CommitFiles { repo, commit, tree })
    }

    fn entry_mode(&self, path: &Path) -> Option<(i32, Oid)> {
        let tree = self.repo.find_tree(self.tree).ok()?;
        if path.as_os_str().is_empty() {
            return Some((MODE_TREE, self.tree));
        }
        let e = tree.get_path(path).ok()?;
        Some((e.filemode(), e.id()))
    }
}

/// The commit an object id stands for (an annotated tag is peeled).
fn peel(repo: &Repository, id: Oid) -> Result<git2::Commit<'_>, git2::Error> {
    repo.find_object(id, None)?.peel_to_commit()
}

fn shown(path: &Path, commit: Oid) -> String {
    format!("{} (in commit {})", path.display(), short(commit))
}

/// The first 12 hex digits of an object id.
pub fn short(id: Oid) -> String {
    let s = id.to_string();
    s.get(..12).unwrap_or(&s).to_string()
}

impl CommitTree for CommitFiles {
    fn describe(&self) -> String {
        format!("base commit {}", short(self.commit))
    }

    fn kind(&self, path: &Path) -> Kind {
        match self.entry_mode(path) {
            None => Kind::Missing,
            Some((MODE_TREE, _)) => Kind::Directory,
            Some((MODE_FILE | MODE_EXECUTABLE, _)) => Kind::File,
            Some(_) => Kind::Other,
        }
    }

    fn read(&self, path: &Path) -> Result<Vec<u8>, FileError> {
        let p = shown(path, self.commit);
        match self.entry_mode(path) {
            None => Err(FileError::Missing { path: p }),
            Some((MODE_FILE | MODE_EXECUTABLE, id)) => {
                let blob = self.repo.find_blob(id).map_err(|e| FileError::Io {
                    path: p.clone(),
                    message: e.message().to_string(),
                })?;
                if blob.size() as u64 > MAX_SIZE {
                    return Err(FileError::TooLarge { path: p });
                }
                Ok(blob.content().to_vec())
            }
            Some(_) => Err(FileError::NotRegular { path: p }),
        }
    }

    fn toml_files(&self, dir: &Path) -> Result<Vec<PathBuf>, FileError> {
        let p = shown(dir, self.commit);
        let Some((MODE_TREE, id)) = self.entry_mode(dir) else {
            return Err(FileError::NotRegular { path: p });
        };
        let tree = self.repo.find_tree(id).map_err(|e| FileError::Io {
            path: p,
            message: e.message().to_string(),
        })?;
        let mut files: Vec<PathBuf> = tree
            .iter()
            .filter(|e| e.kind() == Some(ObjectType::Blob))
            .filter_map(|e| e.name().map(str::to_string))
            .filter(|n| n.ends_with(".toml"))
            .map(|n| dir.join(n))
            .collect();
        files.sort();
        Ok(files)
    }
}

/// How a change touched a settings file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SettingsChange {
    pub path: String,
    /// `added`, `modified` or `deleted`.
    pub how: &'static str,
}

/// The settings files that differ between the `base` and `tip` commits: every
/// `.lushaguard.toml` and `.lushaguardignore` anywhere in the tree, and the `extra` paths
/// (files the base settings name, such as a baseline).
pub fn settings_changes(
    repo: &Repository,
    base: Oid,
    tip: Oid,
    names: &[&str],
    extra: &BTreeSet<PathBuf>,
) -> Result<Vec<SettingsChange>, GitError> {
    let err = |e: git2::Error| GitError::Git {
        what: format!("comparing {} with {}", short(base), short(tip)),
        message: e.message().to_string(),
    };
    let old = peel(repo, base).and_then(|c| c.tree()).map_err(err)?;
    let new = peel(repo, tip).and_then(|c| c.tree()).map_err(err)?;
    let diff = repo
        .diff_tree_to_tree(Some(&old), Some(&new), None)
        .map_err(err)?;
    let mut out = BTreeSet::new();
    for d in diff.deltas() {
        let how = match d.status() {
            git2::Delta::Added => "added",
            git2::Delta::Deleted => "deleted",
            _ => "modified",
        };
        for file in [d.old_file(), d.new_file()] {
            let Some(path) = file.path() else { continue };
            let named = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| names.contains(&n));
            if named || extra.contains(path) {
                out.insert(SettingsChange {
                    path: path.display().to_string(),
                    how,
                });
            }
        }
    }
    Ok(out.into_iter().collect())
}

/// The lines of the file at `path` in `commit`, for telling which inline allow marks a change
/// added (`--strict`). Empty when the file is not there or not a regular file.
pub fn lines_at(repo: &Repository, commit: Oid, path: &Path) -> BTreeSet<Vec<u8>> {
    let Ok(files) = CommitFiles::new(repo, commit) else {
        return BTreeSet::new();
    };
    match files.read(path) {
        Ok(bytes) => bytes
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}
