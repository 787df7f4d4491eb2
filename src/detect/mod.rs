//! Detection: a pure function from rules and bytes to scored findings. No I/O happens here.
//!
//! For each rule: find candidates (pattern matches that are tokens of their own and pass the
//! validator, `candidates`), drop placeholders (`placeholder`), then weigh the evidence around
//! each one (`context` finds the name and parent keys, `evidence` scores them with the weights of
//! `rules/vocabulary.toml`). Base64 runs are decoded and searched the same way (`encoded`); a
//! decoded value inherits the slot of the run that held it. A document is one window of a file:
//! only candidates starting in `owned` are reported, the rest is context.

mod candidates;
mod context;
mod encoded;
mod evidence;
mod keyword;
mod lines;
mod placeholder;
mod words;

pub use evidence::Confidence;
pub use lines::char_count;
/// For the rule self-test, which says why an example is not found.
pub use placeholder::placeholder_reason;

use crate::rules::{Rule, RuleSet, Vocabulary};
use crate::secret::{self, Secret};
use evidence::{Evidence, Surroundings};
use lines::Lines;
use serde::Serialize;
use std::ops::Range;

/// How a secret was encoded where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Encoding {
    #[serde(rename = "base64")]
    Base64,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
        }
    }
}

/// One window of text to search, and where it sits in its file.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    pub text: &'a [u8],
    /// The file's path as shown in reports (`/`-separated); used as evidence.
    pub path: &'a str,
    /// 1-based line number of `text[0]`.
    pub first_line: u64,
    /// Characters before `text[0]` on its line (non-zero when a window starts mid-line).
    pub first_column: u64,
    /// Only candidates that start in this range are reported; the rest is context.
    pub owned: Range<usize>,
    /// The file's text encoding, when it was transcoded to UTF-8 before the search.
    pub encoding: Option<Encoding>,
    /// Facts about the whole file when `text` is only one window of it.
    pub file: Option<&'a FileFacts>,
}

impl<'a> Document<'a> {
    /// A whole file (or any standalone text).
    pub fn whole(text: &'a [u8], path: &'a str) -> Document<'a> {
        Document {
            text,
            path,
            first_line: 1,
            first_column: 0,
            owned: 0..text.len(),
            encoding: None,
            file: None,
        }
    }
}

/// Facts about a whole file, gathered window by window when a file is too large for one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileFacts {
    pub keyword: Vec<bool>,
    pub host: Vec<bool>,
    pub shapes: Vec<usize>,
}

impl FileFacts {
    pub fn merge(&mut self, other: &FileFacts) {
        if self.keyword.is_empty() {
            *self = other.clone();
            return;
        }
        for (a, b) in self.keyword.iter_mut().zip(&other.keyword) {
            *a |= *b;
        }
        for (a, b) in self.host.iter_mut().zip(&other.host) {
            *a |= *b;
        }
        for (a, b) in self.shapes.iter_mut().zip(&other.shapes) {
            *a += *b;
        }
    }
}

/// A secret found, with where, how sure, and why.
#[derive(Debug, Clone)]
pub struct Detection {
    /// Index of the rule in the detector's rule list.
    pub rule: usize,
    pub secret: Secret,
    pub line: u64,
    pub column: u64,
    /// Column just past the match (exclusive), on `line`.
    pub end_column: u64,
    pub score: i32,
    pub confidence: Confidence,
    pub reasons: Vec<String>,
    pub encoding: Option<Encoding>,
    /// The line, excerpted around the match, with every secret-shaped value masked.
    pub snippet: String,
    /// The line carries the inline allow marker (`lushaguard:allow`).
    pub allowed: bool,
}

/// A line containing this marker is not reported (its findings are counted as suppressed).
pub const ALLOW_MARKER: &[u8] = b"lushaguard:allow";

/// Longest excerpt of a line shown in a snippet.
const SNIPPET_LINE: usize = 200;
const SNIPPET_CONTEXT: usize = 80;

pub struct Detector {
    set: RuleSet,
    keywords: Vec<keyword::Finder>,
    hosts: Vec<keyword::Finder>,
    decode: bool,
    /// Base64 images of every rule's anchor; `None` when some rule has no usable anchor and
    /// base64 runs must be found by sampling.
    images: Option<Vec<encoded::Image>>,
}

/// Per-window lookups, built only when a window has something to assess.
struct Window<'a> {
    text: &'a [u8],
    lines: Lines,
    keyword_hits: Vec<Vec<usize>>,
    host_hits: Vec<Vec<usize>>,
}

impl Detector {
    pub fn new(set: RuleSet) -> Detector {
        let keywords = set
            .rules
            .iter()
            .map(|r| keyword::Finder::keywords(&r.keywords))
            .collect();
        let hosts = set
            .rules
            .iter()
            .map(|r| keyword::Finder::hosts(&r.hosts))
            .collect();
        let images = set
            .rules
            .iter()
            .map(|r| r.anchor.as_deref().and_then(encoded::images))
            .collect::<Option<Vec<_>>>()
            .map(|v| v.concat());
        Detector {
            set,
            keywords,
            hosts,
            decode: true,
            images,
        }
    }

