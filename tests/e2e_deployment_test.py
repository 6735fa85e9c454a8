#!/usr/bin/env python3
"""End-to-end: docs/deployment.md as written.

- The shipped systemd unit (dist/telecollect.service) passes `systemd-analyze verify` without a
  warning about it (its ExecStart pointed at the built binary).
- The cluster recipe on throw-away servers on 127.0.0.1: a primary set up with the page's
  postgresql.conf lines, pg_hba.conf lines and SQL; a standby made by the page's pg_basebackup
  command and started; the primary reports it as the synchronous standby. Two nodes with the
  page's node config (its multi-host url pointed at both servers, the standby listed too) behind
  nginx with the page's config: a push through nginx is stored once (the second is a duplicate),
  /healthz answers through it, and the frame is on the standby.
Substitutions, and only these: host names and addresses → 127.0.0.1 and ephemeral ports, paths →
a temporary directory, `\\password ROLE` (interactive) → ALTER ROLE ... PASSWORD, TLS → plain HTTP.
Needs root (CI runs the tests as root): PostgreSQL runs as the unprivileged `telecollect-test`.
"""
import json
import math
import os
import pwd
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, BRIEF_FRAME, SOURCE_DIR, Server  # noqa: E402
from pg_server import OS_USER, PG_BIN, ensure_os_user, free_port  # noqa: E402

PAGE = os.path.join(SOURCE_DIR, "docs/deployment.md")


def doc_block(after):
    """The first fenced block after the first line containing `after` in docs/deployment.md."""
    with open(PAGE, encoding="utf-8") as f:
        text = f.read()
    start = text.index("```", text.index(after))
    start = text.index("\n", start) + 1
    return text[start:text.index("```", start)]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def as_pg_user(*args):
    return ["runuser", "-u", OS_USER, "--", *args]


def wait_for(what, check, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


class Unit(unittest.TestCase):
    def test_the_shipped_unit_verifies(self):
        self.assertTrue(shutil.which("systemd-analyze"), "systemd-analyze is missing (package systemd)")
        d = tempfile.mkdtemp(prefix="tc_unit_")
        try:
            unit = open(os.path.join(SOURCE_DIR, "dist/telecollect.service")).read()
            self.assertIn("ExecStart=/usr/local/bin/telecollect ", unit)
            path = os.path.join(d, "telecollect.service")
            with open(path, "w") as f:
                f.write(unit.replace("/usr/local/bin/telecollect", os.path.abspath(BIN)))
            r = subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True, timeout=120, cwd=d)
            self.assertEqual(r.returncode, 0, r.stderr)
            about_it = [l for l in r.stderr.splitlines() if "telecollect.service" in l]
            self.assertEqual(about_it, [], "systemd-analyze verify warns about the unit")
        finally:
            shutil.rmtree(d, ignore_errors=True)


