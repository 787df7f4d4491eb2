//! Line arithmetic over a byte buffer: where lines start and end (`\n`, with a trailing `\r`
//! dropped), indentation, and character columns. Columns count Unicode scalar values; in invalid
//! UTF-8 every byte that is not a continuation byte counts as one.

use std::cell::{Cell, OnceCell};

/// The lines of a window. The index of line starts is built the first time something needs
/// random access to lines (a parent block, a sibling, a neighbouring line); until then a
/// candidate's line number is counted from the previous candidate's and its line is found by
/// searching for the line breaks around it, so a window of ids needs no index at all.
pub struct Lines<'t> {
    text: &'t [u8],
    starts: OnceCell<Vec<usize>>,
    /// A buffer of an earlier window, reused so that a large file does not allocate fresh memory
    /// for every window.
    spare: Cell<Vec<usize>>,
    /// The last line located without the index: (index, start, end).
    near: Cell<Option<(usize, usize, usize)>>,
}

impl<'t> Lines<'t> {
    #[cfg(test)]
    pub fn new(text: &'t [u8]) -> Lines<'t> {
        Lines::in_buffer(text, Vec::new())
    }

    /// The lines of `text`; an index, if one is built, is kept in `buf`.
    pub fn in_buffer(text: &'t [u8], buf: Vec<usize>) -> Lines<'t> {
        Lines {
            text,
            starts: OnceCell::new(),
            spare: Cell::new(buf),
            near: Cell::new(None),
        }
    }

    fn starts(&self) -> &[usize] {
        self.starts.get_or_init(|| {
            let mut buf = self.spare.take();
            buf.clear();
            buf.reserve(self.text.len() / 40 + 1);
            buf.push(0);
            buf.extend(memchr::memchr_iter(b'\n', self.text).map(|i| i + 1));
            buf
        })
    }

    /// Gives the buffer back for the next window.
    pub fn into_buffer(self) -> Vec<usize> {
        self.starts
            .into_inner()
            .unwrap_or_else(|| self.spare.take())
    }

    pub fn count(&self) -> usize {
        self.starts().len()
    }

    /// 0-based index of the line holding byte `offset`.
    pub fn index_of(&self, offset: usize) -> usize {
        self.starts()
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// How many lines start in `from + 1..=to` (the line breaks in `from..to`): the line of
    /// `to` is the line of `from` plus this.
    pub fn breaks(&self, from: usize, to: usize) -> usize {
        let gap = &self.text[from..to];
        // Candidates are often a line apart: a short gap is quicker counted eight bytes at a
        // time than set up for memchr.
        if gap.len() <= 64 {
            count_newlines(gap)
        } else {
            memchr::memchr_iter(b'\n', gap).count()
        }
    }

    /// Byte range of line `idx` without its line terminator.
    #[inline]
    pub fn bounds(&self, _text: &[u8], idx: usize) -> (usize, usize) {
        let starts = self.starts();
        let len = self.text.len();
        let start = starts.get(idx).copied().unwrap_or(len);
        let end = starts.get(idx + 1).map(|next| next - 1).unwrap_or(len);
        (start, self.without_cr(start, end))
    }

    /// Byte range of line `idx`, which holds `pos`, found without building the index when there
    /// is none yet.
    #[inline]
    pub fn around(&self, idx: usize, pos: usize) -> (usize, usize) {
        if self.starts.get().is_some() {
            return self.bounds(self.text, idx);
        }
        if let Some((i, s, e)) = self.near.get() {
            if i == idx {
                return (s, e);
            }
        }
        let start = memchr::memrchr(b'\n', &self.text[..pos]).map_or(0, |p| p + 1);
        let end = memchr::memchr(b'\n', &self.text[pos..]).map_or(self.text.len(), |p| pos + p);
        let end = self.without_cr(start, end);
        self.near.set(Some((idx, start, end)));
        (start, end)
    }

    fn without_cr(&self, start: usize, end: usize) -> usize {
        if end > start && self.text.get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        }
    }

    pub fn line(&self, text: &'t [u8], idx: usize) -> &'t [u8] {
        let (s, e) = self.bounds(text, idx);
        &text[s..e]
    }
}

/// Width of the leading white space (a tab counts as four columns).
pub fn indent(line: &[u8]) -> usize {
    let mut width = 0;
    for &b in line {
        match b {
            b' ' => width += 1,
            b'\t' => width += 4,
            _ => break,
        }
    }
    width
}

/// Is the line empty or white space only?
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(|b| b.is_ascii_whitespace())
}

/// Is the line a comment in one of the common styles?
pub fn is_comment(line: &[u8]) -> bool {
    let t = trim_start(line);
    t.starts_with(b"#")
        || t.starts_with(b"//")
        || t.starts_with(b";")
        || t.starts_with(b"--")
        || t.starts_with(b"/*")
        || t.starts_with(b"* ")
        || t.starts_with(b"<!--")
}

pub fn trim_start(line: &[u8]) -> &[u8] {
    let n = line.iter().take_while(|b| b.is_ascii_whitespace()).count();
    &line[n..]
}

pub fn trim(line: &[u8]) -> &[u8] {
    let t = trim_start(line);
    let n = t
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    &t[..t.len() - n]
}

/// Number of characters in `bytes`.
pub fn char_count(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count() as u64
}

/// The `\n` bytes in `bytes`, counted a word at a time: each byte equal to `\n` becomes zero,
/// and a zero byte is the one whose high bit stays clear after adding 0x7f to its low bits.
fn count_newlines(bytes: &[u8]) -> usize {
    const LOW: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const NL: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    let mut chunks = bytes.chunks_exact(8);
    let mut n = 0;
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        let x = u64::from_le_bytes(word) ^ NL;
        let zero = !(((x & LOW) + LOW) | x | LOW);
        n += zero.count_ones() as usize;
    }
    n + chunks.remainder().iter().filter(|&&b| b == b'\n').count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_counted_by_word_as_by_byte() {
        let text = b"a\n\n0123456\n\x8a\x0b\n\xff\n\n\n\n\n\n\n\n\tz\r\n";
        for from in 0..text.len() {
            for to in from..=text.len() {
                let gap = &text[from..to];
                let by_byte = gap.iter().filter(|&&b| b == b'\n').count();
                assert_eq!(count_newlines(gap), by_byte, "{from}..{to}");
            }
        }
    }

    #[test]
    fn line_bounds_drop_crlf() {
        let text = b"a=1\r\nbb=2\n\nlast";
        let lines = Lines::new(text);
        assert_eq!(lines.count(), 4);
        assert_eq!(lines.line(text, 0), b"a=1");
        assert_eq!(lines.line(text, 1), b"bb=2");
        assert_eq!(lines.line(text, 2), b"");
        assert_eq!(lines.line(text, 3), b"last");
        assert_eq!(lines.index_of(0), 0);
        assert_eq!(lines.index_of(5), 1);
        assert_eq!(lines.index_of(text.len() - 1), 3);
        assert_eq!(lines.breaks(0, 5), 1);
        assert_eq!(Lines::new(text).around(1, 6), (5, 9));
        assert_eq!(Lines::new(text).around(3, 12), (11, 15));
        assert_eq!(lines.around(1, 6), lines.bounds(text, 1));
    }

    #[test]
    fn indentation_comments_and_columns() {
        assert_eq!(indent(b"    key: v"), 4);
        assert_eq!(indent(b"\tkey"), 4);
        assert!(is_comment(b"  # lusha"));
        assert!(!is_comment(b"lusha: # x"));
        assert_eq!(char_count("héllo".as_bytes()), 5);
        assert_eq!(char_count(&[0xff, 0xfe, b'a']), 3);
    }
}
