//! The outline of a window: for every line its indentation, whether it is blank or a comment,
//! and the nearest line above it with less indentation (its parent). One pass over the lines
//! builds it, the first time a candidate on an indented line needs its parents; after that a
//! candidate's enclosing blocks are a walk along parent links, and a window dense with values
//! never rescans the lines above each one. (`[section]` headers are found separately, by a
//! search for `[`: a flat file needs no outline at all.)

use super::lines::{self, Lines};

const NONE: u32 = u32::MAX;
const BLANK: u8 = 1;
const COMMENT: u8 = 2;

#[derive(Debug)]
pub struct Outline {
    indent: Vec<u32>,
    flags: Vec<u8>,
    parent: Vec<u32>,
}

impl Outline {
    pub fn new(text: &[u8], lines: &Lines) -> Outline {
        let n = lines.count();
        let mut indent = Vec::with_capacity(n);
        let mut flags = Vec::with_capacity(n);
        let mut parent = Vec::with_capacity(n);
        // Lines that can be parents, with strictly increasing indentation.
        let mut stack: Vec<(u32, u32)> = Vec::new();
        // The last `key:` line whose YAML sequence may sit at its own indentation
        // (`headers:` / `- x`): its indentation and line.
        let mut compact: Option<(u32, u32)> = None;
        for i in 0..n {
            let line = lines.line(text, i);
            // One pass over the leading white space: its width and where the text starts.
            let mut ind = 0u32;
            let mut in_indent = true;
            let mut k = 0;
            while k < line.len() && line[k].is_ascii_whitespace() {
                match line[k] {
                    b' ' if in_indent => ind += 1,
                    b'\t' if in_indent => ind += 4,
                    _ => in_indent = false,
                }
                k += 1;
            }
            let f = if k == line.len() {
                BLANK
            } else if matches!(line[k], b'#' | b'/' | b';' | b'-' | b'*' | b'<')
                && lines::is_comment(&line[k..])
            {
                COMMENT
            } else {
                0
            };
            let below = stack.partition_point(|&(si, _)| si < ind);
            let mut up = if below == 0 { NONE } else { stack[below - 1].1 };
            if f == 0 {
                let rest = &line[k..];
                let item = is_sequence_item(rest);
                match compact {
                    Some((ci, cl)) if item && ci == ind => up = cl,
                    Some((ci, _)) if ind < ci || (ind == ci && !item) => compact = None,
                    _ => {}
                }
                if !item && lines::trim(rest).ends_with(b":") {
                    compact = Some((ind, i as u32));
                }
            }
            parent.push(up);
            if f == 0 {
                stack.truncate(below);
                stack.push((ind, i as u32));
            }
            indent.push(ind);
            flags.push(f);
        }
        Outline {
            indent,
            flags,
            parent,
        }
    }

    pub fn count(&self) -> usize {
        self.indent.len()
    }

    pub fn indent(&self, i: usize) -> usize {
        self.indent.get(i).map_or(0, |&v| v as usize)
    }

    pub fn is_blank(&self, i: usize) -> bool {
        self.flags.get(i).is_some_and(|f| f & BLANK != 0)
    }

    pub fn is_comment(&self, i: usize) -> bool {
        self.flags.get(i).is_some_and(|f| f & COMMENT != 0)
    }

    /// The nearest line above `i` with less indentation than `i` (blank lines and comments
    /// aside).
    pub fn parent(&self, i: usize) -> Option<usize> {
        self.parent
            .get(i)
            .filter(|&&p| p != NONE)
            .map(|&p| p as usize)
    }

    /// The last line of the block opened by line `p`: the lines after it that are more indented
    /// (or blank, or comments), looking at most `limit` lines ahead.
    pub fn block_end(&self, p: usize, limit: usize) -> usize {
        let own = self.indent(p);
        let mut end = p;
        for j in p + 1..self.count().min(p + 1 + limit) {
            if self.is_blank(j) || self.is_comment(j) {
                continue;
            }
            if self.indent(j) <= own {
                break;
            }
            end = j;
        }
        end
    }
}

/// A YAML block sequence item: `- value`, or `-` alone with the value below.
pub fn is_sequence_item(line: &[u8]) -> bool {
    let t = lines::trim_start(line);
    t.first() == Some(&b'-') && t.get(1).is_none_or(|b| b.is_ascii_whitespace())
}

/// `[section]`, `[a.b]`, `[[array]]`, `[HKEY_...\Key]`: a line that opens an INI/TOML/.reg section.
pub fn is_section_header(line: &[u8]) -> bool {
    let t = lines::trim(line);
    t.len() >= 3
        && t.starts_with(b"[")
        && t.ends_with(b"]")
        && !t.contains(&b',')
        && !t.contains(&b'"')
        && t.iter().any(u8::is_ascii_alphabetic)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_skip_blank_lines_and_comments() {
        let text = b"a:\n  b:\n# note\n\n    c: 1\n  d: 2\n[s]\nx = 1\n\t\tdeep\n";
        let lines = Lines::new(text);
        let o = Outline::new(text, &lines);
        assert_eq!(o.parent(4), Some(1));
        assert_eq!(o.parent(1), Some(0));
        assert_eq!(o.parent(5), Some(0));
        assert_eq!(o.parent(0), None);
        assert!(o.is_comment(2) && o.is_blank(3));
        assert_eq!(o.indent(8), 8);
        assert_eq!(o.parent(8), Some(7));
        assert_eq!(o.block_end(0, 40), 5);
        assert_eq!(o.block_end(1, 40), 4);
        assert!(is_section_header(b"[s]") && !is_section_header(b"[1, 2]"));
    }

    #[test]
    fn a_sequence_at_its_keys_indentation_belongs_to_the_key() {
        let text = b"headers:\n  Accept:\n  - a\n  - b\n  X:\n  - c\n  Y: 1\n  - d\nz:\n- e\n";
        let lines = Lines::new(text);
        let o = Outline::new(text, &lines);
        assert_eq!((o.parent(2), o.parent(3)), (Some(1), Some(1)));
        assert_eq!(o.parent(5), Some(4));
        // A key with a value on its line opens no sequence.
        assert_eq!(o.parent(7), Some(0));
        assert_eq!(o.parent(9), Some(8));
    }
}
