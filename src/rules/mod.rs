//! Rules as data. `rules/lusha.toml` (the built-in rule) and `rules/vocabulary.toml` (the evidence
//! model every rule shares) are embedded at build time; `--rules FILE_OR_DIR` adds user rule files
//! in the same format. This module parses them (unknown fields are errors), validates and compiles
//! them into `Rule`s for the detector; `selftest` checks each rule against its own examples.

pub mod selftest;

use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub const BUILTIN_RULES: &str = include_str!("../../rules/lusha.toml");
pub const BUILTIN_VOCABULARY: &str = include_str!("../../rules/vocabulary.toml");
const BUILTIN_ORIGIN: &str = "built-in rules/lusha.toml";

/// Patterns are user input; keep a compiled pattern from eating the machine.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("cannot read rules from {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    /// Not TOML, or not the rules' schema: in the parser's layout, values masked (a rule's
    /// examples hold keys).
    #[error(transparent)]
    Toml(#[from] crate::toml_error::TomlError),
    #[error("{path}: rule `{id}`: {message}")]
    Invalid {
        path: String,
        id: String,
        message: String,
    },
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    #[error("{path}: no rules in this file (expected one or more [[rules]] tables)")]
    Empty { path: String },
    #[error("rule id `{id}` is defined twice ({first} and {second})")]
    Duplicate {
        id: String,
        first: String,
        second: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rules: Vec<RuleSpec>,
}

/// One rule as written in a TOML file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub description: String,
    #[serde(default)]
    pub long_description: Option<String>,
    #[serde(default)]
    pub severity: Severity,
    /// A regular expression for the secret itself.
    pub pattern: String,
    /// A literal every match contains; when set the pattern runs only around its hits.
    #[serde(default)]
    pub anchor: Option<String>,
    #[serde(default)]
    pub validate: Option<Validator>,
    #[serde(default)]
    pub canonical: Canonical,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub headers: Vec<String>,
    #[serde(default)]
    pub placeholders: Vec<String>,
    #[serde(default)]
    pub remediation: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The verifier that may check this rule's findings (`"lusha"`); none: they are never sent
    /// anywhere. Only the verifier registry (`crate::verify::Verifier`) knows endpoints.
    #[serde(default)]
    pub verify: Option<String>,
    #[serde(default)]
    pub examples: Vec<Example>,
    #[serde(default)]
    pub non_examples: Vec<Example>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    #[default]
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validator {
    /// The match must parse as an RFC 4122 version 4 UUID.
    UuidV4,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Canonical {
    /// Keep the match as written.
    #[default]
    AsIs,
    /// Lowercase ASCII letters (UUIDs are case-insensitive).
    Lowercase,
}

/// A text the rule must (or must not) find; `path` lets an example rely on path evidence.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Example {
    Text(String),
    WithPath(ExampleWithPath),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExampleWithPath {
    pub text: String,
    #[serde(default)]
    pub path: Option<String>,
}

impl Example {
    pub fn text(&self) -> &str {
        match self {
            Example::Text(t) => t,
            Example::WithPath(e) => &e.text,
        }
    }
    pub fn path(&self) -> Option<&str> {
        match self {
            Example::Text(_) => None,
            Example::WithPath(e) => e.path.as_deref(),
        }
    }
}

/// A validated, compiled rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub spec: RuleSpec,
    /// Where the rule came from, for messages.
    pub origin: String,
    pub regex: regex::bytes::Regex,
    pub anchor: Option<Vec<u8>>,
    /// A searcher for the anchor, built once (building one costs more than searching a small
    /// file with it).
    pub anchor_finder: Option<memchr::memmem::Finder<'static>>,
    /// The longest match the pattern can make, when it is bounded and has no assertions (`^`,
    /// `\b`): the pattern then runs only that far around each anchor hit.
    pub max_match_len: Option<usize>,
    /// Lowercase keywords, hosts, headers and placeholders.
    pub keywords: Vec<String>,
    pub hosts: Vec<String>,
    pub headers: Vec<String>,
    pub placeholders: BTreeSet<String>,
    /// Who may check this rule's findings; `None`: nobody, they are never sent.
    pub verifier: Option<crate::verify::Verifier>,
    /// Does a name made only of hex digits and dashes (a UUID read as the name of the next
    /// one, as in a row of ids) say nothing to this rule? Set once the vocabulary is known
    /// (`false`, the safe default, until then): dense files hold millions of such names.
    pub hex_names_unrelated: bool,
}

/// A rule file's text, where it came from, and whether its rules may name a verifier (rules
/// found in the scanned tree may not: what they match would be sent wherever they said).
#[derive(Debug, Clone)]
pub struct RuleText {
    pub origin: String,
    pub text: String,
    pub may_verify: bool,
}

impl Rule {
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// The canonical form of a matched value.
    pub fn canonicalize(&self, matched: &str) -> String {
        match self.spec.canonical {
            Canonical::AsIs => matched.to_string(),
            Canonical::Lowercase => matched.to_ascii_lowercase(),
        }
    }
}

/// The evidence model of `rules/vocabulary.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    pub words: Words,
    pub weights: Weights,
    pub confidence: Thresholds,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    pub credential: WordSet,
    pub credential_suffixes: Vec<String>,
    pub neutral: WordSet,
    pub identifier: WordSet,
    pub identifier_qualifiers: WordSet,
    pub identifier_context: WordSet,
    pub value: WordSet,
    pub fallbacks: WordSet,
    pub flag_values: WordSet,
    pub field: WordSet,
    pub skip: WordSet,
    pub structural: WordSet,
    pub config_suffixes: WordSet,
    pub service_fields: WordSet,
    pub neutral_hosts: Vec<String>,
}

