//! The structure around a candidate: the name it is assigned to and the blocks it is nested in.
//!
//! Names are read right to left from the candidate (`LUSHA_API_KEY=`, `"api_key": "`,
//! `-H 'api_key: `, `env('LUSHA_API_KEY', '`, `${LUSHA_API_KEY:-`, `api_key%3A`), skipping quotes,
//! escapes and type words; a callee takes its whole path (`Lusha::Client.new('`,
//! `new \Lusha\Client('`). A value-like name (`value`, `default`, a plist `<string>`) is resolved
//! through its sibling (`"name": "api_key"` above, below or on the same line,
//! `<key>LushaAPIKey</key>`, `<add key="Lusha:ApiKey" value=`) or its parent key
//! (`variable "lusha_api_key" { default = `); a bare list item takes its parent's key. A cell of a
//! SQL `INSERT` tuple or of a CSV row takes its column's name. A fallback takes the name of what
//! it stands in for (`env::var("LUSHA_KEY").unwrap_or("`, `Variable.get("k", default_var="`), a
//! command-line flag's value the name another argument gives (`gh secret set NAME --body `,
//! `--name /prod/lusha/key ... --value `), and a value in a document its label (`Lusha API key
//! (prod): `, `<td>Lusha API key</td><td>`, `| Lusha API key | `). Parents are the lines above with
//! less indentation, plus the nearest `[section]` header (INI, TOML, .reg), read from the
//! window's outline; each says what shape of block it opens, so that only configuration blocks
//! (not calls, control flow or declarations in code) can belong to another service.

use super::filekind::FileKind;
use super::lines;
use super::window::Window;
use super::words::{in_set, is_name_like, is_name_like_bytes, split_words};
use crate::rules::Vocabulary;
use std::borrow::Cow;

/// How far left of a candidate a name is looked for.
const LEFT_LIMIT: usize = 240;
/// How many lines around a candidate its siblings and how many above its parents are looked for.
const SIBLING_LINES: usize = 3;
const PARENT_LINES: usize = 40;
const MAX_PARENTS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'t>(&self, text: &'t [u8]) -> Cow<'t, str> {
        // Valid UTF-8 (nearly every token) is borrowed after one fast check.
        let b = &text[self.start..self.end];
        match std::str::from_utf8(b) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(b),
        }
    }
}

/// Where a candidate's name was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Right before the value: `NAME = value`.
    Direct,
    /// The callee the value is passed to: `Lusha::Client.new("<key>")`.
    Argument,
    /// A field naming the value on the same line: `key="Lusha:ApiKey" value="..."`.
    Field,
    /// A field naming the value on another line (0-based line index).
    Sibling(usize),
    /// The key of the enclosing block (0-based line index).
    Parent(usize),
    /// The column of a table cell, named on a header line (0-based line index).
    Column(usize),
    /// What the value stands in for when its receiver has none: the variable of
    /// `env::var("LUSHA_API_KEY").unwrap_or("<key>")`.
    Fallback,
    /// The words that label it in a document: `Lusha API key (prod): <key>`.
    Label,
}

#[derive(Debug, Clone)]
pub struct Name {
    pub text: String,
    /// Byte range in the window, when the name is on the candidate's line.
    pub span: Option<(usize, usize)>,
    pub via: Via,
    /// The name is the value's neighbour in a comma-separated list (`('lusha', '<uuid>')`,
    /// `env('KEY', '<uuid>')`) rather than assigned to it (`KEY=`, `"key": `).
    pub listed: bool,
}

/// What kind of block a parent line opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `key:`, `"key": {`, `key = {`, `'key' => [`: a key whose value is the block.
    Keyed,
    /// `[section]`, `[a.b]`, `[HKEY_...\Key]`.
    Section,
    /// `<element>` (XML).
    Element,
    /// Anything else that opens a block: `provider "hubspot" {`, `class Foo:`, `if err != nil {`,
    /// `axios.create({`, `const (`.
    Declaration,
}

#[derive(Debug, Clone)]
pub struct Parent {
    pub line: usize,
    pub key: Option<String>,
    /// The line only opens a block (`lusha:`, `"hubspot": {`, `[section]`).
    pub opener: bool,
    pub shape: Shape,
}

fn is_name_byte(b: u8) -> bool {
    NAME_BYTES[usize::from(b)]
}

/// The bytes of a name (a table: tokens are walked byte by byte, a million times in dense files).
static NAME_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-';
        i += 1;
    }
    t
};

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Length of an escape sequence that ends right before `i` (`%3A`, `\n`, `&quot;`), if any.
fn escape_before(text: &[u8], lo: usize, i: usize) -> Option<usize> {
    let last = text[i - 1];
    // Every escape ends with a hex digit, an escaped letter or quote, or `;`.
    if !(last.is_ascii_hexdigit() || matches!(last, b'n' | b't' | b'r' | b'"' | b'\'' | b';')) {
        return None;
    }
    let avail = i - lo;
    if avail >= 3
        && text[i - 3] == b'%'
        && text[i - 2].is_ascii_hexdigit()
        && text[i - 1].is_ascii_hexdigit()
    {
        return Some(3);
    }
    if avail >= 2
        && text[i - 2] == b'\\'
        && matches!(text[i - 1], b'n' | b't' | b'r' | b'"' | b'\'')
    {
        return Some(2);
    }
    if avail >= 6
        && text[i - 6] == b'\\'
        && text[i - 5] == b'u'
        && text[i - 4..i].iter().all(u8::is_ascii_hexdigit)
    {
        return Some(6);
    }
    if text[i - 1] == b';' {
        for entity in [
            &b"&quot;"[..],
            b"&apos;",
            b"&#34;",
            b"&#39;",
            b"&#x22;",
            b"&gt;",
            b"&lt;",
        ] {
            if avail >= entity.len() && text[i - entity.len()..i].eq_ignore_ascii_case(entity) {
                return Some(entity.len());
            }
        }
    }
    None
}

/// Tokens left of `pos` on its line, nearest first, read one at a time (most candidates need
/// only the nearest one or two).
pub struct TokensLeft<'t> {
    text: &'t [u8],
    lo: usize,
    i: usize,
    /// Can the stretch hold an escape at all (`%`, `\`, `;`)? Most lines cannot, and then no byte
    /// needs checking for one.
    escapes: bool,
    /// A stretch known to be all name bytes (`Window::name_run`), jumped in one step.
    run: Option<(usize, usize)>,
}

