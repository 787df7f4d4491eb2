//! Archives through the binary: keys in a zip found by its content, a jar inside a tar.gz (in a
//! walk, named directly and on standard input), a wheel, an npm package; a zip bomb, an encrypted
//! entry and a truncated tar.gz reported as incomplete while the rest is scanned; the archive
//! flags, which a settings file in the scanned tree cannot set; the same report at any thread
//! count; keys hidden outside regular entries (a symlink-marked jar entry, an odd tar type, a
//! second gzip member, a zip comment, bytes appended to a zip). Archives committed to git history
//! and staged in the index are opened the same way.
//! Every archive is built here with the zip, tar and flate2 writers.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use common::packed::{gzip, tar_of, zip_of};
use common::*;
use flate2::{Compress, Compression, FlushCompress};
use serde_json::Value;
use std::path::Path;

const JAR_KEY: &str = "d7524189-9ff3-48ba-b98c-59f1424932b4"; // lushaguard:allow (test key)
const WHEEL_KEY: &str = "668002ab-6541-43fe-b171-07e08b00ebff"; // lushaguard:allow (test key)
const NPM_KEY: &str = "25c5361d-61cd-4bfc-81ab-f4f552b9e2d6"; // lushaguard:allow (test key)
const ZIP_KEY: &str = "ea2aa743-d5b3-4e91-b0aa-fe30fcc6df90"; // lushaguard:allow (test key)
const AFTER_KEY: &str = "2fdd814f-c720-47a8-9d57-af2b82282ed0"; // lushaguard:allow (test key)
const HISTORY_KEY: &str = "7c96d1ac-9913-401b-8ab2-7932e0d78413"; // lushaguard:allow (test key)
const STAGED_KEY: &str = "d8af252d-60c3-43ea-9273-8ce61b80d009"; // lushaguard:allow (test key)

fn env(key: &str) -> Vec<u8> {
    format!("LUSHA_API_KEY={key}\n").into_bytes()
}

/// `release.tar.gz` holding `dist/service.jar`, a Spring Boot jar with the key in its properties.
fn release_tar_gz() -> Vec<u8> {
    let properties = format!("server.port=8080\nlusha.api-key={JAR_KEY}\n");
    let jar = zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        (
            "BOOT-INF/classes/application.properties",
            properties.as_bytes(),
        ),
    ]);
    gzip(&tar_of(&[
        ("dist/README.txt", b"release notes\n"),
        ("dist/service.jar", &jar),
    ]))
}

const JAR_PATH: &str = "dist/service.jar!BOOT-INF/classes/application.properties";

fn json(out: &Output) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.all()))
}

