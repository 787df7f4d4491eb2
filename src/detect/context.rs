//! The structure around a candidate: the name it is assigned to and the keys it is nested under.
//!
//! Names are read right to left from the candidate (`LUSHA_API_KEY=`, `"api_key": "`,
//! `-H 'api_key: `, `env('LUSHA_API_KEY', '`, `${LUSHA_API_KEY:-`, `api_key%3A`), skipping quotes,
//! escapes and type words. A value-like name (`value`, `default`) is resolved through its sibling
//! (`"name": "api_key"` on the line above, `<add key="Lusha:ApiKey" value=`) or its parent key
//! (`variable "lusha_api_key" { default = `); a bare list item takes its parent's key. Parents are
//! the lines above with less indentation, plus the nearest `[section]` header (INI, TOML, .reg).

use super::lines::{self, Lines};
use super::words::is_name_like;
use crate::rules::Vocabulary;
use std::borrow::Cow;

/// How far left of a candidate a name is looked for.
const LEFT_LIMIT: usize = 240;
/// How many lines above a candidate its siblings and parents are looked for.
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
        String::from_utf8_lossy(&text[self.start..self.end])
    }
}

/// Where a candidate's name was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// Right before the value: `NAME = value`.
    Direct,
    /// A field naming the value on the same line: `key="Lusha:ApiKey" value="..."`.
    Field,
    /// A field naming the value on a line above (0-based line index).
    Sibling(usize),
    /// The key of the enclosing block (0-based line index).
    Parent(usize),
}

#[derive(Debug, Clone)]
pub struct Name {
    pub text: String,
    /// Byte range on the candidate's line, when the name is there.
    pub span: Option<(usize, usize)>,
    pub via: Via,
    /// The name is the value's neighbour in a comma-separated list (`('lusha', '<uuid>')`,
    /// `env('KEY', '<uuid>')`) rather than assigned to it (`KEY=`, `"key": `).
    pub listed: bool,
}

