//! Container images through the binary: a `docker save` archive (named, walked and on standard
//! input) with a key in a layer file, one in a file a later layer deletes, one in a jar in a
//! layer and one in the config's `Env`; an OCI layout as a directory named on the command line,
//! as a tarball, and met inside a walked tree; a corrupt layer reported as incomplete while the
//! rest is read. Images are built here, with real sha256 digests.

#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

mod common;

use common::packed::{gzip, sha, tar_of, zip_of};
use common::*;
use serde_json::{json, Value};

const DELETED_KEY: &str = "412b0165-cc4f-411c-afa9-e33b502dc7db"; // lushaguard:allow (test key)
const LIVE_KEY: &str = "c70f8882-a039-43e3-9bbe-f45ab0ab15ff"; // lushaguard:allow (test key)
const ENV_KEY: &str = "26923b5b-d045-4aab-9624-e96306095e75"; // lushaguard:allow (test key)
const JAR_KEY: &str = "270dc172-3c9e-46a5-a718-d7af7a7b70ce"; // lushaguard:allow (test key)
const KEYS: [&str; 4] = [DELETED_KEY, LIVE_KEY, ENV_KEY, JAR_KEY];

fn env(key: &str) -> Vec<u8> {
    format!("LUSHA_API_KEY={key}\n").into_bytes()
}

fn hex(bytes: &[u8]) -> String {
    sha(bytes)["sha256:".len()..].to_string()
}

/// Layer 1 ships `app/.env` (with a key) and a jar holding another; layer 2 deletes the `.env`
/// (a whiteout) and adds a file with a third key.
fn layers() -> (Vec<u8>, Vec<u8>) {
    let jar = zip_of(&[("conf/app.env", &env(JAR_KEY))]);
    let first = tar_of(&[
        ("app/.env", &env(DELETED_KEY)),
        ("app/lib/service.jar", &jar),
        ("app/main.py", b"print('hi')\n"),
    ]);
    let second = tar_of(&[("app/.wh..env", b""), ("app/settings.env", &env(LIVE_KEY))]);
    (first, second)
}

fn config(diff_ids: &[String]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/bin", format!("LUSHA_API_KEY={ENV_KEY}")],
            "Cmd": ["/app/main.py"]
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "COPY app /app # buildkit"}]
    }))
    .unwrap()
}

/// A classic `docker save` archive of `acme/app:1.0`.
fn docker_save() -> Vec<u8> {
    docker_save_with(&[])
}

/// A classic `docker save` archive of `acme/app:1.0`, with `extra` entries after the image's.
fn docker_save_with(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let (first, second) = layers();
    let config = config(&[sha(&first), sha(&second)]);
    let config_name = format!("{}.json", hex(&config));
    let manifest = serde_json::to_vec(&json!([{
        "Config": config_name,
        "RepoTags": ["acme/app:1.0"],
        "Layers": ["aaa/layer.tar", "bbb/layer.tar"]
    }]))
    .unwrap();
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("aaa/layer.tar", &first),
        ("bbb/layer.tar", &second),
        (&config_name, &config),
        ("manifest.json", &manifest),
    ];
    entries.extend_from_slice(extra);
    tar_of(&entries)
}

/// An OCI image layout of `acme/app:2.0` (gzip layers), as (path, bytes) files.
fn oci_files() -> Vec<(String, Vec<u8>)> {
    let (first, second) = layers();
    let config = config(&[sha(&first), sha(&second)]);
    let (first, second) = (gzip(&first), gzip(&second));
    let gz = "application/vnd.oci.image.layer.v1.tar+gzip";
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
        "layers": [
            {"mediaType": gz, "digest": sha(&first), "size": first.len()},
            {"mediaType": gz, "digest": sha(&second), "size": second.len()}
        ]
    }))
    .unwrap();
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha(&manifest),
            "size": manifest.len(),
            "annotations": {"io.containerd.image.name": "docker.io/acme/app:2.0"}
        }]
    }))
    .unwrap();
    let mut files = vec![
        (
            "oci-layout".to_string(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
        ("index.json".to_string(), index),
    ];
    for blob in [first, second, config, manifest] {
        files.push((format!("blobs/sha256/{}", hex(&blob)), blob));
    }
    files
}

fn oci_tree(under: &str) -> tempfile::TempDir {
    let files: Vec<(String, Vec<u8>)> = oci_files()
        .into_iter()
        .map(|(p, b)| (format!("{under}{p}"), b))
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    tree(&refs)
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.all()))
}

