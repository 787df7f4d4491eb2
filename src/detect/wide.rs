//! Wide text inside binary data: UTF-16 or UTF-32 strings in an executable, a resource file, a
//! database page, or a text file whose encoding the reader did not recognise. ASCII text in any
//! of those encodings, at any alignment and in either byte order, reads as itself once its zero
//! bytes are dropped, so a window holding zero bytes and a widened anchor (`-\0004`, the
//! base64 images likewise) is searched again without them. Line breaks survive (`\n\0` becomes
//! `\n`), so line numbers stay those of the file.

use aho_corasick::AhoCorasick;

/// The literals whose wide forms (one or three zero bytes after each byte) make a window worth
/// searching again without its zero bytes; `None` when every window with zero bytes is.
#[derive(Debug, Clone)]
pub struct WideHints(Option<Hints>);

/// A vector search (Teddy) for the wide forms. An automaton with a rare-byte prefilter would
/// stop at every zero byte of a binary file, which costs more than searching its text.
#[derive(Debug, Clone)]
enum Hints {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl WideHints {
    pub fn new(literals: Option<Vec<Vec<u8>>>) -> WideHints {
        let wide = literals.and_then(|lits| {
            let patterns: Vec<Vec<u8>> = lits
                .iter()
                .filter(|l| !l.is_empty())
                .flat_map(|l| [widen(l, 1), widen(l, 3)])
                .collect();
            let packed = aho_corasick::packed::Config::new()
                .builder()
                .extend(&patterns)
                .build();
            match packed {
                Some(s) => Some(Hints::Packed(s)),
                None => AhoCorasick::new(patterns).ok().map(Hints::Automaton),
            }
        });
        WideHints(wide)
    }

    fn matches(&self, text: &[u8]) -> bool {
        match &self.0 {
            None => true,
            Some(Hints::Packed(s)) => s.find(text).is_some(),
            Some(Hints::Automaton(ac)) => ac.is_match(text),
        }
    }
}

/// `lit` with `zeros` zero bytes between its bytes: how it reads in UTF-16 (1) or UTF-32 (3)
/// in either byte order, once the zeros before the first byte and after the last are left out.
fn widen(lit: &[u8], zeros: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(lit.len() * (zeros + 1));
    for (i, &b) in lit.iter().enumerate() {
        if i > 0 {
            out.extend(std::iter::repeat_n(0u8, zeros));
        }
        out.push(b);
    }
    out
}

/// The text of `text` without its zero bytes, and `owned` mapped into it, when `text` may hold
/// wide text worth a search.
pub fn narrow(
    text: &[u8],
    owned: std::ops::Range<usize>,
    hints: &WideHints,
) -> Option<(Vec<u8>, std::ops::Range<usize>)> {
    memchr::memchr(0, text)?;
    if !hints.matches(text) {
        return None;
    }
    let zeros_before = |end: usize| memchr::memchr_iter(0, &text[..end]).count();
    let start = owned.start - zeros_before(owned.start);
    let end = owned.end - zeros_before(owned.end);
    Some((strip_zeros(text), start..end))
}

/// `bytes` without its zero bytes.
pub fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut pos = 0;
    for z in memchr::memchr_iter(0, bytes) {
        out.extend_from_slice(&bytes[pos..z]);
        pos = z + 1;
    }
    out.extend_from_slice(&bytes[pos..]);
    out
}

impl super::Detector {
    /// Where wide text in `region` (raw bytes of a snippet) holds something a snippet must not
    /// show: what the rules match and what the decoder masks once the zero bytes are dropped,
    /// mapped back onto `region`. The plain masks cannot see a key spelled `8\07\0d\02\0...`.
    pub(super) fn wide_masks(&self, region: &[u8]) -> Vec<(usize, usize)> {
        if memchr::memchr(0, region).is_none() {
            return Vec::new();
        }
        let mut narrowed = Vec::with_capacity(region.len());
        let mut at = Vec::with_capacity(region.len());
        for (i, &b) in region.iter().enumerate() {
            if b != 0 {
                narrowed.push(b);
                at.push(i);
            }
        }
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for rule in self.rules() {
            spans.extend(
                rule.regex
                    .find_iter(&narrowed)
                    .map(|m| (m.start(), m.end())),
            );
        }
        spans.extend(
            self.decoder
                .masks(&narrowed)
                .into_iter()
                .map(|(a, b, _)| (a, b)),
        );
        spans
            .into_iter()
            .filter_map(|(a, b)| Some((*at.get(a)?, at.get(b.checked_sub(1)?)? + 1)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_text_reads_as_itself_without_zeros() {
        let hints = WideHints::new(Some(vec![b"-4".to_vec()]));
        let text = "id=8f0c-4a\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let le32: Vec<u8> = text
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        for wide in [le, be, le32] {
            let mut data = b"\x7fELF\x02\x01".to_vec();
            let at = data.len();
            data.extend(&wide);
            let (narrowed, owned) = narrow(&data, 0..data.len(), &hints).unwrap();
            assert!(narrowed.ends_with(text.as_bytes()));
            assert_eq!(owned, 0..narrowed.len());
            let (_, part) = narrow(&data, at..data.len(), &hints).unwrap();
            assert_eq!(&narrowed[part], text.as_bytes());
        }
        assert!(narrow(b"no zeros -4", 0..11, &hints).is_none());
        assert!(narrow(b"zeros\0 but no anchor", 0..20, &hints).is_none());
    }
}
