//! Every writer, in isolation, on hand-built reports that hold every kind of provenance (file,
//! stdin, staged, commit, nested archive, image layer and config, remote) and every verification
//! state (live, invalid, restricted, rate-limited, unknown, not verified): the place each finding
//! came from appears, no key appears unless revealed, and the formats with a published schema
//! validate against it. The formats are taken from the `Format` enum, so a new one is covered.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use clap::ValueEnum;
use common::schema::{json_errors, validate_junit};
use lushaguard::detect::{Confidence, Reason, ReasonKind};
use lushaguard::model::{
    Account, ByConfidence, CommitInfo, Finding, HeadCommit, Incomplete, IncompleteKind, Provenance,
    Report, RuleInfo, Skipped, Summary, Suppressed, Verification, VerificationSummary,
    VerifyStatus,
};
use lushaguard::report::{write, Format, Options};
use lushaguard::rules::Severity;
use lushaguard::secret::Secret;
use serde_json::Value;

/// The test keys, one per finding.
const KEYS: [&str; 8] = [
    "d330497a-d1f3-4280-b1a7-5812bf3be7af", // lushaguard:allow (test key)
    "2c121abe-edad-4a98-bc3c-28bfb2ab2ef9", // lushaguard:allow (test key)
    "fd299b50-d41d-4663-bc74-b9e40522517b", // lushaguard:allow (test key)
    "e126d019-5f6d-4b0e-9354-31c22b2950d8", // lushaguard:allow (test key)
    "4b9cdde5-16dc-4b73-9eac-bce30a5ff768", // lushaguard:allow (test key)
    "b7c7ca43-6cf7-4386-b474-181793572dd0", // lushaguard:allow (test key)
    "55b5030b-afc5-4250-99cb-cafc09f8a1d6", // lushaguard:allow (test key)
    "fd86568e-c0d0-4f9b-ac0e-1bbc407b49fa", // lushaguard:allow (test key)
];

const NESTED_PATH: &str = "release.tar.gz!dist/service.jar!BOOT-INF/classes/application.properties";
const LAYER: &str = "sha256:3f4a1c9e0b2d7a8c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d";

fn commit() -> CommitInfo {
    CommitInfo {
        id: "0123456789abcdef0123456789abcdef01234567".into(),
        author: "Ada Lovelace".into(),
        email: "ada@example.com".into(),
        date: "2024-03-01T12:00:00+01:00".into(),
        summary: "Add the sync worker".into(),
    }
}

fn file(path: &str) -> Box<Provenance> {
    Box::new(Provenance::File { path: path.into() })
}

/// One of each kind of provenance.
fn provenances() -> Vec<Provenance> {
    vec![
        Provenance::File {
            path: "config/.env".into(),
        },
        Provenance::Stdin,
        Provenance::Staged {
            path: "deploy/values.yaml".into(),
        },
        Provenance::Commit {
            commit: Some(commit()),
            path: "src/settings.py".into(),
            present_in_head: Some(false),
        },
        Provenance::Archive {
            outer: Box::new(Provenance::Archive {
                outer: file("release.tar.gz"),
                inner: "dist/service.jar".into(),
            }),
            inner: "BOOT-INF/classes/application.properties".into(),
        },
        Provenance::Image {
            image: "app.tar".into(),
            layer: Some(LAYER.into()),
            path: "etc/app/.env".into(),
            deleted: true,
        },
        Provenance::Image {
            image: "app.tar".into(),
            layer: None,
            path: "config.Env".into(),
            deleted: false,
        },
        Provenance::Remote {
            url: "https://git.example.com/acme/sync.git".into(),
            inner: Box::new(Provenance::Commit {
                commit: Some(commit()),
                path: "app/.env".into(),
                present_in_head: Some(true),
            }),
        },
    ]
}

