//! The scan engine: one scanner for every source. A source (`Source`) hands blobs — bytes in
//! memory or a stream, each with its `Provenance` — to a `Worker`, one per thread it runs; the
//! worker reads each blob once, window by window and view by view (its bytes, its transcoded
//! text, its wide text), runs the detector, and does all the accounting in one place: files and
//! bytes scanned, progress, what could not be read (`Collected::not_scanned`, which makes the run
//! incomplete), warnings, skips, and which detections become findings. Workers hand their share
//! to the `Engine` when they are dropped; `Engine::finish` returns it all as one `Collected`,
//! which `commands::pipeline` filters, verifies, sorts and writes.
//!
//! Sources that must look at the detections before they become findings (history keeps one per
//! key and path, at the earliest commit; `--staged` keeps only added lines) call `Worker::scan`
//! and decide; every other source calls `Worker::blob`. A source can wrap another: it runs the
//! inner source on an `Engine::within` view that wraps each finding's provenance in its own (a
//! remote clone's history becomes `Provenance::Remote { url, inner: Commit {…} }`).
//!
//! To add a source: implement `Source` for it (in `source/`, next to the code that reads the
//! format), declare its module, and pick it in the command that scans it.

pub mod git;
pub mod history;
mod parallel;
pub use parallel::HelperSlots;
pub mod progress;
pub mod staged;

use crate::detect::{Confidence, Detection, Detector, Encoding, FileFacts, FileScan};
use crate::model::{Finding, Incomplete, IncompleteKind, Provenance, Skipped, Suppressed};
use crate::source::fs::Warning;
use crate::source::reader;
use progress::{Counters, Progress};
use std::io::{Cursor, Read};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

/// Something that yields blobs to scan: a work tree, standard input, the index, a history, and
/// (plugged in the same way) an archive, an image or a remote clone. `scan` runs the source to
/// the end, handing every blob to a worker of `engine` (one worker per thread it uses, from
/// `Engine::worker`) and telling the worker what it could not read (`Worker::not_scanned`) or
/// skipped. An error ends the whole run (exit 2): keep it for what makes the source unusable
/// (a repository that does not open), and record anything smaller on a worker instead.
pub trait Source {
    fn scan(&mut self, engine: &Engine<'_>) -> anyhow::Result<()>;
}

/// One blob for the scanner.
pub struct Blob<'a> {
    /// Where it came from; also how reports name it (`Provenance::display_path`).
    pub provenance: Provenance,
    /// The bytes findings are ordered by when they are not the displayed path's: the raw path of
    /// a name that is not UTF-8, so that such names order stably.
    pub sort_key: Option<Vec<u8>>,
    pub content: Content<'a>,
    /// Counted as a file scanned. Commit and tag messages are scanned but are not files.
    pub counted: bool,
}

