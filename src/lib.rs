//! lushaguard finds Lusha API keys in files, standard input and git history.
//!
//! The pipeline runs one way: a source (`source`: files on disk, stdin) yields text windows; the
//! detector (`detect`) finds candidates with the rules (`rules`, data in `rules/*.toml`) and
//! scores the evidence around them; the findings are filtered by confidence and allow-lists
//! (`suppress`: allowed values, ignore file, baseline), optionally checked against the Lusha
//! API (`verify`), sorted, and handed to a report writer
//! (`report`). `commands` holds one module per subcommand
//! and is the only place that knows every stage; `settings` turns flags into one validated
//! `Settings`; `secret` keeps keys redacted everywhere unless the user asks otherwise.

pub(crate) mod cli;
pub mod commands;
pub mod detect;
pub(crate) mod engine;
pub(crate) mod files;
pub mod model;
pub mod report;
pub mod rules;
pub mod secret;
pub(crate) mod settings;
pub mod source;
pub(crate) mod suppress;
pub(crate) mod toml_error;
pub(crate) mod verify;

pub use commands::run;
