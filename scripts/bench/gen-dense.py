#!/usr/bin/env python3
"""Writes the UUID-dense benchmark file for scripts/bench.sh: exactly N random version 4 UUIDs
(default 5,000,000: about 192 MB), the same bytes for the same seed on any machine.

The UUIDs are not laid out uniformly, so that a scanner cannot get away with one fast path: bare
ones a line each, CSV rows of four, YAML and JSON records, minified JSON lines of a thousand,
upper-case ones, ids under names such as `request_id` or `nodeId`, a few under credential-like
names (`api_key`, `token`) with no vendor near them, and lines with no version 4 UUID at all
(version 1 UUIDs, hex digests, timestamps). The word "lusha" never occurs, so none of them is a
Lusha key and a correct scan reports nothing; the cost measured is that of looking at a candidate
and setting it aside.

    gen-dense.py [--uuids N] [--seed S] OUT

Prints one line: the file, its size and how many version 4 UUIDs it holds.
"""

import argparse
import os
import random
import sys

NAMES = ["request_id", "trace-id", "nodeId", "workflowId", "ProjectGuid", "session", "uuid",
         "correlation_id", "tenant", "parent_id", "instanceId", "run_id"]
# Credential-like names with no vendor nearby: candidates a scanner must weigh, not report.
CREDENTIAL_NAMES = ["api_key", "token", "secret", "apiKey", "client_secret"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uuids", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("out")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    bits = rng.getrandbits

    def v4() -> str:
        a = bits(128)
        return "%08x-%04x-4%03x-%x%03x-%012x" % (
            a >> 96, (a >> 80) & 0xFFFF, (a >> 68) & 0xFFF, 8 | ((a >> 66) & 3),
            (a >> 54) & 0xFFF, a & 0xFFFFFFFFFFFF)

    def v1() -> str:
        a = bits(128)
        return "%08x-%04x-1%03x-%x%03x-%012x" % (
            a >> 96, (a >> 80) & 0xFFFF, (a >> 68) & 0xFFF, 8 | ((a >> 66) & 3),
            (a >> 54) & 0xFFF, a & 0xFFFFFFFFFFFF)

    # (weight, number of v4 UUIDs the record holds, how to write it)
    shapes = [
        (40, 1, lambda: v4() + "\n"),
        (30, 4, lambda: "%s,%s,%s,%s\n" % (v4(), v4(), v4(), v4())),
        (4, 1, lambda: "- id: %s\n" % v4()),
        (4, 2, lambda: '{"id":"%s","parent":"%s"},\n' % (v4(), v4())),
        (6, 1, lambda: v4().upper() + "\n"),
        (4, 1, lambda: "%s = %s\n" % (rng.choice(NAMES), v4())),
        (0.01, 1000, lambda: "[" + ",".join('"%s"' % v4() for _ in range(1000)) + "]\n"),
        (1, 1, lambda: '%s: "%s"\n' % (rng.choice(CREDENTIAL_NAMES), v4())),
        (1, 0, lambda: "%s %040x %d\n" % (v1(), bits(160), 1_700_000_000 + bits(24))),
    ]
    weights = [s[0] for s in shapes]
    written = 0
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="ascii", newline="\n") as out:
        chunk = []
        while written < args.uuids:
            _, count, make = rng.choices(shapes, weights)[0]
            if written + count > args.uuids:
                count, make = 1, shapes[0][2]
            chunk.append(make())
            written += count
            if len(chunk) >= 4096:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
    os.replace(tmp, args.out)
    print("%s: %d bytes, %d version 4 UUIDs (seed %d)" % (args.out, os.path.getsize(args.out),
                                                         written, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
