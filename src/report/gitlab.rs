//! GitLab's secret-detection report (schema 15.2.1), for `artifacts:reports:secret_detection`.
//! GitLab wants a commit for every vulnerability and a start and end time for the scan: a history
//! finding names its own commit, any other finding the commit the scanned tree is at
//! (`Report::head_commit`, zeros outside git), and the times are that commit's date (the epoch
//! outside git), never the clock, so the report is reproducible. Vulnerability ids are UUID-shaped
//! hashes of (fingerprint, path, line): stable across runs, unique per place. The source extract
//! is the masked line, never the key.

use super::shared::{
    commit_sha, headline, incomplete_line, key_text, rule, scan_time, what, TOOL_URI,
};
use super::Options;
use crate::detect::Confidence;
use crate::model::{Finding, Report, VerifyStatus};
use crate::secret::fingerprint_of;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

pub const SCHEMA_VERSION: &str = "15.2.1";
const SCHEMA_URI: &str = "https://gitlab.com/gitlab-org/security-products/security-report-schemas/-/raw/v15.2.1/dist/secret-detection-report-format.json";
/// GitLab caps `solution` at this many characters.
const SOLUTION_MAX: usize = 7000;

#[derive(Serialize)]
struct Document<'a> {
    version: &'static str,
    schema: &'static str,
    scan: Scan<'a>,
    vulnerabilities: Vec<Vulnerability<'a>>,
}

#[derive(Serialize)]
struct Scan<'a> {
    analyzer: Component,
    scanner: Component,
    #[serde(rename = "type")]
    kind: &'static str,
    start_time: &'a str,
    end_time: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    messages: Vec<ScanMessage>,
}

/// A message to whoever ran the scan: `warn` for each thing not scanned and each warning.
#[derive(Serialize)]
struct ScanMessage {
    level: &'static str,
    value: String,
}

#[derive(Serialize)]
struct Component {
    id: &'static str,
    name: &'static str,
    version: &'static str,
    url: &'static str,
    vendor: Vendor,
}

#[derive(Serialize)]
struct Vendor {
    name: &'static str,
}

#[derive(Serialize)]
struct Vulnerability<'a> {
    id: String,
    category: &'static str,
    name: &'a str,
    description: String,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    solution: Option<String>,
    identifiers: [Identifier; 1],
    location: Location<'a>,
    raw_source_code_extract: &'a str,
    details: BTreeMap<&'static str, Detail>,
}

#[derive(Serialize)]
struct Identifier {
    #[serde(rename = "type")]
    kind: &'static str,
    name: String,
    value: String,
}

#[derive(Serialize)]
struct Location<'a> {
    file: &'a str,
    start_line: u64,
    end_line: u64,
    commit: Commit<'a>,
}

#[derive(Serialize)]
struct Commit<'a> {
    sha: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<&'a str>,
}

/// One field of the `details` named list (`{"name", "type": "text", "value"}`).
#[derive(Serialize)]
struct Detail {
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    value: String,
}

fn text(name: &'static str, value: String) -> Detail {
    Detail {
        name,
        kind: "text",
        value,
    }
}

/// GitLab severity: a key the Lusha API accepted is `Critical`; otherwise the confidence.
pub fn severity(f: &Finding) -> &'static str {
    if f.verification.as_ref().map(|v| v.status) == Some(VerifyStatus::Live) {
        return "Critical";
    }
    match f.confidence {
        Confidence::High => "High",
        Confidence::Medium => "Medium",
        Confidence::Low => "Low",
    }
}

/// A stable, UUID-shaped id for a finding at a place: SHA-256 of fingerprint, path and line, cut
/// to 128 bits and marked as an RFC 9562 version 8 (custom) UUID.
pub fn vulnerability_id(fingerprint: &str, path: &str, line: u64) -> String {
    let h = fingerprint_of(&format!("{fingerprint}\n{path}\n{line}"));
    // The version nibble becomes 8 and the two variant bits 10.
    let nibble = h
        .get(16..17)
        .and_then(|d| usize::from_str_radix(d, 16).ok())
        .unwrap_or(0);
    let variant = ['8', '9', 'a', 'b'][nibble & 3];
    format!(
        "{}-{}-8{}-{}{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        variant,
        &h[17..20],
        &h[20..32]
    )
}

fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn vulnerability<'a>(report: &'a Report, f: &'a Finding, options: Options) -> Vulnerability<'a> {
    let fingerprint = f.secret.fingerprint();
    let info = rule(report, &f.rule_id);
    let long = info.map(|r| r.long_description.as_str()).unwrap_or("");
    let mut description = format!("{} at {}:{}.", headline(report, f, options), f.path, f.line);
    if !long.is_empty() {
        description.push(' ');
        description.push_str(long);
    }
    let mut details = BTreeMap::new();
    details.insert("confidence", text("Confidence", f.confidence.to_string()));
    details.insert(
        "fingerprint",
        text("Fingerprint (SHA-256 of the key)", fingerprint.clone()),
    );
    details.insert("key", text("Key", key_text(f, options)));
    if let Some(e) = f.encoding {
        details.insert("encoding", text("Encoding", e.as_str().to_string()));
    }
    if let Some(v) = &f.verification {
        details.insert(
            "verification",
            text("Verification", v.status.as_str().to_string()),
        );
    }
    Vulnerability {
        id: vulnerability_id(&fingerprint, &f.path, f.line),
        category: "secret_detection",
        name: what(report, f),
        description,
        severity: severity(f),
        solution: info
            .map(|r| r.remediation.as_str())
            .filter(|r| !r.is_empty())
            .map(|r| truncate_chars(r, SOLUTION_MAX)),
        identifiers: [Identifier {
            kind: "lushaguard_rule_id",
            name: format!("lushaguard rule {}", f.rule_id),
            value: f.rule_id.clone(),
        }],
        location: Location {
            file: &f.path,
            start_line: f.line,
            end_line: f.line,
            commit: Commit {
                sha: commit_sha(report, f),
                author: f.commit().map(|c| format!("{} <{}>", c.author, c.email)),
                date: f.commit().map(|c| c.date.as_str()),
                message: f.commit().map(|c| c.summary.as_str()),
            },
        },
        raw_source_code_extract: &f.snippet,
        details,
    }
}

pub fn write(report: &Report, options: Options, out: &mut dyn Write) -> io::Result<()> {
    let component = || Component {
        id: super::TOOL_NAME,
        name: super::TOOL_NAME,
        version: super::TOOL_VERSION,
        url: TOOL_URI,
        vendor: Vendor {
            name: super::TOOL_NAME,
        },
    };
    let time = scan_time(report);
    let doc = Document {
        version: SCHEMA_VERSION,
        schema: SCHEMA_URI,
        scan: Scan {
            analyzer: component(),
            scanner: component(),
            kind: "secret_detection",
            start_time: time,
            end_time: time,
            // An incomplete scan did not do what it was asked: GitLab shows it as failed.
            status: if report.is_complete() {
                "success"
            } else {
                "failure"
            },
            messages: report
                .incomplete
                .iter()
                .map(|i| format!("not scanned: {}", incomplete_line(i)))
                .chain(report.warnings.iter().cloned())
                .map(|value| ScanMessage {
                    level: "warn",
                    value,
                })
                .collect(),
        },
        vulnerabilities: report
            .findings
            .iter()
            .map(|f| vulnerability(report, f, options))
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vulnerability_ids_are_stable_version_8_uuids() {
        let id = vulnerability_id(&"ab".repeat(32), "a/.env", 3);
        assert_eq!(id, vulnerability_id(&"ab".repeat(32), "a/.env", 3));
        assert_ne!(id, vulnerability_id(&"ab".repeat(32), "a/.env", 4));
        assert_ne!(id, vulnerability_id(&"ab".repeat(32), "b/.env", 3));
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('8'), "{id}");
        assert!(matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'));
        let uuid = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(uuid.get_version_num(), 8);
    }
}
