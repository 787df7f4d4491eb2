//! Secrets hidden by an encoding that a text search cannot see through, and the driver that
//! decodes them. Three layers are decoded, nested up to `DEPTH` deep in any order (base64 of
//! base64, base64 of JSON with `\u002d`, a URL-encoded base64 value):
//!
//! - **base64** (either alphabet, padded or not): runs of at least `MIN_RUN` characters, also
//!   when wrapped over several lines (`base64` writes 76 columns, PEM 64; YAML block scalars,
//!   JSON arrays of lines, `\n` escapes inside a string). A rule's anchor literal has a fixed
//!   base64 image at each of the three byte alignments (`-4` becomes `LT[QR]`, `[CSiy]00` or
//!   `tN`). Runs are found by testing every other block of 16 bytes (a cheap vector test);
//!   those that hold an image are decoded whole, in bounded chunks, at every alignment; the
//!   others only when they decode to text, to look for the next layer inside (base64 of base64).
//! - **URL encoding**: a token holding `%XX` escapes.
//! - **backslash escapes**: a token holding `\uXXXX`, `\xXX` or `\/` (JSON, JavaScript, Python).
//!
//! A decoded layer is searched for the next one only when it looks like text; inner layers are
//! decoded in place, so the name a value is assigned to in the decoded text stays next to it.
//! The cost is bounded: a region is at most a window, each layer's output is no longer than its
//! input, at most four alignments are tried per base64 chunk, and the depth is fixed.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

/// The shortest run worth decoding: 48 characters carry 36 bytes, a hyphenated UUID.
pub const MIN_RUN: usize = 48;
/// How many encodings deep a secret is looked for.
pub const DEPTH: usize = 3;
/// A long base64 run is decoded in chunks of this many characters...
const CHUNK: usize = 64 << 10;
/// ...that overlap by this many, so a secret and the text around it always fit in one.
const CHUNK_OVERLAP: usize = 4 << 10;
/// An escaped token reaches at most this far on either side of its first escape.
const MAX_TOKEN: usize = 4 << 10;
/// A line break between two pieces of a wrapped base64 run is at most this long (indentation,
/// quotes, a comma).
const MAX_SEPARATOR: usize = 256;
/// Bytes looked at to tell decoded text from decoded binary data.
const TEXT_SAMPLE: usize = 512;
/// Bytes looked at to tell UTF-16 or UTF-32 text (a quarter of them may be left without zeros).
const WIDE_SAMPLE: usize = 4 * TEXT_SAMPLE;
/// Base64 characters that decode to at least `WIDE_SAMPLE` bytes: all `decode_base64` needs to
/// tell whether a chunk is text.
const HEAD_CHARS: usize = (WIDE_SAMPLE / 3 + 1) * 4;

/// Does the head of some decoded bytes say they are text, or wide text once their zeros are
/// dropped? `decode_base64` keeps a chunk without an anchor only then.
fn may_be_text(head: &[u8]) -> bool {
    looks_like_text(head)
        || (memchr::memchr(0, &head[..head.len().min(WIDE_SAMPLE)]).is_some()
            && wide_text(&head[..head.len().min(WIDE_SAMPLE)]))
}

/// Bytes that read as text once their zero bytes are dropped.
fn wide_text(bytes: &[u8]) -> bool {
    looks_like_text(&super::wide::strip_zeros(bytes))
}

static IS_B64: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        t[i] = c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'-' || c == b'_';
        i += 1;
    }
    t
};

fn is_b64(c: u8) -> bool {
    IS_B64[usize::from(c)]
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The 6-bit value of a base64 character (either alphabet).
fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// An encoding layer the driver decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    Base64,
    /// Percent-encoding (`%2D`).
    Url,
    /// Backslash escapes (`\u002d`, `\x2d`, `\/`).
    Escape,
}

impl Layer {
    /// How a finding decoded from this layer is marked in reports.
    pub fn encoding(self) -> super::Encoding {
        match self {
            Layer::Base64 => super::Encoding::Base64,
            Layer::Url => super::Encoding::Url,
            Layer::Escape => super::Encoding::Escape,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Layer::Base64 => "base64",
            Layer::Url => "URL encoding",
            Layer::Escape => "backslash escapes",
        }
    }
}

/// The base64 image of an anchor at one alignment: the characters it fully determines, and
/// the bits it fixes in the characters on either side.
#[derive(Debug, Clone)]
pub struct Image {
    literal: Vec<u8>,
    before: Option<(u8, u8)>,
    after: Option<(u8, u8)>,
    /// Built once: building a searcher costs more than searching a small file.
    finder: memchr::memmem::Finder<'static>,
}

impl Image {
    pub fn literal(&self) -> &[u8] {
        &self.literal
    }
}

/// The images of `anchor` at the three alignments, or `None` when an alignment determines
/// fewer than two characters (too short an anchor to search for).
pub fn images(anchor: &[u8]) -> Option<Vec<Image>> {
    let bits = anchor.len() * 8;
    let bit = |i: usize| (anchor[i / 8] >> (7 - i % 8)) & 1;
    let mut out = Vec::new();
    for align in 0..3 {
        let (start, end) = (8 * align, 8 * align + bits);
        let mut literal = Vec::new();
        let (mut before, mut after) = (None, None);
        for k in start / 6..=(end - 1) / 6 {
            let (mut mask, mut value) = (0u8, 0u8);
            for j in 0..6 {
                let pos = 6 * k + j;
                if (start..end).contains(&pos) {
                    mask |= 1 << (5 - j);
                    value |= bit(pos - start) << (5 - j);
                }
            }
            if mask == 0x3F {
                literal.push(STANDARD[usize::from(value)]);
            } else if literal.is_empty() {
                before = Some((mask, value));
            } else {
                after = Some((mask, value));
            }
        }
        if literal.len() < 2 {
            return None;
        }
        out.push(Image {
            finder: memchr::memmem::Finder::new(&literal).into_owned(),
            literal,
            before,
            after,
        });
    }
    Some(out)
}

