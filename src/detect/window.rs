//! Facts about one window of text, each computed at most once and only when a candidate needs
//! it: the line starts (once the window has candidates), then on demand the keyword and host
//! hits, the section headers, the outline (indentation and parent links), the tables (SQL
//! inserts, CSV header), the URL hosts and, per rule, the identifiers used as the header or
//! passed to the service's client. A window dense with ids pays for each fact once, and for most
//! of them not at all: an id's slot is settled from its own line.

use super::context::Shape;
use super::filekind::FileKind;
use super::flow::Flows;
use super::hosts::{self, Host};
use super::keyword::Finder;
use super::lines::{self, Lines};
use super::outline::{self, Outline};
use super::tables::{Row, Tables};
use super::words::NameClass;
use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A fast hasher for the memos keyed by line number. (Names, which come from the scanned text,
/// are hashed with the standard randomised hasher, so that crafted names cannot collide.)
#[derive(Default)]
pub struct MemoHasher(u64);

impl Hasher for MemoHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type LineMemo<V> = RefCell<HashMap<usize, V, BuildHasherDefault<MemoHasher>>>;

pub struct Window<'a> {
    pub text: &'a [u8],
    pub lines: Lines<'a>,
    pub kind: FileKind,
    /// Does `text` start at the start of its file (so line 0 is the file's first line)?
    pub at_file_start: bool,
    /// Per rule: the finders of its keywords and hosts.
    keywords: &'a [Finder],
    hosts_of_rules: &'a [Finder],
    keyword_hits: Vec<OnceCell<Vec<usize>>>,
    host_hits: Vec<OnceCell<Vec<usize>>>,
    sections: OnceCell<Vec<usize>>,
    outline: OnceCell<Outline>,
    has_insert: OnceCell<bool>,
    tables: OnceCell<Tables>,
    hosts: OnceCell<Vec<Host>>,
    flows: Vec<OnceCell<Flows>>,
    /// Per rule: what each name seen in this window says (names repeat: `id`, `requestId`).
    classes: Vec<RefCell<HashMap<String, NameClass>>>,
    line_fields: LineMemo<Option<String>>,
    parent_keys: LineMemo<ParentKey>,
    /// A stretch of `text` known to be all name bytes (the last UUID-shaped candidate): a walk
    /// left over it jumps it instead of reading it again.
    name_run: Cell<Option<(usize, usize)>>,
    /// A stretch of `text` known to hold no escape byte (`%`, `\`, `;`), grown as candidates on
    /// one line are walked left from, so that a line is checked once, not once per candidate.
    no_escapes: Cell<(usize, usize)>,
}

/// What a parent line says: its key, whether it only opens a block, and the block's shape.
pub type ParentKey = (Option<String>, bool, Shape);

