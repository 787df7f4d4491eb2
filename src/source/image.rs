//! Container images: reads a `docker save` archive (the classic layout with `manifest.json`,
//! `<id>.json` configs and `<id>/layer.tar`, or the newer one that embeds an OCI layout) or an OCI
//! image layout (a directory, or a tarball of one) and hands over, for every image in it, every
//! regular file of every layer as an [`ImageBlob`], plus every string of the image config: the
//! fields where build steps leave keys (`Env`, `Cmd`, `Entrypoint`, `Labels`, `OnBuild` and each
//! `history[].created_by`) as text rendered the way a Dockerfile or a `.env` file would say it,
//! and every other field as `name=value` lines (`other_fields`).
//!
//! A file removed by a later layer (a `.wh.NAME` whiteout, or an opaque directory marker) is
//! still shipped in the image, so it is handed over with `deleted: true`. Layers are read from the
//! top one down, once each, so that the whiteouts of the layers above are known when a layer is
//! read; the markers themselves are not blobs.
//!
//! Everything read is untrusted. The outer tarball is indexed by its headers and read by seeking,
//! never loaded whole; layer streams are decompressed on the fly; the bytes inflated and the
//! entries read are bounded ([`Limits`]); every blob and config is checked against its sha256
//! digest while it streams (a classic docker save layer, named by id, against the config's
//! `diff_ids`). Anything that could not be read whole or did not match is a [`Problem`], and the
//! rest is still read; files are handed over as they stream, before their layer's digest is known
//! to match. Names inside the image are only names: nothing is written to disk except unnamed
//! temporary files ([`spool`], and the spool of a layer file too large to hold in memory).

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::source::archive::SNIFF_LEN;

/// Bounds on what one image (or archive of images) may make us read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Total bytes of uncompressed layer streams, over every image in the input.
    pub inflated: u64,
    /// Total tar entries in layers, over every image in the input.
    pub entries: u64,
    /// A layer file larger than this is spooled to an unnamed temporary file instead of memory.
    pub in_memory: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            inflated: 8 << 30,
            entries: 4_000_000,
            in_memory: 16 << 20,
        }
    }
}

/// The bytes of one blob: in memory, or in an unnamed temporary file positioned at its start
/// (read it as often as needed by seeking back).
#[derive(Debug)]
pub(crate) enum Content {
    Bytes(Vec<u8>),
    Spooled(File),
}

/// One file of a layer, or one field of an image config.
#[derive(Debug)]
pub(crate) struct ImageBlob {
    /// `RepoTags[0]` (docker save) or the image name annotation (OCI), else the config digest.
    pub image: String,
    /// The layer's digest; `None` for the image config.
    pub layer: Option<String>,
    /// The file's path in the layer (no leading `/`), or the config field (`config.Env`,
    /// `config.history[3].created_by`).
    pub path: String,
    /// Deleted by a later layer (whiteout), yet still shipped in the image.
    pub deleted: bool,
    pub content: Content,
    /// The content starts like a zip, gzip or tar archive: worth handing to the archive reader.
    pub archive: bool,
}

/// Something that should have been read and was not, or did not match its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub what: String,
    pub reason: String,
}

/// An OCI image layout directory holds an `oci-layout` file and an `index.json`.
pub(crate) fn sniff_dir(path: &Path) -> bool {
    let regular = |name: &str| {
        std::fs::symlink_metadata(path.join(name)).is_ok_and(|meta| meta.file_type().is_file())
    };
    regular("oci-layout") && regular("index.json")
}

/// Reads every image of the OCI layout directory at `path`. Gives its problems and the files
/// it read (layers, configs, manifests, indexes, as `path` joined with their names), which the
/// walk of the same directory then leaves out; every other file there is still walked.
pub(crate) fn read_dir(
    path: &Path,
    limits: &Limits,
    visit: &mut dyn FnMut(ImageBlob),
) -> (Vec<Problem>, BTreeSet<PathBuf>) {
    let mut store = DirStore {
        root: path.to_path_buf(),
        opened: BTreeSet::new(),
    };
    let problems = read_store(&mut store, limits, visit);
    (problems, store.opened)
}

/// A tar holding images, indexed by its headers.
pub(crate) struct ImageTar<R> {
    store: TarStore<R>,
}

/// A regular entry of an image tar that the image reader did not read (a README next to the
/// layout, a file planted beside `manifest.json`): still to be scanned, as an archive entry.
#[derive(Debug)]
pub(crate) struct Leftover {
    pub name: String,
    /// Where its contents start in the tar, and their size.
    pub offset: u64,
    pub size: u64,
}

/// Indexes `reader` as a tar by its headers only (seeking over the contents) and keeps it when
/// it holds an OCI layout (`oci-layout` and `index.json`) or a `docker save` `manifest.json` that
/// lists at least one image, at its top level. Gives the reader back, rewound, when it is not an
/// image (or not a tar at all): a web app's own `manifest.json` does not make a tarball an image.
pub(crate) fn open_tar<R: Read + Seek>(mut reader: R) -> Result<ImageTar<R>, R> {
    let index = index_tar(&mut reader);
    let Some(index) = index else {
        let _ = reader.seek(SeekFrom::Start(0));
        return Err(reader);
    };
    let oci = index.files.contains_key("oci-layout") && index.files.contains_key("index.json");
    let docker = index.files.contains_key("manifest.json");
    let mut store = TarStore {
        reader,
        index,
        opened: BTreeSet::new(),
    };
    let is_image = oci || (docker && lists_docker_images(&mut store));
    store.opened.clear();
    if store.reader.seek(SeekFrom::Start(0)).is_err() || !is_image {
        return Err(store.reader);
    }
    Ok(ImageTar { store })
}

