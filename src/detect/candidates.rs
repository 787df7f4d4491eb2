//! Candidate values: places where a rule's secret may be, that stand as tokens of their own.
//!
//! With an anchor the pattern runs only around the anchor's hits (for the Lusha rule, `-4`: the
//! hyphen before a UUID v4's version digit). A rule that validates UUID v4s with that anchor
//! needs no pattern run at all to find its candidates: the hit fixes where the UUID would start,
//! and a table lookup per byte checks the 8-4-4-4-12 shape with its version and variant digits.
//! Such a candidate is confirmed against the pattern and the validator only if its slot makes it
//! worth assessing, so a file of millions of ids costs a memchr search and a shape check per id.

use crate::rules::{Rule, Validator};
use std::ops::Range;

/// How far around an anchor hit the pattern is run, at most (a pattern whose longest match is
/// known runs only that far).
const ANCHOR_REACH: usize = 256;
/// Length of a hyphenated UUID, and where its version digit's hyphen sits.
const UUID_LEN: usize = 36;
const VERSION_HYPHEN: usize = 13;
/// How far around a shape the pattern may extend when it is confirmed (`{…}`, `urn:uuid:…`).
const CONFIRM_REACH: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub start: usize,
    pub end: usize,
    /// Already a match of the pattern that passed the validator; otherwise `confirm` decides.
    pub confirmed: bool,
}

/// A candidate the pattern and the validator accepted, with its canonical value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub start: usize,
    pub end: usize,
    pub value: String,
}

static HEX: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i as u8).is_ascii_hexdigit();
        i += 1;
    }
    t
};

/// How far past a UUID the next version hyphen is looked for before a vector search.
const NEAR: usize = 32;

/// The first `-4` in `text` at or after `pos`. Where ids are dense (`near`) the next one is often
/// a few bytes on (the next id in a row or on the next line), so those bytes are looked at before
/// a vector search is set up; in sparse text the search starts at once.
fn next_version_hyphen(
    finder: &memchr::memmem::Finder<'_>,
    text: &[u8],
    pos: usize,
    near: bool,
) -> Option<usize> {
    if pos >= text.len() {
        return None;
    }
    if !near {
        return finder.find(&text[pos..]).map(|i| pos + i);
    }
    let end = (pos + NEAR).min(text.len());
    if let Some(i) = text[pos..end].windows(2).position(|w| w == b"-4") {
        return Some(pos + i);
    }
    // The last byte looked at may start a hit that ends past `end`.
    let from = end - 1;
    finder.find(&text[from..]).map(|i| from + i)
}

/// Is `b` (at least 36 bytes) a hyphenated RFC 4122 version 4 UUID?
fn uuid_v4_shape(b: &[u8]) -> bool {
    if b.len() < UUID_LEN
        || b[8] != b'-'
        || b[13] != b'-'
        || b[18] != b'-'
        || b[23] != b'-'
        || b[14] != b'4'
        || !matches!(b[19], b'8' | b'9' | b'a' | b'b' | b'A' | b'B')
    {
        return false;
    }
    // Every hex position at once, without a branch per byte: ids come by the million, and a
    // `-4` hit that passed the checks above is nearly always a UUID.
    let Some(b) = b.first_chunk::<UUID_LEN>() else {
        return false;
    };
    HEX_AT
        .iter()
        .fold(true, |ok, &i| ok & HEX[usize::from(b[usize::from(i)])])
}

/// Where a hyphenated UUID has its hex digits (the version and variant digits, at 14 and 19, are
/// checked on their own).
const HEX_AT: [u8; 30] = [
    0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 15, 16, 17, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31,
    32, 33, 34, 35,
];

/// Does this rule's candidate search need no pattern run (a UUID v4 validator and the `-4`
/// anchor)?
pub fn by_shape(rule: &Rule) -> bool {
    rule.spec.validate == Some(Validator::UuidV4) && rule.anchor.as_deref() == Some(b"-4")
}

