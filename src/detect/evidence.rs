//! Evidence and confidence. Each piece of evidence around a candidate has a kind, a weight from
//! `rules/vocabulary.toml`, a sentence for the report and, when it comes from one line, that line;
//! the score is their sum, and a candidate is no finding at all without a credential slot (a
//! credential-like name, the rule's header, a Lusha-named slot, or a variable used as the header
//! or passed to the service's client), and at most `low` without anything tying it to the service.
//!
//! Assessment runs in two steps so that a window dense with ids stays cheap: `slot` finds the
//! name and what the name's variable is used for, and stops there when the candidate cannot be a
//! finding at any level (an identifier, or no credential slot); only then does `gather` weigh the
//! blocks, lines, hosts, file and path around it.

use super::context::{self, Name, Via};
use super::flow::{Flows, Use};
use super::hosts;
use super::keyword;
use super::window::Window;
use super::words::{classify, is_hex_name, NameClass};
use crate::rules::{Rule, Vocabulary};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How many bytes either side of a candidate count as "the same line" (minified code has lines
/// of megabytes).
const SAME_LINE_REACH: usize = 400;
/// How many lines above and below count as "near".
const NEAR_LINES: usize = 3;
/// How many enclosing blocks are searched for the host a value is sent to, and how far a block
/// is read.
const HOST_BLOCKS: usize = 3;
const BLOCK_LINES: usize = 60;

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

/// What a piece of evidence is about. Reports list reasons in this order; the JSON report
/// names each kind (documented in `docs/report-format.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The name the value is assigned to (or the column, field, sibling or parent key that
    /// names it).
    Name,
    /// The variable holding the value is used as the header or passed to the service's client.
    DataFlow,
    /// The value's table row names a service.
    Row,
    /// An enclosing block names the service, or is another service's configuration.
    Parent,
    /// A keyword elsewhere on the value's line.
    KeywordSameLine,
    /// The rule's host on the value's line.
    HostSameLine,
    /// The host the request or block holding the value is sent to.
    Host,
    /// A keyword within a few lines.
    KeywordNear,
    /// A keyword anywhere in the file.
    KeywordInFile,
    /// The rule's host anywhere in the file.
    HostInFile,
    /// The file's name mentions a keyword.
    FileName,
    /// A directory on the path mentions a keyword.
    Path,
    /// The file is dense with values of this shape.
    DenseFile,
    /// Nothing ties the value to the service: the score is capped at `low`.
    Capped,
    /// The value was found inside an encoding: base64, URL encoding, escapes (weight 0).
    Decoded,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Name => "name",
            Kind::DataFlow => "data_flow",
            Kind::Row => "row",
            Kind::Parent => "parent",
            Kind::KeywordSameLine => "keyword_same_line",
            Kind::HostSameLine => "host_same_line",
            Kind::Host => "host",
            Kind::KeywordNear => "keyword_near",
            Kind::KeywordInFile => "keyword_in_file",
            Kind::HostInFile => "host_in_file",
            Kind::FileName => "file_name",
            Kind::Path => "path",
            Kind::DenseFile => "dense_file",
            Kind::Capped => "capped",
            Kind::Decoded => "decoded",
        }
    }
}

/// One reason for (or against) a finding, as reports show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub kind: Kind,
    /// What it added to the score (negative: against the finding).
    pub weight: i32,
    /// The reason as a sentence.
    pub text: String,
    /// The 1-based line the evidence comes from, when it comes from one line.
    pub line: Option<u64>,
}

impl fmt::Display for Reason {
    /// `+ sentence` for, `- sentence` against, `= sentence` for notes that weigh nothing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.kind == Kind::Decoded {
            '='
        } else if self.weight >= 0 {
            '+'
        } else {
            '-'
        };
        write!(f, "{sign} {}", self.text)
    }
}

#[derive(Debug, Clone)]
pub struct Evidence {
    pub kind: Kind,
    pub weight: i32,
    pub reason: String,
    /// 0-based line in the text the evidence was gathered from.
    pub line: Option<usize>,
    /// Does this evidence say the value sits in a credential slot?
    pub credential: bool,
    /// Does it tie the value to the rule's service?
    pub service: bool,
    /// Does the name mark the value as an identifier? (Identifiers are never reported.)
    pub identifier: bool,
}

