//! `lushaguard git`: history and the index as sources (`engine::history`, `engine::staged`).
//! Each history finding is attributed to the earliest commit that introduced its key at its
//! path, and says whether the key is still in HEAD; `--staged` scans the index blobs that differ
//! from HEAD and keeps only findings on added lines. The hooks (`commands::hook`) run the same
//! sources.

use super::pipeline;
use crate::cli::GitArgs;
use crate::engine::git::GitScan;
use crate::engine::history::History;
use crate::engine::staged::Staged;
use crate::engine::Source;
use crate::model::Provenance;
use crate::source::git::{Notes, Opener, Selection};
use crate::source::remote;
use anyhow::Result;
use git2::Oid;

/// The range a `--range` selection stands for: (base, tip), when it has a base.
pub fn range_of(selection: &Selection) -> Option<(Oid, Oid)> {
    match (selection.exclude.first(), selection.include.first()) {
        (Some(base), Some(tip)) => Some((*base, *tip)),
        _ => None,
    }
}

pub fn run(args: &GitArgs) -> Result<u8> {
    // A URL is cloned first; the clone lives (and a temporary one is removed) with `mirror`.
    let mirror = clone_remote(args)?;
    let opener = match (&mirror, &args.repo) {
        (Some(m), _) => Opener::Path(m.path().to_path_buf()),
        (None, Some(p)) => Opener::Path(p.clone()),
        (None, None) => Opener::Env,
    };
    let repo = opener.open()?;
    if args.staged {
        let mut scan = GitScan::staged(&repo, &args.scan)?;
        // The pre-commit hook's command: what to do about a commit, not about history.
        scan.report.advice = Some(super::hook::commit_advice());
        let engine = scan.engine("scanning staged changes");
        Staged {
            opener: &opener,
            repo: &repo,
            scan: &scan,
        }
        .scan(&engine)?;
        return pipeline::deliver(&scan.detector, engine.finish(), scan.min, &scan.report);
    }
    let mut notes = Notes::default();
    let mut selection = match (&args.range, &args.branch) {
        (Some(spec), _) | (None, Some(spec)) => Selection::revspec(&repo, spec)?,
        (None, None) => Selection::all_refs(&repo, &mut notes)?,
    };
    let range = args.range.as_ref().and_then(|_| range_of(&selection));
    let mut scan = GitScan::for_range(&repo, &args.scan, range)?;
    scan.report
        .notes
        .extend(mirror.as_ref().map(remote::Mirror::describe));
    // Parsed (and checked to be a date) by the command line.
    if let Some(since) = args.since {
        selection.since = Some(since);
        selection.everything = false;
    }
    let mut history = History {
        opener: &opener,
        repo: &repo,
        selection: &selection,
        scan: &scan,
        notes,
        head_presence: true,
    };
    let collected = match &mirror {
        None => history.collect()?,
        Some(m) => {
            // Every finding of a clone names the repository it came from (without credentials).
            let url = m.url().shown().to_string();
            let wrap = move |inner: Provenance| Provenance::Remote {
                url: url.clone(),
                inner: Box::new(inner),
            };
            let engine = scan.engine("scanning history");
            history.scan(&engine.within(&wrap))?;
            engine.finish()
        }
    };
    pipeline::deliver(&scan.detector, collected, scan.min, &scan.report)
}

/// `git URL`: the URL cloned (every ref, bare), or `None` for a local repository.
fn clone_remote(args: &GitArgs) -> Result<Option<remote::Mirror>> {
    let url = match &args.repo {
        Some(repo) => remote::RemoteUrl::from_argument(repo)?,
        None => None,
    };
    let usage = |message: String| Err(super::UsageError(message).into());
    match url {
        Some(url) if args.staged => {
            usage(format!("{url}: --staged scans an index; a URL has none"))
        }
        Some(url) => {
            let options = remote::CloneOptions {
                dir: args.clone_dir.clone(),
                timeout: args.clone_timeout.map(std::time::Duration::from_secs),
            };
            Ok(Some(remote::mirror(url, &options)?))
        }
        None if args.clone_dir.is_some() || args.clone_timeout.is_some() => {
            usage("--clone-dir and --clone-timeout are for a repository URL".into())
        }
        None => Ok(None),
    }
}
