//! Verification: an optional stage between detection and reporting that asks the Lusha API
//! whether each found key is live. Each distinct key is asked about once per run however many
//! findings share it, with bounded concurrency, a per-request timeout and an overall deadline;
//! an optional cache keyed by fingerprint spares repeated runs the API's 5-requests-per-minute
//! limit. Keys go only to the configured base (HTTPS, or plain HTTP to a loopback address for
//! tests), never after a redirect.

pub mod cache;
pub mod client;

use crate::report::{Finding, Verification, VerificationSummary, VerifyStatus};
use crate::secret::Secret;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

pub const DEFAULT_BASE: &str = "https://api.lusha.com";

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("--verify-url {url}: {reason}")]
    BadUrl { url: String, reason: String },
}

#[derive(Debug, Clone)]
pub struct VerifySettings {
    pub base: Url,
    pub concurrency: usize,
    pub timeout: Duration,
    pub deadline: Duration,
    pub cache: Option<PathBuf>,
    pub cache_ttl: Duration,
    /// Attempts per key when rate limited.
    pub max_attempts: u32,
    /// The longest single wait for a rate limit to lift.
    pub max_wait: Duration,
}

impl VerifySettings {
    pub fn new(base: Url) -> VerifySettings {
        VerifySettings {
            base,
            concurrency: 4,
            timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(120),
            cache: None,
            cache_ttl: Duration::from_secs(3600),
            max_attempts: 3,
            max_wait: Duration::from_secs(65),
        }
    }
}

/// Parses a base URL: HTTPS anywhere, plain HTTP only to a loopback address.
pub fn parse_base(raw: &str) -> Result<Url, VerifyError> {
    let bad = |reason: &str| VerifyError::BadUrl {
        url: raw.to_string(),
        reason: reason.to_string(),
    };
    let url = Url::parse(raw).map_err(|e| bad(&format!("not a URL ({e})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials in the URL are not allowed"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("a query or fragment is not allowed"));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                None => false,
            };
            if loopback {
                Ok(url)
            } else {
                Err(bad(
                    "plain http is allowed only to a loopback address; use https",
                ))
            }
        }
        _ => Err(bad("must be an https URL (or http to a loopback address)")),
    }
}

/// Asks about every distinct secret once; results by fingerprint. Warnings (cache problems) are
/// returned for the caller to print.
pub fn verify_all(
    secrets: &[&Secret],
    settings: &VerifySettings,
) -> (BTreeMap<String, Verification>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut distinct: BTreeMap<String, &Secret> = BTreeMap::new();
    for s in secrets {
        distinct.entry(s.fingerprint()).or_insert(s);
    }
    let (mut cache, warning) = match &settings.cache {
        Some(path) => {
            let (c, w) = cache::Cache::load(path);
            (Some(c), w)
        }
        None => (None, None),
    };
    warnings.extend(warning);

    let mut results = BTreeMap::new();
    let mut todo = VecDeque::new();
    for (fp, secret) in &distinct {
        match cache.as_ref().and_then(|c| c.get(fp, settings.cache_ttl)) {
            Some(mut hit) => {
                hit.detail.push_str(" (cached)");
                results.insert(fp.clone(), hit);
            }
            None => todo.push_back((fp.clone(), *secret)),
        }
    }

    let deadline = Instant::now() + settings.deadline;
    let client = client::Client::new(settings);
    let queue = Mutex::new(todo);
    let answers = Mutex::new(Vec::new());
    let workers = settings.concurrency.clamp(1, 64).min(distinct.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let next = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                let Some((fp, secret)) = next else { break };
                let v = client.check(secret, deadline);
                answers
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push((fp, v));
            });
        }
    });
    for (fp, v) in answers.into_inner().unwrap_or_else(|p| p.into_inner()) {
        if let Some(c) = cache.as_mut() {
            c.put(&fp, &v);
        }
        results.insert(fp, v);
    }
    if let (Some(c), Some(path)) = (cache.as_mut(), &settings.cache) {
        if let Err(e) = c.save(path, settings.cache_ttl) {
            warnings.push(format!(
                "{}: cannot write the verification cache: {e}",
                path.display()
            ));
        }
    }
    (results, warnings)
}

/// Verifies the findings' keys and records the outcome on each finding.
pub fn annotate(
    findings: &mut [Finding],
    settings: &VerifySettings,
) -> (VerificationSummary, Vec<String>) {
    let secrets: Vec<&Secret> = findings.iter().map(|f| &f.secret).collect();
    let (results, warnings) = verify_all(&secrets, settings);
    let mut summary = VerificationSummary::default();
    for f in findings.iter_mut() {
        let v = results.get(&f.secret.fingerprint()).cloned();
        if let Some(v) = &v {
            match v.status {
                VerifyStatus::Live => summary.live += 1,
                VerifyStatus::Restricted => summary.restricted += 1,
                VerifyStatus::Unknown => summary.unknown += 1,
                VerifyStatus::Invalid => summary.invalid += 1,
            }
        }
        f.verification = v;
    }
    (summary, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_https_or_loopback_http() {
        for ok in [
            "https://api.lusha.com",
            "https://proxy.internal.example:8443/lusha",
            "http://127.0.0.1:8080",
            "http://[::1]:9000/",
            "http://localhost:1234",
        ] {
            assert!(parse_base(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.lusha.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "api.lusha.com",
            "https://user:pw@api.lusha.com",
            "https://api.lusha.com/?x=1",
        ] {
            let err = parse_base(bad).unwrap_err().to_string();
            assert!(err.starts_with("--verify-url "), "{bad}: {err}");
        }
    }
}
