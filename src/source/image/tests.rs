//! Image reader tests on images built by hand: a classic `docker save` archive, an OCI layout as a
//! directory and as a tarball, and broken ones (a truncated layer, a digest mismatch, a missing
//! blob, a zstd layer, the inflated-bytes bound). Digests are real sha256s of the bytes.

use super::*;
use crate::detect::{Confidence, Detector, Document};
use crate::rules::RuleSet;
use flate2::write::GzEncoder;
use serde_json::json;
use std::io::Cursor;

const LAYER_KEY: &str = "0ba44efd-c060-4bea-a219-b62442e05bf0"; // lushaguard:allow (test key)
const ENV_KEY: &str = "bf4605b5-eae2-45e7-a1b9-71b85bf836c7"; // lushaguard:allow (test key)

/// A tar of regular files, in order.
fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, name, *bytes).unwrap();
    }
    builder.into_inner().unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn sha(bytes: &[u8]) -> String {
    sha256_name(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    sha(bytes)["sha256:".len()..].to_string()
}

/// A blob as the tests compare it: image, layer, path, deleted, content.
type Seen = (String, Option<String>, String, bool, String);

fn seen(blob: ImageBlob) -> Seen {
    let content = match blob.content {
        Content::Bytes(bytes) => bytes,
        Content::Spooled(mut file) => {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).unwrap();
            bytes
        }
    };
    (
        blob.image,
        blob.layer,
        blob.path,
        blob.deleted,
        String::from_utf8(content).unwrap(),
    )
}

fn read_tar_bytes(bytes: Vec<u8>, limits: &Limits) -> (Vec<Seen>, Vec<Problem>) {
    let Ok(image) = open_tar(Cursor::new(bytes)) else {
        panic!("not recognised as an image");
    };
    let mut blobs = Vec::new();
    let (problems, _) = image.read(limits, &mut |blob| blobs.push(seen(blob)));
    (blobs, problems)
}

fn read_layout_dir(path: &Path) -> (Vec<Seen>, Vec<Problem>) {
    let mut blobs = Vec::new();
    let (problems, _) = read_dir(path, &Limits::default(), &mut |blob| blobs.push(seen(blob)));
    (blobs, problems)
}

fn find<'a>(blobs: &'a [Seen], path: &str) -> &'a Seen {
    let mut matching = blobs.iter().filter(|b| b.2 == path);
    let found = matching
        .next()
        .unwrap_or_else(|| panic!("no blob {path} in {blobs:#?}"));
    assert!(matching.next().is_none(), "{path} twice");
    found
}

fn config_json(diff_ids: &[String]) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/local/bin:/usr/bin", format!("LUSHA_API_KEY={ENV_KEY}")],
            "Cmd": ["/bin/sh", "-c", "exec server --port 8080"],
            "Entrypoint": ["/entrypoint.sh"],
            "Labels": {"org.opencontainers.image.title": "app"}
        },
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [
            {"created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
            {"created_by": format!("/bin/sh -c #(nop)  ENV LUSHA_API_KEY={ENV_KEY}"), "empty_layer": true},
            {"created_by": "RUN /bin/sh -c rm /app/.env # buildkit"}
        ]
    }))
    .unwrap()
}

/// Layer 1 ships a `.env` with a key, a secrets directory and a cache directory; layer 2 deletes
/// all three (whiteouts of a file and of a directory, an opaque marker) and adds files of its own.
fn two_layers() -> (Vec<u8>, Vec<u8>) {
    let env = format!("LUSHA_API_KEY={LAYER_KEY}\n");
    let first = tar_of(&[
        ("app/.env", env.as_bytes()),
        ("app/main.py", b"print('hi')\n"),
        ("etc/secrets/old.conf", b"token = 1\n"),
        ("var/cache/app/state.json", b"{}\n"),
    ]);
    let second = tar_of(&[
        ("app/.wh..env", b""),
        ("var/.wh.cache", b""),
        ("etc/secrets/.wh..wh..opq", b""),
        ("etc/secrets/new.conf", b"token = 2\n"),
        ("./app/VERSION", b"2\n"),
    ]);
    (first, second)
}

