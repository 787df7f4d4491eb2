//! The hosts of the URLs in a window (`https://api.partner-crm.io/v1` → `api.partner-crm.io`),
//! found once per window with a search for `://`. A credential sent with a request to another
//! service's host is that service's credential, whatever the file says elsewhere; sent to the
//! rule's own host, it is tied to the rule's service.

/// One URL host: its byte range in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    pub start: usize,
    pub end: usize,
}

/// Every URL host in `text`, in order.
pub fn find(text: &[u8]) -> Vec<Host> {
    let mut out = Vec::new();
    for sep in memchr::memmem::find_iter(text, b"://") {
        // The scheme must be a word right before `://` (`https`, `wss`), not `file` paths.
        let scheme_start = text[..sep]
            .iter()
            .rposition(|b| !b.is_ascii_alphanumeric())
            .map_or(0, |p| p + 1);
        let scheme = &text[scheme_start..sep];
        if !(scheme.eq_ignore_ascii_case(b"http")
            || scheme.eq_ignore_ascii_case(b"https")
            || scheme.eq_ignore_ascii_case(b"ws")
            || scheme.eq_ignore_ascii_case(b"wss"))
        {
            continue;
        }
        let mut start = sep + 3;
        let mut end = start;
        while end < text.len() && is_host_byte(text[end]) {
            end += 1;
        }
        // `user:pass@host:port`: the host follows the last `@` and ends at the port.
        if let Some(at) = text[start..end].iter().rposition(|&b| b == b'@') {
            start += at + 1;
        }
        if let Some(colon) = text[start..end].iter().position(|&b| b == b':') {
            end = start + colon;
        }
        while end > start && text[end - 1] == b'.' {
            end -= 1;
        }
        let host = &text[start..end];
        if host.contains(&b'.') || host.eq_ignore_ascii_case(b"localhost") {
            out.push(Host { start, end });
        }
    }
    out
}

fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'@' | b':' | b'%')
}

/// The hosts of `hosts` that lie in `start..end`.
pub fn within(hosts: &[Host], start: usize, end: usize) -> &[Host] {
    let a = hosts.partition_point(|h| h.start < start);
    let b = hosts.partition_point(|h| h.start < end);
    &hosts[a..b.max(a)]
}

/// Does `host` equal `entry` or end with `.entry`?
pub fn host_matches(host: &[u8], entry: &str) -> bool {
    let e = entry.as_bytes();
    host.len() >= e.len()
        && host[host.len() - e.len()..].eq_ignore_ascii_case(e)
        && (host.len() == e.len() || host[host.len() - e.len() - 1] == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(text: &str) -> Vec<String> {
        find(text.as_bytes())
            .into_iter()
            .map(|h| text[h.start..h.end].to_string())
            .collect()
    }

    #[test]
    fn finds_url_hosts() {
        assert_eq!(
            hosts("baseURL: \"https://api.partner-crm.io/v1\", x: 'http://localhost:8080'"),
            ["api.partner-crm.io", "localhost"]
        );
        assert_eq!(hosts("https://user:pw@db.acme.test/x"), ["db.acme.test"]);
        assert!(hosts("file:///etc/hosts and s3://bucket").is_empty());
        assert_eq!(hosts("see https://api.lusha.com."), ["api.lusha.com"]);
    }

    #[test]
    fn host_suffixes() {
        assert!(host_matches(b"www.w3.org", "w3.org"));
        assert!(host_matches(b"W3.ORG", "w3.org"));
        assert!(!host_matches(b"notw3.org", "w3.org"));
    }
}