impl Evidence {
    fn new(kind: Kind, weight: i32, reason: String, line: Option<usize>) -> Evidence {
        Evidence {
            kind,
            weight,
            reason,
            line,
            credential: false,
            service: weight > 0 && kind != Kind::DenseFile,
            identifier: false,
        }
    }
}

/// Facts about the whole file, when the window is only part of it.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileLevel<'a> {
    pub has_keyword: bool,
    pub has_host: bool,
    pub shape_count: usize,
    /// The file's path (empty for decoded text, which has no path of its own).
    pub path: &'a str,
}

/// The slot a candidate sits in: its name and what that name's variable is used for.
pub struct Slot {
    pub name: Option<Name>,
    pub evidence: Vec<Evidence>,
}

/// The name of the value at `start..end` (on line `idx`) and the evidence it gives, or `None`
/// when the candidate cannot be a finding at any level: it is the key of a block (`"<uuid>": {`),
/// its name marks an identifier, or nothing puts it in a credential slot. (For the last two,
/// `score` would give the candidate no confidence whatever else was found, so stopping here
/// changes no result; it only saves the work.)
pub fn slot(
    w: &Window<'_>,
    ri: usize,
    rule: &Rule,
    vocab: &Vocabulary,
    idx: usize,
    (start, end): (usize, usize),
) -> Option<Slot> {
    let (_, line_end) = w.lines.around(idx, start);
    if context::is_block_key(w.text, end, line_end) {
        return None;
    }
    let mut name = context::find_name(w, idx, start, vocab, &rule.spec.headers);
    let mut class = name.as_ref().map(|n| {
        // A hex name is settled at once; caching it would only fill the cache with ids.
        // (A name read from the window's last UUID shape is hex without looking again.)
        let hex = (n.span.is_some() && n.span == w.name_run()) || is_hex_name(&n.text);
        let class = if rule.hex_names_unrelated && hex {
            // What `classify` says of a hex name under such a rule, without checking it again.
            NameClass::Unrelated
        } else {
            w.class_of(ri, &n.text, || classify(&n.text, rule, vocab))
        };
        listed_class(n, class)
    });
    if !matches!(
        class,
        Some(NameClass::KeywordCredential | NameClass::Identifier)
    ) {
        // A label of several words names the value better than its last word when it names
        // this service's credential: `Lusha API key (prod): <key>`, `| Lusha API key | <key> |`.
        let (ls, _) = w.lines.around(idx, start);
        if let Some(label) = context::label_phrase(w.text, ls, start) {
            if classify(&label.text, rule, vocab) == NameClass::KeywordCredential {
                class = Some(NameClass::KeywordCredential);
                name = Some(label);
            }
        }
    }
    if class == Some(NameClass::Identifier) {
        return None;
    }
    let flow = name
        .as_ref()
        .and_then(|n| flow_evidence(w, ri, rule, vocab, n));
    if !class.as_ref().is_some_and(NameClass::is_credential) && flow.is_none() {
        return None;
    }
    let mut evidence = Vec::new();
    if let (Some(n), Some(c)) = (&name, class) {
        if let Some(mut e) = evidence_of_class(n, c, vocab) {
            // A name read from the value's own line (`NAME = value`, a field, a callee).
            e.line = e.line.or(Some(idx));
            evidence.push(e);
        }
    }
    evidence.extend(flow);
    Some(Slot { name, evidence })
}

/// A bare service name next to a value in a list (`('lusha', '<uuid>')`) is another column or
/// argument, not the value's name; a credential name there still is (`'api_key', '<key>'`).
fn listed_class(name: &Name, class: NameClass) -> NameClass {
    if name.listed && class == NameClass::KeywordName {
        NameClass::Unrelated
    } else {
        class
    }
}

