//! The report for people: one linter-style line per finding (`path:line:col: rule [confidence]
//! key`), the line it was found on with every key masked, where it came from in history, what
//! the Lusha API said about it, the reasons with `--explain`, and a closing summary with what to
//! do next. Keys found live come first: they need rotating now. On a terminal it is coloured
//! (`Options::color`, see `style`); the words are the same either way. Whatever the scanned tree
//! or its history says (paths, lines, commit authors, image tags) goes through `printable`, so
//! that it cannot send control sequences to the terminal.

use super::shared::{
    incomplete_headline, incomplete_line, incomplete_shown, key_text, origin_note, plural,
    printable, remediations, short_id, suppression_sentences, verification_sentence,
};
use super::style::{Role, Style};
use super::Options;
use crate::detect::Confidence;
use crate::model::{Account, Finding, Report, Summary, VerifyStatus};
use std::io::{self, Write};

pub fn write(report: &Report, options: Options, out: &mut dyn Write) -> io::Result<()> {
    // Live keys first, then the report's own order (the sort is stable).
    let mut order: Vec<&Finding> = report.findings.iter().collect();
    order.sort_by_key(|f| {
        f.verification
            .as_ref()
            .map(|v| v.status)
            .unwrap_or(VerifyStatus::Unknown)
            != VerifyStatus::Live
    });
    for f in order {
        write_finding(f, options, out)?;
    }
    write_summary(report, options, out)
}

fn confidence_role(c: Confidence) -> Role {
    match c {
        Confidence::High => Role::High,
        Confidence::Medium => Role::Medium,
        Confidence::Low => Role::Low,
    }
}

fn write_finding(f: &Finding, options: Options, out: &mut dyn Write) -> io::Result<()> {
    let style = Style::new(options.color);
    let key = key_text(f, options);
    let mut tags = vec![style.show(confidence_role(f.confidence), f.confidence)];
    if let Some(e) = f.encoding {
        tags.push(e.as_str().to_string());
    }
    if let Some(v) = &f.verification {
        let role = match v.status {
            VerifyStatus::Live => Role::Live,
            VerifyStatus::Restricted => Role::High,
            VerifyStatus::Unknown => Role::Medium,
            VerifyStatus::Invalid => Role::Dim,
        };
        tags.push(style.show(role, v.status.as_str()));
    }
    let location = format!("{}:{}:{}:", printable(&f.path), f.line, f.column);
    writeln!(
        out,
        "{} {} [{}] {}",
        style.paint(Role::Location, location),
        f.rule_id,
        tags.join(", "),
        key
    )?;
    let context = |text: &str| style.paint(Role::Dim, text.to_string()).into_owned();
    if !f.snippet.is_empty() {
        writeln!(out, "    {} {}", context("|"), printable(&f.snippet))?;
    }
    if let Some(c) = f.commit() {
        let short = short_id(&c.id);
        writeln!(
            out,
            "    {}",
            context(&printable(&format!(
                "commit {short} by {} <{}> on {}: {}",
                c.author, c.email, c.date, c.summary
            )))
        )?;
    }
    if f.present_in_head() == Some(false) {
        writeln!(
            out,
            "    no longer in HEAD, but still in git history: rotate it anyway"
        )?;
    }
    if let Some(note) = origin_note(&f.provenance) {
        writeln!(out, "    {}", context(&printable(&note)))?;
    }
    if let Some(v) = &f.verification {
        let mut line = format!("    verification: {}", v.detail);
        if let Some(account) = v.account.as_ref().and_then(account_text) {
            line.push_str(&format!(" ({account})"));
        }
        writeln!(out, "{}", printable(&line))?;
    }
    if options.explain {
        for r in &f.reasons {
            writeln!(out, "    {}", printable(&r.to_string()))?;
        }
    }
    Ok(())
}

