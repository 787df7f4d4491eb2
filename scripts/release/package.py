#!/usr/bin/env python3
"""Packs a built lushaguard binary into a release asset and its checksum file.

One script for the release workflow (.github/workflows/release.yml) and the tests
(scripts/test-action.py, scripts/test-action-act.py), so the archives the tests install are
made exactly like the published ones:

    lushaguard-v{version}-{target}.tar.gz     (.zip for Windows targets)
    lushaguard-v{version}-{target}.tar.gz.sha256

The binary sits at the archive root as `lushaguard` (`lushaguard.exe` on Windows), next to
LICENSE, README.md and CHANGELOG.md. The checksum file is one line in `sha256sum` format
(`<hex>  <asset>`), so `sha256sum -c` checks it. The archives are reproducible: members in a
fixed order, a fixed time stamp (SOURCE_DATE_EPOCH, else 1980-01-01), no user or group names.
The version comes from Cargo.toml unless --version is given. Python 3.8+ and the standard
library only: the release runs this on Linux, macOS and Windows runners alike.

    python3 scripts/release/package.py --target TRIPLE --binary PATH [--out-dir DIR]
    python3 scripts/release/package.py --print-version

Prints the path of the asset (or the version).
"""
import argparse
import gzip
import hashlib
import io
import os
import re
import sys
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Files shipped next to the binary, from the repository root.
EXTRAS = ("LICENSE", "README.md", "CHANGELOG.md")
# The earliest time a zip entry can carry; also the default for tar, so both agree.
EPOCH_1980 = 315532800


def cargo_version(manifest):
    """The `version` of the [package] table (a line-based read: no TOML parser before 3.11)."""
    section = None
    with open(manifest, encoding="utf-8") as fh:
        for line in fh:
            header = re.match(r"^\s*\[([^\]]+)\]\s*$", line)
            if header:
                section = header.group(1).strip()
                continue
            value = re.match(r'^\s*version\s*=\s*"([^"]+)"\s*$', line)
            if section == "package" and value:
                return value.group(1)
    raise SystemExit("package.py: no [package] version in " + manifest)


def asset_name(version, target):
    ext = "zip" if "windows" in target else "tar.gz"
    return "lushaguard-v%s-%s.%s" % (version, target, ext)


def members(binary, target):
    """(name in the archive, bytes, mode), in a fixed order: the binary first."""
    exe = "lushaguard.exe" if "windows" in target else "lushaguard"
    with open(binary, "rb") as fh:
        out = [(exe, fh.read(), 0o755)]
    for name in EXTRAS:
        path = os.path.join(ROOT, name)
        if os.path.isfile(path):
            with open(path, "rb") as fh:
                out.append((name, fh.read(), 0o644))
    return out


def write_tar_gz(path, entries, mtime):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data, mode in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    with open(path, "wb") as out:
        # filename="" and a fixed mtime keep the gzip header reproducible too.
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=mtime, compresslevel=9) as gz:
            gz.write(raw.getvalue())


def write_zip(path, entries, mtime):
    import time
    stamp = time.gmtime(max(mtime, EPOCH_1980))[:6]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data, mode in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode below is honoured by unzip
            info.external_attr = (0o100000 | mode) << 16
            zf.writestr(info, data)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def package(binary, target, out_dir, version=None):
    """Writes the asset and its .sha256 into out_dir; returns the asset's path."""
    version = version or cargo_version(os.path.join(ROOT, "Cargo.toml"))
    if not re.fullmatch(r"[A-Za-z0-9_.+-]+", target):
        raise SystemExit("package.py: not a target triple: %r" % target)
    if not os.path.isfile(binary):
        raise SystemExit("package.py: no binary at " + binary)
    os.makedirs(out_dir, exist_ok=True)
    name = asset_name(version, target)
    path = os.path.join(out_dir, name)
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", EPOCH_1980))
    entries = members(binary, target)
    if name.endswith(".zip"):
        write_zip(path, entries, mtime)
    else:
        write_tar_gz(path, entries, mtime)
    with open(path + ".sha256", "w", encoding="ascii", newline="\n") as fh:
        fh.write("%s  %s\n" % (sha256_file(path), name))
    return path


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", help="Rust target triple, e.g. x86_64-unknown-linux-musl")
    parser.add_argument("--binary", help="the built lushaguard executable")
    parser.add_argument("--out-dir", default="dist", help="where to write the asset (default dist/)")
    parser.add_argument("--version", help="release version (default: Cargo.toml's)")
    parser.add_argument("--print-version", action="store_true", help="print Cargo.toml's version and exit")
    args = parser.parse_args(argv)
    if args.print_version:
        print(cargo_version(os.path.join(ROOT, "Cargo.toml")))
        return 0
    if not args.target or not args.binary:
        parser.error("--target and --binary are required")
    print(package(args.binary, args.target, args.out_dir, args.version))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
