#!/usr/bin/env python3
"""Writes a `git fast-import` stream of SYNTHETIC HISTORY OF REAL CONTENT, for
`scripts/bench-git.sh synthetic`: the Rust sources under cargo's registry (ROOT, e.g.
~/.cargo/registry/src), each crate added in commits of up to 20 files, a crate present in several
versions replayed as real upgrades (changed, added and deleted files), and between crates edit
commits (a line appended to a few files, a rename every 5th, a deletion every 7th), a topic branch
merged back every 10 crates, and a tag every 25. Deterministic for the same ROOT.

    synthetic-history.py ROOT | git -C REPO.git fast-import --quiet
"""
import os
import re
import sys

root = sys.argv[1]
crates = []  # (name, version dir)
for index in sorted(os.listdir(root)):
    base = os.path.join(root, index)
    if not os.path.isdir(base):
        continue
    for d in sorted(os.listdir(base)):
        m = re.match(r"^(.*?)-(\d+\.\d+.*)$", d)
        if m and os.path.isdir(os.path.join(base, d)):
            crates.append((m.group(1), os.path.join(base, d)))

out = sys.stdout.buffer
mark = 0
clock = 1_500_000_000
seed = 12345
def rand(n):
    global seed
    seed = (seed * 1103515245 + 12345) % (1 << 31)
    return seed % n

def quote(path):
    b = path.encode("utf-8", "surrogateescape")
    if any(c in b for c in b' "\\\n'):
        return b'"' + b.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n") + b'"'
    return b

def data(b):
    out.write(b"data %d\n" % len(b))
    out.write(b)
    out.write(b"\n")

def files_of(d):
    found = []
    for dirpath, dirnames, filenames in os.walk(d):
        dirnames.sort()
        for f in sorted(filenames):
            full = os.path.join(dirpath, f)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            found.append(os.path.relpath(full, d))
    return found

def read(p):
    with open(p, "rb") as f:
        return f.read()

tree = {}          # path -> content currently on main
main_tip = None
def commit(branch, msg, ops, parent, merge=None):
    """ops: list of ("M", path, bytes) / ("D", path) / ("R", old, new)"""
    global mark, clock
    mark += 1
    clock += 3600
    out.write(b"commit refs/heads/%s\nmark :%d\n" % (branch.encode(), mark))
    who = b"Bench Author <bench@example.com> %d +0000\n" % clock
    out.write(b"author " + who + b"committer " + who)
    data(msg.encode())
    if parent is not None:
        out.write(b"from :%d\n" % parent)
    if merge is not None:
        out.write(b"merge :%d\n" % merge)
    for op in ops:
        if op[0] == "M":
            out.write(b"M 100644 inline %s\n" % quote(op[1]))
            data(op[2])
        elif op[0] == "D":
            out.write(b"D %s\n" % quote(op[1]))
        else:
            out.write(b"R %s %s\n" % (quote(op[1]), quote(op[2])))
    out.write(b"\n")
    return mark

seen_names = set()
edit_no = 0
for n, (name, d) in enumerate(crates):
    files = files_of(d)
    if name in seen_names:
        # A new version of a crate already here: one upgrade commit with real changes.
        old = {p for p in tree if p.startswith(name + "/")}
        ops = []
        new = set()
        for f in files:
            p = f"{name}/{f}"
            new.add(p)
            content = read(os.path.join(d, f))
            if tree.get(p) != content:
                ops.append(("M", p, content))
                tree[p] = content
        for p in sorted(old - new):
            ops.append(("D", p))
            del tree[p]
        main_tip = commit("main", f"Upgrade {os.path.basename(d)}", ops, main_tip)
    else:
        seen_names.add(name)
        for i in range(0, len(files), 20):
            ops = []
            for f in files[i:i + 20]:
                p = f"{name}/{f}"
                content = read(os.path.join(d, f))
                tree[p] = content
                ops.append(("M", p, content))
            main_tip = commit("main", f"Add {name} ({i // 20 + 1})", ops, main_tip)
    # Edits between crates: appended lines, renames, deletions.
    for e in range(16):
        edit_no += 1
        paths = sorted(tree)
        ops = []
        for _ in range(3):
            p = paths[rand(len(paths))]
            tree[p] = tree[p] + b"\n// revision %d\n" % edit_no
            ops.append(("M", p, tree[p]))
        if edit_no % 5 == 0:
            p = paths[rand(len(paths))]
            if p in tree:
                q = p + ".renamed"
                tree[q] = tree.pop(p)
                ops.append(("R", p, q))
        if edit_no % 7 == 0:
            p = paths[rand(len(paths))]
            if p in tree:
                del tree[p]
                ops.append(("D", p))
        main_tip = commit("main", f"Edit {edit_no}", ops, main_tip)
    if n % 10 == 9:
        # A topic branch off main, merged back.
        paths = sorted(tree)
        p = paths[rand(len(paths))]
        topic_content = tree[p] + b"\n// topic change %d\n" % n
        topic = commit("topic", f"Topic work {n}", [("M", p, topic_content)], main_tip)
        tree[p] = topic_content
        main_tip = commit("main", f"Merge topic {n}", [("M", p, topic_content)], main_tip, merge=topic)
    if n % 25 == 24:
        out.write(b"reset refs/tags/v%d\nfrom :%d\n\n" % (n // 25, main_tip))
