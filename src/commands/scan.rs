//! `lushaguard scan`: files, directories and standard input. Each walker thread reads a file in
//! windows and runs the detector on each view of it (its bytes; its transcoded text when it is
//! UTF-16 or UTF-32; wide text among binary data); findings are collected, filtered by
//! confidence, sorted by (path, line, column) and written once at the end, so the report is the
//! same byte for byte whatever the thread count. Warnings are sorted the same way and printed
//! before the report. `scan_file` is also how `git` scans a blob.

use super::pipeline::{self, sort_key, Collected};
use super::progress::{Counters, Progress};
use crate::cli::ScanArgs;
use crate::detect::{Confidence, Detection, Detector, Document, Encoding, FileFacts};
use crate::model::{IncompleteKind, Provenance};
use crate::settings;
use crate::source::fs::{self as fs_source, display_path, Item, Skip, Warning};
use crate::source::reader;
use anyhow::Result;
use std::io::{Read, Seek};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Mutex;

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
    let single_window = size_hint.is_some_and(|n| n <= reader::WINDOW as u64);
    let mut scan = detector.start_file(path, single_window);
    let mut transcoded = false;
    let bytes = reader::read_windows(reader, buf, size_hint, |w| {
        transcoded |= w.encoding.is_some();
        let doc = Document {
            text: w.text,
            path,
            first_line: w.first_line,
            first_column: w.first_column,
            owned: w.owned,
            encoding: w.encoding,
            file: facts,
        };
        scan.window(&doc);
        if w.zeros {
            scan.wide(&doc);
        }
    })?;
    Ok((bytes, one_per_key_and_line(scan.finish(), transcoded)))
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

/// Scans a regular file of `len` bytes.
pub fn scan_file<F: Read + Seek>(
    detector: &Detector,
    path: &str,
    file: F,
    len: u64,
    buf: &mut Vec<u8>,
) -> std::io::Result<(u64, Vec<Detection>)> {
    scan_reader(detector, path, file, Some(len), None, buf)
}

fn record(
    c: &mut Collected,
    counters: &Counters,
    detector: &Detector,
    min: Confidence,
    path: &Path,
    result: std::io::Result<(u64, Vec<Detection>)>,
) {
    match result {
        Ok((bytes, detections)) => {
            c.files += 1;
            c.bytes += bytes;
            counters.files.fetch_add(1, Ordering::Relaxed);
            counters.bytes.fetch_add(bytes, Ordering::Relaxed);
            if !detections.is_empty() {
                let shown = display_path(path);
                let provenance = if path == Path::new("<stdin>") {
                    Provenance::Stdin
                } else {
                    Provenance::File { path: shown }
                };
                c.add(detector, &provenance, sort_key(path), detections, min);
            }
        }
        Err(e) => {
            c.skipped.unreadable += 1;
            c.not_scanned(
                IncompleteKind::File,
                display_path(path),
                format!("cannot read: {e}"),
            );
        }
    }
}

/// A walker thread's share of the results, handed over when the thread is done.
struct ThreadShare<'a> {
    local: Collected,
    shared: &'a Mutex<Collected>,
}

impl Drop for ThreadShare<'_> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        self.shared
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .absorb(local);
    }
}

pub fn run(args: &ScanArgs) -> Result<u8> {
    let settings = settings::scan(args)?;
    let detector = Detector::new(settings.rules.clone()).with_decoding(settings.decode);
    let min = settings.min_confidence;
    let progress = Progress::start(settings.report.progress, "scanning");
    let shared = Mutex::new(Collected::default());

    if settings.stdin {
        let mut buf = Vec::new();
        let result = scan_reader(
            &detector,
            "<stdin>",
            std::io::stdin().lock(),
            None,
            None,
            &mut buf,
        );
        let mut c = shared.lock().unwrap_or_else(|p| p.into_inner());
        record(
            &mut c,
            &progress.counters,
            &detector,
            min,
            Path::new("<stdin>"),
            result,
        );
    }
    fs_source::walk(&settings.walk, || {
        let mut buf = Vec::new();
        let mut share = ThreadShare {
            local: Collected::default(),
            shared: &shared,
        };
        let (detector, counters) = (&detector, &progress.counters);
        move |item| {
            let c = &mut share.local;
            match item {
                Ok(Item::File { path, file, len }) => {
                    let shown = display_path(&path);
                    let result = scan_file(detector, &shown, file, len, &mut buf);
                    record(c, counters, detector, min, &path, result);
                    // Don't let one huge file pin its buffer for the rest of the walk.
                    if buf.capacity() > 2 * reader::WINDOW {
                        buf = Vec::new();
                    }
                }
                Ok(Item::Skipped {
                    why: Skip::Symlink, ..
                }) => c.skipped.symlinks += 1,
                Ok(Item::Skipped {
                    path,
                    why: Skip::NotRegular,
                }) => {
                    c.skipped.not_regular += 1;
                    c.warnings.push(Warning {
                        path: display_path(&path),
                        message: "not a regular file (FIFO, socket or device): skipped".into(),
                    });
                }
                Ok(Item::Unreadable {
                    path,
                    directory,
                    reason,
                }) => {
                    c.skipped.unreadable += 1;
                    let kind = if directory {
                        IncompleteKind::Directory
                    } else {
                        IncompleteKind::File
                    };
                    c.not_scanned(kind, path, reason);
                }
                Err(w) => c.warnings.push(w),
            }
        }
    })?;
    progress.finish();

    let mut collected = shared.into_inner().unwrap_or_else(|p| p.into_inner());
    collected.suppressed.excluded += settings.walk.exclude.count();
    pipeline::deliver(&detector, collected, min, &settings.report)
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

    #[test]
    fn a_read_error_makes_the_scan_incomplete_and_it_goes_on() {
        let detector = Detector::new(RuleSet::builtin().unwrap());
        let mut buf = Vec::new();
        let result = scan_reader(&detector, "bad.txt", Failing(10_000), None, None, &mut buf);
        assert!(result.is_err());
        let mut c = Collected::default();
        let counters = Counters::default();
        record(
            &mut c,
            &counters,
            &detector,
            Confidence::Medium,
            Path::new("bad.txt"),
            result,
        );
        assert_eq!(c.skipped.unreadable, 1);
        assert_eq!(c.incomplete.len(), 1);
        assert!(c.incomplete[0].reason.contains("input/output error"));
        // The next file is scanned as usual.
        let ok = scan_reader(&detector, "ok.txt", &b"x=1\n"[..], None, None, &mut buf);
        record(
            &mut c,
            &counters,
            &detector,
            Confidence::Medium,
            Path::new("ok.txt"),
            ok,
        );
        assert_eq!(c.files, 1);
    }
}
