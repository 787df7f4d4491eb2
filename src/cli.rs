//! Command-line definitions (clap derive) and nothing else: no I/O, no validation beyond types.
//! `settings` turns these raw flags (plus `.lushaguard.toml`) into validated settings.
//!
//! `--help` groups the options under headings (Input, Detection, Output, Verification,
//! Suppression) and shows each default. Options that a settings file may also set are `Option`s,
//! so that a flag can be told from its absence; their defaults are written into the help text.

use crate::detect::Confidence;
use crate::report::Format;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// The help headings.
const INPUT: &str = "Input";
const OUTPUT: &str = "Output";

#[derive(Debug, Parser)]
#[command(
    name = "lushaguard",
    version,
    about = "Find Lusha API keys in files, standard input and git history before they leak.",
    long_about = "Find Lusha API keys in files, standard input and git history before they leak.\n\n\
        A Lusha API key is a UUID v4; so are countless ids that are not secrets. lushaguard \
        reports a UUID only when the evidence around it says it is a Lusha credential, and \
        says which evidence with --explain.\n\n\
        Exit status: 0 everything was scanned and nothing found, 1 findings (see --exit-code), \
        2 an error or an incomplete scan."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Colour the human report, warnings and errors: on a terminal (auto), always, or never.
    /// Report files and machine formats are never coloured.
    #[arg(
        long,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        global = true,
        help_heading = OUTPUT
    )]
    pub color: ColorWhen,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// Colour a terminal, unless NO_COLOR is set; CLICOLOR_FORCE colours anything.
    #[default]
    Auto,
    /// Always colour (but never a report file or a machine format).
    Always,
    /// Never colour.
    Never,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (or `-` for standard input) for Lusha API keys.
    Scan(ScanArgs),
    /// Check keys against the Lusha API: live, invalid, restricted or unknown (spends no credits).
    Verify(VerifyCommandArgs),
    /// Scan git history (every commit reachable from any ref), a range of it, or (--staged)
    /// exactly what the next commit would add.
    Git(GitArgs),
    /// Install git hooks, or run as one (pre-push, pre-receive).
    Hook {
        #[command(subcommand)]
        command: HookCommand,
    },
    /// List the detection rules or run their self-test.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Print a shell completion script, e.g. `lushaguard completions bash > ~/.local/share/bash-completion/completions/lushaguard`.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum, value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `lushaguard man | man -l -`; or write every page.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The page of this subcommand (`scan`, `hook install`) instead of lushaguard(1).
    #[arg(value_name = "COMMAND")]
    pub command: Vec<String>,

    /// Write every page (lushaguard.1, lushaguard-scan.1, ...) into this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with = "command")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Print the rules in force (built-in and --rules files).
    List {
        #[command(flatten)]
        rules: RuleFiles,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check every rule against its own examples and non-examples.
    Test {
        #[command(flatten)]
        rules: RuleFiles,
    },
}

#[derive(Debug, Clone, Args)]
pub struct RuleFiles {
    /// Add the rules of this TOML file, or of every *.toml file in this directory (repeatable).
    #[arg(long = "rules", id = "rules", value_name = "FILE_OR_DIR")]
    pub rule_paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Scan files that .gitignore, .ignore and git's excludes would skip.
    #[arg(long, help_heading = INPUT)]
    pub no_ignore: bool,

    /// Follow symbolic links (loops are reported and skipped).
    #[arg(short = 'L', long, help_heading = INPUT)]
    pub follow: bool,

    /// Leave out paths matching this glob (gitignore syntax, relative to the scanned directory;
    /// repeatable).
    #[arg(long, value_name = "GLOB", help_heading = INPUT)]
    pub exclude: Vec<String>,

    // Last, so that `--help` lists the Input options first.
    #[command(flatten)]
    pub options: ScanOptions,
}

/// How archives and container images met in a scan are opened. Flags only: a settings file in
/// the scanned tree must not be able to turn archive scanning off or shrink its bounds.
#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// Levels of nested archives (zip, jar, tar, tar.gz, gz...) opened, found by their content;
    /// 0 scans archives as plain bytes, without opening them.
    #[arg(long, value_name = "N", default_value_t = 3, help_heading = INPUT)]
    pub archive_depth: u32,

    /// Stop reading an archive (nested ones included) after it inflates to this many bytes;
    /// the rest is reported as not scanned. Suffixes K, M, G (powers of 1024).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = parse_size, help_heading = INPUT)]
    pub archive_max_bytes: u64,

    /// Stop reading an archive (nested ones included) after this many entries.
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..), help_heading = INPUT)]
    pub archive_max_entries: u64,

    /// Stop inflating a compressed entry past its first MiB once it has grown to this many
    /// times its compressed size (a zip bomb); it is reported as not scanned past that.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..), help_heading = INPUT)]
    pub archive_max_ratio: u64,
}

