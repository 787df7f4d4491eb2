#!/usr/bin/env bash
# Times `lushaguard git` (a scan of every commit reachable from any ref, 2 threads) against
# `git cat-file --batch-all-objects --batch` on the same repository: the cost of inflating every
# object once, single-threaded. Prints the ratio (lushaguard / git; target <= 1.5, goal <= 1.0),
# the commits and blobs walked and lushaguard's throughput, then times `lushaguard git --staged`
# on a one-line change in a work tree of the same repository.
#
#   scripts/bench-git.sh [RUNS]
#
# The repository is SYNTHETIC HISTORY OF REAL CONTENT. No network clone is possible here, so it is
# built with `git fast-import` from the Rust sources under cargo's registry
# (${CARGO_HOME:-~/.cargo}/registry/src): each crate is added in commits of up to 20 files, a
# crate present in several versions is replayed as real upgrades (changed, added and deleted
# files), and between crates come edit commits (a line appended to a few files, a rename every
# 5th, a deletion every 7th), a topic branch merged back every 10 crates, and a tag every 25.
# It is built once and kept in target/bench-git/ (delete it to rebuild); set BENCH_GIT_REPO to
# time another bare repository instead.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
threads=2
src=${BENCH_SOURCES:-${CARGO_HOME:-$HOME/.cargo}/registry/src}
cache="$here/target/bench-git"
repo=${BENCH_GIT_REPO:-$cache/history.git}

build_repo() {
  [ -d "$src" ] || { echo "bench-git: $src is not a directory (build this project once first)" >&2; exit 2; }
  echo "building $repo from $src (once)..." >&2
  rm -rf "$repo"
  mkdir -p "$(dirname "$repo")"
  git init -q --bare "$repo"
  python3 - "$src" <<'PY' | git -C "$repo" fast-import --quiet
import os, re, sys

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
PY
  git -C "$repo" symbolic-ref HEAD refs/heads/main
  git -C "$repo" gc --quiet
}

[ -d "$repo" ] || build_repo

(cd "$here" && cargo build --release --quiet)
lg="$here/target/release/lushaguard"

lg_cmd() { "$lg" git --threads "$threads" --no-progress --format json "$repo" >/dev/null || [ $? -eq 1 ]; }
git_cmd() { git -C "$repo" cat-file --batch-all-objects --batch >/dev/null; }

now() { date +%s.%N; }
time_one() { local t0 t1; t0=$(now); "$1"; t1=$(now); echo "$t1 - $t0" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.4f\n", m}'; }

lg_cmd; git_cmd # warm-up: both read from the page cache from here on
lg_times=(); git_times=()
for _ in $(seq "$runs"); do
  lg_times+=("$(time_one lg_cmd)")
  git_times+=("$(time_one git_cmd)")
done
lg_med=$(printf '%s\n' "${lg_times[@]}" | median)
git_med=$(printf '%s\n' "${git_times[@]}" | median)

report=$("$lg" git --threads "$threads" --no-progress --format json "$repo" 2>/dev/null || true)
read -r bytes blobs findings < <(printf '%s' "$report" | python3 -c '
import json, sys
s = json.load(sys.stdin)["summary"]
print(s["bytes_scanned"], s["files_scanned"], s["findings"])')
commits=$(git -C "$repo" rev-list --all | wc -l)
objects=$(git -C "$repo" count-objects -v | awk '/^in-pack:/ {print $2}')
pack=$(git -C "$repo" count-objects -v | awk '/^size-pack:/ {print $2}')
mb=$(echo "$bytes / 1000000" | bc -l)

echo "repository:  $repo (synthetic history of real content)"
echo "             $commits commits, $objects objects, $blobs unique blobs scanned ($(printf '%.1f' "$mb") MB), pack $((pack / 1024)) MiB, $findings findings"
printf 'lushaguard:  git, %d threads: median %.3f s over %d runs, %.0f MB/s of blob content\n' "$threads" "$lg_med" "$runs" "$(echo "$mb / $lg_med" | bc -l)"
printf 'git:         cat-file --batch-all-objects --batch: median %.3f s over %d runs\n' "$git_med" "$runs"
printf 'ratio:       %.2f (lushaguard / git cat-file; target <= 1.5, goal <= 1.0)\n' "$(echo "$lg_med / $git_med" | bc -l)"

# --staged on a small change in a work tree of the same repository.
wt=$(mktemp -d)
trap 'rm -rf "$wt"' EXIT
git clone -q --shared "$repo" "$wt/w"
file=$(git -C "$wt/w" ls-files -- '*.rs' | sed -n 1p)
printf '\n// staged change\n' >> "$wt/w/$file"
git -C "$wt/w" add "$file"
staged_times=()
for _ in $(seq 7); do
  t0=$(now)
  (cd "$wt/w" && "$lg" git --staged --no-progress >/dev/null)
  t1=$(now)
  staged_times+=("$(echo "($t1 - $t0) * 1000" | bc -l)")
done
staged_med=$(printf '%s\n' "${staged_times[@]}" | median)
tracked=$(git -C "$wt/w" ls-files | wc -l)
printf 'staged:      git --staged, one changed file in a work tree of %d files: median %.1f ms over 7 runs\n' "$tracked" "$staged_med"
