//! Where identifiers go: the places in a window where an identifier is used as the rule's header
//! or query parameter (`headers={'api_key': token}`, `req.Header.Set("api_key", key)`,
//! `?api_key=${k}`, `-H "api_key: $KEY"`) or passed to a call whose callee names the service
//! (`LushaClient(key)`, `Lusha::Client.new(key)`, `new LushaClient({ apiKey: key })`). They are
//! collected once per window; a candidate assigned to one of those identifiers then carries the
//! evidence of its use (`token = "<key>"` … `headers={'api_key': token}`).

use super::lines::Lines;

/// How far after a header name its value expression is read.
const VALUE_REACH: usize = 160;
/// How far a call's arguments are read.
const ARGS_REACH: usize = 600;
/// How many header names and keyword hits a window's uses are read from (a bound on the work a
/// crafted file can cause).
const MAX_USES: usize = 1 << 14;
/// How far a callee's path is read around a keyword.
const CALLEE_REACH: usize = 80;

/// What an identifier is used as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Use {
    /// The rule's header or query parameter.
    Header,
    /// An argument of a call to the service's client.
    Client,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub ident: String,
    /// Where the header name or the callee is.
    pub at: usize,
    pub line: usize,
    pub used_as: Use,
    /// The header name or the callee, as written.
    pub what: String,
}

/// The use sites of one window, sorted by identifier.
#[derive(Debug, Default)]
pub struct Flows {
    sites: Vec<Site>,
}

/// Words that are never the variable holding a value.
const NOT_VARIABLES: &[&str] = &[
    "new",
    "true",
    "false",
    "null",
    "nil",
    "none",
    "undefined",
    "self",
    "this",
    "await",
    "return",
    "typeof",
    "string",
    "str",
    "const",
    "let",
    "var",
    "in",
    "of",
    "and",
    "or",
    "not",
    "if",
    "else",
    "as",
    "is",
    "def",
    "function",
    "func",
    "fn",
];

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl Flows {
    /// Collects the use sites: `headers` are the rule's header names (as written) and
    /// `keyword_hits` the offsets of its keywords. `is_credential` says whether a keyword
    /// argument's name marks a credential (`api_key=`, `apiKey:`, `token:`).
    pub fn new(
        text: &[u8],
        lines: &Lines,
        headers: &[String],
        keyword_hits: &[usize],
        is_credential: &dyn Fn(&str) -> bool,
    ) -> Flows {
        let mut sites = Vec::new();
        for header in headers {
            let h = header.as_bytes();
            if h.is_empty() {
                continue;
            }
            for at in memchr::memmem::find_iter(text, h).take(MAX_USES) {
                let end = at + h.len();
                let bounded = (at == 0 || !is_ident_byte(text[at - 1]) && text[at - 1] != b'-')
                    && text
                        .get(end)
                        .is_none_or(|&b| !is_ident_byte(b) && b != b'-');
                if !bounded {
                    continue;
                }
                let line = lines.index_of(at);
                for ident in header_value(text, at, end) {
                    sites.push(Site {
                        ident,
                        at,
                        line,
                        used_as: Use::Header,
                        what: header.clone(),
                    });
                }
            }
        }
        // Each call's arguments are read once, however many keywords they hold.
        let mut read_until = 0;
        for &hit in keyword_hits.iter().take(MAX_USES) {
            if hit < read_until {
                continue;
            }
            if let Some((callee, open)) = callee_at(text, hit) {
                read_until = open + ARGS_REACH;
                let line = lines.index_of(hit);
                for ident in arguments(text, open, is_credential) {
                    sites.push(Site {
                        ident,
                        at: hit,
                        line,
                        used_as: Use::Client,
                        what: callee.clone(),
                    });
                }
            }
        }
        sites.sort_by(|a, b| {
            (&a.ident, std::cmp::Reverse(a.used_as), a.line).cmp(&(
                &b.ident,
                std::cmp::Reverse(b.used_as),
                b.line,
            ))
        });
        sites.dedup_by(|a, b| a.ident == b.ident);
        Flows { sites }
    }

    /// The strongest use of the variable `name` (its last `.`/`::`/`->` component).
    pub fn find(&self, name: &str) -> Option<&Site> {
        let ident = last_component(name);
        if ident.is_empty() {
            return None;
        }
        let i = self.sites.partition_point(|s| s.ident.as_str() < ident);
        self.sites.get(i).filter(|s| s.ident == ident)
    }

    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }
}

