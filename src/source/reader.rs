//! Reads a byte stream as text windows in bounded memory. The first bytes decide what the stream
//! is: a UTF-8 BOM is dropped, a UTF-16 BOM (LE or BE) turns on transcoding to UTF-8 (line numbers
//! then count lines of the decoded text), and a NUL byte marks a binary file that is skipped
//! unless asked for. Streams up to `WINDOW` bytes are one window. Longer ones are cut at the last
//! line break of each window (or, inside a line longer than a window, with an overlap so no token
//! is split); each window carries up to `CONTEXT_KEEP` bytes of the lines before it as context and
//! owns only its new bytes, so every match is reported once with its true line and column.

use crate::detect::Encoding;
use std::io::{self, Read};
use std::ops::Range;

/// Bytes of new text per window.
pub const WINDOW: usize = 8 << 20;
/// Bytes of preceding text kept as context for the next window.
const CONTEXT_KEEP: usize = 64 << 10;
/// Overlap between windows cut inside a line, longer than any token.
const HARD_CUT_OVERLAP: usize = 4 << 10;
/// Bytes looked at to tell text from binary.
const SNIFF: usize = 8 << 10;
/// Read size for transcoded streams.
const RAW_CHUNK: usize = 256 << 10;

/// One window of a stream's text.
#[derive(Debug)]
pub struct TextWindow<'a> {
    pub text: &'a [u8],
    pub first_line: u64,
    pub first_column: u64,
    pub owned: Range<usize>,
    pub encoding: Option<Encoding>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The stream was read as text; the number of bytes read from it.
    Text { bytes: u64 },
    /// The stream looks binary and was not searched.
    Binary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain { bom: usize },
    Utf16 { big_endian: bool },
    Binary,
}

fn sniff(head: &[u8]) -> Kind {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Kind::Plain { bom: 3 }
    } else if head.starts_with(&[0xFF, 0xFE]) && !head.starts_with(&[0xFF, 0xFE, 0, 0]) {
        Kind::Utf16 { big_endian: false }
    } else if head.starts_with(&[0xFE, 0xFF]) {
        Kind::Utf16 { big_endian: true }
    } else if memchr::memchr(0, &head[..head.len().min(SNIFF)]).is_some() {
        Kind::Binary
    } else {
        Kind::Plain { bom: 0 }
    }
}

/// Turns UTF-16 bytes into UTF-8, across chunk boundaries.
struct Utf16 {
    big_endian: bool,
    odd: Option<u8>,
    high: Option<u16>,
}

impl Utf16 {
    fn push(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        let unit = |u: u16, out: &mut Vec<u8>, high: &mut Option<u16>| {
            let c = match (high.take(), u) {
                (None, 0xD800..=0xDBFF) => {
                    *high = Some(u);
                    return;
                }
                (Some(h), 0xDC00..=0xDFFF) => {
                    let v = 0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(u) - 0xDC00);
                    char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER)
                }
                (Some(_), 0xD800..=0xDBFF) => {
                    *high = Some(u);
                    char::REPLACEMENT_CHARACTER
                }
                (Some(_), _) => {
                    push_char(out, char::REPLACEMENT_CHARACTER);
                    char::from_u32(u32::from(u)).unwrap_or(char::REPLACEMENT_CHARACTER)
                }
                (None, _) => char::from_u32(u32::from(u)).unwrap_or(char::REPLACEMENT_CHARACTER),
            };
            push_char(out, c);
        };
        if let Some(first) = self.odd.take() {
            if let Some(&second) = bytes.first() {
                unit(self.decode(first, second), out, &mut self.high);
                i = 1;
            } else {
                self.odd = Some(first);
                return;
            }
        }
        while i + 1 < bytes.len() {
            unit(self.decode(bytes[i], bytes[i + 1]), out, &mut self.high);
            i += 2;
        }
        if i < bytes.len() {
            self.odd = Some(bytes[i]);
        }
    }

    fn decode(&self, a: u8, b: u8) -> u16 {
        if self.big_endian {
            u16::from_be_bytes([a, b])
        } else {
            u16::from_le_bytes([a, b])
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if self.odd.take().is_some() || self.high.take().is_some() {
            push_char(out, char::REPLACEMENT_CHARACTER);
        }
    }
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut tmp = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
}