/// Every verification state a finding can be in; `None` is "not verified".
fn verifications() -> Vec<Option<Verification>> {
    let v = |status, http_status, detail: &str, account| {
        Some(Verification {
            status,
            http_status,
            detail: detail.into(),
            account,
        })
    };
    vec![
        v(
            VerifyStatus::Live,
            Some(200),
            "the key works: rotate it now",
            Some(Account {
                plan: Some("Pro".into()),
                credits_total: Some(1000),
                credits_used: Some(188),
                credits_remaining: Some(812),
            }),
        ),
        v(
            VerifyStatus::Invalid,
            Some(401),
            "the key is invalid or revoked",
            None,
        ),
        v(
            VerifyStatus::Restricted,
            Some(403),
            "the key is known but the account is blocked",
            None,
        ),
        v(
            VerifyStatus::Unknown,
            Some(429),
            "rate-limited: no verdict",
            None,
        ),
        v(VerifyStatus::Unknown, None, "timed out: no verdict", None),
        None,
    ]
}

fn report() -> Report {
    let verifications = verifications();
    let findings: Vec<Finding> = provenances()
        .into_iter()
        .zip(KEYS)
        .enumerate()
        .map(|(i, (provenance, key))| {
            let path = provenance.display_path().into_owned();
            let secret = Secret::new(key.to_string());
            Finding {
                rule_id: "lusha-api-key".into(),
                sort_key: path.as_bytes().to_vec(),
                line: 3 + i as u64,
                column: 15,
                end_column: 51,
                confidence: Confidence::High,
                score: 105,
                reasons: vec![Reason {
                    kind: ReasonKind::Name,
                    weight: 70,
                    text: "the value of `LUSHA_API_KEY`".into(),
                    line: Some(3 + i as u64),
                }],
                encoding: None,
                snippet: format!("LUSHA_API_KEY={}", secret.redacted()),
                secret,
                provenance,
                path,
                verification: verifications[i % verifications.len()].clone(),
            }
        })
        .collect();
    let n = findings.len();
    Report {
        summary: Summary {
            findings: n,
            by_confidence: ByConfidence {
                high: n,
                medium: 0,
                low: 0,
            },
            unique_secrets: n,
            below_threshold: 0,
            min_confidence: Confidence::Medium,
            files_scanned: 12,
            bytes_scanned: 34_567,
            commits: Some(3),
            skipped: Skipped::default(),
            suppressed: Suppressed::default(),
            verification: Some(VerificationSummary {
                live: 2,
                restricted: 1,
                unknown: 3,
                invalid: 1,
                not_verifiable: 1,
            }),
            warnings: 0,
            incomplete: 0,
            shallow: false,
        },
        findings,
        rules: vec![RuleInfo {
            id: "lusha-api-key".into(),
            description: "Lusha API key".into(),
            remediation: "Rotate the key in the Lusha dashboard.".into(),
            long_description: "A Lusha API key.".into(),
            severity: Severity::Critical,
            tags: vec!["secret".into()],
        }],
        head_commit: Some(HeadCommit {
            id: "89abcdef0123456789abcdef0123456789abcdef".into(),
            time: "2024-03-02T08:00:00".into(),
        }),
        incomplete: Vec::new(),
        warnings: Vec::new(),
        settings_changes: None,
    }
}

