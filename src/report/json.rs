//! JSON and JSON Lines. The field set and order are a stable interface, documented in
//! `docs/report-format.md`; fields are only ever added.

use super::{Options, TOOL_NAME, TOOL_VERSION};
use crate::detect::{Confidence, Encoding, Reason};
use crate::model::{
    CommitInfo, Finding, Incomplete, Provenance, Report, SettingsChanges, Summary, Verification,
};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
pub struct JsonFinding<'a> {
    rule_id: &'a str,
    path: &'a str,
    line: u64,
    column: u64,
    end_column: u64,
    confidence: Confidence,
    score: i32,
    reasons: &'a [Reason],
    encoding: Option<Encoding>,
    redacted: String,
    fingerprint: String,
    snippet: &'a str,
    commit: Option<&'a CommitInfo>,
    present_in_head: Option<bool>,
    verification: Option<&'a Verification>,
    provenance: &'a Provenance,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
}

impl<'a> JsonFinding<'a> {
    pub fn new(f: &'a Finding, options: Options) -> JsonFinding<'a> {
        JsonFinding {
            rule_id: &f.rule_id,
            path: &f.path,
            line: f.line,
            column: f.column,
            end_column: f.end_column,
            confidence: f.confidence,
            score: f.score,
            reasons: &f.reasons,
            encoding: f.encoding,
            redacted: f.secret.redacted(),
            fingerprint: f.secret.fingerprint(),
            snippet: &f.snippet,
            commit: f.commit(),
            present_in_head: f.present_in_head(),
            verification: f.verification.as_ref(),
            provenance: &f.provenance,
            secret: options.reveal.then(|| f.secret.expose()),
        }
    }
}

#[derive(Serialize)]
struct Document<'a> {
    tool: Tool,
    findings: Vec<JsonFinding<'a>>,
    summary: &'a Summary,
    /// What should have been scanned and was not; empty for a complete scan.
    incomplete: &'a [Incomplete],
    warnings: &'a [String],
    /// Range scans: suppression settings the change edits (read from the base instead).
    #[serde(skip_serializing_if = "Option::is_none")]
    settings_changes: Option<&'a SettingsChanges>,
}

/// A JSON Lines record for something not scanned: it has no `rule_id`, so a reader of findings
/// can tell it apart.
#[derive(Serialize)]
struct IncompleteLine<'a> {
    incomplete: &'a Incomplete,
}

/// serde_json's own conversion keeps a write error's kind (a closed pipe stays `BrokenPipe`,
/// which the caller treats as a reader that has seen enough, not as a failure).
fn to_io(e: serde_json::Error) -> io::Error {
    io::Error::from(e)
}

pub fn write(report: &Report, options: Options, out: &mut dyn Write) -> io::Result<()> {
    let doc = Document {
        tool: Tool {
            name: TOOL_NAME,
            version: TOOL_VERSION,
        },
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding::new(f, options))
            .collect(),
        summary: &report.summary,
        incomplete: &report.incomplete,
        warnings: &report.warnings,
        settings_changes: report.settings_changes.as_ref(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(to_io)?;
    out.write_all(b"\n")
}

pub fn write_lines(report: &Report, options: Options, out: &mut dyn Write) -> io::Result<()> {
    for f in &report.findings {
        serde_json::to_writer(&mut *out, &JsonFinding::new(f, options)).map_err(to_io)?;
        out.write_all(b"\n")?;
    }
    for i in &report.incomplete {
        serde_json::to_writer(&mut *out, &IncompleteLine { incomplete: i }).map_err(to_io)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
