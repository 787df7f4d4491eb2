//! One module per subcommand. Commands are the only code that knows every stage: they build the
//! settings, run sources through the detector, filter and sort the findings and pick a writer.
//! This module also owns what every command prints besides its report: warnings, errors, and
//! whether a stream is coloured (`--color`, `NO_COLOR`, `CLICOLOR_FORCE`, a terminal or not).

pub mod completions;
pub mod git;
pub mod head;
pub mod hook;
pub mod man;
pub mod pipeline;
pub mod rules;
pub mod scan;
pub mod verify;

use crate::cli::{Cli, ColorWhen, Command};
use crate::report::style::{Role, Style};
use anyhow::Context;
use anyhow::Result;
use clap::{CommandFactory, FromArgMatches};
use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Exit statuses.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

/// A usage error, already reduced to one line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// `--color` of this run; `auto` until `run` has parsed the arguments.
static COLOR: OnceLock<ColorWhen> = OnceLock::new();

/// The standard streams a command writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Console {
    Stdout,
    Stderr,
}

impl Console {
    fn is_terminal(self) -> bool {
        match self {
            Console::Stdout => io::stdout().is_terminal(),
            Console::Stderr => io::stderr().is_terminal(),
        }
    }

    /// The style of text written to this stream in this run.
    pub fn style(self) -> Style {
        Style::new(wants_color(
            COLOR.get().copied().unwrap_or_default(),
            self.is_terminal(),
        ))
    }
}

/// Whether to colour a stream: `--color always` and `never` decide alone (a flag outranks the
/// environment); `auto` colours a terminal whose `TERM` is not `dumb`, unless `NO_COLOR` is set
/// (non-empty) or `CLICOLOR=0`, and `CLICOLOR_FORCE` (non-empty) colours even a pipe. `NO_COLOR`
/// wins over `CLICOLOR_FORCE`, as in clap and cargo.
pub fn wants_color(when: ColorWhen, is_terminal: bool) -> bool {
    match when {
        ColorWhen::Always => enable_ansi(),
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            if anstyle_query::no_color() {
                false
            } else if anstyle_query::clicolor_force() {
                enable_ansi()
            } else if anstyle_query::clicolor() == Some(false) {
                false
            } else {
                is_terminal && anstyle_query::term_supports_ansi_color() && enable_ansi()
            }
        }
    }
}

/// A Windows console shows escape sequences only once asked to; elsewhere they just work.
fn enable_ansi() -> bool {
    #[cfg(windows)]
    {
        // A console that refuses still gets escapes when forced: a pipe or a modern terminal
        // reads them fine.
        let _ = anstyle_query::windows::enable_ansi_colors();
    }
    true
}

/// `--color WHEN` (or `--color=WHEN`) among the raw arguments, before they are parsed, so that
/// clap's own help and errors follow it too.
fn color_flag(args: &[OsString]) -> Option<ColorWhen> {
    use clap::ValueEnum;
    let mut found = None;
    let mut iter = args.iter().skip(1);
    while let Some(arg) = iter.next() {
        let arg = arg.to_string_lossy();
        if arg == "--" {
            break;
        }
        let value = match arg.strip_prefix("--color") {
            Some("") => iter.next().map(|v| v.to_string_lossy().into_owned()),
            Some(rest) => rest.strip_prefix('=').map(str::to_string),
            None => None,
        };
        if let Some(when) = value.and_then(|v| ColorWhen::from_str(&v, true).ok()) {
            found = Some(when);
        }
    }
    found
}

/// Parses `args` and runs the command; returns the exit status.
pub fn run<I, T>(args: I) -> Result<u8>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let early = color_flag(&args).unwrap_or_default();
    let clap_color = if wants_color(early, io::stdout().is_terminal()) {
        clap::ColorChoice::Always
    } else {
        clap::ColorChoice::Never
    };
    let parsed = Cli::command()
        .color(clap_color)
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            // Help piped into `head` that closes early is still help shown.
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return Ok(EXIT_CLEAN);
            }
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = e.print();
                return Ok(EXIT_ERROR);
            }
            return Err(UsageError(one_line(&e.render().to_string())).into());
        }
    };
    let _ = COLOR.set(cli.color);
    match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Git(args) => git::run(&args),
        Command::Hook { command } => hook::run(&command),
        Command::Rules { command } => rules::run(&command),
        Command::Completions { shell } => completions::run(shell),
        Command::Man(args) => man::run(&args),
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
    let label = Console::Stderr.style().paint(Role::Warning, "warning:");
    // Messages name scanned paths: control characters in them are shown, not obeyed.
    let message = crate::report::printable(message);
    let _ = writeln!(io::stderr(), "lushaguard: {label} {message}");
}

