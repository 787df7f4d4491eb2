//! The rule self-test behind `lushaguard rules test` and `cargo test`: every example of a rule
//! must be found by that rule at medium confidence or above, and no non-example may be. A rule
//! without examples fails, so every rule states what it is for. A failure says why: the score
//! and what medium needs, a placeholder value, a value in no credential slot, or no match at all.

use super::{Example, Rule, RuleSet};
use crate::detect::{placeholder_reason, Confidence, Detection, Detector, Document};
use crate::secret;

/// The result of one rule's self-test.
#[derive(Debug)]
pub struct Outcome {
    pub rule: String,
    pub origin: String,
    pub checked: usize,
    pub failures: Vec<String>,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The path an example is scanned under when it names none.
const DEFAULT_EXAMPLE_PATH: &str = "example.txt";

pub fn run(set: &RuleSet) -> Vec<Outcome> {
    set.rules
        .iter()
        .map(|rule| {
            let detector = Detector::new(set.only(rule.id()));
            let mut failures = Vec::new();
            if rule.spec.examples.is_empty() {
                failures.push("the rule has no examples".to_string());
            }
            // The best detection of an example, if any.
            let best = |ex: &Example| {
                let text = dedent(ex.text());
                let path = ex.path().unwrap_or(DEFAULT_EXAMPLE_PATH);
                detector
                    .detect(&Document::whole(text.as_bytes(), path))
                    .into_iter()
                    .max_by_key(|d| (d.confidence, d.score))
            };
            let found = |ex: &Example| best(ex).is_some_and(|d| d.confidence >= Confidence::Medium);
            let shown = |ex: &Example| {
                let first = dedent(ex.text())
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .to_string();
                rule.regex
                    .replace_all(first.as_bytes(), |c: &regex::bytes::Captures<'_>| {
                        secret::redact(&String::from_utf8_lossy(&c[0])).into_bytes()
                    })
                    .into_owned()
            };
            for (i, ex) in rule.spec.examples.iter().enumerate() {
                if !found(ex) {
                    failures.push(format!(
                        "example {} is not found at medium confidence: {}: {}",
                        i + 1,
                        why_missed(set, rule, best(ex), ex),
                        String::from_utf8_lossy(&shown(ex))
                    ));
                }
            }
            for (i, ex) in rule.spec.non_examples.iter().enumerate() {
                if let Some(d) = best(ex).filter(|d| d.confidence >= Confidence::Medium) {
                    failures.push(format!(
                        "non-example {} is reported at {} confidence (score {}): {}",
                        i + 1,
                        d.confidence,
                        d.score,
                        String::from_utf8_lossy(&shown(ex))
                    ));
                }
            }
            Outcome {
                rule: rule.id().to_string(),
                origin: rule.origin.clone(),
                checked: rule.spec.examples.len() + rule.spec.non_examples.len(),
                failures,
            }
        })
        .collect()
}

/// Why an example was not found at medium confidence, given its best detection (if any).
fn why_missed(set: &RuleSet, rule: &Rule, best: Option<Detection>, ex: &Example) -> String {
    let thresholds = &set.vocabulary.confidence;
    if let Some(d) = best {
        return format!(
            "it scored {} ({}), below medium ({} or more)",
            d.score, d.confidence, thresholds.medium
        );
    }
    let text = dedent(ex.text());
    let values: Vec<String> = rule
        .regex
        .find_iter(text.as_bytes())
        .filter_map(|m| std::str::from_utf8(m.as_bytes()).ok())
        .map(|raw| rule.canonicalize(raw))
        .collect();
    if let Some((value, reason)) = values.iter().find_map(|v| {
        placeholder_reason(v, &rule.placeholders).map(|reason| (secret::redact(v), reason))
    }) {
        return format!("its value {value} is {reason}, and placeholders are never reported");
    }
    // Scored again with no lower bound, to say by how much it missed.
    let mut unbounded = set.only(rule.id());
    unbounded.vocabulary.confidence.low = i32::MIN / 4;
    let path = ex.path().unwrap_or(DEFAULT_EXAMPLE_PATH);
    let below = Detector::new(unbounded)
        .detect(&Document::whole(text.as_bytes(), path))
        .into_iter()
        .max_by_key(|d| d.score);
    match below {
        Some(d) => format!(
            "it scored {}, below low ({} or more), so it is not reported at any confidence",
            d.score, thresholds.low
        ),
        None if !values.is_empty() => "its value sits in no credential slot, or its name marks \
             an identifier, so it is not reported at any confidence"
            .to_string(),
        None => "nothing in it matches the rule's pattern as a token of its own".to_string(),
    }
}

/// Removes the indentation common to all non-blank lines, so multi-line examples can be indented
/// inside the TOML file.
pub fn dedent(text: &str) -> String {
    let common = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        out.push_str(line.get(common..).unwrap_or(line.trim_start()));
        out.push('\n');
    }
    out.trim_start_matches('\n').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_pass_their_self_test() {
        let set = RuleSet::builtin().unwrap();
        for outcome in run(&set) {
            assert!(
                outcome.passed(),
                "{}: {:#?}",
                outcome.rule,
                outcome.failures
            );
            assert!(outcome.checked >= 20);
        }
    }

    #[test]
    fn a_rule_without_examples_fails() {
        let mut set = RuleSet::builtin().unwrap();
        set.rules[0].spec.examples.clear();
        let outcome = &run(&set)[0];
        assert!(!outcome.passed());
        assert!(outcome.failures[0].contains("no examples"));
    }

    /// The built-in rule with one more example, `text`.
    fn with_example(text: &str) -> Outcome {
        let mut set = RuleSet::builtin().unwrap();
        set.rules[0].spec.examples = vec![Example::Text(text.to_string())];
        set.rules[0].spec.non_examples.clear();
        run(&set).remove(0)
    }

    #[test]
    fn a_failed_example_says_why() {
        // Random UUID v4s, never issued by Lusha.
        let key = "7d3f1a9c-2e8b-4c65-9a1d-5b7e3c0f8a42"; // lushaguard:allow (test key)
        let placeholder = with_example("LUSHA_API_KEY=00000000-0000-4000-8000-000000000000\n");
        assert!(
            placeholder.failures[0].contains("placeholder"),
            "{:?}",
            placeholder.failures
        );
        // A credential name that nothing ties to Lusha: capped below medium, with its score.
        let weak = with_example(&format!("API_KEY={key}\n"));
        assert!(
            weak.failures[0].contains("it scored") && weak.failures[0].contains("below medium"),
            "{:?}",
            weak.failures
        );
        // An id, not a credential: not reported at any level.
        let id = with_example(&format!("request_id = \"{key}\"\n"));
        assert!(
            id.failures[0].contains("not reported at any confidence"),
            "{:?}",
            id.failures
        );
        let none = with_example("LUSHA_API_KEY=not-a-key\n");
        assert!(
            none.failures[0].contains("nothing in it matches"),
            "{:?}",
            none.failures
        );
        // The key itself never appears, only its redacted form.
        for o in [&placeholder, &weak, &id, &none] {
            assert!(!o.failures[0].contains(key), "{:?}", o.failures);
        }
    }

    #[test]
    fn dedent_keeps_relative_indentation() {
        assert_eq!(dedent("\n  a:\n    b: 1\n"), "a:\n  b: 1\n");
    }
}