impl<'t> TokensLeft<'t> {
    pub fn new(text: &'t [u8], line_start: usize, pos: usize) -> TokensLeft<'t> {
        let lo = line_start.max(pos.saturating_sub(LEFT_LIMIT));
        TokensLeft {
            text,
            lo,
            i: pos,
            escapes: memchr::memchr3(b'%', b'\\', b';', &text[lo..pos]).is_some(),
            run: None,
        }
    }

    /// `new` in a window, using what the window knows about its text: the stretch without
    /// escapes and the run of name bytes its candidates left (candidates on one line share
    /// the walk instead of each rereading the line).
    pub fn in_window(w: &Window<'t>, line_start: usize, pos: usize) -> TokensLeft<'t> {
        let lo = line_start.max(pos.saturating_sub(LEFT_LIMIT));
        TokensLeft {
            text: w.text,
            lo,
            i: pos,
            escapes: w.may_have_escapes(lo, pos),
            run: w.name_run(),
        }
    }

    #[inline]
    fn escape_before(&self, i: usize) -> Option<usize> {
        if self.escapes {
            escape_before(self.text, self.lo, i)
        } else {
            None
        }
    }
}

impl Iterator for TokensLeft<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let (text, lo) = (self.text, self.lo);
        let mut i = self.i;
        loop {
            // Without escapes on the stretch, the walks below are plain byte scans.
            if !self.escapes {
                while i > lo && !is_name_byte(text[i - 1]) {
                    i -= 1;
                }
            }
            while i > lo {
                if let Some(n) = self.escape_before(i) {
                    i -= n;
                } else if is_name_byte(text[i - 1]) {
                    break;
                } else {
                    i -= 1;
                }
            }
            if i <= lo {
                self.i = lo;
                return None;
            }
            let end = i;
            if let Some((s, e)) = self.run {
                // Without escapes the walk below would step over every byte of the run.
                if !self.escapes && e == i && lo <= s && s < e {
                    i = s;
                }
            }
            while i > lo {
                if !self.escapes {
                    while i > lo && is_name_byte(text[i - 1]) {
                        i -= 1;
                    }
                    if i <= lo {
                        break;
                    }
                }
                let c = text[i - 1];
                if is_name_byte(c) {
                    if self.escape_before(i).is_some() {
                        break;
                    }
                    i -= 1;
                } else if c == b':'
                    && i - 1 > lo
                    && is_word_byte(text[i - 2])
                    && i < end
                    && is_word_byte(text[i])
                {
                    i -= 1;
                } else {
                    break;
                }
            }
            let (mut s, mut e) = (i, end);
            while s < e && matches!(text[s], b'-' | b'.') {
                s += 1;
            }
            while e > s && matches!(text[e - 1], b'-' | b'.' | b':') {
                e -= 1;
            }
            if s < e {
                self.i = i;
                return Some(Token { start: s, end: e });
            }
        }
    }
}

/// Tokens left of `pos` on its line, nearest first.
pub fn tokens_left(text: &[u8], line_start: usize, pos: usize, max: usize) -> Vec<Token> {
    TokensLeft::new(text, line_start, pos).take(max).collect()
}

/// Tokens right of `pos` up to `end`, nearest first.
fn tokens_right(text: &[u8], pos: usize, end: usize, max: usize) -> Vec<Token> {
    let hi = end.min(pos + LEFT_LIMIT);
    let mut out = Vec::new();
    let mut i = pos;
    while out.len() < max && i < hi {
        while i < hi && !is_name_byte(text[i]) {
            i += 1;
        }
        let s = i;
        while i < hi && is_name_byte(text[i]) {
            i += 1;
        }
        if s < i {
            out.push(Token { start: s, end: i });
        }
    }
    out
}

/// Tokens of a whole line, left to right.
fn line_tokens(text: &[u8], start: usize, end: usize) -> Vec<Token> {
    let mut t = tokens_left(text, start, end, 32);
    t.reverse();
    t
}

/// Is the value ending at `end` the key of a block (`"<uuid>": {`, `<uuid>: [`, a YAML key with
/// its block below)? Such a value names what follows; it is nobody's credential.
pub fn is_block_key(text: &[u8], end: usize, line_end: usize) -> bool {
    let mut i = end;
    if i < line_end && matches!(text[i], b'"' | b'\'') {
        i += 1;
    }
    if i >= line_end || text[i] != b':' || text.get(i + 1) == Some(&b':') {
        return false;
    }
    i += 1;
    while i < line_end && matches!(text[i], b' ' | b'\t') {
        i += 1;
    }
    i == line_end || matches!(text[i], b'{' | b'[')
}

