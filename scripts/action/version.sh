#!/usr/bin/env bash
# Action step: the version of lushaguard this action builds (the cache key), from Cargo.toml
# and the action ref, so a new commit of the action never reuses an older binary.
set -euo pipefail
version=$(sed -n '0,/^version = "\(.*\)"$/s//\1/p' "$GITHUB_ACTION_PATH/Cargo.toml")
commit=$(git -C "$GITHUB_ACTION_PATH" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
echo "version=${version}-${commit}" >> "$GITHUB_OUTPUT"