/// Evidence from where the variable named `name` is used: as the rule's header or query
/// parameter, or as an argument of the service's client.
fn flow_evidence(
    w: &Window<'_>,
    ri: usize,
    rule: &Rule,
    vocab: &Vocabulary,
    name: &Name,
) -> Option<Evidence> {
    if name.via != Via::Direct || name.listed || !w.kind.has_code() {
        return None;
    }
    let flows = w.flows(ri, || {
        let is_credential = |n: &str| {
            matches!(
                classify(n, rule, vocab),
                NameClass::KeywordCredential | NameClass::Header | NameClass::GenericCredential
            )
        };
        Flows::new(
            w.text,
            &w.lines,
            &rule.spec.headers,
            w.keyword_hits(ri),
            &is_credential,
        )
    })?;
    if flows.is_empty() {
        return None;
    }
    let site = flows.find(&name.text)?;
    // A header sent to another service's host is that service's credential.
    let (ls, le) = w.lines.bounds(w.text, site.line);
    let lo = ls.max(site.at.saturating_sub(SAME_LINE_REACH));
    let hi = le.min(site.at + SAME_LINE_REACH);
    let use_parents = context::parents(w, site.line, site.at);
    let to_other = host_evidence(w, rule, vocab, (lo, hi), site.line, &use_parents, false)
        .is_some_and(|e| e.weight < 0);
    if to_other {
        return None;
    }
    let (weight, reason, service) = match site.used_as {
        Use::Header => (
            vocab.weights.used_as_header,
            format!(
                "`{}` is used as the `{}` header or parameter (line {})",
                name.text,
                site.what,
                site.line + 1
            ),
            false,
        ),
        Use::Client => (
            vocab.weights.passed_to_client,
            format!(
                "`{}` is passed to `{}` (line {})",
                name.text,
                site.what,
                site.line + 1
            ),
            true,
        ),
    };
    Some(Evidence {
        kind: Kind::DataFlow,
        weight,
        reason,
        line: Some(site.line),
        credential: true,
        service,
        identifier: false,
    })
}

/// The evidence of the surroundings of the value at `start..end` (on line `idx`): the blocks it
/// is nested in, its line and the lines near it, the host its request goes to and its table row.
/// (The whole file's evidence is `file_evidence`.)
pub fn gather(
    w: &Window<'_>,
    ri: usize,
    rule: &Rule,
    vocab: &Vocabulary,
    (start, end): (usize, usize),
    idx: usize,
    name: Option<&Name>,
) -> Vec<Evidence> {
    let text = w.text;
    let weights = &vocab.weights;
    let keyword_hits = w.keyword_hits(ri);
    let host_hits = w.host_hits(ri);
    let (keyword, host) = words_for_reasons(rule);
    let mut out = Vec::new();

    // Nested under a keyword parent, or in another service's configuration block.
    let parents = context::parents(w, idx, start);
    if let Some(p) = parents
        .iter()
        .find(|p| line_has(keyword_hits, w.lines.bounds(text, p.line)))
    {
        out.push(Evidence::new(
            Kind::Parent,
            weights.keyword_parent,
            format!(
                "nested under a block that mentions {keyword} (line {})",
                p.line + 1
            ),
            Some(p.line),
        ));
    } else if let Some(p) = parents
        .first()
        .filter(|p| context::claimed_by_another_service(p, w.kind, vocab))
    {
        out.push(Evidence::new(
            Kind::Parent,
            weights.other_parent,
            format!(
                "nested under `{}` (line {}), another service's block",
                p.key.as_deref().unwrap_or_default(),
                p.line + 1
            ),
            Some(p.line),
        ));
    }

    // The same line, excluding the name itself and staying near the value on long lines.
    let (ls, le) = w.lines.bounds(text, idx);
    let lo = ls.max(start.saturating_sub(SAME_LINE_REACH));
    let hi = le.min(end + SAME_LINE_REACH);
    let name_span = name.and_then(|n| n.span);
    let outside_name = |h: &usize| name_span.is_none_or(|(a, b)| *h < a || *h >= b);
    let keyword_on_line = hits_in(keyword_hits, lo, hi).iter().any(outside_name);
    if !hits_in(host_hits, lo, hi).is_empty() {
        out.push(Evidence::new(
            Kind::HostSameLine,
            weights.host_same_line,
            format!("{host} on the same line"),
            Some(idx),
        ));
    }

    // Neighbouring lines.
    let first = idx.saturating_sub(NEAR_LINES);
    let last = (idx + NEAR_LINES).min(w.lines.count().saturating_sub(1));
    let near_line = (first..=last)
        .filter(|&j| j != idx)
        .find(|&j| line_has(keyword_hits, w.lines.bounds(text, j)));
    if let Some(j) = near_line {
        out.push(Evidence::new(
            Kind::KeywordNear,
            weights.keyword_near,
            format!("'{keyword}' within {NEAR_LINES} lines (line {})", j + 1),
            Some(j),
        ));
    }

    // The host the value is sent to: on its line, else in the nearest enclosing block that
    // names a host.
    out.extend(host_evidence(
        w,
        rule,
        vocab,
        (lo, hi),
        idx,
        &parents,
        near_line.is_some(),
    ));

    // The service its table row names.
    let row = name
        .filter(|n| matches!(n.via, Via::Column(_)))
        .and_then(|_| row_evidence(w, rule, vocab, idx, start));
    let row_names_service = row.as_ref().is_some_and(|e| e.weight > 0);
    out.extend(row);
    if keyword_on_line && !row_names_service {
        out.push(Evidence::new(
            Kind::KeywordSameLine,
            weights.keyword_same_line,
            format!("'{keyword}' on the same line"),
            Some(idx),
        ));
    }

    out
}

