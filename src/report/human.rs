//! The report for people: one linter-style line per finding (`path:line:col: rule [confidence]
//! key`), the line it was found on with every key masked, the reasons with `--explain`, and a
//! closing summary with what to do next.

use super::{Options, Report};
use std::io::{self, Write};

pub fn write(report: &Report, options: Options, out: &mut dyn Write) -> io::Result<()> {
    for f in &report.findings {
        let key = if options.reveal {
            f.secret.expose().to_string()
        } else {
            f.secret.redacted()
        };
        let encoding = f
            .encoding
            .map(|e| format!(", {}", e.as_str()))
            .unwrap_or_default();
        writeln!(
            out,
            "{}:{}:{}: {} [{}{}] {}",
            f.path, f.line, f.column, f.rule_id, f.confidence, encoding, key
        )?;
        if !f.snippet.is_empty() {
            writeln!(out, "    | {}", f.snippet)?;
        }
        if options.explain {
            for r in &f.reasons {
                writeln!(out, "    {r}")?;
            }
        }
    }
    let s = &report.summary;
    let scanned = format!(
        "{} {} ({}) scanned",
        s.files_scanned,
        plural(s.files_scanned as usize, "file", "files"),
        human_bytes(s.bytes_scanned)
    );
    if report.findings.is_empty() {
        writeln!(
            out,
            "No secrets found at {} confidence or above; {scanned}.",
            s.min_confidence
        )?;
    } else {
        if !report.findings.is_empty() {
            writeln!(out)?;
        }
        let c = &s.by_confidence;
        let mut levels = Vec::new();
        for (n, name) in [(c.high, "high"), (c.medium, "medium"), (c.low, "low")] {
            if n > 0 {
                levels.push(format!("{n} {name}"));
            }
        }
        writeln!(
            out,
            "{} {} ({}) of {} {}; {scanned}.",
            s.findings,
            plural(s.findings, "finding", "findings"),
            levels.join(", "),
            s.unique_secrets,
            plural(s.unique_secrets, "distinct key", "distinct keys"),
        )?;
        for rule in &report.rules {
            if report.findings.iter().any(|f| f.rule_id == rule.id) && !rule.remediation.is_empty()
            {
                writeln!(out, "{}: {}", rule.description, rule.remediation.trim())?;
            }
        }
        if !options.explain {
            writeln!(
                out,
                "Run with --explain to see the evidence behind each finding."
            )?;
        }
    }
    if s.below_threshold > 0 {
        writeln!(
            out,
            "{} more {} scored below {} confidence (see --min-confidence).",
            s.below_threshold,
            plural(s.below_threshold, "candidate", "candidates"),
            s.min_confidence
        )?;
    }
    Ok(())
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