    /// Turns base64 decoding on or off.
    pub fn with_decoding(mut self, decode: bool) -> Detector {
        self.decode = decode;
        self
    }

    pub fn rules(&self) -> &[Rule] {
        &self.set.rules
    }

    pub fn vocabulary(&self) -> &Vocabulary {
        &self.set.vocabulary
    }

    /// Facts about `text` for a file searched in several windows.
    pub fn facts(&self, text: &[u8]) -> FileFacts {
        FileFacts {
            keyword: self.keywords.iter().map(|k| k.is_match(text)).collect(),
            host: self.hosts.iter().map(|h| h.is_match(text)).collect(),
            shapes: self
                .set
                .rules
                .iter()
                .map(|r| candidates::find(r, text, 0..0).1)
                .collect(),
        }
    }

    pub fn detect(&self, doc: &Document<'_>) -> Vec<Detection> {
        let text = doc.text;
        let mut found = Vec::new();
        let mut shapes = Vec::with_capacity(self.set.rules.len());
        for (ri, rule) in self.set.rules.iter().enumerate() {
            let (cands, n) = candidates::find(rule, text, doc.owned.clone());
            shapes.push(n);
            found.extend(cands.into_iter().map(|c| (ri, c)));
        }
        let runs = match (&self.images, self.decode) {
            (_, false) => Vec::new(),
            (Some(images), true) => encoded::runs_with_images(text, doc.owned.clone(), images),
            (None, true) => encoded::runs(text, doc.owned.clone()),
        };
        if found.is_empty() && runs.is_empty() {
            return Vec::new();
        }
        let window = self.window(text);
        let mut out = Vec::new();
        for (ri, cand) in found {
            if let Some(d) = self.assess(doc, &window, &shapes, ri, &cand) {
                out.push(d);
            }
        }
        for (a, b) in runs {
            out.extend(self.assess_encoded(doc, &window, &shapes, a, b));
        }
        out
    }