/// How reasons name the rule's service and host (`lusha`, `api.lusha.com`).
fn words_for_reasons(rule: &Rule) -> (&str, &str) {
    let keyword = rule
        .keywords
        .first()
        .map(String::as_str)
        .unwrap_or("the keyword");
    let host = rule.hosts.first().map(String::as_str).unwrap_or("the host");
    (keyword, host)
}

/// The evidence of the whole file: does it mention the service or its host anywhere, what does
/// its path say, and is it dense with values of this shape?
pub fn file_evidence(f: &FileLevel<'_>, rule: &Rule, vocab: &Vocabulary) -> Vec<Evidence> {
    let weights = &vocab.weights;
    let (keyword, host) = words_for_reasons(rule);
    let mut out = Vec::new();
    if f.has_keyword {
        out.push(Evidence::new(
            Kind::KeywordInFile,
            weights.keyword_in_file,
            format!("'{keyword}' in the file"),
            None,
        ));
    }
    if f.has_host {
        out.push(Evidence::new(
            Kind::HostInFile,
            weights.host_in_file,
            format!("{host} in the file"),
            None,
        ));
    }
    out.extend(path_evidence(f.path, rule, vocab));
    if f.shape_count >= vocab.confidence.dense_file_uuids {
        out.push(Evidence::new(
            Kind::DenseFile,
            weights.dense_file,
            format!("the file holds {} values of this shape", f.shape_count),
            None,
        ));
    }
    out
}

/// Which side a URL host is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HostSide {
    Ours,
    Neutral,
    Other,
}

fn host_side(host: &[u8], rule: &Rule, vocab: &Vocabulary) -> HostSide {
    let name = String::from_utf8_lossy(host);
    if rule.hosts.iter().any(|h| hosts::host_matches(host, h))
        || keyword::find_in_name(&name, &rule.keywords).is_some()
    {
        return HostSide::Ours;
    }
    if vocab
        .words
        .neutral_hosts
        .iter()
        .any(|n| hosts::host_matches(host, n))
        || host.iter().all(|b| b.is_ascii_digit() || *b == b'.')
    {
        return HostSide::Neutral;
    }
    HostSide::Other
}

