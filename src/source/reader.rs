//! Reads a byte stream as text windows in bounded memory. Every stream is searched as it is
//! (its bytes, whatever they are: no file is skipped for looking binary). When its first bytes
//! say it is UTF-16 or UTF-32 (a byte-order mark, or without one the pattern of zero bytes that
//! ASCII text leaves in those encodings), it is also transcoded to UTF-8 and searched again, so a
//! wrong guess never hides text: a file that starts with `FF FE` and goes on in UTF-8 is found by
//! its bytes. A UTF-8 byte-order mark is dropped. Line numbers of a transcoded view count lines of
//! the decoded text.
//!
//! Streams up to `WINDOW` bytes are one window per view. Longer ones are cut at the last line
//! break of each window (or, inside a line longer than a window, with an overlap so no token is
//! split); each window carries up to `CONTEXT_KEEP` bytes of the lines before it as context and
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
/// Bytes looked at to recognise UTF-16 and UTF-32 without a byte-order mark.
const SNIFF: usize = 8 << 10;
/// Read size for streams that are also transcoded.
const RAW_CHUNK: usize = 1 << 20;

/// One window of a stream's text.
#[derive(Debug)]
pub struct TextWindow<'a> {
    pub text: &'a [u8],
    pub first_line: u64,
    pub first_column: u64,
    pub owned: Range<usize>,
    /// `None` for the stream's own bytes; the encoding for a transcoded view.
    pub encoding: Option<Encoding>,
    /// The text holds zero bytes (binary data, or wide text the sniffing did not recognise).
    pub zeros: bool,
}

/// What the first bytes of a stream say about its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sniffed {
    /// Byte-order mark length, dropped from every view.
    bom: usize,
    /// A wide encoding to transcode from, besides reading the bytes as they are.
    wide: Option<Wide>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wide {
    Utf16 { big_endian: bool },
    Utf32 { big_endian: bool },
}

impl Wide {
    fn encoding(self) -> Encoding {
        match self {
            Wide::Utf16 { big_endian: false } => Encoding::Utf16Le,
            Wide::Utf16 { big_endian: true } => Encoding::Utf16Be,
            Wide::Utf32 { big_endian: false } => Encoding::Utf32Le,
            Wide::Utf32 { big_endian: true } => Encoding::Utf32Be,
        }
    }
}

/// What the first bytes say; `zeros` tells whether they hold a zero byte, when already known.
fn sniff(head: &[u8], zeros: Option<bool>) -> Sniffed {
    let zeros =
        zeros.unwrap_or_else(|| memchr::memchr(0, &head[..head.len().min(SNIFF)]).is_some());
    let (bom, wide) = match head {
        [0xEF, 0xBB, 0xBF, ..] => (3, None),
        [0xFF, 0xFE, 0, 0, ..] => (4, Some(Wide::Utf32 { big_endian: false })),
        [0, 0, 0xFE, 0xFF, ..] => (4, Some(Wide::Utf32 { big_endian: true })),
        [0xFF, 0xFE, ..] => (2, Some(Wide::Utf16 { big_endian: false })),
        [0xFE, 0xFF, ..] => (2, Some(Wide::Utf16 { big_endian: true })),
        _ if !zeros => (0, None),
        _ => (0, wide_by_pattern(&head[..head.len().min(SNIFF)])),
    };
    Sniffed { bom, wide }
}

/// UTF-16 or UTF-32 without a byte-order mark, told by where the zero bytes fall: text that is
/// mostly ASCII leaves a zero in every high byte.
fn wide_by_pattern(head: &[u8]) -> Option<Wide> {
    let units = head.len() / 4;
    if units == 0 {
        return None;
    }
    let mut zeros = [0usize; 4];
    for quad in head.chunks_exact(4) {
        for (z, &b) in zeros.iter_mut().zip(quad) {
            *z += usize::from(b == 0);
        }
    }
    let most = |n: usize| n * 8 >= units * 7;
    let few = |n: usize| n * 4 < units;
    if zeros[3] == units && most(zeros[2]) && few(zeros[0]) {
        return Some(Wide::Utf32 { big_endian: false });
    }
    if zeros[0] == units && most(zeros[1]) && few(zeros[3]) {
        return Some(Wide::Utf32 { big_endian: true });
    }
    let (even, odd) = (zeros[0] + zeros[2], zeros[1] + zeros[3]);
    let pairs = units * 2;
    if odd * 2 >= pairs && even * 16 <= pairs {
        Some(Wide::Utf16 { big_endian: false })
    } else if even * 2 >= pairs && odd * 16 <= pairs {
        Some(Wide::Utf16 { big_endian: true })
    } else {
        None
    }
}

