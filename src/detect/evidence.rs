//! Evidence and confidence. Each piece of evidence around a candidate carries a weight from
//! `rules/vocabulary.toml` and a sentence for the report; the score is their sum, capped at `low`
//! when the candidate sits in no credential slot or has no service context at all.

use super::context::{self, Name, Via};
use super::lines::Lines;
use super::words::{classify, split_words, NameClass};
use crate::rules::{Rule, Vocabulary};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How many bytes either side of a candidate count as "the same line" (minified code has lines
/// of megabytes).
const SAME_LINE_REACH: usize = 400;
/// How many lines above and below count as "near".
const NEAR_LINES: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Confidence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Confidence::Low),
            "medium" => Ok(Confidence::Medium),
            "high" => Ok(Confidence::High),
            _ => Err(format!("`{s}` is not a confidence (low, medium, high)")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Name,
    Parent,
    SameLine,
    HostSameLine,
    Near,
    InFile,
    HostInFile,
    FileName,
    PathDir,
    Dense,
}

#[derive(Debug, Clone)]
pub struct Evidence {
    pub kind: Kind,
    pub weight: i32,
    pub reason: String,
    /// Does this evidence say the value sits in a credential slot?
    pub credential: bool,
    /// Does it tie the value to the rule's service?
    pub service: bool,
    /// Does the name mark the value as an identifier? (Identifiers are never reported.)
    pub identifier: bool,
}

impl Evidence {
    fn new(kind: Kind, weight: i32, reason: String) -> Evidence {
        Evidence {
            kind,
            weight,
            reason,
            credential: false,
            service: weight > 0 && kind != Kind::Name && kind != Kind::Dense,
            identifier: false,
        }
    }
}

/// What is known about the text a candidate sits in.
pub struct Surroundings<'a> {
    pub text: &'a [u8],
    pub lines: &'a Lines,
    /// Offsets of the rule's keyword and host occurrences in `text`.
    pub keyword_hits: &'a [usize],
    pub host_hits: &'a [usize],
    /// Whole-file facts, when `text` is one window of a larger file.
    pub file_has_keyword: bool,
    pub file_has_host: bool,
    pub shape_count: usize,
    pub path: &'a str,
}