/// (path, provenance) of each finding.
fn found(v: &Value) -> Vec<(String, Value)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["provenance"].clone(),
            )
        })
        .collect()
}

fn assert_clean_output(out: &Output) {
    for key in KEYS {
        assert!(!out.all().contains(key), "unredacted key: {}", out.all());
    }
}

/// Checks the findings of the image named `image` (as reports show it) whose layers have the
/// digests `layers`.
fn assert_image_findings(v: &Value, image: &str, layers: [&str; 2]) {
    let short = |d: &str| d["sha256:".len().."sha256:".len() + 12].to_string();
    let got = found(v);
    let paths: Vec<&str> = got.iter().map(|(p, _)| p.as_str()).collect();
    let expected = [
        format!("{image}!{}!app/.env", short(layers[0])),
        format!(
            "{image}!{}!app/lib/service.jar!conf/app.env",
            short(layers[0])
        ),
        format!("{image}!{}!app/settings.env", short(layers[1])),
        format!("{image}!config.Env"),
    ];
    let mut expected_sorted: Vec<&str> = expected.iter().map(String::as_str).collect();
    expected_sorted.sort();
    assert_eq!(paths, expected_sorted, "{v}");
    let deleted = got.iter().find(|(p, _)| p.ends_with("!app/.env")).unwrap();
    assert_eq!(
        deleted.1,
        json!({"kind": "image", "image": image, "layer": layers[0], "path": "app/.env", "deleted": true})
    );
    let live = got
        .iter()
        .find(|(p, _)| p.ends_with("!app/settings.env"))
        .unwrap();
    assert_eq!(live.1["deleted"], false);
    let config = got.iter().find(|(p, _)| p.ends_with("config.Env")).unwrap();
    assert_eq!(config.1["layer"], Value::Null);
    let jar = got
        .iter()
        .find(|(p, _)| p.ends_with("conf/app.env"))
        .unwrap();
    assert_eq!(jar.1["kind"], "archive");
    assert_eq!(jar.1["outer"]["kind"], "image");
    assert!(
        v["incomplete"].as_array().unwrap().is_empty(),
        "{}",
        v["incomplete"]
    );
}

#[test]
fn a_docker_save_archive_named_walked_and_piped() {
    let (first, second) = layers();
    let layer_ids = [sha(&first), sha(&second)];
    let layer_ids = [layer_ids[0].as_str(), layer_ids[1].as_str()];
    let dir = tree(&[("image.tar", &docker_save())]);

    let named = run(dir.path(), &["scan", "--format", "json", "image.tar"]);
    assert_eq!(named.code, 1, "{}", named.all());
    assert_image_findings(&json_of(&named), "image.tar!acme/app:1.0", layer_ids);
    assert_clean_output(&named);

    let walked = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(walked.stdout, named.stdout);

    let piped = run_in(
        dir.path(),
        &["scan", "--format", "json", "-"],
        Some(&docker_save()),
    );
    assert_eq!(piped.code, 1, "{}", piped.all());
    assert_image_findings(&json_of(&piped), "<stdin>!acme/app:1.0", layer_ids);
    assert_clean_output(&piped);

    // The human report says where, and that the deleted file still ships.
    let human = run(dir.path(), &["scan", "image.tar"]);
    assert!(
        human
            .stdout
            .contains("a later layer deletes it, but the image still ships it"),
        "{}",
        human.all()
    );
    assert!(
        human.stdout.contains("config field config.Env"),
        "{}",
        human.all()
    );
    assert_clean_output(&human);
}