/// Whether the tar's `manifest.json` is a `docker save` manifest: a list of images, each an
/// object naming its `Config` or its `Layers`.
fn lists_docker_images(store: &mut dyn Store) -> bool {
    let Ok((reader, _)) = store.open("manifest.json") else {
        return false;
    };
    let mut text = Vec::new();
    if reader.take(MAX_JSON).read_to_end(&mut text).is_err() {
        return false;
    }
    let Ok(Value::Array(images)) = serde_json::from_slice::<Value>(&text) else {
        return false;
    };
    !images.is_empty()
        && images.iter().all(|image| {
            image.get("Config").is_some_and(Value::is_string)
                || image.get("Layers").is_some_and(Value::is_array)
        })
}

impl<R: Read + Seek> ImageTar<R> {
    /// Reads every image in the tar. Gives its problems and every regular entry (and any other
    /// entry carrying data that is not a link) the image reader did not read, to be scanned as
    /// ordinary archive entries: nothing in the tar goes unscanned because it is an image.
    pub(crate) fn read(
        mut self,
        limits: &Limits,
        visit: &mut dyn FnMut(ImageBlob),
    ) -> (Vec<Problem>, Vec<Leftover>) {
        let mut problems = Vec::new();
        if let Some(reason) = self.store.index.damage.take() {
            problems.push(Problem {
                what: "image archive".to_string(),
                reason,
            });
        }
        problems.extend(read_store(&mut self.store, limits, visit));
        let leftovers = self.leftovers(&mut problems);
        (problems, leftovers)
    }

    /// The entries whose contents the image reader did not open, found by a second pass over
    /// the headers (the index keeps only the top three levels, and only the last entry of a
    /// name). An entry is known by where its contents start, so a second entry of a name is
    /// still scanned.
    fn leftovers(&mut self, problems: &mut Vec<Problem>) -> Vec<Leftover> {
        let mut found = Vec::new();
        if self.store.reader.seek(SeekFrom::Start(0)).is_err() {
            problems.push(Problem {
                what: "image archive".to_string(),
                reason: "cannot rewind to read the entries outside the images".to_string(),
            });
            return found;
        }
        let mut archive = tar::Archive::new(&mut self.store.reader);
        let entries = match archive.entries_with_seek() {
            Ok(entries) => entries,
            Err(e) => {
                problems.push(Problem {
                    what: "image archive".to_string(),
                    reason: format!("cannot read the entries outside the images: {e}"),
                });
                return found;
            }
        };
        // A damaged tail is already a problem (`TarIndex::damage`): stop there.
        for entry in entries.map_while(Result::ok) {
            let kind = entry.header().entry_type();
            let link = kind.is_symlink() || kind.is_hard_link() || kind.is_dir();
            let meta = kind.is_pax_global_extensions()
                || kind.is_pax_local_extensions()
                || kind.is_gnu_longname()
                || kind.is_gnu_longlink();
            let offset = entry.raw_file_position();
            if link || meta || entry.size() == 0 || self.store.opened.contains(&offset) {
                continue;
            }
            found.push(Leftover {
                name: String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
                offset,
                size: entry.size(),
            });
        }
        found
    }
}

/// Copies a non-seekable stream (`docker save IMAGE | lushaguard scan -`) into an unnamed
/// temporary file, readable only by us and removed when closed, and rewinds it. Fails rather than
/// truncate when the stream is longer than `max` bytes.
pub(crate) fn spool(reader: &mut dyn Read, max: u64) -> io::Result<File> {
    let mut file = tempfile::tempfile()?;
    let copied = io::copy(&mut reader.take(max.saturating_add(1)), &mut file)?;
    if copied > max {
        return Err(io::Error::other(format!(
            "the input is larger than {max} bytes"
        )));
    }
    file.seek(SeekFrom::Start(0))?;
    Ok(file)
}

// ---------------------------------------------------------------------------------------------
// Where the blobs of an image live: a directory or an indexed tar.

/// The names given to what follows a layer's tar end marker, and its compressed stream.
const AFTER_TAR: &str = "<after end of tar>";
const AFTER_LAYER: &str = "<after end of layer blob>";
/// The most a manifest, index or config may weigh: they are small JSON documents.
const MAX_JSON: u64 = 16 << 20;
/// How deep OCI indexes may nest (an index of platforms inside the layout's index).
const MAX_NESTING: usize = 4;
/// Outer tar headers looked at before deciding a tar is not an image.
const MAX_OUTER_ENTRIES: usize = 1_000_000;

