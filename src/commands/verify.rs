//! `lushaguard verify [KEY]...`: checks keys directly (from the arguments, or one per line on
//! stdin) and prints one status per key, redacted, with a live key's plan and credits. Exit
//! status 1 when a key is live; otherwise 2 when an input is not a UUID v4 (nothing is sent for
//! it) or the API gave no verdict on a key (it may be live); 0 when every key was answered and
//! none is live. With no keys and a terminal for stdin it prints its usage instead of waiting
//! for keys nobody is going to pipe in.

use super::{warn, Console, EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS};
use crate::cli::VerifyCommandArgs;
use crate::model::VerifyStatus;
use crate::report::human::account_text;
use crate::report::style::Role;
use crate::secret::Secret;
use crate::settings;
use crate::verify;
use anyhow::{Context, Result};
use serde::Serialize;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Serialize)]
struct Line<'a> {
    redacted: String,
    fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<&'a str>,
    #[serde(flatten)]
    result: &'a crate::model::Verification,
}

/// Keys as canonical secrets; inputs that are not UUID v4s are reported by position.
fn parse_keys(inputs: &[String]) -> (Vec<Secret>, Vec<usize>) {
    let mut keys = Vec::new();
    let mut bad = Vec::new();
    for (i, raw) in inputs.iter().enumerate() {
        let t = raw.trim();
        match uuid::Uuid::try_parse(t) {
            Ok(u)
                if t.len() == 36
                    && u.get_version_num() == 4
                    && u.get_variant() == uuid::Variant::RFC4122 =>
            {
                keys.push(Secret::new(u.hyphenated().to_string()))
            }
            _ => bad.push(i + 1),
        }
    }
    (keys, bad)
}

pub fn run(args: &VerifyCommandArgs) -> Result<u8> {
    if args.keys.is_empty() && std::io::stdin().is_terminal() {
        let mut help = <crate::cli::Cli as clap::CommandFactory>::command();
        // Built, so that the usage names the command as `lushaguard verify`.
        help.build();
        let usage = help
            .find_subcommand_mut("verify")
            .map(|c| c.render_usage().to_string())
            .unwrap_or_default();
        let _ = writeln!(
            std::io::stderr(),
            "{usage}\n\nGive the keys as arguments, or pipe them in one per line \
             (`lushaguard verify < keys.txt`). `lushaguard verify --help` says more."
        );
        return Ok(EXIT_ERROR);
    }
    let inputs: Vec<String> = if args.keys.is_empty() {
        std::io::stdin()
            .lock()
            .lines()
            .collect::<std::io::Result<Vec<_>>>()
            .context("cannot read keys from standard input")?
            .into_iter()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
            .collect()
    } else {
        args.keys.clone()
    };
    let (keys, bad) = parse_keys(&inputs);
    for n in &bad {
        warn(&format!(
            "input {n} is not a UUID v4, so not a Lusha key; not sent"
        ));
    }
    let vs = settings::verify_command(&args.client)?;
    let refs: Vec<&Secret> = keys.iter().collect();
    let (results, warnings) = verify::verify_all(&refs, &vs);
    for w in warnings {
        warn(&w);
    }

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut lines = Vec::new();
    let mut any_live = false;
    let mut unverified = 0usize;
    for key in &keys {
        let Some(result) = results.get(&key.fingerprint()) else {
            continue;
        };
        any_live |= result.status == VerifyStatus::Live;
        unverified += usize::from(result.status == VerifyStatus::Unknown);
        lines.push(Line {
            redacted: key.redacted(),
            fingerprint: key.fingerprint(),
            secret: args.no_redact.then(|| key.expose()),
            result,
        });
    }
    let written = if args.json {
        serde_json::to_writer_pretty(&mut out, &lines)
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out))
    } else {
        let style = Console::Stdout.style();
        lines.iter().try_for_each(|l| {
            let shown = l.secret.map_or_else(|| l.redacted.clone(), str::to_string);
            let http = l
                .result
                .http_status
                .map_or_else(|| "-".to_string(), |s| s.to_string());
            let role = match l.result.status {
                VerifyStatus::Live => Role::Live,
                VerifyStatus::Restricted => Role::High,
                VerifyStatus::Unknown => Role::Medium,
                VerifyStatus::Invalid => Role::Dim,
            };
            // Padded before painting, so the columns line up either way.
            let status = format!("{:<10}", l.result.status.as_str());
            let status = style.paint(role, status);
            let account = l
                .result
                .account
                .as_ref()
                .and_then(account_text)
                .map(|a| format!(" ({a})"))
                .unwrap_or_default();
            writeln!(
                out,
                "{shown}  {status} {http:>3}  {}{account}",
                l.result.detail
            )
        })
    };
    super::finish_output(written, &mut out)?;
    if unverified > 0 {
        let n = keys.len();
        warn(&format!(
            "{unverified} of {n} {} could not be verified: no verdict is not \"not live\"",
            crate::report::plural(n, "key", "keys")
        ));
    }
    Ok(if any_live {
        EXIT_FINDINGS
    } else if !bad.is_empty() || unverified > 0 {
        EXIT_ERROR
    } else {
        EXIT_CLEAN
    })
}