/// Candidates in `text` whose start lies in `owned`, plus how many values of the rule's shape
/// start in `owned` (bounded or not: a measure of how dense the file is with such values).
pub fn find(rule: &Rule, text: &[u8], owned: Range<usize>) -> (Vec<Candidate>, usize) {
    let mut out = Vec::new();
    let shapes = find_into(rule, text, owned, &mut out);
    (out, shapes)
}

/// `find`, appending the candidates to `out` (a buffer reused from window to window).
pub fn find_into(rule: &Rule, text: &[u8], owned: Range<usize>, out: &mut Vec<Candidate>) -> usize {
    if by_shape(rule) {
        return find_by_shape(text, owned, out);
    }
    let mut spans: Vec<(usize, usize)> = Vec::new();
    match (&rule.anchor, &rule.anchor_finder) {
        (Some(anchor), Some(finder)) => {
            let reach = rule
                .max_match_len
                .map_or(ANCHOR_REACH, |m| m.min(ANCHOR_REACH));
            let mut last_end = 0;
            for hit in finder.find_iter(text) {
                if hit < last_end {
                    continue;
                }
                let lo = hit.saturating_sub(reach);
                let hi = (hit + anchor.len() + reach).min(text.len());
                for m in rule.regex.find_iter(&text[lo..hi]) {
                    let (s, e) = (lo + m.start(), lo + m.end());
                    if s <= hit && hit < e && s >= last_end {
                        spans.push((s, e));
                        last_end = e;
                        break;
                    }
                }
            }
        }
        _ => spans.extend(rule.regex.find_iter(text).map(|m| (m.start(), m.end()))),
    }
    let shapes = spans.iter().filter(|(s, _)| owned.contains(s)).count();
    out.extend(
        spans
            .into_iter()
            .filter(|&(s, e)| owned.contains(&s) && bounded(text, s, e))
            .filter(|&(s, e)| std::str::from_utf8(&text[s..e]).is_ok_and(|raw| valid(rule, raw)))
            .map(|(start, end)| Candidate {
                start,
                end,
                confirmed: true,
            }),
    );
    shapes
}

/// Hyphenated UUID v4 shapes: each `-4` hit is the version hyphen of a UUID starting 13 bytes
/// before it, or of none. (Every UUID v4 has that hit, so none is missed.)
fn find_by_shape(text: &[u8], owned: Range<usize>, found: &mut Vec<Candidate>) -> usize {
    let mut shapes = 0;
    let mut last_end = 0;
    let lo = owned.start.saturating_sub(UUID_LEN);
    let hi = (owned.end + UUID_LEN).min(text.len());
    static VERSION: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
        std::sync::OnceLock::new();
    let finder = VERSION.get_or_init(|| memchr::memmem::Finder::new(b"-4"));
    let (mut pos, mut near) = (lo, false);
    while let Some(hit) = next_version_hyphen(finder, &text[..hi], pos, near) {
        // Look near first only while UUIDs come close together (a row, a list, a dense file).
        let close = hit - pos < NEAR;
        (pos, near) = (hit + 1, false);
        let Some(s) = hit.checked_sub(VERSION_HYPHEN) else {
            continue;
        };
        if s < last_end || !owned.contains(&s) || !uuid_v4_shape(&text[s..]) {
            continue;
        }
        let e = s + UUID_LEN;
        last_end = e;
        // A hit before the next UUID's version hyphen would start inside this one.
        (pos, near) = (e + VERSION_HYPHEN, close);
        shapes += 1;
        if bounded(text, s, e) {
            found.push(Candidate {
                start: s,
                end: e,
                confirmed: false,
            });
        }
    }
    shapes
}

