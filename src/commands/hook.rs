//! `lushaguard hook`: installing client-side hooks, and running as git's pre-push and
//! pre-receive hooks. Both hooks read git's ref lines from standard input (or, under the
//! pre-commit framework, its environment), turn them into what the push adds
//! (`source::git::Selection`: new commits, tag messages, refs to blobs and trees), scan it like
//! `lushaguard git` does, and report on stderr (git relays a server hook's stderr to the
//! pusher). Every new commit's blobs are scanned, not only the final trees: a key added and
//! removed within one push is still in the history being pushed. pre-push counts as already
//! sent only what the destination remote has. An installed hook that replaced the user's own
//! runs that one first, so the user's checks keep working; `hook uninstall` is the exact
//! inverse of `hook install`: it removes only the hooks lushaguard wrote and puts back the ones
//! they replaced. A hook's report ends with advice for its situation (nothing was committed;
//! nothing was pushed), not the rules' remediation for a key already in shared history.

use super::pipeline;
use crate::cli::{HookCommand, ScanOptions};
use crate::engine::git::GitScan;
use crate::engine::history::History;
use crate::report::style::Role;
use crate::source::git::{self as git_source, Destination, Notes, Opener, Selection};
use anyhow::{bail, Context, Result};
use git2::Repository;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The line that marks a hook file as ours (so reinstalling may replace it).
pub const MARKER: &str = "# lushaguard-hook:";

pub fn run(command: &HookCommand) -> Result<u8> {
    match command {
        HookCommand::Install {
            repo,
            pre_push,
            force,
        } => install(repo.as_deref(), *pre_push, *force),
        HookCommand::Uninstall { repo } => uninstall(repo.as_deref()),
        HookCommand::PrePush { remote, url, scan } => {
            pre_push(remote.as_deref(), url.as_deref(), scan)
        }
        HookCommand::PreReceive { scan } => pre_receive(scan),
    }
}

fn read_stdin() -> Result<String> {
    let mut input = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut input)
        .context("reading the hook's standard input")?;
    Ok(String::from_utf8_lossy(&input).into_owned())
}

/// Scans `selection` and writes the report where a hook's output belongs: `--output`, else
/// stderr. Returns the exit status, with `advice` printed after a report with findings.
fn scan_and_report(
    repo: &Repository,
    scan_args: &ScanOptions,
    range: Option<(git2::Oid, git2::Oid)>,
    selection: Selection,
    notes: Notes,
    advice: String,
) -> Result<u8> {
    let opener = Opener::Env;
    let mut scan = GitScan::for_range(repo, scan_args, range)?;
    scan.report.advice = Some(advice);
    let collected = History {
        opener: &opener,
        repo,
        selection: &selection,
        scan: &scan,
        notes,
        head_presence: false,
    }
    .collect()?;
    let code = pipeline::deliver_to(
        &scan.detector,
        collected,
        scan.min,
        &scan.report,
        super::Console::Stderr,
    )?;
    if code == super::EXIT_ERROR {
        let style = super::Console::Stderr.style();
        let _ = writeln!(
            io::stderr(),
            "\n{} not everything in this push could be scanned (listed above), so lushaguard \
             cannot say it holds no key. `git fsck` lists what is missing or corrupt; repair it \
             and push again.",
            style.paint(Role::Error, "lushaguard: blocked:")
        );
    }
    Ok(code)
}

/// What to do when a commit is blocked (`git --staged`, the pre-commit hook). Nothing reached
/// history, so there is nothing to rewrite or force-push.
pub fn commit_advice() -> String {
    "lushaguard: commit blocked: the staged changes above add Lusha API keys. Nothing was \
     committed.\n\
     1. Take each key out of the staged files: read it from an environment variable or a secret \
     store instead, then `git add` the files again and commit.\n\
     2. If the key has been anywhere else (another branch, a pushed commit, a chat, a ticket), \
     rotate it: Lusha dashboard → API → Manage API Keys.\n\
     A false positive? Add a `lushaguard:allow` comment to the line, or list the key's \
     fingerprint in `.lushaguardignore` (`lushaguard git --staged --format json` prints it)."
        .to_string()
}