/// The name of the value at `start..end` of `s.text` and the evidence of its surroundings (the
/// name's own evidence comes from `name_evidence`, so a decoded value can take the name of the
/// encoded run's slot). `with_path_and_file` adds file-wide and path evidence.
pub fn gather(
    s: &Surroundings<'_>,
    rule: &Rule,
    vocab: &Vocabulary,
    start: usize,
    end: usize,
    with_path_and_file: bool,
) -> (Option<Name>, Vec<Evidence>) {
    let idx = s.lines.index_of(start);
    let name = context::find_name(s.text, s.lines, idx, start, vocab);
    let parents = context::parents(s.text, s.lines, idx);
    let w = &vocab.weights;
    let keyword = rule
        .keywords
        .first()
        .map(String::as_str)
        .unwrap_or("the keyword");
    let host = rule.hosts.first().map(String::as_str).unwrap_or("the host");
    let mut out = Vec::new();

    // Nested under a keyword parent, or claimed by another service's block.
    if let Some(p) = parents
        .iter()
        .find(|p| line_has(s.keyword_hits, s.lines.bounds(s.text, p.line)))
    {
        out.push(Evidence::new(
            Kind::Parent,
            w.keyword_parent,
            format!(
                "nested under a block that mentions {keyword} (line {})",
                p.line + 1
            ),
        ));
    } else if let Some(p) = parents.first().filter(|p| p.opener) {
        if let Some(key) = &p.key {
            let words = split_words(key);
            let claimed = !words.is_empty()
                && words.iter().all(|x| {
                    !(vocab.words.structural.contains(x)
                        || vocab.words.neutral.contains(x)
                        || vocab.words.credential.contains(x)
                        || vocab.words.field.contains(x))
                });
            if claimed {
                out.push(Evidence::new(
                    Kind::Parent,
                    w.other_parent,
                    format!(
                        "nested under `{key}` (line {}), another service's block",
                        p.line + 1
                    ),
                ));
            }
        }
    }

    // The same line, excluding the name itself and staying near the value on long lines.
    let (ls, le) = s.lines.bounds(s.text, idx);
    let lo = ls.max(start.saturating_sub(SAME_LINE_REACH));
    let hi = le.min(end + SAME_LINE_REACH);
    let name_span = name.as_ref().and_then(|n| n.span);
    let outside_name = |h: &usize| name_span.is_none_or(|(a, b)| *h < a || *h >= b);
    if s.keyword_hits
        .iter()
        .any(|h| (lo..hi).contains(h) && outside_name(h))
    {
        out.push(Evidence::new(
            Kind::SameLine,
            w.keyword_same_line,
            format!("'{keyword}' on the same line"),
        ));
    }
    if s.host_hits.iter().any(|h| (lo..hi).contains(h)) {
        out.push(Evidence::new(
            Kind::HostSameLine,
            w.host_same_line,
            format!("{host} on the same line"),
        ));
    }

    // Neighbouring lines.
    let first = idx.saturating_sub(NEAR_LINES);
    let last = (idx + NEAR_LINES).min(s.lines.count().saturating_sub(1));
    let near_line = (first..=last)
        .filter(|&j| j != idx)
        .find(|&j| line_has(s.keyword_hits, s.lines.bounds(s.text, j)));
    if let Some(j) = near_line {
        out.push(Evidence::new(
            Kind::Near,
            w.keyword_near,
            format!("'{keyword}' within {NEAR_LINES} lines (line {})", j + 1),
        ));
    }

    if with_path_and_file {
        if s.file_has_keyword || !s.keyword_hits.is_empty() {
            out.push(Evidence::new(
                Kind::InFile,
                w.keyword_in_file,
                format!("'{keyword}' in the file"),
            ));
        }
        if s.file_has_host || !s.host_hits.is_empty() {
            out.push(Evidence::new(
                Kind::HostInFile,
                w.host_in_file,
                format!("{host} in the file"),
            ));
        }
        out.extend(path_evidence(s.path, rule, vocab));
        if s.shape_count >= vocab.confidence.dense_file_uuids {
            out.push(Evidence::new(
                Kind::Dense,
                w.dense_file,
                format!("the file holds {} values of this shape", s.shape_count),
            ));
        }
    }
    (name, out)
}

fn line_has(hits: &[usize], (start, end): (usize, usize)) -> bool {
    let i = hits.partition_point(|&h| h < start);
    hits.get(i).is_some_and(|&h| h < end)
}

fn path_evidence(path: &str, rule: &Rule, vocab: &Vocabulary) -> Option<Evidence> {
    let keyword = rule.keywords.first()?;
    let normal = path.replace('\\', "/");
    let mut parts = normal.rsplit('/');
    let file_name = parts.next().unwrap_or_default();
    if super::keyword::find_in_name(file_name, &rule.keywords).is_some() {
        return Some(Evidence::new(
            Kind::FileName,
            vocab.weights.keyword_in_file_name,
            format!("the file name mentions {keyword}"),
        ));
    }
    if parts.any(|dir| super::keyword::find_in_name(dir, &rule.keywords).is_some()) {
        return Some(Evidence::new(
            Kind::PathDir,
            vocab.weights.keyword_in_path,
            format!("the path mentions {keyword}"),
        ));
    }
    None
}

