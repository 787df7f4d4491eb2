//! The rule self-test behind `lushaguard rules test` and `cargo test`: every example of a rule
//! must be found by that rule at medium confidence or above, and no non-example may be. A rule
//! without examples fails, so every rule states what it is for.

use super::{Example, RuleSet};
use crate::detect::{Confidence, Detector, Document};
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
            let found = |ex: &Example| {
                let text = dedent(ex.text());
                let path = ex.path().unwrap_or(DEFAULT_EXAMPLE_PATH);
                detector
                    .detect(&Document::whole(text.as_bytes(), path))
                    .iter()
                    .any(|d| d.confidence >= Confidence::Medium)
            };
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
                        "example {} is not found at medium confidence: {}",
                        i + 1,
                        String::from_utf8_lossy(&shown(ex))
                    ));
                }
            }
            for (i, ex) in rule.spec.non_examples.iter().enumerate() {
                if found(ex) {
                    failures.push(format!(
                        "non-example {} is reported: {}",
                        i + 1,
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

    #[test]
    fn dedent_keeps_relative_indentation() {
        assert_eq!(dedent("\n  a:\n    b: 1\n"), "a:\n  b: 1\n");
    }
}