fn fits(c: Option<&u8>, bits: Option<(u8, u8)>) -> bool {
    match bits {
        None => true,
        Some((mask, value)) => c
            .and_then(|&c| sextet(c))
            .is_some_and(|v| v & mask == value),
    }
}

/// Positions in `text` where one of `images` occurs (with its edge bits).
fn image_hits(text: &[u8], images: &[Image]) -> Vec<usize> {
    let mut hits = Vec::new();
    for image in images {
        let n = image.literal.len();
        hits.extend(image.finder.find_iter(text).filter(|&p| {
            fits(p.checked_sub(1).map(|i| &text[i]), image.before)
                && fits(text.get(p + n), image.after)
        }));
    }
    hits.sort_unstable();
    hits
}

/// A stretch of text that decodes to something else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub start: usize,
    pub end: usize,
    pub layer: Layer,
    /// For base64, the pieces of a run wrapped over several lines; for the escapes, the token.
    pieces: Vec<(usize, usize)>,
}

/// One decoding of a region: the bytes, and the layers that were decoded to get them
/// (outermost first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub bytes: Vec<u8>,
    pub layers: Vec<Layer>,
}

/// Finds and decodes encoded regions for a set of rules.
#[derive(Debug, Clone)]
pub struct Decoder {
    /// Base64 images of every rule's anchor; `None` when some rule has no anchor, and every run
    /// long enough is decoded.
    images: Option<Vec<Image>>,
    /// Every rule's anchor; `None` when some rule has none.
    anchors: Option<Vec<Vec<u8>>>,
}

impl Decoder {
    pub fn new(anchors: Option<Vec<Vec<u8>>>) -> Decoder {
        let images = anchors.as_ref().and_then(|a| {
            a.iter()
                .map(|x| images(x))
                .collect::<Option<Vec<_>>>()
                .map(|v| v.concat())
        });
        Decoder { images, anchors }
    }

    /// The base64 images of the anchors, if every rule has one.
    pub fn images(&self) -> Option<&[Image]> {
        self.images.as_deref()
    }

    /// How many anchors `bytes` holds; `None` when some rule has none.
    fn anchor_count(&self, bytes: &[u8]) -> Option<usize> {
        self.anchors.as_ref().map(|anchors| {
            anchors
                .iter()
                .map(|a| memchr::memmem::find_iter(bytes, a).count())
                .sum()
        })
    }

    /// Could `bytes` hold a secret of some rule as it is?
    fn may_hold_secret(&self, bytes: &[u8]) -> bool {
        match &self.anchors {
            None => true,
            Some(anchors) => anchors
                .iter()
                .any(|a| memchr::memmem::find(bytes, a).is_some()),
        }
    }

    /// The encoded regions that start in `owned` and decode (up to `DEPTH` layers) to something
    /// that may hold a secret, in order, each with those decodings: for base64, the chunks and
    /// alignments that hold an anchor.
    pub fn regions(
        &self,
        text: &[u8],
        owned: std::ops::Range<usize>,
    ) -> Vec<(Region, Vec<Decoded>)> {
        self.find(text, owned)
            .into_iter()
            .filter_map(|r| {
                let mut decoded = self.decode_at(text, &r, DEPTH);
                decoded.retain(|d| self.may_hold_secret(&d.bytes));
                (!decoded.is_empty()).then_some((r, decoded))
            })
            .collect()
    }

    /// The encoded regions that start in `owned`, in order, not decoded yet. Base64 runs inside
    /// an escaped token are left to the token (they are decoded as its next layer).
    fn find(&self, text: &[u8], owned: std::ops::Range<usize>) -> Vec<Region> {
        let mut out = self.escaped_tokens(text, owned.clone());
        let tokens = out.len();
        for run in self.base64_runs(text, owned) {
            let inside = out[..tokens]
                .iter()
                .any(|t| t.start <= run.start && run.end <= t.end);
            if !inside {
                out.push(run);
            }
        }
        out.sort_by_key(|r| (r.start, r.end));
        out
    }

    /// Decodes a region and, in place, the layers inside it, `depth` layers in all: for base64,
    /// each chunk at each alignment that holds an anchor or decodes to text.
    fn decode_at(&self, text: &[u8], region: &Region, depth: usize) -> Vec<Decoded> {
        if depth == 0 {
            return Vec::new();
        }
        let mut out = Vec::new();
        match region.layer {
            Layer::Base64 => {
                for chars in variants(text, &region.pieces) {
                    self.decode_base64(&chars, depth, &mut out);
                }
            }
            Layer::Url | Layer::Escape => {
                let token = &text[region.start..region.end];
                let bytes = if region.layer == Layer::Url {
                    percent_decode(token)
                } else {
                    unescape(token)
                };
                let (bytes, mut inner) = self.expand(bytes, depth - 1);
                inner.insert(0, region.layer);
                out.push(Decoded {
                    bytes,
                    layers: inner,
                });
            }
        }
        out
    }