/// The name a candidate at `pos` (on line `idx`) is assigned to.
pub fn find_name(
    w: &Window<'_>,
    idx: usize,
    pos: usize,
    vocab: &Vocabulary,
    headers: &[String],
) -> Option<Name> {
    let text = w.text;
    let words = &vocab.words;
    let (ls, _) = w.lines.around(idx, pos);
    if matches!(w.kind, FileKind::Table(_)) {
        if let Some(name) = column_name(w, idx, pos, vocab) {
            return Some(name);
        }
    }
    if let Some((tag, open_end)) = element_before(text, ls, pos) {
        if in_set(&words.value, &text[tag.start..tag.end]) {
            // `<string name="lusha_api_key">`: an attribute of the element names it; else a
            // sibling element does (`<key>LushaAPIKey</key>` above).
            let attrs = line_tokens(text, tag.end, open_end);
            if let Some(n) = field_pair(text, &attrs, vocab) {
                return Some(Name {
                    text: n,
                    span: None,
                    via: Via::Field,
                    listed: false,
                });
            }
            // `<td>Lusha API key</td><td><key></td>`, `<dt>..</dt><dd>..</dd>`: the element
            // before it on the line labels it.
            if let Some(n) = previous_element_text(text, ls, tag.start - 1) {
                return Some(Name {
                    text: n,
                    span: None,
                    via: Via::Field,
                    listed: false,
                });
            }
            return sibling_name(w, idx, pos, vocab).or_else(|| parent_key_name(w, idx, pos));
        }
    }
    let tokens = TokensLeft::in_window(w, ls, pos).take(8);
    // Skip type words and UUID-parsing calls (`UUID.fromString(`, `Guid.Parse(`): the name is
    // what the parsed value is assigned to.
    let parses_uuid = |t: &Token| {
        is_callee(text, t)
            && split_words(&t.text(text))
                .iter()
                .any(|x| words.identifier.contains(x))
    };
    let mut rest = tokens.skip_while(|t| {
        in_set(&words.skip, &text[t.start..t.end]) || parses_uuid(t) || is_closure_param(text, t)
    });
    let first = rest.next();
    let listed = first.is_some_and(|t| text[t.end..pos].contains(&b','));
    // A cell of a SQL tuple has no name on its line, or a neighbour in the list, or `VALUES (`
    // before it: its column names it.
    let in_tuple =
        first.is_none_or(|t| listed || text[t.start..t.end].eq_ignore_ascii_case(b"values"));
    if in_tuple && !matches!(w.kind, FileKind::Table(_)) {
        if let Some(name) = column_name(w, idx, pos, vocab) {
            return Some(name);
        }
    }
    let Some(first) = &first else {
        return parent_key_name(w, idx, pos);
    };
    if is_value_flag(text, first, vocab) {
        // `gh secret set LUSHA_API_KEY --body <key>`, `--name /prod/lusha/api-key ... --value
        // <key>`: another argument of the command names it.
        if let Some(name) = command_name(w, idx, first, vocab) {
            return Some(name);
        }
    }
    if is_callee(text, first) && !listed && is_fallback(text, first, vocab) {
        // `env::var("LUSHA_API_KEY").unwrap_or("<key>")`: the receiver names the value. Calls
        // without arguments between (`.ok()`) are steps of the same receiver.
        let step = |t: &Token| is_callee(text, t) && empty_call(text, t);
        let mut receiver = rest.find(|t| !step(t));
        // A chain continued on the lines above (`env::var("K")` / `.ok()` / `.unwrap_or(`).
        let mut j = idx;
        while receiver.is_none() && j > 0 && idx - j < CHAIN_LINES {
            let (s, e) = w.lines.bounds(text, j);
            if !lines::trim_start(&text[s..e]).starts_with(b".") {
                break;
            }
            j -= 1;
            let (s, e) = w.lines.bounds(text, j);
            receiver = TokensLeft::new(text, s, e).take(8).find(|t| !step(t));
        }
        if let Some(t) = receiver.filter(|t| is_name_like(&t.text(text))) {
            return Some(Name {
                text: t.text(text).into_owned(),
                span: Some((t.start, t.end)),
                via: Via::Fallback,
                listed: false,
            });
        }
        return None;
    }
    if is_callee(text, first) && !listed {
        // `setValue("<key>", forHTTPHeaderField: "api_key")`: the header named later in the
        // call names the value.
        let (_, le) = w.lines.around(idx, pos);
        if let Some(h) = header_later_in_call(text, pos, le, headers) {
            return Some(Name {
                text: h,
                span: None,
                via: Via::Field,
                listed: false,
            });
        }
        // `Lusha::Client.new('<key>')`, `new \Lusha\Client('<key>')`: the callee's whole path.
        let path = callee_path(text, ls, first);
        return Some(Name {
            text: String::from_utf8_lossy(&text[path.start..path.end]).into_owned(),
            span: Some((path.start, path.end)),
            via: Via::Argument,
            listed: false,
        });
    }
    if !is_name_like_bytes(&text[first.start..first.end]) || is_path_like(text, first) {
        // The nearest token is another value (a number, a UUID, a file path): nothing names
        // this one.
        return None;
    }
    let name = first.text(text);
    if !is_value_name(&name, vocab) {
        return Some(Name {
            text: name.into_owned(),
            span: Some((first.start, first.end)),
            via: Via::Direct,
            listed,
        });
    }
    for t in &mut rest {
        let t = &t;
        let s = t.text(text);
        let b = &text[t.start..t.end];
        if in_set(&words.field, b) || in_set(&words.skip, b) {
            continue;
        }
        if is_name_like(&s) && !in_set(&words.value, b) && names_a_field(text, t) {
            return Some(Name {
                text: s.into_owned(),
                span: Some((t.start, t.end)),
                via: Via::Field,
                listed: false,
            });
        }
        break;
    }
    sibling_name(w, idx, pos, vocab)
        .or_else(|| parent_key_name(w, idx, pos))
        .or_else(|| {
            // In code a value word is also an ordinary variable (`const DEFAULT = "<key>"`),
            // whose uses the data flow can follow.
            w.kind.has_code().then(|| Name {
                text: name.into_owned(),
                span: Some((first.start, first.end)),
                via: Via::Direct,
                listed,
            })
        })
}

/// Does a name only say "the value" (`value`, `default`, `default_var`, `defaultValue`,
/// `fallback_value`: a value word, then value or neutral words)? Such a name is resolved through
/// a field, sibling or parent.
fn is_value_name(name: &str, vocab: &Vocabulary) -> bool {
    let words = &vocab.words;
    // Such a name starts with a value word: one set lookup settles most names (ids come by the
    // million), and only a compound that starts with one is split.
    let b = name.as_bytes();
    let first_end = (1..b.len())
        .find(|&i| {
            !b[i].is_ascii_alphanumeric()
                || (b[i].is_ascii_uppercase() && b[i - 1].is_ascii_lowercase())
        })
        .unwrap_or(b.len());
    if !in_set(&words.value, &b[..first_end]) {
        // A value word written as one compound (`equalTo`, `defaultValue`).
        return first_end < b.len() && in_set(&words.value, b);
    }
    first_end == b.len()
        || split_words(name)
            .iter()
            .all(|p| words.value.contains(p) || words.neutral.contains(p))
}

/// A closure's parameter before the value it returns: `|_| "<key>"`, `|e| "<key>"`.
fn is_closure_param(text: &[u8], t: &Token) -> bool {
    let after = text[t.end..]
        .iter()
        .take(4)
        .find(|b| !matches!(b, b' ' | b'\t'));
    let before = text[..t.start]
        .iter()
        .rev()
        .take(4)
        .find(|b| !matches!(b, b' ' | b'\t'));
    after == Some(&b'|') && matches!(before, Some(b'|' | b','))
}

/// Is the callee `t` a method whose argument is the value used when its receiver has none
/// (`unwrap_or`, `orElse`, `getOrElse`)?
fn is_fallback(text: &[u8], t: &Token, vocab: &Vocabulary) -> bool {
    let callee = &text[t.start..t.end];
    let method = match memchr::memrchr(b'.', callee) {
        Some(dot) => &callee[dot + 1..],
        None => callee,
    };
    in_set(&vocab.words.fallbacks, method)
}

/// Is the callee `t` called with no arguments (`.ok()`, `.as_deref()`)?
fn empty_call(text: &[u8], t: &Token) -> bool {
    let rest = &text[t.end..];
    let open = rest.iter().position(|&b| b == b'(');
    open.is_some_and(|o| {
        rest[o + 1..]
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t'))
            .is_some_and(|&b| b == b')')
    })
}

/// Most lines above a fallback call a method chain is followed up.
const CHAIN_LINES: usize = 4;

/// Is `t` a command-line flag (`--value`, `-body`) whose last word says it carries a value that
/// another argument names?
fn is_value_flag(text: &[u8], t: &Token, vocab: &Vocabulary) -> bool {
    if t.start == 0 || text[t.start - 1] != b'-' {
        return false;
    }
    let mut s = t.start;
    while s > 0 && text[s - 1] == b'-' {
        s -= 1;
    }
    if s > 0 && !text[s - 1].is_ascii_whitespace() {
        return false;
    }
    split_words(&t.text(text))
        .last()
        .is_some_and(|w| vocab.words.flag_values.contains(w))
}

/// Most lines a command continued with `\`, `` ` `` or `^` is read over.
const COMMAND_LINES: usize = 8;

