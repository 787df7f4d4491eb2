//! Settings: flags, environment variables and settings files merged into one validated value.
//! Unknown keys and bad values are errors that name the key and the file.
//!
//! Where a setting comes from decides what it may do (`Origin`). The user's own settings (flags,
//! `LUSHAGUARD_*` variables, `--config FILE`, the user config
//! `$XDG_CONFIG_HOME/lushaguard/config.toml`) may set anything. Settings found in the scanned
//! tree (`.lushaguard.toml`, `.lushaguardignore`) are written by whoever wrote the code being
//! scanned: they may tune detection and suppression only. `admit` applies that rule once per
//! settings file: a tree file's `[verify]` keys and paths outside its tree are ignored with one
//! warning each. Every file any of them names is read by `files` (regular files up to 64 MiB).
//!
//! `.lushaguard.toml` is found by walking up from each scanned path to the top of its git work
//! tree (the nearest one wins); a range scan reads it from the base commit instead (`Lookup`).
//! Later layers override earlier ones: the user config, then the tree's files (or `--config`),
//! then environment variables and flags.

use crate::cli::{
    ArchiveArgs, FailOn, ReportArgs, ScanArgs, ScanOptions, VerifyArgs, VerifyClientArgs,
};
use crate::detect::Confidence;
use crate::files::{self, absolute, FileError, Kind, Place, Sources};
use crate::model::SettingsChanges;
use crate::report::{self, Format};
use crate::rules::{RuleError, RuleSet, RuleText};
use crate::source::fs::WalkOptions;
use crate::source::unpack::Unpack;
use crate::source::{archive, image};
use crate::suppress::{Exclusions, SuppressError, Suppressions, IGNORE_FILE};
use crate::verify::{self, VerifySettings};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const CONFIG_FILE: &str = ".lushaguard.toml";
/// The user config's name in `$XDG_CONFIG_HOME/lushaguard/`.
pub const USER_CONFIG_FILE: &str = "config.toml";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: no such file or directory")]
    MissingPath { path: String },
    #[error("{path}: {message}")]
    Config { path: String, message: String },
    /// Not TOML, or not the settings' schema: in the parser's layout, values masked.
    #[error(transparent)]
    Toml(#[from] crate::toml_error::TomlError),
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error("standard input (`-`) can be named only once")]
    StdinTwice,
    #[error(transparent)]
    Verify(#[from] verify::VerifyError),
    #[error("{0} needs --verify (or `[verify] enabled = true` in your own settings: --config or the user config)")]
    NeedsVerify(&'static str),
    #[error(transparent)]
    Suppress(#[from] SuppressError),
    #[error(transparent)]
    File(#[from] FileError),
    #[error("HTTPS_PROXY (or ALL_PROXY) `{0}` is not a proxy URL")]
    BadProxy(String),
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
    /// The ignore file, relative to the config file, instead of the `.lushaguardignore` beside it.
    #[serde(default)]
    pub ignore_file: Option<PathBuf>,
    /// A baseline report, relative to the config file (as `--baseline`).
    #[serde(default)]
    pub baseline: Option<PathBuf>,
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
    /// Reads and parses a settings file on disk.
    pub fn load(path: &Path) -> Result<ConfigFile, SettingsError> {
        let shown = path.display().to_string();
        ConfigFile::parse(files::read_bounded(path, &shown)?, &shown)
    }

    pub fn parse(bytes: Vec<u8>, shown: &str) -> Result<ConfigFile, SettingsError> {
        let text = files::text(bytes, shown)?;
        toml::from_str(&text)
            .map_err(|e| SettingsError::Toml(crate::toml_error::describe(shown, &text, &e)))
    }
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
    /// What settings resolution warned about (tree settings that were ignored, and why); they
    /// join the report's warnings.
    pub notes: Vec<String>,
    /// Range scans: the suppression settings the scanned change edits.
    pub settings_changes: Option<SettingsChanges>,
    /// What to do about findings, printed on stderr after a report with findings by a command
    /// that knows better than the rules' remediation (a blocked commit or push).
    pub advice: Option<String>,
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

/// The user config: `$XDG_CONFIG_HOME/lushaguard/config.toml`, else
/// `~/.config/lushaguard/config.toml`.
pub fn user_config_path() -> Option<PathBuf> {
    files::xdg_dir("XDG_CONFIG_HOME", ".config").map(|d| d.join(USER_CONFIG_FILE))
}

/// The client settings: flags over the user's settings over the defaults. `config_dir` is where
/// a relative `cache` in `config` starts from.
pub fn verify_client(
    args: &VerifyClientArgs,
    config: &VerifyConfig,
    config_dir: Option<&Path>,
) -> Result<VerifySettings, SettingsError> {
    let raw = args
        .verify_url
        .as_deref()
        .or(config.url.as_deref())
        .unwrap_or(verify::Verifier::Lusha.default_base());
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
    let base = config_dir.unwrap_or(Path::new("."));
    s.cache = if args.no_verify_cache {
        None
    } else {
        args.verify_cache
            .clone()
            .or_else(|| config.cache.as_ref().map(|c| base.join(c)))
            .or_else(|| verify::cache::default_dir().map(|d| d.join(verify::cache::FILE_NAME)))
    };
    if let Some(cache) = &s.cache {
        // Named by the user, but still a file that is read whole: never a device or FIFO.
        if let Ok(m) = std::fs::metadata(cache) {
            if !m.is_file() {
                return Err(FileError::NotRegular {
                    path: cache.display().to_string(),
                }
                .into());
            }
        }
    }
    if let Some(t) = args.verify_cache_ttl.or(config.cache_ttl_secs) {
        s.cache_ttl = Duration::from_secs(t);
    }
    if s.base.scheme() == "https" {
        let host = s.base.host_str().unwrap_or_default().to_string();
        if let Some(proxy) = verify::https_proxy_from_env(&host) {
            if ureq::Proxy::new(&proxy).is_err() {
                return Err(SettingsError::BadProxy(proxy));
            }
            s.proxy = Some(proxy);
        }
    }
    Ok(s)
}

/// The settings of `lushaguard verify`: flags over the user config.
pub fn verify_command(args: &VerifyClientArgs) -> Result<VerifySettings, SettingsError> {
    let mut config = VerifyConfig::default();
    let mut dir = None;
    if let Some(path) = user_config_path().filter(|p| p.symlink_metadata().is_ok()) {
        config = ConfigFile::load(&path)?.verify;
        dir = path.parent().map(Path::to_path_buf);
    }
    verify_client(args, &config, dir.as_deref())
}

/// The verification policy of a scanning command.
pub fn verify_policy(
    args: &VerifyArgs,
    config: &VerifyConfig,
    config_dir: Option<&Path>,
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
            Some(verify_client(&args.client, config, config_dir)?)
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
                ..report::Options::default()
            },
            exit_code: a.exit_code,
            quiet: a.quiet,
            progress: !a.no_progress,
            verify: VerifyPolicy::default(),
            suppress: Suppressions::default(),
            root: None,
            notes: Vec::new(),
            settings_changes: None,
            advice: None,
        }
    }
}

/// Everything `scan` needs, validated.
#[derive(Debug)]
pub struct ScanSettings {
    pub walk: WalkOptions,
    pub stdin: bool,
    /// OCI image layout directories named on the command line: read as images, then walked for
    /// every file the image reader did not read (`Unpack::read_by_images`).
    pub image_dirs: Vec<PathBuf>,
    /// How archives and images are opened: from flags only, never from a settings file.
    pub(crate) unpack: Unpack,
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

/// Who wrote a settings file, which decides what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The person running lushaguard: `--config`, the user config, or the `.lushaguard.toml` a
    /// server's admin put in a bare repository's directory (no push can change it). May set
    /// anything documented.
    User,
    /// Found in the scanned tree, whose top is `top`: written by whoever wrote the code being
    /// scanned. May tune detection and suppression only, and name files inside `top` only.
    Tree { top: Place },
}

/// One settings file, loaded.
#[derive(Debug)]
pub struct Layer {
    pub origin: Origin,
    pub file: Place,
    pub shown: String,
    pub config: ConfigFile,
}

/// The `[verify]` keys a settings file sets, by name.
fn verify_keys_set(v: &VerifyConfig) -> Vec<&'static str> {
    let mut keys = Vec::new();
    let mut key = |set: bool, name| {
        if set {
            keys.push(name);
        }
    };
    key(v.enabled, "verify.enabled");
    key(v.url.is_some(), "verify.url");
    key(v.cache.is_some(), "verify.cache");
    key(v.concurrency.is_some(), "verify.concurrency");
    key(v.timeout_secs.is_some(), "verify.timeout_secs");
    key(v.deadline_secs.is_some(), "verify.deadline_secs");
    key(v.cache_ttl_secs.is_some(), "verify.cache_ttl_secs");
    key(v.fail_on.is_some(), "verify.fail_on");
    keys
}

