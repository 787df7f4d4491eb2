//! Detection: a pure function from rules and bytes to scored findings. No I/O happens here.
//!
//! For each rule: find candidates (pattern matches that are tokens of their own and pass the
//! validator, `candidates`), then find the slot each one sits in (`context` reads its name from
//! the line, a sibling, a parent block or a table column; `flow` says where a variable holding it
//! is used). A candidate in no credential slot, or named as an identifier, stops there: it cannot
//! be a finding at any level. The rest are checked against placeholders (`placeholder`) and
//! weighed with all the evidence around them (`evidence`, with the weights of
//! `rules/vocabulary.toml`). What a window knows about itself (lines, outline, tables, hosts, use
//! sites: `window`) is computed once per window, when the first candidate needs it. Encoded
//! regions (base64, URL encoding, backslash escapes, and layers of them) are decoded and searched
//! the same way (`encoded`); a decoded value inherits the slot of the region that held it. A
//! window holding zero bytes is searched once more without them, for wide text among binary data
//! (`wide`). A document is one window of one view of a file (its bytes, or their UTF-16/UTF-32
//! transcoding): only candidates starting in `owned` are reported, the rest is context.

mod candidates;
mod context;
mod encoded;
mod evidence;
mod filekind;
mod flow;
mod hosts;
mod keyword;
mod lines;
mod outline;
mod placeholder;
mod tables;
mod wide;
mod window;
pub(crate) mod words;

pub use evidence::{Confidence, Kind as ReasonKind, Reason};
pub use lines::char_count;
/// For the rule self-test, which says why an example is not found.
pub use placeholder::placeholder_reason;

use crate::rules::{Rule, RuleSet, Vocabulary};
use crate::secret::{self, Secret};
use evidence::{Evidence, FileLevel};
use serde::Serialize;
use std::ops::Range;
use window::Window;

/// How a secret was encoded where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Encoding {
    #[serde(rename = "base64")]
    Base64,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
    #[serde(rename = "utf-32le")]
    Utf32Le,
    #[serde(rename = "utf-32be")]
    Utf32Be,
    /// Percent-encoding (`%2D`).
    #[serde(rename = "url")]
    Url,
    /// Backslash escapes (`\u002d`, `\x2d`, `\/`).
    #[serde(rename = "escape")]
    Escape,
    /// UTF-16 or UTF-32 text found among binary data (read without its zero bytes).
    #[serde(rename = "wide")]
    Wide,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Base64 => "base64",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
            Encoding::Utf32Le => "utf-32le",
            Encoding::Utf32Be => "utf-32be",
            Encoding::Url => "url",
            Encoding::Escape => "escape",
            Encoding::Wide => "wide",
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
    /// The view of the file this is: `None` for its bytes as they are, the encoding for its
    /// UTF-16/UTF-32 text transcoded to UTF-8, `Wide` for its bytes without their zero bytes.
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

/// Facts about a whole file: does it mention each rule's keywords and hosts, and how many values
/// of each rule's shape does it hold? Gathered window by window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileFacts {
    pub keyword: Vec<bool>,
    pub host: Vec<bool>,
    pub shapes: Vec<usize>,
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
    pub reasons: Vec<Reason>,
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
    /// Finds and decodes base64, URL-encoded and escaped regions.
    decoder: encoded::Decoder,
    /// What makes a window with zero bytes worth searching as wide text.
    wide_hints: wide::WideHints,
}

/// A file being searched window by window. Each window's candidates are assessed as far as the
/// window allows while it is in memory; the evidence about the whole file (does it mention the
/// service anywhere, how dense is it with values of this shape, what does its path say) is added
/// and the candidates are scored once the last window has been seen, so a file is read once.
/// Every view of the file (its bytes, a transcoding, its wide text) goes through the same scan;
/// a value of the rule's shape is counted in each view it shows in, so the file's density is
/// that of the view holding the most.
pub struct FileScan<'d> {
    detector: &'d Detector,
    path: String,
    facts: FileFacts,
    /// Values of each rule's shape, per view (`Document::encoding`).
    shapes: Vec<(Option<Encoding>, Vec<usize>)>,
    /// Whole-file facts handed in with a document, used instead of the windows' summary.
    given: Option<FileFacts>,
    /// Summarise every window, not only those with candidates (the file has several).
    summarise_all: bool,
    pending: Vec<Pending>,
    /// Buffers reused from window to window.
    candidates: Vec<candidates::Candidate>,
    line_starts: Vec<usize>,
}

