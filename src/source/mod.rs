//! Sources: where text comes from. `fs` walks and opens files; `reader` turns any byte stream
//! into text windows in bounded memory; `git` enumerates the blobs of a history, a push or the
//! index, once each, with the commit and path that introduced them; `worktree` hands the walker's
//! files and standard input to the engine (`crate::engine::Source`); `remote` clones a remote
//! repository for `git` to read; `archive` expands zip, tar and gzip files, nested ones
//! included, into the files they hold; `image` reads the layers and config of container
//! images; `unpack` opens the archives and images any source meets, by their content, for the
//! engine to scan what they hold. Sources know nothing of rules or findings.

pub(crate) mod archive;
pub mod budget;
pub mod commit_files;
pub mod fs;
pub(crate) mod git;
pub(crate) mod image;
pub mod packs;
pub mod reader;
pub(crate) mod remote;
pub(crate) mod unpack;
pub(crate) mod worktree;
