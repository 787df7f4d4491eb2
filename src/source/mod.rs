//! Sources: where text comes from. `fs` walks and opens files; `reader` turns any byte stream
//! into text windows in bounded memory; `git` enumerates the blobs of a history, a push or the
//! index, once each, with the commit and path that introduced them; `worktree` hands the walker's
//! files and standard input to the engine (`crate::engine::Source`); `remote` clones a remote
//! repository for `git` to read; `archive` expands zip, tar and gzip files, nested ones
//! included, into the files they hold; `image` reads the layers and config of container
//! images. Sources know nothing of rules or findings.

// Not called by the scan engine yet: it plugs in with the `Source` trait (issue 12).
#[allow(dead_code)]
pub mod archive;
pub mod budget;
pub mod commit_files;
pub mod fs;
pub(crate) mod git;
// Not yet called by a command: the scan engine plugs it in (remove the allow then).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod image;
pub mod packs;
pub mod reader;
pub(crate) mod remote;
pub(crate) mod worktree;