/// The trust rule, applied once to each settings file: a tree file's `[verify]` keys and any
/// path it names outside its tree are dropped, with one warning each.
pub fn admit(layer: &mut Layer, sources: &Sources, warnings: &mut Vec<String>) {
    let Origin::Tree { top } = &layer.origin else {
        return;
    };
    for key in verify_keys_set(&layer.config.verify) {
        warnings.push(format!(
            "{}: `{key}` ignored: settings found in the scanned tree may tune detection and \
             suppression only; verification is set by flags, LUSHAGUARD_* variables, --config \
             or the user config (see the README's Security model)",
            layer.shown
        ));
    }
    layer.config.verify = VerifyConfig::default();
    let dir = layer.file.dir();
    let inside = |p: &Path| dir.join(p).is_some_and(|place| sources.inside(&place, top));
    let outside = |key: &str, p: &Path| {
        format!(
            "{}: `{key}` entry `{}` ignored: settings found in the scanned tree may name files \
             inside that tree only",
            layer.shown,
            p.display()
        )
    };
    let mut kept = Vec::new();
    for p in std::mem::take(&mut layer.config.rules) {
        if inside(&p) {
            kept.push(p);
        } else {
            warnings.push(outside("rules", &p));
        }
    }
    layer.config.rules = kept;
    for (key, slot) in [
        ("ignore_file", &mut layer.config.ignore_file),
        ("baseline", &mut layer.config.baseline),
    ] {
        if let Some(p) = slot.take() {
            if inside(&p) {
                *slot = Some(p);
            } else {
                warnings.push(outside(key, &p));
            }
        }
    }
}

