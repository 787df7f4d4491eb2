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
use crate::engine::{Engine, Source};
use crate::source::git::{Notes, Opener, Selection};
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
    let opener = match &args.repo {
        Some(p) => Opener::Path(p.clone()),
        None => Opener::Env,
    };
    let repo = opener.open()?;
    if args.staged {
        let mut scan = GitScan::staged(&repo, &args.scan)?;
        // The pre-commit hook's command: what to do about a commit, not about history.
        scan.report.advice = Some(super::hook::commit_advice());
        let engine = Engine::new(
            &scan.detector,
            scan.min,
            scan.report.progress,
            "scanning staged changes",
        );
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
    let scan = GitScan::for_range(&repo, &args.scan, range)?;
    // Parsed (and checked to be a date) by the command line.
    if let Some(since) = args.since {
        selection.since = Some(since);
        selection.everything = false;
    }
    let collected = History {
        opener: &opener,
        repo: &repo,
        selection: &selection,
        scan: &scan,
        notes,
        head_presence: true,
    }
    .collect()?;
    pipeline::deliver(&scan.detector, collected, scan.min, &scan.report)
}
