//! Line arithmetic over a byte buffer: where lines start and end (`\n`, with a trailing `\r`
//! dropped), indentation, and character columns. Columns count Unicode scalar values; in invalid
//! UTF-8 every byte that is not a continuation byte counts as one.

/// Line starts of a buffer, built once per window that has candidates.
#[derive(Debug)]
pub struct Lines {
    starts: Vec<usize>,
    len: usize,
}

impl Lines {
    #[cfg(test)]
    pub fn new(text: &[u8]) -> Lines {
        Lines::in_buffer(text, Vec::new())
    }

    /// The lines of `text`, kept in `buf` (a buffer of an earlier window, reused so that a large
    /// file does not allocate fresh memory for every window).
    pub fn in_buffer(text: &[u8], mut buf: Vec<usize>) -> Lines {
        buf.clear();
        buf.reserve(text.len() / 40 + 1);
        buf.push(0);
        buf.extend(memchr::memchr_iter(b'\n', text).map(|i| i + 1));
        Lines {
            starts: buf,
            len: text.len(),
        }
    }

    /// Gives the buffer back for the next window.
    pub fn into_buffer(self) -> Vec<usize> {
        self.starts
    }

    pub fn count(&self) -> usize {
        self.starts.len()
    }

    /// 0-based index of the line holding byte `offset`.
    pub fn index_of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1)
    }

    /// 0-based index of the line holding byte `offset`, searching forward from line `from`
    /// (candidates come in order, and are mostly a few lines apart).
    pub fn index_from(&self, from: usize, offset: usize) -> usize {
        if self.starts.get(from).is_none_or(|&s| s > offset) {
            return self.index_of(offset);
        }
        let mut i = from;
        while self.starts.get(i + 1).is_some_and(|&s| s <= offset) {
            i += 1;
            if i - from > 16 {
                return self.index_of(offset);
            }
        }
        i
    }

    /// Byte range of line `idx` without its line terminator.
    pub fn bounds(&self, text: &[u8], idx: usize) -> (usize, usize) {
        let start = self.starts.get(idx).copied().unwrap_or(self.len);
        let mut end = self
            .starts
            .get(idx + 1)
            .map(|next| next - 1)
            .unwrap_or(self.len);
        if end > start && text.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        (start, end)
    }

    pub fn line<'t>(&self, text: &'t [u8], idx: usize) -> &'t [u8] {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        for from in 0..4 {
            for offset in 0..text.len() {
                assert_eq!(lines.index_from(from, offset), lines.index_of(offset));
            }
        }
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