/// The classic `docker save` layout, with a second, untagged image whose only layer is a
/// symbolic link to the first image's first layer (as docker writes shared layers).
fn docker_save() -> Vec<u8> {
    let (first, second) = two_layers();
    let config = config_json(&[sha(&first), sha(&second)]);
    let config_name = format!("{}.json", hex(&config));
    let other_config = config_json(&[sha(&first)]);
    let other_name = format!("{}.json", hex(&other_config));
    let manifest = serde_json::to_vec(&json!([
        {"Config": config_name, "RepoTags": ["acme/app:1.0"], "Layers": ["aaa/layer.tar", "bbb/layer.tar"]},
        {"Config": other_name, "RepoTags": null, "Layers": ["ccc/layer.tar"]}
    ]))
    .unwrap();
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in [
        ("aaa/layer.tar", first.as_slice()),
        ("bbb/layer.tar", gzip(&second).as_slice()),
        (config_name.as_str(), config.as_slice()),
        (other_name.as_str(), other_config.as_slice()),
        ("manifest.json", manifest.as_slice()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, bytes).unwrap();
    }
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    builder
        .append_link(&mut link, "ccc/layer.tar", "../aaa/layer.tar")
        .unwrap();
    builder.into_inner().unwrap()
}

#[test]
fn docker_save_hands_over_every_layer_file_and_the_config() {
    let (first, second) = two_layers();
    let (blobs, problems) = read_tar_bytes(docker_save(), &Limits::default());
    assert_eq!(problems, vec![]);
    let tagged: Vec<Seen> = blobs
        .iter()
        .filter(|b| b.0 == "acme/app:1.0")
        .cloned()
        .collect();
    let l1 = Some(sha(&first));
    let l2 = Some(sha(&second));
    let image = "acme/app:1.0".to_string();
    assert_eq!(
        find(&tagged, "app/.env"),
        &(
            image.clone(),
            l1.clone(),
            "app/.env".into(),
            true,
            format!("LUSHA_API_KEY={LAYER_KEY}\n")
        )
    );
    assert!(!find(&tagged, "app/main.py").3);
    assert!(
        find(&tagged, "var/cache/app/state.json").3,
        "a deleted directory"
    );
    assert!(find(&tagged, "etc/secrets/old.conf").3, "opaque directory");
    assert_eq!(
        find(&tagged, "etc/secrets/new.conf"),
        &(
            image.clone(),
            l2.clone(),
            "etc/secrets/new.conf".into(),
            false,
            "token = 2\n".into()
        )
    );
    assert_eq!(find(&tagged, "app/VERSION").1, l2);
    assert!(
        tagged.iter().all(|b| !b.2.contains(".wh.")),
        "markers are not blobs"
    );
    assert_eq!(
        find(&tagged, "config.Env"),
        &(
            image.clone(),
            None,
            "config.Env".into(),
            false,
            format!("PATH=/usr/local/bin:/usr/bin\nLUSHA_API_KEY={ENV_KEY}\n")
        )
    );
    assert_eq!(
        find(&tagged, "config.Cmd").4,
        "/bin/sh -c exec server --port 8080\n"
    );
    assert_eq!(find(&tagged, "config.Entrypoint").4, "/entrypoint.sh\n");
    assert_eq!(
        find(&tagged, "config.Labels").4,
        "org.opencontainers.image.title=app\n"
    );
    assert_eq!(
        find(&tagged, "config.history[1].created_by").4,
        format!("/bin/sh -c #(nop)  ENV LUSHA_API_KEY={ENV_KEY}\n")
    );
    assert_eq!(
        find(&tagged, "config (top level)").4,
        "architecture=amd64\nconfig\nhistory\nos=linux\nrootfs\n"
    );
    assert_eq!(find(&tagged, "config.history[1]").4, "empty_layer=true\n");
    assert!(find(&tagged, "config.rootfs")
        .4
        .starts_with("diff_ids=sha256:"));
    // The config's texts: 4 fields, 3 history steps, the document's own fields, rootfs and the
    // rest of a history step.
    assert_eq!(tagged.len(), 10 + 4 + 2, "{tagged:#?}");

    // The untagged image is named by its config digest; its layer, reached through a symbolic
    // link, is the same first layer, and nothing deletes its files.
    let other: Vec<&Seen> = blobs.iter().filter(|b| b.0 != "acme/app:1.0").collect();
    let other_config = config_json(&[sha(&first)]);
    assert!(
        other.iter().all(|b| b.0 == sha(&other_config)),
        "{other:#?}"
    );
    let env = other.iter().find(|b| b.2 == "app/.env").unwrap();
    assert_eq!((env.1.clone(), env.3), (l1, false));
}

/// An OCI layout: blobs by digest, `index.json` → manifest → config and layers.
struct Layout {
    blobs: Vec<(String, Vec<u8>)>,
    index: Vec<u8>,
}

