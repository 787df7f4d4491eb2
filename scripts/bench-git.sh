#!/usr/bin/env bash
# Times `lushaguard git` (every commit reachable from any ref) against `git cat-file
# --batch-all-objects --batch >/dev/null` on the same repository (inflating every object once,
# single-threaded: the floor for any history scanner), and against Kingfisher and Betterleaks in
# their git modes with one Lusha rule each (scripts/bench/). Then the memory cases: repositories
# with one 1.5 GiB blob and with two 768 MiB blobs, scanned at --threads 1 and 2, where the number
# that matters is the peak RSS. Then `lushaguard git --staged` on a one-file change, in ms.
# Every case: a warm-up run of each tool (page cache warm), then N interleaved rounds (default 5);
# printed per tool: median wall time, min-max spread, MB/s of blob content (lushaguard's bytes
# scanned), the ratio to git cat-file (below 1.00 is faster), peak RSS (GNU time), and what the
# tool found in its last run; then one Markdown table and where the raw runs were saved.
#
#   scripts/bench-git.sh [-n RUNS] [-j THREADS] [--no-peers] [--no-build] [CASE|REPO]...
#
# Cases (default: jellyfin blob1 blob2 staged):
#   jellyfin   a mirror of jellyfin/jellyfin (~31k commits, ~107k blobs), cloned once into
#              target/bench/jellyfin.git from $BENCH_DATA/jellyfin (git clone --mirror --no-local,
#              so that refs stay put and the pack is a fresh one, as in a clone from GitHub);
#              without that work tree: git clone --mirror https://github.com/jellyfin/jellyfin
#              target/bench/jellyfin.git
#   blob1      one commit with one 1.5 GiB text blob   } built once into target/bench/ by
#   blob2      one commit with two 768 MiB text blobs  } scripts/bench/gen-blob-repo.py;
#              lushaguard at --threads 1 and 2, git cat-file as the reference; no peers
#   staged     `lushaguard git --staged` in a work tree of the jellyfin mirror with one changed
#              file staged (7 runs or N, whichever is more)
#   synthetic  opt-in: history built with git fast-import from the Rust sources in cargo's
#              registry (scripts/bench/synthetic-history.py), the old default of this script
# Any other argument is a repository (bare or not) to time as the jellyfin case is timed.
#
# BENCH_DATA defaults to /work/data. lushaguard is built with `cargo build --release` first
# (--no-build: use target/release/lushaguard as it is; LUSHAGUARD=path: time another binary). The
# peers come from PyPI into target/bench/venv (pinned: KINGFISHER_VERSION, BETTERLEAKS_VERSION);
# --no-peers skips them. They do different work: Kingfisher reads every blob, like lushaguard;
# Betterleaks reads `git log -p` diffs, so only the lines each commit adds.
set -euo pipefail

BENCH_NAME=bench-git
# shellcheck source=scripts/bench/lib.sh
. "$(dirname "$0")/bench/lib.sh"
BENCH_DATA=${BENCH_DATA:-/work/data}

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

