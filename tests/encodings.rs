//! A key that is there is found however the file is written: NUL bytes, UTF-16 and UTF-32 with
//! or without a byte-order mark, binary files, base64 wrapped the way tools wrap it, runs of any
//! length, nested encodings and escaped hyphens. Each test is a case that passed silently before
//! (issue 9); the files are written the way real tools write them (the `base64` program where it
//! is installed).

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test
#![allow(clippy::print_stderr)] // notes on skipped checks go to the test log

mod common;

use base64::Engine;
use common::{run, tree};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

/// Random UUID v4s generated for these tests; Lusha never issued them.
const KEY: &str = "fdb873f1-55ae-427d-b2ce-98f6c8c4b643"; // lushaguard:allow (test key)
const KEY2: &str = "4f90c397-3fce-4bb9-90b7-be12845ba522"; // lushaguard:allow (test key)

fn env(key: &str) -> String {
    format!("# Lusha enrichment\nPORT=8080\nLUSHA_API_KEY={key}\n")
}

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// A finding as (path, line, key, encoding).
type Found = (String, u64, String, String);

/// The exit status, the findings and all output of `lushaguard scan --format json .` in `dir`.
fn scan(dir: &Path) -> (i32, Vec<Found>, String) {
    let out = run(dir, &["scan", "--no-redact", "--format", "json", "."]);
    let v: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", out.all()));
    let found = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["secret"].as_str().unwrap_or_default().to_string(),
                f["encoding"].as_str().unwrap_or("plain").to_string(),
            )
        })
        .collect();
    (out.code, found, out.all())
}

/// Asserts that each of `files` yields exactly the key `key`, with the given encoding.
fn assert_each_found(files: &[(&str, Vec<u8>)], key: &str, encoding: &str) {
    let owned: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (*p, d.as_slice())).collect();
    let dir = tree(&owned);
    let (code, found, all) = scan(dir.path());
    assert_eq!(code, 1, "{all}");
    for (path, _) in files {
        let hits: Vec<_> = found.iter().filter(|f| f.0 == *path).collect();
        assert!(!hits.is_empty(), "{path}: nothing found\n{all}");
        for h in hits {
            assert_eq!(h.2, key, "{path}");
            assert_eq!(h.3, encoding, "{path}: {h:?}");
        }
    }
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    text.encode_utf16()
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

fn utf32(text: &str, big_endian: bool) -> Vec<u8> {
    text.chars()
        .flat_map(|c| {
            if big_endian {
                u32::from(c).to_be_bytes()
            } else {
                u32::from(c).to_le_bytes()
            }
        })
        .collect()
}

#[test]
fn a_nul_byte_in_the_first_8_kib_does_not_hide_a_dotenv() {
    let mut data = b"# exported by a tool that pads with NUL\0\0\n".to_vec();
    data.extend(env(KEY).as_bytes());
    assert_each_found(&[(".env", data)], KEY, "plain");
    // The line is right: zero bytes are bytes like any other.
    let dir = tree(&[(".env", b"A=1\0\nLUSHA_API_KEY=x\n")]);
    let (code, _, all) = scan(dir.path());
    assert_eq!(code, 0, "{all}");
}

#[test]
fn utf16_and_utf32_without_a_byte_order_mark_are_read() {
    let text = env(KEY);
    for (name, data, enc) in [
        ("le16.env", utf16(&text, false), "utf-16le"),
        ("be16.env", utf16(&text, true), "utf-16be"),
        ("le32.env", utf32(&text, false), "utf-32le"),
        ("be32.env", utf32(&text, true), "utf-32be"),
        (
            "bom32.env",
            [&[0xFF, 0xFE, 0, 0][..], &utf32(&text, false)].concat(),
            "utf-32le",
        ),
        (
            "bombe32.env",
            [&[0, 0, 0xFE, 0xFF][..], &utf32(&text, true)].concat(),
            "utf-32be",
        ),
    ] {
        let dir = tree(&[(name, &data)]);
        let (code, found, all) = scan(dir.path());
        assert_eq!(code, 1, "{name}: {all}");
        assert_eq!(found.len(), 1, "{name}: {all}");
        assert_eq!(
            (found[0].1, found[0].2.as_str(), found[0].3.as_str()),
            (3, KEY, enc),
            "{name}"
        );
    }
}

#[test]
fn a_utf16_byte_order_mark_followed_by_utf8_text_is_still_read() {
    let mut data = vec![0xFF, 0xFE];
    data.extend(env(KEY).as_bytes());
    assert_each_found(&[("profile.ps1", data)], KEY, "plain");
}

