//! Archives and container images met by a source, opened so that the engine scans the files
//! inside them. A file is recognised by its first bytes, not its name: a zip (jar, whl, apk…), a
//! tar or a gzip stream is expanded by `archive`, nested ones included; a tar that holds a
//! `docker save` archive or an OCI layout is read by `image` first, layer by layer, with its
//! config. Anything else is scanned as it is, from the bytes already read: the sniff costs no
//! second read. Every file inside is handed to the worker with a provenance that nests in the
//! outer one (`release.tar.gz!dist/service.jar!BOOT-INF/…`; `image.tar!app:1!LAYER!etc/.env`),
//! and everything the readers could not read whole is recorded as not scanned, so the run ends
//! incomplete rather than quietly partial. Expansion runs on the calling worker's thread (the
//! archive reader is single-threaded), one archive at a time per worker. The files go to a
//! `Sink`: a worker, or a git source that looks at the detections before they become findings.

use crate::engine::{Blob, Content, Worker};
use crate::model::{IncompleteKind, Provenance};
use crate::source::archive::{self, Kind, ReadSeek, SNIFF_LEN};
use crate::source::image::{self, ImageBlob};
use std::collections::BTreeSet;
use std::io::{self, Cursor, Read, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// How archives and images are opened: from flags only (`cli::ArchiveArgs`), never from a
/// settings file in the scanned tree.
#[derive(Clone, Debug)]
pub(crate) struct Unpack {
    /// `--archive-depth 0`: archives are scanned as plain bytes.
    pub open: bool,
    /// Whether a tar is first tried as a container image. Off in history and the index, where
    /// every finding must stay a path in a commit (an image names its files by image and layer).
    pub images: bool,
    pub archive: archive::Limits,
    pub image: image::Limits,
    /// The files of the image layout directories named on the command line that the image
    /// reader read (layers, configs, manifests): the walk of those directories, which comes
    /// after, leaves out exactly these and scans every other file.
    pub read_by_images: Arc<Mutex<BTreeSet<PathBuf>>>,
}

impl Default for Unpack {
    fn default() -> Unpack {
        Unpack {
            open: true,
            images: true,
            archive: archive::Limits::default(),
            image: image::Limits::default(),
            read_by_images: Arc::default(),
        }
    }
}

impl Unpack {
    /// Bytes of standard input held in a temporary file so that an archive or image on it can
    /// be read by seeking (and scanned as plain bytes if it turns out not to open).
    fn stdin_max(&self) -> u64 {
        self.image.inflated.max(self.archive.bytes)
    }
}

/// Where the blobs of an unpacked input go: a worker keeps their findings; the git sources look
/// at the detections first (history attributes them to a commit, `--staged` to added lines).
pub(crate) trait Sink {
    fn blob(&mut self, blob: Blob<'_>);
    fn not_scanned(&mut self, kind: IncompleteKind, what: String, reason: String);
}

impl Sink for Worker<'_, '_> {
    fn blob(&mut self, blob: Blob<'_>) {
        Worker::blob(self, blob);
    }

    fn not_scanned(&mut self, kind: IncompleteKind, what: String, reason: String) {
        Worker::not_scanned(self, kind, what, reason);
    }
}

/// Scans bytes in memory (a git blob): expands them when their first bytes say they are an
/// archive, else scans them as they are.
pub(crate) fn bytes(sink: &mut dyn Sink, unpack: &Unpack, provenance: Provenance, bytes: &[u8]) {
    let kind = if unpack.open {
        archive::sniff(&bytes[..bytes.len().min(SNIFF_LEN)])
    } else {
        None
    };
    let scan_raw = match kind {
        Some(kind) => expand(sink, unpack, &provenance, kind, &mut Cursor::new(bytes)),
        None => true,
    };
    if scan_raw {
        sink.blob(Blob::new(provenance, Content::Bytes(bytes)));
    }
}

/// Scans a file of `len` bytes: expands it when its first bytes say it is an archive or an
/// image, else scans it as it is.
pub(crate) fn file(
    worker: &mut dyn Sink,
    unpack: &Unpack,
    provenance: Provenance,
    sort_key: Option<Vec<u8>>,
    file: &mut dyn ReadSeek,
    len: u64,
) {
    let mut prefix = [0u8; SNIFF_LEN];
    // No more than the file holds: a small file is then read in one call, as it was before.
    let want = usize::try_from(len).map_or(SNIFF_LEN, |len| len.min(SNIFF_LEN));
    let kind = if unpack.open {
        match read_prefix(file, &mut prefix[..want]) {
            Ok(n) => match archive::sniff(&prefix[..n]) {
                Some(kind) => Some(kind),
                None => {
                    // Not an archive: scan what was read and the rest, in one pass.
                    let mut reader = Cursor::new(&prefix[..n]).chain(file);
                    return plain(worker, provenance, sort_key, &mut reader, Some(len));
                }
            },
            Err(e) => {
                let what = provenance.display_path().into_owned();
                let reason = format!("cannot read: {e}");
                worker.not_scanned(IncompleteKind::File, what, reason);
                return;
            }
        }
    } else {
        None
    };
    match kind {
        Some(kind) => seekable(worker, unpack, provenance, sort_key, kind, file, len),
        None => plain(worker, provenance, sort_key, file, Some(len)),
    }
}

/// Scans standard input: an archive or image on it is held in a temporary file and opened like
/// a file; anything else is scanned as it streams.
pub(crate) fn stdin(worker: &mut dyn Sink, unpack: &Unpack, input: &mut dyn Read) {
    let mut prefix = [0u8; SNIFF_LEN];
    let n = match read_prefix(input, &mut prefix) {
        Ok(n) => n,
        Err(e) => {
            let what = Provenance::Stdin.display_path().into_owned();
            let reason = format!("cannot read: {e}");
            worker.not_scanned(IncompleteKind::File, what, reason);
            return;
        }
    };
    let mut input = Cursor::new(&prefix[..n]).chain(input);
    let kind = if unpack.open {
        archive::sniff(&prefix[..n])
    } else {
        None
    };
    let Some(kind) = kind else {
        return plain(worker, Provenance::Stdin, None, &mut input, None);
    };
    if kind == Kind::Gzip {
        // A tar.gz or a gzipped file inflates as it streams: no copy on disk. (A gzipped
        // `docker save` is therefore read as a plain archive, its layers as nested ones.)
        let outer = Provenance::Stdin;
        let outcome = archive::expand_stream(
            &outer.display_path(),
            kind,
            &mut input,
            &unpack.archive,
            &mut |entry| entry_blob(worker, &outer, entry),
        );
        return problems(worker, outcome);
    }
    // A tar may be an image and a zip is read from its end: both need a seekable copy.
    match image::spool(&mut input, unpack.stdin_max()) {
        // Its length is the spool's: a spool whose size cannot be known is not scanned as empty.
        Ok(mut spooled) => match spooled.metadata() {
            Ok(meta) => seekable(
                worker,
                unpack,
                Provenance::Stdin,
                None,
                kind,
                &mut spooled,
                meta.len(),
            ),
            Err(e) => {
                let what = Provenance::Stdin.display_path().into_owned();
                let reason = format!("cannot read its temporary copy: {e}; not scanned");
                worker.not_scanned(IncompleteKind::File, what, reason);
            }
        },
        Err(e) => {
            let what = Provenance::Stdin.display_path().into_owned();
            let reason = format!(
                "an archive that could not be held in a temporary file to open: {e}; \
                 not scanned"
            );
            worker.not_scanned(IncompleteKind::File, what, reason);
        }
    }
}

/// Reads an OCI image layout directory named on the command line, every image in it, and notes
/// the files it read so that the walk of the directory leaves out only those.
pub(crate) fn image_dir(worker: &mut dyn Sink, unpack: &Unpack, path: &Path, shown: &str) {
    let (problems, read) = image::read_dir(path, &unpack.image, &mut |blob| {
        image_blob(worker, unpack, shown, blob);
    });
    image_problems(worker, shown, problems);
    unpack
        .read_by_images
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .extend(read);
}

/// Reads at most `buf.len()` bytes, fewer only at the end of the input.
fn read_prefix(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(read) => n += read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn plain(
    worker: &mut dyn Sink,
    provenance: Provenance,
    sort_key: Option<Vec<u8>>,
    reader: &mut dyn Read,
    size: Option<u64>,
) {
    worker.blob(Blob {
        provenance,
        sort_key,
        content: Content::Reader { reader, size },
        counted: true,
    });
}

/// Opens a seekable input recognised as `kind`: a tar as an image if it is one, else as an
/// archive. An archive that does not open, or breaks part way, is also scanned as plain bytes.
fn seekable(
    worker: &mut dyn Sink,
    unpack: &Unpack,
    provenance: Provenance,
    sort_key: Option<Vec<u8>>,
    kind: Kind,
    input: &mut dyn ReadSeek,
    len: u64,
) {
    let shown = provenance.display_path().into_owned();
    // The image reader indexes the tar from where the input stands, and the sniff moved it.
    if unpack.images && kind == Kind::Tar && input.seek(SeekFrom::Start(0)).is_ok() {
        if let Ok(tar) = image::open_tar(&mut *input) {
            let (problems, leftovers) = tar.read(&unpack.image, &mut |blob| {
                image_blob(worker, unpack, &shown, blob);
            });
            image_problems(worker, &shown, problems);
            for leftover in leftovers {
                self::leftover(worker, unpack, &provenance, input, leftover);
            }
            return;
        }
    }
    if expand(worker, unpack, &provenance, kind, input) {
        match input.seek(SeekFrom::Start(0)) {
            Ok(_) => plain(worker, provenance, sort_key, input, Some(len)),
            Err(e) => {
                let reason = format!("cannot read: {e}");
                worker.not_scanned(IncompleteKind::File, shown, reason);
            }
        }
    }
}

/// Scans an entry of an image tar that the image reader did not read, as an entry of an
/// ordinary archive. A tar among them is expanded as an archive, not tried as an image again, so
/// that nesting stays bounded by the archive reader's limits.
fn leftover(
    worker: &mut dyn Sink,
    unpack: &Unpack,
    outer: &Provenance,
    input: &mut dyn ReadSeek,
    leftover: image::Leftover,
) {
    let provenance = Provenance::Archive {
        outer: Box::new(outer.clone()),
        inner: leftover.name,
    };
    let shown = provenance.display_path().into_owned();
    if let Err(e) = input.seek(SeekFrom::Start(leftover.offset)) {
        let reason = format!("cannot read: {e}");
        return worker.not_scanned(IncompleteKind::File, shown, reason);
    }
    let mut contents = (&mut *input).take(leftover.size);
    let unpack = Unpack {
        images: false,
        ..unpack.clone()
    };
    if leftover.size <= unpack.image.in_memory {
        let mut bytes = Vec::new();
        match contents.read_to_end(&mut bytes) {
            Ok(_) => self::bytes(worker, &unpack, provenance, &bytes),
            Err(e) => worker.not_scanned(IncompleteKind::File, shown, format!("cannot read: {e}")),
        }
        return;
    }
    match image::spool(&mut contents, leftover.size) {
        Ok(mut spooled) => self::file(
            worker,
            &unpack,
            provenance,
            None,
            &mut spooled,
            leftover.size,
        ),
        Err(e) => {
            let reason = format!("could not be held in a temporary file: {e}");
            worker.not_scanned(IncompleteKind::File, shown, reason);
        }
    }
}

/// Expands the archive `input` found at `outer`, handing every file in it to the worker and
/// recording what could not be read. Returns whether the input should also be scanned as it is
/// (it would not open as the archive it looked like, or broke part way).
fn expand(
    worker: &mut dyn Sink,
    unpack: &Unpack,
    outer: &Provenance,
    kind: Kind,
    input: &mut dyn ReadSeek,
) -> bool {
    let shown = outer.display_path().into_owned();
    let outcome = archive::expand(&shown, kind, input, &unpack.archive, &mut |entry| {
        entry_blob(worker, outer, entry);
    });
    let scan_raw = outcome.scan_raw;
    problems(worker, outcome);
    scan_raw
}

/// Scans a file found in the archive at `outer`, named by its chain of inner paths.
fn entry_blob(worker: &mut dyn Sink, outer: &Provenance, entry: archive::Entry<'_>) {
    let provenance = entry
        .chain
        .iter()
        .fold(outer.clone(), |outer, inner| Provenance::Archive {
            outer: Box::new(outer),
            inner: inner.clone(),
        });
    debug_assert_eq!(provenance.display_path(), entry.display);
    let content = match entry.content {
        archive::Content::Memory(bytes) => Content::Bytes(bytes),
        archive::Content::Spooled(file) => Content::Reader {
            size: file.metadata().ok().map(|m| m.len()),
            reader: file,
        },
    };
    worker.blob(Blob::new(provenance, content));
}

/// What an expansion could not read: each makes the scan incomplete.
fn problems(worker: &mut dyn Sink, outcome: archive::Outcome) {
    for problem in outcome.problems {
        worker.not_scanned(IncompleteKind::File, problem.what, problem.reason);
    }
}

/// Scans one file of an image layer (or one field of its config); a file that is itself an
/// archive is expanded.
fn image_blob(worker: &mut dyn Sink, unpack: &Unpack, outer: &str, blob: ImageBlob) {
    let provenance = Provenance::Image {
        image: format!("{outer}{}{}", crate::model::NESTED, blob.image),
        layer: blob.layer,
        path: blob.path,
        deleted: blob.deleted,
    };
    match blob.content {
        image::Content::Bytes(bytes) => {
            if blob.archive {
                self::bytes(worker, unpack, provenance, &bytes);
            } else {
                worker.blob(Blob::new(provenance, Content::Bytes(&bytes)));
            }
        }
        image::Content::Spooled(mut file) => {
            let len = match file.metadata() {
                Ok(meta) => meta.len(),
                Err(e) => {
                    let what = provenance.display_path().into_owned();
                    let reason = format!("cannot read its temporary copy: {e}");
                    return worker.not_scanned(IncompleteKind::File, what, reason);
                }
            };
            if blob.archive && unpack.open {
                self::file(worker, unpack, provenance, None, &mut file, len);
            } else {
                plain(worker, provenance, None, &mut file, Some(len));
            }
        }
    }
}

/// An image's problems, named by the input that holds the image.
fn image_problems(worker: &mut dyn Sink, outer: &str, problems: Vec<image::Problem>) {
    for problem in problems {
        let what = format!("{outer} ({})", problem.what);
        worker.not_scanned(IncompleteKind::File, what, problem.reason);
    }
}