class OneNode(unittest.TestCase):
    """The install commands of "One node", taken from the page and run as they are written, by root,
    in a mount namespace of their own: /etc, /usr/local and /var are overlays whose writes land in a
    temporary directory, so the page's names (user telecollect, /etc/telecollect, the unit) are used
    as written and the machine's accounts and services are left untouched. PID 1 is not systemd
    here: `systemctl` is tests/systemctl_standin.py, which enables the unit for real (offline) and
    starts its ExecStart= as its [Service] section says (User=, StateDirectory=, UMask=, ...), the
    listen address moved to 127.0.0.1 and an ephemeral port. Then: the user is a system user with
    nologin; the binary, config directory, config and unit have the page's owners and modes; the
    installed unit verifies; the server runs as the user and answers /healthz; the token the page's
    last command printed is taken by it; after a graceful stop (KillSignal=, within TimeoutStopSec=)
    every file in the data dir is the user's, 0600 (directories 0700); and nothing was written in
    /etc, /usr/local or /var but what the commands install and the data dir."""

    UNIT = "telecollect.service"

    def setUp(self):
        self.assertEqual(os.geteuid(), 0, "run as root (as CI does): the commands create a user, in a namespace")
        for tool in ("unshare", "nsenter", "useradd", "runuser", "install", "systemd-analyze", "systemctl"):
            self.assertTrue(shutil.which(tool), f"{tool} is missing")
        self.dir = tempfile.mkdtemp(prefix="tc_one_node_")
        self.layers, mounts = {}, []
        for name, target in (("etc", "/etc"), ("usr-local", "/usr/local"), ("var", "/var")):
            up, work = os.path.join(self.dir, name, "up"), os.path.join(self.dir, name, "work")
            os.makedirs(up)
            os.makedirs(work)
            self.layers[target] = up
            mounts.append(f"mount -t overlay overlay -o lowerdir={target},upperdir={up},workdir={work} {target}")
        # The namespace lives as long as its holder, which ends at tearDown or with this process.
        self.holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "--", "sh", "-ec",
                                        " && ".join(mounts) + f" && echo ready && while [ -d /proc/{os.getpid()} ]; "
                                        "do sleep 1; done"],
                                       stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.assertEqual(self.holder.stdout.readline().strip(), "ready", "the overlays could not be mounted")
        self.root = f"/proc/{self.holder.pid}/root"
        self.run_dir = os.path.join(self.dir, "run")
        os.mkdir(self.run_dir)
        with open("/etc/passwd") as f:
            self.host_had_user = "telecollect" in {l.split(":")[0] for l in f}

    def tearDown(self):
        if os.path.exists(self.state("pid")) and not os.path.exists(self.state("exit")):
            try:
                os.kill(int(read(self.state("pid"))), signal.SIGKILL)  # the service the test started
            except ProcessLookupError:
                pass
            wait_for("the killed server's supervisor", lambda: os.path.exists(self.state("exit")), 30)
        self.holder.kill()
        self.holder.wait()
        self.holder.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def state(self, suffix):
        return os.path.join(self.run_dir, f"{self.UNIT}.{suffix}")

    def inside(self, *args, env=None, timeout=120):
        """Runs a command in the namespace."""
        return subprocess.run(["nsenter", "-t", str(self.holder.pid), "-m", "--", *args], capture_output=True,
                              text=True, timeout=timeout, env=env)

    def path(self, p):
        """A path of the namespace, from here."""
        return self.root + p

    def assertOwnedMode(self, p, uid, gid, mode):
        st = os.lstat(self.path(p))
        self.assertEqual((st.st_uid, st.st_gid, oct(st.st_mode & 0o7777)), (uid, gid, oct(mode)), p)

    def test_the_install_commands_as_documented(self):
        # What the commands expect in their working directory: a build, dist/ and the page's config.
        checkout = os.path.join(self.dir, "checkout")
        os.makedirs(os.path.join(checkout, "build/src/cli"))
        os.symlink(os.path.abspath(BIN), os.path.join(checkout, "build/src/cli/telecollect"))
        os.symlink(os.path.join(os.path.abspath(SOURCE_DIR), "dist"), os.path.join(checkout, "dist"))
        config = doc_block("`/etc/telecollect/telecollect.toml` (every key")
        with open(os.path.join(checkout, "telecollect.toml"), "w") as f:
            f.write(config)
        standin = os.path.join(self.dir, "bin")
        os.mkdir(standin)
        os.symlink(os.path.join(os.path.abspath(SOURCE_DIR), "tests/systemctl_standin.py"),
                   os.path.join(standin, "systemctl"))
        port = free_port()
        env = dict(os.environ, PATH=f"{standin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                   SYSTEMCTL_STANDIN_DIR=self.run_dir, SYSTEMCTL_STANDIN_OWNER=str(os.getpid()),
                   SYSTEMCTL_STANDIN_REPLACE=f"--listen 0.0.0.0:8080=--listen 127.0.0.1:{port}")
        commands = doc_block("As root, in the source tree after `make`")
        r = self.inside("sh", "-exc", f"cd {checkout}\n{commands}", env=env, timeout=300)
        log = read(self.state("log")) if os.path.exists(self.state("log")) else ""
        self.assertEqual(r.returncode, 0, f"{r.stderr}\nthe server's log:\n{log}")
        token = r.stdout.strip().splitlines()[-1]
        self.assertRegex(token, r"^tc_prod_\w+$", r.stdout)

        # The user: a system account that cannot log in, its own group.
        passwd = {l.split(":")[0]: l.split(":") for l in read(self.path("/etc/passwd")).splitlines()}
        groups = {l.split(":")[0]: l.split(":") for l in read(self.path("/etc/group")).splitlines()}
        shadow = {l.split(":")[0]: l.split(":") for l in read(self.path("/etc/shadow")).splitlines()}
        self.assertIn("telecollect", passwd)
        _, _, uid, gid, _, home, shell = passwd["telecollect"]
        uid, gid = int(uid), int(gid)
        uid_min = 1000
        for l in read(self.path("/etc/login.defs")).splitlines():
            if l.split()[:1] == ["UID_MIN"]:
                uid_min = int(l.split()[1])
        self.assertLess(uid, uid_min, "not a system user")
        self.assertEqual((home, shell), ("/var/lib/telecollect", "/usr/sbin/nologin"))
        self.assertEqual(int(groups["telecollect"][2]), gid)
        self.assertRegex(shadow["telecollect"][1], r"^[!*]", "the account has a password")
        if not self.host_had_user:  # the machine's own accounts untouched
            self.assertNotIn("telecollect", {l.split(":")[0] for l in read("/etc/passwd").splitlines()})

        # Binary, config, unit: owners and modes as the commands give them.
        self.assertOwnedMode("/usr/local/bin/telecollect", 0, 0, 0o755)
        self.assertOwnedMode("/etc/telecollect", 0, gid, 0o750)
        self.assertOwnedMode("/etc/telecollect/telecollect.toml", 0, gid, 0o640)
        self.assertEqual(read(self.path("/etc/telecollect/telecollect.toml")), config)
        self.assertOwnedMode("/etc/systemd/system/telecollect.service", 0, 0, 0o644)
        self.assertEqual(read(self.path("/etc/systemd/system/telecollect.service")),
                         read(os.path.join(SOURCE_DIR, "dist/telecollect.service")))
        self.assertEqual(os.readlink(self.path("/etc/systemd/system/multi-user.target.wants/telecollect.service")),
                         "/etc/systemd/system/telecollect.service", "not enabled")
        v = self.inside("systemd-analyze", "verify", "/etc/systemd/system/telecollect.service")
        self.assertEqual(v.returncode, 0, v.stderr)
        self.assertEqual([l for l in v.stderr.splitlines() if "telecollect.service" in l], [], v.stderr)

        # The service: running as the user, answering, taking the token created by the page's command.
        pid = int(read(self.state("pid")))
        with open(f"/proc/{pid}/status") as f:
            ids = {l.split(":")[0]: l.split()[1:] for l in f if l.startswith(("Uid:", "Gid:"))}
        self.assertEqual(ids, {"Uid": [str(uid)] * 4, "Gid": [str(gid)] * 4})
        self.assertEqual(os.readlink(f"/proc/{pid}/cwd"), "/var/lib/telecollect")
        front = Server.__new__(Server)  # only its HTTP helpers
        front.port = port
        wait_for("the service's /healthz", lambda: Cluster._answers(front), 30)
        health = front.request("GET", "/healthz")
        self.assertEqual(json.loads(health.body)["status"], "ok", health.body)
        push = front.push(BRIEF_FRAME, token)
        self.assertEqual(push.status, 200, push.body)
        self.assertEqual(push.json()["accepted"], 1, push.body)

        # A graceful stop, then the data dir: the user's only.
        stop = self.inside("systemctl", "stop", "telecollect", env=env, timeout=90)
        self.assertEqual(stop.returncode, 0, stop.stderr)
        self.assertEqual(read(self.state("exit")).strip(), "0", read(self.state("log")))
        self.assertOwnedMode("/var/lib/telecollect", uid, gid, 0o700)
        found = []
        for d, dirs, files in os.walk(self.path("/var/lib/telecollect")):
            for name in dirs + files:
                p = os.path.join(d, name)[len(self.root):]
                found.append(p)
                self.assertOwnedMode(p, uid, gid, 0o700 if name in dirs else 0o600)
        self.assertIn("/var/lib/telecollect/telecollect.db", found)

        # Nothing else written: what the overlays took, outside the data dir.
        written = []
        for target, up in self.layers.items():
            for d, dirs, files in os.walk(up):
                for name in files + [x for x in dirs if not os.listdir(os.path.join(d, x))]:
                    written.append(target + os.path.join(d, name)[len(up):])
        expected = {"/usr/local/bin/telecollect", "/etc/telecollect/telecollect.toml",
                    "/etc/systemd/system/telecollect.service",
                    "/etc/systemd/system/multi-user.target.wants/telecollect.service"}
        accounts = {f"/etc/{f}{s}" for f in ("passwd", "group", "shadow", "gshadow", "subuid", "subgid")
                    for s in ("", "-")} | {"/etc/.pwd.lock", "/var/log/lastlog", "/var/log/faillog"}
        elsewhere = sorted(p for p in written if p not in expected | accounts and
                           not p.startswith("/var/lib/telecollect/"))
        self.assertEqual(elsewhere, [], "written outside the data dir")
        self.assertLessEqual(expected, set(written))


