//! Archives as a source: recognises zip (jar, war, ear, whl, nupkg, apk, aar, docx/xlsx/pptx,
//! vsix, …), tar, and gzip (tar.gz/tgz, or a single gzipped file) by their first bytes, and
//! expands them, nested archives included, into the regular files they hold. Each file is handed
//! to a visitor with its chain of inner paths (`release.tar.gz!dist/service.jar!BOOT-INF/…`) and
//! its content, in memory when small and in a private, unnamed temporary file otherwise.
//!
//! An archive is untrusted input. Entry names are only names: nothing is written under them (the
//! only files this module creates are anonymous spool files), so a `../` name cannot escape
//! anywhere. Tar symlinks and hard links are skipped, never followed, and so are directories
//! without data; any other entry that holds data is read as a file, whatever its type says (a
//! zip entry marked as a symlink is a resource to Java; GNU tar extracts unknown tar types as
//! files). Every byte read out of an archive, at every level of nesting, is charged to one
//! budget (`Limits::bytes`), and a compressed stream may not inflate more than `Limits::ratio`
//! times the compressed bytes read beneath it, so a zip bomb stops at its first MiB. Whatever
//! could not be read (an encrypted entry, an unsupported compression method, a corrupt or
//! truncated archive, a bound reached) is listed in the `Outcome` so that the scan can be reported
//! incomplete. When in doubt, bytes are scanned: a partly read entry is still handed over, and a
//! nested archive that cannot be expanded, or lies deeper than `Limits::depth`, is handed over as
//! it is. Bytes outside the entries are scanned too: what follows a tar's end (every later gzip
//! member included), a zip's comment and its entries' comments, and, when a zip's listed entries and central directory do
//! not cover all of it, the zip as it is.

use flate2::read::MultiGzDecoder;
use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Seek, SeekFrom, Write};
use std::rc::Rc;
use tar::EntryType;
use zip::CompressionMethod;

/// Bytes `sniff` looks at: a tar header block.
pub(crate) const SNIFF_LEN: usize = 512;
/// Entries up to this size are kept in memory; larger ones go to a temporary file.
const MEMORY_MAX: usize = 4 << 20;
/// Bytes a compressed stream may inflate to before its ratio is checked, so that small, very
/// compressible files (a page of zeros) never count as bombs.
const RATIO_FLOOR: u64 = 1 << 20;
const CHUNK: usize = 64 << 10;
/// The name of the bytes that follow a tar's end-of-archive blocks.
const AFTER_END: &str = "<after end of archive>";
/// The name of a zip archive's comment.
const ZIP_COMMENT: &str = "<zip comment>";
/// The name of a zip entry's comment, below the entry's own name.
const ENTRY_COMMENT: &str = "<entry comment>";

/// An archive format, as recognised by its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Zip,
    Tar,
    /// A gzip stream: a tar.gz when it inflates to a tar, otherwise one gzipped file.
    Gzip,
}

/// The bounds of one expansion (an outer archive and everything nested in it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Limits {
    /// Levels of archives expanded: 1 reads only the outer archive's entries.
    pub depth: u32,
    /// Entries looked at, at every level, directories included.
    pub entries: u64,
    /// Bytes read out of archives, at every level (a nested archive's bytes count once as an
    /// entry of its parent and again as it is expanded).
    pub bytes: u64,
    /// How many times its compressed size a compressed stream (a zip entry, a gzip stream) may
    /// inflate to, once past its first MiB.
    pub ratio: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            depth: 3,
            entries: 100_000,
            bytes: 1 << 30,
            ratio: 200,
        }
    }
}

/// One regular file found in an archive.
pub(crate) struct Entry<'a> {
    /// The inner paths, outermost first: `["dist/service.jar", "BOOT-INF/app.properties"]`.
    pub chain: &'a [String],
    /// The outer name and the chain joined with `!`: what a finding should show.
    pub display: &'a str,
    pub content: Content<'a>,
}

/// An entry's bytes. A spooled file is positioned at its start and may be read more than once.
pub(crate) enum Content<'a> {
    Memory(&'a [u8]),
    Spooled(&'a mut File),
}

/// Something in an archive that was not read, or not read whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    /// The display path of the entry or archive concerned.
    pub what: String,
    pub reason: String,
}

/// What an expansion did not manage.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// In the order met; each makes the scan incomplete.
    pub problems: Vec<Problem>,
    /// A bound of `Limits` (entries, bytes, ratio or depth) stopped part of the expansion.
    pub limit_hit: bool,
    /// The outer input could not be read as the archive it looked like (or broke part way): the
    /// caller should also scan its own bytes.
    pub scan_raw: bool,
    /// Entries looked at, at every level.
    pub entries: u64,
}

/// `Read + Seek` as one object-safe trait.
pub(crate) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// Recognises an archive by its first bytes (up to `SNIFF_LEN`; fewer when the input is shorter).
pub(crate) fn sniff(prefix: &[u8]) -> Option<Kind> {
    // A local file header; an empty archive (only the end of central directory); a split or
    // spanned archive's marker before its first local header.
    if prefix.starts_with(b"PK\x03\x04")
        || prefix.starts_with(b"PK\x05\x06")
        || prefix.starts_with(b"PK\x07\x08PK\x03\x04")
        || prefix.starts_with(b"PK00PK\x03\x04")
    {
        return Some(Kind::Zip);
    }
    // Deflate is the only method gzip defines.
    if prefix.starts_with(&[0x1f, 0x8b, 0x08]) {
        return Some(Kind::Gzip);
    }
    if is_tar_header(prefix) {
        return Some(Kind::Tar);
    }
    None
}

/// A POSIX (`ustar`) or GNU header, or an old-style (v7) one whose checksum adds up.
fn is_tar_header(block: &[u8]) -> bool {
    let Some(block) = block.get(..512) else {
        return false;
    };
    if block[257..262] == *b"ustar" {
        return true;
    }
    if block[0] == 0 {
        return false;
    }
    // Octal digits, optionally led by spaces and ended by NULs or spaces; eight at most, so the
    // value cannot overflow.
    let field = &block[148..156];
    let Some(first) = field.iter().position(|&b| b != b' ') else {
        return false;
    };
    let digits = field[first..]
        .iter()
        .take_while(|b| (b'0'..=b'7').contains(b))
        .count();
    let after = first + digits;
    if digits == 0 || !field[after..].iter().all(|&b| b == 0 || b == b' ') {
        return false;
    }
    let stored = field[first..after]
        .iter()
        .fold(0u64, |n, &d| n * 8 + u64::from(d - b'0'));
    let sum: u64 = block
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(b)
            }
        })
        .sum();
    stored == sum
}

/// How a finding in an archive is shown: `outer!inner!innermost`.
pub(crate) fn display(outer: &str, chain: &[String]) -> String {
    let mut shown = String::from(outer);
    for name in chain {
        shown.push('!');
        shown.push_str(name);
    }
    shown
}