/// Writes the error that ends a run to stderr: one line, except for a message that carries its
/// own layout (a TOML parser's excerpt of the line at fault, see `toml_error`).
pub fn print_error(err: &anyhow::Error) {
    let label = Console::Stderr.style().paint(Role::Error, "error:");
    let keeps_layout = err.chain().any(is_toml_error);
    let message = format!("{err:#}");
    let message = if keeps_layout {
        message.trim_end().to_string()
    } else {
        crate::report::printable(&message.replace('\n', " ")).into_owned()
    };
    // If even stderr is gone there is nobody left to tell.
    let _ = writeln!(io::stderr(), "lushaguard: {label} {message}");
}

/// Is this a TOML error in the parser's layout? The library's errors wrap it transparently, so
/// it is looked for in each of them.
fn is_toml_error(e: &(dyn std::error::Error + 'static)) -> bool {
    use crate::rules::RuleError;
    use crate::settings::SettingsError;
    e.is::<crate::toml_error::TomlError>()
        || matches!(e.downcast_ref::<RuleError>(), Some(RuleError::Toml(_)))
        || matches!(
            e.downcast_ref::<SettingsError>(),
            Some(SettingsError::Toml(_) | SettingsError::Rules(RuleError::Toml(_)))
        )
}

/// Report files of one run. Each is written to a temporary file beside its destination and
/// renamed into place only by `commit`, once every report of the run has been written: a run
/// that fails half-way leaves every earlier report as it was, never a truncated one. Dropping
/// the set without committing removes the temporary files.
#[derive(Default)]
pub struct ReportFiles {
    pending: Vec<(PathBuf, PathBuf)>,
}

impl ReportFiles {
    /// Writes one report for `target` with `write`. A destination that exists and is not a
    /// regular file (`/dev/null`, a FIFO, a terminal) cannot be replaced: it is written
    /// directly. A symbolic link is followed, so the file it points to is what gets replaced.
    pub fn write(
        &mut self,
        target: &Path,
        write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> Result<()> {
        let cannot = || format!("cannot write {}", target.display());
        match std::fs::metadata(target) {
            Ok(meta) if !meta.is_file() => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(target)
                    .with_context(cannot)?;
                let mut out = io::BufWriter::new(file);
                return finish_output(write(&mut out), &mut out).with_context(cannot);
            }
            _ => {}
        }
        let target = match std::fs::symlink_metadata(target) {
            Ok(m) if m.file_type().is_symlink() => {
                std::fs::canonicalize(target).with_context(cannot)?
            }
            _ => target.to_path_buf(),
        };
        let (temp, file) = create_temp_beside(&target).with_context(cannot)?;
        // Registered before writing, so that a failed write still removes the temporary file.
        self.pending.push((temp, target.clone()));
        if let Ok(meta) = std::fs::metadata(&target) {
            // Replacing a report keeps the permissions its owner gave it.
            let _ = file.set_permissions(meta.permissions());
        }
        let mut out = io::BufWriter::new(file);
        write(&mut out)
            .and_then(|()| out.flush())
            .and_then(|()| out.get_ref().sync_all())
            .with_context(cannot)
    }

    /// Puts every written report in place.
    pub fn commit(mut self) -> Result<()> {
        for (temp, target) in std::mem::take(&mut self.pending) {
            if let Err(e) = std::fs::rename(&temp, &target) {
                let _ = std::fs::remove_file(&temp);
                return Err(e).with_context(|| format!("cannot write {}", target.display()));
            }
        }
        Ok(())
    }
}

impl Drop for ReportFiles {
    fn drop(&mut self) {
        for (temp, _) in &self.pending {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// A new, empty file in the directory of `target`, named after it and this process.
fn create_temp_beside(target: &Path) -> io::Result<(PathBuf, std::fs::File)> {
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let mut attempt = 0u32;
    loop {
        let temp = dir.join(format!(
            ".{name}.lushaguard-{}-{attempt}.tmp",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
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
