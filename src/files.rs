//! The files that settings name: config files, rule files, ignore files, baselines. Each is read
//! whole, so each must be a regular file no larger than `MAX_SIZE`; anything else (`/dev/zero`, a
//! FIFO, a directory, a 10 GiB file) is a clear error, never a hang. A file has a `Place`: on disk,
//! or in the base commit of a range scan, where a change's own edits to its suppression settings
//! cannot reach (`source::commit_files` reads those). `Sources` reads either kind.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// The largest settings file read (64 MiB).
pub const MAX_SIZE: u64 = 64 << 20;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: no such file")]
    Missing { path: String },
    #[error("{path}: not a regular file (a directory, FIFO, socket, device or symbolic link in git); settings name regular files only")]
    NotRegular { path: String },
    #[error("{path}: larger than 64 MiB; a settings file may not be")]
    TooLarge { path: String },
    #[error("{path}: cannot read: {message}")]
    Io { path: String, message: String },
}

/// Where a settings file lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    /// On disk: an absolute path, normalised lexically (`lexical`).
    Disk(PathBuf),
    /// In the base commit: a path relative to the top of its tree, normalised, never above it.
    Commit(PathBuf),
}

impl Place {
    /// The directory that relative paths written in this file start from.
    pub fn dir(&self) -> Place {
        match self {
            Place::Disk(p) => Place::Disk(p.parent().map(Path::to_path_buf).unwrap_or_default()),
            Place::Commit(p) => {
                Place::Commit(p.parent().map(Path::to_path_buf).unwrap_or_default())
            }
        }
    }

    /// `rel` written in a file whose directory is `self`. `None` when a commit path climbs
    /// above the top of the tree: there is nothing there to read.
    pub fn join(&self, rel: &Path) -> Option<Place> {
        match self {
            Place::Disk(dir) => Some(Place::Disk(lexical(dir, rel))),
            Place::Commit(dir) => {
                if rel.is_absolute() {
                    return None;
                }
                let mut out = PathBuf::new();
                for c in dir.join(rel).components() {
                    match c {
                        Component::CurDir => {}
                        Component::ParentDir => {
                            if !out.pop() {
                                return None;
                            }
                        }
                        Component::Normal(n) => out.push(n),
                        _ => return None,
                    }
                }
                Some(Place::Commit(out))
            }
        }
    }

    /// The path on disk this place stands for: a commit path is shown under `workdir`, so that
    /// paths written in the file resolve the way the same file in the work tree would.
    pub fn on_disk(&self, workdir: &Path) -> PathBuf {
        match self {
            Place::Disk(p) => p.clone(),
            Place::Commit(p) => workdir.join(p),
        }
    }
}

/// `path` made absolute against `base` and normalised lexically (`.` dropped, `..` applied), so
/// two spellings of one file compare equal without touching the file system.
pub fn lexical(base: &Path, path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in base.join(path).components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The current directory (`.` if it cannot be had).
pub fn current_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// `path` as an absolute, lexically normalised path.
pub fn absolute(path: &Path) -> PathBuf {
    lexical(&current_dir(), path)
}

/// lushaguard's directory under an XDG base directory: `$VAR/lushaguard` when `VAR` holds an
/// absolute path (the XDG rule), else `~/FALLBACK/lushaguard`.
pub fn xdg_dir(var: &str, fallback: &str) -> Option<PathBuf> {
    let absolute = |p: PathBuf| p.is_absolute().then_some(p);
    let base = std::env::var_os(var)
        .map(PathBuf::from)
        .and_then(absolute)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .and_then(absolute)
                .map(|h| h.join(fallback))
        })?;
    Some(base.join("lushaguard"))
}

/// What is at a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Missing,
    File,
    Directory,
    /// A FIFO, socket, device, or a symbolic link in a git tree.
    Other,
}

/// A commit's tree, read like a directory (implemented in `source::commit_files`).
pub trait CommitTree {
    /// Which commit, for messages (`base commit 1a2b3c4d5e6f`).
    fn describe(&self) -> String;
    fn kind(&self, path: &Path) -> Kind;
    fn read(&self, path: &Path) -> Result<Vec<u8>, FileError>;
    /// The `*.toml` files directly in a directory, in name order.
    fn toml_files(&self, dir: &Path) -> Result<Vec<PathBuf>, FileError>;
}

/// Reads places: on disk, and in the base commit when there is one.
#[derive(Default)]
pub struct Sources {
    pub commit: Option<Box<dyn CommitTree>>,
    /// The work tree the commit's paths stand for (the top of the repository on disk).
    pub workdir: Option<PathBuf>,
}

impl std::fmt::Debug for Sources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sources")
            .field("commit", &self.commit.as_ref().map(|c| c.describe()))
            .field("workdir", &self.workdir)
            .finish()
    }
}

impl Sources {
    /// Disk only.
    pub fn disk() -> Sources {
        Sources::default()
    }

    /// Where a file the user named lives: in the base commit when there is one and the file is
    /// inside its work tree (its content there is the change's to write), else on disk.
    pub fn place_for(&self, path: &Path) -> Place {
        let abs = absolute(path);
        if let (Some(_), Some(workdir)) = (&self.commit, &self.workdir) {
            if let Ok(rel) = abs.strip_prefix(workdir) {
                return Place::Commit(rel.to_path_buf());
            }
        }
        Place::Disk(abs)
    }

    /// A place as messages show it.
    pub fn show(&self, place: &Place) -> String {
        match (place, &self.commit) {
            (Place::Disk(p), _) => shown_path(p),
            (Place::Commit(p), Some(c)) => format!("{} (from the {})", p.display(), c.describe()),
            (Place::Commit(p), None) => p.display().to_string(),
        }
    }

