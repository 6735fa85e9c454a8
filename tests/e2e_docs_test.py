"""Docs are executable: every fenced block of README.md and docs/**/*.md is run against a real,
throw-away `telecollect serve`, so that a doc that drifts from the code fails `make test`.

Marker convention. The line right above each opening fence is an HTML comment (invisible once
rendered) saying what the block is and how it is checked:

    <!-- doc-test: KIND ARGS -->

A fence without one fails this test: no block is left out silently. Kinds:

  sh [exit=N]           bash -euo pipefail in the page's work dir: `telecollect` is the binary with
                        the test config, $TOKEN an acme/preprod token, http://127.0.0.1:8080 the
                        test server, $ACME_KEY_PASSPHRASE set. Exit 0 (or N) is required.
  transcript            lines `$ CMD` are run as sh; the lines after each are its expected output.
  output CMD            the block is the expected output of CMD (run as sh).
                        In both, a line `...` matches any number of lines.
  file PATH [encoding=E] [mode=OCTAL]
                        the block is written to PATH in the page's work dir (read by later blocks).
  same-as PATH          the block equals the repository file PATH (after leading comment lines).
  config                a whole config file: loaded by `telecollect --config F decoders`.
  decoder               a decoder spec: `telecollect decode --spec F` (syntax and test vectors).
  envelope BODY         an envelope file: `telecollect envelope try` on the work file BODY, which must
                        give at least one frame.
  profile SAMPLE [readings=N]
                        a files profile: `telecollect validate --profile F SAMPLE` must import the work
                        file SAMPLE whole.
  connector NAME        a connector file, written as connectors/NAME.toml: `telecollect connector list`
                        must load it.
  push SOURCE [pending=N] [measurements=M]
                        a body POSTed to /v1/push/SOURCE: 200, nothing failed, N frames (default 0)
                        pending, at least one measurement (or exactly M).
  http                  a raw HTTP request (`<token>` replaced), sent as written: the same checks as push.
  paths                 every `dir/` or `dir/sub` word that starts a column names an existing path.
  skip REASON           not run (a diagram, a command that changes the machine's accounts): counted
                        and printed with its reason.

In sh blocks the documented placeholder token tc_pre_Xx… is the page's token too. A comment
`<!-- doc-test: tenant NAME -->` not above a fence makes $TOKEN a token of tenant NAME for the
rest of the page (the README's tour uses tenant demo). Every work dir also has the README's paths:
build/src/cli/telecollect (the binary), data/telecollect.toml (the test config) and src/.

A comment of several lines, `<!-- doc-test: file PATH` then the content then `-->`, is a hidden
setup file (a sample the page describes in words). Every page has its own work dir; all share
one server and data dir.
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, SOURCE_DIR, Server  # noqa: E402

FENCE = re.compile(r"^( *)(```+|~~~+)(.*)$")  # indented fences too (in list items)
MARKER = re.compile(r"^ *<!--\s*doc-test:\s*(.*?)\s*-->\s*$")
HIDDEN_START = re.compile(r"^ *<!--\s*doc-test:\s*(file\s+\S+.*?)\s*$")
PLACEHOLDER_TOKEN = "tc_pre_Xx…"  # how the docs write a token: replaced by the page's token in sh blocks


class Block:
    def __init__(self, page, line, lang, directive, text):
        self.page, self.line, self.lang, self.directive, self.text = page, line, lang, directive, text

    def where(self):
        return f"{os.path.relpath(self.page, SOURCE_DIR)}:{self.line}"


def parse_page(path):
    """The page's fenced blocks and hidden files, in order. A fence without a marker has directive None."""
    lines = open(path, encoding="utf-8").read().split("\n")
    out, i = [], 0
    while i < len(lines):
        hidden = HIDDEN_START.match(lines[i])
        if hidden and not lines[i].rstrip().endswith("-->"):
            end = i + 1
            while end < len(lines) and lines[end].strip() != "-->":
                end += 1
            if end == len(lines):
                raise AssertionError(f"{path}:{i + 1}: hidden doc-test file never closed by a line '-->'")
            out.append(Block(path, i + 1, "", hidden.group(1), "\n".join(lines[i + 1:end]) + "\n"))
            i = end + 1
            continue
        fence = FENCE.match(lines[i])
        if fence:
            indent, ticks = fence.group(1), fence.group(2)
            marker = MARKER.match(lines[i - 1]) if i > 0 else None
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith(ticks):
                end += 1
            if end == len(lines):
                raise AssertionError(f"{path}:{i + 1}: fence never closed")
            body = [l[len(indent):] if l.startswith(indent) else l.lstrip() for l in lines[i + 1:end]]
            out.append(Block(path, i + 1, fence.group(3).strip(), marker.group(1) if marker else None,
                             "\n".join(body) + "\n"))
            i = end + 1
            continue
        page = MARKER.match(lines[i])
        if page and page.group(1).startswith("tenant "):
            out.append(Block(path, i + 1, "", page.group(1), ""))
        i += 1
    return out