impl<'a> Blob<'a> {
    /// A blob counted as a file, ordered by the bytes of its displayed path.
    pub fn new(provenance: Provenance, content: Content<'a>) -> Blob<'a> {
        Blob {
            provenance,
            sort_key: None,
            content,
            counted: true,
        }
    }
}

/// A blob's content.
pub enum Content<'a> {
    /// In memory.
    Bytes(&'a [u8]),
    /// A stream read once, in windows: a file, an inflating archive entry, standard input. `size`
    /// is its length when known (a stream no longer than one window is read in one go).
    Reader {
        reader: &'a mut dyn Read,
        size: Option<u64>,
    },
}

/// Runs the detector over a stream, reading it once, window by window and view by view (its
/// bytes, its transcoded text, its wide text): each window's candidates are assessed while it is
/// in memory and scored with the whole stream's facts at the end. `facts`, when given, stand for
/// the whole stream instead. Returns the number of bytes read and the detections.
pub fn scan_reader<R: Read>(
    detector: &Detector,
    path: &str,
    reader: R,
    size_hint: Option<u64>,
    facts: Option<&FileFacts>,
    buf: &mut Vec<u8>,
) -> std::io::Result<(u64, Vec<Detection>)> {
    let (found, read) = scan_reader_partial(
        detector, &mut None, path, reader, size_hint, facts, buf, None,
    );
    Ok((read?, found))
}

/// As `scan_reader`, but what was found before a read error is kept: the detections of every
/// window read, with the number of bytes read or the error that stopped the stream. A stream
/// longer than a window is searched on helper threads from `helpers` too, with the same result.
/// `reuse`
/// keeps a file scan (and its buffers) from one stream to the next.
#[allow(clippy::too_many_arguments)]
fn scan_reader_partial<'d, R: Read>(
    detector: &'d Detector,
    reuse: &mut Option<FileScan<'d>>,
    path: &str,
    reader: R,
    size_hint: Option<u64>,
    facts: Option<&FileFacts>,
    buf: &mut Vec<u8>,
    helpers: Option<&HelperSlots>,
) -> (Vec<Detection>, std::io::Result<u64>) {
    let single_window = size_hint.is_some_and(|n| n <= reader::WINDOW as u64);
    let scan = match reuse {
        Some(scan) => {
            scan.reset(path, single_window);
            scan
        }
        None => reuse.insert(detector.start_file(path, single_window)),
    };
    let (transcoded, read) = match helpers.filter(|_| !single_window) {
        Some(slots) => parallel::read_windows(scan, path, facts, reader, size_hint, slots, buf),
        None => {
            let mut transcoded = false;
            let read = reader::read_windows(reader, buf, size_hint, |w| {
                transcoded |= w.encoding.is_some();
                parallel::search(scan, path, facts, &w);
            });
            (transcoded, read)
        }
    };
    let found = one_per_key_and_line(scan.conclude(), transcoded);
    // A stream of several windows may have grown the scan's buffers: let them go.
    if !single_window {
        *reuse = None;
    }
    (found, read)
}

/// Scans bytes in memory as a file of that length.
pub fn scan_bytes(
    detector: &Detector,
    path: &str,
    content: &[u8],
    buf: &mut Vec<u8>,
) -> std::io::Result<(u64, Vec<Detection>)> {
    scan_reader(
        detector,
        path,
        Cursor::new(content),
        Some(content.len() as u64),
        None,
        buf,
    )
}

/// Drops what the search for wide text found again: a key it found on a line where another view
/// found it too, or anywhere in a file whose UTF-16 or UTF-32 text was searched as such.
fn one_per_key_and_line(found: Vec<Detection>, transcoded: bool) -> Vec<Detection> {
    let (wide, mut kept): (Vec<Detection>, Vec<Detection>) = found
        .into_iter()
        .partition(|d| d.encoding == Some(Encoding::Wide));
    let in_transcoded = |d: &Detection| {
        matches!(
            d.encoding,
            Some(Encoding::Utf16Le | Encoding::Utf16Be | Encoding::Utf32Le | Encoding::Utf32Be)
        )
    };
    let mut extra = Vec::new();
    for d in wide {
        let again = kept.iter().any(|k| {
            k.secret == d.secret && (k.line == d.line || (transcoded && in_transcoded(k)))
        });
        if !again {
            extra.push(d);
        }
    }
    kept.extend(extra);
    kept
}

/// What a scan gathered before it became a report.
#[derive(Debug, Default)]
pub struct Collected {
    pub findings: Vec<Finding>,
    pub below_threshold: usize,
    pub warnings: Vec<Warning>,
    /// Files read; in a history scan, distinct blobs.
    pub files: u64,
    pub bytes: u64,
    /// History scans: the commits walked.
    pub commits: Option<u64>,
    pub skipped: Skipped,
    pub suppressed: Suppressed,
    /// What should have been scanned and was not: the run ends incomplete (exit 2).
    pub incomplete: Vec<Incomplete>,
    /// A history scan of a shallow clone: commits before the boundary were not there to scan.
    pub shallow: bool,
}

impl Collected {
    /// Adds another thread's (or source's) share.
    pub fn absorb(&mut self, other: Collected) {
        self.findings.extend(other.findings);
        self.below_threshold += other.below_threshold;
        self.warnings.extend(other.warnings);
        self.files += other.files;
        self.bytes += other.bytes;
        if let Some(n) = other.commits {
            self.commits = Some(self.commits.unwrap_or(0) + n);
        }
        self.skipped.not_regular += other.skipped.not_regular;
        self.skipped.symlinks += other.skipped.symlinks;
        self.skipped.unreadable += other.skipped.unreadable;
        self.suppressed.baseline += other.suppressed.baseline;
        self.suppressed.ignore_file += other.suppressed.ignore_file;
        self.suppressed.inline += other.suppressed.inline;
        self.suppressed.config += other.suppressed.config;
        self.suppressed.excluded += other.suppressed.excluded;
        self.incomplete.extend(other.incomplete);
        self.shallow |= other.shallow;
    }

