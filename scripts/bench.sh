#!/usr/bin/env bash
# Times `lushaguard scan` against ripgrep searching the same tree for the UUID v4 pattern, both
# with 2 threads and hidden files included, and prints the ratio (lushaguard / rg; below 1.0
# means lushaguard is faster) and each tool's throughput. Runs alternate and the median of
# several runs counts, after one warm-up run each so both read from the page cache.
#
#   scripts/bench.sh [TREE] [RUNS]
#
# TREE defaults to $BENCH_TREE, else cargo's registry sources (real Rust, TOML and docs, present
# wherever this project was built). RG defaults to the newest `rg` on PATH; set RG=/path/to/rg
# to compare with another build.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:-${BENCH_TREE:-${CARGO_HOME:-$HOME/.cargo}/registry/src}}
runs=${2:-7}
rg=${RG:-$(command -v rg || true)}
threads=2
pattern='[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}'

if [ -z "$rg" ]; then
  echo "bench: ripgrep (rg) is not installed; install it (apt-get install ripgrep or cargo install ripgrep) or set RG=" >&2
  exit 2
fi
if [ ! -d "$tree" ]; then
  echo "bench: $tree is not a directory" >&2
  exit 2
fi

(cd "$here" && cargo build --release --quiet)
lg="$here/target/release/lushaguard"

lushaguard_cmd() { "$lg" scan --threads "$threads" --no-progress --format json "$tree" >/dev/null || [ $? -eq 1 ]; }
rg_cmd() { "$rg" --hidden --threads "$threads" --count-matches -e "$pattern" "$tree" >/dev/null || [ $? -eq 1 ]; }

now() { date +%s.%N; }
time_one() { local t0 t1; t0=$(now); "$1"; t1=$(now); echo "$t1 - $t0" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.4f\n", m}'; }

lushaguard_cmd; rg_cmd # warm-up: both read from the page cache from here on
lg_times=(); rg_times=()
for _ in $(seq "$runs"); do
  lg_times+=("$(time_one lushaguard_cmd)")
  rg_times+=("$(time_one rg_cmd)")
done
lg_med=$(printf '%s\n' "${lg_times[@]}" | median)
rg_med=$(printf '%s\n' "${rg_times[@]}" | median)

summary=$("$lg" scan --threads "$threads" --no-progress --format json "$tree" 2>/dev/null || true)
bytes=$(printf '%s' "$summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["bytes_scanned"])')
files=$(printf '%s' "$summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["files_scanned"])')
mb=$(echo "$bytes / 1000000" | bc -l)

echo "tree:        $tree ($files text files, $(printf '%.1f' "$mb") MB scanned)"
echo "rg:          $("$rg" --version | sed -n 1p) at $rg"
printf 'lushaguard:  median %.3f s over %d runs, %.0f MB/s\n' "$lg_med" "$runs" "$(echo "$mb / $lg_med" | bc -l)"
printf 'ripgrep:     median %.3f s over %d runs, %.0f MB/s\n' "$rg_med" "$runs" "$(echo "$mb / $rg_med" | bc -l)"
printf 'ratio:       %.2f (lushaguard / rg; target <= 1.00)\n' "$(echo "$lg_med / $rg_med" | bc -l)"