    /// Decodes the characters of a base64 run in chunks, at each alignment. A chunk that may
    /// hold an anchor is kept as decoded; one that decodes to text is searched for the next
    /// layer; the rest is dropped.
    fn decode_base64(&self, chars: &[u8], depth: usize, out: &mut Vec<Decoded>) {
        let url_safe = memchr::memchr2(b'-', b'_', chars).is_some();
        let engine = engine(url_safe);
        let hits = self
            .images
            .as_deref()
            .map(|images| image_hits(chars, images));
        let mut start = 0;
        loop {
            let end = (start + CHUNK).min(chars.len());
            let chunk = &chars[start..end];
            let anchored = match &hits {
                None => true,
                Some(h) => {
                    let i = h.partition_point(|&p| p < start);
                    h.get(i).is_some_and(|&p| p < end)
                }
            };
            for skip in 0..4.min(chunk.len()) {
                let mut body = &chunk[skip..];
                if body.len() % 4 == 1 {
                    body = &body[..body.len() - 1];
                }
                // Without an anchor only text is kept, and whether the bytes are text is decided
                // by their head: decode that first, and the rest only for text (most long runs
                // without an anchor are images and keys, binary at every alignment).
                if !anchored && body.len() > HEAD_CHARS {
                    let mut head = [0u8; HEAD_CHARS / 4 * 3];
                    match engine.decode_slice(&body[..HEAD_CHARS], &mut head) {
                        Ok(n) if may_be_text(&head[..n]) => {}
                        _ => continue,
                    }
                }
                let Ok(mut bytes) = engine.decode(body) else {
                    continue;
                };
                // UTF-16 text (PowerShell's `-EncodedCommand`) reads as text without its zeros;
                // binary data (most of it) fails the test on a sample before anything is copied.
                if !looks_like_text(&bytes)
                    && memchr::memchr(0, &bytes).is_some()
                    && wide_text(&bytes[..bytes.len().min(WIDE_SAMPLE)])
                {
                    bytes = super::wide::strip_zeros(&bytes);
                }
                if looks_like_text(&bytes) {
                    let (bytes, mut inner) = self.expand(bytes, depth - 1);
                    inner.insert(0, Layer::Base64);
                    out.push(Decoded {
                        bytes,
                        layers: inner,
                    });
                } else if anchored {
                    out.push(Decoded {
                        bytes,
                        layers: vec![Layer::Base64],
                    });
                }
            }
            if end == chars.len() {
                break;
            }
            start = end - CHUNK_OVERLAP;
        }
    }

    /// Decodes, in place, the encoded regions inside `bytes` that could hold a secret, up to
    /// `depth` more layers. Returns the text and the layers decoded inside it.
    fn expand(&self, bytes: Vec<u8>, depth: usize) -> (Vec<u8>, Vec<Layer>) {
        if depth == 0 || !looks_like_text(&bytes) {
            return (bytes, Vec::new());
        }
        let regions = self.find(&bytes, 0..bytes.len());
        if regions.is_empty() {
            return (bytes, Vec::new());
        }
        let mut out = Vec::with_capacity(bytes.len());
        let mut layers = Vec::new();
        let mut pos = 0;
        for region in &regions {
            if region.start < pos {
                continue;
            }
            let decoded = self.decode_at(&bytes, region, depth);
            let best = decoded
                .iter()
                .find(|d| self.may_hold_secret(&d.bytes))
                .or_else(|| decoded.iter().find(|d| looks_like_text(&d.bytes)));
            if let Some(d) = best {
                out.extend_from_slice(&bytes[pos..region.start]);
                out.extend_from_slice(&d.bytes);
                pos = region.end;
                for &l in &d.layers {
                    if !layers.contains(&l) {
                        layers.push(l);
                    }
                }
            }
        }
        if pos == 0 {
            return (bytes, Vec::new());
        }
        out.extend_from_slice(&bytes[pos..]);
        (out, layers)
    }

    /// Tokens holding `%XX`, `\uXXXX`, `\xXX` or `\/` escapes, starting in `owned`.
    fn escaped_tokens(&self, text: &[u8], owned: std::ops::Range<usize>) -> Vec<Region> {
        let mut out = Vec::new();
        let from = owned.start.min(text.len());
        let to = owned.end.saturating_add(MAX_TOKEN).min(text.len());
        let mut covered = 0;
        for i in escape_starts(&text[from..to]).into_iter().map(|i| from + i) {
            if i < covered {
                continue;
            }
            let Some(layer) = escape_at(text, i) else {
                continue;
            };
            let (a, b) = token_around(text, i);
            covered = b;
            if owned.contains(&a) {
                out.push(Region {
                    start: a,
                    end: b,
                    layer,
                    pieces: vec![(a, b)],
                });
            }
        }
        out
    }

    /// Base64 runs of at least `MIN_RUN` characters (joined over line breaks) starting in
    /// `owned`, found by testing every other block of `BLOCK` bytes (a piece that long always
    /// covers one whole): those that hold an anchor image, and those that decode to text (to look
    /// for the next layer inside). One pass over blocks costs less than the three searches for
    /// the images over the whole text; the images are looked for in the runs only.
    fn base64_runs(&self, text: &[u8], owned: std::ops::Range<usize>) -> Vec<Region> {
        let from = owned.start.min(text.len());
        let to = owned.end.saturating_add(MIN_RUN).min(text.len());
        let mut out = Vec::new();
        let mut covered = from;
        while let Some(p) = base64_block_at_or_after(text, from, covered, to) {
            // A piece of `MIN_RUN` holding this block holds the block before it or the one
            // after it: most blocks (inside a long identifier) fail this without a byte loop.
            let before = p >= from + BLOCK && block_b64_at(text, p - BLOCK);
            let after = block_b64_at(text, p + BLOCK);
            if !before && !after {
                covered = p + BLOCK;
                continue;
            }
            let piece = piece_around(text, p, from);
            covered = piece.1.max(p + 1);
            if piece.1 - piece.0 < MIN_RUN {
                continue;
            }
            let pieces = if may_wrap(text, piece, from) {
                wrapped_run(text, piece, from)
            } else {
                vec![piece]
            };
            let (Some(&(a, _)), Some(&(_, b))) = (pieces.first(), pieces.last()) else {
                continue;
            };
            covered = covered.max(b);
            let len: usize = pieces.iter().map(|(x, y)| y - x).sum();
            if len < MIN_RUN || !owned.contains(&a) || !worth_decoding(text, &pieces) {
                continue;
            }
            // A run without an anchor image (a digest, image data) is worth decoding only as a
            // next layer: when it decodes to text. Most fail this after eight characters.
            let anchored = match self.images.as_deref() {
                None => true,
                Some(images) if pieces.len() == 1 => !image_hits(&text[a..b], images).is_empty(),
                Some(images) => {
                    let joined: Vec<u8> = pieces
                        .iter()
                        .flat_map(|&(x, y)| text[x..y].iter().copied())
                        .collect();
                    !image_hits(&joined, images).is_empty()
                }
            };
            if anchored || starts_as_text(text, &pieces) {
                out.push(Region {
                    start: a,
                    end: b,
                    layer: Layer::Base64,
                    pieces,
                });
            }
        }
        out
    }
}