impl<'a> Window<'a> {
    pub fn new(
        text: &'a [u8],
        kind: FileKind,
        keywords: &'a [Finder],
        hosts: &'a [Finder],
        at_file_start: bool,
    ) -> Window<'a> {
        Window::in_buffer(text, kind, keywords, hosts, at_file_start, Vec::new())
    }

    /// A window whose line index lives in `buf` (see `Lines::in_buffer`).
    pub fn in_buffer(
        text: &'a [u8],
        kind: FileKind,
        keywords: &'a [Finder],
        hosts: &'a [Finder],
        at_file_start: bool,
        buf: Vec<usize>,
    ) -> Window<'a> {
        let rules = keywords.len();
        fn cells<T>(n: usize) -> Vec<OnceCell<T>> {
            (0..n).map(|_| OnceCell::new()).collect()
        }
        Window {
            text,
            lines: Lines::in_buffer(text, buf),
            kind,
            at_file_start,
            keywords,
            hosts_of_rules: hosts,
            keyword_hits: cells(rules),
            host_hits: cells(rules),
            sections: OnceCell::new(),
            outline: OnceCell::new(),
            has_insert: OnceCell::new(),
            tables: OnceCell::new(),
            hosts: OnceCell::new(),
            flows: cells(rules),
            classes: (0..rules).map(|_| RefCell::default()).collect(),
            line_fields: LineMemo::default(),
            parent_keys: LineMemo::default(),
            name_run: Cell::new(None),
            no_escapes: Cell::new((0, 0)),
        }
    }

    /// Says that `text[start..end]` is all name bytes (ASCII letters, digits, `_`, `.`, `-`).
    pub fn set_name_run(&self, run: Option<(usize, usize)>) {
        self.name_run.set(run);
    }

    pub fn name_run(&self) -> Option<(usize, usize)> {
        self.name_run.get()
    }

    /// Does `text[lo..hi]` hold a byte that may start or end an escape (`%`, `\`, `;`)? Only
    /// the part outside the stretch already known to hold none is read.
    pub fn may_have_escapes(&self, lo: usize, hi: usize) -> bool {
        let (a, b) = self.no_escapes.get();
        if a <= lo && hi <= b {
            return false;
        }
        // Grow the known stretch to the right when the new one starts inside it.
        let from = if a <= lo && lo <= b { b } else { lo };
        if from < hi && memchr::memchr3(b'%', b'\\', b';', &self.text[from..hi]).is_some() {
            return true;
        }
        self.no_escapes
            .set(if from == b { (a, hi) } else { (lo, hi) });
        false
    }

    /// Gives the line index's buffer back for the next window.
    pub fn into_buffer(self) -> Vec<usize> {
        self.lines.into_buffer()
    }

    /// The field a line names (`"name": "api_key"`), read with `read` the first time: in a
    /// dense file each line is the sibling of several values.
    pub fn line_field(&self, j: usize, read: impl FnOnce() -> Option<String>) -> Option<String> {
        if let Some(f) = self.line_fields.borrow().get(&j) {
            return f.clone();
        }
        let f = read();
        self.line_fields.borrow_mut().insert(j, f.clone());
        f
    }

    /// The key, opener flag and shape of a parent line, read with `read` the first time: every
    /// item of a block shares its parents.
    pub fn parent_key(&self, j: usize, read: impl FnOnce() -> ParentKey) -> ParentKey {
        if let Some(k) = self.parent_keys.borrow().get(&j) {
            return k.clone();
        }
        let k = read();
        self.parent_keys.borrow_mut().insert(j, k.clone());
        k
    }

    /// Offsets of rule `ri`'s keywords in the window, in order.
    pub fn keyword_hits(&self, ri: usize) -> &[usize] {
        match (self.keyword_hits.get(ri), self.keywords.get(ri)) {
            (Some(cell), Some(f)) => cell.get_or_init(|| f.find_all(self.text)),
            _ => &[],
        }
    }

    /// Offsets of rule `ri`'s hosts in the window, in order.
    pub fn host_hits(&self, ri: usize) -> &[usize] {
        match (self.host_hits.get(ri), self.hosts_of_rules.get(ri)) {
            (Some(cell), Some(f)) => cell.get_or_init(|| f.find_all(self.text)),
            _ => &[],
        }
    }

    pub fn outline(&self) -> &Outline {
        self.outline
            .get_or_init(|| Outline::new(self.text, &self.lines))
    }

    /// The lines that are `[section]` headers, in order (found with a search for `[`, without
    /// building the outline).
    pub fn sections(&self) -> &[usize] {
        self.sections.get_or_init(|| {
            let mut out: Vec<usize> = Vec::new();
            let (mut idx, mut last) = (0, 0);
            for at in memchr::memchr_iter(b'[', self.text) {
                idx += self.lines.breaks(last, at);
                last = at;
                if out.last() == Some(&idx) {
                    continue;
                }
                let (s, e) = self.lines.around(idx, at);
                let line = &self.text[s..e];
                let first = s + (line.len() - lines::trim_start(line).len());
                if first == at && outline::is_section_header(line) {
                    out.push(idx);
                }
            }
            out
        })
    }

    /// Could a candidate here be a cell of a table?
    pub fn may_have_rows(&self) -> bool {
        matches!(self.kind, FileKind::Table(_) if self.at_file_start)
            || *self
                .has_insert
                .get_or_init(|| super::tables::has_insert(self.text))
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

    /// What `name` says for rule `ri`, classified with `classify` the first time it is seen.
    pub fn class_of(
        &self,
        ri: usize,
        name: &str,
        classify: impl FnOnce() -> NameClass,
    ) -> NameClass {
        let Some(cell) = self.classes.get(ri) else {
            return classify();
        };
        if let Some(c) = cell.borrow().get(name) {
            return c.clone();
        }
        let c = classify();
        cell.borrow_mut().insert(name.to_string(), c.clone());
        c
    }

    /// The use sites of rule `ri`'s header and client, built with `build` the first time.
    pub fn flows(&self, ri: usize, build: impl FnOnce() -> Flows) -> Option<&Flows> {
        self.flows.get(ri).map(|cell| cell.get_or_init(build))
    }
}
