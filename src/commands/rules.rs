//! `lushaguard rules list` and `lushaguard rules test`.

use super::{EXIT_CLEAN, EXIT_FINDINGS};
use crate::cli::RulesCommand;
use crate::report::plural;
use crate::report::style::Role;
use crate::rules::{selftest, RuleSet};
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct Listed<'a> {
    id: &'a str,
    description: &'a str,
    severity: &'a str,
    origin: &'a str,
    pattern: &'a str,
    keywords: &'a [String],
    hosts: &'a [String],
    headers: &'a [String],
    examples: usize,
    non_examples: usize,
}

pub fn run(command: &RulesCommand) -> Result<u8> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match command {
        RulesCommand::List { rules, json } => {
            let set = RuleSet::load(&rules.rule_paths)?;
            let listed: Vec<Listed<'_>> = set
                .rules
                .iter()
                .map(|r| Listed {
                    id: r.id(),
                    description: &r.spec.description,
                    severity: r.spec.severity.as_str(),
                    origin: &r.origin,
                    pattern: &r.spec.pattern,
                    keywords: &r.keywords,
                    hosts: &r.hosts,
                    headers: &r.headers,
                    examples: r.spec.examples.len(),
                    non_examples: r.spec.non_examples.len(),
                })
                .collect();
            if *json {
                serde_json::to_writer_pretty(&mut out, &listed)?;
                writeln!(out)?;
            } else {
                for r in &listed {
                    writeln!(out, "{}  {} ({} severity)", r.id, r.description, r.severity)?;
                    writeln!(out, "    from:     {}", r.origin)?;
                    writeln!(out, "    pattern:  {}", r.pattern)?;
                    if !r.keywords.is_empty() {
                        writeln!(out, "    keywords: {}", r.keywords.join(", "))?;
                    }
                    if !r.hosts.is_empty() {
                        writeln!(out, "    hosts:    {}", r.hosts.join(", "))?;
                    }
                    if !r.headers.is_empty() {
                        writeln!(out, "    headers:  {}", r.headers.join(", "))?;
                    }
                    writeln!(
                        out,
                        "    examples: {} ({} {})",
                        r.examples,
                        r.non_examples,
                        plural(r.non_examples, "non-example", "non-examples")
                    )?;
                }
            }
            Ok(EXIT_CLEAN)
        }
        RulesCommand::Test { rules } => {
            let set = RuleSet::load(&rules.rule_paths)?;
            let outcomes = selftest::run(&set);
            let style = super::Console::Stdout.style();
            let mut failed = 0;
            for o in &outcomes {
                if o.passed() {
                    writeln!(
                        out,
                        "{}    {} ({} {} checked; {})",
                        style.paint(Role::Clean, "ok"),
                        o.rule,
                        o.checked,
                        plural(o.checked, "example", "examples"),
                        o.origin
                    )?;
                } else {
                    failed += 1;
                    writeln!(
                        out,
                        "{}  {} ({})",
                        style.paint(Role::Error, "FAIL"),
                        o.rule,
                        o.origin
                    )?;
                    for f in &o.failures {
                        writeln!(out, "      {f}")?;
                    }
                }
            }
            writeln!(
                out,
                "{} {}, {failed} failed",
                outcomes.len(),
                plural(outcomes.len(), "rule", "rules")
            )?;
            Ok(if failed == 0 {
                EXIT_CLEAN
            } else {
                EXIT_FINDINGS
            })
        }
    }
}