/// Does the run decode to text at one of the four alignments? Looks at its first characters only:
/// 8, then 64 of them (random bytes fail the first test almost always). Allocates nothing: it
/// runs on every long run of a file.
fn starts_as_text(text: &[u8], pieces: &[(usize, usize)]) -> bool {
    let mut head = [0u8; 64];
    let mut len = 0;
    for &(a, b) in pieces {
        let take = (b - a).min(head.len() - len);
        head[len..len + take].copy_from_slice(&text[a..a + take]);
        len += take;
        if len == head.len() {
            break;
        }
    }
    let head = &head[..len];
    let url_safe = head.iter().any(|&c| c == b'-' || c == b'_');
    let engine = engine(url_safe);
    let text_at = |skip: usize, chars: usize| {
        let body = head.get(skip..).unwrap_or_default();
        let body = &body[..body.len().min(chars) / 4 * 4];
        let mut out = [0u8; 48];
        engine.decode_slice(body, &mut out).is_ok_and(|n| {
            let bytes = &out[..n];
            looks_like_text(bytes)
                || (memchr::memchr(0, bytes).is_some()
                    && looks_like_text(&super::wide::strip_zeros(bytes)))
        })
    };
    // The first eight characters decoded by hand: six bytes, all printable (or zero, for UTF-16).
    let quick = |skip: usize| {
        let Some(chars) = head.get(skip..skip + 8) else {
            return false;
        };
        let mut bits: u64 = 0;
        for &c in chars {
            let Some(v) = sextet(c) else {
                return false;
            };
            bits = bits << 6 | u64::from(v);
        }
        (0..6).all(|i| {
            matches!(
                (bits >> (40 - 8 * i)) as u8,
                0 | b'\t' | b'\n' | b'\r' | 0x20..=0x7E
            )
        })
    };
    (0..4).any(|skip| quick(skip) && text_at(skip, 64))
}

/// The first sampled block at or after `at` (blocks of `BLOCK` bytes, every other one, aligned
/// on `origin`) that is all base64 and ends before `to`. A piece of `MIN_RUN` always covers two
/// whole aligned blocks, one of them sampled. In code and prose few blocks pass (words are
/// shorter), so this costs a fraction of a cycle per byte.
fn base64_block_at_or_after(text: &[u8], origin: usize, at: usize, to: usize) -> Option<usize> {
    const _: () = assert!(MIN_RUN >= 3 * BLOCK - 1);
    let stride = 2 * BLOCK;
    let start = origin + (at.saturating_sub(origin)).div_ceil(stride) * stride;
    let end = to.min(text.len());
    let mut p = start;
    // A plain loop over fixed-size blocks: each test is a handful of vector instructions.
    while p + BLOCK <= end {
        if block_b64_at(text, p) {
            return Some(p);
        }
        p += stride;
    }
    None
}

/// Could a piece shorter than a run be part of a wrapped one? It must end its line with a whole
/// number of quanta, or start its line.
fn may_wrap(text: &[u8], (a, b): (usize, usize), floor: usize) -> bool {
    if (b - a) % 4 == 0 && ends_line(text, b) {
        return true;
    }
    let mut i = a;
    while i > floor && matches!(text[i - 1], b' ' | b'\t' | b'"' | b'\'' | b',' | b'\r') {
        i -= 1;
    }
    i == floor
        || text[i - 1] == b'\n'
        || (i >= floor + 2 && text[i - 1] == b'n' && text[i - 2] == b'\\')
}

/// 1 for a byte that is not base64, else 0: arithmetic without branches, so that the test of a
/// whole block compiles to a few vector instructions.
#[inline(always)]
fn not_b64(c: u8) -> u8 {
    let letter = (c | 0x20).wrapping_sub(b'a') < 26;
    let digit = c.wrapping_sub(b'0') < 10;
    let sign = (c == b'+') | (c == b'/') | (c == b'-') | (c == b'_');
    u8::from(!(letter | digit | sign))
}

/// Bytes crossed at a time inside a run: a 16-byte block compiles to straight-line vector code,
/// which crosses a long run for less than two 8-byte words.
const BLOCK: usize = 16;

/// Is every byte of the `BLOCK` bytes at `p` base64? False past the end.
#[inline(always)]
fn block_b64_at(text: &[u8], p: usize) -> bool {
    text.get(p..p + BLOCK)
        .and_then(|b| <&[u8; BLOCK]>::try_from(b).ok())
        .is_some_and(|b| b.iter().fold(0u8, |bad, &c| bad | not_b64(c)) == 0)
}

/// The maximal stretch of base64 characters around `p`, not reaching before `floor`. Long runs
/// are crossed a block at a time.
fn piece_around(text: &[u8], p: usize, floor: usize) -> (usize, usize) {
    let mut a = p;
    while a >= floor + BLOCK && block_b64_at(text, a - BLOCK) {
        a -= BLOCK;
    }
    while a > floor && is_b64(text[a - 1]) {
        a -= 1;
    }
    let mut b = p;
    while block_b64_at(text, b) {
        b += BLOCK;
    }
    while b < text.len() && is_b64(text[b]) {
        b += 1;
    }
    (a, b)
}

/// Does `sep` join two pieces of one wrapped base64 run? It must break the line (a newline, or
/// a `\n` escape inside a string) and hold nothing but white space, quotes and one comma.
fn is_separator(sep: &[u8]) -> bool {
    if sep.is_empty() || sep.len() > MAX_SEPARATOR {
        return false;
    }
    let (mut breaks, mut commas, mut i) = (false, 0, 0);
    while i < sep.len() {
        match sep[i] {
            b'\n' => breaks = true,
            b' ' | b'\t' | b'\r' | b'"' | b'\'' => {}
            b',' => commas += 1,
            b'\\' if matches!(sep.get(i + 1), Some(b'n')) => {
                breaks = true;
                i += 1;
            }
            b'\\' if matches!(sep.get(i + 1), Some(b'r')) => i += 1,
            _ => return false,
        }
        i += 1;
    }
    breaks && commas <= 1
}

