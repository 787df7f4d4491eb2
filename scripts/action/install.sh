#!/usr/bin/env bash
# Action step: makes `lushaguard` available. A binary restored from the cache is used when its
# version matches; otherwise it is built from the action's own source with
# `cargo install --locked --path "$GITHUB_ACTION_PATH"` (installing a minimal Rust toolchain
# first if the runner has none).
set -euo pipefail
home="${LUSHAGUARD_HOME:-$HOME/.lushaguard}"
bin="$home/bin/lushaguard"
stamp="$home/version"
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "${LUSHAGUARD_VERSION:-}" ]; then
  echo "lushaguard ${LUSHAGUARD_VERSION:-} restored from the cache"
else
  if ! command -v cargo >/dev/null 2>&1; then
    if [ -x "$HOME/.cargo/bin/cargo" ]; then
      export PATH="$HOME/.cargo/bin:$PATH"
    else
      curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
      export PATH="$HOME/.cargo/bin:$PATH"
    fi
  fi
  cargo install --locked --quiet --path "$GITHUB_ACTION_PATH" --root "$home"
  printf '%s' "${LUSHAGUARD_VERSION:-}" > "$stamp"
fi
echo "$home/bin" >> "$GITHUB_PATH"
"$bin" --version