/// The variable part of a name: `self.token` → `token`, `$auth` → `auth`, `@key` → `key`.
pub fn last_component(name: &str) -> &str {
    let tail = name
        .rsplit(['.', ':', '>', '\\', '/'])
        .next()
        .unwrap_or(name);
    tail.trim_start_matches(['$', '@'])
}

/// Identifiers in the value written after the header name that ends at `i` (and starts at
/// `at`). A quoted key (`'api_key': token`) or a bare one (`api_key=token`, `{ api_key: k }`)
/// takes the expression after its separator; a name that starts a string (`"api_key: ${v}"`,
/// `'api_key: ' . $auth`) or a query (`?api_key=${k}`) takes what is interpolated into the string
/// or glued to it.
fn header_value(text: &[u8], at: usize, mut i: usize) -> Vec<String> {
    let limit = text.len().min(i + VALUE_REACH);
    let before = at.checked_sub(1).map(|p| text[p]);
    let after = text.get(i).copied();
    let quote = |b: Option<u8>| matches!(b, Some(b'\'' | b'"' | b'`'));
    let in_string = (quote(before) && after != before) || matches!(before, Some(b'?' | b'&'));
    if !in_string {
        let mut n = 0;
        while i < limit && (quote(Some(text[i])) || text[i] == b']') && n < 3 {
            i += 1;
            n += 1;
        }
    }
    while i < limit && matches!(text[i], b' ' | b'\t') {
        i += 1;
    }
    let sep = match text.get(i..limit) {
        Some([b'=', b'>', ..]) | Some([b':', b'=', ..]) => 2,
        Some([b'=', b'=', ..]) => return Vec::new(),
        Some([b':' | b'=' | b',', ..]) => 1,
        _ => return Vec::new(),
    };
    i += sep;
    if !in_string {
        return expression_idents(text, i, limit);
    }
    while i < limit && matches!(text[i], b' ' | b'\t') {
        i += 1;
    }
    if i < limit && quote(Some(text[i])) {
        // The string ends here: the value is glued on (`' . $auth`, `" + key`).
        return expression_idents(text, i + 1, limit);
    }
    interpolated_idents(text, i, limit)
}