/// `plan Premium, 812 credits left`: what the usage endpoint said about a live key's account.
pub fn account_text(a: &Account) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(p) = &a.plan {
        parts.push(format!("plan {p}"));
    }
    if let Some(r) = a.credits_remaining {
        parts.push(format!("{r} {} left", plural(r, "credit", "credits")));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The first line of the summary: `3 findings (3 high) of 3 distinct keys; 69 files (211.1 KiB)
/// scanned`, or `No secrets found at medium confidence or above; ...`. Also the one line printed
/// on stderr when the report goes to a file.
pub fn headline(report: &Report, style: Style) -> String {
    let s = &report.summary;
    let scanned = scanned(s);
    if report.findings.is_empty() {
        let place = if report.is_complete() {
            ""
        } else {
            " in what could be scanned"
        };
        let found = style.paint(Role::Clean, format!("No secrets found{place}"));
        return format!(
            "{found} at {} confidence or above; {scanned}",
            s.min_confidence
        );
    }
    let c = &s.by_confidence;
    let mut levels = Vec::new();
    for (n, level) in [
        (c.high, Confidence::High),
        (c.medium, Confidence::Medium),
        (c.low, Confidence::Low),
    ] {
        if n > 0 {
            levels.push(style.show(confidence_role(level), format!("{n} {level}")));
        }
    }
    let count = format!(
        "{} {}",
        s.findings,
        plural(s.findings, "finding", "findings")
    );
    let top = if c.high > 0 { Role::High } else { Role::Medium };
    format!(
        "{} ({}) of {} {}; {scanned}",
        style.paint(top, count),
        levels.join(", "),
        s.unique_secrets,
        plural(s.unique_secrets, "distinct key", "distinct keys"),
    )
}

fn write_summary(report: &Report, options: Options, out: &mut dyn Write) -> io::Result<()> {
    let style = Style::new(options.color);
    let s = &report.summary;
    if !report.findings.is_empty() {
        writeln!(out)?;
    }
    writeln!(out, "{}.", headline(report, style))?;
    if !report.findings.is_empty() {
        if let Some(v) = &s.verification {
            writeln!(out, "{}", verification_sentence(v))?;
            if v.live > 0 {
                writeln!(
                    out,
                    "{}",
                    style.paint(Role::Live, "LIVE keys work right now: rotate them first.")
                )?;
            }
        }
        // A command with advice of its own (a blocked commit or push) prints it instead: the
        // rules' remediation speaks of history and force-pushing, and a hook cannot be rerun
        // with --explain.
        if !options.own_advice {
            for (description, remediation) in remediations(report) {
                writeln!(out, "{description}: {remediation}")?;
            }
            if !options.explain {
                writeln!(
                    out,
                    "Run with --explain to see the evidence behind each finding."
                )?;
            }
        }
    }
    for sentence in suppression_sentences(report) {
        writeln!(out, "{sentence}")?;
    }
    if let Some(changes) = &report.settings_changes {
        writeln!(out, "{}", changes.sentence())?;
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
    write_incomplete(report, style, out)
}

fn write_incomplete(report: &Report, style: Style, out: &mut dyn Write) -> io::Result<()> {
    let Some(headline) = incomplete_headline(report) else {
        return Ok(());
    };
    writeln!(out, "{}", style.paint(Role::Error, headline))?;
    let (shown, more) = incomplete_shown(report);
    for i in shown {
        writeln!(out, "    {}", printable(&incomplete_line(i)))?;
    }
    if more > 0 {
        writeln!(
            out,
            "    …and {more} more (the JSON report lists every one)."
        )?;
    }
    Ok(())
}

/// `17 files (20.0 KiB) scanned`; for history, `12 commits, 40 blobs (81.0 KiB) scanned`.
pub fn scanned(s: &Summary) -> String {
    let size = human_bytes(s.bytes_scanned);
    let n = s.files_scanned;
    match s.commits {
        Some(commits) => format!(
            "{commits} {}, {n} {} ({size}) scanned",
            plural(commits as usize, "commit", "commits"),
            plural(n as usize, "blob", "blobs"),
        ),
        None => format!(
            "{n} {} ({size}) scanned",
            plural(n as usize, "file", "files")
        ),
    }
}

pub fn human_bytes(n: u64) -> String {
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