/// Does a piece ending at `end` finish its line: padding, a closing quote, a comma or bracket,
/// a `\n` escape, then only white space up to the line break?
fn ends_line(text: &[u8], end: usize) -> bool {
    let mut i = end;
    while i < text.len() && text[i] == b'=' && i < end + 2 {
        i += 1;
    }
    while i < text.len() {
        match text[i] {
            b'\n' => return true,
            b' ' | b'\t' | b'\r' | b'"' | b'\'' | b',' | b']' | b'}' => i += 1,
            b'\\' if matches!(text.get(i + 1), Some(b'n' | b'r')) => return true,
            _ => return false,
        }
    }
    true
}

fn alphabet_of(piece: &[u8]) -> (bool, bool) {
    (
        piece.iter().any(|&c| c == b'-' || c == b'_'),
        piece.iter().any(|&c| c == b'+' || c == b'/'),
    )
}

/// The run of piece `first`, with the pieces it continues over line breaks: a piece joins the next
/// when it is a whole number of base64 quanta (a wrapped line always is), ends its line, and the
/// next piece starts its line and ends it too (or ends the run), in the same alphabet.
fn wrapped_run(text: &[u8], first: (usize, usize), floor: usize) -> Vec<(usize, usize)> {
    let mut pieces = vec![first];
    let same_alphabet = |x: (usize, usize), y: (usize, usize)| {
        let (ux, sx) = alphabet_of(&text[x.0..x.1]);
        let (uy, sy) = alphabet_of(&text[y.0..y.1]);
        !((ux || uy) && (sx || sy))
    };
    // Forward.
    while let Some(&last) = pieces.last() {
        if (last.1 - last.0) % 4 != 0 || !ends_line(text, last.1) {
            break;
        }
        let mut s = last.1;
        while s < text.len() && !is_b64(text[s]) && s - last.1 <= MAX_SEPARATOR {
            if text[s] == b'\\' {
                s += 1;
            }
            s += 1;
        }
        if s >= text.len() || !is_separator(&text[last.1..s]) {
            break;
        }
        let next = piece_around(text, s, s);
        if !ends_line(text, next.1) || !same_alphabet(last, next) {
            break;
        }
        pieces.push(next);
    }
    // Backward, from the first piece when it starts its line.
    let mut before: Vec<(usize, usize)> = Vec::new();
    loop {
        let head = before.last().copied().unwrap_or(first);
        if head.0 <= floor {
            break;
        }
        let mut e = head.0;
        while e > floor && !is_b64(text[e - 1]) && head.0 - e <= MAX_SEPARATOR {
            e -= 1;
        }
        // A `\n` escape ends in `n`, which is a base64 character.
        if e >= floor + 2 && text[e - 1] == b'n' && text[e - 2] == b'\\' {
            e -= 2;
            while e > floor && !is_b64(text[e - 1]) && head.0 - e <= MAX_SEPARATOR {
                e -= 1;
            }
        }
        if e <= floor || !is_separator(&text[e..head.0]) {
            break;
        }
        let prev = piece_around(text, e - 1, floor);
        if (prev.1 - prev.0) % 4 != 0 || !same_alphabet(prev, head) {
            break;
        }
        before.push(prev);
    }
    before.reverse();
    before.extend(pieces);
    before
}

/// The characters of a run, joined, and the runs it would be without its first or its last
/// piece: a line joined by mistake can only be at either end, and must not glue bytes to a
/// secret next to it.
fn variants<'t>(text: &'t [u8], pieces: &[(usize, usize)]) -> Vec<std::borrow::Cow<'t, [u8]>> {
    let join = |ps: &[(usize, usize)]| -> std::borrow::Cow<'t, [u8]> {
        match ps {
            // Most runs are one piece: no copy.
            [(a, b)] => std::borrow::Cow::Borrowed(&text[*a..*b]),
            _ => {
                let mut v = Vec::with_capacity(ps.iter().map(|(a, b)| b - a).sum());
                for &(a, b) in ps {
                    v.extend_from_slice(&text[a..b]);
                }
                std::borrow::Cow::Owned(v)
            }
        }
    };
    let n = pieces.len();
    let mut out = vec![join(pieces)];
    if n >= 2 {
        out.push(join(&pieces[1..]));
        out.push(join(&pieces[..n - 1]));
    }
    if n >= 3 {
        out.push(join(&pieces[1..n - 1]));
    }
    out.retain(|v| v.len() >= MIN_RUN);
    out
}

/// Pure hex (digests), pure letters (identifiers) and paths (both alphabets' punctuation, as in
/// `/providers/Microsoft.Web/sites-x`) are not base64 payloads.
fn worth_decoding(text: &[u8], pieces: &[(usize, usize)]) -> bool {
    // One table lookup per byte: runs are many (ids, paths, hashes) and most are short.
    let mut seen = 0u8;
    for &(a, b) in pieces {
        seen = text[a..b]
            .iter()
            .fold(seen, |acc, &c| acc | CLASS[usize::from(c)]);
    }
    let has = |bit: u8| seen & bit != 0;
    let mixed_alphabets = has(URL_SAFE) && has(STANDARD_SIGN);
    !mixed_alphabets && has(NOT_HEX) && has(DIGIT) && has(UPPER) && has(LOWER)
}

/// Character classes of `worth_decoding`, one bit each.
const DIGIT: u8 = 1;
const UPPER: u8 = 2;
const LOWER: u8 = 4;
const NOT_HEX: u8 = 8;
const URL_SAFE: u8 = 16;
const STANDARD_SIGN: u8 = 32;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let c = i as u8;
        let mut bits = 0;
        if c.is_ascii_digit() {
            bits |= DIGIT;
        }
        if c.is_ascii_uppercase() {
            bits |= UPPER;
        }
        if c.is_ascii_lowercase() {
            bits |= LOWER;
        }
        if !c.is_ascii_hexdigit() {
            bits |= NOT_HEX;
        }
        if c == b'-' || c == b'_' {
            bits |= URL_SAFE;
        }
        if c == b'+' || c == b'/' {
            bits |= STANDARD_SIGN;
        }
        t[i] = bits;
        i += 1;
    }
    t
};

