//! The Lusha verifier (`Verifier::Lusha`), the only code that knows the Lusha API's endpoint,
//! header and answers. One key, one question to the Lusha API: `GET <base>/v3/account/usage` with the `api_key` header.
//! The endpoint spends no credits. Redirects are never followed (the key must not reach another
//! host), bodies are read with a size limit, and a 429 is retried after `Retry-After` (or the
//! rate-limit reset headers) with bounded exponential backoff. Nothing outlasts the run's
//! deadline: not a request, not a retry, not a wait.
//!
//! | answer | status |
//! |---|---|
//! | 200 | live (plus what the body says about the plan and credits) |
//! | 401 | invalid |
//! | 403 | restricted |
//! | 429 after the retries, 5xx, 3xx, other codes, timeouts, TLS or connection errors | unknown |

use super::VerifySettings;
use crate::model::{Account, Verification, VerifyStatus};
use crate::secret::Secret;
use std::time::{Duration, Instant, SystemTime};

/// The path of the usage endpoint, below the base URL.
pub const USAGE_PATH: &str = "/v3/account/usage";
/// The header that carries the key, spelled as the API expects it.
pub const KEY_HEADER: &str = "api_key";
/// Bodies larger than this are not read.
pub const BODY_LIMIT: u64 = 64 * 1024;
/// The first backoff after a 429 without a usable `Retry-After`.
const FIRST_BACKOFF: Duration = Duration::from_secs(2);

pub struct Client {
    agent: ureq::Agent,
    url: String,
    user_agent: String,
    /// The longest one request may take (`--verify-timeout`); less when the deadline is nearer.
    timeout: Duration,
    max_attempts: u32,
    max_wait: Duration,
}

/// The URL asked for a key, below `base`: what the cache records as an entry's endpoint.
pub fn endpoint(base: &url::Url) -> String {
    format!("{}{USAGE_PATH}", base.as_str().trim_end_matches('/'))
}

impl Client {
    pub fn new(settings: &VerifySettings) -> Client {
        let https = settings.base.scheme() == "https";
        // ureq would take a proxy from any of HTTP_PROXY, HTTPS_PROXY and ALL_PROXY by itself;
        // plain HTTP (loopback only) must never go through one, where the key would travel in
        // clear text, so the proxy is always set here: the HTTPS proxy the settings chose, or
        // none.
        let proxy = match (&settings.proxy, https) {
            (Some(p), true) => ureq::Proxy::new(p).ok(),
            _ => None,
        };
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .max_redirects(0)
            .http_status_as_error(false)
            .https_only(https)
            .proxy(proxy)
            .user_agent(format!("lushaguard/{}", env!("CARGO_PKG_VERSION")))
            .build();
        Client {
            agent: config.into(),
            url: endpoint(&settings.base),
            user_agent: format!("lushaguard/{}", env!("CARGO_PKG_VERSION")),
            timeout: settings.timeout,
            max_attempts: settings.max_attempts.max(1),
            max_wait: settings.max_wait,
        }
    }

    /// Asks about one key, retrying rate limits, and returns by `deadline` whatever happens:
    /// each request (connection, answer and body) gets the time left when it is less than the
    /// per-request timeout, and a wait for a rate limit to lift that would end after the
    /// deadline is not started.
    pub fn check(&self, secret: &Secret, deadline: Instant) -> Verification {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return unknown(
                    None,
                    "not checked: the verification deadline (--verify-deadline) passed",
                );
            }
            let budget = self.timeout.min(left);
            let response = self
                .agent
                .get(&self.url)
                .config()
                .timeout_global(Some(budget))
                .build()
                .header(KEY_HEADER, secret.expose())
                .header("User-Agent", &self.user_agent)
                .header("Accept", "application/json")
                .call();
            let mut response = match response {
                Ok(r) => r,
                Err(ureq::Error::Timeout(_)) if budget < self.timeout => {
                    return unknown(
                        None,
                        "timed out at the verification deadline (--verify-deadline)",
                    )
                }
                Err(e) => return unknown(None, &describe_error(&e)),
            };
            let status = response.status().as_u16();
            if status == 429 {
                let wait = retry_wait(response.headers(), attempt);
                let left = deadline.saturating_duration_since(Instant::now());
                if attempt >= self.max_attempts || wait > self.max_wait || wait >= left {
                    return unknown(
                        Some(429),
                        &format!(
                            "rate limited (HTTP 429) after {attempt} attempt{}; try again in {} s",
                            if attempt == 1 { "" } else { "s" },
                            wait.as_secs().max(1)
                        ),
                    );
                }
                std::thread::sleep(wait);
                continue;
            }
            let body = response
                .body_mut()
                .with_config()
                .limit(BODY_LIMIT)
                .read_to_vec();
            return classify(status, body);
        }
    }
}

fn unknown(http_status: Option<u16>, detail: &str) -> Verification {
    Verification {
        status: VerifyStatus::Unknown,
        http_status,
        detail: detail.to_string(),
        account: None,
    }
}