/// Why an inline mark cannot clear a push, and what can: the commits already hold the line.
fn history_false_positive(base: &str) -> String {
    format!(
        "A false positive? A `lushaguard:allow` comment added in a new commit cannot change the \
         commits above, which already hold the line without it. Either put the comment on the \
         line in the commit that adds it (`git rebase -i`), or list the key's fingerprint in \
         `.lushaguardignore` on {base} (suppression settings are read from there, not from the \
         commits being pushed; `lushaguard git --range <base>..HEAD --format json` prints the \
         fingerprints)."
    )
}

fn pre_push(remote: Option<&str>, _url: Option<&str>, args: &ScanOptions) -> Result<u8> {
    let repo = Opener::Env.open()?;
    let mut updates = git_source::parse_pre_push(&read_stdin()?)?;
    if updates.is_empty() {
        updates.extend(pre_commit_framework_push(&repo)?);
    }
    // Under the pre-commit framework the hook gets no arguments; the remote is in the
    // environment.
    let framework_remote = env_value("PRE_COMMIT_REMOTE_NAME");
    let remote = remote.or(framework_remote.as_deref());
    let destination = remote
        .map(|r| Destination::of_remote(&repo, r))
        .unwrap_or_default();
    let upstream = remote.unwrap_or("<remote>");
    let advice = format!(
        "lushaguard: push blocked: the commits above add Lusha API keys. Nothing was pushed.\n\
         1. Rotate each key now: Lusha dashboard → API → Manage API Keys. A committed key must \
         be treated as leaked.\n\
         2. Take it out of the unpushed commits: `git rebase -i {upstream}/<branch>` and edit \
         the commits that add it (or `git filter-repo --replace-text`), then push again.\n\
         {}",
        history_false_positive(&format!("the branch of `{upstream}` you push to"))
    );
    let range = push_base(&repo, &updates, upstream);
    let mut notes = Notes::default();
    let selection = Selection::pushed(&repo, &updates, &destination, &mut notes)?;
    scan_and_report(&repo, args, range, selection, notes, advice)
}

/// A non-empty environment variable.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|s| !s.is_empty())
}

/// The pre-commit framework reads git's pre-push lines itself (the first one that pushes
/// something) and hands its hooks the range in `PRE_COMMIT_TO_REF` (the local value) and
/// `PRE_COMMIT_FROM_REF` (the remote's, or the parent of the first commit the remote lacks). On
/// a push whose every commit is new, such as the first push to an empty remote, it sets neither,
/// only `PRE_COMMIT_LOCAL_BRANCH`, `PRE_COMMIT_REMOTE_BRANCH` and `PRE_COMMIT_REMOTE_NAME`: then
/// every commit of the local ref that the destination lacks is scanned.
fn pre_commit_framework_push(repo: &Repository) -> Result<Option<git_source::PushUpdate>> {
    let local_ref = env_value("PRE_COMMIT_LOCAL_BRANCH");
    let Some(to) = env_value("PRE_COMMIT_TO_REF").or_else(|| local_ref.clone()) else {
        return Ok(None);
    };
    let resolve = |spec: &str| -> Result<git2::Oid> {
        repo.revparse_single(spec)
            .map(|o| o.id())
            .with_context(|| format!("pre-commit's ref `{spec}` is not in this repository"))
    };
    let from = match env_value("PRE_COMMIT_FROM_REF") {
        Some(s) => resolve(&s)?,
        None => git2::Oid::zero(),
    };
    Ok(Some(git_source::PushUpdate {
        local_ref: local_ref.unwrap_or_else(|| to.clone()),
        local_oid: resolve(&to)?,
        remote_ref: env_value("PRE_COMMIT_REMOTE_BRANCH").unwrap_or_default(),
        remote_oid: from,
    }))
}

fn pre_receive(args: &ScanOptions) -> Result<u8> {
    let repo = Opener::Env.open()?;
    let updates = git_source::parse_pre_receive(&read_stdin()?)?;
    let advice = format!(
        "lushaguard: push rejected: the commits above add Lusha API keys. Nothing was written \
         to this repository.\n\
         1. Rotate each key now: Lusha dashboard → API → Manage API Keys. A pushed key must be \
         treated as leaked, even if a later commit removed it.\n\
         2. Rewrite your local history so no commit holds the key: `git rebase -i \
         <remote>/<branch>` and edit the commits that add it, or `git filter-repo \
         --replace-text`, then push again.\n\
         {}",
        history_false_positive("the branch you push to")
    );
    let range = receive_base(&repo, &updates);
    let mut notes = Notes::default();
    let selection = Selection::received(&repo, &updates, &mut notes)?;
    scan_and_report(&repo, args, range, selection, notes, advice)
}

