//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per finding,
//! shown on the changed line of a pull request, then one plain summary line for the log. Values
//! are escaped as the runner expects: in the message `%`, CR and LF; in properties also `:` and
//! `,`; any other control character becomes an escape (`\x1b`), so that a path cannot send
//! control sequences to whoever reads the log, and so does a bidirectional formatting character
//! except in `file=`, which names the file rather than showing it. The key appears only redacted
//! unless `--no-redact`.

use super::shared::{
    headline, incomplete_line, incomplete_shown, is_bidi_control, plural, push_printable, rule,
    suppressed_total, what,
};
use super::Options;
use crate::detect::Confidence;
use crate::model::Report;
use std::io::{self, Write};

/// The workflow command for a finding's confidence.
pub fn command(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "error",
        Confidence::Medium => "warning",
        Confidence::Low => "notice",
    }
}

/// Escapes a message (the command's data).
pub fn escape_data(s: &str) -> String {
    escape(s, false)
}

/// Escapes a property value shown as text (`title=…`).
pub fn escape_property(s: &str) -> String {
    property(escape(s, false))
}

/// Escapes the `file=` property: as `escape_property`, but a bidirectional formatting character
/// of a real file name is kept, so that the annotation still attaches to that file (the runner
/// reads the property to find the file; it does not show it as log text).
pub fn escape_file(s: &str) -> String {
    property(escape(s, true))
}

/// What a property escapes beyond the data: the separators of the command's properties.
fn property(escaped: String) -> String {
    escaped.replace(':', "%3A").replace(',', "%2C")
}

fn escape(s: &str, keep_bidi: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c if keep_bidi && is_bidi_control(c) => out.push(c),
            c => push_printable(&mut out, c),
        }
    }
    out
}

pub fn write(report: &Report, options: Options, out: &mut dyn Write) -> io::Result<()> {
    for f in &report.findings {
        let title = format!("{} ({} confidence)", what(report, f), f.confidence);
        let mut message = headline(report, f, options);
        if let Some(r) = rule(report, &f.rule_id).filter(|r| !r.remediation.is_empty()) {
            message.push_str(". ");
            message.push_str(&r.remediation);
        }
        writeln!(
            out,
            "::{} file={},line={},col={},endColumn={},title={}::{}",
            command(f.confidence),
            escape_file(&f.path),
            f.line,
            f.column,
            f.end_column,
            escape_property(&title),
            escape_data(&message)
        )?;
    }
    if let Some(changes) = &report.settings_changes {
        writeln!(
            out,
            "::warning title={}::{}",
            escape_property("lushaguard: this change edits suppression settings"),
            escape_data(&changes.sentence())
        )?;
    }
    let (shown, more) = incomplete_shown(report);
    for i in shown {
        writeln!(
            out,
            "::error title={}::{}",
            escape_property("lushaguard: not scanned (incomplete scan)"),
            escape_data(&incomplete_line(i))
        )?;
    }
    if more > 0 {
        writeln!(
            out,
            "::error title={}::{}",
            escape_property("lushaguard: not scanned (incomplete scan)"),
            escape_data(&format!("…and {more} more; see the JSON report"))
        )?;
    }
    let s = &report.summary;
    let files = format!(
        "{} {} scanned",
        s.files_scanned,
        plural(s.files_scanned as usize, "file", "files")
    );
    if report.findings.is_empty() {
        write!(
            out,
            "lushaguard: no Lusha API keys found at {} confidence or above; {files}",
            s.min_confidence
        )?;
    } else {
        let c = &s.by_confidence;
        write!(
            out,
            "lushaguard: {} {} ({} high, {} medium, {} low) of {} {}; {files}",
            s.findings,
            plural(s.findings, "finding", "findings"),
            c.high,
            c.medium,
            c.low,
            s.unique_secrets,
            plural(s.unique_secrets, "distinct key", "distinct keys"),
        )?;
    }
    let hidden = suppressed_total(report);
    if hidden > 0 {
        write!(out, "; {hidden} suppressed")?;
    }
    let excluded = s.suppressed.excluded;
    if excluded > 0 {
        write!(
            out,
            "; {excluded} {} left out by exclude",
            plural(excluded, "path", "paths")
        )?;
    }
    if !report.is_complete() {
        write!(out, "; INCOMPLETE: {} not scanned", report.incomplete.len())?;
    }
    writeln!(out, ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(escape_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(escape_data("x\u{1b}]0;t\u{7}"), "x\\x1b]0;t\\x07");
        assert_eq!(
            escape_property("C:\\x,y%\n"),
            "C%3A\\x%2Cy%25%0A".to_string()
        );
        // A file name keeps its right-to-left override, so that the annotation finds the file;
        // a title or a message shows it escaped.
        let name = "app/\u{202e}vne.txt";
        assert_eq!(escape_file(name), name);
        assert_eq!(escape_property(name), "app/\\u{202e}vne.txt");
        assert_eq!(escape_file("a\u{1b}[2J:b"), "a\\x1b[2J%3Ab");
    }
}