class StalledNode(unittest.TestCase):
    """The page's nginx config in front of three nodes, one of them stopped with SIGSTOP (its kernel
    still accepts connections and takes requests: nginx sees only silence). Every push is answered
    200 by another node within the push location's proxy_read_timeout (plus a margin), none waits
    for nginx's default 60 s. The nodes run on SQLite stores copied from one (the same token works on
    each): what is measured is nginx's behaviour, not the database's."""

    def setUp(self):
        self.assertTrue(shutil.which("nginx"), "nginx missing: nginx-light")
        self.dir = tempfile.mkdtemp(prefix="tc_stalled_")
        self.nodes, self.nginx, self.stopped = [], None, None
        first = None
        for n in range(3):
            d = os.path.join(self.dir, f"node{n}")
            os.mkdir(d, 0o700)
            node = Server(data_dir=d)
            if first is None:
                self.token = node.token("acme", "preprod")
                first = d
            else:
                for name in os.listdir(first):
                    if name != "telecollect.toml" and os.path.isfile(os.path.join(first, name)):
                        shutil.copy2(os.path.join(first, name), d)
            self.nodes.append(node)
        for node in self.nodes:
            node.start()

    def tearDown(self):
        if self.stopped:
            os.kill(self.stopped.proc.pid, signal.SIGCONT)
        if self.nginx:
            self.nginx.stop()
        for node in self.nodes:
            node.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_pushes_skip_a_stopped_node_within_the_push_timeout(self):
        from cluster_nodes import Nginx
        site = doc_block("`/etc/nginx/conf.d/telecollect.conf`")
        push_location = re.search(r"location ~ \^/\(v1/push/\|\$\) \{([^}]*)\}", site)
        self.assertIsNotNone(push_location, "the page's config has no push location")
        (read_timeout,) = re.search(r"proxy_read_timeout (\d+)s;", push_location.group(1)).groups()
        read_timeout = int(read_timeout)
        self.assertLess(read_timeout, 60)
        self.nginx = Nginx(self.dir, [n.port for n in self.nodes]).start()
        front = self.nginx.front()
        self.stopped = self.nodes[1]
        os.kill(self.stopped.proc.pid, signal.SIGSTOP)
        slow = 0
        for i, path in enumerate(["/", "/v1/push/generic-sensors"] * 3):  # round-robin: the stopped node in turn
            f = dict(BRIEF_FRAME, deviceid=f"stalled-{i}")
            start = time.monotonic()
            r = front.request("POST", path, json.dumps(f), {"Content-Type": "application/json",
                                                             "source": "generic-sensors"}, self.token, timeout=120)
            took = time.monotonic() - start
            self.assertEqual(r.status, 200, f"push {i} to {path}: {r.status} {r.body}")
            self.assertEqual(r.json()["accepted"], 1, r.body)
            self.assertLess(took, read_timeout + 5, f"push {i} to {path} waited {took:.1f} s")
            slow += took >= read_timeout - 1
        # The stopped node was tried (and skipped after the timeout), not silently left out.
        self.assertGreaterEqual(slow, 1)


