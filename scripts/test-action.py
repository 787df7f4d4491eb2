#!/usr/bin/env python3
"""Runs the GitHub Action (action.yml) without GitHub and checks what a workflow would see.

The action's metadata is validated against the GitHub action schema. Then each scenario runs
the action's steps as a runner would, in a simulated environment: GITHUB_EVENT_NAME,
GITHUB_EVENT_PATH (push and pull_request payloads), GITHUB_WORKSPACE (a real temporary
repository), GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_PATH, GITHUB_ACTION_PATH, RUNNER_TEMP,
RUNNER_OS/RUNNER_ARCH (Linux/X64). `run:` steps run with `bash --noprofile --norc -eo pipefail`;
`${{ }}` expressions in `env:`, `with:` and `if:` are resolved from the inputs and the earlier
steps' outputs and outcomes; a failed step skips the later steps unless their `if:` says
`always()`. `actions/cache/restore` and `actions/cache/save` are played by a directory cache that
persists across scenarios, as the cache of one repository does across runs. Shallow checkouts
are made the way actions/checkout makes them (`git fetch --depth=1` of one commit from a
`file://` remote that, like GitHub, serves commits by id), so the action's own fetching of the
range it needs is tested against a real remote.

The binary comes from a release served on 127.0.0.1 (LUSHAGUARD_DOWNLOAD_URL) with real archives
made by scripts/release/package.py, and the runner has no Rust toolchain on PATH. Checks: the
download and its checksum, the cache (a second run downloads nothing), a tampered archive
rejected before anything runs (and no build from source), a missing asset (HTTP 404) built from
source, annotations in the log, the job summary, the `findings` and `sarif-file` outputs, the
SARIF file, and the step's exit status.

    python3 scripts/test-action.py     (needs PyYAML, jsonschema and a release build; see test-action.sh)
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import jsonschema
import yaml

from actiontest import (ASSET, KEY, REPO, VERSION, ZERO, ReleaseServer, build_release,
                        cargo_shim, check, commit, env_without_rust, finish, git, make_history,
                        tampered_copy)
# A second random UUID v4 made for this test; Lusha never issued it.
FORK_KEY = "3c820abf-f24f-4643-b392-83d11c0e1555"  # lushaguard:allow (test key)
PR_KEY = "9e578aa1-c00f-452b-ab85-085e94672d34"  # lushaguard:allow (test key)

EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CACHE_KEY = "lushaguard-%s-x86_64-unknown-linux-musl" % VERSION


def value_of(expr, ctx):
    """The value of one context reference (inputs.x, steps.x.outputs.y, steps.x.outcome, ...)."""
    parts = expr.split(".")
    if parts[0] == "inputs":
        return str(ctx["inputs"][".".join(parts[1:])])
    if parts[0] == "steps":
        step = ctx["steps"].get(parts[1], {"outputs": {}, "outcome": ""})
        if parts[2] == "outputs":
            return step["outputs"].get(".".join(parts[3:]), "")
        if parts[2] in ("outcome", "conclusion"):
            return step["outcome"]
    if expr == "runner.os":
        return "Linux"
    if expr == "runner.arch":
        return "X64"
    if expr == "github.action_path":
        return REPO
    raise ValueError("unsupported expression in action.yml: " + expr)


def resolve(text, ctx):
    return EXPR.sub(lambda m: value_of(m.group(1), ctx), str(text))


def condition(text, ctx, failed):
    """Evaluates a step's `if:` the way the runner does, for the operators action.yml uses:
    always(), success(), failure(), &&, ||, !, ==, != on context references and 'strings'."""
    if text is None:
        return not failed
    expr = EXPR.sub(lambda m: m.group(1), str(text)).strip()
    uses_status = re.search(r"\b(always|success|failure|cancelled)\(\)", expr)
    tokens = re.findall(r"'(?:[^']|'')*'|&&|\|\||==|!=|!|\(|\)|[A-Za-z_][\w.-]*(?:\(\))?", expr)
    if "".join(tokens) != re.sub(r"\s+", "", expr):
        raise ValueError("unsupported if: " + text)
    out = []
    for tok in tokens:
        if tok.startswith("'"):
            out.append(repr(tok[1:-1].replace("''", "'")))
        elif tok in ("&&", "||", "!"):
            out.append({"&&": " and ", "||": " or ", "!": " not "}[tok])
        elif tok in ("==", "!=", "(", ")"):
            out.append(tok)
        elif tok == "always()":
            out.append("True")
        elif tok == "success()":
            out.append(repr(not failed))
        elif tok == "failure()":
            out.append(repr(failed))
        elif tok == "cancelled()":
            out.append("False")
        elif tok in ("true", "false"):
            out.append(repr(tok == "true"))
        else:
            out.append(repr(value_of(tok, ctx)))
    result = bool(eval("".join(out), {"__builtins__": {}}, {}))  # built from the tokens above only
    return result if uses_status else (result and not failed)


def read_outputs(path):
    out = {}
    with open(path) as fh:
        lines = fh.read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, delim = line.split("<<", 1)
            value = []
            i += 1
            while lines[i] != delim:
                value.append(lines[i])
                i += 1
            out[name] = "\n".join(value)
        elif "=" in line:
            name, value = line.split("=", 1)
            out[name] = value
        i += 1
    return out


def cache_step(uses, with_, store, log):
    """actions/cache/restore and /save over a directory: store/<key> holds a copy of `path`."""
    path, key = with_["path"], with_["key"]
    saved = os.path.join(store, key)
    if uses.startswith("actions/cache/restore@"):
        hit = os.path.isdir(saved)
        if hit:
            shutil.rmtree(path, ignore_errors=True)
            shutil.copytree(saved, path, symlinks=True)
        log.append("cache restore %s: %s\n" % (key, "hit" if hit else "miss"))
        return {"cache-hit": "true" if hit else "false"}
    if uses.startswith("actions/cache/save@"):
        if os.path.isdir(saved):
            log.append("cache save %s: already saved\n" % key)
        elif os.path.isdir(path):
            shutil.copytree(path, saved, symlinks=True)
            log.append("cache save %s: saved\n" % key)
        else:
            raise RuntimeError("cache save: %s does not exist" % path)
        return {}
    raise ValueError("no stand-in for uses: " + uses)


def run_action(action, runner):
    """Runs the action's steps; returns a dict with status, outputs, log, summary, timings."""
    defaults = {k: v.get("default", "") for k, v in action.get("inputs", {}).items()}
    ctx = {"inputs": dict(defaults, **runner["inputs"]), "steps": {}}
    tmp = runner["tmp"]
    event_path = os.path.join(tmp, "event.json")
    with open(event_path, "w") as fh:
        json.dump(runner["event"], fh)
    summary = os.path.join(tmp, "summary.md")
    gh_path = os.path.join(tmp, "path")
    runner_temp = os.path.join(tmp, "runner-temp")
    os.makedirs(runner_temp)
    open(summary, "w").close()
    open(gh_path, "w").close()
    log, timings, status, failed = [], {}, 0, False
    for n, step in enumerate(action["runs"]["steps"]):
        sid = step.get("id", "step-%d" % n)
        if not condition(step.get("if"), ctx, failed):
            log.append("(skipped %s)\n" % step.get("name", sid))
            ctx["steps"][sid] = {"outputs": {}, "outcome": "skipped"}
            continue
        started = time.monotonic()
        if "uses" in step:
            with_ = {k: resolve(v, ctx) for k, v in (step.get("with") or {}).items()}
            outputs = cache_step(step["uses"], with_, runner["cache"], log)
            ctx["steps"][sid] = {"outputs": outputs, "outcome": "success"}
            continue
        output_file = os.path.join(tmp, "output-%d" % n)
        open(output_file, "w").close()
        with open(gh_path) as fh:
            extra_path = [p for p in fh.read().splitlines() if p]
        env = dict(runner["env"])
        env.update({
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": runner["event_name"],
            "GITHUB_EVENT_PATH": event_path,
            "GITHUB_WORKSPACE": runner["workspace"],
            "GITHUB_OUTPUT": output_file,
            "GITHUB_STEP_SUMMARY": summary,
            "GITHUB_PATH": gh_path,
            "GITHUB_ACTION_PATH": REPO,
            "RUNNER_TEMP": runner_temp,
            "RUNNER_OS": "Linux",
            "RUNNER_ARCH": "X64",
            "PATH": os.pathsep.join(reversed(extra_path + [runner["env"]["PATH"]])),
        })
        for k, v in (step.get("env") or {}).items():
            env[k] = resolve(v, ctx)
        script = os.path.join(tmp, "step-%d.sh" % n)
        with open(script, "w") as fh:
            fh.write(step["run"])
        assert step.get("shell") == "bash", "steps must use bash"
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
                              cwd=runner["workspace"], env=env, capture_output=True, text=True)
        timings[sid] = time.monotonic() - started
        log.append(proc.stdout + proc.stderr)
        ctx["steps"][sid] = {"outputs": read_outputs(output_file),
                             "outcome": "success" if proc.returncode == 0 else "failure"}
        if proc.returncode != 0 and not failed:
            status, failed = proc.returncode, True
    outputs = {k: resolve(v["value"], ctx) for k, v in action.get("outputs", {}).items()}
    with open(summary) as fh:
        return {"status": status, "outputs": outputs, "log": "".join(log), "summary": fh.read(),
                "timings": timings, "steps": ctx["steps"], "runner_temp": runner_temp}