/// A candidate that passed its window's checks, waiting for the whole file's evidence.
struct Pending {
    rule: usize,
    value: String,
    first_line: u64,
    line: u64,
    column: u64,
    end_column: u64,
    snippet: String,
    allowed: bool,
    encoding: Option<Encoding>,
    /// The view of the file it was found in.
    view: Option<Encoding>,
    evidence: Vec<Evidence>,
    /// The layers decoded to find it, outermost first (none: found as written).
    decoded: Vec<encoded::Layer>,
}

impl<'d> FileScan<'d> {
    /// Searches the next window of the file.
    pub fn window(&mut self, doc: &Document<'_>) {
        let d = self.detector;
        if let Some(f) = doc.file {
            self.given = Some(f.clone());
        }
        let text = doc.text;
        let mut found = std::mem::take(&mut self.candidates);
        found.clear();
        // Where each rule's candidates end in `found`.
        let mut ends = Vec::with_capacity(d.set.rules.len());
        let view = match self.shapes.iter().position(|(v, _)| *v == doc.encoding) {
            Some(i) => i,
            None => {
                self.shapes.push((doc.encoding, vec![0; d.set.rules.len()]));
                self.shapes.len() - 1
            }
        };
        for (ri, rule) in d.set.rules.iter().enumerate() {
            self.shapes[view].1[ri] +=
                candidates::find_into(rule, text, doc.owned.clone(), &mut found);
            ends.push(found.len());
        }
        let regions = if d.decode {
            d.decoder.regions(text, doc.owned.clone())
        } else {
            Vec::new()
        };
        // A file in several windows (or views) needs every window's facts; a file in one needs
        // them only if one of its candidates is still pending once the window is assessed.
        let summarised = self.summarise_all || !self.pending.is_empty();
        if summarised {
            self.summarise(&text[doc.owned.clone()]);
        }
        if found.is_empty() && regions.is_empty() {
            self.candidates = found;
            return;
        }
        let window = d.window(doc, std::mem::take(&mut self.line_starts));
        let mut from = 0;
        for (ri, &end) in ends.iter().enumerate() {
            // Candidates come in order: each one's line is counted on from the last one's.
            let (mut line, mut at) = (0, 0);
            // A UUID shape is all hex digits and hyphens: the next candidate's walk left may
            // jump it (a row of ids reads each id once).
            let shaped = candidates::by_shape(&d.set.rules[ri]);
            for cand in &found[from..end] {
                line = if cand.start >= at {
                    line + window.lines.breaks(at, cand.start)
                } else {
                    window.lines.index_of(cand.start)
                };
                at = cand.start;
                self.pending.extend(d.assess(doc, &window, ri, cand, line));
                if shaped {
                    window.set_name_run(Some((cand.start, cand.end)));
                }
            }
            from = end;
        }
        for (region, decodings) in regions {
            self.pending
                .extend(d.assess_encoded(doc, &window, &region, decodings));
        }
        self.line_starts = window.into_buffer();
        self.candidates = found;
        if !summarised && !self.pending.is_empty() {
            self.summarise(&text[doc.owned.clone()]);
        }
    }

    /// Searches the wide text of a window holding zero bytes (see `wide`): the window again
    /// without its zero bytes, each finding marked `wide`. Does nothing when the window holds no
    /// zero bytes or nothing that could be a widened secret.
    pub fn wide(&mut self, doc: &Document<'_>) {
        let Some((text, owned)) =
            wide::narrow(doc.text, doc.owned.clone(), &self.detector.wide_hints)
        else {
            return;
        };
        let from = self.pending.len();
        self.window(&Document {
            text: &text,
            owned,
            encoding: Some(Encoding::Wide),
            ..doc.clone()
        });
        for p in &mut self.pending[from..] {
            p.encoding = Some(Encoding::Wide);
        }
    }