/// Expands the archive `input` (recognised as `kind` by `sniff`) named `outer`, calling `visit`
/// for every regular file in it and in the archives nested in it, in archive order. The input is
/// read from its start, wherever the sniffing left it.
pub(crate) fn expand(
    outer: &str,
    kind: Kind,
    input: &mut dyn ReadSeek,
    limits: &Limits,
    visit: &mut dyn FnMut(Entry<'_>),
) -> Outcome {
    let mut walker = Walker::new(outer, limits, visit);
    let result = match input.seek(SeekFrom::Start(0)) {
        Ok(_) => walker.archive(kind, input),
        Err(e) => Err(format!("could not be read: {e}")),
    };
    walker.finish(result)
}

/// `expand` for an input that cannot seek (standard input, a pipe). Tar and gzip are read as
/// they stream; a zip is first copied to a temporary file, within the byte budget. `scan_raw` in
/// the outcome is the caller's to honour only if it kept the bytes.
pub(crate) fn expand_stream(
    outer: &str,
    kind: Kind,
    input: &mut dyn Read,
    limits: &Limits,
    visit: &mut dyn FnMut(Entry<'_>),
) -> Outcome {
    let mut walker = Walker::new(outer, limits, visit);
    let mut result = match kind {
        Kind::Tar => walker.tar(input, false),
        Kind::Gzip => walker.gzip(input, member_name(outer)),
        Kind::Zip => {
            let mut guard = Guard::new(input, &walker.meter, None);
            match spool(&mut guard) {
                (mut copy, Ok(())) => walker.nested(Kind::Zip, &mut copy),
                (_, Err(failure)) => Err(walker.read_reason(&failure)),
            }
        }
    };
    // The stream's own bytes are not kept: what the archive does not cover goes unscanned.
    if walker.untiled && result.is_ok() {
        walker.untiled = false;
        result = Err(
            "archive holds bytes outside its entries, which are not scanned on a stream \
                      (scan it as a file)"
                .to_owned(),
        );
    }
    walker.finish(result)
}

/// The bounds shared by every stream of one expansion, and which of them stopped one.
struct Meter {
    /// Bytes read out of archives so far, and the most allowed.
    spent: Cell<u64>,
    limit: u64,
    ratio: u64,
    /// The byte budget is spent: nothing more is read.
    exhausted: Cell<bool>,
    /// A stream inflated past the ratio; cleared once reported.
    ratio_tripped: Cell<bool>,
}

/// Wraps the inflated side of a stream: charges the shared budget and, when the compressed bytes
/// beneath it are counted, stops it inflating past the ratio. A bound reached is an error to the
/// reader above (tar, zip, the spooler); the meter says which.
struct Guard<R> {
    inner: R,
    meter: Rc<Meter>,
    /// The count of compressed bytes read beneath this stream, and its value when it began.
    packed: Option<(Rc<Cell<u64>>, u64)>,
    out: u64,
    stopped: bool,
}

impl<R: Read> Guard<R> {
    fn new(inner: R, meter: &Rc<Meter>, packed: Option<&Rc<Cell<u64>>>) -> Self {
        Guard {
            inner,
            meter: Rc::clone(meter),
            packed: packed.map(|count| (Rc::clone(count), count.get())),
            out: 0,
            stopped: false,
        }
    }

    fn stop(&mut self, flag: fn(&Meter) -> &Cell<bool>) -> io::Error {
        self.stopped = true;
        flag(&self.meter).set(true);
        bound_reached()
    }
}

fn bound_reached() -> io::Error {
    io::Error::other("archive bound reached")
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.stopped || self.meter.exhausted.get() {
            return Err(bound_reached());
        }
        let room = self.meter.limit.saturating_sub(self.meter.spent.get());
        if room == 0 {
            // A stream that ends exactly at the bound is whole: only a further byte is too many.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(self.stop(|m| &m.exhausted)),
            };
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.meter.spent.set(self.meter.spent.get() + n as u64);
        self.out += n as u64;
        if let Some((count, base)) = &self.packed {
            let packed = count.get().saturating_sub(*base);
            if self.out > RATIO_FLOOR && self.out > packed.saturating_mul(self.meter.ratio) {
                return Err(self.stop(|m| &m.ratio_tripped));
            }
        }
        Ok(n)
    }
}

/// Counts the bytes read through it: the compressed side of a stream.
struct Counted<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl<R: Seek> Seek for Counted<R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// An entry's bytes as read.
enum Spool {
    Memory(Vec<u8>),
    File(File),
}

enum Failure {
    Read(io::Error),
    /// The temporary file could not be written.
    Spool(io::Error),
}

/// Reads a stream to its end (or its first error), in memory up to `MEMORY_MAX` and in an
/// anonymous temporary file beyond. Returns what was read either way.
fn spool(reader: &mut dyn Read) -> (Spool, Result<(), Failure>) {
    let mut held = Spool::Memory(Vec::new());
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return (held, Ok(())),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return (held, Err(Failure::Read(e))),
        };
        let chunk = &buf[..n];
        let written = match &mut held {
            Spool::Memory(bytes) if bytes.len() + n <= MEMORY_MAX => {
                bytes.extend_from_slice(chunk);
                Ok(())
            }
            Spool::Memory(bytes) => match tempfile::tempfile() {
                Ok(mut file) => {
                    let moved = file.write_all(bytes).and_then(|()| file.write_all(chunk));
                    held = Spool::File(file);
                    moved
                }
                Err(e) => Err(e),
            },
            Spool::File(file) => file.write_all(chunk),
        };
        if let Err(e) = written {
            return (held, Err(Failure::Spool(e)));
        }
    }
}

/// The state of one expansion.
struct Walker<'v> {
    outer: String,
    limits: Limits,
    visit: &'v mut dyn FnMut(Entry<'_>),
    meter: Rc<Meter>,
    /// The inner path of the entry being read.
    chain: Vec<String>,
    outcome: Outcome,
    /// A global bound (bytes, entries) was reached and reported: nothing more is read.
    stopped: bool,
    /// The zip just expanded has bytes that none of its entries covers: its own bytes should be
    /// scanned too.
    untiled: bool,
}

