//! Sources: where text comes from. `fs` walks and opens files; `reader` turns any byte stream
//! into text windows in bounded memory. Sources know nothing of rules or findings.

pub mod fs;
pub mod reader;
