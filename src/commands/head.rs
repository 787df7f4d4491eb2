//! Which commit a scanned directory is at, for the report formats that must name one (GitLab's
//! report wants a commit per finding; it and JUnit want a time, and the commit's date serves
//! where the clock would make reports differ run to run). Asks the `git` program with two
//! plumbing commands, `rev-parse` and `cat-file`, whose output no user setting changes; outside a
//! repository, or without git, there is no commit and the formats say so their own way.

use crate::report::HeadCommit;
use std::path::Path;
use std::process::{Command, Stdio};

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    String::from_utf8(out.stdout).ok()
}

/// HEAD of the repository that holds `dir`, with its committer date.
pub fn head_commit(dir: &Path) -> Option<HeadCommit> {
    let id = git(dir, &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"])?;
    let id = id.trim();
    if !matches!(id.len(), 40 | 64) || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let object = git(dir, &["cat-file", "commit", id])?;
    let seconds = committer_time(&object)?;
    Some(HeadCommit {
        id: id.to_string(),
        time: utc(seconds),
    })
}

/// The committer time (seconds since the epoch) of a raw commit object:
/// `committer Name <email> 1700000000 +0200`.
fn committer_time(object: &str) -> Option<i64> {
    let line = object
        .lines()
        .take_while(|l| !l.is_empty())
        .find(|l| l.starts_with("committer "))?;
    let mut fields = line.rsplitn(3, ' ');
    let _zone = fields.next()?;
    fields.next()?.parse().ok()
}

/// Seconds since the epoch as UTC `YYYY-MM-DDTHH:MM:SS` (the proleptic Gregorian calendar,
/// after Howard Hinnant's `civil_from_days`).
pub fn utc(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rem = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_become_utc() {
        assert_eq!(utc(0), "1970-01-01T00:00:00");
        // `date -u -d @1700000000 +%FT%T`
        assert_eq!(utc(1_700_000_000), "2023-11-14T22:13:20");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(utc(-1), "1969-12-31T23:59:59");
    }

    #[test]
    fn committer_time_is_read_from_the_commit_object() {
        let object = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
                      author A U Thor <a@example.com> 1600000000 +0200\n\
                      committer C O Mitter <c@example.com> 1700000000 -0500\n\
                      \n\
                      committer 1 +0000 in the message is not read\n";
        assert_eq!(committer_time(object), Some(1_700_000_000));
    }
}
