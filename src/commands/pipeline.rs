//! The stages every scanning command ends with: findings collected from any source are kept or
//! counted by confidence and suppression (inline marks here, the rest in `crate::suppress`),
//! optionally verified against the Lusha API, sorted into a report, written in the chosen
//! format, and turned into an exit status. `scan`, `git` and the hooks all end here.

use super::{finish_output, warn, Console, ReportFiles, EXIT_CLEAN, EXIT_ERROR};
use crate::cli::FailOn;
use crate::detect::{Confidence, Detector};
use crate::engine::Collected;
use crate::model::{
    ByConfidence, Finding, Incomplete, IncompleteKind, Report, RuleInfo, Summary, VerifyStatus,
};
use crate::report;
use crate::report::printable;
use crate::report::style::Role;
use crate::rules::Rule;
use crate::settings::ReportSettings;
use crate::source::fs::Warning;
use crate::verify;
use anyhow::Result;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

/// Puts findings in the order of every report, without duplicates.
fn sort_findings(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
    findings.dedup_by(|a, b| a.order_key() == b.order_key());
}

/// Counts the findings into a report. They are already sorted and deduplicated: `deliver_to`
/// does that before suppression, and the filters after it keep the order.
fn finish_report(rules: &[Rule], mut c: Collected, min: Confidence) -> Report {
    c.incomplete.sort();
    c.incomplete.dedup();
    let mut by = ByConfidence::default();
    for f in &c.findings {
        match f.confidence {
            Confidence::High => by.high += 1,
            Confidence::Medium => by.medium += 1,
            Confidence::Low => by.low += 1,
        }
    }
    let unique: BTreeSet<_> = c.findings.iter().map(|f| &f.secret).collect();
    let summary = Summary {
        findings: c.findings.len(),
        by_confidence: by,
        unique_secrets: unique.len(),
        below_threshold: c.below_threshold,
        min_confidence: min,
        files_scanned: c.files,
        bytes_scanned: c.bytes,
        commits: c.commits,
        skipped: c.skipped,
        suppressed: c.suppressed,
        verification: None,
        warnings: c.warnings.len(),
        incomplete: c.incomplete.len(),
        shallow: c.shallow,
    };
    let warnings = c
        .warnings
        .iter()
        .map(|w| {
            if w.path.is_empty() {
                w.message.clone()
            } else {
                format!("{}: {}", w.path, w.message)
            }
        })
        .collect();
    Report {
        findings: c.findings,
        summary,
        rules: rules
            .iter()
            .map(|r| RuleInfo {
                id: r.id().to_string(),
                description: r.spec.description.clone(),
                remediation: r.spec.remediation.trim().to_string(),
                long_description: r
                    .spec
                    .long_description
                    .as_deref()
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .unwrap_or(&r.spec.description)
                    .to_string(),
                severity: r.spec.severity,
                tags: r.spec.tags.clone(),
            })
            .collect(),
        head_commit: None,
        incomplete: c.incomplete,
        warnings,
        settings_changes: None,
    }
}

/// Suppresses, verifies (if asked), prints the warnings, writes the reports and returns the
/// exit status. Suppression comes first so that a suppressed key is never sent to the API.
pub fn deliver(
    detector: &Detector,
    collected: Collected,
    min: Confidence,
    settings: &ReportSettings,
) -> Result<u8> {
    deliver_to(detector, collected, min, settings, Console::Stdout)
}