    fn window<'t>(&self, text: &'t [u8]) -> Window<'t> {
        Window {
            text,
            lines: Lines::new(text),
            keyword_hits: self.keywords.iter().map(|k| k.find_all(text)).collect(),
            host_hits: self.hosts.iter().map(|h| h.find_all(text)).collect(),
        }
    }

    fn surroundings<'w>(
        &self,
        doc: &Document<'w>,
        w: &'w Window<'_>,
        shapes: &[usize],
        ri: usize,
    ) -> Surroundings<'w> {
        let facts = doc.file;
        Surroundings {
            text: w.text,
            lines: &w.lines,
            keyword_hits: &w.keyword_hits[ri],
            host_hits: &w.host_hits[ri],
            file_has_keyword: facts.is_some_and(|f| f.keyword.get(ri).copied().unwrap_or(false)),
            file_has_host: facts.is_some_and(|f| f.host.get(ri).copied().unwrap_or(false)),
            shape_count: facts
                .and_then(|f| f.shapes.get(ri).copied())
                .unwrap_or(shapes[ri]),
            path: doc.path,
        }
    }

    fn assess(
        &self,
        doc: &Document<'_>,
        w: &Window<'_>,
        shapes: &[usize],
        ri: usize,
        cand: &candidates::Candidate,
    ) -> Option<Detection> {
        let rule = &self.set.rules[ri];
        let vocab = &self.set.vocabulary;
        if placeholder::placeholder_reason(&cand.value, &rule.placeholders).is_some() {
            return None;
        }
        let s = self.surroundings(doc, w, shapes, ri);
        let (name, mut ev) = evidence::gather(&s, rule, vocab, cand.start, cand.end, true);
        if let Some(e) = name
            .as_ref()
            .and_then(|n| evidence::name_evidence(n, rule, vocab))
        {
            ev.push(e);
        }
        evidence::settle(&mut ev);
        self.finish(
            doc,
            w,
            ri,
            cand.value.clone(),
            (cand.start, cand.end),
            &ev,
            doc.encoding,
        )
    }

    /// Decodes a base64 run and assesses the values inside it. A value keeps its own name when
    /// the decoded text names it (`LUSHA_API_KEY=...` inside an encoded `.env`), and otherwise
    /// takes the name of the slot the run sits in (`LUSHA_API_KEY: <base64>`).
    fn assess_encoded(
        &self,
        doc: &Document<'_>,
        w: &Window<'_>,
        shapes: &[usize],
        a: usize,
        b: usize,
    ) -> Vec<Detection> {
        let vocab = &self.set.vocabulary;
        let mut out = Vec::new();
        for decoded in encoded::decode_run(&w.text[a..b]) {
            let mut inner_found = Vec::new();
            for (ri, rule) in self.set.rules.iter().enumerate() {
                let (cands, _) = candidates::find(rule, &decoded, 0..decoded.len());
                inner_found.extend(cands.into_iter().map(|c| (ri, c)));
            }
            if inner_found.is_empty() {
                continue;
            }
            let inner = self.window(&decoded);
            for (ri, cand) in inner_found {
                let rule = &self.set.rules[ri];
                if placeholder::placeholder_reason(&cand.value, &rule.placeholders).is_some() {
                    continue;
                }
                let outer_s = self.surroundings(doc, w, shapes, ri);
                let (outer_name, outer_ev) = evidence::gather(&outer_s, rule, vocab, a, b, true);
                let inner_s = Surroundings {
                    text: &decoded,
                    lines: &inner.lines,
                    keyword_hits: &inner.keyword_hits[ri],
                    host_hits: &inner.host_hits[ri],
                    file_has_keyword: false,
                    file_has_host: false,
                    shape_count: 0,
                    path: "",
                };
                let (inner_name, inner_ev) =
                    evidence::gather(&inner_s, rule, vocab, cand.start, cand.end, false);
                let name_ev = inner_name
                    .as_ref()
                    .and_then(|n| evidence::name_evidence(n, rule, vocab))
                    .or_else(|| {
                        outer_name
                            .as_ref()
                            .and_then(|n| evidence::name_evidence(n, rule, vocab))
                    });
                let mut ev: Vec<Evidence> = evidence::merge(outer_ev, inner_ev);
                ev.extend(name_ev);
                evidence::settle(&mut ev);
                if let Some(mut d) = self.finish(
                    doc,
                    w,
                    ri,
                    cand.value.clone(),
                    (a, b),
                    &ev,
                    Some(Encoding::Base64),
                ) {
                    d.reasons.push("= decoded from base64".into());
                    out.push(d);
                }
            }
            // The first alignment that yields candidates is the right one.
            break;
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        doc: &Document<'_>,
        w: &Window<'_>,
        ri: usize,
        value: String,
        (start, end): (usize, usize),
        ev: &[Evidence],
        encoding: Option<Encoding>,
    ) -> Option<Detection> {
        let scored = evidence::score(ev, &self.set.vocabulary);
        let confidence = scored.confidence?;
        let idx = w.lines.index_of(start);
        let (ls, le) = w.lines.bounds(w.text, idx);
        let base = if idx == 0 { doc.first_column } else { 0 };
        let column = base + lines::char_count(&w.text[ls..start]) + 1;
        let end_column = column + lines::char_count(&w.text[start..end.min(le.max(start))]);
        Some(Detection {
            rule: ri,
            secret: Secret::new(value),
            line: doc.first_line + idx as u64,
            column,
            end_column,
            score: scored.score,
            confidence,
            reasons: scored.reasons,
            encoding,
            snippet: self.snippet(w.text, ls, le, start, end),
            allowed: memchr::memmem::find(&w.text[ls..le], ALLOW_MARKER).is_some(),
        })
    }

    /// The line around `start..end`, cut to a readable length, with every value that has the
    /// shape of any rule's secret and every long base64 run masked.
    fn snippet(&self, text: &[u8], ls: usize, le: usize, start: usize, end: usize) -> String {
        let (mut a, mut b) = (ls, le);
        if le - ls > SNIPPET_LINE {
            a = start.saturating_sub(SNIPPET_CONTEXT).max(ls);
            b = (end + SNIPPET_CONTEXT).min(le);
        }
        while a > ls && (text[a] & 0xC0) == 0x80 {
            a -= 1;
        }
        while b < le && (text[b] & 0xC0) == 0x80 {
            b += 1;
        }
        // Masks are computed on a wider stretch so a value cut by the excerpt is masked too.
        let ma = a.saturating_sub(SNIPPET_CONTEXT).max(ls);
        let mb = (b + SNIPPET_CONTEXT).min(le);
        let region = &text[ma..mb];
        let mut masks: Vec<(usize, usize, bool)> = Vec::new();
        for rule in &self.set.rules {
            masks.extend(
                rule.regex
                    .find_iter(region)
                    .map(|m| (ma + m.start(), ma + m.end(), false)),
            );
        }
        masks.extend(
            encoded::runs(region, 0..region.len())
                .into_iter()
                .map(|(x, y)| (ma + x, ma + y, true)),
        );
        masks.sort_unstable();
        let mut out = String::new();
        if a > ls {
            out.push('…');
        }
        let mut pos = a;
        for (ms, me, is_run) in masks {
            if me <= pos || ms >= b {
                continue;
            }
            let ms = ms.max(pos);
            out.push_str(&String::from_utf8_lossy(&text[pos..ms]));
            let hidden = String::from_utf8_lossy(&text[ms..me.min(b)]);
            if is_run {
                out.extend(hidden.chars().take(4));
                out.push_str("…(base64)");
            } else {
                out.push_str(&secret::redact(&hidden));
            }
            pos = me.min(b);
        }
        if pos < b {
            out.push_str(&String::from_utf8_lossy(&text[pos..b]));
        }
        if b < le {
            out.push('…');
        }
        out.trim()
            .chars()
            .map(|c| {
                if c == '\t' {
                    ' '
                } else if c.is_control() {
                    '?'
                } else {
                    c
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
