//! Where objects are stored, read from the pack indexes (`objects/pack/*.idx`, version 2) of a
//! repository's object directories. A history scan uses it twice. It reads blobs in the order of
//! their offsets in the packs: git writes a delta's base before the delta, so that order finds
//! most bases among those libgit2 just resolved and keeps, where history order resolves the same
//! delta chains again and again (several times the work on a real repository). And it streams a
//! large blob stored whole (git stores every blob over `core.bigFileThreshold` whole) through
//! zlib, in bounded memory, instead of inflating all of it at once.
//!
//! All of this is an optimisation with a way back: an object found in no index we can read (a
//! loose object, an index of another version, an alternate we do not know of) is read by
//! libgit2 as before, and so is a blob that is stored as a delta. What the files say is checked,
//! not trusted: an offset outside its pack is ignored, a header that does not match the size
//! libgit2 reported is not streamed, and a stream that ends early or does not inflate is a read
//! error (the blob is then reported as not scanned).

use flate2::bufread::ZlibDecoder;
use git2::{Oid, Repository};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// `\377tOc`, then the version.
const IDX_V2: [u8; 8] = [0xff, b't', b'O', b'c', 0, 0, 0, 2];
/// The fan-out table after the header: 256 big-endian counts.
const FANOUT_LEN: usize = 256 * 4;
/// Object ids are SHA-1 (the only object format libgit2 reads here).
const OID_LEN: usize = 20;
/// A pack starts with `PACK`, a version and a count; it ends with a checksum.
const PACK_HEADER: u64 = 12;
/// Type numbers in a pack entry's header.
const PACKED_BLOB: u8 = 3;
/// Alternates of alternates followed (git stops at 5).
const ALTERNATES_DEPTH: usize = 5;
/// Read size for streamed blobs.
const STREAM_BUFFER: usize = 256 << 10;

/// Where an object is stored: the pack (its number in `Packs`) and the offset of its entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    pub pack: u32,
    pub offset: u64,
}

/// The packs and loose-object directories of a repository.
#[derive(Debug, Default)]
pub struct Packs {
    /// `.pack` files with a `.idx` beside them, sorted, so pack numbers are the same every run.
    packs: Vec<PathBuf>,
    /// Object directories, for loose objects.
    dirs: Vec<PathBuf>,
}

impl Packs {
    /// The packs of `repo`'s object directory and its alternates; with `from_env`, also those git
    /// names in `GIT_OBJECT_DIRECTORY` and `GIT_ALTERNATE_OBJECT_DIRECTORIES` (a hook run during
    /// a push, whose new objects wait in a quarantine directory).
    pub fn of(repo: &Repository, from_env: bool) -> Packs {
        let mut roots = vec![repo.commondir().join("objects")];
        if from_env {
            if let Some(dir) = std::env::var_os("GIT_OBJECT_DIRECTORY") {
                roots.insert(0, PathBuf::from(dir));
            }
            if let Some(list) = std::env::var_os("GIT_ALTERNATE_OBJECT_DIRECTORIES") {
                roots.extend(std::env::split_paths(&list));
            }
        }
        let mut dirs: Vec<PathBuf> = Vec::new();
        for root in roots {
            add_with_alternates(root, &mut dirs, 0);
        }
        let mut packs = Vec::new();
        for dir in &dirs {
            let Ok(entries) = std::fs::read_dir(dir.join("pack")) else {
                continue;
            };
            let mut here: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "pack"))
                .filter(|p| p.with_extension("idx").is_file())
                .collect();
            here.sort();
            packs.extend(here);
        }
        Packs { packs, dirs }
    }

    /// Where each of `ids` is stored, in the first pack whose index lists it; `None` for those
    /// in no index this can read. Each index is read once, front to back, whatever the number of
    /// ids, keeping in memory only what is found.
    pub fn locate(&self, ids: &[Oid]) -> Vec<Option<Location>> {
        let mut found = vec![None; ids.len()];
        let mut wanted: Vec<(Oid, usize)> = ids.iter().copied().zip(0..).collect();
        wanted.sort_unstable();
        for (number, pack) in self.packs.iter().enumerate() {
            if wanted.is_empty() {
                break;
            }
            let Ok(number) = u32::try_from(number) else {
                break;
            };
            let Ok(pack_len) = std::fs::metadata(pack).map(|m| m.len()) else {
                continue;
            };
            // A broken index is skipped: its objects are read by libgit2, which says what is
            // wrong with them.
            let Ok(hits) = offsets_in_index(&pack.with_extension("idx"), pack_len, &wanted) else {
                continue;
            };
            for &(w, offset) in &hits {
                if let Some(&(_, i)) = wanted.get(w) {
                    found[i] = Some(Location {
                        pack: number,
                        offset,
                    });
                }
            }
            let mut hit = hits.iter().map(|&(w, _)| w).peekable();
            let mut position = 0;
            wanted.retain(|_| {
                let keep = hit.peek() != Some(&position);
                if !keep {
                    hit.next();
                }
                position += 1;
                keep
            });
        }
        found
    }

    /// The blob `id` as a stream, when it is stored whole with exactly `size` bytes: in a pack at
    /// `at`, or as a loose object. `None` when it is stored as a delta or cannot be opened here;
    /// libgit2 then reads it.
    pub fn open_whole(&self, id: Oid, at: Option<Location>, size: u64) -> Option<WholeBlob> {
        let source = match at {
            Some(at) => Source::Packed {
                path: self.packs.get(usize::try_from(at.pack).ok()?)?.clone(),
                offset: at.offset,
            },
            None => {
                let hex = id.to_string();
                let (dir, file) = hex.split_at(2);
                Source::Loose {
                    path: self
                        .dirs
                        .iter()
                        .map(|d| d.join(dir).join(file))
                        .find(|p| p.is_file())?,
                }
            }
        };
        let inner = source.open(size).ok()??;
        Some(WholeBlob {
            source,
            size,
            read: 0,
            inner,
        })
    }
}

