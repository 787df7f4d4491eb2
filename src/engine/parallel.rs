//! One long stream searched on several threads. The worker reading it cuts its windows as ever
//! (`reader::read_windows`); once a second window comes, it starts helper threads and hands them
//! copies of windows while it searches others itself, whenever the helpers have enough queued.
//! Each window is searched as a part of the file's scan of its own (`FileScan::part`), and the
//! parts are joined in window order, so what is found, and in which order, is what one thread
//! finds. Helpers come from a run-wide pool (`HelperSlots`) of the thread count less one, so that
//! `--threads N` bounds the threads and the window copies whatever the files are; a helper that
//! cannot be had (the pool is empty, or the system refuses a thread) leaves the work to the
//! reading thread. Memory: at most two window copies per helper, each `reader::WINDOW` plus its
//! context, on top of the reader's own buffer.

use crate::detect::{Document, FileFacts, FileScan};
use crate::source::reader::{self, TextWindow};
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;

/// Most helper threads for one stream, whatever the thread count.
const MAX_HELPERS: usize = 3;

/// The helper threads a run may still start, shared by its workers.
#[derive(Debug)]
pub struct HelperSlots(AtomicUsize);

impl HelperSlots {
    /// The pool of a run of `threads` threads: one fewer helpers (the workers are the rest).
    pub fn new(threads: usize) -> HelperSlots {
        HelperSlots(AtomicUsize::new(threads.saturating_sub(1)))
    }

    fn take(&self) -> bool {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
            .is_ok()
    }

    fn give(&self, n: usize) {
        self.0.fetch_add(n, Ordering::AcqRel);
    }

    #[cfg(test)]
    fn available(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }
}

/// A window copied for a helper, numbered in the order the reader cut it.
struct Copied {
    seq: usize,
    text: Vec<u8>,
    first_line: u64,
    first_column: u64,
    owned: std::ops::Range<usize>,
    encoding: Option<crate::detect::Encoding>,
    zeros: bool,
}

impl Copied {
    fn window(&self) -> TextWindow<'_> {
        TextWindow {
            text: &self.text,
            first_line: self.first_line,
            first_column: self.first_column,
            owned: self.owned.clone(),
            encoding: self.encoding,
            zeros: self.zeros,
        }
    }
}

/// Searches one window (each of its views) into `scan`.
pub(super) fn search(
    scan: &mut FileScan<'_>,
    path: &str,
    facts: Option<&FileFacts>,
    w: &TextWindow,
) {
    let doc = Document {
        text: w.text,
        path,
        first_line: w.first_line,
        first_column: w.first_column,
        owned: w.owned.clone(),
        encoding: w.encoding,
        file: facts,
    };
    scan.window(&doc);
    if w.zeros {
        scan.wide(&doc);
    }
}

/// Reads `reader` window by window into `scan`, on this thread and on helpers taken from
/// `slots`. Returns whether a transcoded view was searched, and the bytes read or the error that
/// ended the stream (every window read before it is searched).
pub(super) fn read_windows<R: Read>(
    scan: &mut FileScan<'_>,
    path: &str,
    facts: Option<&FileFacts>,
    reader: R,
    size_hint: Option<u64>,
    slots: &HelperSlots,
    buf: &mut Vec<u8>,
) -> (bool, io::Result<u64>) {
    let (work_tx, work_rx) = mpsc::sync_channel::<Copied>(2 * MAX_HELPERS);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, FileScan<'_>, Vec<u8>)>();
    // Windows handed over and not yet searched.
    let queued = AtomicUsize::new(0);
    let mut parts = Vec::new();
    let mut spare: Vec<Vec<u8>> = Vec::new();
    let mut transcoded = false;
    let template = scan.part();
    // Searches queued windows until the queue is empty and its sender gone.
    let drain = || {
        let mut scratch = template.part();
        loop {
            let next = work_rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
            let Ok(copied) = next else { break };
            search(&mut scratch, path, facts, &copied.window());
            queued.fetch_sub(1, Ordering::AcqRel);
            if done_tx
                .send((copied.seq, scratch.take_part(), copied.text))
                .is_err()
            {
                break;
            }
        }
    };
    let mut scratch = template.part();
    let mut started = 0;
    let read = std::thread::scope(|s| {
        let mut may_start = true;
        let mut seq = 0;
        let read = reader::read_windows(reader, buf, size_hint, |w| {
            transcoded |= w.encoding.is_some();
            while let Ok((i, part, text)) = done_rx.try_recv() {
                parts.push((i, part));
                spare.push(text);
            }
            // From the second window on (a stream of one window starts no thread), another
            // helper when every helper has two windows waiting and the pool has one to give.
            let waiting = queued.load(Ordering::Acquire);
            if seq > 0 && may_start && started < MAX_HELPERS && waiting >= 2 * started {
                // An empty pool is asked again at the next window; a system that refuses a
                // thread is not.
                if slots.take() {
                    match std::thread::Builder::new().spawn_scoped(s, drain) {
                        Ok(_) => started += 1,
                        Err(_) => {
                            slots.give(1);
                            may_start = false;
                        }
                    }
                }
            }
            if started == 0 || queued.load(Ordering::Acquire) >= 2 * started {
                search(&mut scratch, path, facts, &w);
                parts.push((seq, scratch.take_part()));
            } else {
                let mut text = spare.pop().unwrap_or_default();
                text.clear();
                text.extend_from_slice(w.text);
                queued.fetch_add(1, Ordering::AcqRel);
                let copied = Copied {
                    seq,
                    text,
                    first_line: w.first_line,
                    first_column: w.first_column,
                    owned: w.owned,
                    encoding: w.encoding,
                    zeros: w.zeros,
                };
                // Fewer than the queue's room are waiting, so this does not block; it fails only
                // without a receiver, which lives as long as this function. Should it fail, the
                // window is searched here.
                if let Err(mpsc::SendError(copied)) = work_tx.send(copied) {
                    queued.fetch_sub(1, Ordering::AcqRel);
                    search(&mut scratch, path, facts, &copied.window());
                    parts.push((copied.seq, scratch.take_part()));
                }
            }
            seq += 1;
        });
        // No more windows: help with those still queued; the helpers end with the queue.
        drop(work_tx);
        drain();
        read
    });
    // Every helper has ended with the scope.
    slots.give(started);
    drop(done_tx);
    parts.extend(done_rx.into_iter().map(|(i, part, _)| (i, part)));
    parts.sort_by_key(|(i, _)| *i);
    for (_, part) in parts {
        scan.absorb(part);
    }
    (transcoded, read)
}

