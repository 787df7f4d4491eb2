//! Secrets hidden by an encoding that a text search cannot see through: base64 (Kubernetes
//! Secret `data:`, basic-auth blobs, stringified configs). Runs of the base64 alphabet long
//! enough to hold a secret are found by sampling every `MIN_RUN - 1` bytes (a run of `MIN_RUN`
//! must cover a sample), so plain text is not inspected byte by byte.

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

/// Pure hex (digests), pure letters (identifiers) and paths are not base64 payloads.
fn worth_decoding(run: &[u8]) -> bool {
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
    GeneralPurpose::new(if url_safe { &alphabet::URL_SAFE } else { &alphabet::STANDARD }, config)
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
            assert_eq!(found, vec![(prefix * 2, prefix * 2 + B64_KEY.len())], "prefix {prefix}");
        }
        let text = format!("{B64_KEY} {B64_KEY}");
        assert_eq!(runs(text.as_bytes(), 1..text.len()).len(), 1);
    }

    #[test]
    fn skips_digests_and_plain_words() {
        let digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        assert!(runs(digest.as_bytes(), 0..digest.len()).is_empty());
        let word = "a".repeat(80);
        assert!(runs(word.as_bytes(), 0..word.len()).is_empty());
    }
}
