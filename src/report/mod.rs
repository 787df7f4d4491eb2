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

pub use shared::plural;

use crate::detect::{Confidence, Encoding, Reason};
use crate::rules::Severity;
use crate::secret::Secret;
use serde::Serialize;
use std::io::{self, Write};

/// A finding as reports show it.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule_id: String,
    pub path: String,
    /// The path's raw bytes: the sort key, so that non-UTF-8 names order stably.
    pub sort_key: Vec<u8>,
    pub line: u64,
    pub column: u64,
    pub end_column: u64,
    pub confidence: Confidence,
    pub score: i32,
    /// The evidence for and against the finding, in report order.
    pub reasons: Vec<Reason>,
    pub encoding: Option<Encoding>,
    pub secret: Secret,
    pub snippet: String,
    /// For history scans: the commit that introduced the key at this path.
    pub commit: Option<CommitInfo>,
    /// For history scans: is the key still in HEAD's tree?
    pub present_in_head: Option<bool>,
    /// With `--verify`: what the Lusha API said about the key.
    pub verification: Option<Verification>,
}

/// The commit a history finding is attributed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitInfo {
    /// Full hex object id.
    pub id: String,
    pub author: String,
    pub email: String,
    /// Author date, RFC 3339.
    pub date: String,
    /// First line of the message.
    pub summary: String,
}

/// The outcome of checking a key against the service. Ordered by urgency: live keys first.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum VerifyStatus {
    /// The key works (HTTP 200): rotate it now.
    Live,
    /// The key is known but the account or plan is blocked (HTTP 403).
    Restricted,
    /// No answer could be had (rate limit, server error, timeout, network).
    Unknown,
    /// The key is invalid or revoked (HTTP 401).
    Invalid,
}

impl VerifyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyStatus::Live => "live",
            VerifyStatus::Restricted => "restricted",
            VerifyStatus::Unknown => "unknown",
            VerifyStatus::Invalid => "invalid",
        }
    }
}

/// What a live key's account looks like, as far as the usage endpoint tells. Credits are whole
/// numbers (`812`, never `812.0`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Account {
    pub plan: Option<String>,
    #[serde(default, deserialize_with = "whole_credits")]
    pub credits_total: Option<i64>,
    #[serde(default, deserialize_with = "whole_credits")]
    pub credits_used: Option<i64>,
    #[serde(default, deserialize_with = "whole_credits")]
    pub credits_remaining: Option<i64>,
}

/// A credit count as a whole number, rounded: verification caches written before counts were
/// whole hold `812.0`.
pub fn credits(value: f64) -> Option<i64> {
    let rounded = value.round();
    // `as` saturates; the range check keeps a huge or non-finite value out instead.
    (rounded.is_finite() && rounded.abs() < 9.0e15).then_some(rounded as i64)
}

fn whole_credits<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let value: Option<f64> = serde::Deserialize::deserialize(d)?;
    Ok(value.and_then(credits))
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Verification {
    pub status: VerifyStatus,
    pub http_status: Option<u16>,
    /// A sentence about the outcome (never the key).
    pub detail: String,
    pub account: Option<Account>,
}

impl Finding {
    /// The total order of findings in every report.
    pub fn order_key(&self) -> (&[u8], u64, u64, &str, &Secret) {
        (
            &self.sort_key,
            self.line,
            self.column,
            &self.rule_id,
            &self.secret,
        )
    }
}

/// What a report says about a rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    pub id: String,
    pub description: String,
    pub remediation: String,
    /// The rule's `long_description`, or its description when it has none.
    pub long_description: String,
    pub severity: Severity,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ByConfidence {
    pub high: usize,
    pub medium: usize,
    pub low: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Skipped {
    /// FIFOs, sockets and devices: never opened.
    pub not_regular: u64,
    /// Symbolic links, not followed without `--follow`.
    pub symlinks: u64,
    /// Files that could not be read (each has a warning).
    pub unreadable: u64,
}

/// Findings that were found but not reported, by the mechanism that hid them.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Suppressed {
    /// Already listed (fingerprint and path) in the `--baseline` report.
    pub baseline: usize,
    /// Listed in `.lushaguardignore` / `--ignore-file`.
    pub ignore_file: usize,
    /// On a line marked `lushaguard:allow`.
    pub inline: usize,
    /// Allowed by `.lushaguard.toml` (an allowed value).
    pub config: usize,
    /// Paths left out by `exclude` (settings files or `--exclude`), not findings: an excluded
    /// directory counts once, and in history each path once.
    pub excluded: usize,
}