#[derive(Debug, Clone)]
pub struct Parent {
    pub line: usize,
    pub key: Option<String>,
    /// The line only opens a block (`lusha:`, `"hubspot": {`, `[section]`).
    pub opener: bool,
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-'
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Length of an escape sequence that ends right before `i` (`%3A`, `\n`, `&quot;`), if any.
fn escape_before(text: &[u8], lo: usize, i: usize) -> Option<usize> {
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

/// Tokens left of `pos` on its line, nearest first.
pub fn tokens_left(text: &[u8], line_start: usize, pos: usize, max: usize) -> Vec<Token> {
    let lo = line_start.max(pos.saturating_sub(LEFT_LIMIT));
    let mut out = Vec::new();
    let mut i = pos;
    while out.len() < max && i > lo {
        while i > lo {
            if let Some(n) = escape_before(text, lo, i) {
                i -= n;
            } else if is_name_byte(text[i - 1]) {
                break;
            } else {
                i -= 1;
            }
        }
        if i <= lo {
            break;
        }
        let end = i;
        while i > lo {
            let c = text[i - 1];
            if is_name_byte(c) {
                if escape_before(text, lo, i).is_some() {
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
            out.push(Token { start: s, end: e });
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

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// The name a candidate at `pos` (on line `idx`) is assigned to.
pub fn find_name(
    text: &[u8],
    lines: &Lines,
    idx: usize,
    pos: usize,
    vocab: &Vocabulary,
) -> Option<Name> {
    let w = &vocab.words;
    let (ls, _) = lines.bounds(text, idx);
    let tokens = tokens_left(text, ls, pos, 8);
    // Skip type words and UUID-parsing calls (`UUID.fromString(`, `Guid.Parse(`): the name is
    // what the parsed value is assigned to.
    let parses_uuid = |t: &Token| {
        let callee = text[t.end..].iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'(');
        callee
            && super::words::split_words(&t.text(text))
                .iter()
                .any(|x| w.identifier.contains(x))
    };
    let mut rest = tokens
        .iter()
        .skip_while(|t| w.skip.contains(&lower(&t.text(text))) || parses_uuid(t));
    let Some(first) = rest.next() else {
        return parent_key_name(text, lines, idx);
    };
    let name = first.text(text);
    if !is_name_like(&name) || is_path_like(text, first) {
        // The nearest token is another value (a number, a UUID, a file path): nothing names
        // this one.
        return None;
    }
    if !w.value.contains(&lower(&name)) {
        return Some(Name {
            text: name.into_owned(),
            span: Some((first.start, first.end)),
            via: Via::Direct,
            listed: text[first.end..pos].contains(&b','),
        });
    }
    for t in rest {
        let s = t.text(text);
        let l = lower(&s);
        if w.field.contains(&l) || w.skip.contains(&l) {
            continue;
        }
        if is_name_like(&s) && !w.value.contains(&l) {
            return Some(Name {
                text: s.into_owned(),
                span: Some((t.start, t.end)),
                via: Via::Field,
                listed: false,
            });
        }
        break;
    }
    sibling_name(text, lines, idx, vocab).or_else(|| parent_key_name(text, lines, idx))
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

/// A sibling line above that names the value: `"name": "api_key",` / `- name: LUSHA_API_KEY`.
fn sibling_name(text: &[u8], lines: &Lines, idx: usize, vocab: &Vocabulary) -> Option<Name> {
    let own = key_indent(lines.line(text, idx));
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
        let (s, e) = lines.bounds(text, j);
        let toks = line_tokens(text, s, e);
        for pair in toks.windows(2) {
            let field = lower(&pair[0].text(text));
            let value = pair[1].text(text);
            // `name: X`, `"key": "X"`, `key="X"`: a field and its value, not words of a sentence.
            let between = &text[pair[0].end..pair[1].start];
            let assigned = between.iter().any(|&b| b == b':' || b == b'=');
            if assigned && vocab.words.field.contains(&field) && is_name_like(&value) {
                return Some(Name {
                    text: value.into_owned(),
                    span: None,
                    via: Via::Sibling(j),
                    listed: false,
                });
            }
        }
        if ind < own {
            break;
        }
    }
    None
}

fn parent_key_name(text: &[u8], lines: &Lines, idx: usize) -> Option<Name> {
    let parent = parents(text, lines, idx).into_iter().next()?;
    Some(Name {
        text: parent.key?,
        span: None,
        via: Via::Parent(parent.line),
        listed: false,
    })
}

fn is_section_header(line: &[u8]) -> bool {
    let t = lines::trim(line);
    t.len() >= 3
        && t.starts_with(b"[")
        && t.ends_with(b"]")
        && !t.contains(&b',')
        && !t.contains(&b'"')
        && t.iter().any(u8::is_ascii_alphabetic)
}

/// The enclosing blocks of line `idx`, nearest first.
pub fn parents(text: &[u8], lines: &Lines, idx: usize) -> Vec<Parent> {
    let line = lines.line(text, idx);
    let mut level = lines::indent(line);
    let mut out = Vec::new();
    let stop = idx.saturating_sub(PARENT_LINES);
    for j in (stop..idx).rev() {
        let l = lines.line(text, j);
        if lines::is_blank(l) || lines::is_comment(l) {
            continue;
        }
        let ind = lines::indent(l);
        if is_section_header(l) && ind <= level {
            let t = lines::trim(l);
            let inner = String::from_utf8_lossy(&t[1..t.len() - 1]);
            let key = inner
                .trim_matches(|c| c == '[' || c == ']')
                .rsplit(['.', '\\', '/'])
                .next()
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty());
            out.push(Parent {
                line: j,
                key,
                opener: true,
            });
            break;
        }
        if ind < level {
            let (key, opener) = parent_key(text, lines, j);
            out.push(Parent {
                line: j,
                key,
                opener,
            });
            level = ind;
            if out.len() >= MAX_PARENTS {
                break;
            }
        }
    }
    out
}

/// The key a block-opening line introduces, and whether the line does nothing but open a block.
fn parent_key(text: &[u8], lines: &Lines, j: usize) -> (Option<String>, bool) {
    let (s, e) = lines.bounds(text, j);
    let line = &text[s..e];
    let trimmed = lines::trim(line);
    let toks = line_tokens(text, s, e);
    let Some(first) = toks.first() else {
        return (None, false);
    };
    // `key:` / `"key":` / `key =` / `KEY = {`: the first token names the block.
    let mut after = first.end;
    while after < e && matches!(text[after], b'"' | b'\'' | b'`') {
        after += 1;
    }
    let mut k = after;
    while k < e && text[k] == b' ' {
        k += 1;
    }
    let keyed = (after < e && text[after] == b':')
        || (k < e && text[k] == b'=' && text.get(k + 1) != Some(&b'='));
    if keyed {
        let sep = if text[after] == b':' { after } else { k };
        let tail = lines::trim(&text[sep + 1..e]);
        let opener = tail.is_empty()
            || matches!(
                tail,
                b"{" | b"[" | b"(" | b"|" | b">" | b"|-" | b">-" | b"[{"
            );
        return (Some(first.text(text).into_owned()), opener);
    }
    // `variable "lusha_api_key" {` / `config :app, App.Lusha,` / `class LushaClient:`
    let last = toks.iter().rev().find(|t| is_name_like(&t.text(text)));
    let opener = trimmed
        .last()
        .is_some_and(|c| matches!(c, b'{' | b'[' | b'(' | b':' | b','));
    (last.map(|t| t.text(text).into_owned()), opener)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    const KEY: &str = "58a24434-c15b-456e-adbb-1862d23d6486";

    fn name_of(text: &str) -> Option<(String, Via)> {
        let vocab = RuleSet::builtin().unwrap().vocabulary;
        let pos = text.find(KEY).expect("example holds KEY");
        let lines = Lines::new(text.as_bytes());
        let idx = lines.index_of(pos);
        find_name(text.as_bytes(), &lines, idx, pos, &vocab).map(|n| (n.text, n.via))
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
        let lines = Lines::new(text.as_bytes());
        let p = parents(text.as_bytes(), &lines, 6);
        let keys: Vec<_> = p
            .iter()
            .map(|p| p.key.clone().unwrap_or_default())
            .collect();
        assert_eq!(keys, ["auth", "lusha", "providers"]);
        assert!(p.iter().all(|p| p.opener));

        let ini = "[general]\nx = 1\n\n[lusha]\ntimeout = 20\napikey = v\n";
        let lines = Lines::new(ini.as_bytes());
        let p = parents(ini.as_bytes(), &lines, 5);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].key.as_deref(), Some("lusha"));

        let reg = "[HKEY_CURRENT_USER\\Software\\Acme\\Providers\\Lusha]\n\"ApiKey\"=\"v\"\n";
        let lines = Lines::new(reg.as_bytes());
        assert_eq!(
            parents(reg.as_bytes(), &lines, 1)[0].key.as_deref(),
            Some("Lusha")
        );
    }

    #[test]
    fn parent_keys_and_openers() {
        let text = "- name: Enrich\n  config :app, App.Lusha,\n  \"hubspot\": {\n";
        let lines = Lines::new(text.as_bytes());
        assert_eq!(
            parent_key(text.as_bytes(), &lines, 0),
            (Some("name".into()), false)
        );
        assert_eq!(
            parent_key(text.as_bytes(), &lines, 1),
            (Some("App.Lusha".into()), true)
        );
        assert_eq!(
            parent_key(text.as_bytes(), &lines, 2),
            (Some("hubspot".into()), true)
        );
    }
}