def main():
    with open(os.path.join(REPO, "action.yml")) as fh:
        action = yaml.safe_load(fh)
    with open(os.path.join(REPO, "tests", "schemas", "github-action.json")) as fh:
        schema = json.load(fh)
    try:
        jsonschema.validate(action, schema)
        check(True, "action.yml is valid against the GitHub action metadata schema")
    except jsonschema.ValidationError as e:
        check(False, "action.yml is valid against the schema: " + e.message)
    for step in action["runs"]["steps"]:
        if "run" in step:
            check("${{" not in step["run"], "no expressions inside run: (%s)" % step.get("name"))
    uses = [s["uses"] for s in action["runs"]["steps"] if "uses" in s]
    check(any(u.startswith("actions/cache/restore@") for u in uses)
          and any(u.startswith("actions/cache/save@") for u in uses),
          "the binary cache is restore + save (saves when the scan fails too)")
    with open(os.path.join(REPO, "scripts", "action", "version.sh")) as fh:
        check("git " not in fh.read(), "version.sh does not ask git (a downloaded action has no .git)")

    with tempfile.TemporaryDirectory() as tmp:
        repo = os.path.join(tmp, "repo")
        c1, c2, c3, c4 = make_history(repo)
        good, tampered, empty = (os.path.join(tmp, d) for d in ("good", "tampered", "empty"))
        build_release(good)
        tampered_copy(good, tampered)
        os.makedirs(empty)
        shim_log = os.path.join(tmp, "cargo-calls.log")
        open(shim_log, "w").close()
        no_rust = env_without_rust(os.path.join(tmp, "home"))
        with_cargo = dict(no_rust, PATH=cargo_shim(os.path.join(tmp, "shim"), shim_log)
                          + os.pathsep + no_rust["PATH"])
        cache = os.path.join(tmp, "cache")
        os.makedirs(cache)

        def scenario(event_name, event, inputs=None, server=None, env=None, store=cache,
                     workspace=None):
            work = tempfile.mkdtemp(dir=tmp)
            run_env = dict(env or no_rust)
            if server is not None:
                run_env["LUSHAGUARD_DOWNLOAD_URL"] = server.url
            return run_action(action, {"tmp": work, "workspace": workspace or repo,
                                       "event_name": event_name, "event": event,
                                       "inputs": inputs or {}, "env": run_env, "cache": store})

        def shallow_checkout(sha):
            """A depth-1 checkout of one commit, as actions/checkout makes it."""
            work = tempfile.mkdtemp(dir=tmp)
            git(work, "init", "-q")
            git(work, "remote", "add", "origin", "file://" + repo)
            git(work, "fetch", "-q", "--no-tags", "--depth=1", "origin",
                "+%s:refs/remotes/origin/checkout" % sha)
            git(work, "checkout", "-q", "--detach", sha)
            check(git(work, "rev-parse", "--is-shallow-repository") == "true",
                  "the checkout of %s is shallow" % sha[:8])
            return work

        def cargo_calls():
            with open(shim_log) as fh:
                return fh.read()

        with ReleaseServer(good) as server:
            # First run of a repository: empty cache, the binary comes from the release.
            r = scenario("push", {"before": c1, "after": c4}, server=server)
            print("      (install from the loopback release: %.2f s; whole action: %.2f s)"
                  % (r["timings"].get("install", -1), sum(r["timings"].values())))
            check("SHA-256" in r["log"] and "installed from the release" in r["log"],
                  "push: the binary was downloaded and its checksum verified")
            check("/v%s/%s.sha256" % (VERSION, ASSET) in server.requests
                  and "/v%s/%s" % (VERSION, ASSET) in server.requests,
                  "push: the asset and its .sha256 were fetched from LUSHAGUARD_DOWNLOAD_URL/v%s/" % VERSION)
            check(os.path.isdir(os.path.join(cache, CACHE_KEY)),
                  "push: the binary was cached under %s although the scan failed" % CACHE_KEY)
            check(r["status"] == 1, "push with a leaked key in the range fails the step (status %d)" % r["status"])
            check(r["outputs"]["findings"] == "1", "push: findings output is 1 (got %r)" % r["outputs"]["findings"])
            check(r["outputs"]["sarif-file"] == "lushaguard.sarif", "push: sarif-file output names the SARIF file")
            check(re.search(r"^::error file=\.env,line=2,col=15", r["log"], re.M) is not None,
                  "push: an error annotation points at .env:2:15")
            check(KEY not in r["log"] and KEY not in r["summary"], "push: the key appears in no log or summary")
            check(".env" in r["summary"], "push: the job summary lists the finding")
            sarif_path = os.path.join(repo, "lushaguard.sarif")
            check(os.path.isfile(sarif_path), "push: lushaguard.sarif was written")
            if os.path.isfile(sarif_path):
                with open(sarif_path) as fh:
                    sarif = fh.read()
                check(KEY not in sarif, "push: the key is not in the SARIF file")
                check(json.loads(sarif)["runs"][0]["results"][0]["ruleId"] == "lusha-api-key",
                      "push: the SARIF result names the rule")
                os.remove(sarif_path)

            # The next run restores the binary from the cache: no download at all.
            before = len(server.requests)
            r = scenario("push", {"before": ZERO, "after": c4}, server=server)
            check("restored from the cache" in r["log"] and len(server.requests) == before,
                  "second run: the binary comes from the cache, nothing is downloaded")
            check(r["steps"]["restore"]["outputs"].get("cache-hit") == "true", "second run: cache-hit is true")
            check(r["status"] == 1 and r["outputs"]["findings"] == "1", "new branch push scans the whole branch")

            # A pull request whose commits do not touch the key passes.
            r = scenario("pull_request", {"pull_request": {"base": {"sha": c3}, "head": {"sha": c4}}}, server=server)
            check(r["status"] == 0, "pull request without new keys passes (status %d)" % r["status"])
            check(r["outputs"]["findings"] == "0", "pull request: findings output is 0")
            check("No Lusha API keys found" in r["summary"], "pull request: the summary says nothing was found")

            # A pull request that adds the key fails.
            r = scenario("pull_request", {"pull_request": {"base": {"sha": c1}, "head": {"sha": c2}}}, server=server)
            check(r["status"] == 1 and r["outputs"]["findings"] == "1", "pull request adding a key fails")

            # Files mode sees only the working tree: the key is gone from HEAD.
            r = scenario("workflow_dispatch", {}, {"mode": "files", "sarif": "false"}, server=server)
            check(r["status"] == 0 and r["outputs"]["findings"] == "0", "files mode on a clean tree passes")
            check(r["outputs"]["sarif-file"] == "", "sarif: false leaves sarif-file empty")

            # Whole-history mode, with extra args passed through.
            r = scenario("schedule", {}, {"mode": "git", "args": "--min-confidence high"}, server=server)
            check(r["status"] == 1 and r["outputs"]["findings"] == "1", "git mode finds the key in history")

            # A pull request from a fork that adds a key together with its own suppression: the
            # fingerprint in .lushaguardignore, the value in `allow`, and `.env` in `exclude`. The
            # settings come from the base, so it fails, and the edit is flagged.
            fingerprint = hashlib.sha256(FORK_KEY.encode()).hexdigest()
            git(repo, "checkout", "-q", "-b", "fork-pr", c4)
            f1 = commit(repo, "Add enrichment settings", [
                (".env", "LUSHA_API_KEY=%s\n" % FORK_KEY),
                (".lushaguardignore", "%s\n" % fingerprint),
                (".lushaguard.toml", 'allow = ["%s"]\nexclude = [".env"]\n' % fingerprint),
            ])
            fork_event = {"pull_request": {"base": {"sha": c4},
                                           "head": {"sha": f1, "repo": {"fork": True}}}}
            r = scenario("pull_request", fork_event, server=server)
            check(r["status"] == 1,
                  "fork pull request adding a key and its own suppression fails (status %d)" % r["status"])
            check(r["outputs"]["findings"] == "1", "fork: findings output is 1 (got %r)" % r["outputs"]["findings"])
            check(re.search(r"^::error file=\.env,line=1,col=15", r["log"], re.M) is not None,
                  "fork: an error annotation points at .env:1:15")
            check(re.search(r"^::warning title=lushaguard%3A this change edits suppression settings::.*"
                            r"\.lushaguard\.toml \(added\).*\.lushaguardignore \(added\)", r["log"], re.M)
                  is not None,
                  "fork: a warning annotation lists the suppression settings the change edits")
            check("edits suppression settings" in r["summary"], "fork: the job summary says so too")
            check(FORK_KEY not in r["log"] and FORK_KEY not in r["summary"],
                  "fork: the key appears in no log or summary")
            git(repo, "checkout", "-q", "main")

            # An inline allow mark the change adds: honoured by default, not with strict: true.
            git(repo, "checkout", "-q", "-b", "marked-pr", c4)
            m1 = commit(repo, "Add a sample",
                        [("sample.env", "LUSHA_API_KEY=%s # lushaguard:allow\n" % FORK_KEY)])
            marked = {"pull_request": {"base": {"sha": c4}, "head": {"sha": m1}}}
            r = scenario("pull_request", marked, server=server)
            check(r["status"] == 0, "a pull request with an allow mark passes by default (status %d)" % r["status"])
            r = scenario("pull_request", marked, {"strict": "true"}, server=server)
            check(r["status"] == 1 and r["outputs"]["findings"] == "1",
                  "strict: true fails a pull request whose allow mark is new (status %d)" % r["status"])
            # The same fork pull request scanned as files (mode: files): there is no base to
            # read settings from, and its own suppression settings are not used either.
            git(repo, "checkout", "-q", "fork-pr")
            r = scenario("pull_request", fork_event, {"mode": "files"}, server=server)
            check(r["status"] == 1 and r["outputs"]["findings"] == "1",
                  "a fork pull request scanned as files still fails (status %d)" % r["status"])
            check("suppression settings (.lushaguard.toml, .lushaguardignore) are not used" in r["log"],
                  "fork-files: a warning says why")
            # Pushed as a new branch, the same commit has no base either: its own suppression
            # settings are not used, and the push fails.
            r = scenario("push", {"before": ZERO, "after": f1}, server=server)
            # The whole branch's history: the earlier key of c2 and the fork's key.
            check(r["status"] == 1 and r["outputs"]["findings"] == "2",
                  "a new branch that adds a key and its own suppression fails (status %d, findings %r)"
                  % (r["status"], r["outputs"]["findings"]))
            check("suppression settings (.lushaguard.toml, .lushaguardignore) are not used" in r["log"],
                  "new branch: a warning says its own suppression settings are not used")

            # Back to main, without the pull requests' branches (their commits are not history).
            git(repo, "checkout", "-q", "main")
            git(repo, "branch", "-q", "-D", "fork-pr", "marked-pr")

            # A pull request branch off c4 that adds a key and takes it out again; GitHub checks
            # out the merge commit (refs/pull/1/merge) at depth 1 by default.
            git(repo, "checkout", "-q", "-b", "topic", c4)
            commit(repo, "Try the enrichment client", [("client.env", "LUSHA_API_KEY=%s\n" % PR_KEY)])
            p2 = commit(repo, "Oops, remove the key", removed=["client.env"])
            git(repo, "checkout", "-q", "main")
            c5 = commit(repo, "More docs", [("docs/more.md", "More.\n")])
            git(repo, "checkout", "-q", "--detach", c5)
            git(repo, "merge", "-q", "--no-ff", "-m", "Merge topic into main", p2)
            merge = git(repo, "rev-parse", "HEAD")
            git(repo, "update-ref", "refs/pull/1/merge", merge)
            git(repo, "checkout", "-q", "main")
            git(repo, "config", "uploadpack.allowReachableSHA1InWant", "true")

            # Depth-1 checkouts: the action fetches what the range needs instead of narrowing.
            pr_event = {"pull_request": {"base": {"sha": c5}, "head": {"sha": p2}}}
            r = scenario("pull_request", pr_event, server=server, workspace=shallow_checkout(merge))
            check(r["status"] == 1 and r["outputs"]["findings"] == "1",
                  "a pull request that added a key and removed it fails with a depth-1 checkout "
                  "(status %d, findings %r)" % (r["status"], r["outputs"]["findings"]))
            check(re.search(r"^::error file=client\.env,line=1", r["log"], re.M) is not None,
                  "shallow pull request: the annotation points at the key in the PR's first commit")
            check("lushaguard scan" not in r["log"], "shallow pull request: no fallback to a files scan")

            r = scenario("push", {"before": c1, "after": c4}, server=server,
                         workspace=shallow_checkout(c4))
            check(r["status"] == 1 and r["outputs"]["findings"] == "1",
                  "a push whose range added and removed a key fails with a depth-1 checkout "
                  "(status %d)" % r["status"])

            r = scenario("push", {"before": ZERO, "after": c4}, server=server,
                         workspace=shallow_checkout(c4))
            check(r["status"] == 1 and r["outputs"]["findings"] == "1",
                  "a new branch pushed with a depth-1 checkout has its whole history scanned "
                  "(status %d)" % r["status"])

            r = scenario("schedule", {}, {"mode": "git"}, server=server, workspace=shallow_checkout(c5))
            check(r["status"] == 1,
                  "mode git on a depth-1 checkout fetches all history and finds the key "
                  "(status %d)" % r["status"])

            missing = "1234567890abcdef1234567890abcdef12345678"
            r = scenario("pull_request", {"pull_request": {"base": {"sha": missing}, "head": {"sha": p2}}},
                         server=server, workspace=shallow_checkout(merge))
            check(r["status"] == 2,
                  "a pull request base that cannot be fetched fails the step with status 2 "
                  "(got %d)" % r["status"])
            check(re.search(r"^::error title=lushaguard::cannot fetch the pull request's base commit "
                            + missing, r["log"], re.M) is not None,
                  "unfetchable base: a clear error names the commit")
            check("lushaguard scan" not in r["log"], "unfetchable base: no fallback to a files scan")

            no_remote = shallow_checkout(merge)
            git(no_remote, "remote", "remove", "origin")
            r = scenario("pull_request", pr_event, server=server, workspace=no_remote)
            check(r["status"] == 2 and "no git remote" in r["log"],
                  "a shallow checkout without a remote fails with an error, not a files scan "
                  "(status %d)" % r["status"])

            # A bad mode is an error, not a pass.
            r = scenario("push", {"before": c1, "after": c4}, {"mode": "everything"}, server=server)
            check(r["status"] == 2, "an unknown mode fails with status 2")
            check(len(server.requests) == before, "every run after the first used the cached binary")

        # A tampered archive: the checksum check fails the step before anything from it runs, no
        # fallback build happens (cargo is on PATH, and is not called), nothing is cached.
        fresh = os.path.join(tmp, "cache-tampered")
        os.makedirs(fresh)
        with ReleaseServer(tampered) as server:
            r = scenario("push", {"before": c1, "after": c4}, server=server, env=with_cargo, store=fresh)
        check(r["status"] == 2, "tampered archive: the step fails (status %d)" % r["status"])
        check("checksum mismatch for %s" % ASSET in r["log"], "tampered archive: the log says checksum mismatch")
        check(r["steps"]["scan"]["outcome"] == "skipped" and "lushaguard git" not in r["log"],
              "tampered archive: the scan never ran")
        check(not os.listdir(fresh), "tampered archive: nothing was saved to the cache")
        check(not os.path.exists(os.path.join(r["runner_temp"], "lushaguard-%s" % VERSION, "bin", "lushaguard")),
              "tampered archive: no binary was installed")
        check(cargo_calls() == "", "tampered archive: no build from source was attempted")

        # No answer from the release server: an error, not a silent build from source.
        with ReleaseServer(good) as server:
            dead = server.url
        r = scenario("push", {"before": c1, "after": c4}, env=dict(with_cargo, LUSHAGUARD_DOWNLOAD_URL=dead),
                     store=fresh)
        check(r["status"] == 2 and "could not download" in r["log"] and cargo_calls() == "",
              "release server down: the step fails without building from source")

        # No asset for this version (HTTP 404): the action builds from its own source.
        with ReleaseServer(empty) as server:
            r = scenario("push", {"before": c1, "after": c4}, server=server, env=with_cargo, store=fresh)
        check("HTTP 404" in r["log"] and "built from source" in r["log"],
              "no release asset (404): built from source (%s)" % r["log"].strip().splitlines()[-1:])
        check("cargo install --locked" in cargo_calls(), "no release asset: cargo install --locked ran")
        check(r["status"] == 1 and r["outputs"]["findings"] == "1", "no release asset: the scan still runs")

    return finish("test-action")


if __name__ == "__main__":
    sys.exit(main())