/// Turns UTF-16 or UTF-32 bytes into UTF-8, across chunk boundaries. Invalid units become
/// U+FFFD.
struct Transcoder {
    wide: Wide,
    pending: [u8; 4],
    filled: usize,
    high: Option<u16>,
}

impl Transcoder {
    fn new(wide: Wide) -> Transcoder {
        Transcoder {
            wide,
            pending: [0; 4],
            filled: 0,
            high: None,
        }
    }

    fn unit_len(&self) -> usize {
        match self.wide {
            Wide::Utf16 { .. } => 2,
            Wide::Utf32 { .. } => 4,
        }
    }

    fn push(&mut self, mut bytes: &[u8], out: &mut Vec<u8>) {
        let n = self.unit_len();
        out.reserve(bytes.len());
        if self.filled > 0 {
            let take = (n - self.filled).min(bytes.len());
            self.pending[self.filled..self.filled + take].copy_from_slice(&bytes[..take]);
            self.filled += take;
            bytes = &bytes[take..];
            if self.filled < n {
                return;
            }
            let unit = self.pending;
            self.filled = 0;
            self.unit(&unit[..n], out);
        }
        let mut units = bytes.chunks_exact(n);
        for unit in &mut units {
            self.unit(unit, out);
        }
        let rest = units.remainder();
        self.pending[..rest.len()].copy_from_slice(rest);
        self.filled = rest.len();
    }

    fn unit(&mut self, unit: &[u8], out: &mut Vec<u8>) {
        let c = match self.wide {
            Wide::Utf32 { big_endian } => {
                let mut b = [0u8; 4];
                b.copy_from_slice(unit);
                let v = if big_endian {
                    u32::from_be_bytes(b)
                } else {
                    u32::from_le_bytes(b)
                };
                char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER)
            }
            Wide::Utf16 { big_endian } => {
                let pair = [unit[0], unit[1]];
                let u = if big_endian {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                };
                match (self.high.take(), u) {
                    (None, 0xD800..=0xDBFF) => {
                        self.high = Some(u);
                        return;
                    }
                    (Some(h), 0xDC00..=0xDFFF) => {
                        let v = 0x10000 + ((u32::from(h) - 0xD800) << 10) + (u32::from(u) - 0xDC00);
                        char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER)
                    }
                    (Some(_), 0xD800..=0xDBFF) => {
                        self.high = Some(u);
                        char::REPLACEMENT_CHARACTER
                    }
                    (Some(_), _) => {
                        push_char(out, char::REPLACEMENT_CHARACTER);
                        char::from_u32(u32::from(u)).unwrap_or(char::REPLACEMENT_CHARACTER)
                    }
                    (None, _) => {
                        char::from_u32(u32::from(u)).unwrap_or(char::REPLACEMENT_CHARACTER)
                    }
                }
            }
        };
        push_char(out, c);
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        if std::mem::take(&mut self.filled) > 0 || self.high.take().is_some() {
            push_char(out, char::REPLACEMENT_CHARACTER);
        }
    }
}

fn push_char(out: &mut Vec<u8>, c: char) {
    let mut tmp = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
}

/// One view of a stream being cut into windows: its buffer, and where the buffer starts.
struct Windower {
    buf: Vec<u8>,
    /// Bytes at the start of `buf` already owned by an earlier window (context).
    carry: usize,
    first_line: u64,
    first_column: u64,
    encoding: Option<Encoding>,
}

impl Windower {
    fn new(buf: Vec<u8>, encoding: Option<Encoding>) -> Windower {
        Windower {
            buf,
            carry: 0,
            first_line: 1,
            first_column: 0,
            encoding,
        }
    }

