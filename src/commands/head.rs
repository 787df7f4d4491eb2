//! Which commit a scanned directory is at, for the report formats that must name one (GitLab's
//! report wants a commit per finding; it and JUnit want a time, and the commit's date serves
//! where the clock would make reports differ run to run). The repository is found as git finds
//! it (`GIT_DIR` and friends are honoured); outside a repository there is no commit and the
//! formats say so their own way.

use crate::model::HeadCommit;
use crate::source::git;
use std::path::Path;

/// HEAD of the repository that holds `dir`, with its committer date in UTC.
pub fn head_commit(dir: &Path) -> Option<HeadCommit> {
    // Like git itself: an explicit GIT_DIR wins over finding the repository from `dir`.
    let repo = if std::env::var_os("GIT_DIR").is_some() {
        git2::Repository::open_from_env()
    } else {
        let no_ceiling: &[&std::ffi::OsStr] = &[];
        git2::Repository::open_ext(dir, git2::RepositoryOpenFlags::empty(), no_ceiling)
    }
    .ok()?;
    let commit = repo.head().ok()?.peel_to_commit().ok()?;
    let seconds = commit.committer().when().seconds();
    let id = commit.id().to_string();
    Some(HeadCommit {
        id,
        time: git::utc(seconds),
    })
}