/// Runs the pattern and the validator on a candidate (when the search did not already) and
/// returns the match with its canonical value.
pub fn confirm(rule: &Rule, text: &[u8], c: &Candidate) -> Option<Confirmed> {
    let (start, end) = if c.confirmed {
        (c.start, c.end)
    } else {
        let hi = (c.end + CONFIRM_REACH).min(text.len());
        let hay = &text[..hi];
        let mut at = c.start.saturating_sub(CONFIRM_REACH);
        loop {
            let m = rule.regex.find_at(hay, at)?;
            if m.start() > c.start {
                return None;
            }
            if c.end <= m.end() {
                if !bounded(text, m.start(), m.end()) {
                    return None;
                }
                break (m.start(), m.end());
            }
            at = m.end().max(at + 1);
        }
    };
    let raw = std::str::from_utf8(&text[start..end]).ok()?;
    if !c.confirmed && !valid(rule, raw) {
        return None;
    }
    Some(Confirmed {
        start,
        end,
        value: rule.canonicalize(raw),
    })
}

fn valid(rule: &Rule, raw: &str) -> bool {
    match rule.spec.validate {
        None => true,
        Some(Validator::UuidV4) => uuid::Uuid::try_parse(raw)
            .is_ok_and(|u| u.get_version_num() == 4 && u.get_variant() == uuid::Variant::RFC4122),
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Does `text[start..end]` stand as a token of its own? A percent-escape right before it
/// (`api_key%3A<key>`) and a `:-` default (`${VAR:-<key>}`) are boundaries; a prefix glued with a
/// hyphen (`sdk-<uuid>`, `pat-na1-<uuid>`) is not.
pub fn bounded(text: &[u8], start: usize, end: usize) -> bool {
    let before = match start.checked_sub(1).map(|i| text[i]) {
        None => true,
        Some(c) if is_word(c) => {
            start >= 3
                && text[start - 3] == b'%'
                && text[start - 2].is_ascii_hexdigit()
                && c.is_ascii_hexdigit()
        }
        Some(b'-') => start < 2 || !is_word(text[start - 2]),
        Some(_) => true,
    };
    let after = match text.get(end) {
        None => true,
        Some(&c) if is_word(c) => false,
        Some(b'-') => !text.get(end + 1).is_some_and(|&n| is_word(n)),
        Some(_) => true,
    };
    before && after
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    /// The near look and the vector search find the same hits, wherever they fall.
    #[test]
    fn next_version_hyphen_finds_every_hit_in_order() {
        let finder = memchr::memmem::Finder::new(b"-4");
        // Hits at gaps from none to a few hundred bytes (a fixed pseudo-random sequence).
        let mut state = 0x2545_f491_u32;
        let text: Vec<u8> = (0..2000)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                match state % 97 {
                    0 | 1 => b'-',
                    2..=30 => b'4',
                    _ => b'x',
                }
            })
            .collect();
        let hits = finder.find_iter(&text).count();
        assert!(hits > 10, "{hits}");
        for pos in 0..=text.len() {
            let expected = finder.find(&text[pos.min(text.len())..]).map(|i| pos + i);
            for near in [false, true] {
                let found = next_version_hyphen(&finder, &text, pos, near);
                assert_eq!(found, expected, "{pos} {near}");
            }
        }
    }

    /// The shape check agrees with the UUID v4 pattern for every byte at every position.
    #[test]
    fn shape_check_agrees_with_the_pattern_byte_by_byte() {
        let v4 = regex::bytes::Regex::new(
            "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$",
        )
        .unwrap();
        let id = *b"84fce519-8f30-4c4e-8a50-65281da7495d"; // lushaguard:allow (test key)
        assert!(uuid_v4_shape(&id));
        for at in 0..UUID_LEN {
            for byte in 0..=255u8 {
                let mut b = id;
                b[at] = byte;
                assert_eq!(uuid_v4_shape(&b), v4.is_match(&b), "{at} {byte}");
            }
        }
        assert!(!uuid_v4_shape(&id[..35]));
    }

    const KEY: &str = "87d2a967-5c23-46d6-aa8a-22f20b4755f9"; // lushaguard:allow (test key)

    fn found(text: &str) -> Vec<String> {
        let set = RuleSet::builtin().unwrap();
        let rule = &set.rules[0];
        find(rule, text.as_bytes(), 0..text.len())
            .0
            .into_iter()
            .filter_map(|c| confirm(rule, text.as_bytes(), &c))
            .map(|c| c.value)
            .collect()
    }

    #[test]
    fn finds_uuid_v4_tokens_in_any_case() {
        assert_eq!(found(&format!("k={KEY}")), [KEY]);
        assert_eq!(found(&format!("k={}", KEY.to_uppercase())), [KEY]);
        assert_eq!(found(KEY), [KEY]);
        assert_eq!(found(&format!("{{{KEY}}}")), [KEY]);
        assert_eq!(found(&format!("x%3A{KEY}%22")), [KEY]);
        assert_eq!(found(&format!("${{K:-{KEY}}}")), [KEY]);
    }

    #[test]
    fn respects_token_boundaries() {
        assert!(found(&format!("sdk-{KEY}")).is_empty());
        assert!(found(&format!("a{KEY}")).is_empty());
        assert!(found(&format!("{KEY}0")).is_empty());
        assert!(found(&format!("{KEY}-x")).is_empty());
        assert_eq!(found(&format!("{KEY}-")), [KEY]);
    }

    #[test]
    fn rejects_other_versions_and_variants() {
        assert!(found("2c1d43b8-e6d7-11ee-9f2a-0242ac120002").is_empty()); // v1
        assert!(found("886313e1-3b8a-5372-9b90-0c9aee199e5d").is_empty()); // v5
        assert!(found("018f4d7a-8b2c-7c3d-9e4f-5a6b7c8d9e0f").is_empty()); // v7
        assert!(found("30bfd736-d85b-47af-1f99-84fefc5475a6").is_empty()); // variant 1
        assert!(found("30bfd736-d85b-47af-cf99-84fefc5475a6").is_empty()); // variant c
    }

    #[test]
    fn counts_shapes_that_start_in_the_owned_range() {
        let set = RuleSet::builtin().unwrap();
        let text = format!("{KEY} {KEY} sdk-{KEY}");
        let (c, shapes) = find(&set.rules[0], text.as_bytes(), 1..text.len());
        assert_eq!(c.len(), 1);
        assert_eq!(
            shapes, 2,
            "the unbounded one counts, the one before the range does not"
        );
    }

    #[test]
    fn the_shape_search_finds_what_the_pattern_finds() {
        let set = RuleSet::builtin().unwrap();
        let rule = &set.rules[0];
        assert!(by_shape(rule));
        let repeated = "ff0e1d2c-4444-4444-8444-444444444444"; // lushaguard:allow (placeholder)
        let glued = "0e7809d4-6eab-4772-9f54-022cd21577f9"; // lushaguard:allow (test key)
        let v1 = "2c1d43b8-e6d7-11ee-9f2a-0242ac120002";
        let text = format!(
            "a {KEY} b-{KEY}-c 4a41-4b2c-{KEY} {up} {repeated} {{{KEY}}} x-4y {glued}{KEY} {v1} \
             id:{KEY}\n\"{KEY}\"",
            up = KEY.to_uppercase()
        );
        let bytes = text.as_bytes();
        let fast: Vec<(usize, usize)> = find(rule, bytes, 0..bytes.len())
            .0
            .iter()
            .filter_map(|c| confirm(rule, bytes, c))
            .map(|c| (c.start, c.end))
            .collect();
        let slow: Vec<(usize, usize)> = rule
            .regex
            .find_iter(bytes)
            .map(|m| (m.start(), m.end()))
            .filter(|&(s, e)| bounded(bytes, s, e))
            .filter(|&(s, e)| valid(rule, std::str::from_utf8(&bytes[s..e]).unwrap()))
            .collect();
        assert_eq!(fast, slow);
        assert_eq!(fast.len(), 6);
    }
}