#[test]
fn an_oci_layout_directory_and_tarball() {
    let (first, second) = layers();
    let (first, second) = (gzip(&first), gzip(&second));
    let layer_ids = [sha(&first), sha(&second)];
    let layer_ids = [layer_ids[0].as_str(), layer_ids[1].as_str()];

    let dir = oci_tree("oci/");
    let out = run(dir.path(), &["scan", "--format", "json", "oci"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_image_findings(&json_of(&out), "oci!docker.io/acme/app:2.0", layer_ids);
    assert_clean_output(&out);

    let files = oci_files();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let dir = tree(&[("oci.tar", &tar_of(&refs))]);
    let out = run(dir.path(), &["scan", "--format", "json", "oci.tar"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_image_findings(&json_of(&out), "oci.tar!docker.io/acme/app:2.0", layer_ids);
}

#[test]
fn an_oci_layout_met_inside_a_walk_is_walked_and_its_layers_opened() {
    let dir = oci_tree("deploy/oci/");
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json_of(&out);
    let paths: Vec<String> = found(&v).into_iter().map(|(p, _)| p).collect();
    // Every key is still found, named by the layer blob that holds it.
    assert_eq!(paths.len(), 4, "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with("deploy/oci/blobs/sha256/") && p.ends_with("!app/.env")),
        "{paths:?}"
    );
    assert_clean_output(&out);
}

#[test]
fn a_corrupt_layer_is_incomplete_and_the_rest_is_read() {
    let dir = oci_tree("oci/");
    // Cut the second layer's blob in half.
    let (_, second) = layers();
    let blob = dir
        .path()
        .join("oci/blobs/sha256")
        .join(hex(&gzip(&second)));
    let bytes = std::fs::read(&blob).unwrap();
    std::fs::write(&blob, &bytes[..bytes.len() / 2]).unwrap();
    let out = run(dir.path(), &["scan", "--format", "json", "oci"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json_of(&out);
    let paths: Vec<String> = found(&v).into_iter().map(|(p, _)| p).collect();
    assert!(paths.iter().any(|p| p.ends_with("!app/.env")), "{paths:?}");
    assert!(
        paths.iter().any(|p| p.ends_with("!config.Env")),
        "{paths:?}"
    );
    let items = v["incomplete"].as_array().unwrap();
    assert!(!items.is_empty(), "{v}");
    assert!(
        items
            .iter()
            .all(|i| i["what"].as_str().unwrap().starts_with("oci (")),
        "{items:?}"
    );
    assert!(out.stderr.contains("not scanned"), "{}", out.stderr);
    assert_clean_output(&out);
}

#[test]
fn image_findings_keep_every_format_valid_and_redacted() {
    let dir = tree(&[("image.tar", &docker_save())]);
    let sarif = run(dir.path(), &["scan", "--format", "sarif", "image.tar"]);
    assert_eq!(sarif.code, 1, "{}", sarif.all());
    common::schema::validate_json("sarif-2.1.0.json", &json_of(&sarif));
    let gitlab = run(dir.path(), &["scan", "--format", "gitlab", "image.tar"]);
    common::schema::validate_json("gitlab-secret-detection-report.json", &json_of(&gitlab));
    let junit = run(dir.path(), &["scan", "--format", "junit", "image.tar"]);
    common::schema::validate_junit(&junit.stdout);
    for (_, name) in formats() {
        let out = run(dir.path(), &["scan", "--format", &name, "image.tar"]);
        assert_eq!(out.code, 1, "{name}: {}", out.all());
        assert!(out.stdout.contains("app/.env"), "{name}: {}", out.stdout);
        assert_clean_output(&out);
    }
}

const PLANTED_KEY: &str = "ff6bc9c9-e71d-46ce-9b39-6d2c6fafcd52"; // lushaguard:allow (test key)
const BESIDE_KEY: &str = "c670fc35-b050-4997-a193-759374d3a07c"; // lushaguard:allow (test key)

#[test]
fn a_root_holding_an_oci_layout_is_still_walked() {
    // Two files at the top of a repository must not hide the rest of it.
    let dir = tree(&[
        ("src/config.env", &env(PLANTED_KEY)),
        ("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
        ("index.json", br#"{"schemaVersion":2,"manifests":[]}"#),
    ]);
    for args in [
        &["scan", "--format", "json"][..],
        &["scan", "--format", "json", "."],
        &["scan", "--format", "json", "--archive-depth", "0"],
    ] {
        let out = run(dir.path(), args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.all());
        let paths: Vec<String> = found(&json_of(&out)).into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["src/config.env"], "{args:?}");
        assert!(!out.all().contains(PLANTED_KEY), "{}", out.all());
    }

    // A real layout at the root: the image is read, its blobs are not walked a second time, and
    // every other file is walked.
    let dir = oci_tree("");
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/config.env"), env(PLANTED_KEY)).unwrap();
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json_of(&out);
    let paths: Vec<String> = found(&v).into_iter().map(|(p, _)| p).collect();
    assert!(paths.contains(&"src/config.env".to_string()), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|p| p.starts_with(".!") && p.ends_with("!app/settings.env")),
        "{paths:?}"
    );
    assert!(!paths.iter().any(|p| p.contains("blobs/")), "{paths:?}");
    assert_eq!(paths.len(), 5, "{paths:?}");
    assert!(v["incomplete"].as_array().unwrap().is_empty(), "{v}");
}

#[test]
fn a_tar_with_a_manifest_that_lists_no_images_is_an_ordinary_archive() {
    let secret = env(BESIDE_KEY);
    let empty = tar_of(&[("manifest.json", b"[]"), ("secret.txt", &secret)]);
    let webapp = tar_of(&[
        ("manifest.json", br#"{"name":"app","icons":[]}"#),
        ("static/app.env", &secret),
    ]);
    let dir = tree(&[("empty.tar", &empty), ("webapp.tar", &webapp)]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json_of(&out);
    let paths: Vec<String> = found(&v).into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        ["empty.tar!secret.txt", "webapp.tar!static/app.env"],
        "{v}"
    );
    assert!(v["incomplete"].as_array().unwrap().is_empty(), "{v}");
    assert!(!out.all().contains(BESIDE_KEY), "{}", out.all());
}

#[test]
fn files_beside_the_images_of_a_tar_are_scanned() {
    let mut files = vec![
        ("notes/secret.txt".to_string(), env(BESIDE_KEY)),
        ("index.json.bak".to_string(), env(BESIDE_KEY)),
    ];
    files.extend(oci_files());
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let oci = tar_of(&refs);
    // A `docker save` with another file after the image's entries.
    let docker = docker_save_with(&[("extra/secret.txt", &env(BESIDE_KEY))]);
    let dir = tree(&[("oci.tar", &oci), ("image.tar", &docker)]);
    let out = run(dir.path(), &["scan", "--format", "json", "."]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json_of(&out);
    let paths: Vec<String> = found(&v).into_iter().map(|(p, _)| p).collect();
    for want in [
        "image.tar!extra/secret.txt",
        "oci.tar!notes/secret.txt",
        "oci.tar!index.json.bak",
    ] {
        assert!(paths.iter().any(|p| p == want), "{want}: {paths:?}");
    }
    // The images themselves are read once, by the image reader: no layer is scanned again as
    // an archive entry.
    assert_eq!(paths.len(), 3 + 4 + 4, "{paths:?}");
    assert!(v["incomplete"].as_array().unwrap().is_empty(), "{v}");
    assert!(!out.all().contains(BESIDE_KEY), "{}", out.all());
}

const TAIL_KEY: &str = "3f6962e2-bd4c-404f-b43f-b58e799ebb47"; // lushaguard:allow (test key)
const WHITEOUT_KEY: &str = "938a04e8-f23b-4015-82ee-e868be82293d"; // lushaguard:allow (test key)
const ODD_KEY: &str = "7cf7edb1-98ab-446f-a24b-94b908d21cce"; // lushaguard:allow (test key)

#[test]
fn every_byte_of_a_layer_is_scanned() {
    // A whiteout that carries data, an entry of a type tar does not know ('A', which GNU tar
    // extracts as a regular file), and bytes after the tar's end marker.
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind, data) in [
        ("app/.wh.old.env", b'0', env(WHITEOUT_KEY)),
        ("app/odd.env", b'A', env(ODD_KEY)),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::new(kind));
        builder
            .append_data(&mut header, name, data.as_slice())
            .unwrap();
    }
    let mut layer = builder.into_inner().unwrap();
    layer.extend(env(TAIL_KEY));
    let config = config(&[sha(&layer)]);
    let config_name = format!("{}.json", hex(&config));
    let manifest = serde_json::to_vec(&json!([{
        "Config": config_name,
        "RepoTags": ["acme/odd:1"],
        "Layers": ["aaa/layer.tar"]
    }]))
    .unwrap();
    let save = tar_of(&[
        ("aaa/layer.tar", &layer),
        (&config_name, &config),
        ("manifest.json", &manifest),
    ]);
    let dir = tree(&[("image.tar", &save)]);
    let out = run(dir.path(), &["scan", "--format", "json", "image.tar"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let v = json_of(&out);
    let paths: Vec<String> = found(&v).into_iter().map(|(p, _)| p).collect();
    let short = &hex(&layer)[..12];
    for want in ["<after end of tar>", "app/.wh.old.env", "app/odd.env"] {
        let want = format!("image.tar!acme/odd:1!{short}!{want}");
        assert!(paths.contains(&want), "{want}: {paths:?}");
    }
    assert!(v["incomplete"].as_array().unwrap().is_empty(), "{v}");
    for key in [TAIL_KEY, WHITEOUT_KEY, ODD_KEY] {
        assert!(!out.all().contains(key), "{}", out.all());
    }
}

const ANNOTATION_KEY: &str = "5e0c9a7b-2d41-4f86-b3a9-8c17e4d2f650"; // lushaguard:allow (test key)

/// An index and a manifest are read for the image's structure, and scanned as files too: a key
/// in an annotation is no part of any layer or of the config.
#[test]
fn a_key_in_an_index_annotation_is_found() {
    let files: Vec<(String, Vec<u8>)> = oci_files()
        .into_iter()
        .map(|(path, bytes)| {
            if path != "index.json" {
                return (path, bytes);
            }
            let mut index: Value = serde_json::from_slice(&bytes).unwrap();
            index["manifests"][0]["annotations"]["com.lusha.api_key"] = json!(ANNOTATION_KEY);
            (path, serde_json::to_vec_pretty(&index).unwrap())
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let mut in_dir: Vec<(String, &[u8])> =
        refs.iter().map(|(p, b)| (format!("oci/{p}"), *b)).collect();
    let tarball = tar_of(&refs);
    in_dir.push(("oci.tar".to_string(), &tarball));
    let in_dir: Vec<(&str, &[u8])> = in_dir.iter().map(|(p, b)| (p.as_str(), *b)).collect();
    let dir = tree(&in_dir);
    for (root, want) in [("oci", "oci/index.json"), ("oci.tar", "oci.tar!index.json")] {
        let out = run(dir.path(), &["scan", "--format", "json", root]);
        assert_eq!(out.code, 1, "{}", out.all());
        let paths: Vec<String> = found(&json_of(&out)).into_iter().map(|(p, _)| p).collect();
        assert!(paths.iter().any(|p| p == want), "{want}: {paths:?}");
        assert!(!out.all().contains(ANNOTATION_KEY), "{}", out.all());
    }
}