/// How an object is stored in a pack.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Whole, deflated: whether it is a blob, and its size.
    Whole { blob: bool, size: u64 },
    /// As a delta on another object: the size of the object it makes.
    Delta { size: u64 },
}

/// Bytes read at an entry to learn how it is stored: its header, and for a delta the start of
/// its deflated data, which begins with the sizes of its base and of its result (a deflate
/// block's own header can take a few hundred bytes before them).
const PEEK: usize = 4096;

/// One reader thread's open packs, to look at entry headers: the size of each blob before it is
/// read, without asking libgit2 (which would look the object up in the index again and follow
/// the delta chain to its end).
pub struct Peeker<'p> {
    packs: &'p Packs,
    files: Vec<Option<File>>,
    buf: Vec<u8>,
    inflate: flate2::Decompress,
}

impl<'p> Peeker<'p> {
    pub fn new(packs: &'p Packs) -> Peeker<'p> {
        Peeker {
            packs,
            files: Vec::new(),
            buf: Vec::new(),
            inflate: flate2::Decompress::new(true),
        }
    }

    /// How the entry at `at` is stored; `None` when that cannot be told from its first bytes.
    pub fn stored(&mut self, at: Location) -> Option<Stored> {
        let number = usize::try_from(at.pack).ok()?;
        let path = self.packs.packs.get(number)?;
        if self.files.len() <= number {
            self.files.resize_with(number + 1, || None);
        }
        let slot = self.files.get_mut(number)?;
        if slot.is_none() {
            *slot = File::open(path).ok();
        }
        let file = slot.as_mut()?;
        file.seek(SeekFrom::Start(at.offset)).ok()?;
        self.buf.resize(PEEK, 0);
        let mut filled = 0;
        while filled < PEEK {
            match file.read(&mut self.buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        }
        let bytes = self.buf.get(..filled)?;
        let (kind, size, mut pos) = entry_header(bytes)?;
        match kind {
            1..=4 => {
                return Some(Stored::Whole {
                    blob: kind == PACKED_BLOB,
                    size,
                })
            }
            // An offset back to the base, 7 bits a byte.
            6 => {
                while bytes.get(pos)? & 0x80 != 0 {
                    pos += 1;
                }
                pos += 1;
            }
            // The base's id.
            7 => pos += OID_LEN,
            _ => return None,
        }
        self.inflate.reset(true);
        let mut out = [0u8; 20];
        self.inflate
            .decompress(bytes.get(pos..)?, &mut out, flate2::FlushDecompress::Sync)
            .ok()?;
        let made = usize::try_from(self.inflate.total_out()).ok()?;
        let delta = out.get(..made)?;
        let (_, used) = varint(delta)?;
        let (result, _) = varint(delta.get(used..)?)?;
        Some(Stored::Delta { size: result })
    }
}

/// A pack entry's type number and size, and where its data starts: the type in bits 4-6 of
/// the first byte, the size in 4 + 7n bits, low bits first.
fn entry_header(bytes: &[u8]) -> Option<(u8, u64, usize)> {
    let first = *bytes.first()?;
    let kind = (first >> 4) & 7;
    let mut size = u64::from(first & 0x0f);
    let mut shift = 4;
    let mut pos = 1;
    let mut byte = first;
    while byte & 0x80 != 0 {
        byte = *bytes.get(pos)?;
        pos += 1;
        if shift > 57 {
            return None;
        }
        size |= u64::from(byte & 0x7f) << shift;
        shift += 7;
    }
    Some((kind, size, pos))
}

/// A delta's size field: 7 bits a byte, low bits first. The value, and the bytes it took.
fn varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// `dir` and, recursively, the directories its `info/alternates` names.
fn add_with_alternates(dir: PathBuf, dirs: &mut Vec<PathBuf>, depth: usize) {
    if dirs.contains(&dir) || !dir.is_dir() {
        return;
    }
    let alternates = std::fs::read_to_string(dir.join("info").join("alternates")).ok();
    dirs.push(dir.clone());
    if depth >= ALTERNATES_DEPTH {
        return;
    }
    for line in alternates.iter().flat_map(|text| text.lines()) {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        add_with_alternates(dir.join(line), dirs, depth + 1);
    }
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_be_bytes(b))
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// For each of `wanted` (sorted by id) that the version 2 index at `idx` lists: its position in
/// `wanted` and its offset in the pack, which is `pack_len` bytes long. The index is read
/// sequentially: the ids table once (merged with `wanted`), then the offsets table up to the
/// last hit.
fn offsets_in_index(
    idx: &Path,
    pack_len: u64,
    wanted: &[(Oid, usize)],
) -> io::Result<Vec<(usize, u64)>> {
    let file = File::open(idx)?;
    let idx_len = file.metadata()?.len();
    let mut r = BufReader::with_capacity(64 << 10, file);
    let mut header = [0u8; 8];
    r.read_exact(&mut header)?;
    if header != IDX_V2 {
        return Err(invalid("not a version 2 pack index"));
    }
    let mut fanout = [0u8; FANOUT_LEN];
    r.read_exact(&mut fanout)?;
    let count = u64::from(u32::from_be_bytes([
        fanout[FANOUT_LEN - 4],
        fanout[FANOUT_LEN - 3],
        fanout[FANOUT_LEN - 2],
        fanout[FANOUT_LEN - 1],
    ]));
    let oid_len = OID_LEN as u64;
    // Ids, CRCs, 4-byte offsets, then 8-byte offsets and two checksums.
    let offsets_at = (8 + FANOUT_LEN as u64) + count * (oid_len + 4);
    let large_at = offsets_at + count * 4;
    if idx_len < large_at + 2 * oid_len {
        return Err(invalid("pack index shorter than its object count says"));
    }
    // Merge the sorted ids with the sorted wanted list.
    let mut hits: Vec<(usize, u64)> = Vec::new(); // (position in wanted, position in index)
    let mut w = 0;
    let mut id = [0u8; OID_LEN];
    for position in 0..count {
        if w >= wanted.len() {
            break;
        }
        r.read_exact(&mut id)?;
        while wanted.get(w).is_some_and(|(o, _)| o.as_bytes() < &id[..]) {
            w += 1;
        }
        while wanted.get(w).is_some_and(|(o, _)| o.as_bytes() == &id[..]) {
            hits.push((w, position));
            w += 1;
        }
    }
    // The 4-byte offsets, read up to the last hit; an offset with its top bit set indexes the
    // table of 8-byte offsets.
    let mut out = Vec::with_capacity(hits.len());
    let mut large: Vec<(usize, u64)> = Vec::new();
    r.seek(SeekFrom::Start(offsets_at))?;
    let mut position = 0;
    for &(w, at) in &hits {
        while position < at {
            read_u32(&mut r)?;
            position += 1;
        }
        let small = read_u32(&mut r)?;
        position += 1;
        if small & 0x8000_0000 == 0 {
            out.push((w, u64::from(small)));
        } else {
            large.push((w, u64::from(small & 0x7fff_ffff)));
        }
    }
    for (w, k) in large {
        r.seek(SeekFrom::Start(large_at + k * 8))?;
        let mut b = [0u8; 8];
        r.read_exact(&mut b)?;
        out.push((w, u64::from_be_bytes(b)));
    }
    // An entry must start after the pack's header and before its trailing checksum.
    out.retain(|&(_, offset)| offset >= PACK_HEADER && offset < pack_len.saturating_sub(oid_len));
    out.sort_unstable();
    Ok(out)
}

#[derive(Debug, Clone)]
enum Source {
    Packed { path: PathBuf, offset: u64 },
    Loose { path: PathBuf },
}

type Inflater = io::Take<ZlibDecoder<BufReader<File>>>;

impl Source {
    /// The blob's content from its first byte, if it is stored whole and `size` bytes long.
    fn open(&self, size: u64) -> io::Result<Option<Inflater>> {
        match self {
            Source::Packed { path, offset } => {
                let mut file = File::open(path)?;
                file.seek(SeekFrom::Start(*offset))?;
                let mut r = BufReader::with_capacity(STREAM_BUFFER, file);
                // At most 10 header bytes for any size below 2^64.
                let mut head = [0u8; 10];
                let mut got = 0;
                loop {
                    r.read_exact(&mut head[got..got + 1])?;
                    got += 1;
                    if head[got - 1] & 0x80 == 0 || got == head.len() {
                        break;
                    }
                }
                let Some((kind, stored, _)) = entry_header(&head[..got]) else {
                    return Ok(None);
                };
                if kind != PACKED_BLOB || stored != size {
                    return Ok(None);
                }
                Ok(Some(ZlibDecoder::new(r).take(size)))
            }
            Source::Loose { path } => {
                let file = File::open(path)?;
                let mut z = ZlibDecoder::new(BufReader::with_capacity(STREAM_BUFFER, file));
                // `blob <size>\0`, then the content.
                let mut header = Vec::new();
                let mut byte = [0u8; 1];
                while header.len() < 32 {
                    z.read_exact(&mut byte)?;
                    if byte[0] == 0 {
                        break;
                    }
                    header.push(byte[0]);
                }
                if header != format!("blob {size}").as_bytes() {
                    return Ok(None);
                }
                Ok(Some(z.take(size)))
            }
        }
    }
}

/// A blob stored whole, inflated as it is read. Reading past what the pack holds, or data that
/// does not inflate, is an error; seeking back to the start inflates it again (the scanner reads
/// a large blob twice: once for whole-file facts, once to search it).
pub struct WholeBlob {
    source: Source,
    size: u64,
    read: u64,
    inner: Inflater,
}

impl WholeBlob {
    pub fn len(&self) -> u64 {
        self.size
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }
}

impl Read for WholeBlob {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let before = self.read;
        self.read += n as u64;
        if n == 0 && !buf.is_empty() && self.read < self.size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the object ends after {} of its {} bytes",
                    self.read, self.size
                ),
            ));
        }
        if before < self.size && self.read == self.size {
            // The last byte: the zlib stream must end here, and zlib checks its checksum only
            // at the end. Without this a damaged stream that still inflates would be scanned.
            let mut more = [0u8; 1];
            if self.inner.get_mut().read(&mut more)? != 0 {
                return Err(invalid(
                    "its data does not end at the size its header gives: damaged",
                ));
            }
        }
        Ok(n)
    }
}

impl Seek for WholeBlob {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match to {
            SeekFrom::Start(0) => {
                self.inner = self
                    .source
                    .open(self.size)?
                    .ok_or_else(|| invalid("the object changed while it was read"))?;
                self.read = 0;
                Ok(0)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a streamed blob can only be read again from its start",
            )),
        }
    }
}