trait Store {
    fn exists(&self, name: &str) -> bool;
    /// Opens a blob by its name in the layout; gives its reader and size.
    fn open(&mut self, name: &str) -> Result<(Box<dyn Read + '_>, u64), String>;
    /// Leaves a blob opened for the layout's structure (an index, a manifest) to be scanned as
    /// a file too: its annotations are text no other part of the image holds.
    fn leave(&mut self, name: &str);
}

struct DirStore {
    root: PathBuf,
    /// The files opened, so that the walk of the layout leaves out only those.
    opened: BTreeSet<PathBuf>,
}

impl DirStore {
    /// The file at `name` under the root, refusing `..` and symbolic links on the way: a layout
    /// is untrusted and must not make us read outside it.
    fn locate(&self, name: &str) -> Result<PathBuf, String> {
        let parts =
            normalize(name).ok_or_else(|| format!("{name}: not a name inside the layout"))?;
        let mut path = self.root.clone();
        let mut meta = None;
        for part in parts.split('/') {
            path.push(part);
            let found = std::fs::symlink_metadata(&path).map_err(|e| format!("{name}: {e}"))?;
            if found.file_type().is_symlink() {
                return Err(format!("{name}: a symbolic link, not followed"));
            }
            meta = Some(found);
        }
        // Checked before opening: opening a FIFO planted in the layout would block.
        if !meta.is_some_and(|meta| meta.is_file()) {
            return Err(format!("{name}: not a regular file"));
        }
        Ok(path)
    }
}

impl Store for DirStore {
    fn exists(&self, name: &str) -> bool {
        self.locate(name).is_ok()
    }

    fn open(&mut self, name: &str) -> Result<(Box<dyn Read + '_>, u64), String> {
        let path = self.locate(name)?;
        // What `locate` saw may have been swapped since: a FIFO must not block the open, and a
        // symbolic link in the last place must not be followed out of the layout.
        let mut options = std::fs::OpenOptions::new();
        options.read(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_NOFOLLOW);
        }
        let file = options.open(&path).map_err(|e| format!("{name}: {e}"))?;
        let meta = file.metadata().map_err(|e| format!("{name}: {e}"))?;
        if !meta.is_file() {
            return Err(format!("{name}: not a regular file"));
        }
        self.opened.insert(path);
        Ok((Box::new(file), meta.len()))
    }

    fn leave(&mut self, name: &str) {
        if let Ok(path) = self.locate(name) {
            self.opened.remove(&path);
        }
    }
}

struct TarStore<R> {
    reader: R,
    index: TarIndex,
    /// Where the contents of the entries opened start: the rest are leftovers.
    opened: BTreeSet<u64>,
}

struct TarIndex {
    /// Regular files: name → (offset of the contents, size).
    files: BTreeMap<String, (u64, u64)>,
    /// Symbolic links (classic docker save links a layer shared by two images): name → target.
    links: BTreeMap<String, String>,
    /// Why the headers stopped before the end of the archive (a truncated download).
    damage: Option<String>,
}

/// The names near the top of a tar (an image layout is three levels deep at most) with where
/// their contents sit. `None` when it is not a tar (its first header is unreadable).
fn index_tar<R: Read + Seek>(reader: &mut R) -> Option<TarIndex> {
    let mut archive = tar::Archive::new(reader);
    let mut files = BTreeMap::new();
    let mut links = BTreeMap::new();
    let mut damage = None;
    for (seen, entry) in archive.entries_with_seek().ok()?.enumerate() {
        if seen >= MAX_OUTER_ENTRIES {
            return None;
        }
        let entry = match entry {
            Ok(entry) => entry,
            Err(_) if seen == 0 => return None,
            Err(e) => {
                damage = Some(format!("the archive is damaged after {seen} entries: {e}"));
                break;
            }
        };
        let Some(name) = normalize(&String::from_utf8_lossy(&entry.path_bytes())) else {
            continue;
        };
        if name.split('/').count() > 3 {
            continue;
        }
        let kind = entry.header().entry_type();
        if kind.is_file() || kind.is_contiguous() {
            links.remove(&name);
            files.insert(name, (entry.raw_file_position(), entry.size()));
        } else if kind.is_symlink() || kind.is_hard_link() {
            if let Some(target) = entry.link_name_bytes() {
                let target = String::from_utf8_lossy(&target).into_owned();
                let target = if kind.is_symlink() {
                    // A symbolic link's target is relative to its own directory.
                    match target.strip_prefix('/') {
                        Some(absolute) => absolute.to_string(),
                        None => match name.rsplit_once('/') {
                            Some((dir, _)) => format!("{dir}/{target}"),
                            None => target,
                        },
                    }
                } else {
                    target
                };
                files.remove(&name);
                links.insert(name, target);
            }
        }
    }
    Some(TarIndex {
        files,
        links,
        damage,
    })
}

impl<R: Read + Seek> TarStore<R> {
    fn resolve(&self, name: &str) -> Option<(u64, u64)> {
        let mut name = normalize(name)?;
        for _ in 0..8 {
            if let Some(found) = self.index.files.get(&name) {
                return Some(*found);
            }
            name = normalize(self.index.links.get(&name)?)?;
        }
        None
    }
}

impl<R: Read + Seek> Store for TarStore<R> {
    fn exists(&self, name: &str) -> bool {
        self.resolve(name).is_some()
    }

    fn open(&mut self, name: &str) -> Result<(Box<dyn Read + '_>, u64), String> {
        let (offset, size) = self
            .resolve(name)
            .ok_or_else(|| format!("{name}: missing from the archive"))?;
        self.reader
            .seek(SeekFrom::Start(offset))
            .map_err(|e| e.to_string())?;
        self.opened.insert(offset);
        Ok((Box::new((&mut self.reader).take(size)), size))
    }