/// A set of lowercase vocabulary words, looked up by the million in dense files. It reads as the
/// ordered set it holds (`Deref`), and also keeps which lengths and first bytes its words have, so
/// that most tokens (ids, hashes, numbers) are turned away without a set lookup.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "BTreeSet<String>")]
pub struct WordSet {
    words: BTreeSet<String>,
    /// Bit `n` is set when some word is `n` bytes long (bit 63: 63 bytes or longer).
    lengths: u64,
    /// Bit `b % 128` is set when some word starts with byte `b`; in `lasts`, ends with it.
    firsts: u128,
    lasts: u128,
}

impl From<BTreeSet<String>> for WordSet {
    fn from(words: BTreeSet<String>) -> WordSet {
        let (mut lengths, mut firsts, mut lasts) = (0u64, 0u128, 0u128);
        for w in &words {
            lengths |= 1 << w.len().min(63);
            firsts |= 1 << w.as_bytes().first().map_or(0, |&b| b % 128);
            lasts |= 1 << w.as_bytes().last().map_or(0, |&b| b % 128);
        }
        WordSet {
            words,
            lengths,
            firsts,
            lasts,
        }
    }
}

impl WordSet {
    /// Can a word of this length, starting and ending with these (lowercased) bytes, be in the
    /// set? `false` means it is not; `true` means a lookup is needed. A byte of 0 stands for any.
    #[inline]
    pub fn may_hold(&self, len: usize, first: u8, last: u8) -> bool {
        self.lengths & (1 << len.min(63)) != 0
            && (first == 0 || self.firsts & (1 << (first % 128)) != 0)
            && (last == 0 || self.lasts & (1 << (last % 128)) != 0)
    }
}

impl std::ops::Deref for WordSet {
    type Target = BTreeSet<String>;
    fn deref(&self) -> &BTreeSet<String> {
        &self.words
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    pub keyword_credential_name: i32,
    pub keyword_name: i32,
    pub header_name: i32,
    pub generic_credential_name: i32,
    pub other_credential_name: i32,
    pub identifier_name: i32,
    pub keyword_parent: i32,
    pub other_parent: i32,
    pub keyword_same_line: i32,
    pub host_same_line: i32,
    pub keyword_near: i32,
    pub keyword_in_file: i32,
    pub host_in_file: i32,
    pub keyword_in_file_name: i32,
    pub keyword_in_path: i32,
    pub dense_file: i32,
    pub used_as_header: i32,
    pub passed_to_client: i32,
    pub row_names_service: i32,
    pub row_names_other: i32,
    pub host_in_block: i32,
    pub other_host: i32,
    pub other_api_in_file: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub high: i32,
    pub medium: i32,
    pub low: i32,
    pub cap_without_evidence: i32,
    pub dense_file_uuids: usize,
}

/// Every rule in force plus the shared vocabulary.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub vocabulary: Vocabulary,
}

