//! What several writers say the same way: the key as shown (redacted unless `--no-redact`), the
//! one-line headline of a finding, the rule behind it, the commit and time a report names. Kept
//! here so that every format words a finding alike and none can show more of a key than another.
//! Also `printable`: what the scanned tree names (paths, archive entries, image tags, lines) as
//! it may reach a terminal.

use super::Options;
use crate::detect::Encoding;
use crate::model::{Finding, Incomplete, Provenance, Report, RuleInfo, VerificationSummary};
use std::borrow::Cow;

/// The project's home page, for formats that link to the tool.
pub const TOOL_URI: &str = env!("CARGO_PKG_REPOSITORY");

/// The commit id named when a scan is not in a git repository.
pub const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// The scan time named when no commit date is known. Reports never use the clock, so that the
/// same input gives the same report byte for byte.
pub const EPOCH: &str = "1970-01-01T00:00:00";

/// The key as the report may show it: redacted unless `--no-redact`.
pub fn key_text(f: &Finding, options: Options) -> String {
    if options.reveal {
        f.secret.expose().to_string()
    } else {
        f.secret.redacted()
    }
}

pub fn rule<'a>(report: &'a Report, id: &str) -> Option<&'a RuleInfo> {
    report.rules.iter().find(|r| r.id == id)
}

/// What the finding is, in words: the rule's description, or its id.
pub fn what<'a>(report: &'a Report, f: &'a Finding) -> &'a str {
    rule(report, &f.rule_id)
        .map(|r| r.description.as_str())
        .filter(|d| !d.is_empty())
        .unwrap_or(&f.rule_id)
}

/// The first 12 digits of a commit id.
pub fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// `Lusha API key 0bd6****-…-b3d3 (high confidence, base64-encoded)`: one line, no newline.
pub fn headline(report: &Report, f: &Finding, options: Options) -> String {
    let mut tags = vec![format!("{} confidence", f.confidence)];
    if let Some(e) = f.encoding {
        tags.push(
            match e {
                Encoding::Base64 => "base64-encoded",
                Encoding::Utf16Le | Encoding::Utf16Be => "in a UTF-16 file",
                Encoding::Utf32Le | Encoding::Utf32Be => "in a UTF-32 file",
                Encoding::Url => "URL-encoded",
                Encoding::Escape => "written with escapes",
                Encoding::Wide => "wide text among binary data",
            }
            .to_string(),
        );
    }
    if let Some(v) = &f.verification {
        tags.push(format!("verification: {}", v.status.as_str()));
    }
    if let Some(c) = f.commit() {
        tags.push(format!("commit {}", short_id(&c.id)));
    }
    if f.present_in_head() == Some(false) {
        tags.push("no longer in HEAD".to_string());
    }
    if let Some(note) = origin_note(&f.provenance) {
        tags.push(note);
    }
    format!(
        "{} {} ({})",
        what(report, f),
        key_text(f, options),
        tags.join(", ")
    )
}

/// Where a finding's blob came from, in words, when its path alone does not say: an image layer
/// or config, a file a later layer deletes, a remote repository. `None` for files, standard
/// input, the index and history (the commit has lines of its own), and for archive entries,
/// whose `!` path says it (unless the archive itself came from an image or a remote).
pub fn origin_note(p: &Provenance) -> Option<String> {
    match p {
        Provenance::File { .. }
        | Provenance::Stdin
        | Provenance::Staged { .. }
        | Provenance::Commit { .. } => None,
        Provenance::Archive { outer, .. } => origin_note(outer),
        Provenance::Image {
            image,
            layer,
            path,
            deleted,
        } => Some(match (layer, deleted) {
            (Some(layer), false) => format!("in image {image}, layer {layer}"),
            (Some(layer), true) => format!(
                "in image {image}, layer {layer}; a later layer deletes it, but the image still \
                 ships it"
            ),
            (None, _) => format!("in image {image}, config field {path}"),
        }),
        Provenance::Remote { url, inner } => Some(match origin_note(inner) {
            Some(note) => format!("in remote repository {url}; {note}"),
            None => format!("in remote repository {url}"),
        }),
    }
}

/// The commit a finding is attributed to: its own (history scans), else the scanned tree's HEAD,
/// else `ZERO_SHA`.
pub fn commit_sha<'a>(report: &'a Report, f: &'a Finding) -> &'a str {
    f.commit()
        .map(|c| c.id.as_str())
        .or(report.head_commit.as_ref().map(|h| h.id.as_str()))
        .unwrap_or(ZERO_SHA)
}

/// The time a report says the scan ran: the HEAD commit's date, else `EPOCH`.
pub fn scan_time(report: &Report) -> &str {
    report
        .head_commit
        .as_ref()
        .map(|h| h.time.as_str())
        .unwrap_or(EPOCH)
}

/// The remediation texts of the rules that have findings, as (description, remediation).
pub fn remediations(report: &Report) -> Vec<(&str, &str)> {
    report
        .rules
        .iter()
        .filter(|r| !r.remediation.is_empty())
        .filter(|r| report.findings.iter().any(|f| f.rule_id == r.id))
        .map(|r| (r.description.as_str(), r.remediation.as_str()))
        .collect()
}

