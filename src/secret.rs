//! The secret value type. A `Secret` prints itself redacted through `Debug`, `Display` and
//! `Serialize`, so a key cannot reach a report, log line, error, cache or baseline by accident;
//! the only way to the raw value is the explicit `expose()`, used for `--no-redact` output and for
//! the request to the Lusha API. Findings are identified by `fingerprint()`, a SHA-256 of the
//! canonical value, never by the value itself.

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};
use std::fmt;

/// How many characters of a secret stay visible at each end of its redacted form.
const VISIBLE_EACH_END: usize = 4;

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Secret {
    value: String,
}

impl Secret {
    /// Wraps an already canonical value (for Lusha keys: lowercase, hyphenated).
    pub fn new(value: String) -> Self {
        Secret { value }
    }

    /// The raw value. Call sites are the places where a key may leave the process on purpose.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// Lowercase hex SHA-256 of the canonical value: a stable identity that reveals nothing.
    pub fn fingerprint(&self) -> String {
        fingerprint_of(&self.value)
    }

    /// The value with everything but a few characters at each end masked; punctuation such as
    /// the hyphens of a UUID is kept so the shape stays recognisable.
    pub fn redacted(&self) -> String {
        redact(&self.value)
    }
}

/// SHA-256 of `value` as lowercase hex.
pub fn fingerprint_of(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Masks a secret-looking string: alphanumerics become `*` except the first and last
/// `VISIBLE_EACH_END` of them; short values are masked entirely.
pub fn redact(value: &str) -> String {
    let alnum = value.chars().filter(|c| c.is_ascii_alphanumeric()).count();
    let keep = if alnum >= 4 * VISIBLE_EACH_END {
        VISIBLE_EACH_END
    } else {
        0
    };
    let mut seen = 0usize;
    value
        .chars()
        .map(|c| {
            if !c.is_ascii_alphanumeric() {
                return c;
            }
            seen += 1;
            if seen <= keep || seen > alnum - keep {
                c
            } else {
                '*'
            }
        })
        .collect()
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "87d2a967-5c23-46d6-aa8a-22f20b4755f9";

    #[test]
    fn redaction_keeps_shape_and_ends_only() {
        let s = Secret::new(KEY.to_string());
        assert_eq!(s.redacted(), "87d2****-****-****-****-********55f9");
        assert_eq!(format!("{s}"), s.redacted());
        assert_eq!(format!("{s:?}"), format!("Secret({})", s.redacted()));
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.redacted())
        );
        assert!(!format!("{s:?}{s}").contains("a967"));
    }

    #[test]
    fn short_values_are_fully_masked() {
        assert_eq!(redact("abc-123"), "***-***");
    }

    #[test]
    fn fingerprint_is_sha256_hex() {
        // sha256("abc"), from FIPS 180-2.
        assert_eq!(
            fingerprint_of("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Secret::new(KEY.into()).fingerprint().len(), 64);
    }
}