/// Where settings are looked for, and what reads them.
#[derive(Debug, Default)]
pub struct Lookup {
    pub sources: Sources,
    /// Tree settings files found, each with the top of its tree.
    pub configs: Vec<(Place, Place)>,
    pub ignore_files: Vec<(Place, Place)>,
    /// A bare repository's own `.lushaguard.toml`, put there by its admin: the user's.
    pub admin: Option<PathBuf>,
    /// The scanned roots (for `--exclude` and the user's relative globs).
    pub roots: Vec<PathBuf>,
    /// Where paths written in commit files resolve on disk (the work tree, or a bare
    /// repository's directory).
    pub workdir: PathBuf,
}

/// The top of the git work tree holding `dir` (the nearest directory with a `.git`), if any.
fn git_top(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").symlink_metadata().is_ok())
        .map(Path::to_path_buf)
}

impl Lookup {
    /// For `scan`: the nearest `.lushaguard.toml` and the nearest `.lushaguardignore` above
    /// each scanned path (the current directory when only stdin is scanned), looking no higher
    /// than the top of its git work tree; outside git, in the scanned directory only.
    pub fn upward(roots: &[PathBuf]) -> Lookup {
        let starts: Vec<PathBuf> = if roots.is_empty() {
            vec![files::current_dir()]
        } else {
            roots.iter().map(|r| absolute(r)).collect()
        };
        let mut configs = BTreeSet::new();
        let mut ignores = BTreeSet::new();
        for start in &starts {
            let dir = if start.is_dir() {
                start.clone()
            } else {
                start.parent().map(Path::to_path_buf).unwrap_or_default()
            };
            let top = git_top(&dir).unwrap_or_else(|| dir.clone());
            let nearest = |name: &str| {
                dir.ancestors()
                    .take_while(|d| d.starts_with(&top))
                    .map(|d| d.join(name))
                    .find(|p| p.symlink_metadata().is_ok())
            };
            if let Some(c) = nearest(CONFIG_FILE) {
                configs.insert((Place::Disk(c), Place::Disk(top.clone())));
            }
            if let Some(i) = nearest(IGNORE_FILE) {
                ignores.insert((Place::Disk(i), Place::Disk(top.clone())));
            }
        }
        Lookup {
            sources: Sources::disk(),
            configs: configs.into_iter().collect(),
            ignore_files: ignores.into_iter().collect(),
            admin: None,
            roots: roots.to_vec(),
            workdir: files::current_dir(),
        }
    }