/// Byte ranges of base64-alphabet runs of at least `MIN_RUN` characters on one line, starting
/// in `owned` (for masking them in snippets).
pub fn runs(text: &[u8], owned: std::ops::Range<usize>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let step = MIN_RUN - 1;
    let mut p = owned.start + step.min(text.len().saturating_sub(owned.start));
    let lo = owned.start.saturating_sub(MIN_RUN);
    let mut covered = 0;
    while p < text.len() && p < owned.end + step {
        if p >= covered && is_b64(text[p]) {
            let (a, b) = piece_around(text, p, lo);
            covered = b;
            if b - a >= MIN_RUN
                && a >= owned.start
                && a < owned.end
                && worth_decoding(text, &[(a, b)])
            {
                out.push((a, b));
            }
        }
        p += step;
    }
    out
}

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
/// Decoders built at compile time: building one fills a table, which costs more than decoding
/// a short run.
static STANDARD_ENGINE: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
static URL_SAFE_ENGINE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

fn engine(url_safe: bool) -> &'static GeneralPurpose {
    if url_safe {
        &URL_SAFE_ENGINE
    } else {
        &STANDARD_ENGINE
    }
}

/// Decoded bytes that are text: no NUL or other control bytes but white space, and mostly
/// printable ASCII, in their first `TEXT_SAMPLE` bytes. Misaligned or binary base64 decodes to
/// bytes that fail this at once.
fn looks_like_text(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(TEXT_SAMPLE)];
    if sample.is_empty() {
        return false;
    }
    let mut printable = 0;
    for &b in sample {
        match b {
            b'\t' | b'\n' | b'\r' | 0x20..=0x7E => printable += 1,
            0x80..=0xFF => {}
            _ => return false,
        }
    }
    printable * 4 >= sample.len() * 3
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn hex_at(text: &[u8], i: usize, n: usize) -> Option<u32> {
    let digits = text.get(i..i + n)?;
    digits
        .iter()
        .try_fold(0u32, |v, &c| Some(v * 16 + u32::from(hex_value(c)?)))
}

/// Where an escape that could matter may start, in order: `\u`, `\x`, `\/`, and `%` before a
/// hex digit from 2 to 7. A percent escape of a byte outside 0x20..=0x7F (`%0A`, `%C3%A9`)
/// can spell no character of a secret, of a base64 run or of another escape, so a token holding
/// only those decodes to nothing a rule could match that the text does not already show.
///
/// Most text holds few backslashes and percent signs: a search for those two bytes, looking at
/// the byte after each, reads it fastest. A JSON file with a `\n` or `\"` every hundred bytes
/// would stop that search too often; once they are that dense, one vector search for the nine
/// two-byte starts reads the rest.
fn escape_starts(text: &[u8]) -> Vec<usize> {
    static STARTS: std::sync::OnceLock<Option<aho_corasick::packed::Searcher>> =
        std::sync::OnceLock::new();
    let searcher = STARTS.get_or_init(|| {
        aho_corasick::packed::Config::new()
            .builder()
            .extend([
                &b"\\u"[..],
                b"\\x",
                b"\\/",
                b"%2",
                b"%3",
                b"%4",
                b"%5",
                b"%6",
                b"%7",
            ])
            .build()
    });
    /// Stops of the byte search (relevant or not) per this many bytes before switching.
    const DENSE: usize = 128;
    let mut out = Vec::new();
    for (stops, i) in memchr::memchr2_iter(b'%', b'\\', text).enumerate() {
        let next = text.get(i + 1).copied().unwrap_or(0);
        let starts = match text[i] {
            b'%' => (b'2'..=b'7').contains(&next),
            _ => matches!(next, b'u' | b'x' | b'/'),
        };
        if starts {
            out.push(i);
        }
        if let Some(s) = searcher {
            if stops >= 32 && stops * DENSE > i {
                let from = i + 1;
                out.extend(s.find_iter(&text[from..]).map(|m| from + m.start()));
                return out;
            }
        }
    }
    out
}

/// The escape that starts at `i`, if any: `%XX`, `\uXXXX`, `\xXX` or `\/`.
fn escape_at(text: &[u8], i: usize) -> Option<Layer> {
    match (text.get(i), text.get(i + 1)) {
        (Some(b'%'), _) => hex_at(text, i + 1, 2).map(|_| Layer::Url),
        (Some(b'\\'), Some(b'u')) => hex_at(text, i + 2, 4).map(|_| Layer::Escape),
        (Some(b'\\'), Some(b'x')) => hex_at(text, i + 2, 2).map(|_| Layer::Escape),
        (Some(b'\\'), Some(b'/')) => Some(Layer::Escape),
        _ => None,
    }
}

/// Bytes that end a token: white space, quotes, brackets and the separators of assignments and
/// query strings.
fn ends_token(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t'
            | b'\r'
            | b'\n'
            | b'"'
            | b'\''
            | b'`'
            | b'<'
            | b'>'
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b','
            | b';'
            | b'&'
            | b'='
            | b'?'
    )
}

/// The token around the escape at `i`, at most `MAX_TOKEN` bytes on either side. A backslash
/// escape is one unit, so `\"` inside a JSON string does not end it.
fn token_around(text: &[u8], i: usize) -> (usize, usize) {
    let lo = i.saturating_sub(MAX_TOKEN);
    let hi = i.saturating_add(MAX_TOKEN).min(text.len());
    let mut a = i;
    while a > lo {
        let c = text[a - 1];
        if !ends_token(c) {
            a -= 1;
        } else if a >= lo + 2 && text[a - 2] == b'\\' && c != b'\\' {
            a -= 2;
        } else {
            break;
        }
    }
    let mut b = i;
    while b < hi {
        let c = text[b];
        if c == b'\\' && b + 1 < hi {
            b += 2;
        } else if ends_token(c) {
            break;
        } else {
            b += 1;
        }
    }
    (a, b.min(hi))
}