fn paths(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

fn incomplete(v: &Value) -> Vec<(String, String)> {
    v["incomplete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["what"].as_str().unwrap().to_string(),
                i["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn assert_redacted(out: &Output, keys: &[&str]) {
    for key in keys {
        assert!(!out.all().contains(key), "unredacted key in {}", out.all());
    }
}

#[test]
fn a_jar_inside_a_tar_gz_is_found_walked_named_and_on_stdin() {
    let dir = tree(&[("build/release.tar.gz", &release_tar_gz())]);
    let walked = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(walked.code, 1, "{}", walked.all());
    let v = json(&walked);
    assert_eq!(paths(&v), [format!("build/release.tar.gz!{JAR_PATH}")]);
    assert_eq!(
        v["findings"][0]["provenance"],
        serde_json::json!({
            "kind": "archive",
            "inner": "BOOT-INF/classes/application.properties",
            "outer": {
                "kind": "archive",
                "inner": "dist/service.jar",
                "outer": {"kind": "file", "path": "build/release.tar.gz"}
            }
        })
    );
    assert!(incomplete(&v).is_empty(), "{v}");
    // The entries are the files scanned: the README and the properties, not the manifest
    // (empty files count too) nor the containers.
    assert_eq!(v["summary"]["files_scanned"], 3, "{v}");
    assert_redacted(&walked, &[JAR_KEY]);

    let named = run(dir.path(), &["scan", "build/release.tar.gz"]);
    assert_eq!(named.code, 1, "{}", named.all());
    assert!(
        named
            .stdout
            .contains(&format!("build/release.tar.gz!{JAR_PATH}:2:")),
        "{}",
        named.all()
    );
    assert_redacted(&named, &[JAR_KEY]);

    let piped = run_in(
        dir.path(),
        &["scan", "--format", "json", "-"],
        Some(&release_tar_gz()),
    );
    assert_eq!(piped.code, 1, "{}", piped.all());
    assert_eq!(paths(&json(&piped)), [format!("<stdin>!{JAR_PATH}")]);
    assert_redacted(&piped, &[JAR_KEY]);
}

#[test]
fn archives_are_found_by_content_whatever_their_name() {
    let settings = format!("LUSHA_API_KEY = \"{WHEEL_KEY}\"\n");
    let wheel = zip_of(&[
        ("acme/__init__.py", b""),
        ("acme/settings.py", settings.as_bytes()),
        ("acme-1.0.dist-info/METADATA", b"Name: acme\n"),
    ]);
    let config = format!("module.exports = {{ lushaApiKey: '{NPM_KEY}' }};\n");
    let npm = gzip(&tar_of(&[
        ("package/package.json", b"{\"name\": \"acme\"}\n"),
        ("package/lib/config.js", config.as_bytes()),
    ]));
    let dir = tree(&[
        ("dist/acme-1.0-py3-none-any.whl", &wheel),
        ("dist/acme-1.0.0.tgz", &npm),
        // A zip by its bytes only.
        (
            "blobs/upload.bin",
            &zip_of(&[("config/.env", &env(ZIP_KEY))]),
        ),
    ]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(
        paths(&json(&out)),
        [
            "blobs/upload.bin!config/.env",
            "dist/acme-1.0-py3-none-any.whl!acme/settings.py",
            "dist/acme-1.0.0.tgz!package/lib/config.js",
        ]
    );
    assert_redacted(&out, &[WHEEL_KEY, NPM_KEY, ZIP_KEY]);

    // The human report names the entry too.
    let human = run(dir.path(), &["scan", "."]);
    assert!(
        human
            .stdout
            .contains("dist/acme-1.0.0.tgz!package/lib/config.js:1:"),
        "{}",
        human.all()
    );

    // --archive-depth 0: archives are plain bytes, so the compressed keys are not seen.
    let closed = run(
        dir.path(),
        &["scan", "--format", "json", "--archive-depth", "0", "."],
    );
    assert_eq!(closed.code, 0, "{}", closed.all());
    assert!(paths(&json(&closed)).is_empty());
    // Left closed on request, and the run says so.
    assert!(
        closed
            .stderr
            .contains("--archive-depth 0: archives were scanned as plain bytes"),
        "{}",
        closed.stderr
    );
}

/// A raw deflate stream of `mib` MiB of zeros, built without deflating them all: once the
/// window is all zeros, the sync-flushed block for each further MiB is the same bytes.
fn zeros_deflate(mib: usize) -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let mut compress = Compress::new(Compression::best(), false);
    let mut block = |flush: FlushCompress, input: &[u8]| {
        let mut out = Vec::with_capacity(1 << 16);
        compress.compress_vec(input, &mut out, flush).unwrap();
        out
    };
    let first = block(FlushCompress::Sync, &zeros);
    let repeat = block(FlushCompress::Sync, &zeros);
    let last = block(FlushCompress::Finish, &[]);
    let mut stream = first;
    for _ in 1..mib {
        stream.extend_from_slice(&repeat);
    }
    stream.extend_from_slice(&last);
    stream
}

/// One entry of a crafted zip: name, method, general purpose flags, crc, uncompressed size,
/// stored bytes.
type RawEntry<'a> = (&'a str, u16, u16, u32, u32, &'a [u8]);

/// A zip written byte by byte, to say what a writer never would.
fn craft_zip(entries: &[RawEntry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for &(name, method, flags, crc, size, data) in entries {
        let offset = out.len() as u32;
        let name_len = name.len() as u16;
        out.extend_from_slice(b"PK\x03\x04");
        for v in [20u16, flags, method, 0, 0x21] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, data.len() as u32, size] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&name_len.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        for v in [20u16, 20, flags, method, 0, 0x21] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, data.len() as u32, size] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        for v in [name_len, 0, 0, 0, 0] {
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let start = out.len() as u32;
    let count = entries.len() as u16;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    for v in [0u16, 0, count, count] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn crc(data: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    crc.sum()
}

#[test]
fn a_zip_bomb_is_incomplete_and_names_the_flag_that_raises_the_bound() {
    // 4 GiB of zeros in a few MiB; the entry after it is still read.
    let stream = zeros_deflate(4096);
    let after = env(AFTER_KEY);
    let bomb = craft_zip(&[
        ("zeros.bin", 8, 0, 0, u32::MAX - 1, &stream),
        ("after.env", 0, 0, crc(&after), after.len() as u32, &after),
    ]);
    let dir = tree(&[("bomb.zip", &bomb)]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json(&out);
    assert_eq!(paths(&v), ["bomb.zip!after.env"]);
    let items = incomplete(&v);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].0, "bomb.zip!zeros.bin");
    assert!(
        items[0].1.contains("zip bomb") && items[0].1.contains("--archive-max-ratio"),
        "{items:?}"
    );
    assert!(out.stderr.contains("bomb.zip!zeros.bin"), "{}", out.stderr);
    assert_redacted(&out, &[AFTER_KEY]);

    // Without the key, the incompleteness alone fails the run.
    let lone = craft_zip(&[("zeros.bin", 8, 0, 0, u32::MAX - 1, &stream)]);
    let dir = tree(&[("bomb.zip", &lone)]);
    let out = run(dir.path(), &["scan", "."]);
    assert_eq!(out.code, 2, "{}", out.all());
}

#[test]
fn an_encrypted_entry_and_a_truncated_tar_gz_are_incomplete_and_the_rest_is_scanned() {
    let plain = env(ZIP_KEY);
    let locked = craft_zip(&[
        ("secret.env", 0, 1, 0, 24, b"\x01\x02\x03 encrypted bytes"),
        ("plain.env", 0, 0, crc(&plain), plain.len() as u32, &plain),
    ]);
    let whole = gzip(&tar_of(&[
        ("first.env", &env(AFTER_KEY)),
        ("second.bin", &vec![7u8; 300_000]),
    ]));
    let cut = &whole[..whole.len() / 2];
    let dir = tree(&[("locked.zip", &locked), ("cut.tar.gz", cut)]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json(&out);
    assert_eq!(
        paths(&v),
        ["cut.tar.gz!first.env", "locked.zip!plain.env"],
        "{v}"
    );
    let items = incomplete(&v);
    let whats: Vec<&str> = items.iter().map(|i| i.0.as_str()).collect();
    assert!(whats.contains(&"locked.zip!secret.env"), "{items:?}");
    assert!(
        whats.iter().any(|w| w.starts_with("cut.tar.gz")),
        "{items:?}"
    );
    for (_, reason) in &items {
        assert!(!reason.is_empty());
    }
    assert_redacted(&out, &[ZIP_KEY, AFTER_KEY]);
}

#[test]
fn a_settings_file_in_the_tree_cannot_turn_archives_off() {
    let dir = tree(&[
        (".lushaguard.toml", b"archive_depth = 0\n"),
        ("app.zip", &zip_of(&[(".env", &env(ZIP_KEY))])),
    ]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    // An unknown key is rejected: there is no archive setting a tree could use.
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("archive_depth"), "{}", out.stderr);
}

#[test]
fn archive_reports_are_the_same_at_any_thread_count() {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..12 {
        let key = format!("{:08x}-5c99-4b5e-8b79-ab0a7894aef5", 0x1a2b_3c4d_u32 + i); // lushaguard:allow (test key)
        let inner = zip_of(&[("conf/.env", &env(&key)), ("README", b"hi\n")]);
        let outer = gzip(&tar_of(&[("lib/inner.jar", &inner), ("x.env", &env(&key))]));
        files.push((format!("d{}/pkg{i}.tgz", i % 3), outer));
    }
    files.push(("cut.tgz".to_string(), release_tar_gz()[..200].to_vec()));
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    let dir = tree(&refs);
    for format in ["json", "human"] {
        let one = run(
            dir.path(),
            &["scan", "--format", format, "--threads", "1", "."],
        );
        let four = run(
            dir.path(),
            &["scan", "--format", format, "--threads", "4", "."],
        );
        assert_eq!(one.code, 1, "{}", one.all());
        assert_eq!(one.stdout, four.stdout);
        assert_eq!(one.stderr, four.stderr);
    }
    let one = run(
        dir.path(),
        &["scan", "--format", "json", "--threads", "1", "."],
    );
    let v = json(&one);
    assert_eq!(paths(&v).len(), 24, "{v}");
    assert!(
        !incomplete(&v).is_empty(),
        "the cut archive is incomplete: {v}"
    );
}

/// A repository in a temporary directory with `files` committed as "initial".
fn repo(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tree(files);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(
        dir.path(),
        &["commit", "-q", "--allow-empty", "-m", "initial"],
    );
    dir
}

fn commit_all(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// `lib/service.jar`: a Spring Boot jar with `key` in its properties.
fn service_jar(key: &str) -> Vec<u8> {
    let properties = format!("server.port=8080\nlusha.api-key={key}\n");
    zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        (
            "BOOT-INF/classes/application.properties",
            properties.as_bytes(),
        ),
    ])
}

const SERVICE_JAR: &str = "lib/service.jar!BOOT-INF/classes/application.properties";

#[test]
fn a_key_in_a_jar_committed_then_deleted_is_found_at_the_commit_that_added_it() {
    let dir = repo(&[("README.md", b"# app\n")]);
    std::fs::create_dir_all(dir.path().join("lib")).unwrap();
    std::fs::write(dir.path().join("lib/service.jar"), service_jar(HISTORY_KEY)).unwrap();
    let added = commit_all(dir.path(), "Add the service jar");
    std::fs::remove_file(dir.path().join("lib/service.jar")).unwrap();
    commit_all(dir.path(), "Remove the jar");

    let out = run(dir.path(), &["git", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json(&out);
    assert_eq!(paths(&v), [SERVICE_JAR], "{v}");
    let f = &v["findings"][0];
    assert_eq!(f["line"], 2);
    assert_eq!(f["commit"]["id"], added.as_str());
    assert_eq!(f["present_in_head"], false);
    assert_eq!(f["provenance"]["kind"], "archive");
    assert_eq!(
        f["provenance"]["inner"],
        "BOOT-INF/classes/application.properties"
    );
    assert_eq!(f["provenance"]["outer"]["kind"], "commit");
    assert_eq!(f["provenance"]["outer"]["path"], "lib/service.jar");
    assert_eq!(f["provenance"]["outer"]["commit"]["id"], added.as_str());
    assert!(incomplete(&v).is_empty(), "{v}");
    assert_redacted(&out, &[HISTORY_KEY]);

    // The human report names the entry and the commit.
    let human = run(dir.path(), &["git", "."]);
    assert!(
        human.stdout.contains(&format!("{SERVICE_JAR}:2:")),
        "{}",
        human.all()
    );
    assert!(human.stdout.contains(&added[..12]), "{}", human.all());

    // --archive-depth 0: the jar is plain compressed bytes, so the key is not seen.
    let closed = run(
        dir.path(),
        &["git", "--archive-depth", "0", "--format", "json", "."],
    );
    assert_eq!(closed.code, 0, "{}", closed.all());
    assert!(paths(&json(&closed)).is_empty());

    // Still in HEAD: the same key, now present.
    std::fs::write(dir.path().join("lib/service.jar"), service_jar(HISTORY_KEY)).unwrap();
    commit_all(dir.path(), "Put the jar back");
    let back = run(dir.path(), &["git", "--format", "json", "."]);
    let v = json(&back);
    assert_eq!(paths(&v), [SERVICE_JAR], "{v}");
    assert_eq!(v["findings"][0]["commit"]["id"], added.as_str());
    assert_eq!(v["findings"][0]["present_in_head"], true);
}

#[test]
fn a_key_in_a_staged_tgz_blocks_the_commit() {
    let dir = repo(&[("README.md", b"# app\n")]);
    let config = format!("module.exports = {{ lushaApiKey: '{STAGED_KEY}' }};\n");
    let npm = gzip(&tar_of(&[
        ("package/package.json", b"{\"name\": \"acme\"}\n"),
        ("package/lib/config.js", config.as_bytes()),
    ]));
    std::fs::write(dir.path().join("acme-1.0.0.tgz"), npm).unwrap();
    git(dir.path(), &["add", "acme-1.0.0.tgz"]);

    let out = run(dir.path(), &["git", "--staged", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json(&out);
    assert_eq!(paths(&v), ["acme-1.0.0.tgz!package/lib/config.js"], "{v}");
    assert_eq!(v["findings"][0]["provenance"]["outer"]["kind"], "staged");
    assert_redacted(&out, &[STAGED_KEY]);

    let closed = run(
        dir.path(),
        &["git", "--staged", "--archive-depth", "0", "."],
    );
    assert_eq!(closed.code, 0, "{}", closed.all());

    // An allow mark inside a staged archive counts, except with --strict: the change added it.
    let marked = format!("LUSHA_API_KEY={STAGED_KEY} # lushaguard:allow\n");
    let zip = zip_of(&[("conf/.env", marked.as_bytes())]);
    git(dir.path(), &["rm", "-q", "--cached", "acme-1.0.0.tgz"]);
    std::fs::write(dir.path().join("app.zip"), zip).unwrap();
    git(dir.path(), &["add", "app.zip"]);
    let allowed = run(dir.path(), &["git", "--staged", "."]);
    assert_eq!(allowed.code, 0, "{}", allowed.all());
    let strict = run(
        dir.path(),
        &["git", "--staged", "--strict", "--format", "json", "."],
    );
    assert_eq!(strict.code, 1, "{}", strict.all());
    assert_eq!(paths(&json(&strict)), ["app.zip!conf/.env"]);
}

#[test]
fn a_committed_zip_bomb_is_incomplete() {
    let stream = zeros_deflate(4096);
    let bomb = craft_zip(&[("zeros.bin", 8, 0, 0, u32::MAX - 1, &stream)]);
    let dir = repo(&[("dist/bomb.zip", &bomb)]);
    let out = run(dir.path(), &["git", "--format", "json", "."]);
    assert_eq!(out.code, 2, "{}", out.all());
    let v = json(&out);
    assert!(paths(&v).is_empty(), "{v}");
    let items = incomplete(&v);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].0, "dist/bomb.zip!zeros.bin");
    assert!(items[0].1.contains("--archive-max-ratio"), "{items:?}");
}

#[test]
fn history_with_archives_is_the_same_at_any_thread_count() {
    let dir = repo(&[("README.md", b"# app\n")]);
    for i in 0..6u32 {
        let key = format!("{:08x}-9913-401b-8ab2-7932e0d78413", 0x7c96_d1ac_u32 + i); // lushaguard:allow (test key)
        let inner = zip_of(&[("conf/.env", &env(&key)), ("README", b"hi\n")]);
        let outer = gzip(&tar_of(&[("lib/inner.jar", &inner), ("x.env", &env(&key))]));
        let sub = dir.path().join(format!("d{}", i % 2));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("pkg{i}.tgz")), outer).unwrap();
        std::fs::write(sub.join("app.jar"), service_jar(&key)).unwrap();
        commit_all(dir.path(), &format!("release {i}"));
    }
    std::fs::write(dir.path().join("cut.tgz"), &release_tar_gz()[..200]).unwrap();
    commit_all(dir.path(), "a cut archive");
    for format in ["json", "human", "sarif"] {
        let one = run(
            dir.path(),
            &["git", "--format", format, "--threads", "1", "."],
        );
        let four = run(
            dir.path(),
            &["git", "--format", format, "--threads", "4", "."],
        );
        assert_eq!(one.code, 1, "{}", one.all());
        assert_eq!(one.stdout, four.stdout);
        assert_eq!(one.stderr, four.stderr);
    }
    let v = json(&run(dir.path(), &["git", "--format", "json", "."]));
    // Each release: two entries of its tgz (one nested in a jar) and the jar's properties.
    assert_eq!(paths(&v).len(), 18, "{v}");
    assert!(
        !incomplete(&v).is_empty(),
        "the cut archive is incomplete: {v}"
    );
}

const SYMLINK_KEY: &str = "b7b13ac0-d0d2-4ede-951c-2e437902646b"; // lushaguard:allow (test key)
const TYPE_KEY: &str = "a0401e8b-2fea-4294-b8da-fda2cee57dc1"; // lushaguard:allow (test key)
const MEMBER_KEY: &str = "f37c9452-3f35-486c-b4a4-f5939a7a6dcd"; // lushaguard:allow (test key)
const COMMENT_KEY: &str = "f4f58380-3c33-4495-99a4-9caa5213508b"; // lushaguard:allow (test key)
const APPENDED_KEY: &str = "2eb811fb-8a9f-4847-af92-e6cc277341c7"; // lushaguard:allow (test key)

#[test]
fn keys_hidden_outside_regular_entries_are_found() {
    use std::io::{Cursor, Write};
    use zip::write::SimpleFileOptions;

    // A jar whose properties entry is marked as a Unix symlink: Java still reads it.
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .add_symlink(
            "BOOT-INF/classes/application.properties",
            format!("lusha.api-key={SYMLINK_KEY}"),
            SimpleFileOptions::default(),
        )
        .unwrap();
    let jar = writer.finish().unwrap().into_inner();

    // A tar entry of type 'A', which GNU tar extracts as a regular file.
    let mut builder = tar::Builder::new(Vec::new());
    let data = env(TYPE_KEY);
    let mut header = tar::Header::new_gnu();
    header.set_path("odd.env").unwrap();
    header.set_entry_type(tar::EntryType::new(b'A'));
    header.set_size(data.len() as u64);
    header.set_cksum();
    builder.append(&header, data.as_slice()).unwrap();
    let odd = builder.into_inner().unwrap();

    // gzip -c plain.tar > p.tgz; gzip -c secret.env >> p.tgz
    let mut members = gzip(&tar_of(&[("plain.txt", b"plain\n")]));
    members.extend_from_slice(&gzip(&env(MEMBER_KEY)));

    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    writer.set_comment(String::from_utf8(env(COMMENT_KEY)).unwrap());
    writer
        .start_file("a.txt", SimpleFileOptions::default())
        .unwrap();
    writer.write_all(b"a\n").unwrap();
    let commented = writer.finish().unwrap().into_inner();

    let mut appended = zip_of(&[("a.txt", b"a\n")]);
    appended.extend_from_slice(&env(APPENDED_KEY));

    let dir = tree(&[
        ("app.jar", &jar),
        ("odd.tar", &odd),
        ("p.tgz", &members),
        ("commented.zip", &commented),
        ("appended.zip", &appended),
    ]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json(&out);
    let mut found = paths(&v);
    found.sort();
    assert_eq!(
        found,
        [
            "app.jar!BOOT-INF/classes/application.properties",
            "appended.zip",
            "commented.zip!<zip comment>",
            "odd.tar!odd.env",
            "p.tgz!<after end of archive>",
        ]
    );
    assert!(incomplete(&v).is_empty(), "{v}");
    assert_redacted(
        &out,
        &[SYMLINK_KEY, TYPE_KEY, MEMBER_KEY, COMMENT_KEY, APPENDED_KEY],
    );
}
