//! Secrets hidden by an encoding that a text search cannot see through: base64 (Kubernetes
//! Secret `data:`, basic-auth blobs, stringified configs). A rule's anchor literal has a fixed
//! base64 image at each of the three byte alignments (`-4` becomes `LT[QR]`, `[CSiy]00` or
//! `tN`), so runs that may hold an anchored secret are found with memchr-speed searches for those
//! images. For rules without an anchor, runs long enough to hold a secret are found by sampling
//! every `MIN_RUN - 1` bytes (a run of `MIN_RUN` must cover a sample).

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

/// The shortest run worth decoding: 48 characters carry 36 bytes, a hyphenated UUID.
pub const MIN_RUN: usize = 48;
/// Longer runs are decoded only up to this many characters.
const MAX_RUN: usize = 64 * 1024;

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

/// The base64 image of an anchor at one alignment: the characters it fully determines, and
/// the bits it fixes in the characters on either side.
#[derive(Debug, Clone)]
pub struct Image {
    literal: Vec<u8>,
    /// A searcher for `literal`, built once.
    finder: memchr::memmem::Finder<'static>,
    before: Option<(u8, u8)>,
    after: Option<(u8, u8)>,
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

/// Base64 runs of at least `MIN_RUN` characters, starting in `owned`, that contain an image of
/// one of the anchors.
pub fn runs_with_images(
    text: &[u8],
    owned: std::ops::Range<usize>,
    images: &[Image],
) -> Vec<(usize, usize)> {
    let mut hits: Vec<usize> = Vec::new();
    for image in images {
        let n = image.literal.len();
        hits.extend(image.finder.find_iter(text).filter(|&p| {
            fits(p.checked_sub(1).map(|i| &text[i]), image.before)
                && fits(text.get(p + n), image.after)
        }));
    }
    hits.sort_unstable();
    // Each run is expanded once, however many hits it holds (a long blob holds thousands).
    let mut out: Vec<(usize, usize)> = Vec::new();
    let mut covered = 0;
    let lo = owned.start.saturating_sub(MAX_RUN);
    for p in hits {
        if p < covered {
            continue;
        }
        let mut a = p;
        while a > lo && a > covered && IS_B64[usize::from(text[a - 1])] {
            a -= 1;
        }
        let mut b = p;
        while b < text.len() && IS_B64[usize::from(text[b])] {
            b += 1;
        }
        covered = b;
        if b - a >= MIN_RUN && owned.contains(&a) && worth_decoding(&text[a..b]) {
            out.push((a, b));
        }
    }
    out
}

/// Byte ranges of base64-alphabet runs of at least `MIN_RUN` characters that start in `owned`.
pub fn runs(text: &[u8], owned: std::ops::Range<usize>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let step = MIN_RUN - 1;
    let mut p = owned.start + step.min(text.len().saturating_sub(owned.start));
    let lo = owned.start.saturating_sub(MIN_RUN);
    while p < text.len() && p < owned.end + step {
        if !IS_B64[usize::from(text[p])] {
            p += step;
            continue;
        }
        let mut a = p;
        while a > lo && IS_B64[usize::from(text[a - 1])] {
            a -= 1;
        }
        let mut b = p + 1;
        while b < text.len() && IS_B64[usize::from(text[b])] {
            b += 1;
        }
        if b - a >= MIN_RUN && a >= owned.start && a < owned.end && worth_decoding(&text[a..b]) {
            out.push((a, b));
        }
        p = b + step;
    }
    out
}

/// Pure hex (digests), pure letters (identifiers) and paths (both alphabets' punctuation, as in
/// `/providers/Microsoft.Web/sites-x`) are not base64 payloads.
pub fn worth_decoding(run: &[u8]) -> bool {
    let url_safe = run.iter().any(|&c| c == b'-' || c == b'_');
    let standard = run.iter().any(|&c| c == b'+' || c == b'/');
    if url_safe && standard {
        return false;
    }
    let hex = run.iter().all(u8::is_ascii_hexdigit);
    let has_digit = run.iter().any(u8::is_ascii_digit);
    let has_upper = run.iter().any(u8::is_ascii_uppercase);
    let has_lower = run.iter().any(u8::is_ascii_lowercase);
    !hex && has_digit && has_upper && has_lower
}

fn engine(url_safe: bool) -> GeneralPurpose {
    let config = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    GeneralPurpose::new(
        if url_safe {
            &alphabet::URL_SAFE
        } else {
            &alphabet::STANDARD
        },
        config,
    )
}

/// Decodes a run (plus any `=` padding that follows it in `text`), trying the alignments a
/// run glued to a prefix may need. Returns the decoded bytes of every alignment that decodes.
pub fn decode_run(run: &[u8]) -> Vec<Vec<u8>> {
    let run = &run[..run.len().min(MAX_RUN)];
    let url_safe = run.iter().any(|&c| c == b'-' || c == b'_');
    let standard = run.iter().any(|&c| c == b'+' || c == b'/');
    if url_safe && standard {
        return Vec::new();
    }
    let engine = engine(url_safe);
    let mut out = Vec::new();
    for skip in 0..4 {
        let mut body = &run[skip..];
        let extra = body.len() % 4;
        if extra == 1 {
            body = &body[..body.len() - 1];
        }
        if let Ok(bytes) = engine.decode(body) {
            out.push(bytes);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const B64_KEY: &str = "MDk4ZDQ1ZTctMzgxZC00OWJhLThmODAtZjhmZTdkMTk4ODcz";
    const KEY: &[u8] = b"098d45e7-381d-49ba-8f80-f8fe7d198873";

    #[test]
    fn finds_and_decodes_a_run() {
        let text = format!("data:\n  LUSHA_API_KEY: {B64_KEY}\n");
        let found = runs(text.as_bytes(), 0..text.len());
        assert_eq!(found.len(), 1);
        let (a, b) = found[0];
        assert_eq!(&text[a..b], B64_KEY);
        assert!(decode_run(&text.as_bytes()[a..b]).iter().any(|d| d == KEY));
    }

    #[test]
    fn finds_runs_anywhere_and_only_in_owned_range() {
        for prefix in 0..60 {
            let text = format!("{}{B64_KEY} tail", "x ".repeat(prefix));
            let found = runs(text.as_bytes(), 0..text.len());
            assert_eq!(
                found,
                vec![(prefix * 2, prefix * 2 + B64_KEY.len())],
                "prefix {prefix}"
            );
        }
        let text = format!("{B64_KEY} {B64_KEY}");
        assert_eq!(runs(text.as_bytes(), 1..text.len()).len(), 1);
    }

    #[test]
    fn images_of_the_uuid_v4_anchor() {
        let found = images(b"-4").unwrap();
        let lits: Vec<&[u8]> = found.iter().map(|i| i.literal.as_slice()).collect();
        assert_eq!(lits, [&b"LT"[..], b"00", b"tN"]);
        assert!(images(b"x").is_none());
    }

    #[test]
    fn image_search_finds_encoded_uuids_at_every_alignment() {
        use base64::Engine;
        let imgs = images(b"-4").unwrap();
        for prefix in ["", "a", "ab", "abc", "LUSHA_API_KEY=", "k=\n"] {
            let plain = format!("{prefix}{}", std::str::from_utf8(KEY).unwrap());
            for engine in [
                base64::engine::general_purpose::STANDARD,
                base64::engine::general_purpose::URL_SAFE,
            ] {
                let enc = engine.encode(&plain);
                let text = format!("key: {enc}\n");
                let found = runs_with_images(text.as_bytes(), 0..text.len(), &imgs);
                assert_eq!(
                    found,
                    vec![(5, 5 + enc.trim_end_matches('=').len())],
                    "{prefix} {enc}"
                );
            }
        }
        let digits = "2000 3000 10000 ".repeat(40);
        assert!(runs_with_images(digits.as_bytes(), 0..digits.len(), &imgs).is_empty());
    }

    #[test]
    fn skips_digests_and_plain_words() {
        let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert!(runs(digest.as_bytes(), 0..digest.len()).is_empty());
        let word = "a".repeat(80);
        assert!(runs(word.as_bytes(), 0..word.len()).is_empty());
    }
}