/// `%XX` escapes decoded; anything else kept as it is.
fn percent_decode(token: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len());
    let mut i = 0;
    while i < token.len() {
        if token[i] == b'%' {
            if let Some(v) = hex_at(token, i + 1, 2) {
                out.push(v as u8);
                i += 3;
                continue;
            }
        }
        out.push(token[i]);
        i += 1;
    }
    out
}

/// Backslash escapes decoded (JSON's, `\xXX` and `\'`); an unknown escape is kept as it is.
fn unescape(token: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(token.len());
    let mut i = 0;
    let push = |out: &mut Vec<u8>, c: char| {
        let mut tmp = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    };
    while i < token.len() {
        if token[i] != b'\\' || i + 1 >= token.len() {
            out.push(token[i]);
            i += 1;
            continue;
        }
        let simple = match token[i + 1] {
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            b'/' => Some(b'/'),
            b'\\' => Some(b'\\'),
            b'"' => Some(b'"'),
            b'\'' => Some(b'\''),
            _ => None,
        };
        if let Some(c) = simple {
            out.push(c);
            i += 2;
            continue;
        }
        match token[i + 1] {
            b'x' => {
                if let Some(v) = hex_at(token, i + 2, 2) {
                    out.push(v as u8);
                    i += 4;
                    continue;
                }
            }
            b'u' => {
                if let Some(u) = hex_at(token, i + 2, 4) {
                    // A surrogate pair is two escapes.
                    let low = (0xD800..0xDC00)
                        .contains(&u)
                        .then(|| {
                            (token.get(i + 6..i + 8) == Some(b"\\u"))
                                .then(|| hex_at(token, i + 8, 4))
                                .flatten()
                        })
                        .flatten()
                        .filter(|l| (0xDC00..0xE000).contains(l));
                    match low {
                        Some(l) => {
                            let v = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
                            push(&mut out, char::from_u32(v).unwrap_or('\u{FFFD}'));
                            i += 12;
                        }
                        None => {
                            push(&mut out, char::from_u32(u).unwrap_or('\u{FFFD}'));
                            i += 6;
                        }
                    }
                    continue;
                }
            }
            _ => {}
        }
        out.push(token[i]);
        i += 1;
    }
    out
}

