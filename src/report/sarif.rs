//! SARIF 2.1.0, shaped for GitHub code scanning: one run, the rules with their remediation as
//! help and a `security-severity`, one result per finding with one physical location relative to
//! `%SRCROOT%`, and `partialFingerprints` under our own versioned key holding the key's SHA-256,
//! so an alert follows a key through edits that move it. No result carries a snippet: the region
//! says where the key is, the message shows it redacted (unless `--no-redact`).

use super::shared::{headline, incomplete_line, TOOL_URI};
use super::Options;
use crate::detect::Confidence;
use crate::model::{Finding, Provenance, Report, RuleInfo};
use crate::rules::Severity;
use serde::Serialize;
use std::io::{self, Write};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The `partialFingerprints` key. Bump the version if what it hashes ever changes.
pub const FINGERPRINT_KEY: &str = "lushaguard/v1";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    invocations: [Invocation; 1],
    column_kind: &'static str,
    results: Vec<SarifResult>,
}

/// The run itself: successful only when everything asked for was scanned. Each item that was
/// not scanned is an error notification, each warning (such as a shallow history) a warning one.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Message,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Rule<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule<'a> {
    id: &'a str,
    name: String,
    short_description: Text<'a>,
    full_description: Text<'a>,
    help: Help,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    tags: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Message,
    locations: [Location; 1],
    partial_fingerprints: PartialFingerprints,
    properties: ResultProperties,
}

#[derive(Serialize)]
struct Message {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u64,
    start_column: u64,
    end_line: u64,
    end_column: u64,
}

#[derive(Serialize)]
struct PartialFingerprints {
    #[serde(rename = "lushaguard/v1")]
    v1: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties {
    confidence: Confidence,
    score: i32,
    encoding: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    present_in_head: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verification: Option<&'static str>,
    /// Where the blob came from (`Provenance`, as in the JSON report).
    provenance: Provenance,
}

/// SARIF `level` for a finding's confidence.
pub fn level(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "error",
        Confidence::Medium => "warning",
        Confidence::Low => "note",
    }
}

/// GitHub's `security-severity` (a CVSS-like score as a string) for a rule's severity: GitHub
/// shows 9.0 and above as critical, 7.0–8.9 high, 4.0–6.9 medium, below that low.
pub fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.9",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

fn rule_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// `lusha-api-key` → `LushaApiKey`: SARIF's rule `name` is an identifier-like word.
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            cs.next()
                .map(|c| c.to_ascii_uppercase().to_string() + cs.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn rule(r: &RuleInfo) -> Rule<'_> {
    let mut tags = r.tags.clone();
    // GitHub treats a rule as a security rule, and reads security-severity, only when tagged so.
    if !tags.iter().any(|t| t == "security") {
        tags.insert(0, "security".to_string());
    }
    let remediation = if r.remediation.is_empty() {
        "Remove the secret from the repository and rotate it.".to_string()
    } else {
        r.remediation.clone()
    };
    Rule {
        id: &r.id,
        name: pascal_case(&r.id),
        short_description: Text {
            text: &r.description,
        },
        full_description: Text {
            text: &r.long_description,
        },
        help: Help {
            markdown: format!("**{}**\n\n{}", r.description, remediation),
            text: remediation,
        },
        default_configuration: Configuration {
            level: rule_level(r.severity),
        },
        properties: RuleProperties {
            security_severity: security_severity(r.severity),
            tags,
        },
    }
}

/// Bytes a relative URI reference may carry as they are (RFC 3986 unreserved, sub-delims, `@`
/// and the `/` separator). Everything else, `:` included so that a first segment is never read
/// as a scheme, is `%`-encoded as UTF-8.
fn uri_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=@/".contains(&b)
}

fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if uri_safe(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A finding's path as a SARIF artifact location: relative to `%SRCROOT%`, or a `file:` URI for
/// an absolute path.
fn artifact_location(path: &str) -> ArtifactLocation {
    if path.starts_with('/') {
        ArtifactLocation {
            uri: format!("file://{}", percent_encode(path)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: percent_encode(path),
            uri_base_id: Some("%SRCROOT%"),
        }
    }
}

fn result(report: &Report, f: &Finding, options: Options) -> SarifResult {
    let rule_index = report
        .rules
        .iter()
        .position(|r| r.id == f.rule_id)
        .unwrap_or(0);
    SarifResult {
        rule_id: f.rule_id.clone(),
        rule_index,
        level: level(f.confidence),
        message: Message {
            text: headline(report, f, options),
        },
        locations: [Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact_location(&f.path),
                region: Region {
                    start_line: f.line,
                    start_column: f.column,
                    end_line: f.line,
                    end_column: f.end_column,
                },
            },
        }],
        partial_fingerprints: PartialFingerprints {
            v1: f.secret.fingerprint(),
        },
        properties: ResultProperties {
            confidence: f.confidence,
            score: f.score,
            encoding: f.encoding.map(|e| e.as_str()),
            commit: f.commit().map(|c| c.id.clone()),
            present_in_head: f.present_in_head(),
            verification: f.verification.as_ref().map(|v| v.status.as_str()),
            provenance: f.provenance.clone(),
        },
    }
}

fn invocation(report: &Report) -> Invocation {
    let not_scanned = report.incomplete.iter().map(|i| Notification {
        level: "error",
        message: Message {
            text: format!("not scanned: {}", incomplete_line(i)),
        },
    });
    let warnings = report.warnings.iter().map(|w| Notification {
        level: "warning",
        message: Message { text: w.clone() },
    });
    Invocation {
        execution_successful: report.is_complete(),
        tool_execution_notifications: not_scanned.chain(warnings).collect(),
    }
}

pub fn write(report: &Report, options: Options, out: &mut dyn Write) -> io::Result<()> {
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: super::TOOL_NAME,
                    version: super::TOOL_VERSION,
                    semantic_version: super::TOOL_VERSION,
                    information_uri: TOOL_URI,
                    rules: report.rules.iter().map(rule).collect(),
                },
            },
            invocations: [invocation(report)],
            column_kind: "unicodeCodePoints",
            results: report
                .findings
                .iter()
                .map(|f| result(report, f, options))
                .collect(),
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_relative_uri_references() {
        assert_eq!(percent_encode("src/a b.env"), "src/a%20b.env");
        assert_eq!(percent_encode("c:d/100%.txt"), "c%3Ad/100%25.txt");
        assert_eq!(percent_encode("q?#[x]"), "q%3F%23%5Bx%5D");
        assert_eq!(percent_encode("café"), "caf%C3%A9");
        assert_eq!(percent_encode("caf\u{fffd}"), "caf%EF%BF%BD");
        let abs = artifact_location("/srv/app/.env");
        assert_eq!(abs.uri, "file:///srv/app/.env");
        assert!(abs.uri_base_id.is_none());
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("lusha-api-key"), "LushaApiKey");
        assert_eq!(pascal_case("acme_token"), "AcmeToken");
    }
}
