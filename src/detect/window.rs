//! Facts about one window of text, each computed at most once and only when a candidate needs
//! it: line starts and keyword hits (always, once the window has candidates), then on demand the
//! outline (indentation and parent links), the tables (SQL inserts, CSV header), the URL hosts
//! and, per rule, the identifiers used as the header or passed to the service's client. A window
//! dense with candidates pays for each fact once, not once per candidate.

use super::filekind::FileKind;
use super::flow::Flows;
use super::hosts::{self, Host};
use super::lines::Lines;
use super::outline::Outline;
use super::tables::{Row, Tables};
use std::cell::OnceCell;

pub struct Window<'a> {
    pub text: &'a [u8],
    pub lines: Lines,
    pub kind: FileKind,
    /// Per rule: offsets of its keywords and hosts.
    pub keyword_hits: Vec<Vec<usize>>,
    pub host_hits: Vec<Vec<usize>>,
    /// Does `text` start at the start of its file (so line 0 is the file's first line)?
    pub at_file_start: bool,
    outline: OnceCell<Outline>,
    has_insert: OnceCell<bool>,
    tables: OnceCell<Tables>,
    hosts: OnceCell<Vec<Host>>,
    flows: Vec<OnceCell<Flows>>,
}

impl<'a> Window<'a> {
    pub fn new(
        text: &'a [u8],
        kind: FileKind,
        keyword_hits: Vec<Vec<usize>>,
        host_hits: Vec<Vec<usize>>,
        at_file_start: bool,
    ) -> Window<'a> {
        let rules = keyword_hits.len();
        Window {
            text,
            lines: Lines::new(text),
            kind,
            keyword_hits,
            host_hits,
            at_file_start,
            outline: OnceCell::new(),
            has_insert: OnceCell::new(),
            tables: OnceCell::new(),
            hosts: OnceCell::new(),
            flows: (0..rules).map(|_| OnceCell::new()).collect(),
        }
    }

    pub fn outline(&self) -> &Outline {
        self.outline
            .get_or_init(|| Outline::new(self.text, &self.lines))
    }

    /// Could a candidate here be a cell of a table?
    pub fn may_have_rows(&self) -> bool {
        matches!(self.kind, FileKind::Table(_) if self.at_file_start)
            || *self.has_insert.get_or_init(|| {
                memchr::memmem::find(self.text, b"INSERT").is_some()
                    || memchr::memmem::find(self.text, b"insert").is_some()
                    || memchr::memmem::find(self.text, b"Insert").is_some()
            })
    }

    /// The table row holding the value at `pos` on line `idx`, if its column has a name.
    pub fn row_at(&self, idx: usize, pos: usize) -> Option<Row<'_>> {
        if !self.may_have_rows() {
            return None;
        }
        let tables = self.tables.get_or_init(|| {
            let csv = match self.kind {
                FileKind::Table(d) if self.at_file_start => Some(d),
                _ => None,
            };
            Tables::new(self.text, &self.lines, csv)
        });
        tables.row_at(self.text, &self.lines, idx, pos)
    }

    /// The URL hosts of the window, in order.
    pub fn hosts(&self) -> &[Host] {
        self.hosts.get_or_init(|| hosts::find(self.text))
    }

    /// The use sites of rule `ri`'s header and client, built with `build` the first time.
    pub fn flows(&self, ri: usize, build: impl FnOnce() -> Flows) -> Option<&Flows> {
        self.flows.get(ri).map(|cell| cell.get_or_init(build))
    }
}