impl Decoder {
    /// Stretches of `text` a snippet must not show: base64 runs, and escaped tokens that decode
    /// to more anchors than they show (a secret hidden by the escapes; one written plainly is
    /// masked by its pattern). Each with the name of its encoding.
    pub fn masks(&self, text: &[u8]) -> Vec<(usize, usize, &'static str)> {
        let mut out: Vec<(usize, usize, &'static str)> = runs(text, 0..text.len())
            .into_iter()
            .map(|(a, b)| (a, b, "base64"))
            .collect();
        for token in self.escaped_tokens(text, 0..text.len()) {
            let hides = match self.anchor_count(&text[token.start..token.end]) {
                None => true,
                Some(shown) => self
                    .decode_at(text, &token, DEPTH)
                    .iter()
                    .any(|d| self.anchor_count(&d.bytes).is_some_and(|n| n > shown)),
            };
            if hides {
                out.push((token.start, token.end, token.layer.encoding().as_str()));
            }
        }
        out
    }
}

/// Does `region` (raw text) hold `value` as it is, in any letter case? Then a plain search finds
/// it where it stands, and decoding must not report it again.
pub fn holds_literally(region: &[u8], value: &str) -> bool {
    let v = value.as_bytes();
    let found = |needle: &[u8]| memchr::memmem::find(region, needle).is_some();
    found(value.to_ascii_lowercase().as_bytes())
        || found(value.to_ascii_uppercase().as_bytes())
        || (region.len() <= MAX_TOKEN * 2
            && v.len() <= region.len()
            && region.windows(v.len()).any(|w| w.eq_ignore_ascii_case(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "098d45e7-381d-49ba-8f80-f8fe7d198873"; // lushaguard:allow (test key)

    fn decoder() -> Decoder {
        Decoder::new(Some(vec![b"-4".to_vec()]))
    }

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    /// Every decoding of every region of `text`.
    fn decoded(text: &str) -> Vec<Decoded> {
        let d = decoder();
        d.regions(text.as_bytes(), 0..text.len())
            .into_iter()
            .flat_map(|(_, decoded)| decoded)
            .collect()
    }

    fn reveals(text: &str, needle: &str) -> bool {
        decoded(text)
            .iter()
            .any(|d| memchr::memmem::find(&d.bytes, needle.as_bytes()).is_some())
    }

    #[test]
    fn finds_and_decodes_a_run() {
        let enc = b64(KEY);
        let text = format!("data:\n  LUSHA_API_KEY: {enc}\n");
        let d = decoder();
        let found = d.regions(text.as_bytes(), 0..text.len());
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].0.start..found[0].0.end], enc);
        assert!(reveals(&text, KEY));
    }

    #[test]
    fn images_of_the_uuid_v4_anchor() {
        let found = images(b"-4").unwrap();
        let lits: Vec<&[u8]> = found.iter().map(|i| i.literal.as_slice()).collect();
        assert_eq!(lits, [&b"LT"[..], b"00", b"tN"]);
        assert!(images(b"x").is_none());
    }

    #[test]
    fn runs_are_found_at_every_alignment_and_only_in_the_owned_range() {
        for prefix in ["", "a", "ab", "abc", "LUSHA_API_KEY=", "k=\n"] {
            let plain = format!("{prefix}{KEY}");
            for engine in [
                base64::engine::general_purpose::STANDARD,
                base64::engine::general_purpose::URL_SAFE,
            ] {
                let enc = engine.encode(&plain);
                let text = format!("key: {enc}\n");
                let r = decoder().regions(text.as_bytes(), 0..text.len());
                assert_eq!(r.len(), 1, "{prefix} {enc}");
                assert_eq!(
                    (r[0].0.start, r[0].0.end),
                    (5, 5 + enc.trim_end_matches('=').len())
                );
                assert!(reveals(&text, KEY), "{prefix} {enc}");
            }
        }
        let enc = b64(KEY);
        let text = format!("{enc} {enc}");
        assert_eq!(decoder().regions(text.as_bytes(), 1..text.len()).len(), 1);
        let digits = "2000 3000 10000 ".repeat(40);
        assert!(decoder()
            .regions(digits.as_bytes(), 0..digits.len())
            .is_empty());
    }

    #[test]
    fn skips_digests_and_plain_words() {
        let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert!(runs(digest.as_bytes(), 0..digest.len()).is_empty());
        assert!(decoded(digest).is_empty());
        let word = "a".repeat(80);
        assert!(runs(word.as_bytes(), 0..word.len()).is_empty());
    }

    /// `base64` wraps at 76 columns; PEM at 64; YAML folds a block scalar; JSON holds a list of
    /// lines or `\n` escapes.
    #[test]
    fn wrapped_runs_are_joined() {
        let payload = format!("# settings\nretries=3\nLUSHA_API_KEY={KEY}\nregion=eu\n");
        let enc = b64(&payload);
        let wrap = |width: usize| -> Vec<String> {
            enc.as_bytes()
                .chunks(width)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect()
        };
        let cases = [
            wrap(76).join("\n"),
            wrap(64).join("\r\n"),
            format!("data: |\n    {}\n", wrap(76).join("\n    ")),
            format!("{{\"lines\": [\n  \"{}\"\n]}}", wrap(64).join("\",\n  \"")),
            format!("{{\"pem\": \"{}\"}}", wrap(64).join("\\n")),
        ];
        for text in &cases {
            assert!(reveals(text, KEY), "{text}");
        }
    }

    #[test]
    fn a_wrongly_joined_line_does_not_hide_the_secret() {
        // The next line happens to be a base64-looking word: joined, it would glue bytes to
        // the key.
        let enc = b64(KEY);
        let text = format!("key: {enc}\nOTHER\n");
        assert!(reveals(&text, &format!("{KEY}\n")) || reveals(&text, KEY));
        let ok = decoded(&text)
            .iter()
            .any(|d| d.bytes.ends_with(KEY.as_bytes()));
        assert!(ok);
    }

    #[test]
    fn a_secret_deep_in_a_long_run_is_found() {
        // 200 KiB of text before the key, all base64 on one line: past any prefix.
        let mut payload = "filler line of the config\n".repeat(8000);
        payload.push_str(&format!("LUSHA_API_KEY={KEY}\n"));
        let text = format!("blob: {}\n", b64(&payload));
        assert!(reveals(&text, &format!("LUSHA_API_KEY={KEY}")));
    }

    #[test]
    fn nested_layers_are_decoded_in_place() {
        let cases = [
            // base64 of base64
            b64(&b64(&format!("LUSHA_API_KEY={KEY}"))),
            // base64 of base64 of base64
            b64(&b64(&b64(KEY))),
            // base64 of JSON with escaped hyphens
            b64(&format!(
                "{{\"LUSHA_API_KEY\": \"{}\"}}",
                KEY.replace('-', "\\u002d")
            )),
            // URL-encoded base64
            b64(&format!("LUSHA_API_KEY={KEY}"))
                .replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D"),
            // percent-encoded hyphens, twice
            KEY.replace('-', "%252D"),
            // hex escapes
            KEY.replace('-', "\\x2d"),
        ];
        for text in &cases {
            let wrapped = format!("value: \"{text}\"\n");
            assert!(reveals(&wrapped, KEY), "{wrapped}");
        }
        // The name stays next to the value after decoding in place.
        let text = b64(&b64(&format!("LUSHA_API_KEY={KEY}")));
        assert!(reveals(&text, &format!("LUSHA_API_KEY={KEY}")));
        let layers: Vec<Vec<Layer>> = decoded(&text).into_iter().map(|d| d.layers).collect();
        assert!(
            layers.contains(&vec![Layer::Base64, Layer::Base64]),
            "{layers:?}"
        );
    }

    /// Percent escapes of other bytes than printable ones make no token by themselves; what
    /// stands next to them is still decoded.
    #[test]
    fn runs_and_escapes_next_to_escaped_control_bytes_are_decoded() {
        let cases = [
            format!("v=%0A{}%C3%A9", b64(&format!("LUSHA_API_KEY={KEY}"))),
            format!("v=%0A{}%C3%A9", KEY.replace('4', "%34")),
            format!("v=%0A{}", KEY.replace('-', "%2d")),
        ];
        for text in &cases {
            assert!(reveals(text, KEY), "{text}");
        }
        assert_eq!(escape_starts(b"a%0Ab%C3%A9c%2D\\n\\u002d"), [12, 17]);
    }

    #[test]
    fn depth_is_bounded() {
        let four = b64(&b64(&b64(&b64(KEY))));
        assert!(!reveals(&four, KEY));
    }

    #[test]
    fn escapes_are_decoded() {
        assert_eq!(percent_decode(b"a%2Db%zz%4"), b"a-b%zz%4");
        assert_eq!(unescape(b"a\\u002Db\\x2dc\\/d\\\"e\\q"), b"a-b-c/d\"e\\q");
        assert_eq!(unescape(b"\\ud83d\\ude00"), "😀".as_bytes());
        let text = format!("{{\"k\": \"{}\"}}", KEY.replace('-', "\\u002d"));
        let r = decoder().regions(text.as_bytes(), 0..text.len());
        assert_eq!(r.len(), 1);
        assert_eq!(
            &text.as_bytes()[r[0].0.start..r[0].0.end],
            KEY.replace('-', "\\u002d").as_bytes()
        );
        assert!(holds_literally(
            b"x=098D45E7-381D-49BA-8F80-F8FE7D198873",
            KEY
        ));
    }
}