/// Turns an answer into a verdict.
pub fn classify(status: u16, body: Result<Vec<u8>, ureq::Error>) -> Verification {
    let (verdict, detail) = match status {
        200 => (
            VerifyStatus::Live,
            "live: the key works (HTTP 200); rotate it now".to_string(),
        ),
        401 => (
            VerifyStatus::Invalid,
            "invalid or revoked (HTTP 401)".to_string(),
        ),
        403 => (
            VerifyStatus::Restricted,
            "known to Lusha but the account or plan is restricted (HTTP 403); rotate it"
                .to_string(),
        ),
        300..=399 => (
            VerifyStatus::Unknown,
            format!("redirected (HTTP {status}); redirects are never followed"),
        ),
        500..=599 => (
            VerifyStatus::Unknown,
            format!("server error (HTTP {status})"),
        ),
        other => (
            VerifyStatus::Unknown,
            format!("unexpected answer (HTTP {other})"),
        ),
    };
    let mut v = Verification {
        status: verdict,
        http_status: Some(status),
        detail,
        account: None,
    };
    if verdict == VerifyStatus::Live {
        match body {
            Ok(bytes) => match account_from(&bytes) {
                Some(account) => v.account = Some(account),
                None => v
                    .detail
                    .push_str("; the account details in the answer could not be read"),
            },
            Err(ureq::Error::BodyExceedsLimit(_)) => {
                v.detail.push_str("; the answer was too large to read");
            }
            Err(e) => v.detail.push_str(&format!(
                "; the answer could not be read ({})",
                describe_error(&e)
            )),
        }
    }
    v
}

/// What the usage answer says about the account: a plan name and credit counts, in the field
/// names the API uses (`plan`, `credits.total/used/remaining`) or close variants.
pub fn account_from(body: &[u8]) -> Option<Account> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let obj = v.as_object()?;
    let text = |x: &serde_json::Value| x.as_str().map(str::to_string);
    let plan = obj
        .get("plan")
        .and_then(|p| text(p).or_else(|| p.get("name").and_then(text)))
        .or_else(|| obj.get("planName").and_then(text))
        .or_else(|| obj.get("plan_name").and_then(text));
    let credits = obj.get("credits").or_else(|| obj.get("usage"));
    // Whole numbers, as the dashboard shows them, whatever number format the answer uses.
    let num = |k: &str| {
        credits
            .and_then(|c| c.get(k))
            .and_then(serde_json::Value::as_f64)
            .and_then(crate::model::credits)
    };
    let account = Account {
        plan,
        credits_total: num("total").or_else(|| num("limit")),
        credits_used: num("used"),
        credits_remaining: num("remaining").or_else(|| num("left")),
    };
    (account != Account::default()).then_some(account)
}

/// How long to wait before retrying a 429: `Retry-After` (seconds or an HTTP date), else the
/// rate-limit reset headers (seconds, or a Unix time), else exponential backoff.
pub fn retry_wait(headers: &ureq::http::HeaderMap, attempt: u32) -> Duration {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(v) = header("retry-after") {
        if let Ok(secs) = v.parse::<u64>() {
            return Duration::from_secs(secs);
        }
        if let Ok(when) = httpdate::parse_http_date(v) {
            return when
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO);
        }
    }
    for name in ["x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset"] {
        if let Some(n) = header(name).and_then(|v| v.parse::<u64>().ok()) {
            // Small numbers are a delay; large ones a Unix time.
            if n < 1_000_000_000 {
                return Duration::from_secs(n);
            }
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            return Duration::from_secs(n.saturating_sub(now));
        }
    }
    FIRST_BACKOFF * 2u32.saturating_pow(attempt.saturating_sub(1))
}

/// A one-line reason for a failed request. Never contains the key: it travels in a header.
fn describe_error(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "timed out".to_string(),
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused".to_string()
        }
        ureq::Error::Io(io) => format!("network error: {io}"),
        ureq::Error::Tls(t) => format!("TLS error: {t}"),
        ureq::Error::BodyExceedsLimit(n) => format!("answer larger than {n} bytes"),
        other => format!("request failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_by_status() {
        let body = |s: &str| Ok(s.as_bytes().to_vec());
        let live = classify(
            200,
            body(r#"{"plan":"Premium","credits":{"total":1200,"used":388,"remaining":812}}"#),
        );
        assert_eq!(live.status, VerifyStatus::Live);
        let a = live.account.unwrap();
        assert_eq!(a.plan.as_deref(), Some("Premium"));
        assert_eq!(
            (a.credits_total, a.credits_used, a.credits_remaining),
            (Some(1200), Some(388), Some(812))
        );
        assert_eq!(classify(401, body("")).status, VerifyStatus::Invalid);
        assert_eq!(classify(403, body("")).status, VerifyStatus::Restricted);
        for s in [302, 404, 500, 503] {
            assert_eq!(classify(s, body("")).status, VerifyStatus::Unknown, "{s}");
        }
        let broken = classify(200, body("{not json"));
        assert_eq!(broken.status, VerifyStatus::Live);
        assert!(broken.account.is_none() && broken.detail.contains("could not be read"));
    }

    #[test]
    fn retry_waits_follow_the_headers_then_back_off() {
        let mut h = ureq::http::HeaderMap::new();
        assert_eq!(retry_wait(&h, 1), Duration::from_secs(2));
        assert_eq!(retry_wait(&h, 3), Duration::from_secs(8));
        h.insert("x-ratelimit-reset", "7".parse().unwrap());
        assert_eq!(retry_wait(&h, 1), Duration::from_secs(7));
        h.insert("retry-after", "3".parse().unwrap());
        assert_eq!(retry_wait(&h, 1), Duration::from_secs(3));
        h.insert(
            "retry-after",
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_wait(&h, 1), Duration::ZERO);
    }
}