    /// Records something that should have been scanned and was not.
    pub fn not_scanned(
        &mut self,
        kind: IncompleteKind,
        what: impl Into<String>,
        reason: impl Into<String>,
    ) {
        self.incomplete.push(Incomplete::new(kind, what, reason));
    }

    /// A warning not about one path.
    pub fn warn(&mut self, message: impl Into<String>) {
        self.warnings.push(Warning {
            path: String::new(),
            message: message.into(),
        });
    }
}

/// A detection as a finding of the blob `provenance` names.
pub fn to_finding(
    detector: &Detector,
    provenance: Provenance,
    sort_key: Vec<u8>,
    d: Detection,
) -> Finding {
    Finding {
        rule_id: detector
            .rules()
            .get(d.rule)
            .map(|r| r.id().to_string())
            .unwrap_or_default(),
        path: provenance.display_path().into_owned(),
        sort_key,
        line: d.line,
        column: d.column,
        end_column: d.end_column,
        confidence: d.confidence,
        score: d.score,
        reasons: d.reasons,
        encoding: d.encoding,
        secret: d.secret,
        snippet: d.snippet,
        provenance,
        verification: None,
    }
}

/// The bytes a path sorts by (its raw bytes on Unix, so non-UTF-8 names order stably).
pub fn sort_key(path: &Path) -> Vec<u8> {
    let p = path.strip_prefix("./").unwrap_or(path);
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        p.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        p.to_string_lossy().as_bytes().to_vec()
    }
}

/// Wraps a finding's provenance in a source's own (a remote around its history).
type Wrap<'a> = &'a (dyn Fn(Provenance) -> Provenance + Sync);

/// The scanner every source feeds: the detector, the confidence floor, the progress line, and
/// the results gathered so far.
pub struct Engine<'d> {
    pub detector: &'d Detector,
    pub min: Confidence,
    counters: Arc<Counters>,
    progress: Mutex<Option<Progress>>,
    shared: Arc<Mutex<Collected>>,
    wrap: Option<Wrap<'d>>,
    /// Helper threads long streams may still be searched on, shared by the workers (see
    /// `parallel`); none unless the run has several threads.
    helpers: Option<Arc<HelperSlots>>,
}

impl<'d> Engine<'d> {
    /// An engine that shows a progress line (`label`: `scanning`) when `progress` and stderr is
    /// a terminal.
    pub fn new(
        detector: &'d Detector,
        min: Confidence,
        progress: bool,
        label: &'static str,
    ) -> Engine<'d> {
        let progress = Progress::start(progress, label);
        Engine {
            detector,
            min,
            counters: Arc::clone(&progress.counters),
            progress: Mutex::new(Some(progress)),
            shared: Arc::new(Mutex::new(Collected::default())),
            wrap: None,
            helpers: None,
        }
    }

    /// The same engine, searching a stream longer than a window on helper threads as well, at
    /// most `threads - 1` helpers across all the workers of the run.
    pub fn threads(mut self, threads: usize) -> Engine<'d> {
        self.helpers = (threads > 1).then(|| Arc::new(HelperSlots::new(threads)));
        self
    }

    /// The same engine (same results, same progress), with every finding's provenance wrapped by
    /// `wrap`: how a source runs another inside itself.
    pub fn within<'w>(&'w self, wrap: Wrap<'w>) -> Engine<'w>
    where
        'd: 'w,
    {
        Engine {
            detector: self.detector,
            min: self.min,
            counters: Arc::clone(&self.counters),
            progress: Mutex::new(None),
            shared: Arc::clone(&self.shared),
            wrap: Some(wrap),
            helpers: self.helpers.clone(),
        }
    }

    /// A worker for one thread. Its results join the engine's when it is dropped.
    pub fn worker(&self) -> Worker<'_, 'd> {
        Worker {
            engine: self,
            local: Collected::default(),
            buf: Vec::new(),
            scan: None,
        }
    }

    /// Adds results gathered outside a worker (a source's own counts and notes).
    pub fn absorb(&self, c: Collected) {
        self.shared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .absorb(c);
    }

    /// A finding of `provenance` (wrapped as the engine says).
    pub fn finding(&self, provenance: Provenance, sort_key: Vec<u8>, d: Detection) -> Finding {
        let Some(wrap) = self.wrap else {
            return to_finding(self.detector, provenance, sort_key, d);
        };
        let inner = provenance.display_path().into_owned();
        let provenance = wrap(provenance);
        // A wrapper that names the blob anew (an archive around it) orders it by the new name.
        let shown = provenance.display_path();
        let sort_key = if shown == inner {
            sort_key
        } else {
            shown.as_bytes().to_vec()
        };
        to_finding(self.detector, provenance, sort_key, d)
    }

    /// Stops the progress line and returns everything gathered. Call once every worker is gone.
    pub fn finish(self) -> Collected {
        if let Some(p) = self
            .progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            p.finish();
        }
        let shared = std::mem::take(&mut *self.shared.lock().unwrap_or_else(|p| p.into_inner()));
        shared
    }
}

