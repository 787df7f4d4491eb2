#!/usr/bin/env python3
"""Runs the GitHub Action (action.yml) without GitHub and checks what a workflow would see.

The action's metadata is validated against the GitHub action schema. Then each scenario runs
the action's `run:` steps with bash, as a runner would (`bash --noprofile --norc -eo pipefail`),
in a simulated environment: GITHUB_EVENT_NAME, GITHUB_EVENT_PATH (push and pull_request
payloads), GITHUB_WORKSPACE (a real temporary repository), GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
GITHUB_PATH and GITHUB_ACTION_PATH. `${{ }}` expressions in step `env:` values and in the
action's outputs are resolved from the inputs and the earlier steps' outputs. `uses:` steps
(the binary cache) are skipped, as on a cache miss. The checks: annotations in the log, the job
summary, the `findings` and `sarif-file` outputs, the SARIF file, and the step's exit status.
Shallow checkouts are made the way actions/checkout makes them (`git fetch --depth=1` of one
commit from a `file://` remote that, like GitHub, serves commits by id), so the action's own
fetching of the range it needs is tested against a real remote.

    python3 scripts/test-action.py            (needs PyYAML and jsonschema; see test-action.sh)
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
# Random UUID v4s made for this test; Lusha never issued them.
KEY = "3c9a7e21-5b04-4d8f-a1c6-7e2f9b0d4a58"  # lushaguard:allow (test key)
PR_KEY = "9e578aa1-c00f-452b-ab85-085e94672d34"  # lushaguard:allow (test key)
ZERO = "0" * 40
FAILURES = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what)
    if not cond:
        FAILURES.append(what)


def git(repo, *args, env=None):
    base = dict(os.environ, GIT_AUTHOR_NAME="Dev", GIT_AUTHOR_EMAIL="dev@example.com",
                GIT_COMMITTER_NAME="Dev", GIT_COMMITTER_EMAIL="dev@example.com")
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


EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def resolve(text, ctx):
    def one(m):
        expr = m.group(1)
        parts = expr.split(".")
        if parts[0] == "inputs":
            return str(ctx["inputs"][".".join(parts[1:])])
        if parts[0] == "steps" and parts[2] == "outputs":
            return ctx["steps"].get(parts[1], {}).get(parts[3], "")
        if expr == "runner.os":
            return "Linux"
        if expr == "runner.arch":
            return "X64"
        if expr == "github.action_path":
            return REPO
        raise ValueError("unsupported expression in action.yml: " + expr)
    return EXPR.sub(one, str(text))


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


def run_action(action, workspace, event_name, event, inputs, tmp):
    """Runs the action's steps; returns (exit status, outputs, log, summary)."""
    defaults = {k: v.get("default", "") for k, v in action.get("inputs", {}).items()}
    ctx = {"inputs": dict(defaults, **inputs), "steps": {}}
    event_path = os.path.join(tmp, "event.json")
    with open(event_path, "w") as fh:
        json.dump(event, fh)
    summary = os.path.join(tmp, "summary.md")
    gh_path = os.path.join(tmp, "path")
    open(summary, "w").close()
    open(gh_path, "w").close()
    log = []
    status = 0
    for n, step in enumerate(action["runs"]["steps"]):
        if "uses" in step:
            log.append("(skipped %s: simulated cache miss)\n" % step["uses"])
            continue
        output_file = os.path.join(tmp, "output-%d" % n)
        open(output_file, "w").close()
        with open(gh_path) as fh:
            extra_path = [p for p in fh.read().splitlines() if p]
        env = dict(os.environ)
        env.update({
            "GITHUB_ACTIONS": "true",
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": event_path,
            "GITHUB_WORKSPACE": workspace,
            "GITHUB_OUTPUT": output_file,
            "GITHUB_STEP_SUMMARY": summary,
            "GITHUB_PATH": gh_path,
            "GITHUB_ACTION_PATH": REPO,
            "RUNNER_TEMP": tmp,
            "LUSHAGUARD_HOME": os.path.join(tmp, "lushaguard-home"),
            # Reuse this checkout's release build instead of compiling again.
            "CARGO_TARGET_DIR": os.path.join(REPO, "target"),
            "PATH": os.pathsep.join(reversed(extra_path)) + os.pathsep + os.environ["PATH"],
        })
        for k, v in (step.get("env") or {}).items():
            env[k] = resolve(v, ctx)
        script = os.path.join(tmp, "step-%d.sh" % n)
        with open(script, "w") as fh:
            fh.write(step["run"])
        shell = step.get("shell")
        assert shell == "bash", "steps must use bash"
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", script],
                              cwd=workspace, env=env, capture_output=True, text=True)
        log.append(proc.stdout + proc.stderr)
        if "id" in step:
            ctx["steps"][step["id"]] = read_outputs(output_file)
        if proc.returncode != 0:
            status = proc.returncode
            break
    outputs = {k: resolve(v["value"], ctx) for k, v in action.get("outputs", {}).items()}
    with open(summary) as fh:
        return status, outputs, "".join(log), fh.read()


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

    with tempfile.TemporaryDirectory() as tmp:
        repo = os.path.join(tmp, "repo")
        os.makedirs(repo)
        git(repo, "init", "-q", "-b", "main")
        c1 = commit(repo, "Initial commit", [("README.md", "# Prospector\n")])
        c2 = commit(repo, "Add enrichment settings", [(".env", "PORT=8080\nLUSHA_API_KEY=%s\n" % KEY)])
        c3 = commit(repo, "Remove the key again", removed=[".env"])
        c4 = commit(repo, "Docs", [("docs/setup.md", "Set LUSHA_API_KEY in your environment.\n")])

        def scenario(name, event_name, event, inputs=None, workspace=None):
            work = tempfile.mkdtemp(dir=tmp)
            return run_action(action, workspace or repo, event_name, event, inputs or {}, work)

        def shallow_checkout(sha):
            """A depth-1 checkout of one commit, as actions/checkout makes it."""
            work = tempfile.mkdtemp(dir=tmp)
            git(work, "init", "-q")
            git(work, "remote", "add", "origin", "file://" + repo)
            git(work, "fetch", "-q", "--no-tags", "--depth=1", "origin", "+%s:refs/remotes/origin/checkout" % sha)
            git(work, "checkout", "-q", "--detach", sha)
            check(git(work, "rev-parse", "--is-shallow-repository") == "true", "the checkout of %s is shallow" % sha[:8])
            return work

        # A push whose range brings the key in (and takes it out again): history finds it.
        status, outputs, log, summary = scenario("push", "push", {"before": c1, "after": c4})
        check(status == 1, "push with a leaked key in the range fails the step (status %d)" % status)
        check(outputs["findings"] == "1", "push: findings output is 1 (got %r)" % outputs["findings"])
        check(outputs["sarif-file"] == "lushaguard.sarif", "push: sarif-file output names the SARIF file")
        check(re.search(r"^::error file=\.env,line=2,col=15", log, re.M) is not None,
              "push: an error annotation points at .env:2:15")
        check(KEY not in log and KEY not in summary, "push: the key appears in no log or summary")
        check("| `.env`" in summary or ".env" in summary, "push: the job summary lists the finding")
        sarif_path = os.path.join(repo, "lushaguard.sarif")
        check(os.path.isfile(sarif_path), "push: lushaguard.sarif was written")
        if os.path.isfile(sarif_path):
            with open(sarif_path) as fh:
                sarif = fh.read()
            check(KEY not in sarif, "push: the key is not in the SARIF file")
            check(json.loads(sarif)["runs"][0]["results"][0]["ruleId"] == "lusha-api-key",
                  "push: the SARIF result names the rule")
            os.remove(sarif_path)

        # A new branch (all-zero before) scans the whole branch.
        status, outputs, log, _ = scenario("new-branch", "push", {"before": ZERO, "after": c4})
        check(status == 1 and outputs["findings"] == "1", "new branch push scans the whole branch")

        # A pull request whose commits do not touch the key passes.
        status, outputs, log, summary = scenario(
            "pull_request", "pull_request",
            {"pull_request": {"base": {"sha": c3}, "head": {"sha": c4}}})
        check(status == 0, "pull request without new keys passes (status %d)" % status)
        check(outputs["findings"] == "0", "pull request: findings output is 0")
        check("No Lusha API keys found" in summary, "pull request: the summary says nothing was found")

        # A pull request that adds the key fails.
        status, outputs, _, _ = scenario(
            "pull_request-leak", "pull_request",
            {"pull_request": {"base": {"sha": c1}, "head": {"sha": c2}}})
        check(status == 1 and outputs["findings"] == "1", "pull request adding a key fails")

        # Files mode sees only the working tree: the key is gone from HEAD.
        status, outputs, _, _ = scenario("files", "workflow_dispatch", {}, {"mode": "files", "sarif": "false"})
        check(status == 0 and outputs["findings"] == "0", "files mode on a clean tree passes")
        check(outputs["sarif-file"] == "", "sarif: false leaves sarif-file empty")

        # Whole-history mode, with extra args passed through.
        status, outputs, log, _ = scenario("git", "schedule", {}, {"mode": "git", "args": "--min-confidence high"})
        check(status == 1 and outputs["findings"] == "1", "git mode finds the key in history")

        # A pull request branch off c4 that adds a key and takes it out again; GitHub checks out
        # the merge commit (refs/pull/1/merge) at depth 1 by default.
        git(repo, "checkout", "-q", "-b", "topic", c4)
        p1 = commit(repo, "Try the enrichment client", [("client.env", "LUSHA_API_KEY=%s\n" % PR_KEY)])
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
        status, outputs, log, _ = scenario("shallow-pr", "pull_request", pr_event,
                                           workspace=shallow_checkout(merge))
        check(status == 1 and outputs["findings"] == "1",
              "a pull request that added a key and removed it fails with a depth-1 checkout (status %d, findings %r)"
              % (status, outputs["findings"]))
        check(re.search(r"^::error file=client\.env,line=1", log, re.M) is not None,
              "shallow pull request: the annotation points at the key in the PR's first commit")
        check("lushaguard scan" not in log, "shallow pull request: no fallback to a files scan")

        status, outputs, log, _ = scenario("shallow-push", "push", {"before": c1, "after": c4},
                                           workspace=shallow_checkout(c4))
        check(status == 1 and outputs["findings"] == "1",
              "a push whose range added and removed a key fails with a depth-1 checkout (status %d)" % status)

        status, outputs, log, _ = scenario("shallow-new-branch", "push", {"before": ZERO, "after": c4},
                                           workspace=shallow_checkout(c4))
        check(status == 1 and outputs["findings"] == "1",
              "a new branch pushed with a depth-1 checkout has its whole history scanned (status %d)" % status)

        status, outputs, log, _ = scenario("shallow-git-mode", "schedule", {}, {"mode": "git"},
                                           workspace=shallow_checkout(c5))
        check(status == 1, "mode git on a depth-1 checkout fetches all history and finds the key (status %d)" % status)

        missing = "1234567890abcdef1234567890abcdef12345678"
        status, outputs, log, _ = scenario(
            "unfetchable-base", "pull_request",
            {"pull_request": {"base": {"sha": missing}, "head": {"sha": p2}}},
            workspace=shallow_checkout(merge))
        check(status == 2, "a pull request base that cannot be fetched fails the step with status 2 (got %d)" % status)
        check(re.search(r"^::error title=lushaguard::cannot fetch the pull request's base commit " + missing, log, re.M)
              is not None, "unfetchable base: a clear error names the commit")
        check("lushaguard scan" not in log, "unfetchable base: no fallback to a files scan")

        no_remote = shallow_checkout(merge)
        git(no_remote, "remote", "remove", "origin")
        status, _, log, _ = scenario("no-remote", "pull_request", pr_event, workspace=no_remote)
        check(status == 2 and "no git remote" in log,
              "a shallow checkout without a remote fails with an error, not a files scan (status %d)" % status)

        # A bad mode is an error, not a pass.
        status, _, log, _ = scenario("bad-mode", "push", {"before": c1, "after": c4}, {"mode": "everything"})
        check(status == 2, "an unknown mode fails with status 2")

    print()
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("all action checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
