#!/usr/bin/env bash
# The Python package end to end, as a user gets it:
#   1. `pip wheel .` in a fresh virtualenv: maturin comes from PyPI as the build backend;
#   2. the wheel installed into another fresh virtualenv, and the `lushaguard` it puts there run:
#      --version is Cargo.toml's, `rules test` passes, fixtures/leaks fails with redacted keys,
#      fixtures/clean passes;
#   3. pre-commit from PyPI, with no Rust toolchain on PATH:
#      - this repository's `lushaguard-system` hook, with the installed binary on PATH;
#      - the pre-commit mirror made by scripts/release/pre-commit-mirror.py, tagged v{version},
#        whose hook environment installs the wheel from a local wheelhouse (pip --no-index):
#        nothing is compiled. A commit that adds a key is blocked, a clean one goes through.
# Prints how long each part took. Needs python3 (with venv), git and what `cargo build` needs.
#
#   scripts/wheel-e2e.sh
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$(python3 "$here/scripts/release/package.py" --print-version)
# A random UUID v4 for this test; Lusha never issued it.
key="b54e0f3a-7c21-4d96-8a0b-2f6e9c13d478" # lushaguard:allow (test key)
redacted="b54e****-****-****-****-********d478"

fail() { echo "wheel-e2e: FAIL: $*" >&2; exit 1; }
step() { printf '\n--> %s\n' "$*"; }
timed() { # timed LABEL COMMAND...: runs COMMAND, then prints how long it took
  local label=$1 start=$SECONDS
  shift
  "$@"
  echo "    ($label: $((SECONDS - start)) s)"
}
venv() {
  if ! python3 -m venv "$1" 2>/dev/null; then
    # Debian's python3 ships venv separately.
    apt-get install -y -qq python3-venv >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; }
    rm -rf "$1"
    python3 -m venv "$1"
  fi
}

step "pip wheel . (maturin from PyPI)"
venv "$work/build"
timed "pip wheel" "$work/build/bin/pip" wheel --quiet --disable-pip-version-check --no-deps \
  -w "$work/wheelhouse" "$here"
wheels=("$work/wheelhouse/lushaguard-$version-"*.whl)
[ -f "${wheels[0]}" ] || fail "no lushaguard $version wheel was built"
wheel=${wheels[0]}
echo "built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"

step "install the wheel into a fresh virtualenv and run it"
venv "$work/user"
timed "pip install" "$work/user/bin/pip" install --quiet --disable-pip-version-check --no-index "$wheel"
lushaguard="$work/user/bin/lushaguard"
[ -x "$lushaguard" ] || fail "the wheel put no lushaguard in the virtualenv's bin/"
[ "$("$lushaguard" --version)" = "lushaguard $version" ] || fail "--version says $("$lushaguard" --version)"
"$lushaguard" rules test >/dev/null || fail "rules test failed"
set +e
"$lushaguard" scan --no-progress "$here/fixtures/leaks" > "$work/leaks.txt" 2>&1
code=$?
set -e
[ "$code" -eq 1 ] || fail "scan fixtures/leaks exited $code, not 1"
grep -q '\*\*\*\*-\*\*\*\*-\*\*\*\*-\*\*\*\*-' "$work/leaks.txt" || fail "no redacted finding in the report"
"$lushaguard" scan --no-progress "$here/fixtures/clean" >/dev/null || fail "scan fixtures/clean found something"
echo "lushaguard $version from the wheel: rules test passed, leaks found (exit 1), clean tree passed"

step "pre-commit from PyPI"
venv "$work/pc"
"$work/pc/bin/pip" install --quiet --disable-pip-version-check pre-commit
precommit="$work/pc/bin/pre-commit"
"$precommit" --version
# The hooks must not build anything: no cargo, rustc or rustup on PATH from here on.
no_rust_path=""
IFS=: read -r -a dirs <<< "$PATH"
for d in "${dirs[@]}"; do
  [ -n "$d" ] && [ ! -e "$d/cargo" ] && [ ! -e "$d/rustc" ] && [ ! -e "$d/rustup" ] && no_rust_path="$no_rust_path${no_rust_path:+:}$d"
