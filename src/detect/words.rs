//! Names and what they say. A name (`LUSHA_API_KEY`, `lushaApiKey`, `Lusha:ApiKey`, `requestId`)
//! is split into lowercase words and classified against the rule's keywords and headers and the
//! shared vocabulary: is it a credential of this service, a generic credential, another service's
//! credential, an identifier, or none of these?

use super::keyword;
use crate::rules::{Rule, Vocabulary, WordSet};

/// What a name says about the value assigned to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameClass {
    /// Names the service and a credential: `LUSHA_API_KEY`, `lushaApiKey`, `lusha.api-key`.
    KeywordCredential,
    /// Names the service only: `LUSHA`, `"lusha": "..."`.
    KeywordName,
    /// The rule's own header or query parameter: `api_key`.
    Header,
    /// A credential word with nothing else: `API_KEY`, `apiKey`, `token`, `x-api-key`.
    GenericCredential,
    /// A credential named after something else: `HEROKU_API_KEY` (carries the qualifier).
    OtherCredential(String),
    /// An identifier: `requestId`, `ProjectGuid`, `idempotency_key`, `LUSHA_DEFAULT_LIST_ID`.
    Identifier,
    /// A name that says nothing either way.
    Unrelated,
}

impl NameClass {
    /// Does the name mark its value as a credential?
    pub fn is_credential(&self) -> bool {
        matches!(
            self,
            NameClass::KeywordCredential
                | NameClass::KeywordName
                | NameClass::Header
                | NameClass::GenericCredential
        )
    }
}

/// Splits a name into lowercase words at separators and camelCase humps.
pub fn split_words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if !current.is_empty() && c.is_uppercase() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            // `apiKey` → api|Key; `APIKey` → API|Key; `API_KEY` stays whole per word.
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut current));
            }
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// `is_name_like` on a token's bytes, as read lossily: an invalid byte never reads as an ASCII
/// letter, so the answer is the same without converting first.
pub fn is_name_like_bytes(token: &[u8]) -> bool {
    token
        .first()
        .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_' || b == b'$')
        && token.iter().any(u8::is_ascii_alphabetic)
}

/// Is `word`, lowercased, in `set`? (Without allocating: candidates' names are looked up by the
/// million in dense files.)
pub fn in_set(set: &WordSet, word: &[u8]) -> bool {
    // Most tokens asked about are ids or numbers no word has the length or first letter of.
    // (A word longer than the buffer is read lossily below, which may change its end bytes.)
    let (first, last) = match (word.first(), word.last()) {
        (Some(a), Some(z)) if word.len() <= 64 => (a.to_ascii_lowercase(), z.to_ascii_lowercase()),
        _ => (0, 0),
    };
    if !set.may_hold(word.len(), first, last) {
        return false;
    }
    let mut buf = [0u8; 64];
    if word.len() > buf.len() {
        return set.contains(&String::from_utf8_lossy(word).to_ascii_lowercase());
    }
    for (b, w) in buf.iter_mut().zip(word) {
        *b = w.to_ascii_lowercase();
    }
    std::str::from_utf8(&buf[..word.len()]).is_ok_and(|w| set.contains(w))
}

/// Does this name look like a name at all (rather than a value such as a number or a UUID)?
pub fn is_name_like(token: &str) -> bool {
    let first = token.chars().next();
    first.is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && token.chars().any(|c| c.is_ascii_alphabetic())
}