/// Reads a stream whose size is known and at most one window: one read of exactly that size
/// (a regular file, as `fstat` saw it), no probing for more.
fn read_known_size<R: Read>(
    mut reader: R,
    size: usize,
    search_binary: bool,
    buf: &mut Vec<u8>,
    mut visit: impl FnMut(TextWindow<'_>),
) -> io::Result<Outcome> {
    buf.clear();
    buf.resize(size, 0);
    let mut filled = 0;
    while filled < size {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    let bytes = filled as u64;
    let whole = |text: &[u8], encoding, visit: &mut dyn FnMut(TextWindow<'_>)| {
        visit(TextWindow {
            text,
            first_line: 1,
            first_column: 0,
            owned: 0..text.len(),
            encoding,
        })
    };
    match sniff(buf) {
        Kind::Binary if !search_binary => return Ok(Outcome::Binary),
        Kind::Binary => whole(buf, None, &mut visit),
        Kind::Plain { bom } => whole(&buf[bom..], None, &mut visit),
        Kind::Utf16 { big_endian } => {
            let mut t = Utf16 {
                big_endian,
                odd: None,
                high: None,
            };
            let mut text = Vec::with_capacity(filled + filled / 2);
            t.push(&buf[2..], &mut text);
            t.finish(&mut text);
            let encoding = if big_endian {
                Encoding::Utf16Be
            } else {
                Encoding::Utf16Le
            };
            whole(&text, Some(encoding), &mut visit);
        }
    }
    Ok(Outcome::Text { bytes })
}

/// Reads `reader` to the end and hands each text window to `visit`. `size_hint` is the size of a
/// regular file, if known. `buf` is reused between calls to spare allocations; it never grows
/// much past `WINDOW + CONTEXT_KEEP`.
pub fn read_windows<R: Read>(
    mut reader: R,
    search_binary: bool,
    buf: &mut Vec<u8>,
    size_hint: Option<u64>,
    mut visit: impl FnMut(TextWindow<'_>),
) -> io::Result<Outcome> {
    if let Some(size) = size_hint
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n <= WINDOW)
    {
        return read_known_size(reader, size, search_binary, buf, visit);
    }
    buf.clear();
    let mut total = (&mut reader).take(SNIFF as u64).read_to_end(buf)? as u64;
    let kind = match sniff(buf) {
        Kind::Binary if !search_binary => return Ok(Outcome::Binary),
        Kind::Binary => Kind::Plain { bom: 0 },
        k => k,
    };
    let (encoding, mut utf16) = match kind {
        Kind::Utf16 { big_endian } => {
            let mut t = Utf16 {
                big_endian,
                odd: None,
                high: None,
            };
            let raw = std::mem::take(buf);
            t.push(&raw[2..], buf);
            let encoding = if big_endian {
                Encoding::Utf16Be
            } else {
                Encoding::Utf16Le
            };
            (Some(encoding), Some(t))
        }
        Kind::Plain { bom } => {
            buf.drain(..bom);
            (None, None)
        }
        Kind::Binary => (None, None),
    };
    let mut raw = Vec::new();
    let mut carry = 0usize;
    let mut first_line = 1u64;
    let mut first_column = 0u64;
    let mut eof = total < SNIFF as u64;
    loop {
        while !eof && buf.len() < carry + WINDOW {
            let want = carry + WINDOW - buf.len();
            let got = match &mut utf16 {
                None => (&mut reader).take(want as u64).read_to_end(buf)?,
                Some(t) => {
                    raw.clear();
                    let n = (&mut reader)
                        .take(want.min(RAW_CHUNK) as u64)
                        .read_to_end(&mut raw)?;
                    t.push(&raw, buf);
                    n
                }
            };
            total += got as u64;
            eof = got == 0;
        }
        if eof {
            if let Some(t) = &mut utf16 {
                t.finish(buf);
            }
            visit(TextWindow {
                text: buf,
                first_line,
                first_column,
                owned: carry..buf.len(),
                encoding,
            });
            return Ok(Outcome::Text { bytes: total });
        }
        let (owned_end, keep_from) = match memchr::memrchr(b'\n', &buf[carry..]) {
            Some(i) => {
                let cut = carry + i + 1;
                let floor = cut.saturating_sub(CONTEXT_KEEP);
                let keep = match memchr::memchr(b'\n', &buf[floor..cut]) {
                    Some(j) if floor > 0 => floor + j + 1,
                    _ => floor,
                };
                (cut, keep)
            }
            None => {
                let end = buf.len().saturating_sub(HARD_CUT_OVERLAP).max(carry + 1);
                (end, end.saturating_sub(HARD_CUT_OVERLAP))
            }
        };
        visit(TextWindow {
            text: buf,
            first_line,
            first_column,
            owned: carry..owned_end,
            encoding,
        });
        let dropped = &buf[..keep_from];
        let newlines = memchr::memchr_iter(b'\n', dropped).count() as u64;
        first_column = match memchr::memrchr(b'\n', dropped) {
            Some(j) => crate::detect::char_count(&dropped[j + 1..]),
            None => first_column + crate::detect::char_count(dropped),
        };
        first_line += newlines;
        carry = owned_end - keep_from;
        buf.drain(..keep_from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Seen = (String, u64, u64, Range<usize>, Option<Encoding>);

    fn windows(data: &[u8], binary: bool) -> (Outcome, Vec<Seen>) {
        let mut buf = Vec::new();
        let mut seen = Vec::new();
        let outcome = read_windows(data, binary, &mut buf, None, |w| {
            seen.push((
                String::from_utf8_lossy(w.text).into_owned(),
                w.first_line,
                w.first_column,
                w.owned.clone(),
                w.encoding,
            ))
        })
        .unwrap();
        (outcome, seen)
    }

    #[test]
    fn known_size_reads_match_streamed_reads() {
        let mut le = vec![0xFF, 0xFE];
        le.extend("a=ü\r\nb".encode_utf16().flat_map(u16::to_le_bytes));
        for data in [&b"\xEF\xBB\xBFa=1\nb=2\n"[..], b"ab\0cd", b"", &le] {
            for binary in [false, true] {
                let mut buf = Vec::new();
                let mut seen = Vec::new();
                let o = read_windows(data, binary, &mut buf, Some(data.len() as u64), |w| {
                    seen.push((w.text.to_vec(), w.owned.clone(), w.encoding))
                })
                .unwrap();
                let mut streamed = Vec::new();
                let o2 = read_windows(data, binary, &mut buf, None, |w| {
                    streamed.push((w.text.to_vec(), w.owned.clone(), w.encoding))
                })
                .unwrap();
                assert_eq!((o, seen), (o2, streamed));
            }
        }
    }

    #[test]
    fn small_text_is_one_window() {
        let (o, w) = windows(b"\xEF\xBB\xBFa=1\nb=2\n", false);
        assert_eq!(o, Outcome::Text { bytes: 11 });
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].0, "a=1\nb=2\n");
        assert_eq!(w[0].3, 0..8);
    }

    #[test]
    fn binary_is_skipped_unless_asked() {
        assert_eq!(windows(b"ab\0cd", false).0, Outcome::Binary);
        let (o, w) = windows(b"ab\0cd", true);
        assert!(matches!(o, Outcome::Text { .. }));
        assert_eq!(w[0].0.len(), 5);
    }

    #[test]
    fn utf16_with_bom_is_transcoded() {
        let text = "Key=\"ü😀\"\r\nx";
        for (bom, big) in [([0xFF, 0xFE], false), ([0xFE, 0xFF], true)] {
            let mut data = bom.to_vec();
            for u in text.encode_utf16() {
                data.extend(if big {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                });
            }
            let (_, w) = windows(&data, false);
            assert_eq!(w[0].0, text);
            assert_eq!(
                w[0].4,
                Some(if big {
                    Encoding::Utf16Be
                } else {
                    Encoding::Utf16Le
                })
            );
        }
    }

    #[test]
    fn long_streams_are_windowed_with_exact_ownership() {
        // Lines of 100 bytes; every byte of the stream is owned by exactly one window.
        let line = format!("{}\n", "y".repeat(99));
        let data = line.repeat(WINDOW / 100 * 2 + 17);
        let (_, w) = windows(data.as_bytes(), false);
        assert!(w.len() >= 3);
        let owned: usize = w.iter().map(|x| x.3.len()).sum();
        assert_eq!(owned, data.len());
        for (text, first_line, first_col, owned, _) in &w {
            assert_eq!(*first_col, 0);
            // The owned part starts at a line start whose number is consistent.
            let before = &text[..owned.start];
            let line_of_owned = first_line + before.matches('\n').count() as u64;
            let global_offset: usize = (line_of_owned as usize - 1) * 100;
            assert_eq!(
                &data[global_offset..global_offset + 10],
                &text[owned.start..owned.start + 10]
            );
        }
    }

    #[test]
    fn a_line_longer_than_a_window_is_cut_with_overlap() {
        let data = "z".repeat(WINDOW * 2 + 123);
        let (_, w) = windows(data.as_bytes(), false);
        assert!(w.len() >= 3);
        let owned: usize = w.iter().map(|x| x.3.len()).sum();
        assert_eq!(owned, data.len());
        // Later windows start mid-line: their column offsets add up.
        for (text, first_line, first_col, owned, _) in &w {
            assert_eq!(*first_line, 1);
            let col = *first_col as usize + owned.start;
            assert!(col <= data.len());
            assert!(text.len() >= owned.len());
        }
    }
}
