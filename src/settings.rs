//! Settings: command-line flags and `.lushaguard.toml` merged into one validated value. The
//! config file is found at the scan root (the first directory scanned) or named with `--config`;
//! unknown keys and bad values are errors that name the key and the file. Flags override the file.

use crate::cli::{
    DetectionArgs, FailOn, ReportArgs, ScanArgs, ScanOptions, SuppressArgs, VerifyArgs,
    VerifyClientArgs,
};
use crate::detect::Confidence;
use crate::report::{self, Format};
use crate::rules::{RuleError, RuleSet};
use crate::source::fs::WalkOptions;
use crate::suppress::{SuppressError, Suppressions, IGNORE_FILE};
use crate::verify::{self, VerifySettings};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const CONFIG_FILE: &str = ".lushaguard.toml";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: no such file or directory")]
    MissingPath { path: String },
    #[error("{path}: {message}")]
    Config { path: String, message: String },
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error("standard input (`-`) can be named only once")]
    StdinTwice,
    #[error(transparent)]
    Verify(#[from] verify::VerifyError),
    #[error("{0} needs --verify (or `[verify] enabled = true` in {CONFIG_FILE})")]
    NeedsVerify(&'static str),
    #[error(transparent)]
    Suppress(#[from] SuppressError),
}

/// `.lushaguard.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Paths to leave out (gitignore-syntax globs relative to the scan root).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// The default `--min-confidence`.
    #[serde(default)]
    pub min_confidence: Option<String>,
    /// Extra rule files or directories, relative to the config file.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Values never reported, such as a public demo key: each a key or its sha256 fingerprint.
    #[serde(default)]
    pub allow: Vec<String>,
    /// The ignore file, relative to the config file, instead of `.lushaguardignore` at the root.
    #[serde(default)]
    pub ignore_file: Option<PathBuf>,
    /// Verification defaults (`[verify]`).
    #[serde(default)]
    pub verify: VerifyConfig,
}

/// The `[verify]` table of `.lushaguard.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyConfig {
    /// Verify found keys without `--verify`.
    #[serde(default)]
    pub enabled: bool,
    pub url: Option<String>,
    pub concurrency: Option<u64>,
    pub timeout_secs: Option<u64>,
    pub deadline_secs: Option<u64>,
    /// Cache file, relative to the config file.
    pub cache: Option<PathBuf>,
    pub cache_ttl_secs: Option<u64>,
    pub fail_on: Option<FailOn>,
}

impl ConfigFile {
    pub fn load(path: &Path) -> Result<ConfigFile, SettingsError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SettingsError::Config {
            path: shown.clone(),
            message: format!("cannot read: {e}"),
        })?;
        toml::from_str(&text).map_err(|e| SettingsError::Config {
            path: shown,
            message: describe_toml_error(&text, &e),
        })
    }
}