/// Is `name` made only of hex digits and dashes (a UUID, a hash)? Every word it splits into is
/// then lowercase hex.
pub fn is_hex_name(name: &str) -> bool {
    name.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// Can `classify` call a hex name anything but `Unrelated` under `rule`? Only if a keyword,
/// header or vocabulary word it matches words against is itself hex (an empty one counts, to be
/// safe): a hex word is never a keyword, header, credential word or suffix, or identifier word
/// otherwise. The vocabulary has no such word today; a rule file could add one.
pub fn hex_names_unrelated(rule: &Rule, vocab: &Vocabulary) -> bool {
    let w = &vocab.words;
    let mut matched = rule
        .keywords
        .iter()
        .chain(&rule.spec.headers)
        .chain(w.credential.iter())
        .chain(&w.credential_suffixes)
        .chain(w.identifier.iter())
        .chain(w.identifier_qualifiers.iter())
        .chain(w.identifier_context.iter());
    !matched.any(|x| is_hex_name(x))
}

pub fn classify(name: &str, rule: &Rule, vocab: &Vocabulary) -> NameClass {
    // The nearest token left of an id in a row of ids is the id before it: settle it without
    // splitting it into words (the answer is the one the steps below would give).
    if rule.hex_names_unrelated && is_hex_name(name) {
        return NameClass::Unrelated;
    }
    let w = &vocab.words;
    let words = split_words(name);
    if words.is_empty() {
        return NameClass::Unrelated;
    }
    let has_keyword = keyword::find_in_name(name, &rule.keywords).is_some();
    let last = words.last().map(String::as_str).unwrap_or_default();

    if w.identifier.contains(last) || words.iter().any(|x| w.identifier_qualifiers.contains(x)) {
        return NameClass::Identifier;
    }
    let is_credential_word = |x: &str| {
        w.credential.contains(x)
            || w.credential_suffixes
                .iter()
                .any(|s| x.len() > s.len() && x.ends_with(s.as_str()))
    };
    let credential = words.iter().any(|x| is_credential_word(x));
    if has_keyword && credential {
        return NameClass::KeywordCredential;
    }
    // The service's name alone (`LUSHA`, `lusha.prod`, `LushaClient`) names its key; with other
    // words (`LushaSync`, `lusha_list`) it names something else of the service's.
    if has_keyword {
        let plain = words
            .iter()
            .all(|x| keyword::find_in_name(x, &rule.keywords).is_some() || w.neutral.contains(x));
        return if plain {
            NameClass::KeywordName
        } else {
            NameClass::Unrelated
        };
    }
    // Header names are matched as written (`api_key`); `API_KEY` is an ordinary variable.
    if rule.spec.headers.iter().any(|h| h == name) {
        return NameClass::Header;
    }
    if credential {
        // A compound such as `hapikey` carries its qualifier inside the word.
        let qualifier: Vec<&str> = words
            .iter()
            .filter_map(|x| {
                if w.credential.contains(x) || w.neutral.contains(x) {
                    return None;
                }
                let stem = w
                    .credential_suffixes
                    .iter()
                    .find(|s| x.len() > s.len() && x.ends_with(s.as_str()))
                    .map(|s| &x[..x.len() - s.len()]);
                match stem {
                    Some(stem) if w.credential.contains(stem) || w.neutral.contains(stem) => None,
                    Some(stem) => Some(stem),
                    None => Some(x.as_str()),
                }
            })
            .collect();
        if qualifier.is_empty() {
            return NameClass::GenericCredential;
        }
        return NameClass::OtherCredential(qualifier.join(" "));
    }
    if words
        .iter()
        .any(|x| w.identifier_context.contains(x) || w.identifier.contains(x))
    {
        return NameClass::Identifier;
    }
    NameClass::Unrelated
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    #[test]
    fn splits_common_naming_styles() {
        assert_eq!(split_words("LUSHA_API_KEY"), ["lusha", "api", "key"]);
        assert_eq!(split_words("lushaApiKey"), ["lusha", "api", "key"]);
        assert_eq!(split_words("Lusha:ApiKey"), ["lusha", "api", "key"]);
        assert_eq!(split_words("APIKey"), ["api", "key"]);
        assert_eq!(split_words("UserSecretsId"), ["user", "secrets", "id"]);
        assert_eq!(split_words("lusha.api-key"), ["lusha", "api", "key"]);
        assert_eq!(split_words("x-api-key"), ["x", "api", "key"]);
        assert_eq!(split_words("v2Name"), ["v2", "name"]);
        assert!(split_words("--").is_empty());
    }

    #[test]
    fn classifies_names() {
        let set = RuleSet::builtin().unwrap();
        let (rule, vocab) = (&set.rules[0], &set.vocabulary);
        let c = |n: &str| classify(n, rule, vocab);
        for n in [
            "LUSHA_API_KEY",
            "lushaApiKey",
            "Lusha:ApiKey",
            "lusha.api.key",
            "LUSHA_KEY",
        ] {
            assert_eq!(c(n), NameClass::KeywordCredential, "{n}");
        }
        assert_eq!(c("LUSHA_API_KEY_PREVIOUS"), NameClass::KeywordCredential);
        assert_eq!(c("lusha"), NameClass::KeywordName);
        assert_eq!(c("LushaClient"), NameClass::KeywordName);
        assert_eq!(c("Contoso.LushaSync"), NameClass::Unrelated);
        assert_eq!(c("lusha_list"), NameClass::Unrelated);
        assert_eq!(c("api_key"), NameClass::Header);
        for n in [
            "API_KEY",
            "apiKey",
            "token",
            "x-api-key",
            "api.key",
            "KEY",
            "secret_key",
        ] {
            assert_eq!(c(n), NameClass::GenericCredential, "{n}");
        }
        assert_eq!(
            c("HEROKU_API_KEY"),
            NameClass::OtherCredential("heroku".into())
        );
        assert_eq!(c("hapikey"), NameClass::OtherCredential("hapi".into()));
        assert_eq!(
            c("INVENTORY_SERVICE_API_KEY"),
            NameClass::OtherCredential("inventory".into())
        );
        for n in [
            "requestId",
            "ProjectGuid",
            "UserSecretsId",
            "idempotency_key",
            "LUSHA_DEFAULT_LIST_ID",
            "correlation_id",
            "run_id",
            "person",
        ] {
            assert_eq!(c(n), NameClass::Identifier, "{n}");
        }
        assert_eq!(c("timeout"), NameClass::Unrelated);
        // Names that merely contain the letters of the keyword are not about the service.
        assert_eq!(
            c("DILUSHA_TOKEN"),
            NameClass::OtherCredential("dilusha".into())
        );
    }

    #[test]
    fn hex_names_are_settled_as_the_full_classification_would() {
        let set = RuleSet::builtin().unwrap();
        let (rule, vocab) = (&set.rules[0], &set.vocabulary);
        assert!(rule.hex_names_unrelated);
        let mut slow = rule.clone();
        slow.hex_names_unrelated = false;
        for n in [
            "5bd4f7b7-ad39-441b-b5d3-7f235d3fcb35", // lushaguard:allow
            "A23CB5A9-B89E-4AC2-941D-D2EC3080C574", // lushaguard:allow
            "deadBeef",
            "0123",
        ] {
            assert_eq!(classify(n, rule, vocab), classify(n, &slow, vocab), "{n}");
        }
        // A rule whose keyword is itself hex must see hex names in full.
        let mut hex = rule.clone();
        hex.keywords.push("cafe".into());
        assert!(!hex_names_unrelated(&hex, vocab));
        hex.hex_names_unrelated = hex_names_unrelated(&hex, vocab);
        assert_eq!(classify("cafe", &hex, vocab), NameClass::KeywordName);
    }
}
