# Shared by the end-to-end scripts (precommit-e2e.sh, wheel-e2e.sh); source it after setting
# `work` (a temp dir), `key` and `redacted` (the test key and how reports show it), and a
# `fail MESSAGE` function. Gives:
#   make_venv DIR            a Python virtualenv (installs Debian's python3-venv if needed)
#   isolated_git             git blind to the machine's configuration, with a test identity
#   new_app DIR              a repository with one commit
#   expect_blocked_then_clean  in the current repository, with a pre-commit hook installed: a
#                            commit adding the key is blocked and shows it redacted, never in
#                            full; a clean commit goes through
# shellcheck shell=bash disable=SC2154  # work, key, redacted and fail come from the sourcing script

make_venv() {
  if ! python3 -m venv "$1" 2>/dev/null; then
    # Debian's python3 ships venv separately.
    if command -v apt-get >/dev/null 2>&1; then
      apt-get install -y -qq python3-venv >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; }
    fi
    rm -rf "$1"
    python3 -m venv "$1"
  fi
}

isolated_git() {
  export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
  git config --file "$GIT_CONFIG_GLOBAL" user.name "Ada Tester"
  git config --file "$GIT_CONFIG_GLOBAL" user.email "ada@example.com"
  git config --file "$GIT_CONFIG_GLOBAL" commit.gpgsign false
  git config --file "$GIT_CONFIG_GLOBAL" init.defaultBranch main
  unset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE
}

new_app() {
  git init -q "$1"
  printf '# app\n' > "$1/README.md"
  git -C "$1" add README.md
  git -C "$1" commit -q -m initial
}

expect_blocked_then_clean() {
  local before code
  before=$(git rev-list --count HEAD)
  printf 'lusha:\n  api_key: %s\n' "$key" > settings.yml
  git add settings.yml
  set +e
  git commit -m "settings" > "$work/commit-blocked.log" 2>&1
  code=$?
  set -e
  cat "$work/commit-blocked.log"
  [ "$code" -ne 0 ] || fail "git commit with a key went through"
  grep -qF "$redacted" "$work/commit-blocked.log" || fail "the redacted finding is not in the commit output"
  if grep -qF "$key" "$work/commit-blocked.log"; then fail "the full key appeared in the output"; fi
  [ "$(git rev-list --count HEAD)" = "$before" ] || fail "a commit was made"

  git rm -q --cached settings.yml
  rm settings.yml
  printf 'PORT=8080\n' > app.env
  git add app.env
  git commit -q -m "clean settings" || fail "a clean commit was blocked"
  [ "$(git rev-list --count HEAD)" = "$((before + 1))" ] || fail "the clean commit is missing"
}