/// Evidence from the hosts the value's request goes to: the URL on the value's line, else in
/// the smallest enclosing block (request object, client options, connector) that has one.
fn host_evidence(
    w: &Window<'_>,
    rule: &Rule,
    vocab: &Vocabulary,
    (lo, hi): (usize, usize),
    idx: usize,
    parents: &[context::Parent],
    keyword_near: bool,
) -> Option<Evidence> {
    let all = w.hosts();
    if all.is_empty() {
        return None;
    }
    let text = w.text;
    let outline = w.outline();
    let mut scopes: Vec<(usize, usize, bool)> = vec![(lo, hi, true)];
    for p in parents.iter().take(HOST_BLOCKS) {
        let last = outline.block_end(p.line, BLOCK_LINES);
        if last < idx || last - p.line > BLOCK_LINES - 1 {
            break;
        }
        let (a, _) = w.lines.bounds(text, p.line);
        let (_, b) = w.lines.bounds(text, last);
        scopes.push((a, b, false));
        // A named section (`"pinecone": {`, `<connector>`) is the unit a host belongs to; the
        // blocks around it hold its neighbours.
        let named = p.shape != context::Shape::Declaration
            && p.key
                .as_deref()
                .is_some_and(|k| context::names_a_service(k, vocab).0);
        if named {
            break;
        }
    }
    for (a, b, same_line) in scopes {
        let mut ours = None;
        let mut other = None;
        for h in hosts::within(all, a, b) {
            match host_side(&text[h.start..h.end], rule, vocab) {
                HostSide::Ours => ours = ours.or(Some(h)),
                HostSide::Other => other = other.or(Some(h)),
                HostSide::Neutral => {}
            }
        }
        if let Some(h) = ours {
            // The rule's host on the line is `host_same_line`; near it, `keyword_near` already
            // counted it.
            if same_line || keyword_near {
                return None;
            }
            let line = w.lines.index_of(h.start);
            return Some(Evidence::new(
                Kind::Host,
                vocab.weights.host_in_block,
                format!(
                    "the block it sits in goes to {} (line {})",
                    String::from_utf8_lossy(&text[h.start..h.end]),
                    line + 1
                ),
                Some(line),
            ));
        }
        if let Some(h) = other {
            let line = w.lines.index_of(h.start);
            return Some(Evidence::new(
                Kind::Host,
                vocab.weights.other_host,
                format!(
                    "sent to {} (line {}), another service",
                    String::from_utf8_lossy(&text[h.start..h.end]),
                    line + 1
                ),
                Some(line),
            ));
        }
    }
    // No block says where the value goes. A file whose only API endpoints belong to other
    // services (and that never names the rule's host) sends its credentials there.
    let mut sides = all
        .iter()
        .map(|h| (h, host_side(&text[h.start..h.end], rule, vocab)));
    if sides.clone().any(|(_, side)| side == HostSide::Ours) {
        return None;
    }
    let (h, _) = sides
        .find(|(h, side)| *side == HostSide::Other && text[h.start..h.end].starts_with(b"api."))?;
    let line = w.lines.index_of(h.start);
    Some(Evidence::new(
        Kind::Host,
        vocab.weights.other_api_in_file,
        format!(
            "the file's API endpoint is {} (line {}), another service",
            String::from_utf8_lossy(&text[h.start..h.end]),
            line + 1
        ),
        Some(line),
    ))
}

/// What the value's table row says about its service: a `provider`/`service`/`vendor` cell.
fn row_evidence(
    w: &Window<'_>,
    rule: &Rule,
    vocab: &Vocabulary,
    idx: usize,
    pos: usize,
) -> Option<Evidence> {
    let row = w.row_at(idx, pos)?;
    for i in 0..row.columns.len() {
        if i == row.index
            || !vocab
                .words
                .service_fields
                .contains(&row.columns[i].to_ascii_lowercase())
        {
            continue;
        }
        let cell = String::from_utf8_lossy(row.cell(w.text, i)).into_owned();
        if cell.is_empty() || cell.eq_ignore_ascii_case("null") {
            continue;
        }
        let line = w.lines.index_of(row.cells[i].start);
        if keyword::find_in_name(&cell, &rule.keywords).is_some() {
            return Some(Evidence::new(
                Kind::Row,
                vocab.weights.row_names_service,
                format!(
                    "its row's `{}` is `{cell}` (line {})",
                    row.columns[i],
                    line + 1
                ),
                Some(line),
            ));
        }
        if super::words::is_name_like(&cell) {
            return Some(Evidence::new(
                Kind::Row,
                vocab.weights.row_names_other,
                format!(
                    "its row's `{}` is `{cell}` (line {}), another service",
                    row.columns[i],
                    line + 1
                ),
                Some(line),
            ));
        }
    }
    None
}

