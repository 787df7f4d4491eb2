//! Opening the repository: from a path like `git -C DIR`, or from git's environment as a hook
//! is run; again on every worker thread (libgit2 handles are not `Sync`).

use super::*;

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