    fn leave(&mut self, name: &str) {
        if let Some((offset, _)) = self.resolve(name) {
            self.opened.remove(&offset);
        }
    }
}

/// A `/`-separated name with `.`, empty parts and a leading `/` removed; `None` when it is empty
/// or climbs above its root.
fn normalize(name: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in name.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

// ---------------------------------------------------------------------------------------------
// Reading the images of a store.

/// A layer to read: where its blob is and what it must hash to.
struct LayerRef {
    name: String,
    label: String,
    /// sha256 of the blob as stored (OCI descriptors, and docker save's `blobs/sha256/…` names).
    digest: Option<String>,
    size: Option<u64>,
    /// sha256 of the uncompressed tar, from the config's `rootfs.diff_ids`.
    diff_id: Option<String>,
    media_type: Option<String>,
}

/// Paths removed by the layers above the one being read.
#[derive(Default)]
struct Hidden {
    deleted: BTreeSet<String>,
    opaque: BTreeSet<String>,
}

impl Hidden {
    fn covers(&self, path: &str) -> bool {
        if self.opaque.contains("") {
            return true;
        }
        let mut end = 0;
        for part in path.split('/') {
            end += part.len();
            let prefix = &path[..end];
            if self.deleted.contains(prefix) || (end < path.len() && self.opaque.contains(prefix)) {
                return true;
            }
            end += 1;
        }
        false
    }
}

struct Run<'a> {
    limits: &'a Limits,
    inflated: u64,
    entries: u64,
    problems: Vec<Problem>,
    /// Manifests already read: an index may list one twice (or an index itself, in a loop).
    manifests: BTreeSet<String>,
    visit: &'a mut dyn FnMut(ImageBlob),
}

fn read_store(
    store: &mut dyn Store,
    limits: &Limits,
    visit: &mut dyn FnMut(ImageBlob),
) -> Vec<Problem> {
    let mut run = Run {
        limits,
        inflated: 0,
        entries: 0,
        problems: Vec::new(),
        manifests: BTreeSet::new(),
        visit,
    };
    if store.exists("manifest.json") {
        run.docker(store);
    } else if store.exists("index.json") {
        run.oci(store);
    } else {
        run.problem("image", "neither manifest.json nor index.json");
    }
    run.problems
}