#[test]
fn keys_among_binary_data_are_found_in_ascii_and_in_utf16() {
    // An executable-like file: a header, zeros, an ASCII string table, a UTF-16 resource.
    let mut data = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x03\0>\0".to_vec();
    data.extend([0u8; 64]);
    data.extend(format!("lusha_api_key={KEY}\0").as_bytes());
    data.extend([0u8, 0x13, 0x1e]);
    data.extend(utf16(&format!("LUSHA_API_KEY={KEY2}"), false));
    data.extend([0u8; 9]);
    let dir = tree(&[("bin/enricher", &data)]);
    let (code, found, all) = scan(dir.path());
    assert_eq!(code, 1, "{all}");
    let keys: Vec<(&str, &str)> = found.iter().map(|f| (f.2.as_str(), f.3.as_str())).collect();
    assert!(keys.contains(&(KEY, "plain")), "{all}");
    assert!(keys.contains(&(KEY2, "wide")), "{all}");
    // Redacted, neither key shows in a snippet, not even spelled with zero bytes between.
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    for f in v["findings"].as_array().unwrap() {
        let snippet: String = f["snippet"].as_str().unwrap().replace('?', "");
        for k in [KEY, KEY2] {
            assert!(!snippet.contains(&k[9..]), "{snippet}");
        }
    }
}

#[test]
fn the_binary_flag_is_gone() {
    let dir = tree(&[("a.txt", b"x")]);
    let out = run(dir.path(), &["scan", "--binary", "."]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("--binary"), "{}", out.stderr);
}

/// `base64` from coreutils, if installed: the tool whose output people paste.
fn base64_tool(args: &[&str], input: &[u8]) -> Option<String> {
    let mut child = Command::new("base64")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .ok()?;
    std::io::Write::write_all(&mut child.stdin.take()?, input).ok()?;
    let out = child.wait_with_output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn base64_wrapped_at_76_and_64_columns_is_joined() {
    // Enough text that the key lands on a later line of the wrapped output.
    let payload = format!(
        "{}{}",
        "# settings for the enrichment job\n".repeat(5),
        env(KEY)
    );
    let (w76, w64) = match (
        base64_tool(&[], payload.as_bytes()),
        base64_tool(&["-w", "64"], payload.as_bytes()),
    ) {
        (Some(a), Some(b)) => (a, b),
        _ => {
            eprintln!("base64 (coreutils) is not installed: wrapping by hand instead");
            let enc = b64(payload.as_bytes());
            let wrap = |n: usize| {
                enc.as_bytes()
                    .chunks(n)
                    .map(|c| format!("{}\n", String::from_utf8_lossy(c)))
                    .collect::<String>()
            };
            (wrap(76), wrap(64))
        }
    };
    assert!(w76.lines().count() > 3 && w76.lines().next().unwrap().len() == 76);
    assert_each_found(
        &[
            ("app.env.b64", w76.into_bytes()),
            ("app.pem", w64.into_bytes()),
        ],
        KEY,
        "base64",
    );
}

#[test]
fn base64_in_a_yaml_block_scalar_and_in_a_json_array_of_lines() {
    let enc = b64(format!("{}{}", "x=1\n".repeat(30), env(KEY)).as_bytes());
    let lines: Vec<&str> = enc
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let yaml = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: enricher\ndata:\n  app.env: |\n    {}\n",
        lines.join("\n    ")
    );
    let json = format!(
        "{{\n  \"name\": \"enricher\",\n  \"env\": [\n    \"{}\"\n  ]\n}}\n",
        lines.join("\",\n    \"")
    );
    let escaped = format!("{{\"pem\": \"{}\"}}\n", lines.join("\\n"));
    assert_each_found(
        &[
            ("k8s/secret.yaml", yaml.into_bytes()),
            ("deploy/env.json", json.into_bytes()),
            ("deploy/pem.json", escaped.into_bytes()),
        ],
        KEY,
        "base64",
    );
}

#[test]
fn a_key_past_64_kib_of_decoded_base64_is_found() {
    let mut payload = "filler line of an exported configuration\n".repeat(4000);
    assert!(payload.len() > 128 << 10);
    payload.push_str(&env(KEY));
    let text = format!("blob: {}\n", b64(payload.as_bytes()));
    assert_each_found(&[("dump.yaml", text.into_bytes())], KEY, "base64");
}

