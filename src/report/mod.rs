//! Reports. A `Report` is finished and sorted before any writer sees it; each format is one
//! writer behind `write`. Writers never see a raw key unless `Options::reveal` (`--no-redact`).
//! Writers do no I/O but writing: what a format needs to know about the scan (the commit the
//! tree is at, for instance) is put into the `Report` by the command first.

pub mod csv;
pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
mod shared;
pub mod style;

pub use shared::{plural, printable};

use crate::model::Report;
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One linter-style line per finding, for people.
    Human,
    /// One JSON document: {"tool", "findings", "summary"}.
    Json,
    /// One JSON finding per line.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: one annotation per finding.
    Github,
    /// GitLab secret-detection report (`artifacts:reports:secret_detection`).
    Gitlab,
    /// JUnit XML: one failing test case per finding.
    Junit,
    /// CSV with a header row (RFC 4180).
    Csv,
    /// A Markdown summary for `$GITHUB_STEP_SUMMARY` or a pull-request comment.
    Markdown,
}

impl Format {
    /// Does this format name the commit the scanned tree is at (`Report::head_commit`)?
    pub fn needs_head(self) -> bool {
        matches!(self, Format::Gitlab | Format::Junit)
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Show full keys (`--no-redact`).
    pub reveal: bool,
    /// Show why each finding was reported (`--explain`).
    pub explain: bool,
    /// Colour the report for people (`--color`; the human format only, never a file).
    pub color: bool,
    /// The command prints advice of its own after the report (a blocked commit or push): the
    /// human report leaves out the rules' remediation and the `--explain` hint.
    pub own_advice: bool,
}

pub const TOOL_NAME: &str = env!("CARGO_PKG_NAME");
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn write(
    report: &Report,
    format: Format,
    options: Options,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        Format::Human => human::write(report, options, out),
        Format::Json => json::write(report, options, out),
        Format::Jsonl => json::write_lines(report, options, out),
        Format::Sarif => sarif::write(report, options, out),
        Format::Github => github::write(report, options, out),
        Format::Gitlab => gitlab::write(report, options, out),
        Format::Junit => junit::write(report, options, out),
        Format::Csv => csv::write(report, options, out),
        Format::Markdown => markdown::write(report, options, out),
    }
}
