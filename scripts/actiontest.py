"""Shared parts of the GitHub Action tests (scripts/test-action.py, scripts/test-action-act.py).

- `check`: one printed line per assertion, failures collected for the exit status;
- `git`/`commit`/`make_history`: a real repository whose history adds a Lusha key and removes it;
- `build_release`: real release archives made by scripts/release/package.py (the release
  workflow's own packaging) from this checkout's release build, laid out like GitHub's
  `releases/download/v{version}/{asset}`; `tampered_copy` changes a byte after the checksum;
- `ReleaseServer`: a loopback HTTP server for those releases that records every request;
- `env_without_rust`: a PATH and HOME with no cargo, rustc or rustup, so an install that
  quietly fell back to building from source fails instead of passing.
"""
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "release"))
import package  # noqa: E402  (scripts/release/package.py)

VERSION = package.cargo_version(os.path.join(REPO, "Cargo.toml"))
# The simulated runners are Linux X64: version.sh maps that to this target.
TARGET = "x86_64-unknown-linux-musl"
ASSET = package.asset_name(VERSION, TARGET)
# Random UUID v4 made for these tests; Lusha never issued it.
KEY = "3c9a7e21-5b04-4d8f-a1c6-7e2f9b0d4a58"  # lushaguard:allow (test key)
REDACTED = KEY[:4] + "****-****-****-****-********" + KEY[-4:]
ZERO = "0" * 40
FAILURES = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        FAILURES.append(what)
    return cond


def finish(name):
    print()
    if FAILURES:
        print("%s: %d check(s) failed:" % (name, len(FAILURES)))
        for what in FAILURES:
            print("  - " + what)
        return 1
    print("%s: all checks passed" % name)
    return 0


def git(repo, *args, env=None):
    base = dict(os.environ, GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.com",
                GIT_COMMITTER_NAME="Dev", GIT_COMMITTER_EMAIL="dev@example.com",
                GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
    base.update(env or {})
    out = subprocess.run(["git", "-c", "commit.gpgsign=false", "-C", repo, *args],
                         check=True, capture_output=True, text=True, env=base)
    return out.stdout.strip()


def commit(repo, message, files=(), removed=()):
    for path, text in files:
        full = os.path.join(repo, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as fh:
            fh.write(text)
        git(repo, "add", path)
    for path in removed:
        git(repo, "rm", "-q", path)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def make_history(repo):
    """c1 initial, c2 adds .env with the key (line 2, column 15), c3 removes it, c4 docs."""
    os.makedirs(repo, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    c1 = commit(repo, "Initial commit", [("README.md", "# Prospector\n")])
    c2 = commit(repo, "Add enrichment settings", [(".env", "PORT=8080\nLUSHA_API_KEY=%s\n" % KEY)])
    c3 = commit(repo, "Remove the key again", removed=[".env"])
    c4 = commit(repo, "Docs", [("docs/setup.md", "Set LUSHA_API_KEY in your environment.\n")])
    return c1, c2, c3, c4


def release_binary():
    path = os.path.join(REPO, "target", "release", "lushaguard")
    if not os.path.isfile(path):
        raise SystemExit("no release build at %s: run `cargo build --release` first" % path)
    return path


def build_release(root):
    """Writes root/v{VERSION}/{ASSET} and its .sha256; returns the asset's path."""
    return package.package(release_binary(), TARGET, os.path.join(root, "v" + VERSION), VERSION)


def tampered_copy(root, dest):
    """A copy of the release in root whose archive has one byte changed after its checksum was
    written: what a compromised mirror or a corrupted download looks like to the installer."""
    shutil.copytree(root, dest)
    path = os.path.join(dest, "v" + VERSION, ASSET)
    with open(path, "r+b") as fh:
        fh.seek(-64, os.SEEK_END)  # inside the compressed stream, past the gzip header
        byte = fh.read(1)
        fh.seek(-64, os.SEEK_END)
        fh.write(bytes([byte[0] ^ 0xFF]))
    return path


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()


class ReleaseServer:
    """Serves a directory on 127.0.0.1 (a missing file is a 404, as on GitHub)."""

    def __init__(self, root):
        handler = functools.partial(_Handler, directory=root)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.requests = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.httpd.server_address[1]

    @property
    def requests(self):
        return self.httpd.requests

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


RUST_TOOLS = ("cargo", "rustc", "rustup")


def env_without_rust(home):
    """os.environ with no Rust toolchain reachable: PATH directories holding cargo, rustc or
    rustup are dropped, HOME is an empty directory (no ~/.cargo/bin), CARGO_HOME and
    RUSTUP_HOME are unset."""
    os.makedirs(home, exist_ok=True)
    env = dict(os.environ)
    keep = [d for d in env.get("PATH", "").split(os.pathsep)
            if d and not any(os.path.exists(os.path.join(d, t)) for t in RUST_TOOLS)]
    env["PATH"] = os.pathsep.join(keep)
    env["HOME"] = home
    for var in ("CARGO_HOME", "RUSTUP_HOME", "CARGO", "RUSTC", "CARGO_TARGET_DIR"):
        env.pop(var, None)
    # pyenv's shims find their root from HOME unless it is set: keep python3 working.
    if "PYENV_ROOT" not in env and os.path.isdir(os.path.expanduser("~/.pyenv")):
        env["PYENV_ROOT"] = os.path.expanduser("~/.pyenv")
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = os.devnull
    return env


def cargo_shim(directory, log):
    """A `cargo` that records its arguments in log, then runs the real cargo (with this
    machine's toolchain and this checkout's target directory, so a source build reuses the
    release build): proof of whether the installer built from source."""
    real = shutil.which("cargo") or os.path.expanduser("~/.cargo/bin/cargo")
    rustup_home = os.environ.get("RUSTUP_HOME", os.path.expanduser("~/.rustup"))
    cargo_home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    os.makedirs(directory, exist_ok=True)
    shim = os.path.join(directory, "cargo")
    with open(shim, "w") as fh:
        fh.write('#!/bin/sh\necho "cargo $*" >> "%s"\n' % log)
        fh.write('RUSTUP_HOME="%s" CARGO_HOME="%s" CARGO_TARGET_DIR="%s" exec "%s" "$@"\n'
                 % (rustup_home, cargo_home, os.path.join(REPO, "target"), real))
    os.chmod(shim, 0o755)
    return directory
