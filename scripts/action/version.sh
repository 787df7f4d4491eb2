#!/usr/bin/env bash
# Action step: what the action installs, and under which cache key. Everything comes from files
# the action ships and from the runner, never from git: a downloaded action has no .git.
#
# Outputs (to $GITHUB_OUTPUT):
#   version   the version in the action's Cargo.toml, e.g. 0.1.0 (the release to download)
#   target    the release target for this runner, e.g. x86_64-unknown-linux-musl; empty when
#             the release has no binary for it (then install.sh builds from source)
#   releases  where releases are downloaded from: Cargo.toml's `repository` + /releases/download
#   dir       where the binary is installed ($RUNNER_TEMP/lushaguard-<version>), the cached path
#   key       the cache key: version and target, so each release is cached once per platform
set -euo pipefail
manifest="$GITHUB_ACTION_PATH/Cargo.toml"

package_field() { # package_field NAME: a string field of Cargo.toml's [package] table
  sed -n '/^\[package\]/,/^\[/s/^'"$1"' = "\(.*\)"$/\1/p' "$manifest" | sed -n 1p
}
version=$(package_field version)
repository=$(package_field repository)
if ! printf '%s' "$version" | grep -Eq '^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$'; then
  echo "::error title=lushaguard::no usable version in $manifest (found '$version')"
  exit 2
fi

# The targets .github/workflows/release.yml builds. RUNNER_OS/RUNNER_ARCH are set on every
# GitHub runner; uname covers other runners.
os="${RUNNER_OS:-$(uname -s)}"
arch="${RUNNER_ARCH:-$(uname -m)}"
case "$os/$arch" in
  Linux/X64 | Linux/x86_64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64 | Linux/aarch64) target=aarch64-unknown-linux-musl ;;
  macOS/X64 | Darwin/x86_64) target=x86_64-apple-darwin ;;
  macOS/ARM64 | Darwin/arm64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc ;;
  *) target="" ;;
esac

{
  echo "version=$version"
  echo "target=$target"
  echo "releases=${repository%/}/releases/download"
  echo "dir=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/lushaguard-$version"
  echo "key=lushaguard-$version-${target:-source-$os-$arch}"
} >> "$GITHUB_OUTPUT"
echo "lushaguard $version for ${target:-$os/$arch (no release binary: built from source)}"
