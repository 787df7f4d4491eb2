#!/usr/bin/env bash
# Action step: puts a lushaguard binary on PATH, in this order:
#   1. the one the cache step restored, when it is this version for this target;
#   2. the release archive, $LUSHAGUARD_DOWNLOAD_URL/v{version}/{asset} (default: this
#      repository's GitHub releases), checked against {asset}.sha256 before anything in it runs:
#      a mismatch fails the step, and nothing is installed;
#   3. a build from the action's own source (`cargo install --locked`), only when the release has
#      no asset for this runner (no target, or HTTP 404). That needs a Rust toolchain (installed
#      with rustup when missing) and a C compiler (libgit2 is compiled from C).
# Any other download failure fails the step: the action never runs a binary it could not verify.
#
# Environment (set by action.yml from version.sh's outputs): LUSHAGUARD_VERSION,
# LUSHAGUARD_TARGET, LUSHAGUARD_DIR, LUSHAGUARD_RELEASES.
set -euo pipefail
version="${LUSHAGUARD_VERSION:?}"
target="${LUSHAGUARD_TARGET:-}"
dir="${LUSHAGUARD_DIR:?}"
base="${LUSHAGUARD_DOWNLOAD_URL:-${LUSHAGUARD_RELEASES:?}}"
base="${base%/}"

exe=lushaguard
archive_ext=tar.gz
case "$target" in *windows*) exe=lushaguard.exe archive_ext=zip ;; esac
bin_dir="$dir/bin"
bin="$bin_dir/$exe"
stamp="$dir/installed"
started=$SECONDS

fail() { echo "::error title=lushaguard install::$*"; exit 2; }
finish() { # finish HOW: puts the binary on PATH and shows its version
  echo "$bin_dir" >> "$GITHUB_PATH"
  "$bin" --version
  echo "lushaguard $version $1 in $((SECONDS - started)) s"
  exit 0
}

if [ -x "$bin" ] && [ -f "$stamp" ] && [ "$(sed -n 1p "$stamp")" = "$version $target" ]; then
  finish "restored from the cache"
fi
rm -rf "$dir"
mkdir -p "$dir"
work=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/lushaguard-download.XXXXXX")
trap 'rm -rf "$work"' EXIT

fetch() { # fetch URL FILE: prints the HTTP status, 000 when there was no answer
  local status
  status=$(curl --silent --show-error --location --retry 3 --connect-timeout 20 --max-time 600 \
    --output "$2" --write-out '%{http_code}' "$1") || status=000
  printf '%s' "${status:-000}"
}

sha256_of() { # sha256_of FILE: the lowercase hex digest, with whatever tool this runner has
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | sed 's/[[:space:]].*//'
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | sed 's/[[:space:]].*//'
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | sed 's/[[:space:]].*//'
  else
    python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
  fi | tr 'A-F' 'a-f'
}

install_release() { # exits when it installed (or failed); returns only when there is no asset
  local asset="lushaguard-v$version-$target.$archive_ext"
  local url="$base/v$version/$asset"
  local status expected actual
  status=$(fetch "$url.sha256" "$work/$asset.sha256")
  case "$status" in
    200) ;;
    404) echo "no release asset at $url.sha256 (HTTP 404)"; return 0 ;;
    *) fail "could not download $url.sha256 (HTTP $status)" ;;
  esac
  # sha256sum format: "<64 hex>  <name>" (or " *<name>"); the line must name this asset.
  expected=$(awk -v a="$asset" '{ n = $2; sub(/^\*/, "", n) } n == a { print tolower($1); exit }' "$work/$asset.sha256")
  printf '%s' "$expected" | grep -Eq '^[0-9a-f]{64}$' || fail "$url.sha256 holds no SHA-256 for $asset"
  status=$(fetch "$url" "$work/$asset")
  [ "$status" = 200 ] || fail "could not download $url (HTTP $status)"
  actual=$(sha256_of "$work/$asset")
  if [ "$actual" != "$expected" ]; then
    rm -f "$work/$asset"
    fail "checksum mismatch for $asset: expected $expected, got $actual. Nothing was installed."
  fi
  echo "downloaded $asset, SHA-256 $actual verified"
  mkdir -p "$work/unpacked"
  case "$archive_ext" in
    tar.gz) tar -xzf "$work/$asset" -C "$work/unpacked" "$exe" ;;
    zip)
      if command -v unzip >/dev/null 2>&1; then
        unzip -q -o "$work/$asset" "$exe" -d "$work/unpacked"
      else
        python3 -c 'import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' \
          "$work/$asset" "$exe" "$work/unpacked"
      fi ;;
  esac
  # Only a regular file is installed (a symlink in the archive could point anywhere).
  [ -f "$work/unpacked/$exe" ] && [ ! -L "$work/unpacked/$exe" ] || fail "$asset has no $exe at its root"
  mkdir -p "$bin_dir"
  mv "$work/unpacked/$exe" "$bin"
  chmod 755 "$bin"
  printf '%s %s\nrelease %s\n' "$version" "$target" "$asset" > "$stamp"
  finish "installed from the release"
}

if [ -n "$target" ]; then
  install_release
else
  echo "no release binary for ${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}"
fi

echo "building lushaguard $version from the action's source (cargo install --locked)"
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi
cargo install --locked --quiet --path "$GITHUB_ACTION_PATH" --root "$dir"
[ -x "$bin" ] || fail "cargo install left no $bin"
printf '%s %s\nsource\n' "$version" "$target" > "$stamp"
finish "built from source"
