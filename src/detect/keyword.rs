//! Where a rule's keywords and hosts occur. A keyword counts only as a word of its own: `lusha`,
//! `LUSHA_API_KEY`, `LushaClient`, `lusha-credentials`, `api.lusha.com` and the compound
//! `lushaapi` qualify, while `Dilusha`, `Balushahi`, `Kalusha` and `Lushan` do not.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Lowercase continuations that still leave the keyword a word of its own (`lushaapi`).
const COMPOUND_SUFFIXES: &[&str] = &[
    "api",
    "key",
    "client",
    "sdk",
    "token",
    "secret",
    "cred",
    "auth",
    "service",
    "svc",
    "conf",
    "app",
    "mcp",
    "integration",
    "provider",
];

/// Finds boundary-respecting occurrences of a set of literals, ASCII case-insensitively.
#[derive(Debug, Clone)]
pub struct Finder {
    automaton: Option<AhoCorasick>,
    kind: Kind,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Keyword,
    Host,
}

impl Finder {
    pub fn keywords(words: &[String]) -> Finder {
        Finder::build(words, Kind::Keyword)
    }

    pub fn hosts(hosts: &[String]) -> Finder {
        Finder::build(hosts, Kind::Host)
    }

    fn build(literals: &[String], kind: Kind) -> Finder {
        let automaton = if literals.is_empty() {
            None
        } else {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(literals)
                .ok()
        };
        Finder { automaton, kind }
    }

    /// Byte offsets of every qualifying occurrence, in order.
    pub fn find_all(&self, text: &[u8]) -> Vec<usize> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        ac.find_iter(text)
            .filter(|m| match self.kind {
                Kind::Keyword => keyword_bounded(text, m.start(), m.end()),
                Kind::Host => host_bounded(text, m.start(), m.end()),
            })
            .map(|m| m.start())
            .collect()
    }

    pub fn is_match(&self, text: &[u8]) -> bool {
        let Some(ac) = &self.automaton else {
            return false;
        };
        ac.find_iter(text).any(|m| match self.kind {
            Kind::Keyword => keyword_bounded(text, m.start(), m.end()),
            Kind::Host => host_bounded(text, m.start(), m.end()),
        })
    }
}

/// Is `text[start..end]` (a case-insensitive keyword match) a word of its own?
fn keyword_bounded(text: &[u8], start: usize, end: usize) -> bool {
    let first = text[start];
    let left_ok = match start.checked_sub(1).map(|i| text[i]) {
        None => true,
        Some(p) if !p.is_ascii_alphanumeric() => true,
        // camelCase hump: `getLusha`, `newLushaClient`.
        Some(p) => first.is_ascii_uppercase() && (p.is_ascii_lowercase() || p.is_ascii_digit()),
    };
    if !left_ok {
        return false;
    }
    let last = text[end - 1];
    match text.get(end) {
        None => true,
        Some(n) if !n.is_ascii_alphabetic() => true,
        // `lushaApiKey`: a hump after a lowercase keyword; `LUSHAn` is no hump.
        Some(n) if n.is_ascii_uppercase() => last.is_ascii_lowercase(),
        Some(_) => {
            let rest = &text[end..];
            COMPOUND_SUFFIXES.iter().any(|s| {
                rest.len() >= s.len()
                    && rest[..s.len()].eq_ignore_ascii_case(s.as_bytes())
                    && rest.get(s.len()).is_none_or(|c| !c.is_ascii_lowercase())
            })
        }
    }
}

fn host_bounded(text: &[u8], start: usize, end: usize) -> bool {
    let left_ok = start == 0 || {
        let p = text[start - 1];
        !(p.is_ascii_alphanumeric() || p == b'-' || p == b'.')
    };
    let right_ok = text
        .get(end)
        .is_none_or(|n| !(n.is_ascii_alphanumeric() || *n == b'-'));
    left_ok && right_ok
}

/// The first keyword occurrence inside a name, as a byte range of the name.
pub fn find_in_name(name: &str, keywords: &[String]) -> Option<(usize, usize)> {
    let bytes = name.as_bytes();
    for kw in keywords {
        let k = kw.as_bytes();
        if k.is_empty() || bytes.len() < k.len() {
            continue;
        }
        for start in 0..=bytes.len() - k.len() {
            let end = start + k.len();
            if bytes[start..end].eq_ignore_ascii_case(k) && keyword_bounded(bytes, start, end) {
                return Some((start, end));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(text: &str) -> usize {
        Finder::keywords(&["lusha".to_string()])
            .find_all(text.as_bytes())
            .len()
    }

    #[test]
    fn keyword_needs_word_boundaries() {
        for yes in [
            "lusha",
            "LUSHA_API_KEY",
            "lushaApiKey",
            "LushaClient",
            "newLushaClient",
            "lusha-credentials",
            "https://api.lusha.com/v2",
            "package lushaapi",
            "Prospector.Lusha,",
            "@lusha-org/mcp-server",
        ] {
            assert_eq!(hits(yes), 1, "{yes}");
        }
        for no in [
            "Dilusha",
            "DILUSHA",
            "Balushahi",
            "Kalusha",
            "Lushan",
            "LUSHAN",
            "lushas",
        ] {
            assert_eq!(hits(no), 0, "{no}");
        }
    }

    #[test]
    fn hosts_need_host_boundaries() {
        let f = Finder::hosts(&["api.lusha.com".to_string()]);
        assert!(f.is_match(b"GET https://api.lusha.com/v2/person"));
        assert!(f.is_match(b"Host: API.LUSHA.COM"));
        assert!(!f.is_match(b"https://xapi.lusha.com/"));
        assert!(!f.is_match(b"api.lusha.company"));
        assert!(!f.is_match(b"xapi.lusha.community"));
    }

    #[test]
    fn finds_keyword_inside_names() {
        let kw = vec!["lusha".to_string()];
        assert_eq!(find_in_name("LUSHA_API_KEY", &kw), Some((0, 5)));
        assert_eq!(find_in_name("vault_lusha_key", &kw), Some((6, 11)));
        assert_eq!(find_in_name("Dilusha", &kw), None);
    }
}
