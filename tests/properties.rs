//! Properties: a key planted anywhere in random text is found where it was planted, and no input
//! makes the detector or the reader panic.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use base64::Engine;
use lushaguard::detect::{Confidence, Detection, Detector, Document};
use lushaguard::rules::RuleSet;
use lushaguard::source::reader;
use proptest::prelude::*;
use std::sync::OnceLock;

fn detector() -> &'static Detector {
    static D: OnceLock<Detector> = OnceLock::new();
    D.get_or_init(|| Detector::new(RuleSet::builtin().expect("built-in rules")))
}

/// Every view of a stream searched, as `scan` does.
fn scan(data: &[u8], path: &str) -> Vec<Detection> {
    let mut buf = Vec::new();
    let mut found = Vec::new();
    reader::read_windows(data, &mut buf, None, |w| {
        let doc = Document {
            text: w.text,
            path,
            first_line: w.first_line,
            first_column: w.first_column,
            owned: w.owned,
            encoding: w.encoding,
            file: None,
        };
        found.extend(detector().detect(&doc));
        if w.zeros {
            found.extend(detector().detect_wide(&doc));
        }
    })
    .unwrap();
    found
}

/// `text` written the `how`-th way a key can hide in a file.
fn encode(text: &str, how: usize, width: usize) -> Vec<u8> {
    let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
    match how {
        0 => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        1 => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        2 => text
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect(),
        3 => [
            &[0, 0, 0xFE, 0xFF][..],
            &text
                .chars()
                .flat_map(|c| (c as u32).to_be_bytes())
                .collect::<Vec<u8>>(),
        ]
        .concat(),
        4 => {
            // Wrapped at `width` quanta (48 columns or more; base64 writes 76, PEM 64).
            let enc = b64(text.as_bytes());
            let lines: Vec<&[u8]> = enc.as_bytes().chunks(width * 4).collect();
            let mut out = b"kind: Secret\ndata:\n  app.env: |\n".to_vec();
            for l in lines {
                out.extend_from_slice(b"    ");
                out.extend_from_slice(l);
                out.push(b'\n');
            }
            out
        }
        5 => text.replace('-', "%2D").into_bytes(),
        6 => format!(
            "{{\"env\": \"{}\"}}",
            text.replace('-', "\\u002d").replace('\n', "\\n")
        )
        .into_bytes(),
        _ => format!("blob: {}\n", b64(b64(text.as_bytes()).as_bytes())).into_bytes(),
    }
}

/// A random UUID v4 from 16 random bytes.
fn key_from(bytes: [u8; 16]) -> String {
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// Lines of random printable text (any Unicode, no line breaks).
fn lines() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[^\n\r]{0,80}", 0..40)
}