#[test]
fn base64_of_base64_is_found() {
    let inner = b64(env(KEY).as_bytes());
    let twice =
        base64_tool(&["-w", "0"], inner.as_bytes()).unwrap_or_else(|| b64(inner.as_bytes()));
    let text = format!("data:\n  app.env: {twice}\n");
    let dir = tree(&[("secret.yaml", text.as_bytes())]);
    let (code, found, all) = scan(dir.path());
    assert_eq!(code, 1, "{all}");
    assert_eq!(found[0].2, KEY);
    assert!(all.contains("decoded from base64, then base64"), "{all}");
}

#[test]
fn hyphens_written_as_percent_or_unicode_escapes_are_found() {
    let pct = KEY.replace('-', "%2D");
    let uni = KEY.replace('-', "\\u002d");
    let hex = KEY.replace('-', "\\x2d");
    let files = [
        (
            "query.txt",
            format!("GET https://api.lusha.com/v2/person?api_key={pct}&email=x\n").into_bytes(),
        ),
        (
            "settings.json",
            format!("{{\"lusha\": {{\"apiKey\": \"{uni}\"}}}}\n").into_bytes(),
        ),
        (
            "cfg.py",
            format!("LUSHA_API_KEY = \"{hex}\"\n").into_bytes(),
        ),
    ];
    let dir = tree(
        &files
            .iter()
            .map(|(p, d)| (*p, d.as_slice()))
            .collect::<Vec<_>>(),
    );
    let (code, found, all) = scan(dir.path());
    assert_eq!(code, 1, "{all}");
    let by_path = |p: &str| {
        found
            .iter()
            .find(|f| f.0 == p)
            .map(|f| (f.2.as_str(), f.3.as_str()))
    };
    assert_eq!(by_path("query.txt"), Some((KEY, "url")), "{all}");
    assert_eq!(by_path("settings.json"), Some((KEY, "escape")), "{all}");
    assert_eq!(by_path("cfg.py"), Some((KEY, "escape")), "{all}");
    // Redacted, a key hidden by escapes shows nowhere, escaped or not.
    let out = run(dir.path(), &["scan", "."]);
    let tail = &KEY[KEY.len() - 12..];
    assert!(!out.all().contains(tail), "{}", out.all());
}

#[test]
fn nested_encodings_are_decoded_to_depth_three() {
    let json = format!("{{\"LUSHA_API_KEY\": \"{}\"}}", KEY.replace('-', "\\u002d"));
    let url_b64 = b64(env(KEY).as_bytes())
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let three = b64(b64(b64(env(KEY).as_bytes()).as_bytes()).as_bytes());
    let four = b64(three.as_bytes());
    let files = [
        (
            "json-in-b64.yaml",
            format!("config: {}\n", b64(json.as_bytes())),
        ),
        (
            "callback.txt",
            format!("https://example.com/cb?state={url_b64}\n"),
        ),
        ("three.yaml", format!("blob: {three}\n")),
        ("four.yaml", format!("blob: {four}\n")),
    ];
    let dir = tree(
        &files
            .iter()
            .map(|(p, d)| (*p, d.as_bytes()))
            .collect::<Vec<_>>(),
    );
    let (code, found, all) = scan(dir.path());
    assert_eq!(code, 1, "{all}");
    let paths: Vec<&str> = found.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        paths,
        ["callback.txt", "json-in-b64.yaml", "three.yaml"],
        "four layers are past the documented depth\n{all}"
    );
    assert!(found.iter().all(|f| f.2 == KEY));
}

#[test]
fn git_history_reads_blobs_the_same_way() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let git = |args: &[&str]| {
        let ok = common::hermetic(&mut Command::new("git"))
            .args(args)
            .current_dir(d)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    std::fs::write(d.join("profile.ps1"), utf16(&env(KEY), false)).unwrap();
    let wrapped: String = b64(format!("{}{}", "x=1\n".repeat(20), env(KEY2)).as_bytes())
        .as_bytes()
        .chunks(76)
        .map(|c| format!("    {}\n", String::from_utf8_lossy(c)))
        .collect();
    std::fs::write(
        d.join("secret.yaml"),
        format!("data:\n  app.env: |\n{wrapped}"),
    )
    .unwrap();
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "Add settings"]);
    std::fs::remove_file(d.join("profile.ps1")).unwrap();
    std::fs::remove_file(d.join("secret.yaml")).unwrap();
    git(&["commit", "-q", "-am", "Remove them"]);
    let out = run(d, &["git", "--no-redact", "--format", "json"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    let mut keys: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["secret"].as_str().unwrap().to_string(),
                f["encoding"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    keys.sort();
    let mut want = vec![
        (KEY.to_string(), "utf-16le".to_string()),
        (KEY2.to_string(), "base64".to_string()),
    ];
    want.sort();
    assert_eq!(keys, want, "{}", out.all());
}