/// Identifiers interpolated at `i` inside a string or query (`${v}`, `$v`, `#{v}`, `{v}`), up to
/// the end of the value.
fn interpolated_idents(text: &[u8], mut i: usize, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    while i < limit {
        let b = text[i];
        match b {
            b'{' | b'(' => depth += 1,
            b'}' | b')' if depth > 0 => depth -= 1,
            b'\'' | b'"' | b'`' | b'&' | b'\n' | b'\r' | b' ' | b'\t' | b'}' | b')'
                if depth == 0 =>
            {
                break
            }
            _ if is_ident_start(b) && (i == 0 || !is_ident_byte(text[i - 1])) => {
                let (ident, end) = dotted_ident(text, i, limit);
                push_variable(&mut out, ident);
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Identifiers (variables, not calls) in an expression from `i`, up to a top-level `,`, `;`, a
/// closing bracket or the end of the line. String literals are skipped.
fn expression_idents(text: &[u8], mut i: usize, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    while i < limit {
        let b = text[i];
        match b {
            b'\n' | b'\r' | b';' => break,
            b',' if depth == 0 => break,
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                if depth == 0 {
                    break;
                }
                depth -= 1;
            }
            b'\'' | b'"' | b'`' => i = skip_string(text, i, limit),
            _ if is_ident_start(b) && (i == 0 || !is_ident_byte(text[i - 1])) => {
                let (ident, end) = dotted_ident(text, i, limit);
                let call =
                    text[end..limit].iter().find(|c| !matches!(c, b' ' | b'\t')) == Some(&b'(');
                if !call {
                    push_variable(&mut out, ident);
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The index of the quote closing the string literal that opens at `i` (or the line's end).
fn skip_string(text: &[u8], mut i: usize, limit: usize) -> usize {
    let q = text[i];
    i += 1;
    while i < limit && text[i] != q && text[i] != b'\n' {
        i += if text[i] == b'\\' { 2 } else { 1 };
    }
    i.min(limit)
}

/// `a.b.c` from `i`: the last component and where the name ends.
fn dotted_ident(text: &[u8], i: usize, limit: usize) -> (&[u8], usize) {
    let mut end = i;
    let mut last = i;
    while end < limit {
        if is_ident_byte(text[end]) {
            end += 1;
        } else if matches!(text[end], b'.') && text.get(end + 1).is_some_and(|&c| is_ident_start(c))
        {
            end += 1;
            last = end;
        } else {
            break;
        }
    }
    (&text[last..end], end)
}

fn push_variable(out: &mut Vec<String>, ident: &[u8]) {
    let s = String::from_utf8_lossy(ident);
    if s.len() > 1 || s.chars().all(|c| c.is_ascii_alphabetic()) {
        let lower = s.to_ascii_lowercase();
        if !NOT_VARIABLES.contains(&lower.as_str()) {
            out.push(s.into_owned());
        }
    }
}

/// Is the keyword at `hit` part of a callee (`LushaClient(`, `Lusha::Client.new(`,
/// `lusha.NewClient(`, `new \Lusha\Client(`)? Returns the callee and its `(`.
fn callee_at(text: &[u8], hit: usize) -> Option<(String, usize)> {
    let is_chain = |b: u8| is_ident_byte(b) || matches!(b, b'.' | b':' | b'\\' | b'>' | b'-');
    let mut start = hit;
    while start > 0 && hit - start < CALLEE_REACH && is_chain(text[start - 1]) {
        start -= 1;
    }
    let mut end = hit;
    while end < text.len() && end - hit < CALLEE_REACH && is_chain(text[end]) {
        end += 1;
    }
    let mut open = end;
    while open < text.len() && matches!(text[open], b' ' | b'\t') {
        open += 1;
    }
    if text.get(open) != Some(&b'(') {
        return None;
    }
    // A definition (`def lusha_client(key):`) declares parameters; it passes nothing.
    let before = &text[start.saturating_sub(12)..start];
    let word = before
        .split(|b| !is_ident_byte(*b))
        .rfind(|w| !w.is_empty())
        .unwrap_or_default();
    if matches!(
        word,
        b"def" | b"function" | b"func" | b"fn" | b"fun" | b"sub"
    ) {
        return None;
    }
    Some((
        String::from_utf8_lossy(&text[start..end]).into_owned(),
        open,
    ))
}

/// Identifiers passed in the argument list opening at `open`: positional arguments, and the
/// values of keyword arguments or object fields whose names are credentials.
fn arguments(text: &[u8], open: usize, is_credential: &dyn Fn(&str) -> bool) -> Vec<String> {
    let limit = text.len().min(open + ARGS_REACH);
    let mut out = Vec::new();
    // The key of the current argument or field at each depth (depth 1 is the call itself).
    let mut keys: Vec<Option<bool>> = vec![None, None];
    let mut i = open + 1;
    while i < limit {
        let b = text[i];
        match b {
            b'(' | b'[' | b'{' => keys.push(None),
            b')' | b']' | b'}' => {
                keys.pop();
                if keys.len() < 2 {
                    break;
                }
            }
            b',' => {
                if let Some(k) = keys.last_mut() {
                    *k = None;
                }
            }
            b'\'' | b'"' | b'`' => i = skip_string(text, i, limit),
            _ if is_ident_start(b) && !is_ident_byte(text[i - 1]) => {
                let (ident, end) = dotted_ident(text, i, limit);
                let mut j = end;
                while j < limit && matches!(text[j], b' ' | b'\t') {
                    j += 1;
                }
                let next = text.get(j).copied();
                let named = (next == Some(b':') && text.get(j + 1) != Some(&b':'))
                    || (next == Some(b'=') && !matches!(text.get(j + 1), Some(b'=' | b'>')));
                if named {
                    let credential = is_credential(&String::from_utf8_lossy(ident));
                    if let Some(k) = keys.last_mut() {
                        *k = Some(credential);
                    }
                } else if next != Some(b'(') && keys.last().copied().flatten() != Some(false) {
                    push_variable(&mut out, ident);
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sites(text: &str) -> Vec<(String, usize, Use)> {
        let lines = Lines::new(text.as_bytes());
        let hits = super::super::keyword::Finder::keywords(&["lusha".to_string()])
            .find_all(text.as_bytes());
        let cred = |n: &str| {
            let l = n.to_ascii_lowercase();
            l.contains("key") || l.contains("token")
        };
        Flows::new(
            text.as_bytes(),
            &lines,
            &["api_key".to_string()],
            &hits,
            &cred,
        )
        .sites
        .into_iter()
        .map(|s| (s.ident, s.line, s.used_as))
        .collect()
    }

    fn idents(text: &str) -> Vec<String> {
        sites(text).into_iter().map(|s| s.0).collect()
    }

    #[test]
    fn header_uses_in_many_languages() {
        assert_eq!(idents("headers={'api_key': token, 'X': rid}"), ["token"]);
        assert_eq!(idents("req.Header.Set(\"api_key\", apiKey)"), ["apiKey"]);
        assert_eq!(idents("req[\"api_key\"] = DEFAULT"), ["DEFAULT"]);
        assert_eq!(idents("'api_key: ' . $auth,"), ["auth"]);
        assert_eq!(idents("curl -H \"api_key: ${v}\" x"), ["v"]);
        assert_eq!(idents("`...&api_key=${k}`"), ["k"]);
        assert_eq!(
            idents("{ api_key: process.env.KEY ?? fallback }"),
            ["KEY", "fallback"]
        );
        assert_eq!(idents(".header(\"api_key\", cfg.lookupKey)"), ["lookupKey"]);
        assert!(idents("if name == \"api_key\" { x }").is_empty());
        assert!(idents("api_key: getKey()").is_empty());
        assert!(idents("my_api_key = other").is_empty());
    }

    #[test]
    fn client_arguments() {
        assert_eq!(
            sites("x\nc = LushaClient(DEV_KEY, timeout=15)\n"),
            [("DEV_KEY".to_string(), 1, Use::Client)]
        );
        assert_eq!(idents("LushaClient(key, default_list=LIST)"), ["key"]);
        assert_eq!(
            idents("new LushaClient({\n  apiKey: process.env.K ?? devDefault,\n  retries: n,\n})"),
            ["K", "devDefault"]
        );
        assert_eq!(idents("c := lusha.NewClient(cred)"), ["cred"]);
        assert_eq!(idents("Lusha::Client.new(secret)"), ["secret"]);
        assert!(idents("def lusha_client(key):").is_empty());
        assert!(idents("from lusha import LushaClient\n").is_empty());
    }

    #[test]
    fn last_components() {
        assert_eq!(last_component("self.token"), "token");
        assert_eq!(last_component("$auth"), "auth");
        assert_eq!(last_component("Foo::KEY"), "KEY");
        assert_eq!(last_component("this->key"), "key");
    }
}