/// The hits in `lo..hi` (hits are sorted: a window full of keywords costs a binary search).
fn hits_in(hits: &[usize], lo: usize, hi: usize) -> &[usize] {
    let a = hits.partition_point(|&h| h < lo);
    let b = hits.partition_point(|&h| h < hi);
    &hits[a..b.max(a)]
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
    if keyword::find_in_name(file_name, &rule.keywords).is_some() {
        return Some(Evidence::new(
            Kind::FileName,
            vocab.weights.keyword_in_file_name,
            format!("the file name mentions {keyword}"),
            None,
        ));
    }
    if parts.any(|dir| keyword::find_in_name(dir, &rule.keywords).is_some()) {
        return Some(Evidence::new(
            Kind::Path,
            vocab.weights.keyword_in_path,
            format!("the path mentions {keyword}"),
            None,
        ));
    }
    None
}

/// The evidence a name gives.
pub fn name_evidence(name: &Name, rule: &Rule, vocab: &Vocabulary) -> Option<Evidence> {
    evidence_of_class(
        name,
        listed_class(name, classify(&name.text, rule, vocab)),
        vocab,
    )
}

/// The evidence of a name that says `class`.
fn evidence_of_class(name: &Name, class: NameClass, vocab: &Vocabulary) -> Option<Evidence> {
    let w = &vocab.weights;
    let (how, line) = match name.via {
        Via::Direct => (format!("assigned to `{}`", name.text), None),
        Via::Argument => (format!("passed to `{}`", name.text), None),
        Via::Field => (format!("the value of `{}`", name.text), None),
        Via::Fallback => (format!("the fallback for `{}`", name.text), None),
        Via::Label => (format!("labelled `{}`", name.text), None),
        Via::Sibling(line) => (
            format!("the value of `{}` (named on line {})", name.text, line + 1),
            Some(line),
        ),
        Via::Parent(line) => (
            format!("under the key `{}` (line {})", name.text, line + 1),
            Some(line),
        ),
        Via::Column(line) => (
            format!("in the `{}` column (line {})", name.text, line + 1),
            Some(line),
        ),
    };
    let (weight, what) = match &class {
        NameClass::KeywordCredential => (
            w.keyword_credential_name,
            "a credential name of this service".to_string(),
        ),
        NameClass::KeywordName if name.via == Via::Argument => {
            (w.keyword_name, "this service's client".to_string())
        }
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
        line,
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

/// Puts evidence in report order and resolves conflicts: a name that names this service (or a
/// use by its client) outranks a block, row or host that seems to belong to another one.
pub fn settle(evidence: &mut Vec<Evidence>) {
    let named_for_service = evidence
        .iter()
        .any(|e| matches!(e.kind, Kind::Name | Kind::DataFlow) && e.service);
    if named_for_service {
        evidence
            .retain(|e| !(matches!(e.kind, Kind::Parent | Kind::Row | Kind::Host) && e.weight < 0));
    }
    evidence.sort_by_key(|e| e.kind);
}

/// The verdict on a candidate.
pub struct Scored {
    pub score: i32,
    pub confidence: Option<Confidence>,
    pub reasons: Vec<Reason>,
}

/// Scores the evidence; `line_of` turns a 0-based line of the searched text into the file's
/// 1-based line.
pub fn score(evidence: &[Evidence], vocab: &Vocabulary, line_of: &dyn Fn(usize) -> u64) -> Scored {
    let t = &vocab.confidence;
    let mut total: i32 = evidence.iter().map(|e| e.weight).sum();
    let reason = |e: &Evidence| Reason {
        kind: e.kind,
        weight: e.weight,
        text: e.reason.clone(),
        line: e.line.map(line_of),
    };
    if let Some(id) = evidence
        .iter()
        .find(|e| e.kind == Kind::Name && e.identifier)
    {
        return Scored {
            score: total.min(0),
            confidence: None,
            reasons: vec![reason(id)],
        };
    }
    let mut reasons: Vec<Reason> = evidence.iter().map(reason).collect();
    if !evidence.iter().any(|e| e.credential) {
        // A UUID in no credential slot is an id of some kind, however much the file is about
        // the service: not a finding at any level.
        return Scored {
            score: total.min(t.low - 1),
            confidence: None,
            reasons,
        };
    }
    let service = evidence.iter().any(|e| e.service);
    if !service && total > t.cap_without_evidence {
        reasons.push(Reason {
            kind: Kind::Capped,
            weight: t.cap_without_evidence - total,
            text: "nothing ties it to this service: capped at low".into(),
            line: None,
        });
        total = t.cap_without_evidence;
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
