//! Names that sit in another row or line than their values: the column list of a SQL `INSERT`
//! and its value tuples (several rows, over several lines), and the header row of a CSV or TSV
//! file. Both are parsed once per window, the first time a candidate needs them; a candidate then
//! finds its cell by binary search and takes the name of its column. A row can also say which
//! service its credential belongs to (`provider`, `service`, `vendor` columns).

use super::lines::Lines;
use std::ops::Range;

/// Most cells parsed per window (a bound on memory for huge dumps).
const MAX_CELLS: usize = 4 << 20;
/// Longest CSV row looked at.
const MAX_ROW: usize = 16 << 10;
/// Longest column list and value tuple of an `INSERT` read.
const MAX_COLUMNS_LIST: usize = 16 << 10;
const MAX_TUPLE: usize = 1 << 20;

/// A row of cells whose columns have names.
#[derive(Debug, Clone)]
pub struct Row<'t> {
    /// The name of each column.
    pub columns: &'t [String],
    /// Byte range of each cell in the window (quotes included).
    pub cells: Vec<Range<usize>>,
    /// Which cell holds the candidate.
    pub index: usize,
    /// 0-based line where the column names are.
    pub header_line: usize,
}

impl Row<'_> {
    pub fn column(&self) -> &str {
        &self.columns[self.index]
    }

    /// A cell's text without quotes and surrounding white space.
    pub fn cell<'a>(&self, text: &'a [u8], i: usize) -> &'a [u8] {
        let r = &self.cells[i];
        unquote(&text[r.clone()])
    }
}

#[derive(Debug)]
struct Insert {
    columns: Vec<String>,
    header_pos: usize,
    tuples: Vec<Vec<Range<usize>>>,
}

/// The tables of one window.
#[derive(Debug, Default)]
pub struct Tables {
    inserts: Vec<Insert>,
    csv: Option<Csv>,
}

#[derive(Debug)]
struct Csv {
    delimiter: u8,
    columns: Vec<String>,
}

impl Tables {
    /// Parses the `INSERT` statements in `text` and, when `csv` gives a delimiter and `text`
    /// starts the file, its header row.
    pub fn new(text: &[u8], lines: &Lines, csv: Option<u8>) -> Tables {
        let mut t = Tables::default();
        if let Some(d) = csv {
            t.csv = csv_header(lines.line(text, 0), d);
        }
        let mut budget = MAX_CELLS;
        let mut from = 0;
        for at in insert_keywords(text) {
            // Text already read by an earlier statement (or a failed attempt at one) is not
            // read again, so the work stays linear in the window whatever it holds.
            if at < from {
                continue;
            }
            match parse_insert(text, at + 6, &mut budget) {
                Ok((insert, end)) => {
                    from = end.max(at + 6);
                    if !insert.tuples.is_empty() {
                        t.inserts.push(insert);
                    }
                }
                Err(reached) => from = reached.max(at + 6),
            }
            if budget == 0 {
                break;
            }
        }
        t
    }

    /// The row holding the value at `pos` (on line `idx`), when its column has a name.
    pub fn row_at(&self, text: &[u8], lines: &Lines, idx: usize, pos: usize) -> Option<Row<'_>> {
        if let Some(row) = self.insert_row(lines, pos) {
            return Some(row);
        }
        let csv = self.csv.as_ref()?;
        if idx == 0 {
            return None;
        }
        let (ls, le) = lines.bounds(text, idx);
        if le - ls > MAX_ROW {
            return None;
        }
        let cells = split_row(text, ls, le, csv.delimiter);
        if cells.len() != csv.columns.len() {
            return None;
        }
        let index = cells.iter().position(|c| c.contains(&pos))?;
        Some(Row {
            columns: &csv.columns,
            cells,
            index,
            header_line: 0,
        })
    }

    fn insert_row(&self, lines: &Lines, pos: usize) -> Option<Row<'_>> {
        let i = self
            .inserts
            .partition_point(|s| s.tuples.first().is_some_and(|t| t[0].start <= pos));
        let insert = &self.inserts[i.checked_sub(1)?];
        let t = insert.tuples.partition_point(|t| t[0].start <= pos);
        let tuple = &insert.tuples[t.checked_sub(1)?];
        let index = tuple.iter().position(|c| c.contains(&pos))?;
        if tuple.len() != insert.columns.len() {
            return None;
        }
        Some(Row {
            columns: &insert.columns,
            cells: tuple.clone(),
            index,
            header_line: lines.index_of(insert.header_pos),
        })
    }
}

