#!/usr/bin/env bash
# Action step: runs lushaguard once and turns the result into what a workflow expects:
# annotations in the log (--format github on stdout), a markdown job summary, a SARIF file for
# code scanning, the `findings` and `sarif-file` outputs, and the step's exit status (per
# fail-on; 2 on errors).
#
# mode=auto scans the history of what the event brought: on push `before..after` (an all-zero
# `before`, as on a new branch, scans the whole branch), on pull_request `base.sha..head.sha`;
# other events scan the files. It never narrows silently: with a shallow checkout (the default
# `fetch-depth: 1`) it fetches the commits the range needs, base and head and the history
# between, and when it cannot, the step fails with an error; it never falls back to a files scan.
# In a range scan lushaguard reads suppression settings (.lushaguard.toml, .lushaguardignore, the
# baseline) from the base commit, so a pull request cannot hide its own keys; what it changes
# there is reported as a warning annotation.
set -uo pipefail

bin="${LUSHAGUARD_BIN:-lushaguard}"
workspace="${GITHUB_WORKSPACE:-$PWD}"
path="${INPUT_PATH:-.}"
mode="${INPUT_MODE:-auto}"
out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/lushaguard-$$"
mkdir -p "$out_dir"
cd "$workspace" || { echo "::error::lushaguard: workspace $workspace not found"; exit 2; }
zero=0000000000000000000000000000000000000000

event_field() { # event_field KEY... : a value from the event payload, or empty
  python3 - "$GITHUB_EVENT_PATH" "$@" <<'PY' 2>/dev/null
import json, sys
try:
    value = json.load(open(sys.argv[1]))
    for key in sys.argv[2:]:
        value = value[key]
    print(value if isinstance(value, str) else "")
except Exception:
    print("")
PY
}
fail() { echo "::error title=lushaguard::$*"; rm -rf "$out_dir"; exit 2; }
g() { git -C "$path" "$@"; }
has_commit() { g cat-file -e "$1^{commit}" 2>/dev/null; }
is_shallow() { [ "$(g rev-parse --is-shallow-repository 2>/dev/null)" = true ]; }
remote() { # the remote actions/checkout set up (origin), else the only one
  if g remote | grep -qx origin; then echo origin; else g remote | head -n 1; fi
}
fetch() { # fetch ARGS... : quietly from the checkout's remote; the error on failure
  local r
  r=$(remote)
  [ -n "$r" ] || { echo "the checkout has no git remote to fetch from"; return 1; }
  # Capture git's error text for the caller; drop its progress output.
  { g -c advice.detachedHead=false fetch --quiet --no-tags --no-write-fetch-head "$r" "$@" >/dev/null; } 2>&1
}
need_commit() { # need_commit SHA WHAT : fetch SHA unless the checkout has it
  has_commit "$1" && return 0
  local depth=() err
  is_shallow && depth=(--depth=1)
  err=$(fetch "${depth[@]}" "$1") || fail "cannot fetch $2 $1 from the remote: ${err:-no error text}"
  has_commit "$1" || fail "the remote did not send $2 $1"
}
range_complete() { # range_complete BASE HEAD : does the checkout hold every commit of BASE..HEAD?
  is_shallow || return 0
  g merge-base "$1" "$2" >/dev/null 2>&1 || return 1
  # A shallow commit inside the range has parents the checkout lacks.
  local boundary
  boundary=$(g rev-parse --git-path shallow)
  [ -s "$boundary" ] || return 0
  ! g rev-list "$2" "^$1" | grep -qxFf "$boundary"
}
unshallow() { # unshallow WHY : fetch all history, or fail
  is_shallow || return 0
  echo "lushaguard: fetching the whole history ($1)"
  local err
  err=$(fetch --unshallow) || fail "cannot fetch the history $1 (use actions/checkout with fetch-depth: 0): ${err:-no error text}"
}
need_range() { # need_range BASE HEAD : deepen the checkout until BASE..HEAD is all there
  local step
  for step in 50 500 5000; do
    range_complete "$1" "$2" && return 0
    echo "lushaguard: shallow checkout; fetching $step more commits of history for ${1:0:12}..${2:0:12}"
    fetch "--deepen=$step" "$1" "$2" >/dev/null || break
  done
  range_complete "$1" "$2" && return 0
  unshallow "for ${1:0:12}..${2:0:12}"
  range_complete "$1" "$2" || fail "the history between ${1:0:12} and ${2:0:12} is not complete after fetching all of it"
}

