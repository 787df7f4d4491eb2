//! Sources: where text comes from. `fs` walks and opens files; `reader` turns any byte stream
//! into text windows in bounded memory; `git` enumerates the blobs of a history, a push or the
//! index, once each, with the commit and path that introduced them; `image` reads the layers and
//! config of container images. Sources know nothing of rules or findings.

pub mod budget;
pub mod commit_files;
pub mod fs;
pub mod git;
// Not yet called by a command: the scan engine plugs it in (remove the allow then).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod image;
pub mod packs;
pub mod reader;