impl<'v> Walker<'v> {
    fn new(outer: &str, limits: &Limits, visit: &'v mut dyn FnMut(Entry<'_>)) -> Self {
        Walker {
            outer: outer.to_owned(),
            limits: limits.clone(),
            visit,
            meter: Rc::new(Meter {
                spent: Cell::new(0),
                limit: limits.bytes,
                ratio: limits.ratio,
                exhausted: Cell::new(false),
                ratio_tripped: Cell::new(false),
            }),
            chain: Vec::new(),
            outcome: Outcome::default(),
            stopped: false,
            untiled: false,
        }
    }

    /// The outcome, given how the outer archive's structure held up.
    fn finish(mut self, result: Result<(), String>) -> Outcome {
        if self.untiled {
            self.outcome.scan_raw = true;
        }
        if let Err(reason) = result {
            let outer = self.outer.clone();
            self.problem(outer, reason);
            self.outcome.scan_raw = true;
        }
        self.outcome
    }

    fn problem(&mut self, what: String, reason: String) {
        self.outcome.problems.push(Problem { what, reason });
    }

    fn here(&self) -> String {
        display(&self.outer, &self.chain)
    }

    /// A bound was reached in a stream just read.
    fn bound_hit(&self) -> bool {
        self.meter.exhausted.get() || self.meter.ratio_tripped.get()
    }

    /// Counts one more entry; false (and reported once) past the bound.
    fn count_entry(&mut self) -> bool {
        if self.stopped || self.meter.exhausted.get() {
            return false;
        }
        if self.outcome.entries >= self.limits.entries {
            self.stopped = true;
            self.outcome.limit_hit = true;
            let reason = format!(
                "archive holds more than {} entries; the rest is not scanned (raise the bound with \
                 --archive-max-entries)",
                self.limits.entries
            );
            self.problem(self.here(), reason);
            return false;
        }
        self.outcome.entries += 1;
        true
    }

    /// Why a read stopped, in words. A bound reached is recorded as such (and the byte budget
    /// is reported only once).
    fn read_reason(&mut self, failure: &Failure) -> String {
        if self.meter.exhausted.get() {
            self.stopped = true;
            self.outcome.limit_hit = true;
            return format!(
                "archive inflates past the {} bound; the rest is not scanned (raise the bound with \
                 --archive-max-bytes)",
                size(self.limits.bytes)
            );
        }
        if self.meter.ratio_tripped.replace(false) {
            self.outcome.limit_hit = true;
            return format!(
                "inflates to more than {} times its compressed size (a zip bomb?); not read \
                 past that (if it is genuine, raise the bound with --archive-max-ratio)",
                self.limits.ratio
            );
        }
        match failure {
            Failure::Read(e) => format!("could not be read: {e}"),
            Failure::Spool(e) => format!("could not be held in a temporary file: {e}"),
        }
    }

    /// Expands one archive at the current chain. An error is the archive's structure failing.
    fn archive(&mut self, kind: Kind, input: &mut dyn ReadSeek) -> Result<(), String> {
        match kind {
            Kind::Zip => self.zip(input),
            Kind::Tar => self.tar(&mut { input }, false),
            Kind::Gzip => {
                let container = self
                    .chain
                    .last()
                    .map_or(self.outer.as_str(), String::as_str);
                let member = member_name(container);
                self.gzip(&mut { input }, member)
            }
        }
    }

    fn zip(&mut self, input: &mut dyn ReadSeek) -> Result<(), String> {
        // The zip crate reads the whole central directory before the first entry: refuse one
        // that lists more entries than the bound before it is read.
        if let Ok(Some(listed)) = declared_entries(input) {
            if listed > self.limits.entries {
                self.outcome.limit_hit = true;
                return Err(format!(
                    "archive lists {listed} entries, more than the bound of {}; not expanded",
                    self.limits.entries
                ));
            }
        }
        let packed = Rc::new(Cell::new(0u64));
        let counted = Counted {
            inner: input,
            count: Rc::clone(&packed),
        };
        let mut archive = zip::ZipArchive::new(counted)
            .map_err(|e| format!("not a readable zip archive: {e}"))?;
        let listed = archive.len();
        let mut spans = Vec::with_capacity(listed);
        for index in 0..listed {
            if !self.count_entry() {
                break;
            }
            let listed_name = archive.name_for_index(index).unwrap_or("?").to_owned();
            let mut comment = Vec::new();
            let (name, refusal) = match archive.by_index_raw(index) {
                Ok(file) => {
                    comment = file.comment().as_bytes().to_vec();
                    if let Some(data) = file.data_start() {
                        spans.push(Span {
                            start: file.header_start(),
                            end: data.saturating_add(file.compressed_size()),
                            crc: file.crc32(),
                            packed: file.compressed_size(),
                        });
                    }
                    (file.name().to_owned(), zip_refusal(&file))
                }
                Err(e) => (listed_name, Some(Err(format!("could not be read: {e}")))),
            };
            self.chain.push(name);
            match refusal {
                Some(Ok(())) => {}
                Some(Err(reason)) => self.problem(self.here(), reason),
                None => match archive.by_index(index) {
                    Ok(mut file) => {
                        let mut guard = Guard::new(&mut file, &self.meter, Some(&packed));
                        let (content, read) = spool(&mut guard);
                        drop(guard);
                        drop(file);
                        let read = read.map_err(|f| self.read_reason(&f));
                        self.entry(content, read);
                    }
                    Err(e) => self.problem(self.here(), format!("could not be read: {e}")),
                },
            }
            // Text any zip tool shows beside the entry, whatever the entry's own fate.
            if !comment.is_empty() {
                self.chain.push(ENTRY_COMMENT.to_owned());
                self.entry(Spool::Memory(comment), Ok(()));
                self.chain.pop();
            }
            self.chain.pop();
        }
        if self.stopped {
            return Ok(());
        }
        let comment = archive.comment().to_vec();
        let comment_len = comment.len();
        if !comment.is_empty() {
            self.chain.push(ZIP_COMMENT.to_owned());
            self.entry(Spool::Memory(comment), Ok(()));
            self.chain.pop();
        }
        // The zip crate keeps one entry per name: a second entry under a name already used hides
        // the first. Count the central directory's records to notice.
        let start = archive.central_directory_start();
        let mut reader = archive.into_inner();
        // Bytes no listed entry covers (a local entry left out of the central directory, data
        // before the first entry or between two) are read by no zip reader here, but may be by
        // another: the zip's own bytes are then scanned as well.
        if !matches!(tiled(&mut reader, &mut spans, start, comment_len), Ok(true)) {
            self.untiled = true;
        }
        match central_records(&mut reader, start, listed) {
            Ok(records) if records > listed => Err(format!(
                "archive holds more entries than names ({records} or more under {listed} names): \
                 an entry sharing its name with a later one is not scanned"
            )),
            Ok(_) => Ok(()),
            Err(e) => Err(format!("central directory could not be read: {e}")),
        }
    }

    /// Reads a tar stream; `metered` when its bytes are already charged (inflated from gzip).
    fn tar(&mut self, input: &mut dyn Read, metered: bool) -> Result<(), String> {
        let mut guard;
        let input: &mut dyn Read = if metered {
            input
        } else {
            guard = Guard::new(input, &self.meter, None);
            &mut guard
        };
        let mut archive = tar::Archive::new(input);
        let entries = archive
            .entries()
            .map_err(|e| format!("not a readable tar archive: {e}"))?;
        for entry in entries {
            if self.stopped || self.meter.exhausted.get() {
                return Ok(());
            }
            let mut entry = match entry {
                Ok(entry) => entry,
                Err(e) if self.bound_hit() => {
                    // The bound was reached between entries (in a header, or in the data of an
                    // entry that is skipped).
                    let reason = self.read_reason(&Failure::Read(e));
                    self.problem(self.here(), reason);
                    return Ok(());
                }
                Err(e) => {
                    return Err(format!(
                        "tar archive is truncated or corrupt: {e}; the rest is not scanned"
                    ))
                }
            };
            if !self.count_entry() {
                return Ok(());
            }
            // Links carry no data. Any other entry with data is read as a file: GNU tar extracts
            // unknown types as regular files, and a directory or a FIFO may still carry a
            // payload. Long names and PAX headers never get here (the tar crate applies them).
            let kind = entry.header().entry_type();
            let file = matches!(
                kind,
                EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse
            ) || (!matches!(kind, EntryType::Symlink | EntryType::Link)
                && entry.size() > 0);
            if !file {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            self.chain.push(name);
            let (content, read) = spool(&mut entry);
            let whole = read.is_ok();
            let bound = self.bound_hit();
            let read = read.map_err(|f| self.read_reason(&f));
            self.entry(content, read);
            self.chain.pop();
            if !whole {
                // A bound stopped the stream, or it is out of step with its headers: reading on
                // would only skip through the rest of it.
                if bound {
                    return Ok(());
                }
                return Err(
                    "tar archive is truncated or corrupt; the rest is not scanned".to_owned(),
                );
            }
        }
        self.after_end(archive.into_inner())
    }

    /// Reads what follows a tar's end-of-archive block to the end of the stream (the rest of a
    /// gzip stream too, all its members). Zeros are padding; anything else (`cat a.tar b.txt`,
    /// a second gzip member) is handed over as one more file, `<after end of archive>`.
    fn after_end(&mut self, rest: &mut dyn Read) -> Result<(), String> {
        let mut buf = vec![0u8; CHUNK];
        let first = loop {
            match rest.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    if let Some(at) = buf[..n].iter().position(|&b| b != 0) {
                        break buf[at..n].to_vec();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if self.bound_hit() => {
                    let reason = self.read_reason(&Failure::Read(e));
                    self.chain.push(AFTER_END.to_owned());
                    self.problem(self.here(), reason);
                    self.chain.pop();
                    return Ok(());
                }
                // Bytes after the last gzip member that are no gzip member (padding, junk),
                // which gzip itself ignores: they are stored as they are, so scanning the
                // archive's own bytes covers them.
                Err(e) if e.to_string() == "invalid gzip header" => {
                    self.untiled = true;
                    return Ok(());
                }
                Err(e) => {
                    return Err(format!(
                        "data after the end of the tar archive could not be read: {e}"
                    ))
                }
            }
        };
        if !self.count_entry() {
            return Ok(());
        }
        self.chain.push(AFTER_END.to_owned());
        let (content, read) = spool(&mut Cursor::new(first).chain(rest));
        let read = read.map_err(|f| self.read_reason(&f));
        self.entry(content, read);
        self.chain.pop();
        Ok(())
    }

    fn gzip(&mut self, input: &mut dyn Read, member: String) -> Result<(), String> {
        let packed = Rc::new(Cell::new(0u64));
        let counted = Counted {
            inner: input,
            count: Rc::clone(&packed),
        };
        let mut inflated = Guard::new(MultiGzDecoder::new(counted), &self.meter, Some(&packed));
        let mut head = Vec::with_capacity(SNIFF_LEN);
        let peeked = (&mut inflated)
            .take(SNIFF_LEN as u64)
            .read_to_end(&mut head);
        let read = match peeked {
            Err(e) if head.is_empty() && !self.bound_hit() => {
                return Err(format!("not a readable gzip stream: {e}"));
            }
            Err(e) => Err(Failure::Read(e)),
            Ok(_) => Ok(()),
        };
        if read.is_ok() && sniff(&head) == Some(Kind::Tar) {
            // A tar.gz: the tar's entries are the gzip file's own.
            return self.tar(&mut Cursor::new(head).chain(&mut inflated), true);
        }
        if !self.count_entry() {
            return Ok(());
        }
        self.chain.push(member);
        let (content, read) = match read {
            Ok(()) => spool(&mut Cursor::new(head).chain(&mut inflated)),
            Err(failure) => (Spool::Memory(head), Err(failure)),
        };
        let read = read.map_err(|f| self.read_reason(&f));
        self.entry(content, read);
        self.chain.pop();
        Ok(())
    }

    /// Hands over an entry read into `content` (whole, or not with the reason), or expands it when
    /// it is itself an archive. Problems are recorded at the current chain.
    fn entry(&mut self, mut content: Spool, read: Result<(), String>) {
        let here = self.here();
        let nested = match &mut content {
            Spool::Memory(bytes) => sniff(bytes),
            Spool::File(file) => sniff_file(file),
        };
        match (read, nested) {
            (Ok(()), Some(kind)) if self.chain.len() < self.limits.depth as usize => {
                let outer_untiled = std::mem::take(&mut self.untiled);
                let expanded = self.nested(kind, &mut content);
                let untiled = std::mem::replace(&mut self.untiled, outer_untiled);
                if let Err(reason) = expanded {
                    self.problem(here, format!("{reason}; scanned as it is"));
                    self.hand_over(&mut content);
                } else if untiled {
                    self.hand_over(&mut content);
                }
            }
            (Ok(()), Some(_)) => {
                self.outcome.limit_hit = true;
                let reason = format!(
                    "archive nested deeper than {} levels is not expanded (raise the bound with \
                     --archive-depth); scanned as it is",
                    self.limits.depth
                );
                self.problem(here, reason);
                self.hand_over(&mut content);
            }
            (Ok(()), None) => self.hand_over(&mut content),
            (Err(reason), _) => {
                self.problem(here, reason);
                self.hand_over(&mut content);
            }
        }
    }

    fn nested(&mut self, kind: Kind, content: &mut Spool) -> Result<(), String> {
        match content {
            Spool::Memory(bytes) => self.archive(kind, &mut Cursor::new(bytes.as_slice())),
            Spool::File(file) => {
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| format!("temporary file: {e}"))?;
                self.archive(kind, file)
            }
        }
    }

    fn hand_over(&mut self, content: &mut Spool) {
        let display = self.here();
        let content = match content {
            Spool::Memory(bytes) => Content::Memory(bytes),
            Spool::File(file) => {
                if let Err(e) = file.seek(SeekFrom::Start(0)) {
                    self.problem(display, format!("temporary file could not be read: {e}"));
                    return;
                }
                Content::Spooled(file)
            }
        };
        (self.visit)(Entry {
            chain: &self.chain,
            display: &display,
            content,
        });
    }
}