fn oci_layout(media_types: [&str; 2], layers: [Vec<u8>; 2], diff_ids: [String; 2]) -> Layout {
    let config = config_json(&diff_ids);
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
        "layers": [
            {"mediaType": media_types[0], "digest": sha(&layers[0]), "size": layers[0].len()},
            {"mediaType": media_types[1], "digest": sha(&layers[1]), "size": layers[1].len()}
        ]
    }))
    .unwrap();
    let index = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha(&manifest),
            "size": manifest.len(),
            "annotations": {"io.containerd.image.name": "docker.io/acme/app:2.0", "org.opencontainers.image.ref.name": "2.0"}
        }]
    }))
    .unwrap();
    let [first, second] = layers;
    Layout {
        blobs: vec![
            (sha(&first), first),
            (sha(&second), second),
            (sha(&config), config),
            (sha(&manifest), manifest),
        ],
        index,
    }
}

fn good_layout() -> Layout {
    let (first, second) = two_layers();
    let ids = [sha(&first), sha(&second)];
    oci_layout(
        [
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.oci.image.layer.v1.tar",
        ],
        [gzip(&first), second],
        ids,
    )
}

impl Layout {
    fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut files = vec![
            (
                "oci-layout".to_string(),
                br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
            ),
            ("index.json".to_string(), self.index.clone()),
        ];
        for (digest, bytes) in &self.blobs {
            files.push((
                format!("blobs/sha256/{}", &digest["sha256:".len()..]),
                bytes.clone(),
            ));
        }
        files
    }

    fn write_dir(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in self.files() {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
        dir
    }

    fn tarball(&self) -> Vec<u8> {
        let files = self.files();
        let refs: Vec<(&str, &[u8])> = files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        tar_of(&refs)
    }

    fn layer_digest(&self, i: usize) -> String {
        self.blobs[i].0.clone()
    }
}

fn assert_good_oci(layout: &Layout, blobs: &[Seen]) {
    let image = "docker.io/acme/app:2.0".to_string();
    assert_eq!(
        find(blobs, "app/.env"),
        &(
            image.clone(),
            Some(layout.layer_digest(0)),
            "app/.env".into(),
            true,
            format!("LUSHA_API_KEY={LAYER_KEY}\n")
        )
    );
    assert_eq!(
        find(blobs, "etc/secrets/new.conf").1,
        Some(layout.layer_digest(1))
    );
    assert!(find(blobs, "etc/secrets/old.conf").3, "opaque directory");
    assert!(find(blobs, "config.Env").4.contains(ENV_KEY));
    assert!(blobs.iter().all(|b| b.0 == image));
    assert_eq!(blobs.len(), 16, "{blobs:#?}");
}

#[test]
fn oci_layout_directory() {
    let layout = good_layout();
    let dir = layout.write_dir();
    assert!(sniff_dir(dir.path()));
    let (blobs, problems) = read_layout_dir(dir.path());
    assert_eq!(problems, vec![]);
    assert_good_oci(&layout, &blobs);
}

#[test]
fn oci_layout_tarball() {
    let layout = good_layout();
    let (blobs, problems) = read_tar_bytes(layout.tarball(), &Limits::default());
    assert_eq!(problems, vec![]);
    assert_good_oci(&layout, &blobs);
}

#[test]
fn entries_the_image_reader_did_not_read_are_leftovers() {
    let regular = |name: &str, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_path(name).unwrap();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        (header, bytes.to_vec())
    };
    let mut entries = Vec::new();
    let save = docker_save();
    let mut archive = tar::Archive::new(save.as_slice());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        entries.push((entry.header().clone(), bytes));
    }
    let read = |entries: &[(tar::Header, Vec<u8>)]| {
        let mut builder = tar::Builder::new(Vec::new());
        for (header, bytes) in entries {
            builder.append(header, bytes.as_slice()).unwrap();
        }
        let image = open_tar(Cursor::new(builder.into_inner().unwrap()))
            .ok()
            .unwrap();
        let (problems, leftovers) = image.read(&Limits::default(), &mut |_| {});
        assert_eq!(problems, vec![]);
        leftovers
            .into_iter()
            .map(|l| (l.name, l.size))
            .collect::<Vec<_>>()
    };
    // Every entry of a docker save is read; its manifest is also left to be scanned as a file.
    let manifest = entries
        .iter()
        .find(|(h, _)| h.path().unwrap().to_str() == Some("manifest.json"))
        .map(|(_, bytes)| bytes.len() as u64)
        .unwrap();
    assert_eq!(
        read(&entries),
        vec![("manifest.json".to_string(), manifest)]
    );
    // A file beside the image, and an earlier entry of a name the image reader read (it reads
    // only the last one).
    entries.insert(1, regular("notes/a.txt", b"hello\n"));
    entries.insert(0, regular("manifest.json", b"[]"));
    let mut left = read(&entries);
    left.sort();
    assert_eq!(
        left,
        vec![
            ("manifest.json".to_string(), 2),
            ("manifest.json".to_string(), manifest),
            ("notes/a.txt".to_string(), 6)
        ]
    );
}