/// `deliver`, with `console` where the report goes when no `--output` file is named (git hooks
/// report on stderr). Report files appear only once every report of the run is written; then a
/// one-line summary goes to stderr, since nothing else would say how the run went.
pub fn deliver_to(
    detector: &Detector,
    mut collected: Collected,
    min: Confidence,
    settings: &ReportSettings,
    console: Console,
) -> Result<u8> {
    // Duplicates first, so that each suppressed finding is counted once.
    sort_findings(&mut collected.findings);
    settings
        .suppress
        .apply(&mut collected.findings, &mut collected.suppressed);
    let policy = &settings.verify;
    let mut verification = None;
    let mut unverified = 0;
    if let Some(vs) = &policy.settings {
        let (summary, warnings) = verify::annotate(&mut collected.findings, detector.rules(), vs);
        collected
            .warnings
            .extend(warnings.into_iter().map(|message| Warning {
                path: String::new(),
                message,
            }));
        if summary.not_verifiable > 0 {
            collected.warnings.push(Warning {
                path: String::new(),
                message: format!(
                    "{} {} found by rules that name no verifier: not sent anywhere, so not \
                     confirmed; {} as live for --only-verified and --fail-on live",
                    summary.not_verifiable,
                    report::plural(summary.not_verifiable, "key", "keys"),
                    report::plural(summary.not_verifiable, "it counts", "they count"),
                ),
            });
        }
        if decides_on_verdict(policy) {
            unverified = note_unverified(&mut collected);
        }
        if policy.only_verified {
            collected
                .findings
                .retain(|f| needs_rotation(f) || is_unverified(f));
        }
        verification = Some(summary);
    }
    collected
        .warnings
        .extend(settings.notes.iter().map(|message| Warning {
            path: String::new(),
            message: message.clone(),
        }));
    collected.warnings.sort();
    // Warnings name paths, archive entries and image tags from the scanned input: printed with
    // their control characters escaped, as the reports for people print them.
    if !settings.quiet {
        for w in &collected.warnings {
            if w.path.is_empty() {
                warn(&printable(&w.message));
            } else {
                warn(&printable(&format!("{}: {}", w.path, w.message)));
            }
        }
        for note in &settings.suppress.notes {
            warn(&printable(note));
        }
    }
    // What was not scanned is said even with --quiet: it changes what the exit status means.
    collected.incomplete.sort();
    collected.incomplete.dedup();
    for i in &collected.incomplete {
        let consequence = match i.kind {
            IncompleteKind::Verification => "no verdict; the result is incomplete",
            _ => "not scanned; the scan is incomplete",
        };
        warn(&printable(&format!(
            "{}: {} ({consequence})",
            i.what, i.reason
        )));
    }
    if unverified > 0 {
        let keys = if unverified == 1 { "key" } else { "keys" };
        warn(&format!(
            "{unverified} {keys} could not be verified: the API gave no verdict, so {} may be \
             live; the run fails (exit status 2) unless a live key fails it first",
            if unverified == 1 { "it" } else { "they" }
        ));
    }
    let mut report = finish_report(detector.rules(), collected, min);
    report.summary.verification = verification;
    report.settings_changes = settings.settings_changes.clone();
    let mut formats =
        std::iter::once(settings.format).chain(settings.extra_outputs.iter().map(|(f, _)| *f));
    if formats.any(report::Format::needs_head) {
        let root = settings.root.as_deref().unwrap_or(Path::new("."));
        report.head_commit = super::head::head_commit(root);
    }
    // Files are never coloured; a stream only in the human format, and only as `--color` says.
    let plain = report::Options {
        color: false,
        own_advice: settings.advice.is_some(),
        ..settings.options
    };
    let mut files = ReportFiles::default();
    for (format, path) in &settings.extra_outputs {
        files.write(path, |out| report::write(&report, *format, plain, out))?;
    }
    match &settings.output {
        Some(path) => files.write(path, |out| {
            report::write(&report, settings.format, plain, out)
        })?,
        None => {
            let options = report::Options {
                color: settings.format == report::Format::Human && console.style().is_on(),
                ..plain
            };
            let written = match console {
                Console::Stdout => {
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    let written = report::write(&report, settings.format, options, &mut out);
                    finish_output(written, &mut out)
                }
                Console::Stderr => {
                    let mut out = std::io::BufWriter::new(std::io::stderr().lock());
                    let written = report::write(&report, settings.format, options, &mut out);
                    finish_output(written, &mut out)
                }
            };
            written?;
        }
    }
    files.commit()?;
    if let (Some(path), false) = (&settings.output, settings.quiet) {
        summary_line(&report, path);
    }
    let failing = if decides_on_verdict(policy) {
        report.findings.iter().any(needs_rotation)
    } else {
        !report.findings.is_empty()
    };
    // Only when the findings do stop the commit or push (`--exit-code 0` lets it through).
    if failing && settings.exit_code != EXIT_CLEAN {
        if let Some(advice) = &settings.advice {
            print_advice(advice);
        }
    }
    Ok(exit_status(
        failing,
        report.is_complete(),
        settings.exit_code,
    ))
}