/// Why a zip entry is not read: `Some(Ok(()))` for what is skipped silently (directories),
/// `Some(Err(reason))` for what cannot be read. An entry marked as a Unix symlink is read like a
/// regular file: its data is only a target path to `unzip`, but java.util.zip and most other
/// readers ignore the mode bits and serve it as the file's content.
fn zip_refusal<R: Read + ?Sized>(file: &zip::read::ZipFile<'_, R>) -> Option<Result<(), String>> {
    if file.is_dir() {
        return Some(Ok(()));
    }
    if file.encrypted() {
        return Some(Err("encrypted entry".to_owned()));
    }
    let method = file.compression();
    if method == CompressionMethod::STORE || method == CompressionMethod::DEFLATE {
        return None;
    }
    let named = [
        (CompressionMethod::BZIP2, "bzip2"),
        (CompressionMethod::LZMA, "LZMA"),
        (CompressionMethod::XZ, "xz"),
        (CompressionMethod::ZSTD, "zstd"),
        (CompressionMethod::ZSTD_DEPRECATED, "zstd"),
        (CompressionMethod::DEFLATE64, "deflate64"),
        (CompressionMethod::PPMD, "PPMd"),
        (CompressionMethod::AES, "AES encryption"),
    ];
    let name = named
        .iter()
        .find(|(m, _)| *m == method)
        .map_or_else(|| format!("method {method}"), |(_, n)| (*n).to_owned());
    Some(Err(format!(
        "entry compressed with {name}, which is not supported"
    )))
}

/// Where one listed zip entry lies: its local header through its data.
struct Span {
    start: u64,
    end: u64,
    crc: u32,
    packed: u64,
}

/// Whether the listed entries of a zip (each local header and its data, and the data descriptor
/// that may follow) and its central directory, which runs to the end of its end record and
/// comment, cover every byte of it.
fn tiled(
    input: &mut dyn ReadSeek,
    spans: &mut [Span],
    directory: u64,
    comment: usize,
) -> io::Result<bool> {
    if !ends_with_its_end_record(input, comment)? {
        return Ok(false);
    }
    spans.sort_by_key(|span| span.start);
    let mut at = 0u64;
    let mut last: Option<&Span> = None;
    for span in spans.iter().chain(std::iter::once(&Span {
        start: directory,
        end: directory,
        crc: 0,
        packed: 0,
    })) {
        if span.start > at && !descriptor(input, last, at, span.start - at)? {
            return Ok(false);
        }
        if span.end >= at {
            at = span.end;
            last = Some(span);
        }
    }
    Ok(true)
}

/// Whether the `gap` bytes at `at` are the data descriptor of the entry `after`: an optional
/// signature, then its CRC and compressed size, as the central directory gives them, and an
/// uncompressed size (too short to hide anything in).
fn descriptor(
    input: &mut dyn ReadSeek,
    after: Option<&Span>,
    at: u64,
    gap: u64,
) -> io::Result<bool> {
    let Some(entry) = after else {
        return Ok(false);
    };
    if ![12, 16, 20, 24].contains(&gap) {
        return Ok(false);
    }
    let mut bytes = [0u8; 24];
    let bytes = &mut bytes[..gap as usize];
    input.seek(SeekFrom::Start(at))?;
    input.read_exact(bytes)?;
    let fields = match bytes.strip_prefix(b"PK\x07\x08") {
        Some(rest) if gap % 8 == 0 => rest,
        None if gap % 8 == 4 => &bytes[..],
        _ => return Ok(false),
    };
    let crc = u32::from_le_bytes([fields[0], fields[1], fields[2], fields[3]]);
    let packed = if fields.len() == 12 {
        u64::from(u32::from_le_bytes([
            fields[4], fields[5], fields[6], fields[7],
        ]))
    } else {
        let mut wide = [0u8; 8];
        wide.copy_from_slice(&fields[4..12]);
        u64::from_le_bytes(wide)
    };
    Ok(crc == entry.crc && packed == entry.packed)
}

/// Whether the end of central directory record the zip was read by, with its comment of
/// `comment` bytes, ends the file: readers look for it from the end and skip whatever follows.
fn ends_with_its_end_record(input: &mut dyn ReadSeek, comment: usize) -> io::Result<bool> {
    let record = 22 + comment as u64;
    let len = input.seek(SeekFrom::End(0))?;
    let Some(at) = len.checked_sub(record) else {
        return Ok(false);
    };
    input.seek(SeekFrom::Start(at))?;
    let mut head = [0u8; 22];
    input.read_exact(&mut head)?;
    Ok(head[..4] == *b"PK\x05\x06"
        && usize::from(u16::from_le_bytes([head[20], head[21]])) == comment)
}

/// Counts the records of a zip central directory from `start`, stopping past `listed + 1`.
fn central_records(input: &mut dyn ReadSeek, start: u64, listed: usize) -> io::Result<usize> {
    input.seek(SeekFrom::Start(start))?;
    let mut reader = BufReader::with_capacity(CHUNK, input);
    let mut records = 0;
    let mut fixed = [0u8; 46];
    while records <= listed {
        match reader.read_exact(&mut fixed) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e),
        }
        if fixed[..4] != *b"PK\x01\x02" {
            break;
        }
        let field = |at: usize| i64::from(u16::from_le_bytes([fixed[at], fixed[at + 1]]));
        reader.seek_relative(field(28) + field(30) + field(32))?;
        records += 1;
    }
    Ok(records)
}

/// The number of entries a zip's end of central directory record declares (zip64 included), if
/// it can be found.
fn declared_entries(input: &mut dyn ReadSeek) -> io::Result<Option<u64>> {
    const EOCD: usize = 22;
    const LOCATOR: usize = 20;
    let len = input.seek(SeekFrom::End(0))?;
    let tail_len = len.min((EOCD + usize::from(u16::MAX) + LOCATOR) as u64);
    input.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = Vec::new();
    input.take(tail_len).read_to_end(&mut tail)?;
    let Some(at) = tail.windows(4).rposition(|w| w == b"PK\x05\x06") else {
        return Ok(None);
    };
    let Some(count) = tail.get(at + 10..at + 12) else {
        return Ok(None);
    };
    let count = u16::from_le_bytes([count[0], count[1]]);
    if count != u16::MAX {
        return Ok(Some(u64::from(count)));
    }
    let Some(locator) = at.checked_sub(LOCATOR).and_then(|from| tail.get(from..at)) else {
        return Ok(None);
    };
    if locator[..4] != *b"PK\x06\x07" {
        return Ok(None);
    }
    let mut offset = [0u8; 8];
    offset.copy_from_slice(&locator[8..16]);
    input.seek(SeekFrom::Start(u64::from_le_bytes(offset)))?;
    let mut record = [0u8; 40];
    input.read_exact(&mut record)?;
    if record[..4] != *b"PK\x06\x06" {
        return Ok(None);
    }
    let mut total = [0u8; 8];
    total.copy_from_slice(&record[32..40]);
    Ok(Some(u64::from_le_bytes(total)))
}

fn sniff_file(file: &mut File) -> Option<Kind> {
    let mut head = Vec::with_capacity(SNIFF_LEN);
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(SNIFF_LEN as u64).read_to_end(&mut head).ok()?;
    sniff(&head)
}

/// The name of the file a gzip file holds: its own name without `.gz` (`.tgz` holds a `.tar`).
fn member_name(container: &str) -> String {
    let base = container.rsplit(['/', '\\']).next().unwrap_or(container);
    let lower = base.to_ascii_lowercase();
    for (suffix, replacement) in [(".tgz", ".tar"), (".gz", ""), (".gzip", ""), (".z", "")] {
        if lower.ends_with(suffix) && lower.len() > suffix.len() {
            let stem = &base[..base.len() - suffix.len()];
            return format!("{stem}{replacement}");
        }
    }
    base.to_owned()
}