#[test]
fn bytes_after_a_layers_tar_are_a_file_unless_they_are_zeros() {
    let layer_with = |tail: &[u8]| {
        let mut layer = tar_of(&[("app/a.txt", b"a\n")]);
        layer.extend_from_slice(tail);
        layer
    };
    let save_of = |layer: &[u8]| {
        let config = config_json(&[sha(layer)]);
        let config_name = format!("{}.json", hex(&config));
        let manifest = serde_json::to_vec(&json!([
            {"Config": config_name, "RepoTags": ["t:1"], "Layers": ["l/layer.tar"]}
        ]))
        .unwrap();
        tar_of(&[
            ("l/layer.tar", layer),
            (&config_name, &config),
            ("manifest.json", &manifest),
        ])
    };
    // Larger than memory holds, so that the tail is spooled as it is read.
    let limits = Limits {
        in_memory: 1024,
        ..Limits::default()
    };
    let (blobs, problems) = read_tar_bytes(save_of(&layer_with(&[0; 5000])), &limits);
    assert_eq!(problems, vec![]);
    assert!(!blobs.iter().any(|b| b.2.starts_with('<')), "{blobs:#?}");
    let mut tail = vec![0u8; 3000];
    tail.extend_from_slice(b"tail");
    let (blobs, problems) = read_tar_bytes(save_of(&layer_with(&tail)), &limits);
    assert_eq!(problems, vec![]);
    let after = find(&blobs, "<after end of tar>");
    assert!(after.4.ends_with("tail"), "{after:?}");
}