    pub fn kind(&self, place: &Place) -> Kind {
        match (place, &self.commit) {
            (Place::Disk(p), _) => match std::fs::metadata(p) {
                Ok(m) if m.is_file() => Kind::File,
                Ok(m) if m.is_dir() => Kind::Directory,
                Ok(_) => Kind::Other,
                Err(_) => Kind::Missing,
            },
            (Place::Commit(p), Some(c)) => c.kind(p),
            (Place::Commit(_), None) => Kind::Missing,
        }
    }

    pub fn read(&self, place: &Place) -> Result<Vec<u8>, FileError> {
        match (place, &self.commit) {
            (Place::Disk(p), _) => read_bounded(p, &shown_path(p)),
            (Place::Commit(p), Some(c)) => c.read(p),
            (Place::Commit(p), None) => Err(FileError::Missing {
                path: p.display().to_string(),
            }),
        }
    }

    /// The `*.toml` files directly in a directory, in name order.
    pub fn toml_files(&self, dir: &Place) -> Result<Vec<Place>, FileError> {
        match (dir, &self.commit) {
            (Place::Disk(d), _) => {
                let io = |e: std::io::Error| FileError::Io {
                    path: shown_path(d),
                    message: e.to_string(),
                };
                let mut files = Vec::new();
                for entry in std::fs::read_dir(d).map_err(io)? {
                    let p = entry.map_err(io)?.path();
                    if p.extension().is_some_and(|e| e == "toml") {
                        files.push(Place::Disk(p));
                    }
                }
                files.sort();
                Ok(files)
            }
            (Place::Commit(d), Some(c)) => {
                Ok(c.toml_files(d)?.into_iter().map(Place::Commit).collect())
            }
            (Place::Commit(d), None) => Err(FileError::Missing {
                path: d.display().to_string(),
            }),
        }
    }

    /// Is `place` inside the tree whose top is `top`? On disk, symbolic links are followed
    /// first, so a link in the tree to `/etc/passwd` or `/dev/zero` is outside it. In a commit,
    /// every normalised path is inside (links there are not regular files and are refused).
    pub fn inside(&self, place: &Place, top: &Place) -> bool {
        match (place, top) {
            (Place::Disk(p), Place::Disk(t)) => {
                if !p.starts_with(t) {
                    return false;
                }
                match (std::fs::canonicalize(p), std::fs::canonicalize(t)) {
                    (Ok(real), Ok(real_top)) => real.starts_with(real_top),
                    // Nothing there (yet): lexically inside is inside.
                    (Err(_), _) => true,
                    (Ok(_), Err(_)) => false,
                }
            }
            (Place::Commit(_), Place::Commit(_)) => true,
            _ => false,
        }
    }
}

/// A path as messages show it: relative to the current directory when it is below it.
pub fn shown_path(p: &Path) -> String {
    let cwd = current_dir();
    match p.strip_prefix(&cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.display().to_string(),
        _ => p.display().to_string(),
    }
}

/// Reads a file on disk if it is a regular file of at most `MAX_SIZE` bytes. It is opened
/// without blocking and checked after opening, so a FIFO never stalls the run.
pub fn read_bounded(path: &Path, shown: &str) -> Result<Vec<u8>, FileError> {
    let io = |e: std::io::Error| FileError::Io {
        path: shown.to_string(),
        message: e.to_string(),
    };
    let (file, len) = match crate::source::fs::open_regular(path) {
        Ok(Some(opened)) => opened,
        Ok(None) => {
            return Err(FileError::NotRegular {
                path: shown.to_string(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FileError::Missing {
                path: shown.to_string(),
            })
        }
        Err(e) if e.raw_os_error() == Some(libc::EISDIR) => {
            return Err(FileError::NotRegular {
                path: shown.to_string(),
            })
        }
        Err(e) => return Err(io(e)),
    };
    if len > MAX_SIZE {
        return Err(FileError::TooLarge {
            path: shown.to_string(),
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // A file that grows while it is read is cut off one byte past the limit, and refused.
    file.take(MAX_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_SIZE {
        return Err(FileError::TooLarge {
            path: shown.to_string(),
        });
    }
    Ok(bytes)
}

/// Bytes as text, or an error that names the file (never its content).
pub fn text(bytes: Vec<u8>, shown: &str) -> Result<String, FileError> {
    String::from_utf8(bytes).map_err(|_| FileError::Io {
        path: shown.to_string(),
        message: "not UTF-8 text".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_big_files_are_refused() {
        let err = read_bounded(Path::new("/dev/zero"), "/dev/zero").unwrap_err();
        assert!(matches!(err, FileError::NotRegular { .. }), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let err = read_bounded(dir.path(), "d").unwrap_err();
        assert!(matches!(err, FileError::NotRegular { .. }), "{err}");
        let big = dir.path().join("big");
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(MAX_SIZE + 1).unwrap();
        let err = read_bounded(&big, "big").unwrap_err();
        assert!(matches!(err, FileError::TooLarge { .. }), "{err}");
        std::fs::write(&big, "ok").unwrap();
        assert_eq!(read_bounded(&big, "big").unwrap(), b"ok");
    }

    #[test]
    fn commit_paths_never_climb_above_the_top() {
        let top = Place::Commit(PathBuf::new());
        assert_eq!(
            top.join(Path::new("a/../b.toml")),
            Some(Place::Commit(PathBuf::from("b.toml")))
        );
        assert_eq!(top.join(Path::new("../x")), None);
        assert_eq!(top.join(Path::new("/etc/passwd")), None);
    }
}