/// One thread's scanner: a read buffer, a file scan kept from file to file, and its share of
/// the results.
pub struct Worker<'e, 'd> {
    engine: &'e Engine<'d>,
    local: Collected,
    buf: Vec<u8>,
    scan: Option<FileScan<'d>>,
}

impl Worker<'_, '_> {
    /// Scans a blob and keeps what it finds as findings: the way of every source that does not
    /// look at the detections itself.
    pub fn blob(&mut self, blob: Blob<'_>) {
        let Blob {
            provenance,
            sort_key,
            content,
            counted,
        } = blob;
        let detections = self.read(&provenance, content, counted);
        if !detections.is_empty() {
            let sort_key =
                sort_key.unwrap_or_else(|| provenance.display_path().as_bytes().to_vec());
            self.keep(&provenance, sort_key, detections);
        }
    }

    /// Scans a blob and counts it; returns its detections. A blob that could not be read to the
    /// end is recorded as not scanned (the run is incomplete), and what was found in the part
    /// read is still returned.
    pub fn scan(&mut self, blob: Blob<'_>) -> Vec<Detection> {
        self.read(&blob.provenance, blob.content, blob.counted)
    }

    fn read(
        &mut self,
        provenance: &Provenance,
        content: Content<'_>,
        counted: bool,
    ) -> Vec<Detection> {
        let detector = self.engine.detector;
        let helpers = self.engine.helpers.as_deref();
        let path = provenance.display_path();
        let mut cursor;
        let (reader, size): (&mut dyn Read, _) = match content {
            Content::Bytes(bytes) => {
                cursor = Cursor::new(bytes);
                (&mut cursor, Some(bytes.len() as u64))
            }
            Content::Reader { reader, size } => (reader, size),
        };
        let (detections, result) = scan_reader_partial(
            detector,
            &mut self.scan,
            &path,
            reader,
            size,
            None,
            &mut self.buf,
            helpers,
        );
        // Don't let one huge blob pin its buffer for the rest of the scan.
        if self.buf.capacity() > 2 * reader::WINDOW {
            self.buf = Vec::new();
        }
        match result {
            Ok(bytes) => {
                if counted {
                    self.local.files += 1;
                    self.local.bytes += bytes;
                    let counters = &self.engine.counters;
                    counters.files.fetch_add(1, Ordering::Relaxed);
                    counters.bytes.fetch_add(bytes, Ordering::Relaxed);
                }
                detections
            }
            Err(e) => {
                // A git object that does not inflate is an object not scanned; anything else a
                // file (or stream) that could not be read.
                let (kind, verb) = match provenance {
                    Provenance::Commit { .. } | Provenance::Staged { .. } => {
                        (IncompleteKind::Object, "cannot scan")
                    }
                    _ => (IncompleteKind::File, "cannot read"),
                };
                let what = path.into_owned();
                self.not_scanned(kind, what, format!("{verb}: {e}"));
                // A key read before the error is still a key: the run is incomplete, and says
                // what it found.
                detections
            }
        }
    }