/// The name of the value of the flag `flag` (on line `idx`): a naming flag of the same command
/// (`--name /prod/lusha/api-key`, `--secret-id lusha/prod`), on any of its continued lines, or
/// else the nearest positional argument before the flag (`gh secret set LUSHA_API_KEY --body`).
fn command_name(w: &Window<'_>, idx: usize, flag: &Token, vocab: &Vocabulary) -> Option<Name> {
    let text = w.text;
    let lines = &w.lines;
    let continued = |j: usize| {
        matches!(
            lines::trim(lines.line(text, j)).last(),
            Some(b'\\' | b'`' | b'^')
        )
    };
    let mut first = idx;
    while first > 0 && idx - first < COMMAND_LINES && continued(first - 1) {
        first -= 1;
    }
    let mut last = idx;
    while last + 1 < lines.count() && last - first < COMMAND_LINES && continued(last) {
        last += 1;
    }
    // Every argument of the command, with its line; `--flag=value` is split in two.
    let mut args: Vec<(usize, usize, usize)> = Vec::new();
    for j in first..=last {
        let (s, e) = lines.bounds(text, j);
        let mut i = s;
        while i < e {
            while i < e && text[i].is_ascii_whitespace() {
                i += 1;
            }
            let a = i;
            let mut quote = None;
            while i < e && (quote.is_some() || !text[i].is_ascii_whitespace()) {
                match (quote, text[i]) {
                    (None, q @ (b'"' | b'\'')) => quote = Some(q),
                    (Some(q), c) if c == q => quote = None,
                    _ => {}
                }
                i += 1;
            }
            if a == i {
                continue;
            }
            match memchr::memchr(b'=', &text[a..i]) {
                Some(eq) if text[a] == b'-' => {
                    args.push((j, a, a + eq));
                    if a + eq + 1 < i {
                        args.push((j, a + eq + 1, i));
                    }
                }
                _ => args.push((j, a, i)),
            }
        }
    }
    let arg = |k: usize| {
        let (_, a, b) = args[k];
        let t = &text[a..b];
        let t = t
            .strip_prefix(b"\"")
            .and_then(|t| t.strip_suffix(b"\""))
            .or_else(|| t.strip_prefix(b"'").and_then(|t| t.strip_suffix(b"'")))
            .unwrap_or(t);
        String::from_utf8_lossy(t)
    };
    let is_flag = |k: usize| text[args[k].1] == b'-';
    let at = args
        .iter()
        .position(|&(_, a, b)| a < flag.end && flag.start < b)?;
    let named = |k: usize, n: String| {
        let line = args[k].0;
        Some(Name {
            text: n,
            span: None,
            via: if line == idx {
                Via::Field
            } else {
                Via::Sibling(line)
            },
            listed: false,
        })
    };
    // A naming flag anywhere in the command.
    for k in 0..args.len().saturating_sub(1) {
        if k == at || !is_flag(k) || is_flag(k + 1) {
            continue;
        }
        let f = arg(k);
        let names = split_words(&f)
            .last()
            .is_some_and(|x| vocab.words.field.contains(x));
        let value = arg(k + 1);
        if names && (is_name_like(&value) || value.starts_with('/')) {
            return named(k + 1, value.into_owned());
        }
    }
    // Else the nearest positional argument before the flag, skipping other flags' values.
    let mut k = at;
    while k > 0 {
        k -= 1;
        if is_flag(k) || (k > 0 && is_flag(k - 1) && !arg(k - 1).contains('=')) {
            continue;
        }
        let a = arg(k);
        let plain = a
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
        return (plain && is_name_like(&a)).then(|| named(k, a.into_owned()))?;
    }
    None
}

