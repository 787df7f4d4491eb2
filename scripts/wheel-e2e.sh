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
# shellcheck source=scripts/e2e-common.sh
. "$here/scripts/e2e-common.sh"

step "pip wheel . (maturin from PyPI)"
make_venv "$work/build"
timed "pip wheel" "$work/build/bin/pip" wheel --quiet --disable-pip-version-check --no-deps \
  -w "$work/wheelhouse" "$here"
wheels=("$work/wheelhouse/lushaguard-$version-"*.whl)
[ -f "${wheels[0]}" ] || fail "no lushaguard $version wheel was built"
wheel=${wheels[0]}
echo "built $(basename "$wheel") ($(du -k "$wheel" | cut -f1) KiB)"

step "install the wheel into a fresh virtualenv and run it"
make_venv "$work/user"
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
make_venv "$work/pc"
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
isolated_git

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