    /// Keeps the detections at or above the engine's floor as findings of `provenance`, and
    /// counts the rest (allowed inline, or below the floor).
    pub fn keep(&mut self, provenance: &Provenance, sort_key: Vec<u8>, detections: Vec<Detection>) {
        for d in detections {
            if d.allowed {
                self.local.suppressed.inline += 1;
                continue;
            }
            if d.confidence < self.engine.min {
                self.local.below_threshold += 1;
                continue;
            }
            let f = self.engine.finding(provenance.clone(), sort_key.clone(), d);
            self.local.findings.push(f);
        }
    }

    /// Records something the source could not read: counted as unreadable, and the run is
    /// incomplete.
    pub fn not_scanned(
        &mut self,
        kind: IncompleteKind,
        what: impl Into<String>,
        reason: impl Into<String>,
    ) {
        self.local.skipped.unreadable += 1;
        self.local.not_scanned(kind, what, reason);
    }

    /// A warning about `path` (empty: about the scan).
    pub fn warn(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.local.warnings.push(Warning {
            path: path.into(),
            message: message.into(),
        });
    }

    /// This worker's counts, for what a source skips (symbolic links, special files, excluded
    /// paths).
    pub fn counts(&mut self) -> &mut Collected {
        &mut self.local
    }
}

impl Drop for Worker<'_, '_> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        self.engine.absorb(local);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    /// A stream that fails after its first bytes, like a disk error or a file truncated under us.
    struct Failing(usize);

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::Error::other("input/output error"));
            }
            let n = self.0.min(buf.len());
            buf[..n].fill(b'a');
            self.0 -= n;
            Ok(n)
        }
    }

    fn file(path: &str) -> Provenance {
        Provenance::File {
            path: path.to_string(),
        }
    }

    #[test]
    fn a_read_error_makes_the_scan_incomplete_and_it_goes_on() {
        let detector = Detector::new(RuleSet::builtin().unwrap());
        let engine = Engine::new(&detector, Confidence::Medium, false, "scanning");
        {
            let mut w = engine.worker();
            // A key, then a read error: the key is kept, the file is not scanned to the end.
            let text = "LUSHA_API_KEY=e2664ea0-cdd4-4acd-a1cd-3694751a057c\n".to_string(); // lushaguard:allow
            let mut bad = Read::chain(Cursor::new(text.into_bytes()), Failing(10_000));
            let content = Content::Reader {
                reader: &mut bad,
                size: None,
            };
            assert_eq!(w.scan(Blob::new(file("bad.txt"), content)).len(), 1);
            // The next blob is scanned as usual.
            w.blob(Blob::new(file("ok.txt"), Content::Bytes(b"x=1\n")));
        }
        let c = engine.finish();
        assert_eq!(c.skipped.unreadable, 1);
        assert_eq!(c.incomplete.len(), 1);
        assert_eq!(c.incomplete[0].kind, IncompleteKind::File);
        assert_eq!(c.incomplete[0].what, "bad.txt");
        assert!(c.incomplete[0].reason.contains("input/output error"));
        assert_eq!(c.files, 1);
    }

    #[test]
    fn a_wrapping_source_wraps_the_provenance_of_what_it_runs() {
        let detector = Detector::new(RuleSet::builtin().unwrap());
        let engine = Engine::new(&detector, Confidence::Low, false, "scanning");
        let wrap = |inner: Provenance| Provenance::Archive {
            outer: Box::new(file("release.tar.gz")),
            inner: inner.display_path().into_owned(),
        };
        {
            let inner = engine.within(&wrap);
            let mut w = inner.worker();
            let text = b"LUSHA_API_KEY=a5e86277-5c99-4b5e-8b79-ab0a7894aef5\n"; // lushaguard:allow (test key)
            w.blob(Blob::new(file("app/.env"), Content::Bytes(text)));
        }
        let c = engine.finish();
        assert_eq!(c.files, 1);
        assert_eq!(c.findings.len(), 1, "{:?}", c.findings);
        assert_eq!(c.findings[0].path, "release.tar.gz!app/.env");
        assert_eq!(c.findings[0].provenance.kind(), "archive");
    }
}
