#!/usr/bin/env bash
# End to end through the pre-commit framework, as a user sets it up: installs pre-commit from
# PyPI into a fresh venv, then in a new git repository
#   1. `pre-commit try-repo <this repo> lushaguard` with a staged key: must fail and show the key
#      redacted (never in full); with only a clean change staged: must pass;
#   2. a `.pre-commit-config.yaml` pinning this repository at its HEAD commit (`rev:`), the hook
#      installed with `pre-commit install`, and real `git commit`s: the one adding a key is
#      blocked, a clean one goes through;
#   3. the `lushaguard-pre-push` hook installed with `pre-commit install --hook-type pre-push`,
#      and real `git push`es: the first push to an empty remote (pre-commit then sets no
#      PRE_COMMIT_FROM_REF/TO_REF) is blocked when a commit in it added a key, even one a later
#      commit removed; a push of commits that only *another* remote has is blocked; clean pushes
#      go through.
# `language: rust` makes pre-commit `cargo install` lushaguard from the repository; the build
# shares target/ with `cargo build --release`, so it compiles little more than lushaguard itself
# (a target of its own cost 20+ minutes of cold builds in CI). Needs python3 (with venv), git and cargo.
#
#   scripts/precommit-e2e.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR="$here/target"
export PRE_COMMIT_HOME="$work/pre-commit-home"
# A random UUID v4 for this test; Lusha never issued it.
key="6f1c2a9e-3b7d-4c58-9e21-0d4b8f7a6c35" # lushaguard:allow (test key)
redacted="6f1c****-****-****-****-********6c35"

fail() { echo "precommit-e2e: FAIL: $*" >&2; exit 1; }
step() { printf '\n--> %s\n' "$*"; }
# blocked LOG WHY COMMAND...: runs COMMAND, shows its output (kept in LOG), and fails the test
# with WHY if COMMAND succeeded.
blocked() {
  local log=$1 why=$2 code
  shift 2
  set +e
  "$@" > "$log" 2>&1
  code=$?
  set -e
  cat "$log"
  [ "$code" -ne 0 ] || fail "$why"
}

# shellcheck source=scripts/e2e-common.sh
. "$here/scripts/e2e-common.sh"

step "installing pre-commit into a fresh venv"
make_venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check pre-commit
precommit="$work/venv/bin/pre-commit"
"$precommit" --version

isolated_git
app="$work/app"
new_app "$app"
cd "$app"

step "try-repo: a staged key is blocked (this builds lushaguard with cargo install)"
printf 'PORT=8080\nLUSHA_API_KEY=%s\n' "$key" > .env
git add .env
set +e
"$precommit" try-repo "$here" lushaguard > "$work/try-blocked.log" 2>&1
code=$?
set -e
cat "$work/try-blocked.log"
[ "$code" -ne 0 ] || fail "try-repo passed with a staged key"
grep -qF "$redacted" "$work/try-blocked.log" || fail "the redacted finding is not in the output"
if grep -qF "$key" "$work/try-blocked.log"; then fail "the full key appeared in the output"; fi

step "try-repo: a clean change passes"
git rm -q --cached .env
rm .env
printf '# app\n\nSee the docs.\n' > README.md
git add README.md
"$precommit" try-repo "$here" lushaguard > "$work/try-clean.log" 2>&1 || {
  cat "$work/try-clean.log"
  fail "try-repo failed on a clean change"
}
cat "$work/try-clean.log"
git commit -q -m "docs"

step "pre-commit install, pinned at this repository's HEAD: real git commits"
rev=$(git -C "$here" rev-parse HEAD)
# write_config HOOK_ID...: a .pre-commit-config.yaml using these hooks of this repository at $rev.
write_config() {
  printf 'repos:\n  - repo: %s\n    rev: %s\n    hooks:\n' "$here" "$rev" > .pre-commit-config.yaml
  local id
  for id in "$@"; do printf '      - id: %s\n' "$id" >> .pre-commit-config.yaml; done
}
write_config lushaguard
git add .pre-commit-config.yaml
"$precommit" install
git commit -q -m "Add pre-commit config" || fail "committing the clean config was blocked"

expect_blocked_then_clean

step "pre-push stage: the first push to an empty remote scans every commit being pushed"
git init -q --bare "$work/origin.git"
git remote add origin "$work/origin.git"
write_config lushaguard lushaguard-pre-push
git add .pre-commit-config.yaml
git commit -q -m "Add the pre-push hook"
"$precommit" install --hook-type pre-push
clean_tip=$(git rev-parse HEAD)
printf 'PORT=8080\nLUSHA_API_KEY=%s\n' "$key" > deploy.env
git add deploy.env
git commit -q --no-verify -m "deploy settings"
git rm -q deploy.env
git commit -q -m "remove the deploy settings"
blocked "$work/push-first.log" "the first push to an empty remote went through with a key in its history" \
  git push origin HEAD:refs/heads/main
grep -qF "$redacted" "$work/push-first.log" || fail "the redacted finding is not in the push output"
if grep -qF "$key" "$work/push-first.log"; then fail "the full key appeared in the push output"; fi
[ -z "$(git --git-dir="$work/origin.git" for-each-ref)" ] || fail "the remote received refs"

step "pre-push stage: a clean first push goes through"
git reset -q --hard "$clean_tip"
git push -q origin HEAD:refs/heads/main || fail "a clean first push was blocked"

step "pre-push stage: commits that only another remote has are scanned"
git init -q --bare "$work/upstream.git"
git remote add upstream "$work/upstream.git"
printf 'lusha:\n  api_key: %s\n' "$key" > upstream.yml
git add upstream.yml
git commit -q --no-verify -m "upstream settings"
git push -q --no-verify upstream HEAD:refs/heads/main
git fetch -q origin
blocked "$work/push-other.log" "a push of a commit only upstream has went through with a key" \
  git push origin HEAD:refs/heads/main
grep -qF "upstream.yml" "$work/push-other.log" || fail "the finding does not name upstream.yml"

step "pre-push stage: a clean push on top of the remote goes through"
git reset -q --hard "$clean_tip"
printf 'PORT=9090\n' > app.env
git add app.env
git commit -q -m "port"
git push -q origin HEAD:refs/heads/main || fail "a clean push was blocked"

printf '\nprecommit-e2e: all checks passed\n'