/// The evidence a name gives.
pub fn name_evidence(name: &Name, rule: &Rule, vocab: &Vocabulary) -> Option<Evidence> {
    let w = &vocab.weights;
    let mut class = classify(&name.text, rule, vocab);
    // A bare service name next to a value in a list (`('lusha', '<uuid>')`) is another column
    // or argument, not the value's name; a credential name there still is (`'api_key', '<key>'`).
    if name.listed && class == NameClass::KeywordName {
        class = NameClass::Unrelated;
    }
    let how = match name.via {
        Via::Direct => format!("assigned to `{}`", name.text),
        Via::Field => format!("the value of `{}`", name.text),
        Via::Sibling(line) => format!("the value of `{}` (named on line {})", name.text, line + 1),
        Via::Parent(line) => format!("under the key `{}` (line {})", name.text, line + 1),
    };
    let (weight, what) = match &class {
        NameClass::KeywordCredential => (
            w.keyword_credential_name,
            "a credential name of this service".to_string(),
        ),
        NameClass::KeywordName => (w.keyword_name, "a name of this service".to_string()),
        NameClass::Header => (w.header_name, "the service's API key header".to_string()),
        NameClass::GenericCredential => (
            w.generic_credential_name,
            "a generic credential name".to_string(),
        ),
        NameClass::OtherCredential(q) => (
            w.other_credential_name,
            format!("a credential of another service ({q})"),
        ),
        NameClass::Identifier => (
            w.identifier_name,
            "an identifier, not a credential".to_string(),
        ),
        NameClass::Unrelated => return None,
    };
    let has_keyword = matches!(class, NameClass::KeywordCredential | NameClass::KeywordName);
    Some(Evidence {
        kind: Kind::Name,
        weight,
        reason: format!("{how}, {what}"),
        credential: class.is_credential(),
        service: has_keyword,
        identifier: class == NameClass::Identifier,
    })
}

/// Merges two evidence lists, keeping one item per kind (the heavier one).
pub fn merge(mut a: Vec<Evidence>, b: Vec<Evidence>) -> Vec<Evidence> {
    for e in b {
        match a.iter_mut().find(|x| x.kind == e.kind) {
            Some(x) if e.weight > x.weight => *x = e,
            Some(_) => {}
            None => a.push(e),
        }
    }
    a.sort_by_key(|e| e.kind);
    a
}

/// Puts evidence in report order and resolves conflicts: a name that names this service outranks
/// a parent block that seems to belong to another one.
pub fn settle(evidence: &mut Vec<Evidence>) {
    let named_for_service = evidence.iter().any(|e| e.kind == Kind::Name && e.service);
    if named_for_service {
        evidence.retain(|e| !(e.kind == Kind::Parent && e.weight < 0));
    }
    evidence.sort_by_key(|e| e.kind);
}

/// The verdict on a candidate.
pub struct Scored {
    pub score: i32,
    pub confidence: Option<Confidence>,
    pub reasons: Vec<String>,
}

pub fn score(evidence: &[Evidence], vocab: &Vocabulary) -> Scored {
    let t = &vocab.confidence;
    let mut total: i32 = evidence.iter().map(|e| e.weight).sum();
    let mut reasons: Vec<String> = evidence
        .iter()
        .map(|e| format!("{} {}", if e.weight >= 0 { "+" } else { "-" }, e.reason))
        .collect();
    if let Some(id) = evidence
        .iter()
        .find(|e| e.kind == Kind::Name && e.identifier)
    {
        return Scored {
            score: total.min(0),
            confidence: None,
            reasons: vec![format!("- {}", id.reason)],
        };
    }
    let credential = evidence.iter().any(|e| e.credential);
    let service = evidence.iter().any(|e| e.service);
    if !credential {
        // A UUID in no credential slot is an id of some kind, however much the file is about
        // the service: not a finding at any level.
        reasons.push("- not in a credential slot".into());
        return Scored {
            score: total.min(t.low - 1),
            confidence: None,
            reasons,
        };
    }
    if !service && total > t.cap_without_evidence {
        total = t.cap_without_evidence;
        reasons.push("- nothing ties it to this service: capped at low".into());
    }
    let confidence = if total >= t.high {
        Some(Confidence::High)
    } else if total >= t.medium {
        Some(Confidence::Medium)
    } else if total >= t.low {
        Some(Confidence::Low)
    } else {
        None
    };
    Scored {
        score: total,
        confidence,
        reasons,
    }
}
