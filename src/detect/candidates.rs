//! Candidate values: matches of a rule's pattern that stand as tokens of their own and pass the
//! rule's validator. With an anchor the pattern runs only around the anchor's hits (for the Lusha
//! rule, `-4`: the hyphen before a UUID v4's version digit), which keeps the scan at memchr speed.

use crate::rules::{Rule, Validator};
use std::ops::Range;

/// How far around an anchor hit the pattern is run, at most (a pattern whose longest match is
/// known runs only that far).
const ANCHOR_REACH: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub start: usize,
    pub end: usize,
    /// The canonical value.
    pub value: String,
}

/// Matches in `text` whose start lies in `owned`, plus how many pattern matches the whole text
/// holds (valid or not: a measure of how dense the file is with values of this shape).
pub fn find(rule: &Rule, text: &[u8], owned: Range<usize>) -> (Vec<Candidate>, usize) {
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
    let shapes = spans.len();
    let found = spans
        .into_iter()
        .filter(|&(s, e)| owned.contains(&s) && bounded(text, s, e))
        .filter_map(|(s, e)| {
            let raw = std::str::from_utf8(&text[s..e]).ok()?;
            if !valid(rule, raw) {
                return None;
            }
            Some(Candidate {
                start: s,
                end: e,
                value: rule.canonicalize(raw),
            })
        })
        .collect();
    (found, shapes)
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

    const KEY: &str = "87d2a967-5c23-46d6-aa8a-22f20b4755f9";

    fn found(text: &str) -> Vec<String> {
        let set = RuleSet::builtin().unwrap();
        find(&set.rules[0], text.as_bytes(), 0..text.len())
            .0
            .into_iter()
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
    fn counts_shapes_outside_the_owned_range() {
        let set = RuleSet::builtin().unwrap();
        let text = format!("{KEY} {KEY}");
        let (c, shapes) = find(&set.rules[0], text.as_bytes(), 1..text.len());
        assert_eq!(c.len(), 1);
        assert_eq!(shapes, 2);
    }
}