impl Run<'_> {
    fn problem(&mut self, what: impl Into<String>, reason: impl Into<String>) {
        self.problems.push(Problem {
            what: what.into(),
            reason: reason.into(),
        });
    }

    /// The classic `docker save` manifest: `[{"Config", "RepoTags", "Layers"}]`.
    fn docker(&mut self, store: &mut dyn Store) {
        let Some(manifest) = self.document(store, "manifest.json", None) else {
            return;
        };
        let Some(images) = manifest.as_array() else {
            self.problem("manifest.json", "not a list of images");
            return;
        };
        for (index, image) in images.iter().enumerate() {
            let config_name = image.get("Config").and_then(Value::as_str);
            let config_digest = config_name.and_then(digest_in_name);
            let name = image
                .get("RepoTags")
                .and_then(|tags| tags.get(0))
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| config_digest.clone())
                .unwrap_or_else(|| format!("manifest.json[{index}]"));
            let config = match config_name {
                Some(config_name) => self.json(store, config_name, config_digest.as_deref()),
                None => {
                    self.problem(&name, "manifest.json names no config");
                    None
                }
            };
            let diff_ids = config.as_ref().map(diff_ids).unwrap_or_default();
            let Some(names) = image.get("Layers").and_then(Value::as_array) else {
                self.problem(&name, "manifest.json lists no layers");
                continue;
            };
            let layers = names
                .iter()
                .enumerate()
                .map(|(i, layer)| {
                    let layer = layer.as_str().unwrap_or_default().to_string();
                    let digest = digest_in_name(&layer);
                    let diff_id = diff_ids.get(i).cloned();
                    LayerRef {
                        label: digest
                            .clone()
                            .or_else(|| diff_id.clone())
                            .unwrap_or_else(|| layer.clone()),
                        name: layer,
                        digest,
                        size: None,
                        diff_id,
                        media_type: None,
                    }
                })
                .collect();
            self.image(store, &name, config.as_ref(), layers);
        }
    }

    /// An OCI layout: `index.json` lists manifests (or nested indexes) by digest.
    fn oci(&mut self, store: &mut dyn Store) {
        let Some(index) = self.document(store, "index.json", None) else {
            return;
        };
        self.oci_index(store, &index, None, 0);
    }

    fn oci_index(
        &mut self,
        store: &mut dyn Store,
        index: &Value,
        name: Option<&str>,
        depth: usize,
    ) {
        let Some(manifests) = index.get("manifests").and_then(Value::as_array) else {
            self.problem("index.json", "no manifests");
            return;
        };
        for descriptor in manifests {
            let Some(digest) = descriptor.get("digest").and_then(Value::as_str) else {
                self.problem("index.json", "a manifest without a digest");
                continue;
            };
            let annotation = |key: &str| {
                descriptor
                    .get("annotations")
                    .and_then(|a| a.get(key))
                    .and_then(Value::as_str)
            };
            let name = annotation("io.containerd.image.name")
                .or(name)
                .or_else(|| annotation("org.opencontainers.image.ref.name"));
            let Some(blob) = blob_name(digest) else {
                self.problem(digest, "not a sha256 digest");
                continue;
            };
            if !self.manifests.insert(digest.to_string()) {
                continue;
            }
            let Some(manifest) = self.document(store, &blob, Some(digest)) else {
                continue;
            };
            if manifest.get("manifests").is_some() {
                if depth >= MAX_NESTING {
                    self.problem(digest, "image indexes nested too deep");
                } else {
                    self.oci_index(store, &manifest, name, depth + 1);
                }
            } else {
                self.oci_manifest(store, &manifest, digest, name);
            }
        }
    }

    fn oci_manifest(
        &mut self,
        store: &mut dyn Store,
        manifest: &Value,
        digest: &str,
        name: Option<&str>,
    ) {
        let config_digest = manifest
            .get("config")
            .and_then(|c| c.get("digest"))
            .and_then(Value::as_str);
        let name = name.or(config_digest).unwrap_or(digest).to_string();
        let config = match config_digest.map(|d| (d, blob_name(d))) {
            Some((digest, Some(blob))) => self.json(store, &blob, Some(digest)),
            _ => {
                self.problem(&name, "the manifest names no sha256 config");
                None
            }
        };
        let diff_ids = config.as_ref().map(diff_ids).unwrap_or_default();
        let Some(descriptors) = manifest.get("layers").and_then(Value::as_array) else {
            self.problem(&name, "the manifest lists no layers");
            return;
        };
        let mut layers = Vec::new();
        let mut filesystems = 0;
        for (i, descriptor) in descriptors.iter().enumerate() {
            let digest = descriptor
                .get("digest")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let Some(blob) = blob_name(digest) else {
                self.problem(&name, format!("layer {i}: not a sha256 digest"));
                continue;
            };
            let media_type = descriptor
                .get("mediaType")
                .and_then(Value::as_str)
                .map(str::to_string);
            // Attestations (in-toto statements) ride along as "layers" that `diff_ids` does not
            // count: only filesystem layers take the next one.
            let diff_id = if is_filesystem(media_type.as_deref()) {
                filesystems += 1;
                diff_ids.get(filesystems - 1).cloned()
            } else {
                None
            };
            layers.push(LayerRef {
                name: blob,
                label: digest.to_string(),
                digest: Some(digest.to_string()),
                size: descriptor.get("size").and_then(Value::as_u64),
                diff_id,
                media_type,
            });
        }
        self.image(store, &name, config.as_ref(), layers);
    }

    fn image(
        &mut self,
        store: &mut dyn Store,
        name: &str,
        config: Option<&Value>,
        layers: Vec<LayerRef>,
    ) {
        if let Some(config) = config {
            for (path, text) in config_texts(config) {
                (self.visit)(ImageBlob {
                    image: name.to_string(),
                    layer: None,
                    path,
                    deleted: false,
                    content: Content::Bytes(text.into_bytes()),
                    archive: false,
                });
            }
        }
        let mut hidden = Hidden::default();
        for layer in layers.iter().rev() {
            if self.entries >= self.limits.entries || self.inflated >= self.limits.inflated {
                self.problem(
                    format!("{name} layer {}", layer.label),
                    "not read: the image reached the limit of entries or inflated bytes",
                );
                continue;
            }
            self.layer(store, name, layer, &mut hidden);
        }
    }

    /// Reads one layer, hands over its files, then adds its whiteouts to `hidden` for the layers
    /// below.
    fn layer(&mut self, store: &mut dyn Store, image: &str, layer: &LayerRef, hidden: &mut Hidden) {
        let what = format!("{image} layer {}", layer.label);
        let media = layer.media_type.as_deref().unwrap_or("");
        if media.contains("zstd") || media.contains("encrypted") {
            self.problem(what, format!("unsupported layer media type {media}"));
            return;
        }
        let raw_layer = is_filesystem(layer.media_type.as_deref());
        let (reader, size) = match store.open(&layer.name) {
            Ok(opened) => opened,
            Err(reason) => {
                self.problem(what, reason);
                return;
            }
        };
        if let Some(declared) = layer.size.filter(|&declared| declared != size) {
            self.problem(&what, format!("{size} bytes, the manifest says {declared}"));
        }
        // Digests are checked as the bytes stream past. The blob's digest covers every byte we
        // read, so the config's diff_id (the uncompressed tar's) is checked only when the blob has
        // no digest (classic docker save names layers by id): one sha256 pass per layer, not two.
        let mut raw = Meter::new(u64::MAX, layer.digest.is_some() || layer.diff_id.is_some());
        let mut inflated = Meter::new(self.limits.inflated.saturating_sub(self.inflated), false);
        let mut gzip = false;
        let mut whiteouts = Hidden::default();
        let mut failure;
        {
            let mut raw_reader = BufReader::new(Metered {
                inner: reader,
                meter: &mut raw,
            });
            if !raw_layer {
                // Not a filesystem layer (an attestation, a signature): its bytes are the blob.
                failure = self
                    .entry(
                        image,
                        &layer.label,
                        &layer.name,
                        false,
                        &mut raw_reader,
                        size,
                    )
                    .err();
            } else {
                let magic = raw_reader
                    .fill_buf()
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
                if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                    self.problem(what, "unsupported layer compression zstd");
                    return;
                }
                gzip = magic.starts_with(&[0x1f, 0x8b]);
                let decoded: Box<dyn Read + '_> = if gzip {
                    if layer.digest.is_none() {
                        raw_reader.get_mut().meter.hasher = None;
                    }
                    Box::new(MultiGzDecoder::new(&mut raw_reader))
                } else {
                    Box::new(&mut raw_reader)
                };
                if gzip && layer.digest.is_none() && layer.diff_id.is_some() {
                    inflated.hasher = Some(Sha256::new());
                }
                let mut inflated_reader = Metered {
                    inner: decoded,
                    meter: &mut inflated,
                };
                failure = self
                    .files(image, layer, &mut inflated_reader, hidden, &mut whiteouts)
                    .err();
                if failure.is_none() {
                    // The tar's end blocks and padding count towards its digest, and anything
                    // but zeros after them is scanned: a tar reader stops at the end marker, but
                    // the bytes still ship in the image.
                    failure = self
                        .remainder(image, &layer.label, &mut inflated_reader, AFTER_TAR)
                        .err();
                }
            }
            if failure.is_none() {
                failure = self
                    .remainder(image, &layer.label, &mut raw_reader, AFTER_LAYER)
                    .err();
            }
        }
        self.inflated = self.inflated.saturating_add(inflated.bytes);
        if inflated.over {
            failure = Some(format!(
                "stopped at the limit of {} inflated bytes",
                self.limits.inflated
            ));
        }
        hidden.deleted.extend(whiteouts.deleted);
        hidden.opaque.extend(whiteouts.opaque);
        if let Some(reason) = failure {
            self.problem(what, format!("incomplete: {reason}"));
            return;
        }
        if let Some(expected) = &layer.digest {
            if !raw.matches(expected) {
                self.problem(
                    &what,
                    format!("the blob does not match its digest {expected}"),
                );
            }
        } else if let Some(expected) = layer.diff_id.as_ref().filter(|_| raw_layer) {
            if !(if gzip { &inflated } else { &raw }).matches(expected) {
                self.problem(
                    &what,
                    format!("the uncompressed layer does not match its diff_id {expected}"),
                );
            }
        }
    }

    /// Walks a layer's tar stream; an error means the rest of the layer was not read.
    fn files(
        &mut self,
        image: &str,
        layer: &LayerRef,
        stream: &mut dyn Read,
        hidden: &Hidden,
        whiteouts: &mut Hidden,
    ) -> Result<(), String> {
        let mut archive = tar::Archive::new(stream);
        for entry in archive.entries().map_err(|e| e.to_string())? {
            let mut entry = entry.map_err(|e| e.to_string())?;
            self.entries += 1;
            if self.entries > self.limits.entries {
                return Err(format!(
                    "stopped at the limit of {} entries",
                    self.limits.entries
                ));
            }
            let Some(path) = normalize(&String::from_utf8_lossy(&entry.path_bytes())) else {
                continue;
            };
            let (dir, base) = match path.rsplit_once('/') {
                Some((dir, base)) => (dir, base),
                None => ("", path.as_str()),
            };
            let size = entry.size();
            // A whiteout is a marker, but one that carries data ships that data: it is scanned.
            let marker = if base == ".wh..wh..opq" {
                whiteouts.opaque.insert(dir.to_string());
                true
            } else if let Some(removed) = base.strip_prefix(".wh.") {
                let removed = if dir.is_empty() {
                    removed.to_string()
                } else {
                    format!("{dir}/{removed}")
                };
                whiteouts.deleted.insert(removed);
                true
            } else {
                false
            };
            let kind = entry.header().entry_type();
            let regular = kind.is_file() || kind.is_contiguous() || kind.is_gnu_sparse();
            // An entry of a type tar does not know ('A'…) is extracted by GNU tar as a regular
            // file: any entry with data that is not a link or a directory is one.
            let other = !(kind.is_dir() || kind.is_symlink() || kind.is_hard_link()) && size > 0;
            if (marker && size == 0) || !(regular || other) {
                continue;
            }
            let deleted = hidden.covers(&path);
            self.entry(image, &layer.label, &path, deleted, &mut entry, size)?;
        }
        Ok(())
    }

    /// Reads what is left of a layer stream after its tar (or its compressed stream) ends and,
    /// unless it is only zeros (the end blocks and padding), hands it over as one more file of
    /// the layer, named `path`.
    fn remainder(
        &mut self,
        image: &str,
        layer: &str,
        reader: &mut dyn Read,
        path: &str,
    ) -> Result<(), String> {
        let fail = |e: io::Error| format!("{path}: {e}");
        let mut head = Vec::new();
        let limit = self.limits.in_memory;
        (&mut *reader)
            .take(limit)
            .read_to_end(&mut head)
            .map_err(fail)?;
        let mut size = head.len() as u64;
        let mut nonzero = head.iter().any(|&b| b != 0);
        if size < limit {
            return if nonzero {
                self.entry(image, layer, path, false, &mut head.as_slice(), size)
            } else {
                Ok(())
            };
        }
        // Larger than memory allows: spill to an unnamed temporary file as it is read.
        let mut spool = tempfile::tempfile().map_err(fail)?;
        spool.write_all(&head).map_err(fail)?;
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(fail(e)),
            };
            let chunk = buf.get(..n).unwrap_or_default();
            nonzero |= chunk.iter().any(|&b| b != 0);
            spool.write_all(chunk).map_err(fail)?;
            size += n as u64;
        }
        if !nonzero {
            return Ok(());
        }
        spool.seek(SeekFrom::Start(0)).map_err(fail)?;
        self.entry(image, layer, path, false, &mut spool, size)
    }

    /// Reads one file into memory, or into a spool file when it is large, and hands it over.
    fn entry(
        &mut self,
        image: &str,
        layer: &str,
        path: &str,
        deleted: bool,
        reader: &mut dyn Read,
        size: u64,
    ) -> Result<(), String> {
        let content = if size <= self.limits.in_memory {
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(1 << 20));
            reader
                .take(size)
                .read_to_end(&mut bytes)
                .map_err(|e| format!("{path}: {e}"))?;
            Content::Bytes(bytes)
        } else {
            let spooled = (|| {
                let mut file = tempfile::tempfile()?;
                io::copy(&mut reader.take(size), &mut file)?;
                file.flush()?;
                file.seek(SeekFrom::Start(0))?;
                Ok::<_, io::Error>(file)
            })();
            Content::Spooled(spooled.map_err(|e| format!("{path}: {e}"))?)
        };
        let archive = match &content {
            Content::Bytes(bytes) => looks_like_archive(bytes),
            Content::Spooled(file) => {
                let mut head = Vec::with_capacity(SNIFF_LEN);
                let mut file_ref = file;
                let read = file_ref.take(SNIFF_LEN as u64).read_to_end(&mut head);
                let rewound = file_ref.seek(SeekFrom::Start(0));
                read.and(rewound).map_err(|e| format!("{path}: {e}"))?;
                looks_like_archive(&head)
            }
        };
        (self.visit)(ImageBlob {
            image: image.to_string(),
            layer: Some(layer.to_string()),
            path: path.to_string(),
            deleted,
            content,
            archive,
        });
        Ok(())
    }

    /// Reads an index or a manifest (`json`), and leaves it to be scanned as a file as well.
    fn document(
        &mut self,
        store: &mut dyn Store,
        name: &str,
        digest: Option<&str>,
    ) -> Option<Value> {
        let value = self.json(store, name, digest);
        store.leave(name);
        value
    }

    /// Reads a small JSON document, checking it against `digest` when one is known.
    fn json(&mut self, store: &mut dyn Store, name: &str, digest: Option<&str>) -> Option<Value> {
        let read = store.open(name).and_then(|(reader, _)| {
            let mut bytes = Vec::new();
            reader
                .take(MAX_JSON + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| e.to_string())?;
            if bytes.len() as u64 > MAX_JSON {
                return Err(format!("larger than {MAX_JSON} bytes"));
            }
            Ok(bytes)
        });
        let bytes = match read {
            Ok(bytes) => bytes,
            Err(reason) => {
                self.problem(name, reason);
                return None;
            }
        };
        if let Some(expected) = digest {
            if sha256_name(&Sha256::digest(&bytes)) != expected {
                self.problem(name, format!("does not match its digest {expected}"));
            }
        }
        match serde_json::from_slice(&bytes) {
            Ok(value) => Some(value),
            Err(e) => {
                self.problem(name, format!("not valid JSON: {e}"));
                None
            }
        }
    }
}

