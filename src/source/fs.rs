//! Files on disk. A parallel walk with the `ignore` crate (the walker ripgrep uses): hidden files
//! are included (`.env` is where secrets live), `.gitignore`/`.ignore` are honoured unless
//! `no_ignore`, `.git` is never entered. Only regular files are opened, and they are opened
//! non-blocking and checked again after opening, so a FIFO or device that appears mid-walk never
//! blocks the scan. Problems (unreadable files, symlink loops, files that vanish) become warnings.

use ignore::{WalkBuilder, WalkState};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

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
    /// Something that was not scanned, and why.
    Skipped { path: PathBuf, why: Skip },
    /// A file that could not be opened or a directory that could not be listed: it should have
    /// been scanned and was not, so the scan is incomplete.
    Unreadable {
        path: String,
        directory: bool,
        message: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// A FIFO, socket or device: never opened.
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

/// Walks the roots with `threads` threads. `make_visitor` is called once per thread; the visitor
/// it returns gets every item and problem found by that thread.
pub fn walk<F, V>(options: &WalkOptions, make_visitor: F) -> Result<(), ignore::Error>
where
    F: Fn() -> V + Sync,
    V: FnMut(Result<Item, Warning>) + Send,
{
    let Some((first, rest)) = options.roots.split_first() else {
        return Ok(());
    };
    let mut builder = WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    let excludes = options.exclude.clone();
    builder
        .hidden(false)
        .ignore(options.respect_ignore)
        .git_ignore(options.respect_ignore)
        .git_global(options.respect_ignore)
        .git_exclude(options.respect_ignore)
        .parents(options.respect_ignore)
        .follow_links(options.follow_links)
        .threads(options.threads.max(1))
        .filter_entry(move |e| {
            if e.file_name() == ".git" {
                return false;
            }
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !excludes.walk_filter(e.path(), is_dir)
        });
    builder.build_parallel().run(|| {
        let mut visit = make_visitor();
        Box::new(move |entry| {
            match entry {
                Ok(entry) => {
                    let path = entry.path().to_path_buf();
                    let Some(ft) = entry.file_type() else {
                        // stdin as a root is handled by the caller, never here.
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
                            message: e.to_string(),
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

/// A walk error as what it means for the scan: an I/O error on a path (a directory that cannot
/// be listed, an entry that cannot be examined) left something unscanned; anything else (a
/// symbolic link loop, a dangling link, a bad glob in an ignore file) is a warning.
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
        (Some(io), Some(path)) => Ok(Item::Unreadable {
            path: display_path(path),
            directory: std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()),
            message: io.to_string(),
        }),
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

    fn collect(options: &WalkOptions) -> (Vec<String>, Vec<Warning>) {
        let files = Mutex::new(Vec::new());
        let warnings = Mutex::new(Vec::new());
        walk(options, || {
            |item| match item {
                Ok(Item::File { path, .. }) => files.lock().unwrap().push(display_path(&path)),
                Ok(Item::Skipped { .. }) => {}
                Ok(Item::Unreadable { path, message, .. }) => {
                    warnings.lock().unwrap().push(Warning { path, message })
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