command=(scan "$path")
case "$mode" in
  files) ;;
  git)
    unshallow "for mode: git"
    command=(git "$path")
    ;;
  auto)
    case "${GITHUB_EVENT_NAME:-}" in
      push)
        before=$(event_field before)
        after=$(event_field after)
        [ -n "$after" ] || fail "the push event names no pushed commit (after)"
        need_commit "$after" "the pushed commit"
        if [ -z "$before" ] || [ "$before" = "$zero" ]; then
          # A new branch: all of its history.
          unshallow "of the new branch"
          command=(git --range "$after" "$path")
        elif has_commit "$before" || fetch --depth=1 "$before" >/dev/null; then
          need_range "$before" "$after"
          command=(git --range "$before..$after" "$path")
        else
          # A force push: the old tip is gone from the remote. Scan more, never less.
          echo "::warning title=lushaguard::the commit before the push ($before) cannot be fetched (a force push?); scanning the whole history of $after"
          unshallow "of $after"
          command=(git --range "$after" "$path")
        fi
        ;;
      pull_request|pull_request_target)
        base=$(event_field pull_request base sha)
        head=$(event_field pull_request head sha)
        [ -n "$base" ] && [ -n "$head" ] || fail "the pull_request event names no base or head commit"
        need_commit "$head" "the pull request's head commit"
        need_commit "$base" "the pull request's base commit"
        need_range "$base" "$head"
        command=(git --range "$base..$head" "$path")
        ;;
    esac
    ;;
  *) fail "mode must be auto, files or git, not '$mode'" ;;
esac

flags=(--format github --no-progress --write "json=$out_dir/report.json" --write "markdown=$out_dir/summary.md")
sarif_file=""
if [ "${INPUT_SARIF:-true}" = "true" ]; then
  sarif_file="lushaguard.sarif"
  flags+=(--write "sarif=$sarif_file")
fi
[ "${INPUT_VERIFY:-false}" = "true" ] && flags+=(--verify)
[ -n "${INPUT_FAIL_ON:-}" ] && flags+=(--fail-on "$INPUT_FAIL_ON")
[ -n "${INPUT_BASELINE:-}" ] && flags+=(--baseline "$INPUT_BASELINE")
# --strict matters only for range scans (push, pull_request): the base tells which marks are new.
[ "${INPUT_STRICT:-false}" = "true" ] && [ "${command[0]}" = "git" ] && flags+=(--strict)
extra=()
[ -n "${INPUT_ARGS:-}" ] && read -r -a extra <<< "$INPUT_ARGS"
# Suppression settings must come from a base the change did not write. A range scan reads them
# from its base commit. A scan with no base has none to read them from: a pull request scanned as
# files or as a whole history (its tree is the author's to write), or a push of a new branch or
# after a force push (whose tree is the pusher's). Then the tree's own .lushaguard.toml and
# .lushaguardignore are not used: an empty --config and --ignore-file replace them, unless the
# workflow names its own with `args`.
no_base=""
case "${GITHUB_EVENT_NAME:-}" in
  pull_request|pull_request_target)
    [[ " ${command[*]} " == *" --range "* ]] || no_base="a pull request scanned without its base"
    ;;
  push)
    [[ " ${command[*]} " == *" --range "*..* ]] || [ "$mode" != auto ] \
      || no_base="a push with no earlier commit of the branch to compare with"
    ;;
esac
if [ -n "$no_base" ] && [[ " ${INPUT_ARGS:-} " != *" --config"* ]] && [[ " ${INPUT_ARGS:-} " != *" --ignore-file"* ]]; then
  : > "$out_dir/no-settings.toml"
  : > "$out_dir/no-ignore"
  flags+=(--config "$out_dir/no-settings.toml" --ignore-file "$out_dir/no-ignore")
  echo "::warning title=lushaguard::$no_base: the tree's own suppression settings (.lushaguard.toml, .lushaguardignore) are not used"
fi

echo "lushaguard ${command[*]}"
"$bin" "${command[@]}" "${flags[@]}" "${extra[@]}"
status=$?

findings=0
if [ -s "$out_dir/report.json" ]; then
  findings=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["findings"])' "$out_dir/report.json" 2>/dev/null || echo 0)
fi
[ -f "$out_dir/summary.md" ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ] && cat "$out_dir/summary.md" >> "$GITHUB_STEP_SUMMARY"
{
  echo "findings=$findings"
  echo "sarif-file=$sarif_file"
} >> "${GITHUB_OUTPUT:-/dev/null}"
rm -rf "$out_dir"
exit "$status"