#[derive(Debug, Args)]
pub struct GitArgs {
    /// The repository: a work tree, a bare repository, or any directory inside one; or a URL
    /// (https, http, ssh, git, file, user@host:path) to clone and scan, every ref [default: the
    /// one around the current directory]. A path that exists is a path.
    #[arg(value_name = "REPO")]
    pub repo: Option<PathBuf>,

    /// Clone a URL REPO into this directory (empty or absent) and keep it, instead of a
    /// temporary directory removed after the scan.
    #[arg(long, value_name = "DIR", help_heading = INPUT)]
    pub clone_dir: Option<PathBuf>,

    /// Give up cloning a URL REPO after this many seconds [default: no limit]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..), help_heading = INPUT)]
    pub clone_timeout: Option<u64>,

    /// Scan only what is staged: the index compared with HEAD. Only keys on added or changed
    /// lines are reported, so an old key elsewhere in a file does not block an unrelated commit.
    #[arg(long, conflicts_with_all = ["range", "branch", "since", "clone_dir", "clone_timeout"], help_heading = INPUT)]
    pub staged: bool,

    /// Scan only these commits: a revision (with its ancestors), `A..B` or `A...B` [default:
    /// every commit reachable from any ref]
    #[arg(long, value_name = "REVSPEC", conflicts_with = "branch", help_heading = INPUT)]
    pub range: Option<String>,

    /// Scan only this branch (or any revision) and its ancestors.
    #[arg(long, value_name = "BRANCH", help_heading = INPUT)]
    pub branch: Option<String>,

    /// Leave out commits committed before this date: YYYY-MM-DD (midnight UTC), an RFC 3339
    /// date-time, or @UNIX-SECONDS.
    #[arg(long, value_name = "DATE", value_parser = parse_since, help_heading = INPUT)]
    pub since: Option<i64>,

    #[command(flatten)]
    pub scan: ScanOptions,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Install a pre-commit hook (and with --pre-push a pre-push hook) running lushaguard.
    Install {
        /// The repository [default: the one around the current directory]
        #[arg(value_name = "REPO")]
        repo: Option<PathBuf>,
        /// Also install a pre-push hook that scans the commits being pushed.
        #[arg(long)]
        pre_push: bool,
        /// Replace hooks that lushaguard did not install. Each is kept as `<hook>.bak` (or
        /// `.bak.1`, `.bak.2`, ...) and still runs before lushaguard; `hook uninstall` puts it back.
        #[arg(long)]
        force: bool,
    },
    /// Remove the hooks `hook install` wrote (pre-commit and pre-push), putting back the hooks
    /// they replaced. Hooks lushaguard did not write are left alone.
    Uninstall {
        /// The repository [default: the one around the current directory]
        #[arg(value_name = "REPO")]
        repo: Option<PathBuf>,
    },
    /// Run as git's pre-push hook: scan the commits being pushed (refs on standard input).
    PrePush {
        /// The remote's name (git passes it).
        #[arg(value_name = "REMOTE")]
        remote: Option<String>,
        /// The remote's URL (git passes it).
        #[arg(value_name = "URL")]
        url: Option<String>,
        #[command(flatten)]
        scan: ScanOptions,
    },
    /// Run as a server's pre-receive hook: reject pushes whose new commits add keys.
    PreReceive {
        #[command(flatten)]
        scan: ScanOptions,
    },
}

/// What every scanning command shares: `scan`, `git` and the hooks.
#[derive(Debug, Args)]
pub struct ScanOptions {
    #[command(flatten)]
    pub report: ReportArgs,

    #[command(flatten)]
    pub detection: DetectionArgs,

    #[command(flatten)]
    pub verify: VerifyArgs,

    #[command(flatten)]
    pub suppress: SuppressArgs,

    #[command(flatten)]
    pub archives: ArchiveArgs,