    /// An empty scan of the same file, to search some of its windows on another thread;
    /// `absorb` joins it back.
    pub fn part(&self) -> FileScan<'d> {
        self.detector.start_file(&self.path, !self.summarise_all)
    }

    /// What this scan has found so far, as a part to `absorb` elsewhere; this scan starts over
    /// empty and keeps its buffers for the next window.
    pub fn take_part(&mut self) -> FileScan<'d> {
        let mut fresh = self.part();
        std::mem::swap(&mut fresh.candidates, &mut self.candidates);
        std::mem::swap(&mut fresh.line_starts, &mut self.line_starts);
        std::mem::replace(self, fresh)
    }

    /// Joins what a part found to this scan, as if its windows had been searched here after
    /// this scan's own: parts absorbed in window order give the result of one scan.
    pub fn absorb(&mut self, part: FileScan<'d>) {
        for (mine, theirs) in [
            (&mut self.facts.keyword, &part.facts.keyword),
            (&mut self.facts.host, &part.facts.host),
        ] {
            for (m, &t) in mine.iter_mut().zip(theirs) {
                *m |= t;
            }
        }
        for (view, counts) in part.shapes {
            match self.shapes.iter_mut().find(|(v, _)| *v == view) {
                Some((_, mine)) => {
                    for (m, t) in mine.iter_mut().zip(counts) {
                        *m += t;
                    }
                }
                None => self.shapes.push((view, counts)),
            }
        }
        if part.given.is_some() {
            self.given = part.given;
        }
        self.pending.extend(part.pending);
    }

    /// Adds what `owned` (the new text of a window) says to the file's facts.
    fn summarise(&mut self, owned: &[u8]) {
        let d = self.detector;
        for (ri, (k, h)) in d.keywords.iter().zip(&d.hosts).enumerate() {
            self.facts.keyword[ri] |= !self.facts.keyword[ri] && k.is_match(owned);
            self.facts.host[ri] |= !self.facts.host[ri] && h.is_match(owned);
        }
    }

    /// Adds the whole file's evidence and scores every candidate; those that reach `low` are
    /// detections.
    pub fn finish(mut self) -> Vec<Detection> {
        self.conclude()
    }

    /// Makes this scan that of another file, keeping its buffers: a worker scans file after
    /// file with one scan (`conclude` ends each).
    pub fn reset(&mut self, path: &str, single_window: bool) {
        self.path.clear();
        self.path.push_str(path);
        self.facts.keyword.fill(false);
        self.facts.host.fill(false);
        self.facts.shapes.fill(0);
        for (_, counts) in &mut self.shapes {
            counts.fill(0);
        }
        self.given = None;
        self.summarise_all = !single_window;
        self.pending.clear();
    }

    /// As `finish`, leaving this scan to `reset` for the next file.
    pub fn conclude(&mut self) -> Vec<Detection> {
        let d = self.detector;
        let vocab = &d.set.vocabulary;
        let mut out = Vec::new();
        // One finding per place and view: overlapping chunks and alternative decodings of a
        // region report the same key at the same spot.
        let mut seen = std::collections::BTreeSet::new();
        for p in self.pending.drain(..) {
            let rule = &d.set.rules[p.rule];
            let facts = self.given.as_ref().unwrap_or(&self.facts);
            // Handed-in facts stand for the whole file; the windows' summary takes the density
            // of the view holding the most values of the rule's shape.
            let views = self.shapes.iter().filter(|_| self.given.is_none());
            let file = FileLevel {
                has_keyword: facts.keyword.get(p.rule).copied().unwrap_or(false),
                has_host: facts.host.get(p.rule).copied().unwrap_or(false),
                shape_count: views
                    .filter_map(|(_, counts)| counts.get(p.rule).copied())
                    .chain(facts.shapes.get(p.rule).copied())
                    .max()
                    .unwrap_or(0),
                path: &self.path,
            };
            let mut ev = p.evidence;
            ev.extend(evidence::file_evidence(&file, rule, vocab));
            evidence::settle(&mut ev);
            let first_line = p.first_line;
            let scored = evidence::score(&ev, vocab, &|i| first_line + i as u64);
            let Some(confidence) = scored.confidence else {
                continue;
            };
            if !seen.insert((p.view, p.line, p.column, p.rule, p.value.clone())) {
                continue;
            }
            let mut reasons = scored.reasons;
            if !p.decoded.is_empty() {
                let layers: Vec<&str> = p.decoded.iter().map(|l| l.name()).collect();
                reasons.push(Reason {
                    kind: evidence::Kind::Decoded,
                    weight: 0,
                    text: format!("decoded from {}", layers.join(", then ")),
                    line: None,
                });
            }
            out.push(Detection {
                rule: p.rule,
                secret: Secret::new(p.value),
                line: p.line,
                column: p.column,
                end_column: p.end_column,
                score: scored.score,
                confidence,
                reasons,
                encoding: p.encoding,
                snippet: p.snippet,
                allowed: p.allowed,
            });
        }
        out
    }
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
        let anchors: Option<Vec<Vec<u8>>> = set.rules.iter().map(|r| r.anchor.clone()).collect();
        let decoder = encoded::Decoder::new(anchors.clone());
        // Wide text is worth a search where a widened anchor, or a widened base64 image of one,
        // shows.
        let wide_hints = wide::WideHints::new(anchors.map(|a| {
            let images = decoder.images().unwrap_or_default();
            a.into_iter()
                .chain(images.iter().map(|i| i.literal().to_vec()))
                .collect()
        }));
        Detector {
            set,
            keywords,
            hosts,
            decode: true,
            decoder,
            wide_hints,
        }
    }

    /// Turns decoding (base64, URL encoding, escapes) on or off.
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

    /// Searches one standalone window: `start_file`, `window` and `finish` in one call. With
    /// `doc.file`, the whole file's facts are the ones given.
    pub fn detect(&self, doc: &Document<'_>) -> Vec<Detection> {
        let mut scan = self.start_file(doc.path, true);
        scan.window(doc);
        scan.finish()
    }

    /// Searches the wide text of one standalone window (see `FileScan::wide`).
    pub fn detect_wide(&self, doc: &Document<'_>) -> Vec<Detection> {
        let mut scan = self.start_file(doc.path, true);
        scan.wide(doc);
        scan.finish()
    }

    /// Starts searching one file (or stream) at `path`. `single_window` says the whole text
    /// comes in one window, so that a window without candidates need not be summarised.
    pub fn start_file(&self, path: &str, single_window: bool) -> FileScan<'_> {
        let n = self.set.rules.len();
        FileScan {
            detector: self,
            path: path.to_string(),
            facts: FileFacts {
                keyword: vec![false; n],
                host: vec![false; n],
                shapes: vec![0; n],
            },
            shapes: Vec::new(),
            given: None,
            summarise_all: !single_window,
            pending: Vec::new(),
            candidates: Vec::new(),
            line_starts: Vec::new(),
        }
    }

    fn window<'a>(&'a self, doc: &Document<'a>, line_starts: Vec<usize>) -> Window<'a> {
        let text = doc.text;
        let head = &text[..text.len().min(512)];
        Window::in_buffer(
            text,
            filekind::classify(doc.path, head),
            &self.keywords,
            &self.hosts,
            doc.first_line == 1 && doc.first_column == 0,
            line_starts,
        )
    }

    /// Assesses a candidate as far as its window allows: its slot first (most candidates stop
    /// there), then the pattern, the placeholders and the window's evidence.
    fn assess(
        &self,
        doc: &Document<'_>,
        w: &Window<'_>,
        ri: usize,
        cand: &candidates::Candidate,
        idx: usize,
    ) -> Option<Pending> {
        let rule = &self.set.rules[ri];
        let vocab = &self.set.vocabulary;
        let slot = evidence::slot(w, ri, rule, vocab, idx, (cand.start, cand.end))?;
        let found = candidates::confirm(rule, w.text, cand)?;
        if placeholder::placeholder_reason(&found.value, &rule.placeholders).is_some() {
            return None;
        }
        let span = (found.start, found.end);
        let mut ev = evidence::gather(w, ri, rule, vocab, span, idx, slot.name.as_ref());
        ev.extend(slot.evidence);
        Some(self.pending(doc, w, ri, found.value, span, ev, doc.encoding))
    }

    /// Decodes an encoded region (base64, URL-encoded, escaped; layers inside it too) and
    /// assesses the values inside it. A value keeps its own name when the decoded text names it
    /// (`LUSHA_API_KEY=...` inside an encoded `.env`), and otherwise takes the name of the slot
    /// the region sits in (`LUSHA_API_KEY: <base64>`). A value the region holds as it is was
    /// found by the plain search already.
    fn assess_encoded(
        &self,
        doc: &Document<'_>,
        w: &Window<'_>,
        region: &encoded::Region,
        decodings: Vec<encoded::Decoded>,
    ) -> Vec<Pending> {
        let vocab = &self.set.vocabulary;
        let (a, b) = (region.start, region.end);
        let mut out = Vec::new();
        let outer_idx = w.lines.index_of(a);
        for encoded::Decoded {
            bytes: decoded,
            layers,
        } in decodings
        {
            let mut inner_found = Vec::new();
            for (ri, rule) in self.set.rules.iter().enumerate() {
                let (cands, _) = candidates::find(rule, &decoded, 0..decoded.len());
                inner_found.extend(
                    cands
                        .iter()
                        .filter_map(|c| candidates::confirm(rule, &decoded, c))
                        .map(|c| (ri, c)),
                );
            }
            if inner_found.is_empty() {
                continue;
            }
            let inner = Window::new(
                &decoded,
                filekind::FileKind::Text,
                &self.keywords,
                &self.hosts,
                true,
            );
            for (ri, cand) in inner_found {
                let rule = &self.set.rules[ri];
                if placeholder::placeholder_reason(&cand.value, &rule.placeholders).is_some()
                    || encoded::holds_literally(&w.text[a..b], &cand.value)
                {
                    continue;
                }
                let headers = &rule.spec.headers;
                let outer_name = context::find_name(w, outer_idx, a, vocab, headers);
                let outer_ev =
                    evidence::gather(w, ri, rule, vocab, (a, b), outer_idx, outer_name.as_ref());
                let inner_idx = inner.lines.index_of(cand.start);
                let inner_name = context::find_name(&inner, inner_idx, cand.start, vocab, headers);
                let span = (cand.start, cand.end);
                let mut inner_ev = evidence::gather(
                    &inner,
                    ri,
                    rule,
                    vocab,
                    span,
                    inner_idx,
                    inner_name.as_ref(),
                );
                // Evidence from inside the decoded text comes from the line of the run.
                for e in &mut inner_ev {
                    e.line = Some(outer_idx);
                }
                let inner_name_ev = inner_name
                    .as_ref()
                    .and_then(|n| evidence::name_evidence(n, rule, vocab))
                    .map(|mut e| {
                        e.line = Some(outer_idx);
                        e
                    });
                let name_ev = inner_name_ev.or_else(|| {
                    outer_name
                        .as_ref()
                        .and_then(|n| evidence::name_evidence(n, rule, vocab))
                        .map(|mut e| {
                            e.line = e.line.or(Some(outer_idx));
                            e
                        })
                });
                let mut ev: Vec<Evidence> = evidence::merge(outer_ev, inner_ev);
                ev.extend(name_ev);
                let encoding = Some(region.layer.encoding());
                let mut p = self.pending(doc, w, ri, cand.value, (a, b), ev, encoding);
                p.decoded.clone_from(&layers);
                out.push(p);
            }
        }
        out
    }

    /// What a candidate's report needs from its window: where it is, its line and the window's
    /// evidence. The file's evidence and the score come when the file is done.
    #[allow(clippy::too_many_arguments)]
    fn pending(
        &self,
        doc: &Document<'_>,
        w: &Window<'_>,
        ri: usize,
        value: String,
        (start, end): (usize, usize),
        evidence: Vec<Evidence>,
        encoding: Option<Encoding>,
    ) -> Pending {
        let idx = w.lines.index_of(start);
        let (ls, le) = w.lines.bounds(w.text, idx);
        let base = if idx == 0 { doc.first_column } else { 0 };
        let column = base + lines::char_count(&w.text[ls..start]) + 1;
        let end_column = column + lines::char_count(&w.text[start..end.min(le.max(start))]);
        Pending {
            rule: ri,
            value,
            first_line: doc.first_line,
            line: doc.first_line + idx as u64,
            column,
            end_column,
            snippet: self.snippet(w.text, (ls, le), (start, end), encoding),
            allowed: memchr::memmem::find(&w.text[ls..le], ALLOW_MARKER).is_some(),
            encoding,
            view: doc.encoding,
            evidence,
            decoded: Vec::new(),
        }
    }

    /// The line around `start..end`, cut to a readable length, with every value that has the
    /// shape of any rule's secret, every long base64 run and every escaped token that decodes to
    /// a secret masked, in the text and in wide text among binary data; a decoded finding's own
    /// region too.
    fn snippet(
        &self,
        text: &[u8],
        (ls, le): (usize, usize),
        (start, end): (usize, usize),
        encoding: Option<Encoding>,
    ) -> String {
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
        let mut masks: Vec<(usize, usize, Option<&str>)> = Vec::new();
        for rule in &self.set.rules {
            masks.extend(
                rule.regex
                    .find_iter(region)
                    .map(|m| (ma + m.start(), ma + m.end(), None)),
            );
        }
        masks.extend(
            self.decoder
                .masks(region)
                .into_iter()
                .map(|(x, y, label)| (ma + x, ma + y, Some(label))),
        );
        masks.extend(
            self.wide_masks(region)
                .into_iter()
                .map(|(x, y)| (ma + x, ma + y, Some("wide"))),
        );
        if let Some(e @ (Encoding::Base64 | Encoding::Url | Encoding::Escape)) = encoding {
            masks.push((start, end.min(le), Some(e.as_str())));
        }
        masks.sort_unstable();
        let mut out = String::new();
        if a > ls {
            out.push('…');
        }
        let mut pos = a;
        for (ms, me, label) in masks {
            if me <= pos || ms >= b {
                continue;
            }
            let ms = ms.max(pos);
            out.push_str(&String::from_utf8_lossy(&text[pos..ms]));
            let hidden = String::from_utf8_lossy(&text[ms..me.min(b)]);
            match label {
                Some(label) => {
                    out.extend(hidden.chars().take(4));
                    out.push_str(&format!("…({label})"));
                }
                None => out.push_str(&secret::redact(&hidden)),
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
