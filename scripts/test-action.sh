#!/usr/bin/env bash
# Runs scripts/test-action.py (the GitHub Action under a simulated runner) in a Python venv
# with its two dependencies, installed from PyPI on first use.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv="$here/target/action-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check pyyaml jsonschema
fi
(cd "$here" && cargo build --release --locked --quiet)
"$venv/bin/python" "$here/scripts/test-action.py"
