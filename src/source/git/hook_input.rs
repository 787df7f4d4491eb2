//! What git writes to the pre-push and pre-receive hooks' standard input, parsed; a malformed
//! line is an error naming it.

use super::*;

/// One line of a pre-push hook's standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    pub local_ref: String,
    pub local_oid: Oid,
    pub remote_ref: String,
    pub remote_oid: Oid,
}

/// One line of a pre-receive hook's standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    pub old: Oid,
    pub new: Oid,
    pub name: String,
}

fn parse_oid(s: &str) -> Option<Oid> {
    (s.len() == 40 || s.len() == 64)
        .then(|| Oid::from_str(s).ok())
        .flatten()
}

/// Parses `<local ref> SP <local oid> SP <remote ref> SP <remote oid>` lines.
pub fn parse_pre_push(input: &str) -> Result<Vec<PushUpdate>, GitError> {
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let parsed = match f.as_slice() {
            [lr, lo, rr, ro] => parse_oid(lo).zip(parse_oid(ro)).map(|(lo, ro)| PushUpdate {
                local_ref: lr.to_string(),
                local_oid: lo,
                remote_ref: rr.to_string(),
                remote_oid: ro,
            }),
            _ => None,
        };
        out.push(parsed.ok_or_else(|| GitError::HookInput {
            line: i + 1,
            text: line.to_string(),
            expected: "<local ref> <local oid> <remote ref> <remote oid>",
        })?);
    }
    Ok(out)
}

/// Parses `<old oid> SP <new oid> SP <ref name>` lines.
pub fn parse_pre_receive(input: &str) -> Result<Vec<RefUpdate>, GitError> {
    let mut out = Vec::new();
    for (i, line) in input.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        let parsed = match f.as_slice() {
            [old, new, name] => parse_oid(old)
                .zip(parse_oid(new))
                .map(|(old, new)| RefUpdate {
                    old,
                    new,
                    name: name.to_string(),
                }),
            _ => None,
        };
        out.push(parsed.ok_or_else(|| GitError::HookInput {
            line: i + 1,
            text: line.to_string(),
            expected: "<old oid> <new oid> <ref name>",
        })?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hook_input_parses_and_rejects_garbage() {
        let z = "0".repeat(40);
        let a = "a".repeat(40);
        let pushed = parse_pre_push(&format!("refs/heads/x {a} refs/heads/x {z}\n")).unwrap();
        assert_eq!(pushed.len(), 1);
        assert!(pushed[0].remote_oid.is_zero());
        let received = parse_pre_receive(&format!("{z} {a} refs/heads/main\n\n")).unwrap();
        assert_eq!(received[0].name, "refs/heads/main");
        let err = parse_pre_receive("nonsense\n").unwrap_err().to_string();
        assert!(err.contains("line 1") && err.contains("nonsense"), "{err}");
    }
}