/// Where a push's suppression settings come from: the remote's current tip of the first
/// updated branch it already has, else the remote's default branch; `None` when the remote
/// has nothing yet. The pushed commits cannot then suppress their own findings.
fn push_base(
    repo: &Repository,
    updates: &[git_source::PushUpdate],
    remote: &str,
) -> Option<(git2::Oid, git2::Oid)> {
    let pushed: Vec<git2::Oid> = updates
        .iter()
        .map(|u| u.local_oid)
        .filter(|oid| !oid.is_zero())
        .collect();
    let known = |oid: git2::Oid| repo.find_commit(oid).is_ok();
    let base = updates
        .iter()
        .find(|u| !u.local_oid.is_zero() && !u.remote_oid.is_zero() && known(u.remote_oid))
        .map(|u| u.remote_oid)
        .or_else(|| {
            let head = repo
                .find_reference(&format!("refs/remotes/{remote}/HEAD"))
                .ok()?
                .peel_to_commit()
                .ok()?;
            Some(head.id())
        })?;
    Some((base, pushed_tip(repo, &pushed, base)))
}

/// The commit whose settings a push's are compared with the base's: the first pushed value that
/// is a commit (or a tag of one). A push of only blobs or trees changes no settings: the base
/// itself.
fn pushed_tip(repo: &Repository, pushed: &[git2::Oid], base: git2::Oid) -> git2::Oid {
    pushed
        .iter()
        .find_map(|&oid| {
            repo.find_object(oid, None)
                .and_then(|o| o.peel_to_commit())
                .ok()
                .map(|c| c.id())
        })
        .unwrap_or(base)
}

/// Where a received push's suppression settings come from: the current value of the first
/// updated branch that exists, else this repository's HEAD (its default branch); `None` for
/// an empty repository.
fn receive_base(
    repo: &Repository,
    updates: &[git_source::RefUpdate],
) -> Option<(git2::Oid, git2::Oid)> {
    let pushed: Vec<git2::Oid> = updates
        .iter()
        .map(|u| u.new)
        .filter(|oid| !oid.is_zero())
        .collect();
    if pushed.is_empty() {
        return None;
    }
    let base = updates
        .iter()
        .find(|u| !u.new.is_zero() && !u.old.is_zero() && repo.find_commit(u.old).is_ok())
        .map(|u| u.old)
        .or_else(|| Some(repo.head().ok()?.peel_to_commit().ok()?.id()))?;
    Some((base, pushed_tip(repo, &pushed, base)))
}