/// A reader that counts and hashes what passes through it, and fails past a limit.
struct Metered<'m, R> {
    inner: R,
    meter: &'m mut Meter,
}

struct Meter {
    hasher: Option<Sha256>,
    bytes: u64,
    limit: u64,
    over: bool,
}

impl Meter {
    fn new(limit: u64, hashing: bool) -> Meter {
        Meter {
            hasher: hashing.then(Sha256::new),
            bytes: 0,
            limit,
            over: false,
        }
    }

    fn matches(&self, expected: &str) -> bool {
        self.hasher
            .as_ref()
            .is_some_and(|hasher| sha256_name(&hasher.clone().finalize()) == expected)
    }
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.bytes = self.meter.bytes.saturating_add(n as u64);
        if self.meter.bytes > self.meter.limit {
            self.meter.over = true;
            return Err(io::Error::other("inflated-bytes limit reached"));
        }
        if let Some(hasher) = &mut self.meter.hasher {
            hasher.update(&buf[..n]);
        }
        Ok(n)
    }
}

fn sha256_name(digest: &[u8]) -> String {
    let mut name = String::with_capacity(71);
    name.push_str("sha256:");
    for byte in digest {
        name.push_str(&format!("{byte:02x}"));
    }
    name
}

/// `sha256:<hex>` → `blobs/sha256/<hex>`; only well-formed sha256 digests name a blob, so a
/// descriptor cannot point outside `blobs/`.
fn blob_name(digest: &str) -> Option<String> {
    let hex = digest.strip_prefix("sha256:")?;
    is_sha256_hex(hex).then(|| format!("blobs/sha256/{hex}"))
}

