//! Values with the right shape that are not secrets: the rule's documented placeholders and
//! low-entropy values such as the nil UUID, `11111111-1111-4111-8111-111111111111`,
//! `12345678-1234-4123-8123-123456789abc` or `abcdabcd-abcd-4bcd-abcd-abcdabcdabcd`. A random
//! UUID v4 fails each test below with a probability under one in a hundred million.

/// Why a value is a placeholder, if it is one.
pub fn placeholder_reason(
    canonical: &str,
    listed: &std::collections::BTreeSet<String>,
) -> Option<&'static str> {
    if listed.contains(canonical) {
        return Some("a documented placeholder");
    }
    let chars: Vec<u8> = canonical
        .bytes()
        .filter(u8::is_ascii_alphanumeric)
        .map(|b| b.to_ascii_lowercase())
        .collect();
    if chars.len() < 12 {
        return None;
    }
    let mut counts = [0usize; 256];
    for &c in &chars {
        counts[usize::from(c)] += 1;
    }
    let most = counts.iter().copied().max().unwrap_or(0);
    if most * 2 >= chars.len() {
        return Some("a repeated-digit placeholder");
    }
    let distinct = counts.iter().filter(|&&n| n > 0).count();
    if distinct <= 6 {
        return Some("a low-entropy placeholder");
    }
    let steps = chars
        .windows(2)
        .filter(|w| is_successor(w[0], w[1]))
        .count();
    if steps * 5 >= (chars.len() - 1) * 2 {
        return Some("a sequential placeholder");
    }
    for period in 2..=8 {
        let same = chars
            .windows(period + 1)
            .filter(|w| w[0] == w[period])
            .count();
        if same * 10 >= (chars.len() - period) * 9 {
            return Some("a repeating-pattern placeholder");
        }
    }
    None
}

/// `b` follows `a` in 0-9a-z order (`9` → `a` included).
fn is_successor(a: u8, b: u8) -> bool {
    (a.is_ascii_alphanumeric() && b == a + 1 && a != b'9') || (a == b'9' && b == b'a')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn recognises_placeholders() {
        let none = BTreeSet::new();
        for p in [
            "00000000-0000-0000-0000-000000000000",
            "00000000-0000-4000-8000-000000000000",
            "11111111-1111-4111-8111-111111111111",
            "ffffffff-ffff-4fff-bfff-ffffffffffff",
            "aaaaaaaa-aaaa-4aaa-aaaa-aaaaaaaaaaaa",
            "12345678-1234-4123-8123-123456789abc",
            "abcdabcd-abcd-4bcd-abcd-abcdabcdabcd",
            "deadbeef-dead-4eef-bead-deadbeefdead",
        ] {
            assert!(placeholder_reason(p, &none).is_some(), "{p}");
        }
        let listed: BTreeSet<String> = ["3fa85f64-5717-4562-b3fc-2c963f66afa6".to_string()].into();
        assert!(placeholder_reason("3fa85f64-5717-4562-b3fc-2c963f66afa6", &listed).is_some());
    }

    #[test]
    fn random_keys_are_not_placeholders() {
        let none = BTreeSet::new();
        for k in [
            "87d2a967-5c23-46d6-aa8a-22f20b4755f9",
            "c9d1b940-4df4-4273-abf4-f0ba0398b2fb",
            "4c8c3b4d-9631-4781-8dfa-9005079ec0b2",
            "be7220f5-1c86-40b8-9ede-33847ec81de6",
        ] {
            assert_eq!(placeholder_reason(k, &none), None, "{k}");
        }
    }
}