/// Where git looks for hooks: `core.hooksPath` (relative to the work tree, or to the git
/// directory of a bare repository), else `hooks/` in the common git directory (shared by all
/// worktrees).
pub fn hooks_dir(repo: &Repository) -> Result<PathBuf> {
    let config = repo.config().context("reading git config")?;
    if let Ok(p) = config.get_path("core.hooksPath") {
        if p.is_absolute() {
            return Ok(p);
        }
        let base = repo.workdir().unwrap_or_else(|| repo.path());
        return Ok(base.join(p));
    }
    Ok(repo.commondir().join("hooks"))
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The comment line naming the hook a lushaguard hook replaced and runs first.
const PREVIOUS: &str = "# lushaguard-previous-hook:";

/// A hook script: the hook it replaced first (if any), then lushaguard from PATH, else the
/// binary that installed the hook. `previous` is a file name in the hooks directory; the script
/// finds it next to itself, so moving the repository keeps the chain.
fn script(hook: &str, args: &str, fallback: &Path, previous: Option<&str>) -> String {
    let fallback = shell_quote(&fallback.display().to_string());
    let verb = if hook == "pre-push" { "push" } else { "commit" };
    let mut s = format!(
        "#!/bin/sh\n\
         {MARKER} {hook} (installed by `lushaguard hook install`; reinstalling replaces this file)\n\
         # Stops Lusha API keys before they leave this machine. Skip once: git {verb} --no-verify\n"
    );
    // Standard input (a pre-push hook's ref lines) goes to both hooks.
    let mut feed = "";
    if let Some(previous) = previous {
        let quoted = shell_quote(previous);
        s.push_str(&format!(
            "{PREVIOUS} {previous}\n\
             # The hook this one replaced runs first, with the same arguments, so its checks keep \
             working.\n\
             previous=\"$(dirname \"$0\")\"/{quoted}\n\
             if [ ! -e \"$previous\" ]; then\n  \
             echo \"lushaguard: the earlier {hook} hook $previous is gone; restore it, or run \
             \\`lushaguard hook install\\` again to stop running it\" >&2\n  exit 1\nfi\n"
        ));
        if hook == "pre-push" {
            s.push_str(
                "input=$(cat)\n\
                 feed() { if [ -n \"$input\" ]; then printf '%s\\n' \"$input\"; fi; }\n\
                 if [ -x \"$previous\" ]; then\n  feed | \"$previous\" \"$@\" || exit $?\nfi\n",
            );
            feed = "feed | ";
        } else {
            s.push_str("if [ -x \"$previous\" ]; then\n  \"$previous\" \"$@\" || exit $?\nfi\n");
        }
    }
    let run = |cmd: &str| {
        if feed.is_empty() {
            format!("exec {cmd} {args}")
        } else {
            format!("{feed}{cmd} {args}; exit $?")
        }
    };
    s.push_str(&format!(
        "if command -v lushaguard >/dev/null 2>&1; then\n  {}\nfi\n\
         if [ -x {fallback} ]; then\n  {}\nfi\n\
         echo \"lushaguard: not found on PATH nor at \"{fallback}\"; install it or remove $0\" >&2\n\
         exit 1\n",
        run("lushaguard"),
        run(&fallback),
    ));
    s
}

/// The hook an installed lushaguard hook runs first, as its script names it: a plain file name
/// in the same directory (anything else is not something `install` wrote, and is ignored).
fn previous_name(script: &str) -> Option<&str> {
    let name = script
        .lines()
        .find_map(|l| l.strip_prefix(PREVIOUS))?
        .trim();
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    plain.then_some(name)
}

/// The hook an installed lushaguard hook runs first, if it names one that is still there.
fn chained_previous(script: &str, dir: &Path) -> Option<String> {
    previous_name(script)
        .filter(|name| dir.join(name).symlink_metadata().is_ok())
        .map(str::to_string)
}

/// The first backup name not taken: `<hook>.bak`, then `<hook>.bak.1`, `<hook>.bak.2`, ...
fn free_backup_name(dir: &Path, hook: &str) -> Result<String> {
    for n in 0..10_000u32 {
        let name = if n == 0 {
            format!("{hook}.bak")
        } else {
            format!("{hook}.bak.{n}")
        };
        if std::fs::symlink_metadata(dir.join(&name)).is_err() {
            return Ok(name);
        }
    }
    bail!("{}: too many {hook}.bak files", dir.display())
}

fn install(repo: Option<&Path>, pre_push: bool, force: bool) -> Result<u8> {
    let opener = match repo {
        Some(p) => Opener::Path(p.to_path_buf()),
        None => Opener::Path(PathBuf::from(".")),
    };
    let repo = opener.open()?;
    let dir = hooks_dir(&repo)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let exe = std::env::current_exe().context("cannot locate the lushaguard binary")?;
    let mut hooks = vec![("pre-commit", "git --staged --no-progress")];
    if pre_push {
        hooks.push(("pre-push", "hook pre-push --no-progress \"$@\""));
    }
    // Check every hook before writing any, so a refusal leaves nothing half-installed.
    for (name, _) in &hooks {
        let path = dir.join(name);
        let ours = std::fs::read_to_string(&path).is_ok_and(|s| s.contains(MARKER));
        if std::fs::symlink_metadata(&path).is_ok() && !ours && !force {
            bail!(
                "{} exists and was not installed by lushaguard; pass --force to replace it \
                 (it is kept as a numbered {name}.bak and still runs before lushaguard)",
                path.display()
            );
        }
    }
    let mut out = io::stdout().lock();
    for (name, args) in hooks {
        let path = dir.join(name);
        let existing = std::fs::read_to_string(&path).ok();
        let previous = match existing {
            // Reinstalling over our own hook keeps the hook it already runs first.
            Some(text) if text.contains(MARKER) => chained_previous(&text, &dir),
            _ if std::fs::symlink_metadata(&path).is_ok() => {
                // Never overwrite an earlier backup: each replaced hook gets its own name.
                let backup = free_backup_name(&dir, name)?;
                std::fs::rename(&path, dir.join(&backup))
                    .with_context(|| format!("cannot move {} aside", path.display()))?;
                let _ = writeln!(
                    out,
                    "kept the previous {name} hook as {}; it runs before lushaguard",
                    dir.join(&backup).display()
                );
                Some(backup)
            }
            _ => None,
        };
        std::fs::write(&path, script(name, args, &exe, previous.as_deref()))
            .with_context(|| format!("cannot write {}", path.display()))?;
        make_executable(&path)?;
        let _ = writeln!(out, "installed the {name} hook at {}", path.display());
    }
    Ok(super::EXIT_CLEAN)
}

/// The hooks `install` may write.
const HOOKS: [&str; 2] = ["pre-commit", "pre-push"];

/// Undoes `install`: each hook lushaguard wrote is replaced by the hook it replaced (moved back
/// from its `.bak` name, mode and all), or removed when it replaced none. When the hook put back
/// is itself one lushaguard wrote, that one is undone too, down to the user's own. A hook
/// lushaguard did not write is never touched.
fn uninstall(repo: Option<&Path>) -> Result<u8> {
    let opener = Opener::Path(repo.map_or_else(|| PathBuf::from("."), Path::to_path_buf));
    let repo = opener.open()?;
    let dir = hooks_dir(&repo)?;
    let mut out = io::stdout().lock();
    let mut undone = 0;
    for name in HOOKS {
        let path = dir.join(name);
        // Each round undoes one install; a chain cannot be longer than the backups it names.
        for round in 0..10_000 {
            let Ok(bytes) = std::fs::read(&path) else {
                break;
            };
            let text = String::from_utf8_lossy(&bytes);
            if !text.contains(MARKER) {
                if round == 0 {
                    let _ = writeln!(
                        out,
                        "left the {name} hook at {} alone: lushaguard did not install it",
                        path.display()
                    );
                }
                break;
            }
            undone += 1;
            match previous_name(&text).filter(|p| *p != name) {
                Some(previous) if dir.join(previous).symlink_metadata().is_ok() => {
                    let from = dir.join(previous);
                    // A rename replaces our script in one step: there is never a moment
                    // without a hook, and the user's keeps its mode and content.
                    std::fs::rename(&from, &path).with_context(|| {
                        format!("cannot move {} back to {}", from.display(), path.display())
                    })?;
                    let _ = writeln!(
                        out,
                        "removed the lushaguard {name} hook and put back the one it replaced \
                         ({previous})"
                    );
                }
                Some(previous) => {
                    std::fs::remove_file(&path)
                        .with_context(|| format!("cannot remove {}", path.display()))?;
                    let _ = writeln!(
                        out,
                        "removed the lushaguard {name} hook; the hook it replaced ({previous}) \
                         was already gone"
                    );
                    break;
                }
                None => {
                    std::fs::remove_file(&path)
                        .with_context(|| format!("cannot remove {}", path.display()))?;
                    let _ = writeln!(out, "removed the lushaguard {name} hook");
                    break;
                }
            }
        }
    }
    if undone == 0 {
        let _ = writeln!(out, "no lushaguard hook in {}", dir.display());
    }
    Ok(super::EXIT_CLEAN)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_scripts_quote_the_fallback_and_carry_the_marker() {
        let s = script(
            "pre-commit",
            "git --staged",
            Path::new("/opt/it's here/lushaguard"),
            None,
        );
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains(MARKER));
        assert!(s.contains(r"'/opt/it'\''s here/lushaguard'"), "{s}");
        assert!(s.contains("exec lushaguard git --staged\n"));
    }
}
