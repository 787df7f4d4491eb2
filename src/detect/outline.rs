//! The outline of a window: for every line its indentation, whether it is blank, a comment or a
//! `[section]` header, the nearest line above it with less indentation (its parent) and the
//! nearest section header above it. One pass over the lines builds it, the first time a candidate
//! needs its parents; after that a candidate's enclosing blocks are a walk along parent links, and
//! a window dense with values never rescans the lines above each one.

use super::lines::{self, Lines};

const NONE: u32 = u32::MAX;
const BLANK: u8 = 1;
const COMMENT: u8 = 2;
const SECTION: u8 = 4;

#[derive(Debug)]
pub struct Outline {
    indent: Vec<u32>,
    flags: Vec<u8>,
    parent: Vec<u32>,
    section: Vec<u32>,
}

impl Outline {
    pub fn new(text: &[u8], lines: &Lines) -> Outline {
        let n = lines.count();
        let mut indent = Vec::with_capacity(n);
        let mut flags = Vec::with_capacity(n);
        let mut parent = Vec::with_capacity(n);
        let mut section = Vec::with_capacity(n);
        // Lines that can be parents, with strictly increasing indentation.
        let mut stack: Vec<(u32, u32)> = Vec::new();
        let mut last_section = NONE;
        for i in 0..n {
            let line = lines.line(text, i);
            let ind = u32::try_from(lines::indent(line)).unwrap_or(u32::MAX - 1);
            let mut f = 0;
            if lines::is_blank(line) {
                f |= BLANK;
            } else if lines::is_comment(line) {
                f |= COMMENT;
            } else if is_section_header(line) {
                f |= SECTION;
            }
            let below = stack.partition_point(|&(si, _)| si < ind);
            parent.push(if below == 0 { NONE } else { stack[below - 1].1 });
            section.push(last_section);
            if f & (BLANK | COMMENT) == 0 {
                stack.truncate(below);
                stack.push((ind, i as u32));
            }
            if f & SECTION != 0 {
                last_section = i as u32;
            }
            indent.push(ind);
            flags.push(f);
        }
        Outline {
            indent,
            flags,
            parent,
            section,
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

    #[cfg(test)]
    pub fn is_section(&self, i: usize) -> bool {
        self.flags.get(i).is_some_and(|f| f & SECTION != 0)
    }

    /// The nearest line above `i` with less indentation than `i` (blank lines and comments
    /// aside).
    pub fn parent(&self, i: usize) -> Option<usize> {
        self.parent
            .get(i)
            .filter(|&&p| p != NONE)
            .map(|&p| p as usize)
    }

    /// The nearest `[section]` header above `i`.
    pub fn section(&self, i: usize) -> Option<usize> {
        self.section
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
        let text = b"a:\n  b:\n# note\n\n    c: 1\n  d: 2\n[s]\nx = 1\n";
        let lines = Lines::new(text);
        let o = Outline::new(text, &lines);
        assert_eq!(o.parent(4), Some(1));
        assert_eq!(o.parent(1), Some(0));
        assert_eq!(o.parent(5), Some(0));
        assert_eq!(o.parent(0), None);
        assert!(o.is_comment(2) && o.is_blank(3) && o.is_section(6));
        assert_eq!(o.section(7), Some(6));
        assert_eq!(o.section(6), None);
        assert_eq!(o.block_end(0, 40), 5);
        assert_eq!(o.block_end(1, 40), 4);
    }
}