def uncommented(text):
    """The text without its leading comment lines (a file's header, a block's "# path" line)."""
    lines = text.split("\n")
    while lines and lines[0].startswith("#"):
        lines = lines[1:]
    return "\n".join(lines)


def match_output(expected, actual):
    """Expected lines equal actual ones (trailing spaces aside); a line `...` matches any run of lines."""
    exp = [l.rstrip() for l in expected.rstrip("\n").split("\n")]
    act = [l.rstrip() for l in actual.rstrip("\n").split("\n")]

    def go(e, a):
        if e == len(exp):
            return a == len(act)
        if exp[e] == "...":
            return any(go(e + 1, k) for k in range(a, len(act) + 1))
        return a < len(act) and exp[e] == act[a] and go(e + 1, a + 1)
    return go(0, 0)


class Runner:
    def __init__(self, root):
        self.root = root
        self.data = os.path.join(root, "data")
        os.makedirs(self.data)
        # The server loads the repository's decoders and the example envelopes of docs/examples/envelopes,
        # as the platform pages tell an operator to install them.
        extra = os.path.join(root, "extra-decoders")
        shutil.copytree(os.path.join(SOURCE_DIR, "docs/examples/envelopes"), os.path.join(extra, "envelopes"),
                        ignore=shutil.ignore_patterns("*.sample.*"))
        with open(os.path.join(self.data, "telecollect.toml"), "w") as f:
            f.write(f'data_dir = "{self.data}"\n[decoders]\ndirs = ["{SOURCE_DIR}/decoders", "{extra}"]\n'
                    f'[files]\nscheduler = false\n')
        self.server = Server(data_dir=self.data)
        self.token = self.server.token("acme", "preprod")
        self.server.start()
        self.ran, self.skipped, self.failures = 0, [], []
        self.page_tokens = {}
        self.page_tenant = {}
        self.sh_tokens = {}

    def page_token(self, page):
        """Every page pushes as its own tenant: the platform pages' examples share a device and an
        instant, and would otherwise be duplicates of one another."""
        if page not in self.page_tokens:
            self.page_tokens[page] = self.server.cli(
                "token", "create", "--tenant", f"docs{len(self.page_tokens)}", "--env", "preprod").stdout.strip()
        return self.page_tokens[page]

    def close(self):
        self.server.stop()

    def workdir(self, page):
        name = os.path.relpath(page, SOURCE_DIR).replace("/", "_").replace(".md", "")
        work = os.path.join(self.root, name)
        if not os.path.exists(work):
            os.makedirs(os.path.join(work, "bin"))
            os.makedirs(os.path.join(work, "connectors"))
            with open(os.path.join(work, "telecollect.toml"), "w") as f:
                f.write(f'data_dir = "{self.data}"\n[decoders]\ndirs = ["{SOURCE_DIR}/decoders"]\n'
                        f'[files]\nconnectors_dirs = ["{work}/connectors"]\nscheduler = false\n'
                        f'secrets_file = "{work}/secrets.toml"\n')
            wrapper = os.path.join(work, "bin", "telecollect")
            with open(wrapper, "w") as f:
                f.write(f'#!/bin/sh\nexec "{os.path.abspath(BIN)}" --config "{work}/telecollect.toml" "$@"\n')
            os.chmod(wrapper, 0o755)
            # The README runs the binary by its build path, with --config data/telecollect.toml, on
            # files under src/: the same paths exist in every work dir.
            os.makedirs(os.path.join(work, "build", "src", "cli"))
            os.symlink(os.path.abspath(BIN), os.path.join(work, "build", "src", "cli", "telecollect"))
            os.makedirs(os.path.join(work, "data"))
            shutil.copy(os.path.join(work, "telecollect.toml"), os.path.join(work, "data", "telecollect.toml"))
            os.symlink(os.path.join(os.path.abspath(SOURCE_DIR), "src"), os.path.join(work, "src"))
        return work

    def sh(self, work, script, page=None):
        env = self.env(work, page)
        script = script.replace("http://127.0.0.1:8080", self.server.url("")).replace(PLACEHOLDER_TOKEN, env["TOKEN"])
        return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, env=env,
                              capture_output=True, text=True, timeout=120)

    def sh_token(self, page):
        """$TOKEN of a page's sh blocks: preprod, of the tenant the page names (acme by default)."""
        tenant = self.page_tenant.get(page, "acme")
        if tenant not in self.sh_tokens:
            self.sh_tokens[tenant] = self.token if tenant == "acme" else self.server.token(tenant, "preprod")
        return self.sh_tokens[tenant]

    def env(self, work, page=None):
        # ACME_KEY_PASSPHRASE: the connector of docs/files.md reads its key passphrase from it.
        return dict(os.environ, PATH=f"{work}/bin:" + os.environ.get("PATH", "/usr/bin:/bin"),
                    TOKEN=self.sh_token(page), ACME_KEY_PASSPHRASE="doc-test")

    def cli(self, work, *args):
        return subprocess.run([os.path.join(work, "bin", "telecollect"), *args], cwd=work, env=self.env(work),
                              capture_output=True, text=True, timeout=120)

    def write(self, work, rel, text, encoding="utf-8"):
        path = os.path.join(work, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding=encoding) as f:
            f.write(text)
        return path

    def check_push(self, b, source, body, headers, options):
        headers = dict(headers)
        headers.setdefault("Content-Type", "application/json")
        headers.setdefault("Authorization", f"Basic {self.page_token(b.page)}")
        r = self.server.request("POST", f"/v1/push/{source}" if source else "/", body, headers)
        assert r.status == 200, f"push answered {r.status}: {r.body}"
        a = r.json()
        pending = int(options.get("pending", 0))
        assert a.get("failed", 0) == 0, f"a frame failed to decode: {a}"
        assert a.get("pending", 0) == pending, f"{a.get('pending')} frames pending, {pending} expected: {a}"
        if "measurements" in options:
            assert a.get("measurements") == int(options["measurements"]), f"measurements: {a}"
        else:
            assert a.get("measurements", 0) > 0, f"no measurement stored: {a}"

    def run_block(self, b):
        kind, _, rest = b.directive.partition(" ")
        args = rest.split()
        options = dict(a.split("=", 1) for a in args if "=" in a)
        positional = [a for a in args if "=" not in a]
        work = self.workdir(b.page)
        if kind == "tenant":
            self.page_tenant[b.page] = positional[0]
            return
        if kind == "skip":
            assert rest.strip(), "a skip names its reason"
            self.skipped.append((b.where(), rest.strip()))
            return
        self.ran += 1
        if kind == "file":
            path = self.write(work, positional[0], b.text, options.get("encoding", "utf-8"))
            if "mode" in options:
                os.chmod(path, int(options["mode"], 8))
        elif kind == "sh":
            r = self.sh(work, b.text, b.page)
            want = int(options.get("exit", 0))
            assert r.returncode == want, f"exit {r.returncode}, {want} expected\nstdout: {r.stdout}\nstderr: {r.stderr}"
        elif kind in ("transcript", "output"):
            if kind == "output":
                steps = [(rest, b.text)]
            else:
                steps, cmd, expect = [], None, []
                for line in b.text.rstrip("\n").split("\n"):
                    if line.startswith("$ "):
                        if cmd is not None:
                            steps.append((cmd, "\n".join(expect)))
                        cmd, expect = line[2:], []
                    else:
                        expect.append(line)
                assert cmd is not None, "a transcript holds at least one `$ ` line"
                steps.append((cmd, "\n".join(expect)))
            for cmd, expect in steps:
                r = self.sh(work, cmd, b.page)
                assert match_output(expect, r.stdout), (
                    f"`{cmd}` (exit {r.returncode}) printed:\n{r.stdout}{r.stderr}\nthe doc says:\n{expect}")
        elif kind == "same-as":
            with open(os.path.join(SOURCE_DIR, positional[0]), encoding="utf-8") as f:
                actual = f.read()
            if positional[0].endswith(".json"):
                assert json.loads(b.text) == json.loads(actual), f"differs from {positional[0]}"
            else:
                assert uncommented(b.text) == uncommented(actual), f"differs from {positional[0]}"
            then = rest.split(None, 1)[1:]  # what else the block is ("push synox", "file x.toml")
            if then:
                self.run_block(Block(b.page, b.line, b.lang, then[0], b.text))
        elif kind == "config":
            f = self.write(work, "doc-config.toml", b.text)
            r = subprocess.run([os.path.abspath(BIN), "--config", f, "decoders"], cwd=work, capture_output=True, text=True, timeout=60)
            assert r.returncode == 0, f"config refused: {r.stderr}"
        elif kind == "decoder":
            f = self.write(work, "doc-spec.toml", b.text)
            r = self.cli(work, "decode", "--spec", f)
            assert r.returncode == 0, f"spec refused: {r.stdout}{r.stderr}"
        elif kind == "envelope":
            f = self.write(work, "doc-envelope.toml", b.text)
            r = self.cli(work, "envelope", "try", "--envelope", f, "--body", os.path.join(work, positional[0]))
            assert r.returncode == 0 and "frame 0:" in r.stdout, f"envelope try: {r.stdout}{r.stderr}"
        elif kind == "profile":
            f = self.write(work, "doc-profile.toml", b.text)
            r = self.cli(work, "validate", "--profile", f, os.path.join(work, positional[0]))
            assert r.returncode == 0, f"validate exit {r.returncode}: {r.stdout}{r.stderr}"
            m = re.search(r"^readings:\s+(\d+) over", r.stdout, re.M)
            assert m and int(m.group(1)) > 0, f"no reading: {r.stdout}"
            if "readings" in options:
                assert int(m.group(1)) == int(options["readings"]), f"readings: {r.stdout}"
        elif kind == "connector":
            self.write(work, f"connectors/{positional[0]}.toml", b.text)
            r = self.cli(work, "connector", "list")
            assert r.returncode == 0, f"connector list exit {r.returncode}: {r.stdout}{r.stderr}"
            assert re.search(rf"^{re.escape(positional[0])}\b", r.stdout, re.M), f"not listed: {r.stdout}"
        elif kind == "push":
            self.check_push(b, positional[0], b.text, {}, options)
        elif kind == "http":
            head, _, body = b.text.replace("<token>", self.page_token(b.page)).partition("\n\n")
            request_line, *header_lines = head.split("\n")
            method, path, _ = request_line.split(" ")
            assert method == "POST" and (path == "/" or path.startswith("/v1/push/")), request_line
            headers = dict(h.split(": ", 1) for h in header_lines)
            source = path[len("/v1/push/"):] if path != "/" else None
            self.check_push(b, source, body, headers, options)
        elif kind == "paths":
            for line in b.text.split("\n"):
                for word in re.findall(r"(?:^|\s{2,})([a-z]+/[a-z]*)", line):
                    assert os.path.exists(os.path.join(SOURCE_DIR, word)), f"{word} does not exist"
        else:
            raise AssertionError(f"unknown doc-test kind {kind!r}")

    def run_page(self, page):
        for b in parse_page(page):
            if b.directive is None:
                self.failures.append(f"{b.where()}: fenced block without a <!-- doc-test: ... --> marker")
                continue
            try:
                self.run_block(b)
            except Exception as e:  # noqa: BLE001 — every failure is reported with its block
                self.failures.append(f"{b.where()} ({b.directive}): {e}")


def pages():
    found = [os.path.join(SOURCE_DIR, "README.md")]
    found += sorted(glob.glob(os.path.join(SOURCE_DIR, "docs", "**", "*.md"), recursive=True))
    return found


def test_match_output_wildcards():
    assert match_output("a\n...\nd\n", "a\nb\nc\nd\n")
    assert match_output("a\n...\n", "a\n")
    assert not match_output("a\nd\n", "a\nb\nd\n")
    assert not match_output("a\n...\nd\n", "a\nb\n")


def test_every_doc_block_runs():
    root = tempfile.mkdtemp(prefix="tc_docs_")
    runner = Runner(root)
    try:
        for page in pages():
            runner.run_page(page)
    finally:
        runner.close()
    for where, reason in runner.skipped:
        print(f"skip {where}: {reason}")
    print(f"doc blocks: {runner.ran} run, {len(runner.skipped)} skipped, {len(runner.failures)} failed")
    assert runner.ran > 0
    if runner.failures:
        raise AssertionError("doc examples that do not hold:\n" + "\n".join(runner.failures))
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    from harness import run_tests
    run_tests(globals())