/// The digest a docker save name carries: `blobs/sha256/<hex>` or `<hex>.json`.
fn digest_in_name(name: &str) -> Option<String> {
    let base = name.rsplit('/').next()?;
    let hex = base.strip_suffix(".json").unwrap_or(base);
    let by_digest = name.ends_with(".json") || name.contains("sha256/");
    (by_digest && is_sha256_hex(hex)).then(|| format!("sha256:{hex}"))
}

/// A layer holding a filesystem (a tar, maybe compressed), as opposed to an attestation or a
/// signature stored as a layer. Docker save names no media type: its layers are all tars.
fn is_filesystem(media_type: Option<&str>) -> bool {
    media_type.is_none_or(|media| media.contains(".tar") || media.contains("rootfs"))
}

fn is_sha256_hex(hex: &str) -> bool {
    hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn diff_ids(config: &Value) -> Vec<String> {
    config
        .get("rootfs")
        .and_then(|r| r.get("diff_ids"))
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The config fields where build steps leave keys, as text a detector reads like a `.env` file
/// or a Dockerfile: `Env` and `Labels` as `KEY=value` lines, `Cmd`, `Entrypoint` as one command
/// line, `OnBuild` as its instructions, and each `history[].created_by` as written.
fn config_texts(config: &Value) -> Vec<(String, String)> {
    let mut texts = Vec::new();
    let strings = |value: &Value| -> Vec<String> {
        match value {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    };
    if let Some(fields) = config.get("config") {
        for (field, separator) in [
            ("Env", "\n"),
            ("Cmd", " "),
            ("Entrypoint", " "),
            ("OnBuild", "\n"),
        ] {
            let lines = fields.get(field).map(strings).unwrap_or_default();
            if !lines.is_empty() {
                texts.push((format!("config.{field}"), lines.join(separator) + "\n"));
            }
        }
        if let Some(labels) = fields.get("Labels").and_then(Value::as_object) {
            let lines: String = labels
                .iter()
                .filter_map(|(key, value)| Some(format!("{key}={}\n", value.as_str()?)))
                .collect();
            if !lines.is_empty() {
                texts.push(("config.Labels".to_string(), lines));
            }
        }
    }
    if let Some(history) = config.get("history").and_then(Value::as_array) {
        for (i, step) in history.iter().enumerate() {
            if let Some(created_by) = step.get("created_by").and_then(Value::as_str) {
                texts.push((
                    format!("config.history[{i}].created_by"),
                    format!("{created_by}\n"),
                ));
            }
        }
    }
    other_fields(config, "", &mut texts);
    texts
}

/// Every other string in the config (a `Healthcheck` command, `Shell`, `WorkingDir`, a
/// `comment`, an old builder's `container_config`, fields no version knows yet), so that no part
/// of it goes unread: each object's strings, and arrays of strings joined with spaces, as
/// `name=value` lines; the names of other fields too (a `Volumes` path, a key of any shape);
/// strings in arrays of other things one to a line. One text per object or array, named by its
/// path as the other texts are named (`config.Healthcheck` for the container config's,
/// `config.history[2]`, and `config (top level)` for the document's own fields such as `author`
/// and `comment`). A field `config_texts` renders is left out only in the shape it renders.
fn other_fields(value: &Value, path: &str, texts: &mut Vec<(String, String)>) {
    fn covered(path: &str, key: &str, field: &Value) -> bool {
        let strings = |v: &Value| {
            v.is_string() || v.as_array().is_some_and(|a| a.iter().all(Value::is_string))
        };
        match (path, key) {
            ("config", "Env" | "Cmd" | "Entrypoint" | "OnBuild") => strings(field),
            ("config", "Labels") => field
                .as_object()
                .is_some_and(|o| o.values().all(Value::is_string)),
            (_, "created_by") => path.starts_with("config.history[") && field.is_string(),
            _ => false,
        }
    }
    let mut lines = String::new();
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                if covered(path, key, field) {
                    continue;
                }
                match field {
                    Value::String(s) => lines.push_str(&format!("{key}={s}\n")),
                    Value::Array(items)
                        if !items.is_empty() && items.iter().all(Value::is_string) =>
                    {
                        let words: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                        lines.push_str(&format!("{key}={}\n", words.join(" ")));
                    }
                    Value::Object(_) | Value::Array(_) => {
                        lines.push_str(&format!("{key}\n"));
                        // The container config keeps the name the texts above give it.
                        let child = match path {
                            "" if key == "config" => "config".to_string(),
                            "" => format!("config.{key}"),
                            _ => format!("{path}.{key}"),
                        };
                        other_fields(field, &child, texts);
                    }
                    scalar => lines.push_str(&format!("{key}={scalar}\n")),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) => lines.push_str(&format!("{s}\n")),
                    Value::Object(_) | Value::Array(_) => {
                        other_fields(item, &format!("{path}[{i}]"), texts);
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    if !lines.is_empty() {
        let name = if path.is_empty() {
            "config (top level)"
        } else {
            path
        };
        texts.push((name.to_string(), lines));
    }
}

/// Zip, gzip, or a tar header (`ustar` at 257).
fn looks_like_archive(head: &[u8]) -> bool {
    // The archive reader's own test, so that what is flagged here is what it opens.
    crate::source::archive::sniff(head.get(..SNIFF_LEN).unwrap_or(head)).is_some()
}

#[cfg(test)]
mod tests;
