//! Which commits a scan walks: every ref, a revision or range, or what a push adds beyond what
//! the destination already has.

use super::*;

/// Which commits to walk: everything reachable from `include` and not from `exclude`; and the
/// objects refs lead to that are not commits.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub include: Vec<Oid>,
    pub exclude: Vec<Oid>,
    /// Leave out commits whose committer date is before this (seconds since the epoch).
    pub since: Option<i64>,
    /// True when the selection is everything: every blob of HEAD is then in the walk.
    pub everything: bool,
    /// Annotated tag objects on the way from a selected ref to its target: their messages are
    /// scanned.
    pub tags: Vec<Oid>,
    /// Refs that end at a tree or a blob rather than a commit, with that object: scanned whole.
    pub objects: Vec<(String, Oid)>,
}

impl Selection {
    /// Every commit reachable from any ref (branches, tags, remote-tracking refs, notes, the
    /// stash and its older entries) and from HEAD, every annotated tag on the way, and every
    /// tree or blob a ref points to.
    pub fn all_refs(repo: &Repository, notes: &mut Notes) -> Result<Selection, GitError> {
        let mut sel = Selection::default();
        let refs = repo.references().map_err(git_err("listing refs"))?;
        for r in refs {
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    notes.not_scanned(
                        IncompleteKind::Ref,
                        "(a ref)".into(),
                        format!("cannot read: {}", e.message()),
                    );
                    continue;
                }
            };
            let name = String::from_utf8_lossy(r.name_bytes()).into_owned();
            match r.resolve() {
                Ok(direct) => match direct.target() {
                    Some(id) => sel.add_ref(repo, &name, id, notes),
                    None => notes.not_scanned(
                        IncompleteKind::Ref,
                        name,
                        "cannot resolve: it names no object".into(),
                    ),
                },
                Err(e) => notes.not_scanned(
                    IncompleteKind::Ref,
                    name,
                    format!("cannot resolve: {}", e.message()),
                ),
            }
        }
        // A detached HEAD is a ref of its own; an unborn branch has nothing to scan yet.
        match repo.head() {
            Ok(head) => {
                if let Some(id) = head.target() {
                    sel.add_ref(repo, "HEAD", id, notes);
                }
            }
            Err(e) if matches!(e.code(), ErrorCode::UnbornBranch | ErrorCode::NotFound) => {}
            Err(e) => notes.not_scanned(
                IncompleteKind::Ref,
                "HEAD".into(),
                format!("cannot resolve: {}", e.message()),
            ),
        }
        // `git stash` keeps older stashes only in the reflog of refs/stash.
        if let Ok(log) = repo.reflog("refs/stash") {
            sel.include
                .extend(log.iter().map(|e| e.id_new()).filter(|id| !id.is_zero()));
        }
        sel.everything = true;
        sel.normalize();
        Ok(sel)
    }

    /// Follows the value `id` of ref `name` through annotated tags (whose messages are scanned)
    /// to a commit (walked), a tree or a blob (scanned whole). An object that cannot be read
    /// leaves the ref not scanned.
    fn add_ref(&mut self, repo: &Repository, name: &str, id: Oid, notes: &mut Notes) {
        let mut id = id;
        for _ in 0..TAG_CHAIN_MAX {
            let obj = match repo.find_object(id, None) {
                Ok(obj) => obj,
                Err(e) => {
                    notes.not_scanned(
                        IncompleteKind::Ref,
                        name.to_string(),
                        format!("cannot resolve: object {id}: {}", missing_reason(repo, &e)),
                    );
                    return;
                }
            };
            match obj.kind() {
                Some(ObjectType::Tag) => {
                    self.tags.push(id);
                    match obj.as_tag() {
                        Some(tag) => id = tag.target_id(),
                        None => return,
                    }
                }
                Some(ObjectType::Commit) => {
                    self.include.push(id);
                    return;
                }
                Some(ObjectType::Tree | ObjectType::Blob) => {
                    self.objects.push((name.to_string(), id));
                    return;
                }
                _ => {
                    notes.not_scanned(
                        IncompleteKind::Ref,
                        name.to_string(),
                        format!("object {id} is of an unknown type"),
                    );
                    return;
                }
            }
        }
        notes.not_scanned(
            IncompleteKind::Ref,
            name.to_string(),
            format!("more than {TAG_CHAIN_MAX} tags of tags"),
        );
    }

    /// Sorted and without duplicates, so that the walk is the same however refs were listed.
    fn normalize(&mut self) {
        self.include.sort();
        self.include.dedup();
        self.exclude.sort();
        self.exclude.dedup();
        self.tags.sort();
        self.tags.dedup();
        self.objects.sort();
        self.objects.dedup();
    }

    /// A revision (`main`: it and its ancestors), a range (`A..B`) or a symmetric difference
    /// (`A...B`), as `git rev-parse` understands them.
    pub fn revspec(repo: &Repository, spec: &str) -> Result<Selection, GitError> {
        let bad = |e: git2::Error| GitError::BadRevision {
            spec: spec.to_string(),
            message: e.message().to_string(),
        };
        let rs = repo.revparse(spec).map_err(bad)?;
        let commit_of = |o: &git2::Object<'_>| o.peel_to_commit().map(|c| c.id()).map_err(bad);
        let mut sel = Selection::default();
        let mode = rs.mode();
        if mode.contains(git2::RevparseMode::SINGLE) {
            if let Some(from) = rs.from() {
                sel.include.push(commit_of(from)?);
            }
        } else {
            let from = rs.from().map(commit_of).transpose()?;
            let to = rs.to().map(commit_of).transpose()?;
            if let Some(to) = to {
                sel.include.push(to);
            }
            if mode.contains(git2::RevparseMode::MERGE_BASE) {
                if let Some(from) = from {
                    sel.include.push(from);
                    if let Some(to) = to {
                        if let Ok(base) = repo.merge_base(from, to) {
                            sel.exclude.push(base);
                        }
                    }
                }
            } else if let Some(from) = from {
                sel.exclude.push(from);
            }
        }
        Ok(sel)
    }

    /// What a `git push` sends to `destination`: everything the pushed values reach (commits,
    /// tags, trees, blobs) that neither the remote's current value of each ref nor
    /// `destination`'s remote-tracking refs reach. Commits that only *another* remote has are
    /// still sent, so they are scanned. Deletions send nothing.
    pub fn pushed(
        repo: &Repository,
        updates: &[PushUpdate],
        destination: &Destination,
        notes: &mut Notes,
    ) -> Result<Selection, GitError> {
        let mut sel = Selection::default();
        for u in updates {
            if u.local_oid.is_zero() || u.local_oid == u.remote_oid {
                continue;
            }
            sel.add_ref(repo, &u.local_ref, u.local_oid, notes);
            if !u.remote_oid.is_zero() {
                // The remote's value, if this repository has it, and what it reaches.
                if let Ok(c) = repo
                    .find_object(u.remote_oid, None)
                    .and_then(|o| o.peel_to_commit())
                {
                    sel.exclude.push(c.id());
                }
            }
        }
        for prefix in &destination.tracking {
            sel.exclude.extend(ref_tips(repo, Some(prefix))?);
        }
        sel.normalize();
        Ok(sel)
    }

    /// The commits a push brings to this (server) repository: reachable from the new values
    /// and from no existing ref, with the tags, trees and blobs pushed refs lead to. Run before
    /// the refs are updated, so existing refs are the old state. Deletions bring nothing.
    pub fn received(
        repo: &Repository,
        updates: &[RefUpdate],
        notes: &mut Notes,
    ) -> Result<Selection, GitError> {
        let mut sel = Selection::default();
        for u in updates {
            if !u.new.is_zero() && u.new != u.old {
                sel.add_ref(repo, &u.name, u.new, notes);
            }
        }
        sel.exclude.extend(ref_tips(repo, None)?);
        sel.normalize();
        Ok(sel)
    }
}