    /// For git scans of a repository: `.lushaguard.toml` and `.lushaguardignore` at the top of
    /// the tree in `base` (a range scan's base commit) when given, else in the work tree. A
    /// bare repository has no work tree; a `.lushaguard.toml` in its directory is its admin's.
    pub fn repository(
        workdir: Option<&Path>,
        gitdir: &Path,
        base: Option<Box<dyn files::CommitTree>>,
    ) -> Lookup {
        let gitdir = absolute(gitdir);
        let workdir = workdir.map(absolute);
        let top_dir = workdir.clone().unwrap_or_else(|| gitdir.clone());
        let mut lookup = Lookup {
            roots: vec![top_dir.clone()],
            workdir: top_dir.clone(),
            ..Lookup::default()
        };
        if workdir.is_none() {
            let admin = gitdir.join(CONFIG_FILE);
            lookup.admin = admin.symlink_metadata().is_ok().then_some(admin);
        }
        match base {
            Some(commit) => {
                lookup.sources = Sources {
                    commit: Some(commit),
                    workdir,
                };
                let top = Place::Commit(PathBuf::new());
                for (name, list) in [
                    (CONFIG_FILE, &mut lookup.configs),
                    (IGNORE_FILE, &mut lookup.ignore_files),
                ] {
                    let place = Place::Commit(PathBuf::from(name));
                    if lookup.sources.kind(&place) != Kind::Missing {
                        list.push((place, top.clone()));
                    }
                }
            }
            None => {
                let top = Place::Disk(top_dir.clone());
                if workdir.is_some() {
                    let config = top_dir.join(CONFIG_FILE);
                    if config.symlink_metadata().is_ok() {
                        lookup.configs.push((Place::Disk(config), top.clone()));
                    }
                }
                let ignore = top_dir.join(IGNORE_FILE);
                if ignore.symlink_metadata().is_ok() {
                    lookup.ignore_files.push((Place::Disk(ignore), top));
                }
            }
        }
        lookup
    }
}

/// What every scanning command (`scan`, `git`, the hooks) resolves from its shared options and
/// the settings files its `Lookup` finds.
#[derive(Debug)]
pub struct Resolved {
    pub rules: RuleSet,
    pub min_confidence: Confidence,
    pub decode: bool,
    pub report: ReportSettings,
    pub threads: usize,
    pub exclusions: Exclusions,
    /// Repository paths of files the settings named (ignore files, baselines, rule files), for
    /// telling whether a change edits them.
    pub named_files: BTreeSet<PathBuf>,
}

fn load_layer(sources: &Sources, file: Place, origin: Origin) -> Result<Layer, SettingsError> {
    let shown = sources.show(&file);
    let config = ConfigFile::parse(sources.read(&file)?, &shown)?;
    Ok(Layer {
        origin,
        file,
        shown,
        config,
    })
}

/// A file the user named as `role`: it must exist.
fn user_place(sources: &Sources, path: &Path, role: &str) -> Result<Place, SettingsError> {
    let place = sources.place_for(path);
    if sources.kind(&place) == Kind::Missing {
        return Err(SettingsError::Config {
            path: sources.show(&place),
            message: format!("cannot read the {role}: no such file"),
        });
    }
    Ok(place)
}

/// The rule files at a place: the file, or a directory's `*.toml` files.
fn rule_places(sources: &Sources, place: Place) -> Result<Vec<Place>, SettingsError> {
    match sources.kind(&place) {
        Kind::Directory => Ok(sources.toml_files(&place)?),
        Kind::Missing => Err(FileError::Missing {
            path: sources.show(&place),
        }
        .into()),
        _ => Ok(vec![place]),
    }
}