impl RuleSet {
    /// The built-in rules only.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        RuleSet::load(&[])
    }

    /// The built-in rules plus every rule file named on disk (a directory contributes its
    /// `*.toml` files, in name order). The user named them, so their rules may name verifiers.
    pub fn load(extra: &[PathBuf]) -> Result<RuleSet, RuleError> {
        let mut texts = Vec::new();
        for path in extra {
            for file in rule_files(path)? {
                let origin = file.display().to_string();
                let bytes = crate::files::read_bounded(&file, &origin)?;
                texts.push(RuleText {
                    text: crate::files::text(bytes, &origin)?,
                    origin,
                    may_verify: true,
                });
            }
        }
        RuleSet::from_texts(texts, &mut Vec::new())
    }

    /// The built-in rules plus the rules of these texts. A `verify` in a text that may not name
    /// one is dropped with a note.
    pub fn from_texts(extra: Vec<RuleText>, notes: &mut Vec<String>) -> Result<RuleSet, RuleError> {
        let vocabulary: Vocabulary =
            toml::from_str(BUILTIN_VOCABULARY).map_err(|e| RuleError::Parse {
                path: "built-in rules/vocabulary.toml".into(),
                message: e.to_string(),
            })?;
        let mut rules = parse_rules(BUILTIN_RULES, BUILTIN_ORIGIN)?;
        for t in extra {
            let mut parsed = parse_rules(&t.text, &t.origin)?;
            if parsed.is_empty() {
                return Err(RuleError::Empty { path: t.origin });
            }
            if !t.may_verify {
                for rule in parsed.iter_mut().filter(|r| r.verifier.is_some()) {
                    rule.verifier = None;
                    rule.spec.verify = None;
                    notes.push(format!(
                        "{}: rule `{}`: `verify` ignored: a rule file found in the scanned tree \
                         cannot have what it finds sent anywhere (name the file with --rules)",
                        t.origin,
                        rule.id()
                    ));
                }
            }
            rules.extend(parsed);
        }
        for (i, rule) in rules.iter().enumerate() {
            if let Some(first) = rules[..i].iter().find(|r| r.id() == rule.id()) {
                return Err(RuleError::Duplicate {
                    id: rule.id().to_string(),
                    first: first.origin.clone(),
                    second: rule.origin.clone(),
                });
            }
        }
        for rule in &mut rules {
            rule.hex_names_unrelated = crate::detect::words::hex_names_unrelated(rule, &vocabulary);
        }
        Ok(RuleSet { rules, vocabulary })
    }

    /// Keeps only the rules whose ids are listed (used by the self-test of a single rule).
    pub fn only(&self, id: &str) -> RuleSet {
        RuleSet {
            rules: self
                .rules
                .iter()
                .filter(|r| r.id() == id)
                .cloned()
                .collect(),
            vocabulary: self.vocabulary.clone(),
        }
    }
}

fn rule_files(path: &Path) -> Result<Vec<PathBuf>, RuleError> {
    let io_err = |source| RuleError::Io {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io_err)?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io_err)? {
        let entry = entry.map_err(io_err)?;
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "toml") && p.is_file() {
            files.push(p);
        }
    }
    files.sort();
    Ok(files)
}

/// Parses and compiles the rules of one TOML document.
pub fn parse_rules(text: &str, origin: &str) -> Result<Vec<Rule>, RuleError> {
    let file: RuleFile =
        toml::from_str(text).map_err(|e| crate::toml_error::describe(origin, text, &e))?;
    file.rules
        .into_iter()
        .map(|spec| compile(spec, origin))
        .collect()
}

