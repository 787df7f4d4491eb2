//! The data model every stage shares: findings and where they came from, verification results,
//! what was skipped, suppressed or left unscanned, and the finished `Report`. It sits at the
//! bottom: sources, the engine, suppression, verification and the writers all speak it, and it
//! depends on none of them (only on the detector's vocabulary: confidence, encodings, reasons).

use crate::detect::{Confidence, Encoding, Reason};
use crate::rules::Severity;
use crate::secret::Secret;
use serde::Serialize;
use std::borrow::Cow;

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
    /// Where the scanned bytes came from. `path` above is how reports show it.
    pub provenance: Provenance,
    /// With `--verify`: what the Lusha API said about the key.
    pub verification: Option<Verification>,
}

/// Where a blob came from: kept apart from its content, and from `Finding::path`, which is only
/// how reports show it. Containers nest: an entry of a jar inside a tarball is
/// `Archive { outer: Archive { outer: File(release.tar.gz), inner: dist/service.jar },
/// inner: BOOT-INF/classes/application.properties }`, shown as
/// `release.tar.gz!dist/service.jar!BOOT-INF/classes/application.properties`
/// (`Provenance::display_path`). JSON writes it as an object tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Provenance {
    /// A file on disk, by the path the scan was given (`./` removed).
    File { path: String },
    /// Standard input (`scan -`).
    Stdin,
    /// A file as the index holds it (`git --staged`, the pre-commit hook).
    Staged { path: String },
    /// A blob or message met in history. `path` is the repository path, `<commit message>` or
    /// `<tag message>`, or the ref for a tree or blob a ref points at.
    Commit {
        /// The commit (or annotated tag) that introduced the key at `path`; `None` for a tree or
        /// blob a ref points at directly.
        commit: Option<CommitInfo>,
        path: String,
        /// Is the key still anywhere in HEAD's tree? `None` when not asked (the push hooks).
        present_in_head: Option<bool>,
    },
    /// An entry of an archive (zip, tar, gzip…) found in `outer`.
    Archive {
        outer: Box<Provenance>,
        /// The entry's path inside the archive.
        inner: String,
    },
    /// A file in a container image layer, or a field of the image's config.
    Image {
        /// The image as the user named it (a `docker save` archive, an OCI layout, a reference).
        image: String,
        /// The layer's digest (`sha256:…`); `None` for the image config.
        layer: Option<String>,
        /// The file's path in the layer; for the config, the field (`config.Env`, `history`).
        path: String,
        /// A later layer deletes the file (a whiteout): it is not in the running image, but every
        /// copy of the image still ships it.
        deleted: bool,
    },
    /// Something read from a clone of a remote repository.
    Remote {
        /// The URL as given, with any user name or password removed.
        url: String,
        inner: Box<Provenance>,
    },
}

/// How reports name standard input.
pub const STDIN: &str = "<stdin>";

/// The separator between an archive's (or image's) path and the path of an entry inside it.
pub const NESTED: char = '!';

impl Provenance {
    /// The path reports show for a finding of this blob: nested containers joined by `!`; an image
    /// layer as `IMAGE!LAYER12!path` (the first 12 hex digits of the layer digest) and its config
    /// as `IMAGE!config.Env`; a remote's blobs by their path in the repository.
    pub fn display_path(&self) -> Cow<'_, str> {
        match self {
            Provenance::File { path } | Provenance::Staged { path } => Cow::Borrowed(path),
            Provenance::Commit { path, .. } => Cow::Borrowed(path),
            Provenance::Stdin => Cow::Borrowed(STDIN),
            Provenance::Archive { outer, inner } => {
                Cow::Owned(format!("{}{NESTED}{inner}", outer.display_path()))
            }
            Provenance::Image {
                image, layer, path, ..
            } => Cow::Owned(match layer {
                Some(layer) => format!("{image}{NESTED}{}{NESTED}{path}", short_digest(layer)),
                None => format!("{image}{NESTED}{path}"),
            }),
            Provenance::Remote { inner, .. } => inner.display_path(),
        }
    }

    /// The commit a history blob is attributed to, through any archive or remote around it.
    pub fn commit(&self) -> Option<&CommitInfo> {
        match self {
            Provenance::Commit { commit, .. } => commit.as_ref(),
            Provenance::Archive { outer, .. } => outer.commit(),
            Provenance::Remote { inner, .. } => inner.commit(),
            _ => None,
        }
    }

    /// For history blobs: is the key still in HEAD's tree (`None` when not asked or not history).
    pub fn present_in_head(&self) -> Option<bool> {
        match self {
            Provenance::Commit {
                present_in_head, ..
            } => *present_in_head,
            Provenance::Archive { outer, .. } => outer.present_in_head(),
            Provenance::Remote { inner, .. } => inner.present_in_head(),
            _ => None,
        }
    }

    /// The outermost kind, as JSON names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Provenance::File { .. } => "file",
            Provenance::Stdin => "stdin",
            Provenance::Staged { .. } => "staged",
            Provenance::Commit { .. } => "commit",
            Provenance::Archive { .. } => "archive",
            Provenance::Image { .. } => "image",
            Provenance::Remote { .. } => "remote",
        }
    }
}

/// `sha256:0123456789abcdef…` → `0123456789ab`.
pub fn short_digest(digest: &str) -> &str {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    hex.get(..12).unwrap_or(hex)
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
    /// For history scans: the commit that introduced the key at this path.
    pub fn commit(&self) -> Option<&CommitInfo> {
        self.provenance.commit()
    }

    /// For history scans: is the key still in HEAD's tree?
    pub fn present_in_head(&self) -> Option<bool> {
        self.provenance.present_in_head()
    }

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