/// A byte count for people: `1 GiB`, `16 MiB`, `1000 bytes`.
fn size(bytes: u64) -> String {
    for (unit, name) in [(1u64 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")] {
        if bytes >= unit && bytes % unit == 0 {
            return format!("{} {name}", bytes / unit);
        }
    }
    format!("{bytes} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::{Compress, Compression, FlushCompress};
    use zip::write::SimpleFileOptions;

    /// What a visitor saw: chain, display, whole content, and whether it came spooled.
    #[derive(Debug)]
    struct Seen {
        chain: Vec<String>,
        display: String,
        bytes: Vec<u8>,
        spooled: bool,
    }

    fn run(outer: &str, archive: &[u8], limits: &Limits) -> (Vec<Seen>, Outcome) {
        let Some(kind) = sniff(archive) else {
            panic!("{outer} is not recognised as an archive");
        };
        let mut seen = Vec::new();
        let outcome = expand(
            outer,
            kind,
            &mut Cursor::new(archive),
            limits,
            &mut |entry| seen.push(observe(entry)),
        );
        (seen, outcome)
    }

    fn observe(entry: Entry<'_>) -> Seen {
        let (bytes, spooled) = match entry.content {
            Content::Memory(bytes) => (bytes.to_vec(), false),
            Content::Spooled(file) => {
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).expect("spool file reads");
                (bytes, true)
            }
        };
        Seen {
            chain: entry.chain.to_vec(),
            display: entry.display.to_owned(),
            bytes,
            spooled,
        }
    }

    fn displays(seen: &[Seen]) -> Vec<&str> {
        seen.iter().map(|s| s.display.as_str()).collect()
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, data) in entries {
            if name.ends_with('/') {
                writer.add_directory(*name, options).expect("directory");
            } else {
                writer.start_file(*name, options).expect("start entry");
                writer.write_all(data).expect("write entry");
            }
        }
        writer.finish().expect("finish zip").into_inner()
    }

    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data) in entries {
            let mut header = tar::Header::new_gnu();
            // Written by hand: the builder refuses `..`, which is what some tests need.
            let field = &mut header.as_old_mut().name;
            field[..name.len()].copy_from_slice(name.as_bytes());
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_cksum();
            builder.append(&header, *data).expect("append");
        }
        builder.into_inner().expect("finish tar")
    }

    fn gzip_of(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).expect("gzip");
        encoder.finish().expect("finish gzip")
    }

    /// A raw deflate stream that inflates to `mib` MiB of zeros, built without deflating them:
    /// once the window is all zeros, the sync-flushed block for the next MiB is always the same.
    fn zeros_deflate(mib: usize) -> Vec<u8> {
        let zeros = vec![0u8; 1 << 20];
        let mut compress = Compress::new(Compression::best(), false);
        let mut block = |flush: FlushCompress, input: &[u8]| {
            let mut out = Vec::with_capacity(1 << 16);
            let before = compress.total_in();
            compress
                .compress_vec(input, &mut out, flush)
                .expect("deflate");
            assert_eq!(compress.total_in() - before, input.len() as u64);
            out
        };
        let first = block(FlushCompress::Sync, &zeros);
        let repeat = block(FlushCompress::Sync, &zeros);
        assert_eq!(repeat, block(FlushCompress::Sync, &zeros));
        let last = block(FlushCompress::Finish, &[]);
        let mut stream = first;
        for _ in 1..mib {
            stream.extend_from_slice(&repeat);
        }
        stream.extend_from_slice(&last);
        stream
    }

    /// One zip entry written byte by byte, to say what a writer never would.
    struct Raw<'a> {
        name: &'a str,
        method: u16,
        flags: u16,
        crc: u32,
        size: u32,
        data: &'a [u8],
    }

    fn craft_zip(entries: &[Raw<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for e in entries {
            let offset = out.len() as u32;
            let compressed = e.data.len() as u32;
            let name_len = e.name.len() as u16;
            out.extend_from_slice(b"PK\x03\x04");
            for v in [20u16, e.flags, e.method, 0, 0x21] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            for v in [e.crc, compressed, e.size] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&name_len.to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(e.name.as_bytes());
            out.extend_from_slice(e.data);

            central.extend_from_slice(b"PK\x01\x02");
            for v in [20u16, 20, e.flags, e.method, 0, 0x21] {
                central.extend_from_slice(&v.to_le_bytes());
            }
            for v in [e.crc, compressed, e.size] {
                central.extend_from_slice(&v.to_le_bytes());
            }
            for v in [name_len, 0, 0, 0, 0] {
                central.extend_from_slice(&v.to_le_bytes());
            }
            central.extend_from_slice(&0u32.to_le_bytes());
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(e.name.as_bytes());
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

    /// Bytes that do not compress (an xorshift sequence).
    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    fn crc(data: &[u8]) -> u32 {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        crc.sum()
    }

    fn stored<'a>(name: &'a str, data: &'a [u8]) -> Raw<'a> {
        Raw {
            name,
            method: 0,
            flags: 0,
            crc: crc(data),
            size: data.len() as u32,
            data,
        }
    }

    fn reasons(outcome: &Outcome) -> Vec<(&str, &str)> {
        outcome
            .problems
            .iter()
            .map(|p| (p.what.as_str(), p.reason.as_str()))
            .collect()
    }

    #[test]
    fn sniff_knows_archives_by_their_first_bytes_only() {
        let zip = zip_of(&[("a.txt", b"a")]);
        assert_eq!(sniff(&zip), Some(Kind::Zip));
        assert_eq!(sniff(b"PK\x05\x06\0\0\0\0"), Some(Kind::Zip), "empty zip");
        assert_eq!(sniff(b"PK\x07\x08PK\x03\x04"), Some(Kind::Zip), "spanned");
        assert_eq!(sniff(&gzip_of(b"x")), Some(Kind::Gzip));
        let tar = tar_of(&[("a.txt", b"a")]);
        assert_eq!(sniff(&tar[..SNIFF_LEN]), Some(Kind::Tar));

        let mut old = tar::Header::new_old();
        old.set_path("old.txt").expect("path");
        old.set_size(1);
        old.set_cksum();
        assert_eq!(sniff(old.as_bytes()), Some(Kind::Tar), "v7 tar by checksum");
        let mut wrong = old.as_bytes().to_vec();
        wrong[0] ^= 1;
        assert_eq!(sniff(&wrong), None, "a checksum that does not add up");

        assert_eq!(sniff(b"PK\x03"), None);
        assert_eq!(sniff(b"api_key = value\n"), None);
        assert_eq!(sniff(&[b' '; 600]), None);
        assert_eq!(sniff(&[0u8; 600]), None);
        assert_eq!(sniff(&[]), None);
    }

    #[test]
    fn display_joins_the_chain_with_bangs() {
        let chain = ["dist/service.jar".to_owned(), "BOOT-INF/app.yml".to_owned()];
        assert_eq!(
            display("release.tar.gz", &chain),
            "release.tar.gz!dist/service.jar!BOOT-INF/app.yml"
        );
        assert_eq!(display("plain.zip", &[]), "plain.zip");
    }

    #[test]
    fn a_zip_yields_its_files_and_skips_directories() {
        let zip = zip_of(&[
            ("conf/", b""),
            ("conf/app.env", b"LUSHA_API_KEY=placeholder\n"),
            ("README", b"readme"),
        ]);
        let (seen, outcome) = run("bundle.zip", &zip, &Limits::default());
        assert_eq!(
            outcome,
            Outcome {
                entries: 3,
                ..Outcome::default()
            }
        );
        assert_eq!(
            displays(&seen),
            ["bundle.zip!conf/app.env", "bundle.zip!README"]
        );
        assert_eq!(seen[0].chain, ["conf/app.env"]);
        assert_eq!(seen[0].bytes, b"LUSHA_API_KEY=placeholder\n");
        assert!(!seen[0].spooled);
    }

    #[test]
    fn a_jar_inside_a_tar_gz_is_a_chain_of_two() {
        let properties = b"lusha.api-key=${LUSHA_KEY}\n";
        let jar = zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("BOOT-INF/classes/application.properties", properties),
        ]);
        let tgz = gzip_of(&tar_of(&[
            ("dist/service.jar", &jar),
            ("dist/run.sh", b"java -jar"),
        ]));
        let (seen, outcome) = run("release.tar.gz", &tgz, &Limits::default());
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert_eq!(
            displays(&seen),
            [
                "release.tar.gz!dist/service.jar!META-INF/MANIFEST.MF",
                "release.tar.gz!dist/service.jar!BOOT-INF/classes/application.properties",
                "release.tar.gz!dist/run.sh",
            ]
        );
        assert_eq!(
            seen[1].chain,
            [
                "dist/service.jar",
                "BOOT-INF/classes/application.properties"
            ]
        );
        assert_eq!(seen[1].bytes, properties);
        assert_eq!(outcome.entries, 4);
    }

    #[test]
    fn a_wheel_and_an_npm_tarball_read_like_any_zip_and_tgz() {
        let wheel = zip_of(&[
            ("client/__init__.py", b"API_KEY = None\n"),
            ("client-1.0.dist-info/METADATA", b"Name: client\n"),
            ("client-1.0.dist-info/RECORD", b"client/__init__.py,,\n"),
        ]);
        let (seen, outcome) = run("client-1.0-py3-none-any.whl", &wheel, &Limits::default());
        assert!(outcome.problems.is_empty());
        assert_eq!(
            displays(&seen),
            [
                "client-1.0-py3-none-any.whl!client/__init__.py",
                "client-1.0-py3-none-any.whl!client-1.0.dist-info/METADATA",
                "client-1.0-py3-none-any.whl!client-1.0.dist-info/RECORD",
            ]
        );

        let npm = gzip_of(&tar_of(&[
            ("package/package.json", b"{\"name\":\"client\"}"),
            ("package/lib/index.js", b"module.exports = {}"),
        ]));
        let (seen, outcome) = run("client-1.0.0.tgz", &npm, &Limits::default());
        assert!(outcome.problems.is_empty());
        assert_eq!(
            displays(&seen),
            [
                "client-1.0.0.tgz!package/package.json",
                "client-1.0.0.tgz!package/lib/index.js",
            ]
        );
        assert_eq!(seen[1].bytes, b"module.exports = {}");
    }

    #[test]
    fn expand_reads_from_the_start_after_sniffing() {
        for (name, archive) in [
            ("a.tar", tar_of(&[("x", b"x")])),
            ("a.gz", gzip_of(b"x")),
            ("a.zip", zip_of(&[("x", b"x")])),
        ] {
            let mut input = Cursor::new(&archive);
            let mut head = Vec::new();
            (&mut input)
                .take(SNIFF_LEN as u64)
                .read_to_end(&mut head)
                .expect("head");
            let kind = sniff(&head).expect("an archive");
            let mut seen = Vec::new();
            let outcome = expand(name, kind, &mut input, &Limits::default(), &mut |entry| {
                seen.push(observe(entry))
            });
            assert!(outcome.problems.is_empty(), "{name}: {outcome:?}");
            assert_eq!(seen.len(), 1, "{name}");
            assert_eq!(seen[0].bytes, b"x", "{name}");
        }
    }

    #[test]
    fn a_plain_gz_holds_one_file_named_after_it() {
        let (seen, outcome) = run("logs/app.log.gz", &gzip_of(b"line\n"), &Limits::default());
        assert!(outcome.problems.is_empty());
        assert_eq!(displays(&seen), ["logs/app.log.gz!app.log"]);
        assert_eq!(seen[0].bytes, b"line\n");
        assert_eq!(member_name("x.tgz"), "x.tar");
        assert_eq!(member_name("DATA.GZ"), "DATA");
        assert_eq!(member_name("noext"), "noext");
        assert_eq!(member_name(".gz"), ".gz");
    }

    #[test]
    fn nesting_stops_at_depth_three_and_the_fourth_archive_is_scanned_as_it_is() {
        let d = zip_of(&[("key.txt", b"deepest")]);
        let c = zip_of(&[("d.zip", &d)]);
        let b = zip_of(&[("c.zip", &c)]);
        let a = zip_of(&[("b.zip", &b)]);
        let (seen, outcome) = run("a.zip", &a, &Limits::default());
        assert_eq!(displays(&seen), ["a.zip!b.zip!c.zip!d.zip"]);
        assert_eq!(
            seen[0].bytes, d,
            "the archive too deep is handed over whole"
        );
        assert_eq!(
            reasons(&outcome),
            [(
                "a.zip!b.zip!c.zip!d.zip",
                "archive nested deeper than 3 levels is not expanded (raise the bound with \
                 --archive-depth); scanned as it is"
            )]
        );
        assert!(outcome.limit_hit);

        let deeper = Limits {
            depth: 4,
            ..Limits::default()
        };
        let (seen, outcome) = run("a.zip", &a, &deeper);
        assert_eq!(displays(&seen), ["a.zip!b.zip!c.zip!d.zip!key.txt"]);
        assert!(outcome.problems.is_empty());
    }

    #[test]
    fn a_four_gib_zip_bomb_stops_at_its_first_mib() {
        let stream = zeros_deflate(4096);
        assert!(stream.len() < 8 << 20, "the bomb is {} bytes", stream.len());
        let bomb = craft_zip(&[
            Raw {
                name: "zeros.bin",
                method: 8,
                flags: 0,
                crc: 0,
                size: u32::MAX - 1,
                data: &stream,
            },
            stored("after.txt", b"still read"),
        ]);
        let (seen, outcome) = run("bomb.zip", &bomb, &Limits::default());
        assert_eq!(
            reasons(&outcome),
            [(
                "bomb.zip!zeros.bin",
                "inflates to more than 200 times its compressed size (a zip bomb?); not read \
                 past that (if it is genuine, raise the bound with --archive-max-ratio)"
            )]
        );
        assert!(outcome.limit_hit);
        assert!(!outcome.scan_raw);
        assert_eq!(
            displays(&seen),
            ["bomb.zip!zeros.bin", "bomb.zip!after.txt"]
        );
        assert!(
            seen[0].bytes.len() <= 2 << 20,
            "{} bytes kept",
            seen[0].bytes.len()
        );
        assert_eq!(seen[1].bytes, b"still read");

        // With the ratio out of the way, the byte budget stops it, and everything after it.
        let budget = Limits {
            ratio: u64::MAX,
            bytes: 8 << 20,
            ..Limits::default()
        };
        let (seen, outcome) = run("bomb.zip", &bomb, &budget);
        assert_eq!(
            reasons(&outcome),
            [(
                "bomb.zip!zeros.bin",
                "archive inflates past the 8 MiB bound; the rest is not scanned (raise the bound \
                 with --archive-max-bytes)"
            )]
        );
        assert_eq!(displays(&seen), ["bomb.zip!zeros.bin"]);
        assert_eq!(seen[0].bytes.len(), 8 << 20);
        assert!(seen[0].spooled);
    }

    #[test]
    fn a_four_gib_gzip_bomb_stops_at_its_first_mib() {
        let mut bomb = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        bomb.extend_from_slice(&zeros_deflate(4096));
        bomb.extend_from_slice(&[0; 8]);
        let (seen, outcome) = run("zeros.tar.gz", &bomb, &Limits::default());
        assert_eq!(outcome.problems.len(), 1, "{outcome:?}");
        assert_eq!(outcome.problems[0].what, "zeros.tar.gz!zeros.tar");
        assert!(outcome.problems[0].reason.contains("zip bomb"));
        assert!(seen[0].bytes.len() <= 2 << 20);
    }

    #[test]
    fn a_tar_stream_stops_at_the_byte_budget() {
        let chunk = vec![b'x'; 10 << 10];
        let tar = tar_of(&[("one", &chunk), ("two", &chunk), ("three", &chunk)]);
        let limits = Limits {
            bytes: 16 << 10,
            ..Limits::default()
        };
        let (seen, outcome) = run("t.tar", &tar, &limits);
        assert_eq!(seen[0].bytes, chunk);
        assert_eq!(displays(&seen), ["t.tar!one", "t.tar!two"]);
        assert!(seen[1].bytes.len() < chunk.len());
        assert_eq!(
            reasons(&outcome),
            [(
                "t.tar!two",
                "archive inflates past the 16 KiB bound; the rest is not scanned (raise the bound \
                 with --archive-max-bytes)"
            )]
        );
        assert!(outcome.limit_hit);
    }

    #[test]
    fn a_tar_gz_is_charged_once_for_its_inflated_bytes() {
        let content = noise(40 << 10);
        let tgz = gzip_of(&tar_of(&[("data.bin", &content)]));
        let limits = Limits {
            bytes: 64 << 10,
            ..Limits::default()
        };
        let (seen, outcome) = run("data.tgz", &tgz, &limits);
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert_eq!(seen[0].bytes, content);
    }

    #[test]
    fn an_entry_ending_exactly_at_the_byte_budget_is_whole() {
        let content = noise(16 << 10);
        let zip = zip_of(&[("exact.bin", &content)]);
        let limits = Limits {
            bytes: 16 << 10,
            ..Limits::default()
        };
        let (seen, outcome) = run("exact.zip", &zip, &limits);
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert_eq!(seen[0].bytes, content);
    }

    #[test]
    fn links_and_directories_in_a_tar_are_skipped_not_followed() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut append = |name: &str, kind: tar::EntryType, link: Option<&str>, data: &[u8]| {
            let mut header = tar::Header::new_gnu();
            header.set_path(name).expect("path");
            header.set_entry_type(kind);
            if let Some(target) = link {
                header.set_link_name(target).expect("link");
            }
            header.set_size(data.len() as u64);
            header.set_cksum();
            builder.append(&header, data).expect("append");
        };
        append("etc/", tar::EntryType::Directory, None, b"");
        append("etc/real.env", tar::EntryType::Regular, None, b"real");
        append(
            "etc/soft",
            tar::EntryType::Symlink,
            Some("/etc/passwd"),
            b"",
        );
        append("etc/hard", tar::EntryType::Link, Some("etc/real.env"), b"");
        let tar = builder.into_inner().expect("finish");
        let (seen, outcome) = run("links.tar", &tar, &Limits::default());
        assert!(outcome.problems.is_empty());
        assert_eq!(displays(&seen), ["links.tar!etc/real.env"]);
        assert_eq!(outcome.entries, 4);
    }

    #[test]
    fn a_zip_entry_marked_as_a_symlink_is_read_as_a_file() {
        // java.util.zip ignores the Unix mode bits: this is the jar's properties file.
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default();
        writer
            .add_symlink(
                "BOOT-INF/classes/application.properties",
                "api.key=x",
                options,
            )
            .expect("symlink");
        writer.start_file("plain.txt", options).expect("start");
        writer.write_all(b"plain").expect("write");
        let zip = writer.finish().expect("finish").into_inner();
        let (seen, outcome) = run("app.jar", &zip, &Limits::default());
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert_eq!(
            displays(&seen),
            [
                "app.jar!BOOT-INF/classes/application.properties",
                "app.jar!plain.txt"
            ]
        );
        assert_eq!(seen[0].bytes, b"api.key=x");
    }

    #[test]
    fn tar_entries_of_other_types_with_data_are_read_as_files() {
        let mut builder = tar::Builder::new(Vec::new());
        let mut append = |name: &str, kind: tar::EntryType, data: &[u8]| {
            let mut header = tar::Header::new_gnu();
            header.set_path(name).expect("path");
            header.set_entry_type(kind);
            header.set_size(data.len() as u64);
            header.set_cksum();
            builder.append(&header, data).expect("append");
        };
        append("unknown.env", tar::EntryType::new(b'A'), b"unknown type");
        append("contiguous.env", tar::EntryType::Continuous, b"contiguous");
        append("dir/", tar::EntryType::Directory, b"directory payload");
        append("fifo", tar::EntryType::Fifo, b"fifo payload");
        append("empty-dir/", tar::EntryType::Directory, b"");
        append("soft", tar::EntryType::Symlink, b"");
        let tar = builder.into_inner().expect("finish");
        let (seen, outcome) = run("types.tar", &tar, &Limits::default());
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert_eq!(
            displays(&seen),
            [
                "types.tar!unknown.env",
                "types.tar!contiguous.env",
                "types.tar!dir/",
                "types.tar!fifo"
            ]
        );
        assert_eq!(seen[0].bytes, b"unknown type");
        assert_eq!(seen[2].bytes, b"directory payload");
    }

    #[test]
    fn bytes_after_the_end_of_a_tar_are_read() {
        let mut tar = tar_of(&[("plain.txt", b"plain")]);
        tar.extend_from_slice(&[0; 4096]);
        tar.extend_from_slice(b"appended secret");
        let (seen, outcome) = run("trail.tar", &tar, &Limits::default());
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert_eq!(
            displays(&seen),
            ["trail.tar!plain.txt", "trail.tar!<after end of archive>"]
        );
        assert_eq!(seen[1].bytes, b"appended secret");

        // A tar appended to a tar is expanded in its turn.
        let mut twice = tar_of(&[("one.txt", b"one")]);
        twice.extend_from_slice(&tar_of(&[("two.txt", b"two")]));
        let (seen, outcome) = run("twice.tar", &twice, &Limits::default());
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert_eq!(
            displays(&seen),
            [
                "twice.tar!one.txt",
                "twice.tar!<after end of archive>!two.txt"
            ]
        );
    }

    #[test]
    fn every_gzip_member_is_read() {
        // gzip -c plain.tar > p.tgz; gzip -c secret.txt >> p.tgz
        let mut tgz = gzip_of(&tar_of(&[("plain.txt", b"plain")]));
        tgz.extend_from_slice(&gzip_of(b"second member"));
        let (seen, outcome) = run("p.tgz", &tgz, &Limits::default());
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert_eq!(
            displays(&seen),
            ["p.tgz!plain.txt", "p.tgz!<after end of archive>"]
        );
        assert_eq!(seen[1].bytes, b"second member");

        let mut gz = gzip_of(b"first member, ");
        gz.extend_from_slice(&gzip_of(b"second member"));
        let (seen, outcome) = run("notes.txt.gz", &gz, &Limits::default());
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert_eq!(seen[0].bytes, b"first member, second member");
    }

    #[test]
    fn bytes_after_the_last_gzip_member_scan_the_archive_as_it_is() {
        for tail in [&[0u8; 512][..], b"trailing junk"] {
            let mut tgz = gzip_of(&tar_of(&[("plain.txt", b"plain")]));
            tgz.extend_from_slice(tail);
            let (seen, outcome) = run("pad.tgz", &tgz, &Limits::default());
            assert_eq!(displays(&seen), ["pad.tgz!plain.txt"]);
            assert!(outcome.problems.is_empty(), "{outcome:?}");
            assert!(outcome.scan_raw);

            // On a stream, whose bytes are not kept, they are not scanned: said so.
            let mut pipe: &[u8] = &tgz;
            let outcome = expand_stream(
                "<stdin>",
                Kind::Gzip,
                &mut pipe,
                &Limits::default(),
                &mut |_| {},
            );
            assert_eq!(outcome.problems.len(), 1, "{outcome:?}");
            assert!(outcome.problems[0]
                .reason
                .contains("not scanned on a stream"));
        }
    }

    #[test]
    fn a_zip_entry_comment_is_read() {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let commented = zip::write::FullFileOptions::default().with_file_comment("lusha api_key=x");
        writer.start_file("a.txt", commented).expect("start");
        writer.write_all(b"a").expect("write");
        writer
            .start_file("b.txt", SimpleFileOptions::default())
            .expect("start");
        writer.write_all(b"b").expect("write");
        let zip = writer.finish().expect("finish").into_inner();
        let (seen, outcome) = run("c.zip", &zip, &Limits::default());
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert_eq!(
            displays(&seen),
            ["c.zip!a.txt", "c.zip!a.txt!<entry comment>", "c.zip!b.txt"]
        );
        assert_eq!(seen[1].bytes, b"lusha api_key=x");
    }

    #[test]
    fn a_zip_comment_is_read() {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        writer.set_comment("api.key=x");
        writer
            .start_file("a.txt", SimpleFileOptions::default())
            .expect("start");
        writer.write_all(b"a").expect("write");
        let zip = writer.finish().expect("finish").into_inner();
        let (seen, outcome) = run("c.zip", &zip, &Limits::default());
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert!(!outcome.scan_raw);
        assert_eq!(displays(&seen), ["c.zip!a.txt", "c.zip!<zip comment>"]);
        assert_eq!(seen[1].bytes, b"api.key=x");
    }

    #[test]
    fn zip_bytes_outside_the_listed_entries_are_scanned_as_they_are() {
        let listed = craft_zip(&[stored("a.txt", b"a"), stored("b.txt", b"b")]);
        // A stored entry between the two that the central directory does not list.
        let hidden = {
            let mut one = craft_zip(&[stored("hidden.env", b"api.key=x")]);
            one.truncate(30 + "hidden.env".len() + 9);
            one
        };
        let mut zip = listed[..36].to_vec();
        zip.extend_from_slice(&hidden);
        zip.extend_from_slice(&listed[36..]);
        // Move what points past the insertion: b.txt's local header, the central directory.
        let cd = zip.len() - 22 - 2 * (46 + 5);
        let b_offset = cd + 46 + 5 + 42;
        zip[b_offset..b_offset + 4].copy_from_slice(&((36 + hidden.len()) as u32).to_le_bytes());
        let eocd = zip.len() - 22;
        zip[eocd + 16..eocd + 20].copy_from_slice(&(cd as u32).to_le_bytes());
        let (seen, outcome) = run("hidden.zip", &zip, &Limits::default());
        assert_eq!(displays(&seen), ["hidden.zip!a.txt", "hidden.zip!b.txt"]);
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert!(outcome.scan_raw, "the raw bytes hold the unlisted entry");

        // Bytes after the end record, which readers skip.
        let mut trailing = listed.clone();
        trailing.extend_from_slice(b"api.key=x");
        let (seen, outcome) = run("trailing.zip", &trailing, &Limits::default());
        assert_eq!(
            displays(&seen),
            ["trailing.zip!a.txt", "trailing.zip!b.txt"]
        );
        assert!(
            outcome.scan_raw,
            "the raw bytes hold what follows the end record"
        );

        // Nested, the inner zip is handed over as it is as well as expanded.
        let outer = zip_of(&[("inner.zip", &zip)]);
        let (seen, outcome) = run("outer.zip", &outer, &Limits::default());
        assert_eq!(
            displays(&seen),
            [
                "outer.zip!inner.zip!a.txt",
                "outer.zip!inner.zip!b.txt",
                "outer.zip!inner.zip"
            ]
        );
        assert_eq!(seen[2].bytes, zip);
        assert!(!outcome.scan_raw);
        assert!(outcome.problems.is_empty(), "{outcome:?}");
    }

    #[test]
    fn zips_with_data_descriptors_tile() {
        for zip64 in [false, true] {
            let mut writer = zip::ZipWriter::new_stream(Vec::new());
            let options = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Deflated)
                .large_file(zip64);
            for name in ["a.txt", "b.txt"] {
                writer.start_file(name, options).expect("start");
                writer.write_all(name.as_bytes()).expect("write");
            }
            let zip = writer.finish().expect("finish").into_inner();
            let (seen, outcome) = run("s.zip", &zip, &Limits::default());
            assert_eq!(displays(&seen), ["s.zip!a.txt", "s.zip!b.txt"]);
            assert!(outcome.problems.is_empty(), "{outcome:?}");
            assert!(!outcome.scan_raw, "zip64: {zip64}");
        }
    }

    #[test]
    fn encrypted_and_unsupported_entries_are_named_and_the_rest_is_read() {
        let zip = craft_zip(&[
            Raw {
                flags: 1,
                ..stored("secret.env", b"\x01\x02\x03 encrypted bytes")
            },
            Raw {
                method: 12,
                ..stored("data.bz2", b"BZh91AY&SY")
            },
            Raw {
                method: 93,
                ..stored("data.zst", b"\x28\xb5\x2f\xfd")
            },
            stored("plain.txt", b"plain"),
        ]);
        let (seen, outcome) = run("mixed.zip", &zip, &Limits::default());
        assert_eq!(
            reasons(&outcome),
            [
                ("mixed.zip!secret.env", "encrypted entry"),
                (
                    "mixed.zip!data.bz2",
                    "entry compressed with bzip2, which is not supported"
                ),
                (
                    "mixed.zip!data.zst",
                    "entry compressed with zstd, which is not supported"
                ),
            ]
        );
        assert_eq!(displays(&seen), ["mixed.zip!plain.txt"]);
        assert!(!outcome.limit_hit);
    }

    #[test]
    fn a_declared_size_that_lies_does_not_bound_what_is_read() {
        let content = vec![b'k'; 100_000];
        let mut deflated = flate2::write::DeflateEncoder::new(Vec::new(), Compression::fast());
        deflated.write_all(&content).expect("deflate");
        let deflated = deflated.finish().expect("finish");
        let zip = craft_zip(&[Raw {
            name: "liar.txt",
            method: 8,
            flags: 0,
            crc: crc(&content),
            size: 1,
            data: &deflated,
        }]);
        let (seen, outcome) = run("liar.zip", &zip, &Limits::default());
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        assert_eq!(seen[0].bytes, content);
    }

    #[test]
    fn a_truncated_tar_gz_yields_what_came_before_and_says_so() {
        let first = b"first file".to_vec();
        let noise = noise(200_000);
        let whole = gzip_of(&tar_of(&[("first.txt", &first), ("second.bin", &noise)]));
        let cut = &whole[..whole.len() / 2];
        let (seen, outcome) = run("cut.tar.gz", cut, &Limits::default());
        assert_eq!(seen[0].display, "cut.tar.gz!first.txt");
        assert_eq!(seen[0].bytes, first);
        assert_eq!(
            seen[1].display, "cut.tar.gz!second.bin",
            "the part read is scanned"
        );
        assert!(!seen[1].bytes.is_empty() && seen[1].bytes.len() < noise.len());
        assert!(outcome.scan_raw);
        let reasons = reasons(&outcome);
        assert_eq!(reasons[0].0, "cut.tar.gz!second.bin");
        assert!(reasons[0].1.starts_with("could not be read"), "{reasons:?}");
        assert_eq!(
            reasons[1],
            (
                "cut.tar.gz",
                "tar archive is truncated or corrupt; the rest is not scanned"
            )
        );
    }

    #[test]
    fn traversal_names_are_only_names() {
        let zip = zip_of(&[("../../etc/passwd", b"root:x:0:0")]);
        let (seen, outcome) = run("slip.zip", &zip, &Limits::default());
        assert!(outcome.problems.is_empty());
        assert_eq!(seen[0].chain, ["../../etc/passwd"]);
        assert_eq!(seen[0].display, "slip.zip!../../etc/passwd");

        let tar = tar_of(&[("../../etc/shadow", b"root:*")]);
        let (seen, _) = run("slip.tar", &tar, &Limits::default());
        assert_eq!(seen[0].chain, ["../../etc/shadow"]);
        assert_eq!(seen[0].bytes, b"root:*");
    }

    #[test]
    fn an_unreadable_archive_is_reported_and_scanned_as_it_is() {
        let mut broken = b"PK\x03\x04".to_vec();
        broken.extend_from_slice(b"this is no zip at all");
        let (seen, outcome) = run("broken.jar", &broken, &Limits::default());
        assert!(seen.is_empty());
        assert!(outcome.scan_raw);
        assert_eq!(outcome.problems[0].what, "broken.jar");
        assert!(outcome.problems[0]
            .reason
            .starts_with("not a readable zip archive"));

        // Nested, it is handed over whole.
        let outer = zip_of(&[("inner.zip", &broken), ("ok.txt", b"ok")]);
        let (seen, outcome) = run("outer.zip", &outer, &Limits::default());
        assert_eq!(displays(&seen), ["outer.zip!inner.zip", "outer.zip!ok.txt"]);
        assert_eq!(seen[0].bytes, broken);
        assert!(!outcome.scan_raw);
        assert_eq!(outcome.problems[0].what, "outer.zip!inner.zip");
        assert!(outcome.problems[0].reason.ends_with("; scanned as it is"));
    }

    #[test]
    fn entries_sharing_a_name_are_not_silently_dropped() {
        let zip = craft_zip(&[stored("app.env", b"first"), stored("app.env", b"second")]);
        let (seen, outcome) = run("twice.zip", &zip, &Limits::default());
        assert_eq!(displays(&seen), ["twice.zip!app.env"]);
        assert!(outcome.scan_raw, "the raw bytes hold the hidden entry");
        assert_eq!(outcome.problems[0].what, "twice.zip");
        assert!(outcome.problems[0].reason.contains("sharing its name"));
    }

    #[test]
    fn a_zip_listing_more_entries_than_the_bound_is_not_expanded() {
        let zip = zip_of(&[("1", b"1"), ("2", b"2"), ("3", b"3")]);
        let limits = Limits {
            entries: 2,
            ..Limits::default()
        };
        let (seen, outcome) = run("many.zip", &zip, &limits);
        assert!(seen.is_empty());
        assert_eq!(
            reasons(&outcome),
            [(
                "many.zip",
                "archive lists 3 entries, more than the bound of 2; not expanded"
            )]
        );
        assert!(outcome.limit_hit && outcome.scan_raw);

        // Met half way through, the bound stops the expansion where it is.
        let tar = tar_of(&[("1", b"1"), ("2", b"2"), ("3", b"3")]);
        let (seen, outcome) = run("many.tar", &tar, &limits);
        assert_eq!(displays(&seen), ["many.tar!1", "many.tar!2"]);
        assert_eq!(
            reasons(&outcome),
            [(
                "many.tar",
                "archive holds more than 2 entries; the rest is not scanned (raise the bound with \
                 --archive-max-entries)"
            )]
        );
        assert!(outcome.limit_hit && !outcome.scan_raw);
    }

    #[test]
    fn a_zip64_directory_listing_a_million_entries_is_refused_before_it_is_read() {
        let mut zip = craft_zip(&[stored("only.txt", b"one")]);
        // Replace the end record by a zip64 one that claims a million entries.
        zip.truncate(zip.len() - 22);
        let central_end = zip.len() as u64;
        let central_start = 30 + "only.txt".len() as u64 + 3;
        let central_len = central_end - central_start;
        zip.extend_from_slice(b"PK\x06\x06");
        zip.extend_from_slice(&44u64.to_le_bytes());
        zip.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for v in [1_000_000u64, 1_000_000, central_len, central_start] {
            zip.extend_from_slice(&v.to_le_bytes());
        }
        zip.extend_from_slice(b"PK\x06\x07\0\0\0\0");
        zip.extend_from_slice(&central_end.to_le_bytes());
        zip.extend_from_slice(&1u32.to_le_bytes());
        zip.extend_from_slice(b"PK\x05\x06");
        zip.extend_from_slice(&[0xff; 16]);
        zip.extend_from_slice(&0u16.to_le_bytes());
        let (seen, outcome) = run("huge.zip", &zip, &Limits::default());
        assert!(seen.is_empty());
        assert_eq!(
            reasons(&outcome),
            [(
                "huge.zip",
                "archive lists 1000000 entries, more than the bound of 100000; not expanded"
            )]
        );
    }

    #[test]
    fn a_large_entry_is_spooled_and_reads_twice() {
        let big = noise(MEMORY_MAX + 12_345);
        let tgz = gzip_of(&tar_of(&[("big.bin", &big)]));
        let mut spooled_twice = None;
        let outcome = expand(
            "big.tgz",
            Kind::Gzip,
            &mut Cursor::new(&tgz),
            &Limits::default(),
            &mut |entry| {
                if let Content::Spooled(file) = entry.content {
                    let mut once = Vec::new();
                    let mut twice = Vec::new();
                    file.read_to_end(&mut once).expect("read");
                    file.seek(SeekFrom::Start(0)).expect("seek");
                    file.read_to_end(&mut twice).expect("read again");
                    spooled_twice = Some((once, twice));
                }
            },
        );
        assert!(outcome.problems.is_empty(), "{outcome:?}");
        let (once, twice) = spooled_twice.expect("the big entry is spooled");
        assert_eq!(once, big);
        assert_eq!(twice, big);
    }

    #[test]
    fn a_zip_on_a_stream_is_read_through_a_spool() {
        let zip = zip_of(&[("a.txt", b"from stdin")]);
        let mut seen = Vec::new();
        let mut pipe: &[u8] = &zip;
        let outcome = expand_stream(
            "<stdin>",
            Kind::Zip,
            &mut pipe,
            &Limits::default(),
            &mut |entry| seen.push(observe(entry)),
        );
        assert!(outcome.problems.is_empty());
        assert_eq!(displays(&seen), ["<stdin>!a.txt"]);
        assert_eq!(seen[0].bytes, b"from stdin");
    }
}