/// The text of the element that closes right before `open` (the `<` of the value's element) on
/// the same line, when it is a short label: `<td>Lusha API key</td>` before `<td>`.
fn previous_element_text(text: &[u8], line_start: usize, open: usize) -> Option<String> {
    let lo = line_start.max(open.saturating_sub(LEFT_LIMIT));
    let mut i = open;
    while i > lo && matches!(text[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    if i == lo || text[i - 1] != b'>' {
        return None;
    }
    let close = memchr::memrchr(b'<', &text[lo..i])? + lo;
    if text.get(close + 1) != Some(&b'/') {
        return None;
    }
    let start = memchr::memrchr(b'>', &text[lo..close])? + lo + 1;
    let label = String::from_utf8_lossy(&text[start..close]);
    let label = label.trim();
    (!label.contains('<') && label.len() <= 64 && is_name_like(label)).then(|| label.to_string())
}

/// Longest label read before a value in prose: `Lusha API key (prod): <key>`.
const LABEL_WORDS: usize = 5;

/// The label of a value in prose or a document table: the words before a colon
/// (`Lusha API key (prod): `<key>``) or before the cell boundary of a Markdown table row
/// (`| Lusha API key | <key> |`), without a parenthesised qualifier or emphasis. Only a label of
/// several words (or one with a qualifier) is returned: a single word is the nearest token.
pub fn label_phrase(text: &[u8], line_start: usize, pos: usize) -> Option<Name> {
    let lo = line_start.max(pos.saturating_sub(LEFT_LIMIT));
    let markup = |b: u8| matches!(b, b' ' | b'\t' | b'`' | b'"' | b'\'' | b'*');
    let mut i = pos;
    while i > lo && markup(text[i - 1]) {
        i -= 1;
    }
    if i == lo {
        return None;
    }
    match text[i - 1] {
        b':' => {}
        b'|' if lines::trim_start(&text[line_start..pos]).starts_with(b"|") => {}
        _ => return None,
    }
    i -= 1;
    while i > lo && markup(text[i - 1]) {
        i -= 1;
    }
    let mut qualified = false;
    if i > lo && text[i - 1] == b')' {
        let open = memchr::memrchr(b'(', &text[lo..i - 1])? + lo;
        qualified = true;
        i = open;
        while i > lo && markup(text[i - 1]) {
            i -= 1;
        }
    }
    let end = i;
    let mut words = 0;
    loop {
        let mut j = i;
        while j > lo && (text[j - 1].is_ascii_alphanumeric() || matches!(text[j - 1], b'_' | b'-'))
        {
            j -= 1;
        }
        if j == i {
            break;
        }
        words += 1;
        i = j;
        let spaced = j > lo + 1 && text[j - 1] == b' ' && text[j - 2].is_ascii_alphanumeric();
        if words == LABEL_WORDS || !spaced {
            break;
        }
        i = j - 1;
    }
    let label = String::from_utf8_lossy(&text[i..end]);
    (words >= 2 || (words == 1 && qualified)).then(|| Name {
        text: label.into_owned(),
        span: Some((i, end)),
        via: Via::Label,
        listed: false,
    })
}

/// The name of the column of the table cell at `pos`, or of the field column of its row when the
/// cell's own column only says "value".
fn column_name(w: &Window<'_>, idx: usize, pos: usize, vocab: &Vocabulary) -> Option<Name> {
    let row = w.row_at(idx, pos)?;
    let words = &vocab.words;
    let column = row.column();
    // `value`, `setting_value`; `key`, `setting_key`.
    let last_word_in = |name: &str, set: &std::collections::BTreeSet<String>| {
        split_words(name).last().is_some_and(|w| set.contains(w))
    };
    let name = if last_word_in(column, &words.value) {
        // `(key, value)` rows: the `key` cell names the value (`setting_key` before `key` for
        // `setting_value`), when it holds a name rather than another value.
        let own = split_words(column);
        let prefix = &own[..own.len().saturating_sub(1)];
        let mut fields: Vec<usize> = (0..row.columns.len())
            .filter(|&i| i != row.index && last_word_in(&row.columns[i], &words.field))
            .collect();
        fields.sort_by_key(|&i| {
            let other = split_words(&row.columns[i]);
            !(other.len() > 1 && other[..other.len() - 1] == *prefix)
        });
        fields
            .into_iter()
            .map(|i| String::from_utf8_lossy(row.cell(w.text, i)).into_owned())
            .find(|n| is_name_like(n) && !n.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))?
    } else {
        column.to_string()
    };
    Some(Name {
        text: name,
        span: None,
        via: Via::Column(row.header_line),
        listed: false,
    })
}

/// Is the token the value of a field (`key="Lusha:ApiKey"`, `"name": "api_key"`,
/// `<Name>api_key</Name>`) rather than a word of a statement (`UPDATE settings SET value = `)?
fn names_a_field(text: &[u8], t: &Token) -> bool {
    let before = t.start.checked_sub(1).map(|i| text[i]);
    let after = text.get(t.end).copied();
    let quoted = matches!(before, Some(b'"' | b'\'' | b'`')) && after == before;
    let element = before == Some(b'>') && after == Some(b'<');
    let assigned = text[t.end..]
        .iter()
        .take(4)
        .find(|b| !matches!(b, b' ' | b'\t' | b'"' | b'\''))
        .is_some_and(|&b| b == b'=' || b == b':');
    quoted || element || assigned
}

/// A quoted header name among the arguments after `pos`, up to the call's end on this line.
fn header_later_in_call(text: &[u8], pos: usize, end: usize, headers: &[String]) -> Option<String> {
    let mut depth = 0usize;
    let stop = end.min(pos + LEFT_LIMIT);
    // Past the value itself and its closing quote, to the next argument.
    let mut i = pos + memchr::memchr2(b',', b')', &text[pos..stop])?;
    while i < stop {
        match text[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth == 0 => break,
            b')' | b']' | b'}' => depth -= 1,
            q @ (b'"' | b'\'') => {
                let close = memchr::memchr(q, &text[i + 1..stop])? + i + 1;
                let inner = &text[i + 1..close];
                if let Some(h) = headers.iter().find(|h| h.as_bytes() == inner) {
                    return Some(h.clone());
                }
                i = close;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Is the token followed by `(` (a call or a constructor)?
fn is_callee(text: &[u8], t: &Token) -> bool {
    text[t.end..]
        .iter()
        .take(8)
        .find(|b| !matches!(b, b' ' | b'\t'))
        == Some(&b'(')
}

/// The whole path of the callee ending with `t`: `Lusha::Client.new`, `\Lusha\Client`,
/// `$this->lusha->client`.
fn callee_path(text: &[u8], line_start: usize, t: &Token) -> Token {
    let lo = line_start.max(t.start.saturating_sub(LEFT_LIMIT));
    let mut s = t.start;
    while s > lo {
        let c = text[s - 1];
        if is_name_byte(c) || c == b':' || c == b'\\' {
            s -= 1;
        } else if c == b'>' && s >= 2 && text[s - 2] == b'-' {
            s -= 2;
        } else {
            break;
        }
    }
    while s < t.start && !is_word_byte(text[s]) {
        s += 1;
    }
    Token {
        start: s,
        end: t.end,
    }
}

/// The element whose content starts at `pos` (`<string>` in `<string>value</string>`), and
/// where its opening tag ends.
fn element_before(text: &[u8], line_start: usize, pos: usize) -> Option<(Token, usize)> {
    let lo = line_start.max(pos.saturating_sub(LEFT_LIMIT));
    let mut i = pos;
    while i > lo && matches!(text[i - 1], b' ' | b'\t') {
        i -= 1;
    }
    if i == lo || text[i - 1] != b'>' || (i >= 2 && text[i - 2] == b'/') {
        return None;
    }
    let open = memchr::memrchr(b'<', &text[lo..i - 1])? + lo;
    let start = open + 1;
    let mut end = start;
    while end < i && (is_name_byte(text[end]) || text[end] == b':') {
        end += 1;
    }
    (end > start && text[start].is_ascii_alphabetic()).then_some((Token { start, end }, i - 1))
}

/// File extensions that mark a token as a file name rather than a variable name.
const FILE_EXTENSIONS: &[&str] = &[
    "csproj", "vbproj", "fsproj", "vcxproj", "sln", "props", "targets", "json", "yaml", "yml",
    "toml", "xml", "ini", "cfg", "conf", "py", "js", "mjs", "cjs", "ts", "tsx", "jsx", "cs", "go",
    "rb", "php", "java", "kt", "rs", "md", "txt", "html", "css", "sh", "ps1", "dll", "exe", "so",
    "jar", "zip", "png", "jpg", "svg", "lock", "log", "csv", "sql", "proto",
];

/// A path component (`src\App\`, `/v2/person`) or a file name (`App.csproj`) is a value.
fn is_path_like(text: &[u8], token: &Token) -> bool {
    if token.start > 0 && matches!(text[token.start - 1], b'/' | b'\\') {
        // `\n` and friends were taken as escapes when the token was read; a real separator
        // is not followed by the escape letter that would start the token.
        return !(token.start >= 2 && text[token.start - 2] == b'\\');
    }
    let t = &text[token.start..token.end];
    match memchr::memrchr(b'.', t) {
        Some(dot) if dot > 0 => {
            let ext = String::from_utf8_lossy(&t[dot + 1..]).to_ascii_lowercase();
            FILE_EXTENSIONS.contains(&ext.as_str())
        }
        _ => false,
    }
}

/// Indentation of a line's key, looking past a YAML list dash (`- name: x` keys sit at dash + 2).
fn key_indent(line: &[u8]) -> usize {
    let ind = lines::indent(line);
    let rest = lines::trim_start(line);
    if rest.starts_with(b"- ") {
        ind + 2 + lines::indent(&rest[2..])
    } else {
        ind
    }
}

/// A field naming a value among `toks`: `name: X`, `"key": "X"`, `key="X"`, `<key>X</key>`
/// (a field and its value, not words of a sentence).
fn field_pair(text: &[u8], toks: &[Token], vocab: &Vocabulary) -> Option<String> {
    for pair in toks.windows(2) {
        let between = &text[pair[0].end..pair[1].start];
        let assigned = between.iter().any(|&b| b == b':' || b == b'=');
        let element = between == b">" && pair[0].start > 0 && text[pair[0].start - 1] == b'<';
        if !(assigned || element) || !in_set(&vocab.words.field, &text[pair[0].start..pair[0].end])
        {
            continue;
        }
        // A quoted value is the whole string: `name = "/prod/lusha/api_key"`.
        let quote = between
            .iter()
            .rposition(|&b| b == b'"' || b == b'\'')
            .map(|i| (pair[0].end + i, between[i]));
        let value = match quote {
            Some((q_at, q)) => {
                let rest = &text[q_at + 1..];
                let len = memchr::memchr(q, &rest[..rest.len().min(LEFT_LIMIT)])
                    .unwrap_or(pair[1].end - q_at - 1);
                String::from_utf8_lossy(&rest[..len])
            }
            None => pair[1].text(text),
        };
        if is_name_like(&value) || value.starts_with('/') {
            return Some(value.into_owned());
        }
    }
    None
}

/// A sibling that names the value: a field on a line above (`"name": "api_key",`,
/// `- name: LUSHA_API_KEY`, `<key>LushaAPIKey</key>`), later on the same line
/// (`{"value": "<key>", "name": "api_key"}`) or on a line below in the same block.
fn sibling_name(w: &Window<'_>, idx: usize, pos: usize, vocab: &Vocabulary) -> Option<Name> {
    let text = w.text;
    let lines = &w.lines;
    let own = key_indent(lines.line(text, idx));
    let sibling = |j: usize| {
        let field = w.line_field(j, || {
            let (s, e) = lines.bounds(text, j);
            field_pair(text, &line_tokens(text, s, e), vocab)
        });
        field.map(|n| Name {
            text: n,
            span: None,
            via: Via::Sibling(j),
            listed: false,
        })
    };
    let (_, le) = lines.around(idx, pos);
    if let Some(n) = field_pair(text, &tokens_right(text, pos, le, 8), vocab) {
        return Some(Name {
            text: n,
            span: None,
            via: Via::Field,
            listed: false,
        });
    }
    let mut seen = 0;
    for j in (0..idx).rev() {
        let line = lines.line(text, j);
        if lines::is_blank(line) {
            continue;
        }
        seen += 1;
        if seen > SIBLING_LINES {
            break;
        }
        let ind = key_indent(line);
        if ind > own {
            continue;
        }
        if let Some(n) = sibling(j) {
            return Some(n);
        }
        if ind < own {
            break;
        }
    }
    let mut seen = 0;
    for j in idx + 1..lines.count() {
        let line = lines.line(text, j);
        if lines::is_blank(line) {
            continue;
        }
        seen += 1;
        let t = lines::trim_start(line);
        if seen > SIBLING_LINES || key_indent(line) != own || matches!(t.first(), Some(b'}' | b']'))
        {
            break;
        }
        if t.starts_with(b"- ") && !lines::trim_start(lines.line(text, idx)).starts_with(b"- ") {
            break;
        }
        if let Some(n) = sibling(j) {
            return Some(n);
        }
    }
    None
}

fn parent_key_name(w: &Window<'_>, idx: usize, pos: usize) -> Option<Name> {
    let parent = parents(w, idx, pos).into_iter().next()?;
    // In code, a class, function or call does not name the values inside it.
    if w.kind == FileKind::Code && parent.shape == Shape::Declaration {
        return None;
    }
    Some(Name {
        text: parent.key?,
        span: None,
        via: Via::Parent(parent.line),
        listed: false,
    })
}

/// The enclosing blocks of line `idx` (which holds `pos`), nearest first.
pub fn parents(w: &Window<'_>, idx: usize, pos: usize) -> Vec<Parent> {
    let (ls, le) = w.lines.around(idx, pos);
    let mut level = lines::indent(&w.text[ls..le]);
    let mut out = Vec::new();
    let sections = w.sections();
    // A sequence item at column 0 can still belong to the `key:` line above it.
    let item = level == 0 && super::outline::is_sequence_item(&w.text[ls..le]);
    if level == 0 && sections.is_empty() && !item {
        // A line at column 0 of a file without sections is in no block.
        return out;
    }
    let stop = idx.saturating_sub(PARENT_LINES);
    // The nearest section header above line `cur`.
    let section_above = |cur: usize| {
        let i = sections.partition_point(|&s| s < cur);
        i.checked_sub(1).map(|i| sections[i])
    };
    let mut cur = idx;
    loop {
        // Nothing is less indented than column 0: there, only a section header encloses a line
        // (and a flat file needs no outline).
        let p = if level == 0 && !(item && cur == idx) {
            None
        } else {
            w.outline().parent(cur).filter(|&p| p >= stop)
        };
        let section = section_above(cur).filter(|&s| {
            s >= stop && lines::indent(w.lines.line(w.text, s)) <= level && p.is_none_or(|p| s >= p)
        });
        if let Some(s) = section {
            let t = lines::trim(w.lines.line(w.text, s));
            let inner = String::from_utf8_lossy(&t[1..t.len() - 1]);
            let key = inner
                .trim_matches(|c| c == '[' || c == ']')
                .rsplit(['.', '\\', '/'])
                .next()
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty());
            out.push(Parent {
                line: s,
                key,
                opener: true,
                shape: Shape::Section,
            });
            break;
        }
        let Some(p) = p else { break };
        let (key, opener, shape) = w.parent_key(p, || parent_key(w, p));
        out.push(Parent {
            line: p,
            key,
            opener,
            shape,
        });
        level = w.outline().indent(p);
        cur = p;
        if out.len() >= MAX_PARENTS {
            break;
        }
    }
    out
}

/// What a value after a key's separator must be for the line to only open a block.
fn opens_block(tail: &[u8]) -> bool {
    tail.is_empty()
        || matches!(
            tail,
            b"{" | b"[" | b"(" | b"|" | b">" | b"|-" | b">-" | b"[{" | b"[[" | b"array(" | b"dict("
        )
}

/// The key a block-opening line introduces, whether the line does nothing but open a block, and
/// what kind of block it is.
fn parent_key(w: &Window<'_>, j: usize) -> (Option<String>, bool, Shape) {
    let text = w.text;
    let (s, e) = w.lines.bounds(text, j);
    let trimmed = lines::trim(&text[s..e]);
    // `<element attr="x">` with its content on the lines below.
    if trimmed.len() > 2
        && trimmed[0] == b'<'
        && trimmed[1].is_ascii_alphabetic()
        && trimmed.ends_with(b">")
        && !trimmed.ends_with(b"/>")
        && memchr::memmem::find(trimmed, b"</").is_none()
    {
        let name: Vec<u8> = trimmed[1..]
            .iter()
            .copied()
            .take_while(|&b| is_name_byte(b) || b == b':')
            .collect();
        return (
            Some(String::from_utf8_lossy(&name).into_owned()),
            true,
            Shape::Element,
        );
    }
    let toks = line_tokens(text, s, e);
    let skip = |t: &Token| {
        let b = &text[t.start..t.end];
        w.kind.has_code()
            && SKIP_DECLARATION_WORDS
                .iter()
                .any(|d| b.eq_ignore_ascii_case(d.as_bytes()))
    };
    let Some(first) = toks.iter().find(|t| !skip(t)) else {
        return (None, false, Shape::Declaration);
    };
    // `key:` / `"key": {` / `key = {` / `'key' => [`: the first token names the block.
    let mut after = first.end;
    while after < e && matches!(text[after], b'"' | b'\'' | b'`' | b']') {
        after += 1;
    }
    let mut k = after;
    while k < e && matches!(text[k], b' ' | b'\t') {
        k += 1;
    }
    let colon = after < e && text[after] == b':' && text.get(after + 1) != Some(&b':');
    let equals = k < e && text[k] == b'=' && text.get(k + 1) != Some(&b'=');
    if colon || equals {
        let mut sep = if colon { after + 1 } else { k + 1 };
        if !colon && text.get(sep) == Some(&b'>') {
            sep += 1;
        }
        let tail = lines::trim(&text[sep.min(e)..e]);
        return (
            Some(first.text(text).into_owned()),
            opens_block(tail),
            Shape::Keyed,
        );
    }
    // `variable "lusha_api_key" {` / `config :app, App.Lusha,` / `class LushaClient:`
    let last = toks.iter().rev().find(|t| is_name_like(&t.text(text)));
    let opener = trimmed
        .last()
        .is_some_and(|c| matches!(c, b'{' | b'[' | b'(' | b':' | b','));
    (
        last.map(|t| t.text(text).into_owned()),
        opener,
        Shape::Declaration,
    )
}

/// Declaration words before a key in code (`const partner = {`, `export let cfg = {`).
const SKIP_DECLARATION_WORDS: &[&str] = &[
    "const",
    "let",
    "var",
    "val",
    "export",
    "static",
    "final",
    "private",
    "public",
    "protected",
    "internal",
    "readonly",
    "pub",
    "mut",
    "my",
    "our",
    "local",
    "global",
];

/// Does the block opened by `parent` belong to a service other than the one named by the rule's
/// keywords? Only configuration blocks can: a section, key or element of a data file, or a block
/// in code named after a service's settings (`class HubspotSettings`, `stripeConfig = {`).
/// Calls, control flow, `const (` groups, class and function bodies and other code are syntax.
pub fn claimed_by_another_service(parent: &Parent, kind: FileKind, vocab: &Vocabulary) -> bool {
    let Some(key) = &parent.key else {
        return false;
    };
    if !parent.opener {
        return false;
    }
    let (names_something, suffixed) = names_a_service(key, vocab);
    if !names_something {
        return false;
    }
    match (kind, parent.shape) {
        (FileKind::Data, _) => true,
        (FileKind::Text, Shape::Keyed | Shape::Section | Shape::Element) => true,
        // In code, an object or dictionary keyed by a plain name (`hubspot: {`,
        // `"Segment" => [`) or a block named as a service's settings (`class HubspotSettings`,
        // `stripeConfig = {`); not `CURLOPT_HTTPHEADER => [`, `searchParams: {`, `axios.create({`
        // or `const (`.
        (FileKind::Code | FileKind::Table(_), Shape::Keyed) => suffixed || plain_name(key),
        _ => suffixed,
    }
}

/// A single word written as a name (`hubspot`, `Hubspot`), not as a constant or an identifier
/// made of several words (`CURLOPT_HTTPHEADER`, `searchParams`).
fn plain_name(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic()) && chars.all(|c| c.is_ascii_lowercase())
}

/// Does a block's key name something other than a container (`hubspot`, `hubspot_settings`,
/// `partnerCrm`, rather than `config`, `headers`, `api`)? Also says whether a settings suffix
/// (`_settings`, `Config`) had to be removed to tell.
pub fn names_a_service(key: &str, vocab: &Vocabulary) -> (bool, bool) {
    let words = &vocab.words;
    let mut parts = split_words(key);
    let mut suffixed = false;
    while parts.len() > 1
        && parts
            .last()
            .is_some_and(|p| words.config_suffixes.contains(p))
    {
        parts.pop();
        suffixed = true;
    }
    let names_something = !parts.is_empty()
        && parts.iter().all(|x| {
            !(words.structural.contains(x)
                || words.neutral.contains(x)
                || words.value.contains(x)
                || words.credential.contains(x)
                || words.field.contains(x)
                || words.config_suffixes.contains(x))
        });
    (names_something, suffixed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    const KEY: &str = "58a24434-c15b-456e-adbb-1862d23d6486"; // lushaguard:allow (test key)

    fn window(text: &str, kind: FileKind) -> Window<'_> {
        Window::new(text.as_bytes(), kind, &[], &[], true)
    }

    fn name_in(text: &str, kind: FileKind) -> Option<(String, Via)> {
        let vocab = RuleSet::builtin().unwrap().vocabulary;
        let pos = text.find(KEY).expect("example holds KEY");
        let w = window(text, kind);
        let idx = w.lines.index_of(pos);
        find_name(&w, idx, pos, &vocab, &["api_key".to_string()]).map(|n| (n.text, n.via))
    }

    /// A walk left that jumps the window's name run and skips its escape check reads the same
    /// tokens as one that reads every byte: rows of ids, ids after names, escapes on the line.
    #[test]
    fn window_walk_reads_the_same_tokens_as_a_plain_walk() {
        let ids = [
            "79f8a782-15b5-4f3b-91b7-ba535361f82a", // lushaguard:allow (test key)
            "8edd569e-d3d4-4104-9fb3-0b9d0260d0ea", // lushaguard:allow (test key)
            "c675eb30-5b35-436f-8891-5a129f013de6", // lushaguard:allow (test key)
        ];
        let text = format!(
            "{a},{b},{c}\nx.{a} {b}:{c}\nk=%22{a}%22,{b};{c}\nurn:uuid:{a}\\{b}_{c}\n",
            a = ids[0],
            b = ids[1],
            c = ids[2]
        );
        let w = window(&text, FileKind::Text);
        let mut starts: Vec<usize> = ids
            .iter()
            .flat_map(|id| text.match_indices(id).map(|(i, _)| i))
            .collect();
        starts.sort_unstable();
        let mut previous: Option<usize> = None;
        for &pos in &starts {
            let idx = w.lines.index_of(pos);
            let (ls, _) = w.lines.around(idx, pos);
            w.set_name_run(previous.map(|p| (p, p + 36)));
            let plain: Vec<Token> = TokensLeft::new(w.text, ls, pos).collect();
            let shared: Vec<Token> = TokensLeft::in_window(&w, ls, pos).collect();
            assert_eq!(plain, shared, "at {pos}");
            previous = Some(pos);
        }
    }

    fn name_of(text: &str) -> Option<(String, Via)> {
        name_in(text, FileKind::Text)
    }

    fn direct(text: &str) -> String {
        let (n, via) = name_of(text).expect("a name");
        assert_eq!(via, Via::Direct, "{text}");
        n
    }

    #[test]
    fn direct_names_in_many_syntaxes() {
        let k = KEY;
        assert_eq!(direct(&format!("LUSHA_API_KEY={k}")), "LUSHA_API_KEY");
        assert_eq!(direct(&format!("export LUSHA_KEY='{k}'")), "LUSHA_KEY");
        assert_eq!(direct(&format!("  \"api_key\": \"{k}\",")), "api_key");
        assert_eq!(direct(&format!("curl -H 'api_key: {k}' x")), "api_key");
        assert_eq!(
            direct(&format!("KEY=\"${{LUSHA_API_KEY:-{k}}}\"")),
            "LUSHA_API_KEY"
        );
        assert_eq!(
            direct(&format!("os.environ.get(\"LUSHA_API_KEY\", \"{k}\")")),
            "LUSHA_API_KEY"
        );
        assert_eq!(
            direct(&format!("@Value(\"${{lusha.api-key:{k}}}\")")),
            "lusha.api-key"
        );
        assert_eq!(
            direct(&format!("pub const LUSHA_API_KEY: &str = \"{k}\";")),
            "LUSHA_API_KEY"
        );
        assert_eq!(
            direct(&format!("    lusha_api_key: str = \"{k}\"")),
            "lusha_api_key"
        );
        assert_eq!(direct(&format!("hdr=api_key%3A{k} HTTP/1.1")), "api_key");
        assert_eq!(
            direct(&format!("\"{{\\\"lusha_api_key\\\":\\\"{k}\\\"}}\"")),
            "lusha_api_key"
        );
        assert_eq!(
            direct(&format!("\"foo\\nLUSHA_API_KEY={k}\\n\"")),
            "LUSHA_API_KEY"
        );
        assert_eq!(direct(&format!("\"api_key:{k}\"")), "api_key");
        assert_eq!(
            direct(&format!("process.env.LUSHA_API_KEY ?? '{k}'")),
            "process.env.LUSHA_API_KEY"
        );
        assert_eq!(
            direct(&format!(
                "static final UUID LIST_ID = UUID.fromString(\"{k}\");"
            )),
            "LIST_ID"
        );
        assert_eq!(direct(&format!("var id = Guid.Parse(\"{k}\");")), "id");
        assert_eq!(
            direct(&format!(
                "buildConfigField(\"String\", \"LUSHA_API_KEY\", \"\\\"{k}\\\"\")"
            )),
            "LUSHA_API_KEY"
        );
    }

    #[test]
    fn value_names_resolve_through_fields_siblings_and_parents() {
        let k = KEY;
        assert_eq!(
            name_of(&format!("<add key=\"Lusha:ApiKey\" value=\"{k}\" />")),
            Some(("Lusha:ApiKey".into(), Via::Field))
        );
        assert_eq!(
            name_of(&format!(
                "    - name: LUSHA_API_KEY\n      value: \"{k}\"\n"
            )),
            Some(("LUSHA_API_KEY".into(), Via::Sibling(0)))
        );
        assert_eq!(
            name_of(&format!(
                "{{\n  \"key\": \"lushaApiKey\",\n  \"value\": \"{k}\"\n}}"
            )),
            Some(("lushaApiKey".into(), Via::Sibling(1)))
        );
        assert_eq!(
            name_of(&format!("variable \"lusha_api_key\" {{\n  type = string\n  sensitive = true\n  description = \"x\"\n  default = \"{k}\"\n}}")),
            Some(("lusha_api_key".into(), Via::Parent(0)))
        );
        assert_eq!(
            name_of(&format!("lusha:\n  api_keys:\n    - {k}\n")),
            Some(("api_keys".into(), Via::Parent(1)))
        );
    }

    #[test]
    fn sibling_fields_need_an_assignment() {
        let text = format!("variable \"lusha_api_key\" {{\n  description = \"API key used by the job\"\n  default = \"{KEY}\"\n}}");
        assert_eq!(
            name_of(&text),
            Some(("lusha_api_key".into(), Via::Parent(0)))
        );
    }

    #[test]
    fn a_preceding_value_is_not_a_name() {
        let k = KEY;
        assert_eq!(
            name_of(&format!(
                "Project(\"{{x}}\") = \"A\", \"src\\A.Lusha\\A.Lusha.csproj\", \"{{{k}}}\""
            )),
            None
        );
        assert_eq!(
            name_of(&format!("(\"lusha\", \"/v2/person\", \"{k}\")")),
            None
        );
        assert_eq!(
            name_of(&format!("('0ce638fa-8825-43e6-94ed-f5d97f8095db', '{k}')")),
            None
        ); // lushaguard:allow (test key)
    }

    #[test]
    fn parents_follow_indentation_and_sections() {
        let text = "providers:\n  hubspot:\n    x: 1\n  lusha:\n    auth:\n      header: api_key\n      value: v\n";
        let w = window(text, FileKind::Data);
        let p = parents(&w, 6, w.lines.bounds(w.text, 6).0);
        let keys: Vec<_> = p
            .iter()
            .map(|p| p.key.clone().unwrap_or_default())
            .collect();
        assert_eq!(keys, ["auth", "lusha", "providers"]);
        assert!(p.iter().all(|p| p.opener));

        let ini = "[general]\nx = 1\n\n[lusha]\ntimeout = 20\napikey = v\n";
        let w = window(ini, FileKind::Data);
        let p = parents(&w, 5, w.lines.bounds(w.text, 5).0);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].key.as_deref(), Some("lusha"));

        let reg = "[HKEY_CURRENT_USER\\Software\\Acme\\Providers\\Lusha]\n\"ApiKey\"=\"v\"\n";
        assert_eq!(
            {
                let w = window(reg, FileKind::Data);
                parents(&w, 1, w.lines.bounds(w.text, 1).0)[0].key.clone()
            }
            .as_deref(),
            Some("Lusha")
        );
    }

    #[test]
    fn parent_keys_and_openers() {
        let text = "- name: Enrich\n  config :app, App.Lusha,\n  \"hubspot\": {\n";
        let w = window(text, FileKind::Data);
        assert_eq!(
            parent_key(&w, 0),
            (Some("name".into()), false, Shape::Keyed)
        );
        assert_eq!(
            parent_key(&w, 1),
            (Some("App.Lusha".into()), true, Shape::Declaration)
        );
        assert_eq!(
            parent_key(&w, 2),
            (Some("hubspot".into()), true, Shape::Keyed)
        );
    }
}