/// `Verified 2 distinct keys against the Lusha API: 1 live, 0 restricted, 1 invalid, 0 unknown.`
/// Keys, not findings: one key in three files is one answer from the API.
pub fn verification_sentence(v: &VerificationSummary) -> String {
    let keys = v.live + v.restricted + v.invalid + v.unknown;
    format!(
        "Verified {keys} distinct {} against the Lusha API: {} live, {} restricted, {} invalid, \
         {} unknown.",
        plural(keys, "key", "keys"),
        v.live,
        v.restricted,
        v.invalid,
        v.unknown
    )
}

/// `one` or `many` by `n`: "1 rule", "2 rules", "0 rules".
pub fn plural<'a, N: PartialEq + From<u8>>(n: N, one: &'a str, many: &'a str) -> &'a str {
    if n == N::from(1) {
        one
    } else {
        many
    }
}

/// The total of every kind of suppression.
pub fn suppressed_total(report: &Report) -> usize {
    let s = &report.summary.suppressed;
    s.baseline + s.ignore_file + s.inline + s.config
}

/// What was suppressed and left out, as the sentences the reports for people print (none when
/// nothing was): `3 suppressed (0 baseline, …).` and `2 paths left out by exclude.`
pub fn suppression_sentences(report: &Report) -> Vec<String> {
    let hidden = &report.summary.suppressed;
    let mut out = Vec::new();
    let total = suppressed_total(report);
    if total > 0 {
        out.push(format!(
            "{total} suppressed ({} baseline, {} ignore file, {} inline, {} config).",
            hidden.baseline, hidden.ignore_file, hidden.inline, hidden.config
        ));
    }
    if hidden.excluded > 0 {
        out.push(format!(
            "{} {} left out by exclude.",
            hidden.excluded,
            plural(hidden.excluded, "path", "paths")
        ));
    }
    out
}

/// The most not-scanned items a report for people lists; the JSON report lists all of them.
pub const MAX_INCOMPLETE_SHOWN: usize = 100;

/// `file secrets/.env: cannot read: Permission denied`: one not-scanned item in words.
pub fn incomplete_line(i: &Incomplete) -> String {
    format!("{} {}: {}", i.kind.as_str(), i.what, i.reason)
}

/// The sentence that opens the list of what was not scanned, or `None` for a complete scan.
pub fn incomplete_headline(report: &Report) -> Option<String> {
    let n = report.incomplete.len();
    (n > 0).then(|| {
        format!(
            "INCOMPLETE: {n} {} could not be scanned, so finding nothing there proves nothing \
             (exit status 2 unless there are findings):",
            plural(n, "item", "items")
        )
    })
}

/// The items a report for people lists, and how many more the JSON report holds.
pub fn incomplete_shown(report: &Report) -> (&[Incomplete], usize) {
    let shown = report.incomplete.len().min(MAX_INCOMPLETE_SHOWN);
    (&report.incomplete[..shown], report.incomplete.len() - shown)
}

/// `s` as it may be shown to people on a terminal or in a CI log: every control character (C0,
/// DEL, C1; `char::is_control`) but the tab, and every bidirectional formatting character,
/// written as an escape (`\x1b`, `\n`, `\u{9b}`, `\u{202e}`). Paths, archive entry names,
/// image tags and lines come from the scanned tree, which is untrusted: a raw `ESC ]` or `ESC [`
/// in one would retitle or clear the terminal, move the cursor, or forge lines in a log, and a
/// right-to-left override would show a line or a name in an order other than its bytes' (the
/// "Trojan Source" trick). Borrowed when there is nothing to escape (nearly always).
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_printable(&mut out, c);
    }
    Cow::Owned(out)
}

/// Whether `printable` writes `c` as an escape.
pub fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t') || is_bidi_control(c)
}

/// The characters that change the direction text is shown in (Unicode's `Bidi_Control`).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Appends `c` to `out`, escaped as `printable` does.
pub fn push_printable(out: &mut String, c: char) {
    use std::fmt::Write as _;
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if needs_escape(c) && (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if needs_escape(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidirectional_overrides_are_never_printed_raw() {
        // Shown raw, the override would display the rest of the name reversed (`vne.txt`);
        // escaped, it reads in the order of its bytes.
        assert_eq!(
            printable("app/\u{202e}txt.env\u{2066}x\u{200f}"),
            "app/\\u{202e}txt.env\\u{2066}x\\u{200f}"
        );
        // Right-to-left letters themselves are text, shown as they are.
        assert_eq!(printable("שלום/مرحبا.txt"), "שלום/مرحبا.txt");
    }

    #[test]
    fn control_characters_are_never_printed_raw() {
        assert_eq!(
            printable("\u{1b}]0;pwned\u{7}\u{1b}[2Jx.txt"),
            "\\x1b]0;pwned\\x07\\x1b[2Jx.txt"
        );
        assert_eq!(printable("a\nb\rc\u{7f}\u{9b}d"), "a\\nb\\rc\\x7f\\u{9b}d");
        assert_eq!(printable("tab\there/é"), "tab\there/é");
        assert!(matches!(printable("plain/path.env"), Cow::Borrowed(_)));
    }
}