parse_common_args "$@"
[ ${#CASES[@]} -gt 0 ] || CASES=(jellyfin blob1 blob2 staged)

find_gnu_time
find_lushaguard
setup_peers
bench_start
printf 'git:         %s (reference: git cat-file --batch-all-objects --batch >/dev/null)\n' "$(git --version)"

argv_lushaguard() { ARGV=("$LG" git --threads "$threads" --no-progress --format json "$REPO"); }
found_lushaguard() { found_lushaguard_json lushaguard; }
argv_lushaguard_j1() { ARGV=("$LG" git --threads 1 --no-progress --format json "$REPO"); }
found_lushaguard_j1() { found_lushaguard_json lushaguard_j1; }
argv_lushaguard_j2() { ARGV=("$LG" git --threads 2 --no-progress --format json "$REPO"); }
found_lushaguard_j2() { found_lushaguard_json lushaguard_j2; }
argv_git() { ARGV=(git -C "$REPO" cat-file --batch-all-objects --batch); }
found_git() { git -C "$REPO" count-objects -v | awk '/^in-pack:/ { p = $2 } /^count:/ { l = $2 } END { print p + l, "objects" }'; }
argv_kingfisher() { kingfisher_argv "$REPO" --git-history full --no-binary; }
argv_betterleaks() { betterleaks_argv git "$REPO"; }
argv_staged() { ARGV=("$LG" git --staged --no-progress --format json "$REPO"); }
found_staged() { found_lushaguard_json staged; }

# Repository facts for the case header; the MB/s denominator is lushaguard's blob bytes.
describe_repo() {
  local commits pack
  commits=$(git -C "$REPO" rev-list --all --count)
  pack=$(git -C "$REPO" count-objects -v | awk '/^size-pack:/ { p = $2 } /^size:/ { l = $2 } END { printf "%.1f", (p + l) / 1024 }')
  CASE_BYTES=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["summary"]["bytes_scanned"])' "$(tool_out "$1")")
  CASE_DESC="$REPO: $commits commits, objects $pack MiB packed, $(awk -v b="$CASE_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB of distinct blobs scanned"
}

history_case() { # NAME REPO
  REPO=$2
  new_case "$1" "$REPO"
  add_tool lushaguard "0 1"
  add_tool git 0 /dev/null
  REF=git
  if [ "$peers" = 1 ]; then
    add_tool kingfisher "0 200 205"
    add_tool betterleaks 0
  fi
  run_case
  describe_repo lushaguard
  print_case s
}

jellyfin_mirror() {
  JELLYFIN="$BENCH_DIR/jellyfin.git"
  [ -d "$JELLYFIN" ] && return 0
  if [ ! -d "$BENCH_DATA/jellyfin/.git" ]; then
    note "$BENCH_NAME: $JELLYFIN is missing and so is $BENCH_DATA/jellyfin. Get it with:"
    note "  git clone --mirror https://github.com/jellyfin/jellyfin $JELLYFIN"
    return 1
  fi
  note "cloning $BENCH_DATA/jellyfin into $JELLYFIN (once; git clone --mirror --no-local) ..."
  mkdir -p "$BENCH_DIR"
  git clone -q --mirror --no-local "$BENCH_DATA/jellyfin" "$JELLYFIN.tmp"
  mv "$JELLYFIN.tmp" "$JELLYFIN"
}

blob_case() { # NAME COUNT MIB
  local stamp
  REPO="$BENCH_DIR/blob-$2x$3.git"
  stamp=$(sha256sum "$RULES_DIR/gen-blob-repo.py" | awk '{ print $1 }')
  if [ ! -d "$REPO" ] || [ "$(cat "$REPO.stamp" 2>/dev/null || true)" != "$stamp" ]; then
    note "building $REPO (once; a minute or two per GiB) ..."
    python3 "$RULES_DIR/gen-blob-repo.py" --count "$2" --mib "$3" "$REPO" >&2
    printf '%s\n' "$stamp" >"$REPO.stamp"
  fi
  new_case "$1" "$REPO: one commit, $2 text blob(s) of $3 MiB"
  add_tool lushaguard_j1 "0 1"
  add_tool lushaguard_j2 "0 1"
  add_tool git 0 /dev/null
  REF=git
  run_case
  describe_repo lushaguard_j2
  CASE_DESC="$CASE_DESC; $2 blob(s) of $3 MiB"
  print_case s
}

staged_case() {
  local wt="$WORK/staged-wt" file saved_runs=$runs
  git clone -q --shared "$JELLYFIN" "$wt"
  file=$(git -C "$wt" ls-files -- '*.cs' | sed -n 1p)
  printf '\n// staged change\n' >>"$wt/$file"
  git -C "$wt" add -- "$file"
  REPO=$wt
  [ "$runs" -ge 7 ] || runs=7
  new_case staged "lushaguard git --staged in a work tree of $(git -C "$wt" ls-files | wc -l) files, one changed file ($file) staged"
  add_tool staged "0 1"
  run_case
  print_case ms
  runs=$saved_runs
}

synthetic_case() {
  local src=${BENCH_SOURCES:-${CARGO_HOME:-$HOME/.cargo}/registry/src}
  REPO="$BENCH_DIR/synthetic-history.git"
  if [ ! -d "$REPO" ]; then
    [ -d "$src" ] || die "$src is not a directory (build this project once, or set BENCH_SOURCES)"
    note "building $REPO from $src (once) ..."
    rm -rf "$REPO.tmp"
    git init -q --bare -b main "$REPO.tmp"
    python3 "$RULES_DIR/synthetic-history.py" "$src" | git -C "$REPO.tmp" fast-import --quiet
    git -C "$REPO.tmp" gc --quiet
    mv "$REPO.tmp" "$REPO"
  fi
  history_case synthetic "$REPO"
}

canary() {
  local repo="$WORK/canary"
  git init -q -b main "$repo"
  printf 'no key here\n' >"$repo/README"
  git -C "$repo" add README
  git -C "$repo" -c user.name=bench -c user.email=bench@example.com commit -qm first
  git -C "$repo" checkout -qb side
  printf 'LUSHA_API_KEY=%s\n' "$(random_key)" >"$repo/.env"
  git -C "$repo" add .env
  git -C "$repo" -c user.name=bench -c user.email=bench@example.com commit -qm "add a key"
  git -C "$repo" checkout -q main
  REPO=$repo
  new_case canary "a repository with a key committed on a branch that is not HEAD"
  add_tool lushaguard "0 1"
  add_tool git 0 /dev/null
  CANARY_EXPECT[git]=any
  if [ "$peers" = 1 ]; then
    add_tool kingfisher "0 200 205"
    add_tool betterleaks 0
  fi
  printf '\ncanary: every history scanner must find the key on the side branch:\n'
  check_canary
}

canary
for c in "${CASES[@]}"; do
  case $c in
    jellyfin)
      if jellyfin_mirror; then history_case jellyfin "$JELLYFIN"; else SKIPPED+=(jellyfin); fi
      ;;
    blob1) blob_case blob1 1 1536 ;;
    blob2) blob_case blob2 2 768 ;;
    staged)
      if jellyfin_mirror; then staged_case; else SKIPPED+=(staged); fi
      ;;
    synthetic) synthetic_case ;;
    *)
      git -C "$c" rev-parse --git-dir >/dev/null 2>&1 ||
        die "unknown case '$c': use jellyfin, blob1, blob2, staged, synthetic, or a git repository"
      history_case "$(basename "$c")" "$(cd "$c" && pwd)"
      ;;
  esac
done
print_summary git
