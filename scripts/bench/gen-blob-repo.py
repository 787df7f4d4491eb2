#!/usr/bin/env python3
"""Builds the large-blob repositories for scripts/bench-git.sh: a bare repository whose one commit
holds COUNT text files of SIZE MiB each (e.g. 1 x 1536 MiB, or 2 x 768 MiB), the same bytes for
the same arguments on any machine.

Each file is text in 1 MiB blocks, each block different: mostly checksum lines of random hex, with
code every 8 lines and a random version 4 UUID under an identifier name every 64, so a scanner
must read and search all of it; the word "lusha" never occurs, so a correct scan reports nothing.
Random hex compresses only about 2:1, so the pack is about half the blob's size, as with real
large generated files, and a reader that maps the pack pays for that mapping too. What the case
measures is how much memory a scanner needs for blobs this large, and what `--threads` does to
it.

    gen-blob-repo.py --count N --mib M OUT.git

The content is streamed into `git fast-import`, which stores blobs this large whole, undeltified.
"""

import argparse
import os
import random
import shutil
import subprocess
import sys

BLOCK = 1 << 20

FILLER = [
    "    public async Task<IActionResult> GetItem(Guid itemId, CancellationToken token)\n",
    "    {\n",
    "        var item = await _library.GetItemByIdAsync(itemId, token).ConfigureAwait(false);\n",
    "        if (item is null) { return NotFound(); }\n",
    "        _logger.LogDebug(\"Returning {Name} for {UserId}\", item.Name, User.GetUserId());\n",
    "        return Ok(new ItemDto(item.Id, item.Name, item.DateCreated, item.ParentId));\n",
    "    }\n",
    "\n",
    "// Copyright (c) the authors. Licensed under the GPL-2.0 license.\n",
    "func (h *Handler) updateSettings(w http.ResponseWriter, r *http.Request) error {\n",
    "\treturn json.NewEncoder(w).Encode(map[string]any{\"state\": flow.State, \"id\": flow.ID})\n",
    "}\n",
]


def block(rng: random.Random, file_no: int, block_no: int) -> bytes:
    """One BLOCK of text: mostly checksum lines (random hex, which compresses only about 2:1),
    then code every 8th line and a version 4 UUID under an identifier name every 64th."""
    lines = ["// file %d, block %d\n" % (file_no, block_no)]
    size = len(lines[0])
    digests = rng.randbytes(BLOCK // 2).hex()
    n = 0
    while size < BLOCK:
        n += 1
        if n % 64 == 0:
            a = rng.getrandbits(128)
            line = "    static readonly Guid NodeId%d = new(\"%08x-%04x-4%03x-%x%03x-%012x\");\n" % (
                n, a >> 96, (a >> 80) & 0xFFFF, (a >> 68) & 0xFFF, 8 | ((a >> 66) & 3),
                (a >> 54) & 0xFFF, a & 0xFFFFFFFFFFFF)
        elif n % 8 == 0:
            line = FILLER[(n // 8) % len(FILLER)]
        else:
            start = (n * 64) % (len(digests) - 64)
            line = "%s  assets/bundle-%d.min.js\n" % (digests[start:start + 64], n)
        lines.append(line)
        size += len(line)
    return "".join(lines).encode("ascii")[: BLOCK - 1] + b"\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--mib", type=int, required=True)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("out")
    args = parser.parse_args()

    tmp = args.out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", tmp], check=True)
    rng = random.Random(args.seed)
    # unpackLimit=0 keeps the objects in a pack, as in a cloned repository.
    importer = subprocess.Popen(
        ["git", "-C", tmp, "-c", "fastimport.unpackLimit=0", "fast-import", "--quiet"],
        stdin=subprocess.PIPE)
    out = importer.stdin
    assert out is not None
    for f in range(args.count):
        out.write(b"blob\nmark :%d\ndata %d\n" % (f + 1, args.mib * BLOCK))
        for b in range(args.mib):
            out.write(block(rng, f, b))
        out.write(b"\n")
    who = b"Bench <bench@example.com> 1700000000 +0000\n"
    out.write(b"commit refs/heads/main\nauthor " + who + b"committer " + who)
    msg = b"%d generated files of %d MiB\n" % (args.count, args.mib)
    out.write(b"data %d\n%s" % (len(msg), msg))
    for f in range(args.count):
        out.write(b"M 100644 :%d src/generated-%d.cs\n" % (f + 1, f))
    out.write(b"\n")
    out.close()
    if importer.wait() != 0:
        print("gen-blob-repo: git fast-import failed", file=sys.stderr)
        return 2
    shutil.rmtree(args.out, ignore_errors=True)
    os.replace(tmp, args.out)
    print("%s: %d file(s) of %d MiB in one commit" % (args.out, args.count, args.mib))
    return 0


if __name__ == "__main__":
    sys.exit(main())