    /// Worker threads (0 = one per CPU) [default: 0]
    #[arg(short = 'j', long, value_name = "N", help_heading = INPUT)]
    pub threads: Option<usize>,

    /// Read settings from this file instead of the .lushaguard.toml found by walking up from
    /// each scanned path. It is yours, so it may set anything, verification included (see
    /// "Security model").
    #[arg(long, value_name = "FILE", env = "LUSHAGUARD_CONFIG", help_heading = INPUT)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = OUTPUT)]
pub struct ReportArgs {
    /// Report format.
    #[arg(short, long, value_enum, default_value = "human")]
    pub format: Format,

    /// Write the report to this file instead of standard output (a one-line summary goes to
    /// standard error).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write the report in FORMAT to FILE (repeatable), e.g. `--write sarif=lushaguard.sarif`.
    #[arg(long = "write", value_name = "FORMAT=FILE", value_parser = parse_extra_output)]
    pub extra_outputs: Vec<(Format, PathBuf)>,

    /// Exit status when there are findings.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub exit_code: u8,

    /// Show why each finding was reported (human format).
    #[arg(long)]
    pub explain: bool,

    /// Show full keys in the report. Keys are redacted by default; be careful where this output goes.
    #[arg(long)]
    pub no_redact: bool,

    /// Print no warnings, and no summary line with --output (what could not be scanned is still
    /// said).
    #[arg(short, long)]
    pub quiet: bool,

    /// Never show a progress indicator.
    #[arg(long)]
    pub no_progress: bool,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Detection")]
pub struct DetectionArgs {
    /// Report findings at this confidence or above [default: medium]
    #[arg(long, value_name = "LEVEL", value_parser = confidence_parser())]
    pub min_confidence: Option<Confidence>,

    #[command(flatten)]
    pub rules: RuleFiles,

    /// Do not decode base64, URL-encoded or backslash-escaped text while searching.
    #[arg(long)]
    pub no_decode: bool,
}

/// When findings make the exit status non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    /// Any finding at or above the threshold.
    Any,
    /// Only a key the Lusha API confirms is live (needs --verify).
    Live,
}

#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Verification")]
pub struct VerifyArgs {
    /// Check each found key against the Lusha API (GET /v3/account/usage with the api_key
    /// header; spends no credits). Each distinct key is sent once, only over HTTPS.
    #[arg(long)]
    pub verify: bool,

    /// Report only keys the API confirms are live (needs --verify).
    #[arg(long)]
    pub only_verified: bool,

    /// Which findings make the exit status non-zero: any finding, or only live keys (needs
    /// --verify) [default: any]
    #[arg(long, value_enum, value_name = "WHEN")]
    pub fail_on: Option<FailOn>,

    #[command(flatten)]
    pub client: VerifyClientArgs,
}

#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Verification")]
pub struct VerifyClientArgs {
    /// Base URL of the Lusha API: https, or plain http to a loopback address (for tests or a
    /// local proxy) [default: https://api.lusha.com]
    #[arg(long, value_name = "URL", env = "LUSHAGUARD_VERIFY_URL")]
    pub verify_url: Option<String>,

    /// Requests in flight at once [default: 4]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=64))]
    pub verify_concurrency: Option<u64>,

    /// Seconds before one request is given up [default: 10]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub verify_timeout: Option<u64>,

    /// Seconds for all verification in a run: requests, retries and rate-limit waits. Keys not
    /// answered by then are `unknown` [default: 120]
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub verify_deadline: Option<u64>,

    /// Cache results in this file, keyed by the key's SHA-256 fingerprint (never the key).
    /// [default: verify-cache.json in $XDG_CACHE_HOME/lushaguard or ~/.cache/lushaguard]
    #[arg(long, value_name = "FILE", env = "LUSHAGUARD_VERIFY_CACHE")]
    pub verify_cache: Option<PathBuf>,

    /// Do not read or write the verification cache (even one named by --verify-cache or
    /// LUSHAGUARD_VERIFY_CACHE).
    #[arg(long)]
    pub no_verify_cache: bool,

    /// Seconds a cached result stays valid [default: 3600]
    #[arg(long, value_name = "SECS")]
    pub verify_cache_ttl: Option<u64>,
}

#[derive(Debug, Args)]
pub struct VerifyCommandArgs {
    /// Keys to check; read from standard input (one per line) when none are given and standard
    /// input is not a terminal.
    #[arg(value_name = "KEY")]
    pub keys: Vec<String>,

