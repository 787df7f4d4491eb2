#!/usr/bin/env bash
# Action step: runs lushaguard once and turns the result into what a workflow expects:
# annotations in the log (--format github on stdout), a markdown job summary, a SARIF file for
# code scanning, the `findings` and `sarif-file` outputs, and the step's exit status (per
# fail-on; 2 on errors).
#
# mode=auto scans the history of what the event brought: on push `before..after` (an all-zero
# `before`, as on a new branch, scans the whole branch), on pull_request `base.sha..head.sha`;
# other events scan the files. History needs `actions/checkout` with `fetch-depth: 0`. In a range
# scan lushaguard reads suppression settings (.lushaguard.toml, .lushaguardignore, the baseline)
# from the base commit, so a pull request cannot hide its own keys; what it changes there is
# reported as a warning annotation.
set -uo pipefail

bin="${LUSHAGUARD_BIN:-lushaguard}"
workspace="${GITHUB_WORKSPACE:-$PWD}"
path="${INPUT_PATH:-.}"
mode="${INPUT_MODE:-auto}"
out_dir="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/lushaguard-$$"
mkdir -p "$out_dir"
cd "$workspace" || { echo "::error::lushaguard: workspace $workspace not found"; exit 2; }

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
has_commit() { git -C "$path" cat-file -e "$1^{commit}" 2>/dev/null; }

command=(scan "$path")
case "$mode" in
  files) ;;
  git) command=(git "$path") ;;
  auto)
    case "${GITHUB_EVENT_NAME:-}" in
      push)
        before=$(event_field before)
        after=$(event_field after)
        if [ -z "$after" ] || ! has_commit "$after"; then
          echo "::warning title=lushaguard::the pushed commit is not in the checkout; scanning the files instead"
        elif [ -z "$before" ] || [ "$before" = "0000000000000000000000000000000000000000" ]; then
          command=(git --range "$after" "$path")
        elif has_commit "$before"; then
          command=(git --range "$before..$after" "$path")
        else
          echo "::warning title=lushaguard::the commit before the push is not in the checkout (use actions/checkout with fetch-depth: 0); scanning the whole history of $after"
          command=(git --range "$after" "$path")
        fi
        ;;
      pull_request|pull_request_target)
        base=$(event_field pull_request base sha)
        head=$(event_field pull_request head sha)
        if [ -n "$base" ] && [ -n "$head" ] && has_commit "$base" && has_commit "$head"; then
          command=(git --range "$base..$head" "$path")
        else
          echo "::warning title=lushaguard::the pull request's commits are not in the checkout (use actions/checkout with fetch-depth: 0); scanning the files instead"
        fi
        ;;
    esac
    ;;
  *) echo "::error title=lushaguard::mode must be auto, files or git, not '$mode'"; exit 2 ;;
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
# A pull request scanned as files (mode files, or its commits missing from the checkout) has no
# base to read suppression settings from, and its own .lushaguard.toml and .lushaguardignore are
# the author's to write: use none of them (an empty --config and --ignore-file replace them).
case "${GITHUB_EVENT_NAME:-}" in
  pull_request|pull_request_target)
    if [ "${command[0]}" = "scan" ] && [[ " ${INPUT_ARGS:-} " != *" --config"* ]] && [[ " ${INPUT_ARGS:-} " != *" --ignore-file"* ]]; then
      : > "$out_dir/no-settings.toml"
      : > "$out_dir/no-ignore"
      flags+=(--config "$out_dir/no-settings.toml" --ignore-file "$out_dir/no-ignore")
      echo "::warning title=lushaguard::a pull request scanned as files: its own suppression settings (.lushaguard.toml, .lushaguardignore) are not used"
    fi
    ;;
esac

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