#[test]
fn what_is_not_an_image_is_given_back() {
    let plain = tar_of(&[("README.md", b"hello\n"), ("src/index.json", b"{}")]);
    let Err(mut back) = open_tar(Cursor::new(plain.clone())) else {
        panic!("a plain tar taken for an image");
    };
    let mut again = Vec::new();
    back.read_to_end(&mut again).unwrap();
    assert_eq!(again, plain, "given back rewound");
    assert!(open_tar(Cursor::new(b"not a tar at all".to_vec())).is_err());
    // A manifest.json that lists no image (a web app's, or an empty list) is not a docker save.
    for manifest in [&b"[]"[..], br#"{"name":"app"}"#, br#"[{"name":"app"}]"#] {
        let bytes = tar_of(&[("manifest.json", manifest), ("secret.txt", b"x\n")]);
        let Err(mut back) = open_tar(Cursor::new(bytes.clone())) else {
            panic!("{manifest:?} taken for an image");
        };
        let mut again = Vec::new();
        back.read_to_end(&mut again).unwrap();
        assert_eq!(again, bytes, "given back rewound");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.json"), "{}").unwrap();
    assert!(!sniff_dir(dir.path()), "index.json alone is not a layout");
}

#[test]
fn a_truncated_layer_is_a_problem_and_the_rest_is_read() {
    let (first, second) = two_layers();
    let mut broken = gzip(&first);
    broken.truncate(broken.len() / 2);
    let layout = oci_layout(
        [
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.oci.image.layer.v1.tar",
        ],
        [broken, second.clone()],
        [sha(&first), sha(&second)],
    );
    let (blobs, problems) = read_tar_bytes(layout.tarball(), &Limits::default());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(
        problems[0].what,
        format!("docker.io/acme/app:2.0 layer {}", layout.layer_digest(0))
    );
    assert!(
        problems[0].reason.starts_with("incomplete: "),
        "{problems:#?}"
    );
    assert!(find(&blobs, "etc/secrets/new.conf").4 == "token = 2\n");
    assert!(find(&blobs, "config.Env").4.contains(ENV_KEY));
}

#[test]
fn a_digest_mismatch_is_a_problem_and_the_files_are_still_read() {
    let mut layout = good_layout();
    // Same length, one byte changed in the uncompressed second layer's file contents.
    let second = &mut layout.blobs[1].1;
    let at = second.windows(9).position(|w| w == b"token = 2").unwrap();
    second[at + 8] = b'3';
    let (blobs, problems) = read_tar_bytes(layout.tarball(), &Limits::default());
    assert_eq!(
        problems,
        vec![Problem {
            what: format!("docker.io/acme/app:2.0 layer {}", layout.layer_digest(1)),
            reason: format!(
                "the blob does not match its digest {}",
                layout.layer_digest(1)
            ),
        }]
    );
    assert_eq!(find(&blobs, "etc/secrets/new.conf").4, "token = 3\n");
}

#[test]
fn a_missing_blob_and_a_zstd_layer_are_problems() {
    let (first, second) = two_layers();
    let mut layout = oci_layout(
        [
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.oci.image.layer.v1.tar+zstd",
        ],
        [gzip(&first), second.clone()],
        [sha(&first), sha(&second)],
    );
    let missing = layout.blobs.remove(0).0;
    let dir = layout.write_dir();
    let (blobs, problems) = read_layout_dir(dir.path());
    let digest = sha(&second);
    assert_eq!(
        problems,
        vec![
            Problem {
                what: format!("docker.io/acme/app:2.0 layer {digest}"),
                reason: "unsupported layer media type application/vnd.oci.image.layer.v1.tar+zstd"
                    .into(),
            },
            Problem {
                what: format!("docker.io/acme/app:2.0 layer {missing}"),
                reason: format!(
                    "blobs/sha256/{}: No such file or directory (os error 2)",
                    &missing[7..]
                ),
            },
        ]
    );
    assert!(
        find(&blobs, "config.Env").4.contains(ENV_KEY),
        "the config is still read"
    );
    assert_eq!(blobs.len(), 10, "only the config");
}

#[test]
fn the_inflated_bytes_bound_stops_a_layer() {
    let big = vec![b'x'; 1 << 20];
    let layer = tar_of(&[("big.bin", &big), ("after.txt", b"late\n")]);
    let layout = oci_layout(
        [
            "application/vnd.oci.image.layer.v1.tar+gzip",
            "application/vnd.oci.image.layer.v1.tar+gzip",
        ],
        [gzip(&layer), gzip(&layer)],
        [sha(&layer), sha(&layer)],
    );
    let limits = Limits {
        inflated: 1 << 19,
        ..Limits::default()
    };
    let (blobs, problems) = read_tar_bytes(layout.tarball(), &limits);
    assert!(
        blobs.iter().all(|b| b.1.is_none()),
        "no layer file got through: {:?}",
        blobs.iter().map(|b| &b.2).collect::<Vec<_>>()
    );
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0]
            .reason
            .contains("limit of 524288 inflated bytes"),
        "{problems:#?}"
    );
    assert!(
        problems[1].reason.starts_with("not read: "),
        "{problems:#?}"
    );
}

#[test]
fn large_files_are_spooled_and_archives_flagged() {
    let big = vec![b'y'; 4096];
    let inner = gzip(b"LUSHA=1\n");
    let layer = tar_of(&[("data/big.txt", &big), ("dist/app.tgz", &inner)]);
    let layout = oci_layout(
        [
            "application/vnd.oci.image.layer.v1.tar",
            "application/vnd.oci.image.layer.v1.tar",
        ],
        [layer.clone(), tar_of(&[])],
        [sha(&layer), sha(&tar_of(&[]))],
    );
    let limits = Limits {
        in_memory: 1024,
        ..Limits::default()
    };
    let image = open_tar(Cursor::new(layout.tarball())).ok().unwrap();
    let mut found = Vec::new();
    let (problems, _) = image.read(&limits, &mut |blob| {
        if blob.layer.is_some() {
            found.push(blob)
        }
    });
    assert_eq!(problems, vec![]);
    assert_eq!(found.len(), 2);
    let Content::Spooled(file) = &mut found[0].content else {
        panic!("4 KiB over a 1 KiB bound stays in memory");
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, big);
    assert!(!found[0].archive);
    assert!(found[1].archive, "a .tgz in a layer is flagged");
    assert!(matches!(&found[1].content, Content::Bytes(b) if *b == inner));
}

#[test]
fn spool_copies_a_stream_and_refuses_one_too_long() {
    let save = docker_save();
    let mut file = spool(&mut save.as_slice(), save.len() as u64).unwrap();
    let mut back = Vec::new();
    file.read_to_end(&mut back).unwrap();
    assert_eq!(back, save);
    assert!(spool(&mut save.as_slice(), save.len() as u64 - 1).is_err());
    let (blobs, problems) = {
        let file = spool(&mut save.as_slice(), u64::MAX).unwrap();
        let image = open_tar(file).ok().unwrap();
        let mut blobs = Vec::new();
        let (problems, _) = image.read(&Limits::default(), &mut |b| blobs.push(b.path));
        (blobs, problems)
    };
    assert_eq!(problems, vec![]);
    assert!(blobs.contains(&"app/.env".to_string()));
}

