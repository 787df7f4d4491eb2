//! Single objects as reports need them: a blob read whole, HEAD's blobs, what a commit replaced,
//! and a commit's or tag's metadata.

use super::*;

/// Every blob id in HEAD's tree, sorted; `None` when HEAD has no commit (an unborn branch).
pub fn head_blobs(repo: &Repository) -> Result<Option<Vec<Oid>>, GitError> {
    let Ok(head) = repo.head() else {
        return Ok(None);
    };
    let Ok(tree) = head.peel_to_tree() else {
        return Ok(None);
    };
    let mut blobs = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |_, e| {
        if e.kind() == Some(ObjectType::Blob) && e.filemode() != MODE_LINK {
            blobs.push(e.id());
        }
        git2::TreeWalkResult::Ok
    })
    .map_err(git_err("reading HEAD's tree"))?;
    blobs.sort_unstable();
    blobs.dedup();
    Ok(Some(blobs))
}

/// A path that `commit` changed or deleted relative to its first parent.
#[derive(Debug, Clone)]
pub struct Replaced {
    pub path: Vec<u8>,
    /// The blob the path held before.
    pub old: Oid,
    /// The blob it holds now; `None` when it was deleted.
    pub new: Option<Oid>,
}

/// What `commit` changed or took away relative to its first parent.
pub fn replaced_blobs(repo: &Repository, commit: Oid) -> Vec<Replaced> {
    let Ok(c) = repo.find_commit(commit) else {
        return Vec::new();
    };
    let (Ok(tree), Ok(parent)) = (c.tree(), c.parent(0).and_then(|p| p.tree())) else {
        return Vec::new();
    };
    let Ok(diff) = repo.diff_tree_to_tree(Some(&parent), Some(&tree), None) else {
        return Vec::new();
    };
    diff.deltas()
        .filter_map(|d| {
            let new = match d.status() {
                Delta::Deleted => None,
                Delta::Modified | Delta::Typechange => Some(d.new_file().id()),
                _ => return None,
            };
            Some(Replaced {
                path: d.old_file().path_bytes().unwrap_or_default().to_vec(),
                old: d.old_file().id(),
                new,
            })
        })
        .collect()
}

/// Reads one blob, whole.
pub fn read_blob(repo: &Repository, id: Oid) -> Result<Vec<u8>, GitError> {
    repo.find_blob(id)
        .map(|b| b.content().to_vec())
        .map_err(git_err(format!("blob {id}: cannot read")))
}

/// A commit as reports show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitMeta {
    pub id: String,
    pub author: String,
    pub email: String,
    /// Author date, RFC 3339, in the author's own offset.
    pub date: String,
    pub summary: String,
}

pub fn commit_meta(repo: &Repository, id: Oid) -> Result<CommitMeta, GitError> {
    let c = repo
        .find_commit(id)
        .map_err(git_err(format!("commit {id}: cannot read")))?;
    let author = c.author();
    let when = author.when();
    Ok(CommitMeta {
        id: id.to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: rfc3339(when.seconds(), when.offset_minutes()),
        summary: c
            .summary_bytes()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_default(),
    })
}

/// An annotated tag as reports show it, in the fields of a commit: the tag object's id, the
/// tagger, the tag date, and `tag NAME: ` before the first line of its message.
pub fn tag_meta(repo: &Repository, id: Oid) -> Result<CommitMeta, GitError> {
    let t = repo
        .find_tag(id)
        .map_err(git_err(format!("tag {id}: cannot read")))?;
    let name = String::from_utf8_lossy(t.name_bytes()).into_owned();
    let first = t
        .message_bytes()
        .and_then(|m| {
            m.split(|&b| b == b'\n')
                .find(|l| !l.trim_ascii().is_empty())
        })
        .map(|l| String::from_utf8_lossy(l.trim_ascii()).into_owned())
        .unwrap_or_default();
    let (author, email, date) = match t.tagger() {
        Some(s) => (
            String::from_utf8_lossy(s.name_bytes()).into_owned(),
            String::from_utf8_lossy(s.email_bytes()).into_owned(),
            rfc3339(s.when().seconds(), s.when().offset_minutes()),
        ),
        None => (String::new(), String::new(), String::new()),
    };
    Ok(CommitMeta {
        id: id.to_string(),
        author,
        email,
        date,
        summary: format!("tag {name}: {first}"),
    })
}