fn compile(spec: RuleSpec, origin: &str) -> Result<Rule, RuleError> {
    let invalid = |message: String| RuleError::Invalid {
        path: origin.to_string(),
        id: spec.id.clone(),
        message,
    };
    if spec.id.is_empty()
        || !spec
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        return Err(invalid(
            "the id must be non-empty lowercase letters, digits, `-` or `_`".into(),
        ));
    }
    if spec.description.trim().is_empty() {
        return Err(invalid("the description is empty".into()));
    }
    let regex = regex::bytes::RegexBuilder::new(&spec.pattern)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
        .map_err(|e| invalid(format!("bad pattern: {e}")))?;
    if regex.is_match(b"") {
        return Err(invalid("the pattern matches the empty string".into()));
    }
    let anchor = match &spec.anchor {
        Some(a) if a.is_empty() => return Err(invalid("the anchor is empty".into())),
        Some(a) => Some(a.as_bytes().to_vec()),
        None => None,
    };
    let lower = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    };
    let keywords = lower(&spec.keywords);
    let hosts = lower(&spec.hosts);
    let headers = lower(&spec.headers);
    let placeholders = lower(&spec.placeholders).into_iter().collect();
    let verifier = match &spec.verify {
        None => None,
        Some(name) => Some(crate::verify::Verifier::by_name(name).ok_or_else(|| {
            invalid(format!(
                "unknown verifier `{name}` (known: {})",
                crate::verify::Verifier::names().join(", ")
            ))
        })?),
    };
    Ok(Rule {
        verifier,
        origin: origin.to_string(),
        regex,
        anchor_finder: anchor
            .as_deref()
            .map(|a| memchr::memmem::Finder::new(a).into_owned()),
        max_match_len: regex_syntax::Parser::new()
            .parse(&spec.pattern)
            .ok()
            .map(|hir| hir.properties().clone())
            .filter(|p| p.look_set().is_empty())
            .and_then(|p| p.maximum_len()),
        anchor,
        keywords,
        hosts,
        headers,
        placeholders,
        spec,
        hex_names_unrelated: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load() {
        let set = RuleSet::builtin().unwrap();
        assert_eq!(set.rules.len(), 1);
        let rule = &set.rules[0];
        assert_eq!(rule.id(), "lusha-api-key");
        assert_eq!(rule.keywords, vec!["lusha"]);
        assert!(!rule.spec.examples.is_empty() && !rule.spec.non_examples.is_empty());
        assert!(rule.spec.remediation.contains("Manage API Keys"));
    }

    #[test]
    fn unknown_fields_are_rejected_with_the_file_name() {
        let err = parse_rules(
            "[[rules]]\nid='x'\ndescription='d'\npattern='a+'\ncolour='red'\n",
            "mine.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("mine.toml:"), "{err}");
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn bad_patterns_and_ids_are_rejected() {
        let bad = parse_rules(
            "[[rules]]\nid='x'\ndescription='d'\npattern='('\n",
            "f.toml",
        );
        assert!(bad.unwrap_err().to_string().contains("bad pattern"));
        let empty = parse_rules(
            "[[rules]]\nid='x'\ndescription='d'\npattern='a*'\n",
            "f.toml",
        );
        assert!(empty.unwrap_err().to_string().contains("empty string"));
        let id = parse_rules(
            "[[rules]]\nid='X Y'\ndescription='d'\npattern='a'\n",
            "f.toml",
        );
        assert!(id.unwrap_err().to_string().contains("id must be"));
    }

    #[test]
    fn duplicate_ids_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("dup.toml");
        std::fs::write(
            &file,
            "[[rules]]\nid='lusha-api-key'\ndescription='d'\npattern='a'\n",
        )
        .unwrap();
        let err = RuleSet::load(&[file]).unwrap_err().to_string();
        assert!(err.contains("defined twice"), "{err}");
    }
}
