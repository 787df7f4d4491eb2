//! A Markdown summary for `$GITHUB_STEP_SUMMARY` or a pull-request comment: a heading, the counts
//! by confidence, a table of findings (place, rule, confidence, key, verification, commit) and
//! what to do about them. Cells are escaped so that a path cannot break the table or inject
//! markup; keys are redacted unless `--no-redact`. Long reports are cut at `MAX_ROWS` rows, which
//! keeps a comment under GitHub's size limit.

use super::human::scanned;
use super::shared::{
    incomplete_headline, incomplete_line, incomplete_shown, key_text, needs_escape, origin_note,
    plural, push_printable, remediations, short_id, suppression_sentences, verification_sentence,
};
use super::Options;
use crate::model::Report;
use std::io::{self, Write};

/// The most findings listed in the table; the rest are counted below it.
pub const MAX_ROWS: usize = 200;

/// Escapes text for a table cell: Markdown punctuation is backslash-escaped (`|` included, so
/// the table keeps its columns; backticks, so no code span opens), line breaks become spaces and
/// other control characters escapes (`\x1b`), so that none reaches a terminal showing the file.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '|' | '<' | '>' | '[' | ']' | '~' | '#' | '!' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c => push_printable(&mut out, c),
        }
    }
    out
}

/// A code span for a cell (keys read best in monospace); escaped text if the value itself holds
/// a backtick.
pub fn code(s: &str) -> String {
    if s.contains('`') || s.chars().any(needs_escape) {
        cell(s)
    } else {
        format!("`{}`", s.replace('|', "\\|"))
    }
}

pub fn write(report: &Report, options: Options, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let scanned = scanned(s);
    if report.findings.is_empty() && !report.is_complete() {
        writeln!(out, "## lushaguard: scan incomplete\n")?;
        writeln!(
            out,
            "No Lusha API keys found at {} confidence or above in what could be scanned; {scanned}.",
            s.min_confidence
        )?;
    } else if report.findings.is_empty() {
        writeln!(out, "## lushaguard: No Lusha API keys found\n")?;
        writeln!(
            out,
            "No Lusha API keys found at {} confidence or above; {scanned}.",
            s.min_confidence
        )?;
    } else {
        writeln!(
            out,
            "## lushaguard: {} {} of {} {}\n",
            s.findings,
            plural(s.findings, "finding", "findings"),
            s.unique_secrets,
            plural(s.unique_secrets, "distinct key", "distinct keys")
        )?;
        writeln!(out, "| confidence | findings |\n|:--|--:|")?;
        let c = &s.by_confidence;
        for (name, n) in [("high", c.high), ("medium", c.medium), ("low", c.low)] {
            writeln!(out, "| {name} | {n} |")?;
        }
        writeln!(
            out,
            "\nReported at {} confidence or above; {scanned}.",
            s.min_confidence
        )?;
    }
    for sentence in suppression_sentences(report) {
        writeln!(out, "\n{sentence}")?;
    }
    if let Some(changes) = &report.settings_changes {
        writeln!(out, "\n**Warning:** {}", cell(&changes.sentence()))?;
    }
    if let Some(v) = &s.verification {
        writeln!(out, "\n{}", verification_sentence(v))?;
    }
    if let Some(headline) = incomplete_headline(report) {
        writeln!(out, "\n**{}**\n", cell(&headline))?;
        let (shown, more) = incomplete_shown(report);
        for i in shown {
            writeln!(out, "- {}", cell(&incomplete_line(i)))?;
        }
        if more > 0 {
            writeln!(
                out,
                "- …and {more} more; see the full report (`--format json`)."
            )?;
        }
    }
    if report.findings.is_empty() {
        return Ok(());
    }

    writeln!(
        out,
        "\n| location | rule | confidence | key | verification | commit |\n|---|---|---|---|---|---|"
    )?;
    for f in report.findings.iter().take(MAX_ROWS) {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            cell(&match origin_note(&f.provenance) {
                Some(note) => format!("{}:{} ({note})", f.path, f.line),
                None => format!("{}:{}", f.path, f.line),
            }),
            cell(&f.rule_id),
            f.confidence,
            code(&key_text(f, options)),
            f.verification
                .as_ref()
                .map(|v| v.status.as_str())
                .unwrap_or(""),
            f.commit()
                .map(|c| code(short_id(&c.id)))
                .unwrap_or_default(),
        )?;
    }
    if report.findings.len() > MAX_ROWS {
        writeln!(
            out,
            "\n…and {} more; see the full report (`--format json`).",
            report.findings.len() - MAX_ROWS
        )?;
    }
    let todo = remediations(report);
    if !todo.is_empty() {
        writeln!(out, "\n### What to do")?;
        for (what, text) in todo {
            writeln!(out, "\n**{}**: {}", cell(what), text)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(cell("a|b`c`\nd"), "a\\|b\\`c\\` d");
        assert_eq!(cell("__init__.py"), "\\_\\_init\\_\\_.py");
        assert_eq!(code("0bd6****-b3d3"), "`0bd6****-b3d3`");
        assert_eq!(code("x|y"), "`x\\|y`");
        assert_eq!(code("x`y"), "x\\`y");
        assert_eq!(cell("a\u{1b}[2J\u{9b}b"), "a\\x1b\\[2J\\u{9b}b");
        assert_eq!(code("k\u{1b}y"), "k\\x1by");
    }
}
