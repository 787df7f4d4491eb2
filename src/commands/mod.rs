//! One module per subcommand. Commands are the only code that knows every stage: they build the
//! settings, run sources through the detector, filter and sort the findings and pick a writer.

pub mod git;
pub mod head;
pub mod hook;
pub mod pipeline;
pub mod progress;
pub mod rules;
pub mod scan;
pub mod verify;

use crate::cli::{Cli, Command};
use anyhow::Result;
use clap::Parser;
use std::ffi::OsString;
use std::io::{self, Write};

/// Exit statuses.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// A usage error, already reduced to one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Parses `args` and runs the command; returns the exit status.
pub fn run<I, T>(args: I) -> Result<u8>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                e.print()?;
                return Ok(EXIT_CLEAN);
            }
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                e.print()?;
                return Ok(EXIT_ERROR);
            }
            return Err(UsageError(one_line(&e.render().to_string())).into());
        }
    };
    match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Git(args) => git::run(&args),
        Command::Hook { command } => hook::run(&command),
        Command::Rules { command } => rules::run(&command),
    }
}

/// clap's multi-line message as one line: the error and the possible values, no tips.
fn one_line(rendered: &str) -> String {
    let mut parts = Vec::new();
    for line in rendered.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("tip:") || line.starts_with("For more information") {
            continue;
        }
        if line.starts_with("Usage:") {
            break;
        }
        parts.push(line.strip_prefix("error: ").unwrap_or(line).to_string());
    }
    parts.join(" ")
}

/// Writes a warning line to stderr.
pub fn warn(message: &str) {
    let _ = writeln!(io::stderr(), "lushaguard: warning: {message}");
}

/// Opens the report destination: a file, or standard output.
pub fn open_output(path: Option<&std::path::Path>) -> Result<Box<dyn Write>> {
    use anyhow::Context;
    Ok(match path {
        Some(p) => Box::new(io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(io::BufWriter::new(io::stdout().lock())),
    })
}

/// Finishes writing a report; a closed pipe (`| head`) is not an error.
pub fn finish_output(result: io::Result<()>, out: &mut dyn Write) -> Result<()> {
    match result.and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_errors_become_one_line() {
        let rendered = "error: invalid value 'x' for '--min-confidence <LEVEL>': `x` is not a confidence (low, medium, high)\n\nFor more information, try '--help'.\n";
        assert_eq!(
            one_line(rendered),
            "invalid value 'x' for '--min-confidence <LEVEL>': `x` is not a confidence (low, medium, high)"
        );
        let rendered = "error: unexpected argument '--bogus' found\n\n  tip: to pass '--bogus' as a value, use '-- --bogus'\n\nUsage: lushaguard scan [OPTIONS] [PATH]...\n\nFor more information, try '--help'.\n";
        assert_eq!(one_line(rendered), "unexpected argument '--bogus' found");
    }
}