WORDS = {"one": 1, "two": 2, "three": 3, "four": 4}


def num(text):
    """A figure as the page writes it: "1,667", "0.85", "two"."""
    return WORDS[text] if text in WORDS else float(text.replace(",", ""))


def page_section(title):
    """The section of docs/deployment.md under `## title`, its whitespace collapsed (sentences wrap)."""
    with open(PAGE, encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n## " + title)
    end = text.find("\n## ", start + 1)
    return " ".join(text[start:end if end >= 0 else len(text)].split())


class Projection(unittest.TestCase):
    """The page's projection for a million devices, recomputed from the figures it states: each
    derived figure must be what its inputs give, at the precision the page writes it, so that an
    input changed (a new bench run) without the figures that follow from it fails. Arithmetic
    only: the bench figures themselves come from bench/cluster.sh."""

    def setUp(self):
        self.text = page_section("How many nodes for one million devices")
        self.tuning = page_section("PostgreSQL tuning")
        self.rows = {}
        for m in re.finditer(r"\| ([^|]+?) \| ([\d,]+)(?: / ([\d,]+))? \| ([^|]+?) \| ([^|]+?) \|", self.text):
            case, rate, rate2, tc, pg = m.groups()
            us = lambda cell: [num(x) for x in re.findall(r"[\d.]+", cell)]
            self.rows[case] = {"rate": num(rate), "rate2": num(rate2) if rate2 else None, "tc": us(tc), "pg": us(pg)}
        self.assertEqual(len(self.rows), 6, sorted(self.rows))
        self.a1 = self.rows["(a) 1 frame per request, 1 node"]
        self.a2 = self.rows["(a) 1 frame per request, 2 nodes (nginx)"]
        self.b1 = self.rows["(b) 1,000 frames per request, 1 node"]
        self.b2 = self.rows["(b) 1,000 frames per request, 2 nodes"]
        self.copy = self.rows["PostgreSQL's own `COPY` of the same rows"]
        self.sqlite = self.rows["SQLite single node, (a) / (b)"]

    def find(self, pattern, text=None):
        m = re.search(pattern, self.text if text is None else text)
        self.assertIsNotNone(m, f"the page no longer says /{pattern}/")
        return m.groups()

    def assertStated(self, stated, exact, what):
        """`stated` (as written: "1,667", "0.85", "4.8") is `exact` rounded to the digits it shows."""
        decimals = len(stated.split(".")[1]) if "." in stated else 0
        self.assertLessEqual(abs(num(stated) - exact), 0.5 * 10 ** -decimals + 1e-9,
                             f"{what}: the page says {stated}, its inputs give {exact:.4f}")

    def test_the_load(self):
        devices, minutes, numerator, seconds, avg = self.find(
            r"\*\*The load\.\*\* ([\d,]+) devices every (\d+) minutes: ([\d,]+) / ([\d,]+) s = \*\*([\d,]+) frames/s\*\*")
        self.assertEqual(num(numerator), num(devices))
        self.assertEqual(num(seconds), num(minutes) * 60)
        self.assertStated(avg, num(devices) / (num(minutes) * 60), "average frames/s")
        (per_frame,) = self.find(r"Dragino LHT65 frames \((\d+) readings each\)")
        (readings,) = self.find(r"on average, ([\d,]+) readings/s")
        self.assertStated(readings, num(devices) / (num(minutes) * 60) * num(per_frame), "average readings/s")
        factor, peak = self.find(r"size for \*\*(\d+)× the average, ([\d,]+) frames/s\*\*, at half the CPU")
        self.assertStated(peak, num(factor) * num(devices) / (num(minutes) * 60), "peak frames/s")
        # Case (a) sizes it, with the higher of its two columns, the 2-node figures.
        self.assertIn("its 2-node figures, the higher", self.text)
        self.assertGreater(self.a2["tc"][0], self.a1["tc"][0])
        self.assertGreater(self.a2["pg"][0], self.a1["pg"][0])
        low, high = self.find(r"batches cost (\d+) to (\d+) times less")
        ratios = [a[k][0] / b[k][0] for a, b in ((self.a1, self.b1), (self.a2, self.b2)) for k in ("tc", "pg")]
        self.assertStated(low, min(ratios), "the smallest (a)/(b) cost ratio")
        self.assertStated(high, max(ratios), "the largest (a)/(b) cost ratio")

    def test_nodes_and_postgresql(self):
        (peak,) = self.find(r"size for \*\*\d+× the average, ([\d,]+) frames/s\*\*")
        rate, us, cpu, cores, within, node_cores, nodes, nodes_cores, down = self.find(
            r"\*\*Nodes\.\*\* ([\d,]+) frames/s × (\d+) µs = ([\d.]+) CPU-second per second: ([\d.]+) cores at half "
            r"load, within (\w+) (\d+)-core nodes?\. \*\*(\d+) nodes of (\d+) cores\*\* keep that with (\w+) down")
        self.assertEqual(num(rate), num(peak))
        self.assertEqual(num(us), self.a2["tc"][0], "the nodes are sized on case (a), 2 nodes, telecollect's CPU")
        self.assertStated(cpu, num(rate) * num(us) / 1e6, "nodes' CPU-seconds per second")
        self.assertStated(cores, 2 * num(rate) * num(us) / 1e6, "nodes' cores at half load")
        needed = math.ceil(2 * num(rate) * num(us) / 1e6 / num(node_cores))
        self.assertEqual(num(within), needed, "nodes needed for the cores at half load")
        self.assertEqual(num(nodes_cores), num(node_cores))
        self.assertEqual(num(nodes) - num(down), needed, "nodes left when the page's count is down")

        rate, us, cpu, cores, least, advised = self.find(
            r"\*\*PostgreSQL\.\*\* ([\d,]+) frames/s × (\d+) µs = ([\d.]+) CPU-seconds per second: ([\d.]+) cores "
            r"at half load, a \*\*(\d+)-core primary at least, (\d+) cores\*\*")
        self.assertEqual(num(rate), num(peak))
        self.assertEqual(num(us), self.a2["pg"][0], "PostgreSQL is sized on case (a), 2 nodes")
        self.assertStated(cpu, num(rate) * num(us) / 1e6, "PostgreSQL's CPU-seconds per second")
        self.assertStated(cores, 2 * num(rate) * num(us) / 1e6, "PostgreSQL's cores at half load")
        self.assertEqual(num(least), math.ceil(2 * num(rate) * num(us) / 1e6), "the smallest primary")
        self.assertGreater(num(advised), num(least))
        (batched,) = self.find(r"\(case \(b\): (\d+) µs per frame\)")
        self.assertStated(batched, self.b2["pg"][0], "case (b)'s PostgreSQL CPU per frame")

    def test_disk(self):
        frame_bytes, reading_bytes = self.find(r"On disk: (\d+) bytes per frame .*?, ([\d.]+) bytes per reading")
        (avg,) = self.find(r"= \*\*([\d,]+) frames/s\*\* on average")
        (per_frame,) = self.find(r"Dragino LHT65 frames \((\d+) readings each\)")
        rate, day, frames, fb, journal, readings, rb, chunks = self.find(
            r"\*\*Disk\.\*\* ([\d,]+) × ([\d,]+) = (\d+) million frames a day × (\d+) bytes = \*\*(\d+) GB a day\*\* of "
            r"frame journal; (\d+) million readings × ([\d.]+) bytes = \*\*(\d+) GB a day\*\* of chunks")
        self.assertEqual(rate, avg)
        self.assertEqual(num(day), 86400)
        self.assertEqual((fb, rb), (frame_bytes, reading_bytes))
        frames_a_day = num(rate) * num(day)
        self.assertStated(frames, frames_a_day / 1e6, "frames a day (millions)")
        self.assertStated(journal, frames_a_day * num(fb) / 1e9, "journal GB a day")
        self.assertStated(readings, frames_a_day * num(per_frame) / 1e6, "readings a day (millions)")
        self.assertStated(chunks, frames_a_day * num(per_frame) * num(rb) / 1e9, "chunks GB a day")
        (year,) = self.find(r"a year is ([\d.]+) TB")
        self.assertStated(year, frames_a_day * num(per_frame) * num(rb) * 365 / 1e12, "a year of readings (TB)")
        days, kept = self.find(r"e\.g\. (\d+) days = ([\d.]+) TB")
        self.assertStated(kept, frames_a_day * num(fb) * num(days) / 1e12, "the journal kept (TB)")

    def test_rates_compared_in_the_tuning_section(self):
        (of_copy,) = self.find(r"case \(b\) already reaches ([\d.]+) of `COPY`'s rate", self.tuning)
        self.assertStated(of_copy, self.b1["rate"] / self.copy["rate"], "case (b), 1 node, against COPY")
        of_sqlite, aim = self.find(r"Case \(a\) now reaches ([\d.]+) of the SQLite node's rate on this machine, "
                                   r"against the ([\d.]+) aimed at", self.tuning)
        self.assertStated(of_sqlite, self.a1["rate"] / self.sqlite["rate"], "case (a), 1 node, against SQLite")
        self.assertGreaterEqual(num(of_sqlite), num(aim), "the page says the aim is met")
        (two_nodes,) = self.find(r"through 2 nodes behind nginx, ([\d.]+):", self.tuning)
        self.assertStated(two_nodes, self.a2["rate"] / self.sqlite["rate"], "case (a), 2 nodes, against SQLite")


class Cluster(unittest.TestCase):
    def setUp(self):
        self.assertEqual(os.geteuid(), 0, "run as root (as CI does): PostgreSQL runs as a throw-away system user")
        for tool in ("initdb", "postgres", "pg_basebackup", "psql", "pg_isready"):
            self.assertTrue(os.path.exists(os.path.join(PG_BIN, tool)), f"{tool} missing: postgresql-15")
        self.assertTrue(shutil.which("nginx"), "nginx missing: nginx-light")
        ensure_os_user()
        self.dir = tempfile.mkdtemp(prefix="tc_deploy_")
        os.chmod(self.dir, 0o755)
        self.procs, self.servers = [], []
        u = pwd.getpwnam(OS_USER)
        self.pg_dir = os.path.join(self.dir, "pg")
        os.mkdir(self.pg_dir, 0o700)
        os.chown(self.pg_dir, u.pw_uid, u.pw_gid)

    def tearDown(self):
        for s in self.servers:
            s.cleanup()
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def start_postgres(self, datadir, port, env=None):
        log = open(os.path.join(self.pg_dir, f"{port}.log"), "ab")
        p = subprocess.Popen(as_pg_user(os.path.join(PG_BIN, "postgres"), "-D", datadir, "-p", str(port),
                                        "-c", f"unix_socket_directories={self.pg_dir}", "-c", "fsync=off"),
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
        log.close()
        self.procs.append(p)
        wait_for(f"postgres on port {port}", lambda: p.poll() is None and subprocess.run(
            [os.path.join(PG_BIN, "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-q"]).returncode == 0)

    def psql(self, port, sql, database="postgres"):
        r = subprocess.run(as_pg_user(os.path.join(PG_BIN, "psql"), "-h", self.pg_dir, "-p", str(port), "-U", "postgres",
                                      "-d", database, "-v", "ON_ERROR_STOP=1", "-AtX"),
                           input=sql, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def test_primary_standby_nodes_and_nginx_as_documented(self):
        p1, p2 = free_port(), free_port()
        primary, standby = os.path.join(self.pg_dir, "db1"), os.path.join(self.pg_dir, "db2")
        subprocess.run(as_pg_user(os.path.join(PG_BIN, "initdb"), "-D", primary, "-U", "postgres", "--auth-local=trust",
                                  "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"),
                       check=True, capture_output=True, timeout=120)
        # postgresql.conf: the page's lines, listening on 127.0.0.1 only.
        conf = doc_block("`postgresql.conf` (Debian").replace("listen_addresses = '*'", "listen_addresses = '127.0.0.1'")
        with open(os.path.join(primary, "postgresql.conf"), "a") as f:
            f.write(conf)
        # pg_hba.conf: the page's lines first (the first match decides), addresses → 127.0.0.1.
        hba = re.sub(r"10\.0\.0\.\d+/\d+", "127.0.0.1/32", doc_block("`pg_hba.conf` (the nodes"))
        hba_path = os.path.join(primary, "pg_hba.conf")
        with open(hba_path) as f:
            rest = f.read()
        with open(hba_path, "w") as f:
            f.write(hba + rest)
        self.start_postgres(primary, p1)
        # The roles and the database, passwords set without a terminal.
        passwords = {"telecollect": "tc-" + os.urandom(8).hex(), "replicator": "rep-" + os.urandom(8).hex()}
        sql = re.sub(r"\\password (\w+)", lambda m: f"ALTER ROLE {m.group(1)} PASSWORD '{passwords[m.group(1)]}';",
                     doc_block("The roles and the database"))
        self.psql(p1, sql)
        # The standby's password file, as the page writes it in ~postgres/.pgpass (here PGPASSFILE:
        # the throw-away user has no home).
        with open(PAGE, encoding="utf-8") as f:
            page = f.read()
        line = re.search(r"`(db1\.example\.com:5432:replication:replicator:PASSWORD)`", page).group(1)
        passfile = os.path.join(self.pg_dir, "pgpass")
        with open(passfile, "w") as f:
            f.write(line.replace("db1.example.com:5432", f"127.0.0.1:{p1}").replace("PASSWORD", passwords["replicator"]) + "\n")
        os.chmod(passfile, 0o600)
        os.chown(passfile, pwd.getpwnam(OS_USER).pw_uid, -1)
        pg_env = dict(os.environ, PGPASSFILE=passfile)
        # The standby: the page's pg_basebackup, pointed at the primary.
        cmd = doc_block("On **db2**, the standby").replace("\\\n", " ")
        cmd = cmd.replace("/var/lib/postgresql/15/main", standby)
        cmd = cmd.replace("host=db1.example.com port=5432", f"host=127.0.0.1 port={p1}")
        self.assertNotIn("example.com", cmd)
        args = shlex.split(cmd)
        self.assertEqual(args[0], "pg_basebackup")
        r = subprocess.run(as_pg_user(os.path.join(PG_BIN, "pg_basebackup"), *args[1:]), capture_output=True, text=True,
                           timeout=300, env=pg_env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(os.path.join(standby, "standby.signal")))
        self.start_postgres(standby, p2, env=pg_env)
        wait_for("db2 streaming", lambda: self.psql(
            p1, "SELECT application_name || ' ' || state FROM pg_stat_replication") == "db2 streaming")
        sync = doc_block("Once db2 streams, make it synchronous")
        self.assertIn("synchronous_standby_names = 'FIRST 1 (db2)'", sync)
        self.psql(p1, sync)
        wait_for("db2 as the synchronous standby", lambda: self.psql(
            p1, "SELECT application_name || ' ' || sync_state FROM pg_stat_replication") == "db2 sync")

        # Two nodes with the page's node config.
        node_conf = doc_block("and this `/etc/telecollect/telecollect.toml`")
        os.environ["TELECOLLECT_PG_PASSWORD"] = passwords["telecollect"]
        for n in range(2):
            d = os.path.join(self.dir, f"node{n}")
            os.mkdir(d, 0o700)
            text = (node_conf.replace("db1.example.com:5432", f"127.0.0.1:{p1}")
                    .replace("db2.example.com:5432", f"127.0.0.1:{p2}")
                    .replace('"/var/lib/telecollect"', f'"{d}"')
                    .replace('"/etc/telecollect/decoders"', f'"{SOURCE_DIR}/decoders"')
                    .replace('"/etc/telecollect/connectors"', f'"{d}/connectors"'))
            self.assertNotIn("example.com", text)
            with open(os.path.join(d, "telecollect.toml"), "w") as f:
                f.write(text)
            server = Server(data_dir=d)
            self.servers.append(server)
        token = self.servers[0].token("acme", "preprod")
        for s in self.servers:
            s.start()

        # nginx with the page's server config in front of them.
        site = doc_block("`/etc/nginx/conf.d/telecollect.conf`")
        ports, lines = [srv.port for srv in self.servers], []
        for l in site.split("\n"):
            m = re.match(r"(\s*)server 10\.0\.0\.\d+:8080(.*)", l)
            if m and ports:
                lines.append(f"{m.group(1)}server 127.0.0.1:{ports.pop(0)}{m.group(2)}")
            elif not m:
                lines.append(l)
        site = "\n".join(lines)
        np = free_port()
        site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{np};")
        site = re.sub(r"\n\s*ssl_certificate(_key)? [^\n]*", "", site)
        self.assertNotIn("10.0.0.", site)
        ng = os.path.join(self.dir, "nginx")
        os.mkdir(ng)
        with open(os.path.join(ng, "nginx.conf"), "w") as f:
            f.write(f"daemon off;\npid {ng}/nginx.pid;\nerror_log {ng}/error.log;\nevents {{}}\n"
                    f"http {{\naccess_log off;\nclient_body_temp_path {ng};\nproxy_temp_path {ng};\n{site}\n}}\n")
        r = subprocess.run(["nginx", "-t", "-p", ng, "-c", f"{ng}/nginx.conf"], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.procs.append(subprocess.Popen(["nginx", "-p", ng, "-c", f"{ng}/nginx.conf"]))
        front = Server.__new__(Server)  # only its HTTP helpers, pointed at nginx
        front.port = np
        wait_for("nginx", lambda: self._answers(front))
        r = front.push(BRIEF_FRAME, token)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["accepted"], 1)
        r = front.push(BRIEF_FRAME, token)  # the other node, round-robin
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["duplicates"], 1)
        health = front.request("GET", "/healthz")
        self.assertEqual(health.status, 200, health.body)
        self.assertEqual(json.loads(health.body)["status"], "ok")
        # Acknowledged, so on the synchronous standby's disk; visible there once replayed.
        wait_for("the frame on the standby", lambda: self.psql(p2, "SELECT count(*) FROM frames", "telecollect") == "1")

    @staticmethod
    def _answers(front):
        try:
            return front.request("GET", "/healthz", timeout=5).status == 200
        except OSError:
            return False


if __name__ == "__main__":
    unittest.main()