fn render(report: &Report, format: Format, options: Options) -> String {
    let mut out = Vec::new();
    write(report, format, options, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// `%3A` → `:`: undoes the percent-encoding of SARIF URIs and GitHub annotation properties.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The text of a report with its format's escaping undone, so that paths can be looked for.
fn plain(format: Format, text: &str) -> String {
    match format {
        Format::Sarif | Format::Github => percent_decode(text),
        Format::Junit => text
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
        Format::Markdown => text.replace('\\', ""),
        _ => text.to_string(),
    }
}

#[test]
fn the_displayed_paths_name_nested_and_image_places() {
    let shown: Vec<String> = provenances()
        .iter()
        .map(|p| p.display_path().into_owned())
        .collect();
    assert_eq!(
        shown,
        [
            "config/.env",
            "<stdin>",
            "deploy/values.yaml",
            "src/settings.py",
            NESTED_PATH,
            "app.tar!3f4a1c9e0b2d!etc/app/.env",
            "app.tar!config.Env",
            "app/.env",
        ]
    );
}

#[test]
fn every_format_names_where_each_finding_came_from_and_hides_every_key() {
    let report = report();
    for &format in Format::value_variants() {
        let text = render(&report, format, Options::default());
        for key in KEYS {
            assert!(!text.contains(key), "{format:?} shows a key unredacted");
        }
        let text = plain(format, &text);
        for f in &report.findings {
            assert!(
                text.contains(&f.path),
                "{format:?} does not name {}:\n{text}",
                f.path
            );
        }
        assert!(text.contains(NESTED_PATH), "{format:?}");
    }
}

#[test]
fn the_formats_for_people_say_what_a_path_cannot() {
    let report = report();
    let human_ish = [
        Format::Human,
        Format::Markdown,
        Format::Junit,
        Format::Github,
        Format::Sarif,
    ];
    for format in human_ish {
        let text = plain(format, &render(&report, format, Options::default()));
        for needle in [
            "in image app.tar, layer sha256:3f4a1c9e0b2d",
            "a later layer deletes it",
            "config field config.Env",
            "in remote repository https://git.example.com/acme/sync.git",
        ] {
            assert!(
                text.contains(needle),
                "{format:?} lacks {needle:?}:\n{text}"
            );
        }
    }
    let human = render(&report, Format::Human, Options::default());
    assert!(
        human.contains("commit 0123456789ab by Ada Lovelace"),
        "{human}"
    );
    assert!(human.contains("no longer in HEAD"), "{human}");
    for status in ["live", "invalid", "restricted", "unknown"] {
        assert!(human.contains(status), "human lacks {status}");
    }
}

#[test]
fn json_keeps_its_fields_and_adds_the_provenance() {
    let report = report();
    for format in [Format::Json, Format::Jsonl] {
        let text = render(&report, format, Options::default());
        let findings: Vec<Value> = match format {
            Format::Json => serde_json::from_str::<Value>(&text).unwrap()["findings"]
                .as_array()
                .unwrap()
                .clone(),
            _ => text
                .lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .filter(|v| v.get("rule_id").is_some())
                .collect(),
        };
        assert_eq!(findings.len(), report.findings.len(), "{format:?}");
        let kinds: Vec<&str> = findings
            .iter()
            .map(|f| f["provenance"]["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            ["file", "stdin", "staged", "commit", "archive", "image", "image", "remote"],
            "{format:?}"
        );
        // The old fields still answer for history, through any wrapper.
        let remote = &findings[7];
        assert_eq!(remote["commit"]["id"], commit().id);
        assert_eq!(remote["present_in_head"], true);
        assert_eq!(remote["provenance"]["inner"]["kind"], "commit");
        assert_eq!(findings[3]["present_in_head"], false);
        assert!(findings[0]["commit"].is_null());
        let nested = &findings[4]["provenance"];
        assert_eq!(nested["inner"], "BOOT-INF/classes/application.properties");
        assert_eq!(nested["outer"]["inner"], "dist/service.jar");
        assert_eq!(nested["outer"]["outer"]["path"], "release.tar.gz");
        assert_eq!(findings[5]["provenance"]["deleted"], true);
        assert!(findings[6]["provenance"]["layer"].is_null());
        let statuses: Vec<&Value> = findings.iter().map(|f| &f["verification"]).collect();
        assert_eq!(statuses[0]["status"], "live");
        assert_eq!(statuses[0]["account"]["credits_remaining"], 812);
        assert_eq!(statuses[1]["status"], "invalid");
        assert_eq!(statuses[2]["status"], "restricted");
        assert_eq!(statuses[3]["http_status"], 429);
        assert_eq!(statuses[4]["status"], "unknown");
        assert!(statuses[5].is_null());
    }
}

#[test]
fn keys_are_shown_only_when_asked() {
    let report = report();
    let reveal = Options {
        reveal: true,
        ..Options::default()
    };
    for format in [Format::Json, Format::Jsonl, Format::Human, Format::Csv] {
        let text = render(&report, format, reveal);
        for key in KEYS {
            assert!(text.contains(key), "{format:?} --no-redact hides {key}");
        }
    }
}

#[test]
fn sarif_and_gitlab_reports_of_every_kind_validate() {
    let report = report();
    for (format, schema) in [
        (Format::Sarif, "sarif-2.1.0.json"),
        (Format::Gitlab, "gitlab-secret-detection-report.json"),
    ] {
        let doc: Value =
            serde_json::from_str(&render(&report, format, Options::default())).unwrap();
        let errors = json_errors(schema, &doc);
        assert!(errors.is_empty(), "{format:?}:\n{}", errors.join("\n"));
    }
    let sarif: Value =
        serde_json::from_str(&render(&report, Format::Sarif, Options::default())).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results[4]["properties"]["provenance"]["kind"], "archive");
    // Findings are identified by key, whatever their provenance.
    assert_eq!(
        results[0]["partialFingerprints"]["lushaguard/v1"],
        lushaguard::secret::fingerprint_of(KEYS[0])
    );
}

#[test]
fn junit_reports_of_every_kind_validate() {
    validate_junit(&render(&report(), Format::Junit, Options::default()));
}

/// An archive entry named to retitle and clear the terminal (`ESC ] 0 ; … BEL`, `ESC [ 2 J`).
const HOSTILE_ENTRY: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2Jx.txt";

/// `report()` with control characters everywhere the scanned input can put them: an archive
/// entry name, an image tag (with a C1 CSI and a DEL), a line, a commit, a not-scanned path.
fn hostile_report() -> Report {
    let mut report = report();
    let hostile = [
        Provenance::Archive {
            outer: file("bundle.zip"),
            inner: HOSTILE_ENTRY.into(),
        },
        Provenance::Image {
            image: "evil\u{9b}2J:\u{7f}latest".into(),
            layer: Some(LAYER.into()),
            path: "etc/\u{1b}[1Ahidden.env".into(),
            deleted: false,
        },
        Provenance::Commit {
            commit: Some(CommitInfo {
                author: "Eve\u{1b}[31m".into(),
                summary: "fix\rforged: nothing found".into(),
                ..commit()
            }),
            path: "line\nbreak.env".into(),
            present_in_head: Some(true),
        },
    ];
    for (f, provenance) in report.findings.iter_mut().zip(hostile) {
        f.path = provenance.display_path().into_owned();
        f.provenance = provenance;
        f.snippet = format!("KEY=\u{1b}[8m{}", f.secret.redacted());
    }
    report.incomplete = vec![Incomplete::new(
        IncompleteKind::File,
        format!("bundle.zip!{HOSTILE_ENTRY}"),
        "cannot read \u{1b}[2J",
    )];
    report.summary.incomplete = 1;
    report
}

#[test]
fn control_characters_in_names_never_reach_a_terminal_raw() {
    let report = hostile_report();
    for format in Format::value_variants() {
        let painted = Options {
            color: true,
            explain: true,
            ..Options::default()
        };
        for options in [Options::default(), painted] {
            let text = render(&report, *format, options);
            match format {
                // For people: nothing but line breaks and tabs (and the colours asked for).
                Format::Human | Format::Markdown | Format::Github => {
                    let shown = if options.color {
                        strip_colours(&text)
                    } else {
                        text.clone()
                    };
                    let raw: Vec<char> = shown
                        .chars()
                        .filter(|&c| c.is_control() && c != '\n' && c != '\t')
                        .collect();
                    assert!(raw.is_empty(), "{format:?}: raw {raw:?} in\n{text}");
                    assert!(
                        text.contains("\\x1b]0;pwned\\x07\\x1b[2Jx.txt")
                            || text.contains("\\x1b\\]0;pwned\\x07\\x1b\\[2Jx.txt"),
                        "{format:?}: the entry is not named, escaped:\n{text}"
                    );
                }
                // Machine formats: their encoders escape; the document still parses.
                Format::Json | Format::Sarif | Format::Gitlab => {
                    let doc: Value = serde_json::from_str(&text).unwrap();
                    assert!(doc.to_string().contains("pwned"), "{format:?}");
                }
                Format::Jsonl => {
                    for line in text.lines() {
                        serde_json::from_str::<Value>(line).unwrap();
                    }
                }
                Format::Junit => validate_junit(&text),
                Format::Csv => {
                    // RFC 4180: the path with a line break in it is one quoted field.
                    assert!(text.contains("\"line\nbreak.env\""), "{text}");
                    assert_eq!(text.matches("\r\n").count(), 1 + report.findings.len());
                }
            }
        }
    }
}

/// `text` without the SGR colour sequences the human report paints with.
fn strip_colours(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("\u{1b}[") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 2..];
        let end = tail.find('m').map_or(tail.len(), |e| e + 1);
        assert!(
            tail[..end.saturating_sub(1)]
                .chars()
                .all(|c| c.is_ascii_digit() || c == ';'),
            "not a colour: {:?}",
            &tail[..end]
        );
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}