fn unquote(cell: &[u8]) -> &[u8] {
    let mut c = super::lines::trim(cell);
    while c.len() >= 2
        && matches!(c[0], b'\'' | b'"' | b'`' | b'[')
        && matches!(c[c.len() - 1], b'\'' | b'"' | b'`' | b']')
    {
        c = &c[1..c.len() - 1];
    }
    c
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Searchers for the ways `INSERT` is written, built once.
fn insert_finders() -> &'static [memchr::memmem::Finder<'static>; 3] {
    static FINDERS: std::sync::OnceLock<[memchr::memmem::Finder<'static>; 3]> =
        std::sync::OnceLock::new();
    FINDERS.get_or_init(|| {
        [b"INSERT", b"insert", b"Insert"].map(|w| memchr::memmem::Finder::new(w).into_owned())
    })
}

/// Does `text` hold an `INSERT` statement keyword at all?
pub fn has_insert(text: &[u8]) -> bool {
    insert_finders().iter().any(|f| {
        f.find_iter(text)
            .any(|at| whole_word(text, at, f.needle().len()))
    })
}

/// Offsets of the `INSERT` keywords in `text`, in order.
fn insert_keywords(text: &[u8]) -> Vec<usize> {
    let mut out: Vec<usize> = insert_finders()
        .iter()
        .flat_map(|f| {
            f.find_iter(text)
                .filter(|&at| whole_word(text, at, f.needle().len()))
        })
        .collect();
    out.sort_unstable();
    out
}

fn whole_word(text: &[u8], at: usize, len: usize) -> bool {
    (at == 0 || !is_ident_byte(text[at - 1]))
        && text.get(at + len).is_none_or(|&b| !is_ident_byte(b))
}

fn skip_space(text: &[u8], mut i: usize) -> usize {
    loop {
        while i < text.len() && text[i].is_ascii_whitespace() {
            i += 1;
        }
        if text[i..].starts_with(b"--") {
            while i < text.len() && text[i] != b'\n' {
                i += 1;
            }
        } else if text[i..].starts_with(b"/*") {
            match memchr::memmem::find(&text[i + 2..], b"*/") {
                Some(p) => i += p + 4,
                None => return text.len(),
            }
        } else {
            return i;
        }
    }
}

/// A word at `i` (letters, digits, `_`), or an empty range.
fn word_at(text: &[u8], i: usize) -> Range<usize> {
    let mut e = i;
    while e < text.len() && is_ident_byte(text[e]) {
        e += 1;
    }
    i..e
}

/// `INSERT [OR REPLACE|IGNORE ...] INTO name (columns) VALUES (…), (…)`, from just after
/// `INSERT`. Returns the statement and where it ends, or how far it was read before it turned
/// out not to be one.
fn parse_insert(text: &[u8], mut i: usize, budget: &mut usize) -> Result<(Insert, usize), usize> {
    // Modifiers up to INTO.
    let mut into = false;
    for _ in 0..4 {
        i = skip_space(text, i);
        let w = word_at(text, i);
        if w.is_empty() {
            return Err(i);
        }
        i = w.end;
        if text[w].eq_ignore_ascii_case(b"into") {
            into = true;
            break;
        }
    }
    if !into {
        return Err(i);
    }
    // The table name: words, quotes and dots.
    i = skip_space(text, i);
    let name_start = i;
    while i < text.len()
        && (is_ident_byte(text[i]) || matches!(text[i], b'.' | b'"' | b'`' | b'[' | b']'))
    {
        i += 1;
    }
    if i == name_start {
        return Err(i);
    }
    i = skip_space(text, i);
    if text.get(i) != Some(&b'(') {
        return Err(i);
    }
    let header_pos = i;
    let (cells, after) = parse_tuple(text, i, MAX_COLUMNS_LIST, budget)?;
    let columns: Vec<String> = cells
        .iter()
        .map(|c| String::from_utf8_lossy(unquote(&text[c.clone()])).into_owned())
        .collect();
    if columns
        .iter()
        .any(|c| c.is_empty() || !c.bytes().all(|b| is_ident_byte(b) || b == b'-'))
    {
        return Err(after);
    }
    i = skip_space(text, after);
    let w = word_at(text, i);
    let kw = &text[w.clone()];
    if !(kw.eq_ignore_ascii_case(b"values") || kw.eq_ignore_ascii_case(b"value")) {
        return Err(i);
    }
    i = w.end;
    let mut tuples = Vec::new();
    loop {
        i = skip_space(text, i);
        if text.get(i) != Some(&b'(') {
            break;
        }
        let (cells, after) = match parse_tuple(text, i, MAX_TUPLE, budget) {
            Ok(t) => t,
            Err(reached) => {
                i = reached;
                break;
            }
        };
        tuples.push(cells);
        i = skip_space(text, after);
        if text.get(i) == Some(&b',') {
            i += 1;
        } else {
            break;
        }
    }
    Ok((
        Insert {
            columns,
            header_pos,
            tuples,
        },
        i,
    ))
}

/// The cells of the parenthesised tuple opening at `open` (read for at most `limit` bytes), and
/// the index just past it; or how far it was read.
fn parse_tuple(
    text: &[u8],
    open: usize,
    limit: usize,
    budget: &mut usize,
) -> Result<(Vec<Range<usize>>, usize), usize> {
    let mut cells = Vec::new();
    let mut depth = 0usize;
    let mut start = open + 1;
    let mut i = open + 1;
    let stop = text.len().min(open + limit);
    while i < stop {
        match text[i] {
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < stop {
                    if text[i] == b'\\' {
                        i += 2;
                        continue;
                    }
                    if text[i] == q {
                        if text.get(i + 1) == Some(&q) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
            }
            b'(' => depth += 1,
            b')' if depth > 0 => depth -= 1,
            b')' => {
                cells.push(start..i);
                *budget = budget.saturating_sub(cells.len());
                return if *budget > 0 {
                    Ok((cells, i + 1))
                } else {
                    Err(i + 1)
                };
            }
            b',' if depth == 0 => {
                cells.push(start..i);
                start = i + 1;
            }
            b';' if depth == 0 => return Err(i),
            _ => {}
        }
        i += 1;
    }
    Err(i.min(text.len()))
}

/// The names of a header row, when every field is a name.
fn csv_header(line: &[u8], delimiter: u8) -> Option<Csv> {
    let delimiter = if delimiter == b',' && !line.contains(&b',') && line.contains(&b';') {
        b';'
    } else {
        delimiter
    };
    let cells = split_row(line, 0, line.len(), delimiter);
    if cells.len() < 2 {
        return None;
    }
    let columns: Vec<String> = cells
        .iter()
        .map(|c| String::from_utf8_lossy(unquote(&line[c.clone()])).into_owned())
        .collect();
    let named = columns.iter().all(|c| {
        c.len() <= 64
            && c.chars()
                .next()
                .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
            && c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '_' | ' ' | '.' | '-'))
    });
    named.then_some(Csv { delimiter, columns })
}