/// Bytes biased towards the pieces the detector cares about, so random inputs reach deep paths.
fn tricky_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        any::<u8>().prop_map(|b| vec![b]),
        Just(b"-4".to_vec()),
        Just(b"lusha".to_vec()),
        Just(b"LUSHA_API_KEY=".to_vec()),
        Just(b"api_key".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"  ".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\\\"".to_vec()),
        Just(b"%3A".to_vec()),
        Just(b"[lusha]".to_vec()),
        Just(b"value: ".to_vec()),
        Just(b"- name: ".to_vec()),
        Just(b"6f1c2a9e-3b7d-4c58-9e21-0d4b8f7a6c35".to_vec()),
        Just(b"6f1c2a9e-3b7d-4c58".to_vec()),
        Just(b"NmYxYzJhOWUtM2I3ZC00YzU4LTllMjEtMGQ0YjhmN2E2YzM1".to_vec()),
        Just(b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=".to_vec()),
        Just(vec![0xFF, 0xFE]),
        Just(vec![0xE2, 0x82]),
        Just(vec![0]),
        Just(b"-\x004\x00".to_vec()),
        Just(b"%2D".to_vec()),
        Just(b"%25".to_vec()),
        Just(b"\\u002d".to_vec()),
        Just(b"\\ud83d".to_vec()),
        Just(b"\\n".to_vec()),
        Just(b"\",\n  \"".to_vec()),
        Just(b"TlcxWXpKaE9XVXRNMkkzWkMwMFl6VTRMVGxsTWpFdE1HUTBZamhtTjJFMll6TTE=".to_vec()),
    ];
    // A byte-order mark only counts at the start: without a prefix of its own, few inputs
    // would ever be read as UTF-16 or UTF-32.
    let start = prop_oneof![
        3 => Just(Vec::new()),
        1 => Just(vec![0xFF, 0xFE]),
        1 => Just(vec![0xFE, 0xFF]),
        1 => Just(vec![0xFF, 0xFE, 0, 0]),
        1 => Just(vec![0xEF, 0xBB, 0xBF]),
    ];
    (start, prop::collection::vec(piece, 0..200))
        .prop_map(|(start, v)| [start, v.concat()].concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_planted_key_is_found_on_its_line(before in lines(), after in lines(), bytes in any::<[u8; 16]>()) {
        let key = key_from(bytes);
        let mut text = String::new();
        for l in &before { text.push_str(l); text.push('\n'); }
        text.push_str(&format!("LUSHA_API_KEY={key}\n"));
        for l in &after { text.push_str(l); text.push('\n'); }
        let found = detector().detect(&Document::whole(text.as_bytes(), ".env"));
        let hit = found.iter().find(|d| d.secret.expose() == key);
        prop_assert!(hit.is_some(), "not found in {:?}", text);
        let hit = hit.unwrap();
        prop_assert_eq!(hit.line, before.len() as u64 + 1);
        prop_assert_eq!(hit.column, 15);
        prop_assert!(hit.confidence >= Confidence::Medium);
    }

    #[test]
    fn a_planted_key_mid_line_has_the_right_column(prefix in "[^\n\r]{0,60}", suffix in "[^\n\r]{0,60}", bytes in any::<[u8; 16]>()) {
        let key = key_from(bytes);
        let line = format!("{prefix} LUSHA_API_KEY=\"{key}\" {suffix}");
        let found = detector().detect(&Document::whole(line.as_bytes(), "config.txt"));
        let hit = found.iter().find(|d| d.secret.expose() == key);
        prop_assert!(hit.is_some(), "not found in {:?}", line);
        let expected = line[..line.find(&key).unwrap()].chars().count() as u64 + 1;
        prop_assert_eq!(hit.unwrap().column, expected);
    }

    #[test]
    fn a_planted_base64_key_is_found(before in lines(), bytes in any::<[u8; 16]>()) {
        let key = key_from(bytes);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&key);
        let mut text = String::new();
        for l in &before { text.push_str(l); text.push('\n'); }
        text.push_str(&format!("data:\n  LUSHA_API_KEY: {encoded}\n"));
        let found = detector().detect(&Document::whole(text.as_bytes(), "secret.yaml"));
        let hit = found.iter().find(|d| d.secret.expose() == key);
        prop_assert!(hit.is_some(), "not found in {:?}", text);
        prop_assert_eq!(hit.unwrap().line, before.len() as u64 + 2);
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_detector(data in prop::collection::vec(any::<u8>(), 0..4096)) {
        let _ = detector().detect(&Document::whole(&data, "x"));
    }

    #[test]
    fn tricky_bytes_never_panic_the_detector(data in tricky_bytes(), start in 0usize..64) {
        let _ = detector().detect(&Document::whole(&data, "lusha/x.env"));
        // A window whose owned range starts anywhere, as the reader produces them.
        let owned = start.min(data.len())..data.len();
        let doc = Document { owned, first_line: 9, first_column: 3, ..Document::whole(&data, "x") };
        let _ = detector().detect(&doc);
    }

    #[test]
    fn a_planted_key_is_found_however_it_is_encoded(
        before in prop::collection::vec("[ -~]{0,60}", 0..20),
        bytes in any::<[u8; 16]>(),
        how in 0usize..8,
        width in 12usize..30,
    ) {
        let key = key_from(bytes);
        let mut text = String::new();
        for l in &before { text.push_str(l); text.push('\n'); }
        text.push_str(&format!("LUSHA_API_KEY={key}\n"));
        // Only keys found when written plainly (random bytes can make a placeholder).
        prop_assume!(scan(text.as_bytes(), "config.env").iter().any(|d| d.secret.expose() == key));
        let data = encode(&text, how, width);
        let found = scan(&data, "config.env");
        prop_assert!(found.iter().any(|d| d.secret.expose() == key), "way {} not found in {:?}", how, String::from_utf8_lossy(&data));
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_reader(data in tricky_bytes()) {
        let mut buf = Vec::new();
        // Bytes of the stream as it is (not a transcoded view) that some window owns.
        let mut seen = 0usize;
        let outcome = reader::read_windows(&data[..], &mut buf, None, |w| {
            if w.encoding.is_none() {
                seen += w.owned.len();
            }
            let doc = Document {
                text: w.text,
                path: "f",
                first_line: w.first_line,
                first_column: w.first_column,
                owned: w.owned,
                encoding: w.encoding,
                file: None,
            };
            let _ = detector().detect(&doc);
            let _ = detector().detect_wide(&doc);
        });
        prop_assert_eq!(outcome.ok(), Some(data.len() as u64));
        // Every byte after the byte-order mark is owned by exactly one window: none is searched
        // twice as "its own" (duplicate findings), none falls between windows (a missed key).
        prop_assert_eq!(seen, data.len() - bom_len(&data), "{:?}", data);
    }
}

/// The length of the byte-order mark `data` starts with (UTF-8, UTF-32, UTF-16), if any.
fn bom_len(data: &[u8]) -> usize {
    match data {
        [0xEF, 0xBB, 0xBF, ..] => 3,
        [0xFF, 0xFE, 0, 0, ..] | [0, 0, 0xFE, 0xFF, ..] => 4,
        [0xFF, 0xFE, ..] | [0xFE, 0xFF, ..] => 2,
        _ => 0,
    }
}

/// The inputs `tricky_bytes` generates do reach what they are meant to reach: with too few of a
/// kind, the properties above would pass without testing it.
#[test]
fn tricky_bytes_reach_the_deep_paths() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(proptest::test_runner::RngAlgorithm::ChaCha),
    );
    let strategy = tricky_bytes();
    let (mut cases, mut wide, mut found, mut big) = (0, 0, 0, 0);
    for _ in 0..256 {
        let data = strategy.new_tree(&mut runner).unwrap().current();
        cases += 1;
        let mut views = 0;
        let mut buf = Vec::new();
        reader::read_windows(&data[..], &mut buf, None, |w| {
            views += usize::from(w.encoding.is_some());
        })
        .unwrap();
        wide += usize::from(views > 0);
        found += usize::from(!scan(&data, "lusha/x.env").is_empty());
        big += usize::from(data.len() > 1000);
    }
    let at_least = cases / 20;
    assert!(
        wide >= at_least,
        "{wide} of {cases} inputs had a UTF-16/32 view"
    );
    assert!(
        found >= at_least,
        "{found} of {cases} inputs held a key the detector found"
    );
    assert!(
        big >= at_least,
        "{big} of {cases} inputs were over 1000 bytes"
    );
}