/// Suppression settings that the scanned change edits. A range scan reads them from its base
/// (`base`), so these edits had no effect on it; reviewers should look at them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SettingsChanges {
    /// Where the settings were read from instead: `base commit 1a2b3c4d5e6f`.
    pub base: String,
    pub files: Vec<SettingsChange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingsChange {
    pub path: String,
    /// `added`, `modified` or `deleted`.
    pub change: String,
}

impl SettingsChanges {
    /// `.lushaguardignore (modified), .lushaguard.toml (added)`.
    pub fn list(&self) -> String {
        self.files
            .iter()
            .map(|f| format!("{} ({})", f.path, f.change))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The sentence every report for people shows.
    pub fn sentence(&self) -> String {
        format!(
            "This change edits suppression settings: {}. They were read from the {} instead, \
             so the edits did not hide anything in this scan; review them.",
            self.list(),
            self.base
        )
    }
}

/// What kind of thing could not be scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IncompleteKind {
    /// A file (or standard input) that could not be read to the end.
    File,
    /// A directory that could not be listed.
    Directory,
    /// A git object (commit, tree, blob, tag) that is missing or corrupt.
    Object,
    /// A git ref that could not be read or resolved.
    Ref,
    /// A found key the API gave no verdict on, when the verdict decides the result.
    Verification,
}

impl IncompleteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IncompleteKind::File => "file",
            IncompleteKind::Directory => "directory",
            IncompleteKind::Object => "object",
            IncompleteKind::Ref => "ref",
            IncompleteKind::Verification => "verification",
        }
    }
}

/// Something that should have been scanned and was not. Any of these makes the run incomplete:
/// exit status 2 unless findings already make it 1. Never holds a key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Incomplete {
    pub kind: IncompleteKind,
    /// What was not scanned: a path, `<stdin>`, an object id or a ref name.
    pub what: String,
    /// Why, in words.
    pub reason: String,
}

impl Incomplete {
    pub fn new(kind: IncompleteKind, what: impl Into<String>, reason: impl Into<String>) -> Self {
        Incomplete {
            kind,
            what: what.into(),
            reason: reason.into(),
        }
    }
}

/// How the verified keys came out (present only with `--verify`).
/// Counts distinct keys, not findings: one key in three places is one answer from the API.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerificationSummary {
    pub live: usize,
    pub restricted: usize,
    pub unknown: usize,
    pub invalid: usize,
    /// Keys found by rules that name no verifier: never sent anywhere, so never confirmed.
    pub not_verifiable: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub findings: usize,
    pub by_confidence: ByConfidence,
    pub unique_secrets: usize,
    /// Candidates found but scored under `min_confidence`.
    pub below_threshold: usize,
    pub min_confidence: Confidence,
    /// Files read; in a history scan, distinct blobs.
    pub files_scanned: u64,
    pub bytes_scanned: u64,
    /// History scans (`git` and the push hooks): the commits walked. Absent in JSON otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<u64>,
    pub skipped: Skipped,
    pub suppressed: Suppressed,
    pub verification: Option<VerificationSummary>,
    pub warnings: usize,
    /// How many things that should have been scanned were not (`Report::incomplete`). Non-zero
    /// means the result is incomplete: exit status 2 unless there are findings.
    pub incomplete: usize,
    /// A history scan of a shallow clone: history before the boundary was not there to scan.
    /// A warning, not an incomplete scan (the clone was made shallow on purpose); present in
    /// JSON only when true.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub shallow: bool,
}

/// The commit the scanned tree is at: HEAD of the repository holding the scan root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadCommit {
    /// Full hex object id.
    pub id: String,
    /// Committer date in UTC, `YYYY-MM-DDTHH:MM:SS`.
    pub time: String,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub summary: Summary,
    pub rules: Vec<RuleInfo>,
    /// Filled by the command for the formats that must name a commit (`Format::needs_head`);
    /// `None` outside a git repository.
    pub head_commit: Option<HeadCommit>,
    /// What could not be scanned, sorted; empty when the scan is complete.
    pub incomplete: Vec<Incomplete>,
    /// Warnings met on the way (sorted), such as a shallow history: the report keeps them so that
    /// a report read later says what the scan did not cover.
    pub warnings: Vec<String>,
    /// Range scans: the suppression settings the scanned change edits, if any.
    pub settings_changes: Option<SettingsChanges>,
}

impl Report {
    /// Did the scan cover everything it was asked to?
    pub fn is_complete(&self) -> bool {
        self.incomplete.is_empty()
    }
}

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