/// With `--output`, the report is in a file: one line on stderr says how the run went and
/// where the report is. `lushaguard: 3 findings (3 high) of 3 distinct keys; 69 files (211.1
/// KiB) scanned; 1 live key; report in out.sarif`.
fn summary_line(report: &Report, path: &Path) {
    let style = Console::Stderr.style();
    let mut line = report::human::headline(report, style);
    if let Some(v) = report.summary.verification.as_ref().filter(|v| v.live > 0) {
        let live = format!("{} live {}", v.live, report::plural(v.live, "key", "keys"));
        line.push_str(&format!("; {}", style.paint(Role::Live, live)));
    }
    if !report.incomplete.is_empty() {
        let n = report.incomplete.len();
        let what = format!(
            "INCOMPLETE: {n} {} not scanned",
            report::plural(n, "item", "items")
        );
        line.push_str(&format!("; {}", style.paint(Role::Error, what)));
    }
    let _ = writeln!(
        std::io::stderr(),
        "lushaguard: {line}; report in {}",
        path.display()
    );
}

/// A blocked commit's or push's advice, after its report, on stderr: the first line (what
/// happened) stands out on a terminal.
fn print_advice(advice: &str) {
    let style = Console::Stderr.style();
    let (first, rest) = advice.split_once('\n').unwrap_or((advice, ""));
    let mut text = style.paint(Role::Error, first).into_owned();
    if !rest.is_empty() {
        text.push('\n');
        text.push_str(rest);
    }
    let _ = writeln!(std::io::stderr(), "\n{text}");
}

/// Exit 0 only when the scan is complete and clean; findings give `exit_code` (1 by default);
/// an incomplete scan gives 2 unless findings already fail it.
pub fn exit_status(failing: bool, complete: bool, exit_code: u8) -> u8 {
    if failing && exit_code != EXIT_CLEAN {
        exit_code
    } else if !complete {
        EXIT_ERROR
    } else if failing {
        exit_code
    } else {
        EXIT_CLEAN
    }
}

/// Does the API's verdict decide what is reported or what fails the run? Then a key without a
/// verdict cannot be passed over: it might be live.
fn decides_on_verdict(policy: &crate::settings::VerifyPolicy) -> bool {
    policy.settings.is_some() && (policy.only_verified || policy.fail_on == FailOn::Live)
}

/// Records each distinct key the API gave no verdict on as an incomplete item (the run then
/// exits 2 unless a live key makes it 1), named by its redacted form and first place. Returns
/// how many keys that is.
fn note_unverified(c: &mut Collected) -> usize {
    let mut seen = BTreeSet::new();
    let mut items = Vec::new();
    for f in c.findings.iter().filter(|f| is_unverified(f)) {
        if !seen.insert(f.secret.fingerprint()) {
            continue;
        }
        let detail = f.verification.as_ref().map_or("", |v| v.detail.as_str());
        items.push(Incomplete::new(
            IncompleteKind::Verification,
            format!("key {} ({}:{})", f.secret.redacted(), f.path, f.line),
            format!("the Lusha API gave no verdict: {detail}"),
        ));
    }
    let n = items.len();
    c.incomplete.extend(items);
    n
}

/// A key sent to its verifier that came back without a verdict. (A finding of a rule with no
/// verifier has no verification at all: see `needs_rotation`.)
fn is_unverified(f: &Finding) -> bool {
    f.verification
        .as_ref()
        .is_some_and(|v| v.status == VerifyStatus::Unknown)
}

/// A live key, or one that could not be confirmed because its rule names no verifier: with
/// verification on, these are the findings that still demand action.
fn needs_rotation(f: &Finding) -> bool {
    f.verification
        .as_ref()
        .is_none_or(|v| v.status == VerifyStatus::Live)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_zero_means_complete_and_clean() {
        assert_eq!(exit_status(false, true, 1), 0);
        assert_eq!(exit_status(true, true, 1), 1);
        assert_eq!(exit_status(false, false, 1), 2);
        // Findings decide first: the scan failed anyway.
        assert_eq!(exit_status(true, false, 1), 1);
        assert_eq!(exit_status(true, false, 3), 3);
        // `--exit-code 0` silences findings, never an incomplete scan.
        assert_eq!(exit_status(true, false, 0), 2);
        assert_eq!(exit_status(true, true, 0), 0);
    }
}