done
export PATH="$no_rust_path"
command -v cargo >/dev/null 2>&1 && fail "cargo is still on PATH"
export PRE_COMMIT_HOME="$work/pre-commit-home"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
git config --file "$GIT_CONFIG_GLOBAL" user.name "Ada Tester"
git config --file "$GIT_CONFIG_GLOBAL" user.email "ada@example.com"
git config --file "$GIT_CONFIG_GLOBAL" commit.gpgsign false
git config --file "$GIT_CONFIG_GLOBAL" init.defaultBranch main
unset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE

new_app() { # new_app DIR: a repository with one commit
  git init -q "$1"
  printf '# app\n' > "$1/README.md"
  git -C "$1" add README.md
  git -C "$1" commit -q -m initial
}
expect_blocked_then_clean() { # in the current repository, with the hook installed
  printf 'lusha:\n  api_key: %s\n' "$key" > settings.yml
  git add settings.yml
  set +e
  git commit -m "settings" > "$work/commit.log" 2>&1
  code=$?
  set -e
  cat "$work/commit.log"
  [ "$code" -ne 0 ] || fail "git commit with a key went through"
  grep -qF "$redacted" "$work/commit.log" || fail "the redacted finding is not in the commit output"
  if grep -qF "$key" "$work/commit.log"; then fail "the full key appeared in the output"; fi
  git rm -q --cached settings.yml
  rm settings.yml
  printf 'PORT=8080\n' > app.env
  git add app.env
  git commit -q -m "clean settings" || fail "a clean commit was blocked"
}

step "lushaguard-system: this repository's hook, the wheel's binary on PATH"
new_app "$work/app-system"
cd "$work/app-system"
printf 'LUSHA_API_KEY=%s\n' "$key" > .env
git add .env
set +e
PATH="$work/user/bin:$PATH" "$precommit" try-repo "$here" lushaguard-system > "$work/try.log" 2>&1
code=$?
set -e
cat "$work/try.log"
[ "$code" -ne 0 ] || fail "lushaguard-system passed with a staged key"
grep -qF "$redacted" "$work/try.log" || fail "lushaguard-system: no redacted finding in the output"
git rm -q --cached .env
rm .env
set +e
"$precommit" try-repo "$here" lushaguard-system > "$work/try-nobin.log" 2>&1
code=$?
set -e
[ "$code" -ne 0 ] || fail "lushaguard-system passed without a lushaguard on PATH"
echo "lushaguard-system without lushaguard on PATH fails, as it should: $(grep -m1 -i 'not found\|executable' "$work/try-nobin.log" || true)"

step "the pre-commit mirror: hooks that pip install the wheel (no index, no compiler)"
"$work/build/bin/pip" download --quiet --disable-pip-version-check -d "$work/wheelhouse" "setuptools>=61"
"$work/build/bin/pip" install --quiet --disable-pip-version-check pyyaml
"$work/build/bin/python" "$here/scripts/release/pre-commit-mirror.py" --out "$work/mirror" >/dev/null
git -C "$work/mirror" init -q
git -C "$work/mirror" add -A
git -C "$work/mirror" commit -q -m "lushaguard $version"
git -C "$work/mirror" tag "v$version"
new_app "$work/app-mirror"
cd "$work/app-mirror"
cat > .pre-commit-config.yaml <<EOF
repos:
  - repo: $work/mirror
    rev: v$version
    hooks:
      - id: lushaguard
EOF
git add .pre-commit-config.yaml
git commit -q -m "pre-commit config"
PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheelhouse" timed "pre-commit install-hooks from the mirror" \
  "$precommit" install-hooks
"$precommit" install
expect_blocked_then_clean

printf '\nwheel-e2e: all checks passed\n'
