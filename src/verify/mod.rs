//! Verification: an optional stage between detection and reporting that asks a service whether
//! each found key is live. A rule names its verifier (`verify = "lusha"`); `Verifier` is the
//! registry, and each verifier's module (`client`, the Lusha API) is the only code that knows its
//! endpoint, header and what each answer means. Findings of a rule without a verifier are never
//! sent anywhere. Each distinct key is asked about once per run however many findings share it,
//! with bounded concurrency, a per-request timeout and an overall deadline that bounds the whole
//! stage (requests, retries, rate-limit waits; a key not answered by then is `unknown`); a cache keyed by
//! fingerprint (in the user's cache directory) spares repeated runs the API's
//! 5-requests-per-minute limit. Keys go only to the verifier's own base
//! (`https://api.lusha.com`) unless the user named another: HTTPS, or plain HTTP to a loopback
//! address, never after a redirect, and plain HTTP never through a proxy.

pub mod cache;
pub mod client;

use crate::model::{Finding, Verification, VerificationSummary, VerifyStatus};
use crate::rules::Rule;
use crate::secret::Secret;
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

pub const DEFAULT_BASE: &str = "https://api.lusha.com";

/// The verifiers a rule may name: the registry. Adding a service means adding a variant here and
/// a module that knows its API; nothing else learns endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verifier {
    /// The Lusha API: `GET /v3/account/usage` with the `api_key` header (`client`).
    Lusha,
}

impl Verifier {
    const ALL: [Verifier; 1] = [Verifier::Lusha];

    pub fn by_name(name: &str) -> Option<Verifier> {
        Verifier::ALL.into_iter().find(|v| v.name() == name)
    }

    pub fn names() -> Vec<&'static str> {
        Verifier::ALL.iter().map(|v| v.name()).collect()
    }

    pub fn name(self) -> &'static str {
        match self {
            Verifier::Lusha => "lusha",
        }
    }

    /// Where keys go unless the user names another base.
    pub fn default_base(self) -> &'static str {
        match self {
            Verifier::Lusha => DEFAULT_BASE,
        }
    }
}

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
    /// The HTTPS proxy for requests to an HTTPS base (`HTTPS_PROXY`, `ALL_PROXY`); never used
    /// for plain HTTP, which is for loopback only.
    pub proxy: Option<String>,
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
            proxy: None,
        }
    }

    /// The endpoint results come from, as the cache records it.
    pub fn endpoint(&self) -> String {
        client::endpoint(&self.base)
    }
}

/// The proxy for an HTTPS request to `host` from the environment, as curl reads it:
/// `HTTPS_PROXY` (or `https_proxy`), else `ALL_PROXY` (or `all_proxy`), unless `NO_PROXY` (or
/// `no_proxy`) names the host. `HTTP_PROXY` is for plain-HTTP URLs and is never used.
pub fn https_proxy_from_env(host: &str) -> Option<String> {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
    };
    let proxy =
        var(&["HTTPS_PROXY", "https_proxy"]).or_else(|| var(&["ALL_PROXY", "all_proxy"]))?;
    let bypass = var(&["NO_PROXY", "no_proxy"]).unwrap_or_default();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let skipped = bypass
        .split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .any(|entry| {
            if entry == "*" {
                return true;
            }
            let suffix = entry.trim_start_matches('*').trim_start_matches('.');
            !suffix.is_empty() && (host == suffix || host.ends_with(&format!(".{suffix}")))
        });
    (!skipped).then_some(proxy)
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
    // Everything below, the cache included, counts against the deadline.
    let deadline = Instant::now() + settings.deadline;
    let mut warnings = Vec::new();
    let mut distinct: BTreeMap<String, &Secret> = BTreeMap::new();
    for s in secrets {
        distinct.entry(s.fingerprint()).or_insert(s);
    }
    let endpoint = settings.endpoint();
    let (mut cache, warning) = match &settings.cache {
        Some(path) => {
            let (c, w) = cache::Cache::load(path, settings.cache_ttl);
            (Some(c), w)
        }
        None => (None, None),
    };
    warnings.extend(warning);

    let mut results = BTreeMap::new();
    let mut todo = VecDeque::new();
    for (fp, secret) in &distinct {
        match cache
            .as_ref()
            .and_then(|c| c.get(fp, &endpoint, settings.cache_ttl))
        {
            Some(mut hit) => {
                hit.detail.push_str(" (cached)");
                results.insert(fp.clone(), hit);
            }
            None => todo.push_back((fp.clone(), *secret)),
        }
    }

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
    let answers = answers.into_inner().unwrap_or_else(|p| p.into_inner());
    let asked = !answers.is_empty();
    for (fp, v) in answers {
        if let Some(c) = cache.as_mut() {
            c.put(&fp, &endpoint, &v);
        }
        results.insert(fp, v);
    }
    if let (Some(c), Some(path), true) = (cache.as_mut(), &settings.cache, asked) {
        // Another run holding the cache's lock may delay the save by a moment, never more.
        let lock_until = deadline.max(Instant::now() + cache::LOCK_GRACE);
        if let Err(e) = c.save(path, settings.cache_ttl, lock_until) {
            warnings.push(format!(
                "{}: cannot write the verification cache: {e}",
                path.display()
            ));
        }
    }
    (results, warnings)
}

/// Verifies the keys of findings whose rule names a verifier, and records the outcome on each
/// finding. Findings of other rules are not sent anywhere; they keep `verification: None`.
pub fn annotate(
    findings: &mut [Finding],
    rules: &[Rule],
    settings: &VerifySettings,
) -> (VerificationSummary, Vec<String>) {
    let verifiable = |f: &Finding| {
        rules
            .iter()
            .find(|r| r.id() == f.rule_id)
            .and_then(|r| r.verifier)
            == Some(Verifier::Lusha)
    };
    let secrets: Vec<&Secret> = findings
        .iter()
        .filter(|f| verifiable(f))
        .map(|f| &f.secret)
        .collect();
    let (results, warnings) = if secrets.is_empty() {
        (BTreeMap::new(), Vec::new())
    } else {
        verify_all(&secrets, settings)
    };
    // Counted by distinct key: one key in three files is one answer, and one key to rotate.
    let mut summary = VerificationSummary::default();
    let mut counted = std::collections::BTreeSet::new();
    for f in findings.iter_mut() {
        let fingerprint = f.secret.fingerprint();
        if !verifiable(f) {
            if counted.insert((false, fingerprint)) {
                summary.not_verifiable += 1;
            }
            continue;
        }
        let v = results.get(&fingerprint).cloned();
        if let Some(v) = &v {
            if counted.insert((true, fingerprint)) {
                match v.status {
                    VerifyStatus::Live => summary.live += 1,
                    VerifyStatus::Restricted => summary.restricted += 1,
                    VerifyStatus::Unknown => summary.unknown += 1,
                    VerifyStatus::Invalid => summary.invalid += 1,
                }
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