/// A TOML error as one line that names the line and key, without repeating the value: the
/// value might be a key someone put in the wrong place (`allow = "<key>"`).
fn describe_toml_error(text: &str, e: &toml::de::Error) -> String {
    let quoted = regex::Regex::new(r#" "(?:[^"\\]|\\.)*""#).ok();
    let message = e.message().replace('\n', " ");
    let message = match &quoted {
        Some(re) => re.replace_all(&message, "").into_owned(),
        None => message,
    };
    let Some(before) = e.span().and_then(|span| text.get(..span.start)) else {
        return message;
    };
    let line = before.matches('\n').count() + 1;
    match key_before(before) {
        Some(key) if !message.contains(&format!("`{key}`")) => {
            format!("line {line}: `{key}`: {message}")
        }
        _ => format!("line {line}: {message}"),
    }
}

/// The key whose value runs through the end of `before`: the nearest `key =` at the start of a
/// line, looking back no further than a table header.
fn key_before(before: &str) -> Option<&str> {
    for line in before.lines().rev() {
        let line = line.trim_start();
        if line.starts_with('[') && !line.contains('=') {
            return None;
        }
        if let Some((key, _)) = line.split_once('=') {
            let key = key.trim();
            if !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
            {
                return Some(key);
            }
        }
    }
    None
}

/// How and where to write the report.
#[derive(Debug, Clone)]
pub struct ReportSettings {
    pub format: Format,
    pub output: Option<PathBuf>,
    /// More reports of the same run, each in its own format and file.
    pub extra_outputs: Vec<(Format, PathBuf)>,
    pub options: report::Options,
    pub exit_code: u8,
    pub quiet: bool,
    pub progress: bool,
    pub verify: VerifyPolicy,
    /// What to leave out of the report (`suppression`); nothing by default.
    pub suppress: Suppressions,
    /// The directory whose git HEAD a report names, where a format needs one; `.` if unset.
    pub root: Option<PathBuf>,
}

/// Whether and how found keys are verified, and what that means for the report and exit status.
#[derive(Debug, Clone)]
pub struct VerifyPolicy {
    pub settings: Option<VerifySettings>,
    pub only_verified: bool,
    pub fail_on: FailOn,
}

impl Default for VerifyPolicy {
    fn default() -> Self {
        VerifyPolicy {
            settings: None,
            only_verified: false,
            fail_on: FailOn::Any,
        }
    }
}

/// The client settings: flags over the config file over the defaults.
pub fn verify_client(
    args: &VerifyClientArgs,
    config: &VerifyConfig,
    config_path: Option<&Path>,
) -> Result<VerifySettings, SettingsError> {
    let raw = args
        .verify_url
        .as_deref()
        .or(config.url.as_deref())
        .unwrap_or(verify::DEFAULT_BASE);
    let mut s = VerifySettings::new(verify::parse_base(raw)?);
    if let Some(n) = args.verify_concurrency.or(config.concurrency) {
        s.concurrency = usize::try_from(n.clamp(1, 64)).unwrap_or(4);
    }
    if let Some(t) = args.verify_timeout.or(config.timeout_secs) {
        s.timeout = Duration::from_secs(t.max(1));
    }
    if let Some(t) = args.verify_deadline.or(config.deadline_secs) {
        s.deadline = Duration::from_secs(t.max(1));
    }
    let base = config_path.and_then(Path::parent).unwrap_or(Path::new("."));
    s.cache = args
        .verify_cache
        .clone()
        .or_else(|| config.cache.as_ref().map(|c| base.join(c)));
    if let Some(t) = args.verify_cache_ttl.or(config.cache_ttl_secs) {
        s.cache_ttl = Duration::from_secs(t);
    }
    Ok(s)
}

/// The verification policy of a scanning command.
pub fn verify_policy(
    args: &VerifyArgs,
    config: &VerifyConfig,
    config_path: Option<&Path>,
) -> Result<VerifyPolicy, SettingsError> {
    let enabled = args.verify || config.enabled;
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::Any);
    if !enabled && args.only_verified {
        return Err(SettingsError::NeedsVerify("--only-verified"));
    }
    if !enabled && fail_on == FailOn::Live {
        return Err(SettingsError::NeedsVerify("--fail-on live"));
    }
    Ok(VerifyPolicy {
        settings: if enabled {
            Some(verify_client(&args.client, config, config_path)?)
        } else {
            None
        },
        only_verified: args.only_verified,
        fail_on,
    })
}

impl ReportSettings {
    pub fn from_args(a: &ReportArgs) -> ReportSettings {
        ReportSettings {
            format: a.format,
            output: a.output.clone(),
            extra_outputs: a.extra_outputs.clone(),
            options: report::Options {
                reveal: a.no_redact,
                explain: a.explain,
            },
            exit_code: a.exit_code,
            quiet: a.quiet,
            progress: !a.no_progress,
            verify: VerifyPolicy::default(),
            suppress: Suppressions::default(),
            root: None,
        }
    }
}

/// Everything `scan` needs, validated.
#[derive(Debug)]
pub struct ScanSettings {
    pub walk: WalkOptions,
    pub stdin: bool,
    pub decode: bool,
    pub min_confidence: Confidence,
    pub rules: RuleSet,
    pub report: ReportSettings,
}

/// Worker threads: the flag, or one per CPU.
pub fn threads(flag: Option<usize>) -> usize {
    match flag {
        Some(n) if n > 0 => n,
        _ => std::thread::available_parallelism().map_or(2, |n| n.get()),
    }
}

/// The config file in force: `--config`, else `.lushaguard.toml` at the scan root.
fn find_config(explicit: Option<&Path>, root: &Path) -> Option<PathBuf> {
    match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => Some(root.join(CONFIG_FILE)).filter(|p| p.is_file()),
    }
}

/// What every scanning command (`scan`, `git`, the hooks) resolves from its shared options and
/// the config file at `root`.
#[derive(Debug)]
pub struct Resolved {
    pub config: ConfigFile,
    pub rules: RuleSet,
    pub min_confidence: Confidence,
    pub decode: bool,
    pub report: ReportSettings,
    pub threads: usize,
}