    /// Bytes still wanted before a full window can be cut.
    fn wanted(&self) -> usize {
        (self.carry + WINDOW).saturating_sub(self.buf.len())
    }

    /// Hands over every full window the buffer holds.
    fn cut_full(&mut self, visit: &mut impl FnMut(TextWindow<'_>)) {
        while self.wanted() == 0 {
            self.cut(visit);
        }
    }

    fn cut(&mut self, visit: &mut impl FnMut(TextWindow<'_>)) {
        let carry = self.carry;
        let buf = &self.buf;
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
            first_line: self.first_line,
            first_column: self.first_column,
            owned: carry..owned_end,
            encoding: self.encoding,
            zeros: memchr::memchr(0, buf).is_some(),
        });
        let dropped = &buf[..keep_from];
        let newlines = memchr::memchr_iter(b'\n', dropped).count() as u64;
        self.first_column = match memchr::memrchr(b'\n', dropped) {
            Some(j) => crate::detect::char_count(&dropped[j + 1..]),
            None => self.first_column + crate::detect::char_count(dropped),
        };
        self.first_line += newlines;
        self.carry = owned_end - keep_from;
        self.buf.drain(..keep_from);
    }

    /// Hands over the rest of the stream as the last window.
    fn finish(&mut self, visit: &mut impl FnMut(TextWindow<'_>)) {
        visit(TextWindow {
            text: &self.buf,
            first_line: self.first_line,
            first_column: self.first_column,
            owned: self.carry..self.buf.len(),
            encoding: self.encoding,
            zeros: memchr::memchr(0, &self.buf).is_some(),
        });
    }
}

/// Reads a stream whose size is known and at most one window: one read of exactly that size
/// (a regular file, as `fstat` saw it), no probing for more.
fn read_known_size<R: Read>(
    mut reader: R,
    size: usize,
    buf: &mut Vec<u8>,
    visit: &mut impl FnMut(TextWindow<'_>),
) -> io::Result<u64> {
    // The buffer is reused from file to file and keeps its length: zero only what it never held.
    if buf.len() < size {
        buf.resize(size, 0);
    }
    let mut filled = 0;
    // What was read before an error is still searched; the error is returned after.
    let mut failure = None;
    while filled < size {
        match reader.read(&mut buf[filled..size]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    let data = &buf[..filled];
    // One look for zero bytes serves both the sniffing and the search for wide text.
    let zeros = memchr::memchr(0, data).is_some();
    let sniffed = sniff(data, Some(zeros));
    let bytes = &data[sniffed.bom.min(filled)..];
    let whole = |text: &[u8], encoding, zeros, visit: &mut dyn FnMut(TextWindow<'_>)| {
        visit(TextWindow {
            text,
            first_line: 1,
            first_column: 0,
            owned: 0..text.len(),
            encoding,
            zeros,
        })
    };
    whole(bytes, None, zeros, visit);
    if let Some(wide) = sniffed.wide {
        let mut t = Transcoder::new(wide);
        let mut text = Vec::new();
        t.push(bytes, &mut text);
        t.finish(&mut text);
        let zeros = memchr::memchr(0, &text).is_some();
        whole(&text, Some(wide.encoding()), zeros, visit);
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(filled as u64),
    }
}

/// Reads `reader` to the end and hands each text window to `visit`: the windows of the bytes as
/// they are, and for a UTF-16 or UTF-32 stream those of its transcoded text too. `size_hint` is
/// the size of a regular file, if known. `buf` is reused between calls to spare allocations; it
/// never grows much past `WINDOW + CONTEXT_KEEP`. Returns the number of bytes read.
pub fn read_windows<R: Read>(
    mut reader: R,
    buf: &mut Vec<u8>,
    size_hint: Option<u64>,
    mut visit: impl FnMut(TextWindow<'_>),
) -> io::Result<u64> {
    // A size of 0 is not believed: files in /proc and /sys say 0 and hold text. Reading on to
    // the end costs one more read for a file that is really empty.
    if let Some(size) = size_hint
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n > 0 && n <= WINDOW)
    {
        return read_known_size(reader, size, buf, &mut visit);
    }
    buf.clear();
    // A read error ends the stream, but what was read before it is still searched (read_to_end
    // keeps the bytes it got); the error is returned at the end.
    let mut failure = None;
    let mut total = match (&mut reader).take(SNIFF as u64).read_to_end(buf) {
        Ok(n) => n as u64,
        Err(e) => {
            failure = Some(e);
            buf.len() as u64
        }
    };
    let mut eof = failure.is_some() || total < SNIFF as u64;
    let sniffed = sniff(buf, None);
    buf.drain(..sniffed.bom.min(buf.len()));
    let mut raw = Windower::new(std::mem::take(buf), None);
    let mut text = sniffed.wide.map(|wide| {
        let mut t = Transcoder::new(wide);
        let mut out = Vec::new();
        t.push(&raw.buf, &mut out);
        (t, Windower::new(out, Some(wide.encoding())))
    });
    while !eof {
        let want = match text {
            None => raw.wanted().max(1),
            Some(_) => raw.wanted().clamp(1, RAW_CHUNK),
        };
        let start = raw.buf.len();
        let got = match (&mut reader).take(want as u64).read_to_end(&mut raw.buf) {
            Ok(got) => got,
            Err(e) => {
                failure = Some(e);
                raw.buf.len() - start
            }
        };
        total += got as u64;
        eof = got == 0 || failure.is_some();
        if let Some((t, view)) = &mut text {
            t.push(&raw.buf[start..], &mut view.buf);
            view.cut_full(&mut visit);
        }
        raw.cut_full(&mut visit);
    }
    raw.finish(&mut visit);
    if let Some((t, view)) = &mut text {
        t.finish(&mut view.buf);
        view.cut_full(&mut visit);
        view.finish(&mut visit);
    }
    // Give the buffer back for the next stream.
    *buf = std::mem::take(&mut raw.buf);
    match failure {
        Some(e) => Err(e),
        None => Ok(total),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Seen = (String, u64, u64, Range<usize>, Option<Encoding>);

    fn windows(data: &[u8]) -> (u64, Vec<Seen>) {
        let mut buf = Vec::new();
        let mut seen = Vec::new();
        let bytes = read_windows(data, &mut buf, None, |w| {
            seen.push((
                String::from_utf8_lossy(w.text).into_owned(),
                w.first_line,
                w.first_column,
                w.owned.clone(),
                w.encoding,
            ))
        })
        .unwrap();
        (bytes, seen)
    }

    /// The text of every view, owned parts only, by encoding.
    fn views(data: &[u8]) -> Vec<(Option<Encoding>, String)> {
        let mut out: Vec<(Option<Encoding>, String)> = Vec::new();
        for (text, _, _, owned, enc) in windows(data).1 {
            let part = text.get(owned.clone()).unwrap_or_default().to_string();
            match out.iter_mut().find(|(e, _)| *e == enc) {
                Some((_, s)) => s.push_str(&part),
                None => out.push((enc, part)),
            }
        }
        out
    }

    fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| {
                if big_endian {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    }

    fn utf32(text: &str, big_endian: bool) -> Vec<u8> {
        text.chars()
            .flat_map(|c| {
                if big_endian {
                    (c as u32).to_be_bytes()
                } else {
                    (c as u32).to_le_bytes()
                }
            })
            .collect()
    }

    #[test]
    fn a_size_of_zero_is_read_to_the_end() {
        // /proc/self/environ and friends: fstat says 0, the file holds text.
        let data = b"PATH=/usr/bin\0LUSHA=1\0";
        let mut buf = Vec::new();
        let mut text = Vec::new();
        let bytes = read_windows(&data[..], &mut buf, Some(0), |w| {
            if w.encoding.is_none() {
                text.extend_from_slice(w.text.get(w.owned.clone()).unwrap_or_default());
            }
        })
        .unwrap();
        assert_eq!(bytes, data.len() as u64);
        assert_eq!(text, data);
    }

    #[test]
    fn known_size_reads_match_streamed_reads() {
        let mut le = vec![0xFF, 0xFE];
        le.extend(utf16("a=ü\r\nb", false));
        let be32 = [&[0, 0, 0xFE, 0xFF][..], &utf32("k=1\n", true)].concat();
        for data in [&b"\xEF\xBB\xBFa=1\nb=2\n"[..], b"ab\0cd", b"", &le, &be32] {
            let mut buf = Vec::new();
            let mut seen = Vec::new();
            let n = read_windows(data, &mut buf, Some(data.len() as u64), |w| {
                seen.push((w.text.to_vec(), w.owned.clone(), w.encoding))
            })
            .unwrap();
            let mut streamed = Vec::new();
            let n2 = read_windows(data, &mut buf, None, |w| {
                streamed.push((w.text.to_vec(), w.owned.clone(), w.encoding))
            })
            .unwrap();
            assert_eq!((n, seen), (n2, streamed));
        }
    }

    #[test]
    fn small_text_is_one_window() {
        let (n, w) = windows(b"\xEF\xBB\xBFa=1\nb=2\n");
        assert_eq!(n, 11);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].0, "a=1\nb=2\n");
        assert_eq!(w[0].3, 0..8);
    }

    #[test]
    fn bytes_with_zeros_are_read_as_they_are() {
        let (n, w) = windows(b"A=1\0\nKEY=v\n");
        assert_eq!(n, 11);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].0, "A=1\0\nKEY=v\n");
        assert_eq!(w[0].4, None);
    }

    #[test]
    fn utf16_and_utf32_are_transcoded_with_or_without_a_bom() {
        let text = "Key=\"ü😀\"\r\nx=1\r\n";
        let cases: Vec<(Vec<u8>, Encoding)> = vec![
            (
                [&[0xFF, 0xFE][..], &utf16(text, false)].concat(),
                Encoding::Utf16Le,
            ),
            (
                [&[0xFE, 0xFF][..], &utf16(text, true)].concat(),
                Encoding::Utf16Be,
            ),
            (utf16(text, false), Encoding::Utf16Le),
            (utf16(text, true), Encoding::Utf16Be),
            (
                [&[0xFF, 0xFE, 0, 0][..], &utf32(text, false)].concat(),
                Encoding::Utf32Le,
            ),
            (
                [&[0, 0, 0xFE, 0xFF][..], &utf32(text, true)].concat(),
                Encoding::Utf32Be,
            ),
            (utf32(text, false), Encoding::Utf32Le),
            (utf32(text, true), Encoding::Utf32Be),
        ];
        for (data, encoding) in cases {
            let v = views(&data);
            assert_eq!(v.len(), 2, "{encoding:?}");
            assert_eq!(v[0].0, None);
            assert_eq!(v[1], (Some(encoding), text.to_string()), "{encoding:?}");
        }
    }

    #[test]
    fn a_wrong_guess_never_hides_the_bytes() {
        // A UTF-16 byte-order mark followed by UTF-8: the bytes are still searched as they are.
        let data = b"\xFF\xFEKEY=value\n";
        let v = views(data);
        assert_eq!(v[0], (None, "KEY=value\n".to_string()));
        assert_eq!(v[1].0, Some(Encoding::Utf16Le));
    }

    #[test]
    fn long_streams_are_windowed_with_exact_ownership() {
        // Lines of 100 bytes; every byte of the stream is owned by exactly one window.
        let line = format!("{}\n", "y".repeat(99));
        let data = line.repeat(WINDOW / 100 * 2 + 17);
        let (_, w) = windows(data.as_bytes());
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
    fn a_long_utf16_stream_is_transcoded_window_by_window() {
        let line = format!("{}\n", "ü".repeat(40));
        let text = line.repeat(WINDOW / line.len() + 1000);
        let mut data = vec![0xFF, 0xFE];
        data.extend(utf16(&text, false));
        let v = views(&data);
        assert_eq!(v[1].0, Some(Encoding::Utf16Le));
        assert!(
            v[1].1 == text,
            "the transcoded view owns all of the text once"
        );
    }

    #[test]
    fn a_line_longer_than_a_window_is_cut_with_overlap() {
        let data = "z".repeat(WINDOW * 2 + 123);
        let (_, w) = windows(data.as_bytes());
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