pub fn resolve(options: &ScanOptions, lookup: &Lookup) -> Result<Resolved, SettingsError> {
    let sources = &lookup.sources;
    let mut warnings = Vec::new();
    let mut layers = Vec::new();
    // The user's own files first, then the tree's (or --config): later ones override.
    let disk = Sources::disk();
    if let Some(path) = user_config_path().filter(|p| p.symlink_metadata().is_ok()) {
        layers.push(load_layer(&disk, Place::Disk(path), Origin::User)?);
    }
    if let Some(path) = &lookup.admin {
        layers.push(load_layer(&disk, Place::Disk(path.clone()), Origin::User)?);
    }
    match &options.config {
        Some(path) => {
            let place = user_place(sources, path, "settings file")?;
            layers.push(load_layer(sources, place, Origin::User)?);
        }
        None => {
            for (file, top) in &lookup.configs {
                let origin = Origin::Tree { top: top.clone() };
                if !sources.inside(file, top) {
                    warnings.push(format!(
                        "{}: ignored: it leads outside the scanned tree",
                        sources.show(file)
                    ));
                    continue;
                }
                layers.push(load_layer(sources, file.clone(), origin)?);
            }
        }
    }
    for layer in &mut layers {
        admit(layer, sources, &mut warnings);
    }
    let mut named = BTreeSet::new();
    let mut name = |place: &Place| {
        if let Place::Commit(p) = place {
            named.insert(p.clone());
        }
    };

    // Detection.
    let mut texts = Vec::new();
    let mut rule_sources: Vec<(Place, bool)> = Vec::new();
    for layer in &layers {
        for rel in &layer.config.rules {
            if let Some(place) = layer.file.dir().join(rel) {
                rule_sources.push((place, layer.origin == Origin::User));
            }
        }
    }
    for path in &options.detection.rules.rule_paths {
        rule_sources.push((user_place(sources, path, "rules")?, true));
    }
    for (place, may_verify) in rule_sources {
        for file in rule_places(sources, place)? {
            name(&file);
            let origin = sources.show(&file);
            texts.push(RuleText {
                text: files::text(sources.read(&file)?, &origin)?,
                origin,
                may_verify,
            });
        }
    }
    let rules = RuleSet::from_texts(texts, &mut warnings)?;
    let mut user_level = None;
    let mut tree_levels = BTreeSet::new();
    for layer in &layers {
        if let Some(v) = &layer.config.min_confidence {
            let level = parse_level(v, &layer.shown)?;
            match layer.origin {
                Origin::User => user_level = Some(level),
                Origin::Tree { .. } => {
                    tree_levels.insert(level);
                }
            }
        }
    }
    if tree_levels.len() > 1 {
        warnings.push(format!(
            "the settings files of the scanned paths ask for different min_confidence; the \
             lowest ({}) is used for all of them",
            tree_levels.first().map_or("", |l| l.as_str())
        ));
    }
    let min_confidence = options
        .detection
        .min_confidence
        .or(tree_levels.first().copied())
        .or(user_level)
        .unwrap_or(Confidence::Medium);

    // Suppression.
    let mut suppress = Suppressions::default();
    for layer in &layers {
        suppress.allow_values(&layer.config.allow, &rules.rules, &layer.shown)?;
    }
    let mut ignore_files: Vec<Place> = Vec::new();
    match &options.suppress.ignore_file {
        Some(path) => ignore_files.push(user_place(sources, path, "ignore file")?),
        None => {
            let mut replaced = BTreeSet::new();
            for layer in &layers {
                if let Some(rel) = &layer.config.ignore_file {
                    replaced.insert(layer.file.dir());
                    if let Some(place) = layer.file.dir().join(rel) {
                        ignore_files.push(place);
                    }
                }
            }
            for (file, top) in &lookup.ignore_files {
                if replaced.contains(&file.dir()) {
                    continue;
                }
                if !sources.inside(file, top) {
                    warnings.push(format!(
                        "{}: ignored: it leads outside the scanned tree",
                        sources.show(file)
                    ));
                    continue;
                }
                ignore_files.push(file.clone());
            }
        }
    }
    for place in &ignore_files {
        name(place);
        let shown = sources.show(place);
        let text = files::text(sources.read(place)?, &shown)?;
        suppress.add_ignore_text(&text, &shown, &place.dir().on_disk(&lookup.workdir))?;
    }
    let mut baselines = Vec::new();
    if let Some(path) = &options.suppress.baseline {
        baselines.push(user_place(sources, path, "baseline")?);
    }
    for layer in &layers {
        if let Some(place) = layer
            .config
            .baseline
            .as_ref()
            .and_then(|rel| layer.file.dir().join(rel))
        {
            baselines.push(place);
        }
    }
    for place in &baselines {
        name(place);
        suppress.add_baseline(&sources.read(place)?, &sources.show(place))?;
    }

    // Paths left out: a tree file's globs beneath its own directory, the user's beneath each
    // scanned root.
    let mut exclusions = Exclusions::default();
    for layer in &layers {
        match layer.origin {
            Origin::Tree { .. } => exclusions.anchor(
                &layer.file.dir().on_disk(&lookup.workdir),
                &layer.config.exclude,
                &layer.shown,
            )?,
            Origin::User => exclusions.relative(&layer.config.exclude),
        }
    }

    // Verification: the user's settings only (`admit` emptied the tree's).
    let mut verify_config = VerifyConfig::default();
    let mut verify_dir = None;
    for layer in &layers {
        let v = &layer.config.verify;
        if verify_keys_set(v).is_empty() {
            continue;
        }
        verify_config = merge_verify(verify_config, v);
        if v.cache.is_some() {
            verify_dir = Some(layer.file.dir().on_disk(&lookup.workdir));
        }
    }
    let mut report = ReportSettings::from_args(&options.report);
    report.verify = verify_policy(&options.verify, &verify_config, verify_dir.as_deref())?;
    report.suppress = suppress;
    report.root = lookup.roots.iter().find(|r| r.is_dir()).cloned();
    report.notes = warnings;
    if options.archives.archive_depth == 0 {
        // Asked for, so not incomplete; but a clean result should not read as "archives checked".
        report.notes.push(
            "--archive-depth 0: archives were scanned as plain bytes, not opened; a key inside \
             one is not found"
                .into(),
        );
    }
    Ok(Resolved {
        rules,
        min_confidence,
        decode: !options.detection.no_decode,
        report,
        threads: threads(options.threads),
        exclusions,
        named_files: named,
    })
}