#[test]
fn names_in_a_layout_stay_inside_it() {
    assert_eq!(normalize("./a//b/../c"), Some("a/c".into()));
    assert_eq!(normalize("../etc/passwd"), None);
    assert_eq!(normalize("/"), None);
    assert_eq!(blob_name("sha256:../../etc"), None);
    assert_eq!(digest_in_name("aaa/layer.tar"), None);
}

/// A download cut short: what the headers reached is read, and the damage is a problem.
#[test]
fn a_truncated_archive_is_read_as_far_as_it_goes() {
    let layout = good_layout();
    let mut files = layout.files();
    // index.json, the manifest and the config first, the layers last, as a tool might write.
    files.rotate_left(2);
    files.reverse();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let mut archive = tar_of(&refs);
    let last = files.last().unwrap().1.len();
    archive.truncate(archive.len() - 1024 - last.div_ceil(512) * 512 - 100);
    let (blobs, problems) = read_tar_bytes(archive, &Limits::default());
    assert!(
        problems[0].what == "image archive"
            && problems[0]
                .reason
                .starts_with("the archive is damaged after "),
        "{problems:#?}"
    );
    assert!(find(&blobs, "config.Env").4.contains(ENV_KEY));
    assert!(
        problems.len() >= 2,
        "a layer is cut or missing: {problems:#?}"
    );
}

#[cfg(unix)]
#[test]
fn a_fifo_in_a_layout_is_not_opened() {
    let layout = good_layout();
    let dir = layout.write_dir();
    let config = dir
        .path()
        .join(format!("blobs/sha256/{}", &layout.blobs[2].0[7..]));
    std::fs::remove_file(&config).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&config)
        .status()
        .unwrap();
    assert!(made.success());
    let (blobs, problems) = read_layout_dir(dir.path());
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0].reason.ends_with("not a regular file"),
        "{problems:#?}"
    );
    assert!(find(&blobs, "app/.env").3, "the layers are still read");
}

/// Classic docker save names layers by id, so the config's diff_ids are what a changed layer
/// (plain or gzip) is caught by.
#[test]
fn a_changed_layer_in_a_classic_docker_save_is_caught_by_its_diff_id() {
    for compress in [false, true] {
        let (first, _) = two_layers();
        let config = config_json(&[sha(&first)]);
        let config_name = format!("{}.json", hex(&config));
        let manifest = serde_json::to_vec(&json!([
            {"Config": config_name, "RepoTags": ["c:1"], "Layers": ["aaa/layer.tar"]}
        ]))
        .unwrap();
        let mut changed = first.clone();
        let at = changed.windows(9).position(|w| w == b"token = 1").unwrap();
        changed[at + 8] = b'7';
        let layer = if compress { gzip(&changed) } else { changed };
        let archive = tar_of(&[
            ("aaa/layer.tar", &layer),
            (&config_name, &config),
            ("manifest.json", &manifest),
        ]);
        let (blobs, problems) = read_tar_bytes(archive, &Limits::default());
        assert_eq!(
            problems,
            vec![Problem {
                what: format!("c:1 layer {}", sha(&first)),
                reason: format!(
                    "the uncompressed layer does not match its diff_id {}",
                    sha(&first)
                ),
            }],
            "gzip: {compress}"
        );
        assert_eq!(find(&blobs, "etc/secrets/old.conf").4, "token = 7\n");
    }
}

/// Docker 25+ writes an OCI layout and a `manifest.json` naming its blobs: the manifest (and its
/// tags) is read, and its layers are labelled and checked by their digests.
#[test]
fn docker_save_with_an_embedded_oci_layout() {
    let layout = good_layout();
    let blob = |i: usize| format!("blobs/sha256/{}", &layout.blobs[i].0["sha256:".len()..]);
    let manifest = serde_json::to_vec(&json!([
        {"Config": blob(2), "RepoTags": ["acme/app:3.0"], "Layers": [blob(0), blob(1)]}
    ]))
    .unwrap();
    let mut files = layout.files();
    files.push(("manifest.json".into(), manifest));
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    let (blobs, problems) = read_tar_bytes(tar_of(&refs), &Limits::default());
    assert_eq!(problems, vec![]);
    let env = find(&blobs, "app/.env");
    assert_eq!(
        (env.0.as_str(), env.1.clone(), env.3),
        ("acme/app:3.0", Some(layout.layer_digest(0)), true)
    );
    assert_eq!(blobs.len(), 16);
}