/// Where a push goes, as far as this repository knows it: the ref prefixes under which it keeps
/// that remote's branches (`refs/remotes/origin/` for `origin`, from the remote's fetch
/// refspecs). Empty for a URL that is no configured remote: then only the remote's own values
/// of the pushed refs count as already there.
#[derive(Debug, Clone, Default)]
pub struct Destination {
    pub tracking: Vec<String>,
}

impl Destination {
    /// The destination named `remote` (a remote name, or a URL as git passes it when the push
    /// names no remote).
    pub fn of_remote(repo: &Repository, remote: &str) -> Destination {
        let mut tracking = Vec::new();
        let found = repo.find_remote(remote).ok().or_else(|| {
            // `git push URL` passes the URL twice; a configured remote with that URL is the same
            // destination.
            let names = repo.remotes().ok()?;
            names
                .iter()
                .flatten()
                .filter_map(|n| repo.find_remote(n).ok())
                .find(|r| r.url() == Some(remote) || r.pushurl() == Some(remote))
        });
        if let Some(r) = found {
            if let Ok(specs) = r.fetch_refspecs() {
                for spec in specs.iter().flatten() {
                    // `+refs/heads/*:refs/remotes/origin/*` keeps the remote's branches under
                    // `refs/remotes/origin/`.
                    let Some((_, dst)) = spec.trim_start_matches('+').split_once(':') else {
                        continue;
                    };
                    let prefix = dst.split('*').next().unwrap_or(dst);
                    if prefix.starts_with("refs/") && prefix.ends_with('/') {
                        tracking.push(prefix.to_string());
                    } else if !dst.contains('*') && dst.starts_with("refs/") {
                        tracking.push(dst.to_string());
                    }
                }
            }
        }
        tracking.sort();
        tracking.dedup();
        Destination { tracking }
    }
}

/// The commits the refs (under `prefix`, if given) point to.
fn ref_tips(repo: &Repository, prefix: Option<&str>) -> Result<Vec<Oid>, GitError> {
    let mut tips = Vec::new();
    for r in repo
        .references()
        .map_err(git_err("listing refs"))?
        .flatten()
    {
        if prefix.is_some_and(|p| !r.name_bytes().starts_with(p.as_bytes())) {
            continue;
        }
        if let Ok(c) = r.peel_to_commit() {
            tips.push(c.id());
        }
    }
    Ok(tips)
}