    #[command(flatten)]
    pub client: VerifyClientArgs,

    /// Print JSON instead of one line per key.
    #[arg(long, help_heading = OUTPUT)]
    pub json: bool,

    /// Show full keys instead of redacted ones.
    #[arg(long, help_heading = OUTPUT)]
    pub no_redact: bool,
}

/// A byte count: digits with an optional K, M or G (powers of 1024; a trailing `B` or `iB` is
/// allowed).
fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || format!("`{s}` is not a size (e.g. 1G, 512M, 1048576)");
    let upper = s.trim().to_ascii_uppercase();
    let unit = upper.trim_end_matches("IB").trim_end_matches('B');
    let (digits, shift) = match unit.strip_suffix(['K', 'M', 'G']) {
        Some(digits) => match unit.as_bytes().last() {
            Some(b'K') => (digits, 10),
            Some(b'M') => (digits, 20),
            _ => (digits, 30),
        },
        None => (unit, 0),
    };
    let n: u64 = digits.trim().parse().map_err(|_| bad())?;
    if n == 0 {
        return Err("the size must be at least 1 byte".to_string());
    }
    n.checked_mul(1 << shift).ok_or_else(bad)
}

fn parse_extra_output(s: &str) -> Result<(Format, PathBuf), String> {
    use clap::ValueEnum;
    let (format, file) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not FORMAT=FILE"))?;
    let format = Format::from_str(format, true).map_err(|_| {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
            .collect();
        format!("`{format}` is not a format ({})", names.join(", "))
    })?;
    if file.is_empty() {
        return Err(format!("`{s}` names no file"));
    }
    Ok((format, PathBuf::from(file)))
}

/// Findings to leave out of the report (each is still counted in the summary).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Suppression")]
pub struct SuppressArgs {
    /// Leave out findings already in this earlier JSON report (`--format json`): same key
    /// fingerprint, same path. New leaks are still reported.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Leave out the fingerprints (or `fingerprint:path` pairs) listed in this file instead of
    /// the .lushaguardignore files found in the scanned tree.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Option<PathBuf>,

    /// Range scans and hooks: do not honour `lushaguard:allow` marks on lines the scanned change
    /// adds (a mark already in the base commit still counts).
    #[arg(long)]
    pub strict: bool,
}

/// A confidence level; its possible values reach `--help` and the shell completions.
fn confidence_parser() -> impl clap::builder::TypedValueParser<Value = Confidence> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["low", "medium", "high"])
        .try_map(|s| s.parse::<Confidence>())
}

/// `--since`: a date, as Unix seconds. Only a real calendar date passes (no 2024-02-30).
fn parse_since(s: &str) -> Result<i64, String> {
    let not_a_date = || {
        format!(
            "`{s}` is not a date: --since takes YYYY-MM-DD (2024-01-31, midnight UTC), an RFC 3339 \
             date-time (2024-01-31T09:30:00+02:00) or @UNIX-SECONDS (@1706693400)"
        )
    };
    let seconds = crate::source::git::parse_date(s).ok_or_else(not_a_date)?;
    if !s.starts_with('@') {
        let field = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
        let (year, month, day) = (field(0..4), field(5..7), field(8..10));
        let (Some(year), Some(month), Some(day)) = (year, month, day) else {
            return Err(not_a_date());
        };
        if day > days_in_month(year, month) {
            return Err(not_a_date());
        }
    }
    Ok(seconds)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    #[test]
    fn sizes_take_binary_suffixes() {
        use super::parse_size;
        assert_eq!(parse_size("1048576"), Ok(1 << 20));
        assert_eq!(parse_size("4K"), Ok(4 << 10));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        for bad in ["", "G", "0", "1T", "-1", "99999999999999999G"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn since_takes_real_dates_only() {
        use super::parse_since;
        assert_eq!(parse_since("1970-01-02"), Ok(86_400));
        assert_eq!(parse_since("@42"), Ok(42));
        assert!(parse_since("2024-02-29").is_ok());
        for bad in [
            "yesterday",
            "2024-13-01",
            "2023-02-29",
            "2024-04-31",
            "01/02/2024",
            "",
        ] {
            let err = parse_since(bad).unwrap_err();
            assert!(err.contains("is not a date"), "{bad}: {err}");
        }
    }
}