/// A classic docker save layer compressed with zstd (no media type to say so) is named as such.
#[test]
fn a_zstd_layer_in_docker_save_is_named() {
    let config = config_json(&[]);
    let config_name = format!("{}.json", hex(&config));
    let manifest = serde_json::to_vec(&json!([
        {"Config": config_name, "RepoTags": ["z:1"], "Layers": ["zzz/layer.tar"]}
    ]))
    .unwrap();
    let zstd = [0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0];
    let archive = tar_of(&[
        ("zzz/layer.tar", &zstd),
        (&config_name, &config),
        ("manifest.json", &manifest),
    ]);
    let (blobs, problems) = read_tar_bytes(archive, &Limits::default());
    assert_eq!(
        problems,
        vec![Problem {
            what: "z:1 layer zzz/layer.tar".into(),
            reason: "unsupported layer compression zstd".into()
        }]
    );
    assert_eq!(blobs.len(), 10, "the config is still read");
}

/// A multi-platform index inside the layout's index, listed twice, with an attestation manifest
/// whose in-toto "layer" is handed over whole; each manifest is read once.
#[test]
fn nested_indexes_and_attestations() {
    let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut put = |bytes: Vec<u8>| {
        let digest = sha(&bytes);
        blobs.push((digest.clone(), bytes));
        digest
    };
    let layer = tar_of(&[(
        "srv/.env",
        format!("LUSHA_API_KEY={LAYER_KEY}\n").as_bytes(),
    )]);
    let layer_digest = put(gzip(&layer));
    let config = config_json(&[sha(&layer)]);
    let config_digest = put(config.clone());
    let image = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest, "size": 0}]
    }))
    .unwrap();
    let image_digest = put(image);
    let statement = format!(r#"{{"predicate":{{"buildArgs":{{"LUSHA_API_KEY":"{ENV_KEY}"}}}}}}"#);
    let statement_digest = put(statement.clone().into_bytes());
    let empty = br#"{"architecture":"unknown","os":"unknown","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec();
    let empty_digest = put(empty.clone());
    let attestation = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": empty_digest, "size": empty.len()},
        "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": statement_digest, "size": statement.len()}]
    }))
    .unwrap();
    let attestation_digest = put(attestation);
    let platforms = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"digest": image_digest, "platform": {"os": "linux", "architecture": "amd64"}},
            {"digest": attestation_digest, "annotations": {"vnd.docker.reference.type": "attestation-manifest"}}
        ]
    }))
    .unwrap();
    let platforms_digest = put(platforms);
    let named = json!({"digest": platforms_digest, "annotations": {"io.containerd.image.name": "acme/multi:1"}});
    let layout = Layout {
        blobs,
        index: serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [named, named]}))
            .unwrap(),
    };
    let (seen, problems) = read_tar_bytes(layout.tarball(), &Limits::default());
    let gzipped = gzip(&layer).len();
    assert_eq!(
        problems,
        vec![Problem {
            what: format!("acme/multi:1 layer {layer_digest}"),
            reason: format!("{gzipped} bytes, the manifest says 0"),
        }],
        "a wrong size is named, and the layer still read"
    );
    assert!(seen.iter().all(|b| b.0 == "acme/multi:1"));
    assert_eq!(find(&seen, "srv/.env").1, Some(layer_digest));
    let statement_path = format!("blobs/sha256/{}", &statement_digest[7..]);
    assert_eq!(find(&seen, &statement_path).4, statement);
    // The image's config texts, the statement, the layer's file, and the attestation config's
    // own fields and rootfs.
    assert_eq!(seen.len(), 10 + 1 + 1 + 2, "{seen:#?}");
}

