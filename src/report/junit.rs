//! JUnit XML (the Ant schema that CI servers read): one `<testsuite>` for the scan, one failing
//! `<testcase>` per finding (classname the path, name the rule and place), or a single passing test
//! case when nothing was found, so that a clean scan shows up as a passed test rather than none.
//! The timestamp is the scanned commit's date (the epoch outside git), the host `localhost`, and
//! times zero: nothing depends on the clock or the machine. The failure text shows the masked line
//! and the key redacted unless `--no-redact`.

use super::shared::{
    commit_sha, headline, incomplete_line, origin_note, rule, scan_time, suppressed_total,
};
use super::Options;
use crate::model::Report;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Escapes text for an XML attribute value. Characters XML 1.0 cannot carry (most C0 controls)
/// become U+FFFD.
pub fn escape(s: &str) -> String {
    escape_xml(s, true)
}

/// Escapes text for element content, where tabs, line feeds and quotes may stay as they are.
pub fn escape_text(s: &str) -> String {
    escape_xml(s, false)
}

fn escape_xml(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\t' | '\n' | '"' | '\'' if !attribute => out.push(c),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Kept in attributes as character references so parsers do not normalise them.
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn property(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(
        out,
        "      <property name=\"{}\" value=\"{}\"/>",
        escape(name),
        escape(value)
    );
}

pub fn write(report: &Report, options: Options, out: &mut dyn Write) -> io::Result<()> {
    let s = &report.summary;
    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    let errors = report.incomplete.len();
    let tests = report.findings.len().max(1) + errors;
    let _ = writeln!(
        xml,
        "  <testsuite name=\"lushaguard\" package=\"lushaguard\" id=\"0\" timestamp=\"{}\" \
         hostname=\"localhost\" tests=\"{tests}\" failures=\"{}\" errors=\"{errors}\" \
         skipped=\"0\" time=\"0\">",
        escape(scan_time(report)),
        report.findings.len(),
    );
    xml.push_str("    <properties>\n");
    property(&mut xml, "lushaguard.version", super::TOOL_VERSION);
    property(&mut xml, "min_confidence", s.min_confidence.as_str());
    property(&mut xml, "files_scanned", &s.files_scanned.to_string());
    property(&mut xml, "unique_secrets", &s.unique_secrets.to_string());
    property(
        &mut xml,
        "suppressed",
        &suppressed_total(report).to_string(),
    );
    property(&mut xml, "excluded", &s.suppressed.excluded.to_string());
    if let Some(h) = &report.head_commit {
        property(&mut xml, "commit", &h.id);
    }
    xml.push_str("    </properties>\n");

    if report.findings.is_empty() {
        let _ = writeln!(
            xml,
            "    <testcase name=\"no Lusha API keys at {} confidence or above\" \
             classname=\"lushaguard\" time=\"0\"/>",
            s.min_confidence
        );
    }
    for f in &report.findings {
        let message = headline(report, f, options);
        let mut body = format!("{}:{}:{}: {message}\n", f.path, f.line, f.column);
        if !f.snippet.is_empty() {
            let _ = writeln!(body, "    | {}", f.snippet);
        }
        for r in &f.reasons {
            let _ = writeln!(body, "    {r}");
        }
        let _ = writeln!(body, "fingerprint: {}", f.secret.fingerprint());
        if f.commit().is_some() {
            let _ = writeln!(body, "commit: {}", commit_sha(report, f));
        }
        if let Some(note) = origin_note(&f.provenance) {
            let _ = writeln!(body, "source: {note}");
        }
        if let Some(v) = &f.verification {
            let _ = writeln!(body, "verification: {} ({})", v.status.as_str(), v.detail);
        }
        if let Some(r) = rule(report, &f.rule_id).filter(|r| !r.remediation.is_empty()) {
            let _ = writeln!(body, "{}", r.remediation);
        }
        let _ = writeln!(
            xml,
            "    <testcase name=\"{} at line {}, column {}\" classname=\"{}\" time=\"0\">",
            escape(&f.rule_id),
            f.line,
            f.column,
            escape(&f.path)
        );
        let _ = writeln!(
            xml,
            "      <failure message=\"{}\" type=\"{}\">{}</failure>",
            escape(&message),
            escape(&f.rule_id),
            escape_text(&body)
        );
        xml.push_str("    </testcase>\n");
    }
    // Each thing not scanned is an error (the test could not run), not a failure.
    for i in &report.incomplete {
        let line = incomplete_line(i);
        let _ = writeln!(
            xml,
            "    <testcase name=\"not scanned: {} {}\" classname=\"lushaguard.incomplete\" time=\"0\">",
            escape(i.kind.as_str()),
            escape(&i.what)
        );
        let _ = writeln!(
            xml,
            "      <error message=\"{}\" type=\"incomplete\">{}</error>",
            escape(&line),
            escape_text(&line)
        );
        xml.push_str("    </testcase>\n");
    }
    xml.push_str("    <system-out/>\n    <system-err/>\n  </testsuite>\n</testsuites>\n");
    out.write_all(xml.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_makes_any_text_well_formed() {
        assert_eq!(
            escape("a<b>&\"c'\u{1}\u{1b}"),
            "a&lt;b&gt;&amp;&quot;c&apos;\u{fffd}\u{fffd}"
        );
        assert_eq!(escape("x\ny\tz"), "x&#10;y&#9;z");
        assert_eq!(escape_text("x\ny\tz\r"), "x\ny\tz&#13;");
    }
}