pub fn resolve(options: &ScanOptions, root: &Path) -> Result<Resolved, SettingsError> {
    let config_path = find_config(options.config.as_deref(), root);
    let config = match &config_path {
        Some(p) => ConfigFile::load(p)?,
        None => ConfigFile::default(),
    };
    let config_path = config_path.as_deref();
    let (rules, min_confidence, decode) = detection(&options.detection, &config, config_path)?;
    let mut report = ReportSettings::from_args(&options.report);
    report.suppress = suppression(&options.suppress, &config, config_path, root, &rules)?;
    report.verify = verify_policy(&options.verify, &config.verify, config_path)?;
    report.root = Some(root.to_path_buf());
    Ok(Resolved {
        config,
        rules,
        min_confidence,
        decode,
        report,
        threads: threads(options.threads),
    })
}

fn parse_level(value: &str, file: &Path) -> Result<Confidence, SettingsError> {
    value.parse().map_err(|e: String| SettingsError::Config {
        path: file.display().to_string(),
        message: format!("min_confidence: {e}"),
    })
}

/// Detection settings shared by every scanning command.
pub fn detection(
    args: &DetectionArgs,
    config: &ConfigFile,
    config_path: Option<&Path>,
) -> Result<(RuleSet, Confidence, bool), SettingsError> {
    let base = config_path.and_then(Path::parent).unwrap_or(Path::new("."));
    let mut rule_paths: Vec<PathBuf> = config.rules.iter().map(|p| base.join(p)).collect();
    rule_paths.extend(args.rules.rule_paths.iter().cloned());
    let rules = RuleSet::load(&rule_paths)?;
    let min = match (args.min_confidence, &config.min_confidence, config_path) {
        (Some(level), _, _) => level,
        (None, Some(v), Some(file)) => parse_level(v, file)?,
        _ => Confidence::Medium,
    };
    Ok((rules, min, !args.no_decode))
}

/// The scan root: the first directory scanned, else the current directory. The ignore file is
/// looked for there, and reports name the git HEAD of the repository holding it.
pub fn scan_root(roots: &[PathBuf]) -> PathBuf {
    roots
        .iter()
        .find(|r| r.is_dir())
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Suppression settings shared by every scanning command: the allowed values of the config file,
/// the ignore file (`--ignore-file`, else the config's `ignore_file`, else `.lushaguardignore` at
/// `root` if there is one) and the `--baseline` report.
pub fn suppression(
    args: &SuppressArgs,
    config: &ConfigFile,
    config_path: Option<&Path>,
    root: &Path,
    rules: &RuleSet,
) -> Result<Suppressions, SettingsError> {
    let mut s = Suppressions::default();
    if let Some(file) = config_path {
        s.allow_values(&config.allow, &rules.rules, file)?;
    }
    let base = config_path.and_then(Path::parent).unwrap_or(Path::new("."));
    let ignore_file = match (&args.ignore_file, &config.ignore_file) {
        (Some(flag), _) => Some(flag.clone()),
        (None, Some(configured)) => Some(base.join(configured)),
        (None, None) => Some(root.join(IGNORE_FILE)).filter(|p| p.is_file()),
    };
    if let Some(file) = ignore_file {
        s.read_ignore_file(&file)?;
    }
    if let Some(file) = &args.baseline {
        s.read_baseline(file)?;
    }
    Ok(s)
}

pub fn scan(args: &ScanArgs) -> Result<ScanSettings, SettingsError> {
    let mut stdin = false;
    let mut roots = Vec::new();
    for p in &args.paths {
        if p.as_os_str() == "-" {
            if stdin {
                return Err(SettingsError::StdinTwice);
            }
            stdin = true;
            continue;
        }
        if std::fs::symlink_metadata(p).is_err() {
            return Err(SettingsError::MissingPath {
                path: p.display().to_string(),
            });
        }
        roots.push(p.clone());
    }
    let root = scan_root(&roots);
    let r = resolve(&args.options, &root)?;
    let mut exclude = r.config.exclude.clone();
    exclude.extend(args.exclude.iter().cloned());
    Ok(ScanSettings {
        walk: WalkOptions {
            roots,
            respect_ignore: !args.no_ignore,
            follow_links: args.follow,
            threads: r.threads,
            exclude,
        },
        stdin,
        decode: r.decode,
        min_confidence: r.min_confidence,
        rules: r.rules,
        report: r.report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_config_keys_name_the_key_and_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(CONFIG_FILE);
        std::fs::write(&file, "exclude = []\nmin_confidnce = \"low\"\n").unwrap();
        let err = ConfigFile::load(&file).unwrap_err().to_string();
        assert!(
            err.contains(CONFIG_FILE) && err.contains("min_confidnce"),
            "{err}"
        );
    }

    #[test]
    fn bad_levels_in_the_config_are_errors() {
        let err = parse_level("severe", Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("x.toml") && err.contains("min_confidence"),
            "{err}"
        );
    }
}