/// The fields of one delimited row (double quotes respected).
fn split_row(text: &[u8], start: usize, end: usize, delimiter: u8) -> Vec<Range<usize>> {
    let mut cells = Vec::new();
    let mut quoted = false;
    let mut cell = start;
    for (i, &b) in text.iter().enumerate().take(end).skip(start) {
        if b == b'"' {
            quoted = !quoted;
        } else if b == delimiter && !quoted {
            cells.push(cell..i);
            cell = i + 1;
        }
    }
    cells.push(cell..end);
    cells
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column_at(text: &str, needle: &str, csv: Option<u8>) -> Option<String> {
        let lines = Lines::new(text.as_bytes());
        let t = Tables::new(text.as_bytes(), &lines, csv);
        let pos = text.find(needle).expect("needle");
        let idx = lines.index_of(pos);
        t.row_at(text.as_bytes(), &lines, idx, pos)
            .map(|r| r.column().to_string())
    }

    #[test]
    fn insert_columns_pair_with_multi_row_multi_line_tuples() {
        let sql = "-- seed\nINSERT INTO creds\n  (id, provider, api_key, note)\nVALUES\n  ('a1', 'x', NULL, 'it''s, fine'),\n  ('a2',\n   'lusha', 'K1', now());\ninsert into t (a, b) values ('p', 'q');\n";
        assert_eq!(column_at(sql, "K1", None).as_deref(), Some("api_key"));
        assert_eq!(column_at(sql, "a2", None).as_deref(), Some("id"));
        assert_eq!(column_at(sql, "'q'", None).as_deref(), Some("b"));
        assert_eq!(column_at(sql, "fine", None).as_deref(), Some("note"));
        // A tuple with another arity than the column list pairs with nothing.
        let bad = "INSERT INTO t (a, b, c) VALUES ('x', 'K2');";
        assert_eq!(column_at(bad, "K2", None), None);
        // No column list, no names.
        assert_eq!(column_at("INSERT INTO t VALUES ('K3');", "K3", None), None);
    }

    #[test]
    fn csv_rows_take_the_header_names() {
        let csv = "provider,api_key,owner\nhubspot,,ops\nlusha,K1,\"data, eng\"\n";
        assert_eq!(column_at(csv, "K1", Some(b',')).as_deref(), Some("api_key"));
        assert_eq!(column_at(csv, "eng", Some(b',')).as_deref(), Some("owner"));
        assert_eq!(column_at(csv, "K1", None), None);
        let tsv = "service\tcredential\nlusha\tK2\n";
        assert_eq!(
            column_at(tsv, "K2", Some(b'\t')).as_deref(),
            Some("credential")
        );
        // A first row of values is no header.
        let rows = "6f1c,Acme\nK3,Globex\n";
        assert_eq!(column_at(rows, "K3", Some(b',')), None);
    }
}