/// `later`'s keys over `earlier`'s.
fn merge_verify(earlier: VerifyConfig, later: &VerifyConfig) -> VerifyConfig {
    VerifyConfig {
        enabled: earlier.enabled || later.enabled,
        url: later.url.clone().or(earlier.url),
        concurrency: later.concurrency.or(earlier.concurrency),
        timeout_secs: later.timeout_secs.or(earlier.timeout_secs),
        deadline_secs: later.deadline_secs.or(earlier.deadline_secs),
        cache: later.cache.clone().or(earlier.cache),
        cache_ttl_secs: later.cache_ttl_secs.or(earlier.cache_ttl_secs),
        fail_on: later.fail_on.or(earlier.fail_on),
    }
}

fn parse_level(value: &str, file: &str) -> Result<Confidence, SettingsError> {
    value.parse().map_err(|e: String| SettingsError::Config {
        path: file.to_string(),
        message: format!("min_confidence: {e}"),
    })
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
    let lookup = Lookup::upward(&roots);
    let mut r = resolve(&args.options, &lookup)?;
    r.exclusions.relative(&args.exclude);
    r.exclusions.set_roots(&roots)?;
    let unpack = unpack(&args.options.archives);
    // A root that holds an OCI layout is read as an image and still walked: the walk leaves out
    // only the files the image reader read, so a layout file planted at the top of a repository
    // cannot hide the rest of it. With archives left closed, it is only walked.
    let image_dirs = if unpack.open && unpack.images {
        roots
            .iter()
            .filter(|p| image::sniff_dir(p))
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    Ok(ScanSettings {
        walk: WalkOptions {
            roots,
            respect_ignore: !args.no_ignore,
            follow_links: args.follow,
            threads: r.threads,
            exclude: r.exclusions,
        },
        stdin,
        image_dirs,
        unpack,
        decode: r.decode,
        min_confidence: r.min_confidence,
        rules: r.rules,
        report: r.report,
    })
}

/// The archive flags as bounds. Deliberately not read from any settings file: a scanned tree
/// must not be able to turn archive scanning off or make it stop early.
pub(crate) fn unpack(flags: &ArchiveArgs) -> Unpack {
    Unpack {
        open: flags.archive_depth > 0,
        images: true,
        archive: archive::Limits {
            depth: flags.archive_depth,
            entries: flags.archive_max_entries,
            bytes: flags.archive_max_bytes,
            ratio: flags.archive_max_ratio,
        },
        image: image::Limits::default(),
        read_by_images: Default::default(),
    }
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
        let err = parse_level("severe", "x.toml").unwrap_err().to_string();
        assert!(
            err.contains("x.toml") && err.contains("min_confidence"),
            "{err}"
        );
    }
}