/// The texts the reader makes of a config are ones the detector finds keys in, at the confidence
/// a scan reports by default.
#[test]
fn the_detector_finds_keys_in_config_texts() {
    let detector = Detector::new(RuleSet::builtin().unwrap());
    let key = "cf457a60-d5ed-4ad7-b15b-1e955473d439"; // lushaguard:allow (test key)
    let forms = [
        (
            "config.Env",
            format!("PATH=/usr/bin\nLUSHA_API_KEY={key}\n"),
        ),
        (
            "config.history[1].created_by",
            format!("/bin/sh -c #(nop)  ENV LUSHA_API_KEY={key}\n"),
        ),
        (
            "config.history[1].created_by",
            format!("ENV LUSHA_API_KEY={key}\n"),
        ),
        (
            "config.history[1].created_by",
            format!("ARG LUSHA_API_KEY={key}\n"),
        ),
        (
            "config.history[2].created_by",
            format!("RUN |1 LUSHA_API_KEY={key} /bin/sh -c ./build.sh # buildkit\n"),
        ),
        ("config.Labels", format!("com.lusha.api-key={key}\n")),
        (
            "config.Cmd",
            format!("/bin/sh -c curl -H 'api_key: {key}' https://api.lusha.com/v2/person\n"),
        ),
        (
            "config.Entrypoint",
            format!("/app/run --lusha-api-key {key}\n"),
        ),
    ];
    let mut missed = Vec::new();
    for (path, text) in &forms {
        let found = detector.detect(&Document::whole(text.as_bytes(), path));
        // Reported by default: medium confidence or above.
        if !found
            .iter()
            .any(|d| d.secret.expose() == key && d.confidence >= Confidence::Medium)
        {
            missed.push(text.clone());
        }
    }
    assert_eq!(missed, Vec::<String>::new());
}

/// Keys in config fields that have no text of their own (a `HEALTHCHECK` command, an old
/// builder's `container_config`, a comment, a field of any shape) are still handed to the
/// detector, and found.
#[test]
fn keys_in_every_other_config_field_are_found() {
    let key = "7d1a0c2e-5b3f-4e8a-9c6d-2f4b8e1a3c5d"; // lushaguard:allow (test key)
    let env = format!("LUSHA_API_KEY={key}");
    let config = json!({
        "architecture": "amd64",
        "comment": format!("built with {env}"),
        "config": {
            "Env": ["PATH=/usr/bin"],
            "Healthcheck": {
                "Test": ["CMD-SHELL", format!("curl -fsS -H 'api_key: {key}' https://api.lusha.com/v3/account/usage")],
                "Interval": 30_000_000_000u64
            },
            "WorkingDir": "/app",
            // Shapes config_texts does not render: each is read here instead.
            "Labels": {"build": [env.clone()]},
            "Volumes": {env.clone(): {}},
            "Mixed": ["a", 1, env.clone()],
            "Nested": [[env.clone()]]
        },
        "container_config": {"Env": [env.clone()]},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:00"], "note": env.clone()},
        "history": [{"created_by": "RUN true", "comment": format!("lusha api_key: {key}")}]
    });
    let texts = config_texts(&config);
    let names: Vec<&str> = texts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "config.Env",
            "config.history[0].created_by",
            "config.Healthcheck",
            "config.Labels",
            "config.Mixed",
            "config.Nested[0]",
            "config.Volumes",
            "config",
            "config.container_config",
            "config.history[0]",
            "config.rootfs",
            "config (top level)"
        ]
    );
    let detector = Detector::new(RuleSet::builtin().unwrap());
    for (name, text) in &texts[2..] {
        match name.as_str() {
            "config" => assert!(text.contains("WorkingDir=/app\n"), "{text}"),
            _ => {
                let found = detector.detect(&Document::whole(text.as_bytes(), name));
                assert!(
                    found
                        .iter()
                        .any(|d| d.secret.expose() == key && d.confidence >= Confidence::Low),
                    "{name}: {text}"
                );
            }
        }
    }
}

/// Against a real `docker save` (needs a Docker daemon and the image pulled; not run by default:
/// `LUSHAGUARD_TEST_IMAGE=alpine:3 cargo test real_docker_save -- --ignored`). Reads the pipe
/// the way `docker save IMAGE | lushaguard scan -` would: spooled, then indexed.
#[test]
#[ignore = "needs a Docker daemon"]
fn real_docker_save() {
    let image = std::env::var("LUSHAGUARD_TEST_IMAGE").unwrap_or_else(|_| "alpine:3".into());
    let mut child = std::process::Command::new("docker")
        .args(["save", &image])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let file = spool(child.stdout.as_mut().unwrap(), u64::MAX).unwrap();
    assert!(child.wait().unwrap().success());
    let tar = open_tar(file).ok().unwrap();
    let (mut files, mut config) = (0, 0);
    let (problems, _) = tar.read(&Limits::default(), &mut |blob| match blob.layer {
        Some(_) => files += 1,
        None => config += 1,
    });
    assert_eq!(problems, vec![]);
    assert!(
        files > 0 && config > 0,
        "{files} files, {config} config texts"
    );
}