#[cfg(test)]
mod tests {
    use super::super::scan_reader_partial;
    use super::HelperSlots;
    use crate::detect::{Confidence, Detector};
    use crate::rules::RuleSet;
    use crate::source::reader::WINDOW;
    use std::io::{Cursor, Read};

    /// A UUID v4 made from a number (splitmix64), so that no key is written in this file.
    fn uuid(n: u64) -> String {
        let mix = |mut z: u64| {
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let (a, b) = (mix(n.wrapping_add(0x9e37_79b9_7f4a_7c15)), mix(!n));
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            b >> 52,
            b & 0xffff_ffff_ffff
        )
    }

    /// About three and a half windows of ids without context (candidates weighed and dropped),
    /// with keys in `.env` lines spread over them, two of them where windows are cut.
    fn stream() -> (Vec<u8>, usize) {
        let mut text = Vec::new();
        let mut keys = 0;
        let mut n = 0u64;
        let marks = [
            0,
            WINDOW - 40,
            WINDOW + 3_000_000,
            2 * WINDOW - 20,
            3 * WINDOW,
        ];
        let mut next = 0;
        while text.len() < 3 * WINDOW + WINDOW / 2 {
            if next < marks.len() && text.len() >= marks[next] {
                text.extend_from_slice(format!("LUSHA_API_KEY={}\n", uuid(1 << 40 | n)).as_bytes());
                keys += 1;
                next += 1;
            }
            n += 1;
            text.extend_from_slice(format!("{{\"id\": \"{}\", \"n\": {n}}}\n", uuid(n)).as_bytes());
        }
        (text, keys)
    }

    fn scan(data: impl Read, threads: usize) -> (Vec<String>, Result<u64, String>) {
        let slots = HelperSlots::new(threads);
        let found = scan_with(data, (threads > 1).then_some(&slots));
        // Every helper taken is given back.
        assert_eq!(slots.available(), threads - 1);
        found
    }

    fn scan_with(
        data: impl Read,
        helpers: Option<&HelperSlots>,
    ) -> (Vec<String>, Result<u64, String>) {
        let detector = Detector::new(RuleSet::builtin().expect("builtin rules"));
        let mut buf = Vec::new();
        let (found, read) = scan_reader_partial(
            &detector, &mut None, "big.txt", data, None, None, &mut buf, helpers,
        );
        let shown = found
            .iter()
            .filter(|d| d.confidence >= Confidence::Medium)
            .map(|d| {
                format!(
                    "{}:{}:{:?}:{}",
                    d.line,
                    d.column,
                    d.reasons,
                    d.secret.fingerprint()
                )
            })
            .collect();
        (shown, read.map_err(|e| e.to_string()))
    }

    #[test]
    fn a_long_stream_gives_the_same_detections_on_any_number_of_threads() {
        let (text, keys) = stream();
        let (one, read) = scan(Cursor::new(&text), 1);
        assert_eq!(read, Ok(text.len() as u64));
        assert_eq!(one.len(), keys, "{one:#?}");
        for threads in [2, 3, 4, 8] {
            assert_eq!(
                scan(Cursor::new(&text), threads),
                (one.clone(), read.clone())
            );
        }
        // Other workers hold every helper of the run: the reading thread does it all.
        let empty = HelperSlots::new(1);
        assert_eq!(scan_with(Cursor::new(&text), Some(&empty)), (one, read));
    }

    #[test]
    fn a_read_error_keeps_what_every_thread_found_before_it() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        let (text, _) = stream();
        let part = &text[..2 * WINDOW + WINDOW / 2];
        let (one, read) = scan(Cursor::new(part).chain(Failing), 1);
        assert_eq!(read, Err("disk on fire".to_string()));
        assert_eq!(one.len(), 4, "{one:#?}");
        assert_eq!(scan(Cursor::new(part).chain(Failing), 2), (one, read));
    }

    #[test]
    fn wide_text_over_several_windows_is_searched_in_both_views() {
        let (text, _) = stream();
        // Half of it, in UTF-16: still over three windows, two views of each.
        let half = &text[..text.len() / 2];
        let keys = memchr::memmem::find_iter(half, "LUSHA_API_KEY").count();
        let mut wide = vec![0xFF, 0xFE];
        for &b in half {
            wide.extend_from_slice(&[b, 0]);
        }
        let (one, read) = scan(Cursor::new(&wide), 1);
        assert!(read.is_ok());
        assert_eq!(one.len(), keys, "{one:#?}");
        assert_eq!(scan(Cursor::new(&wide), 2), (one, read));
    }
}
