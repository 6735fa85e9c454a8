#!/usr/bin/env python3
"""End-to-end: a cluster. Three telecollect nodes on one PostgreSQL 15 database (a primary and a
synchronous standby, tests/pg_pair.py; the nodes' url names both hosts with
target_session_attrs=read-write), behind nginx round-robin with docs/deployment.md's config
(tests/cluster_nodes.py), each node under its own host name. The cases run in order on the same
cluster, each with its own devices or connector:

 a. 16 clients push real LHT65 frames through nginx; one node is killed (kill -9) mid-load and
    restarted. Every frame answered 2xx is stored exactly once with its measurements; sending
    every acknowledged frame again gives only duplicates.
 b. An API connector (tests/vendor_api_server.py) enabled on the 3 nodes: each window (each page
    of it) is asked of the vendor exactly once, committed once, every reading stored.
 c1. The node running a long connector run (its lease's holder) is killed (kill -9) while it waits
    for a vendor page: another node takes the lease over once it expires (`[cluster] lease_ttl`,
    3 s here) and finishes the run. Every reading stored with the vendor's value, every window
    committed once; only the window in flight at the kill is asked again; the killed run is
    closed as "interrupted".
 c2. The holder of such a run stopped (SIGSTOP) past the lease's TTL: another node takes over and finishes;
    then the stopped node resumes (SIGCONT). Its late commit is refused (the lease's fence): its
    run ends "lease_lost", nothing is committed twice, no watermark goes back.
 d. The PostgreSQL primary stopped for 10 s (pg_ctl stop -m fast, then started again on its port)
    under push load straight to the nodes: meanwhile every answer is a 503 with Retry-After and a
    JSON body naming no database host or port, and /healthz of each node is 503 with its reason;
    then the nodes (not restarted) recover, and every acknowledged frame is stored exactly once.
 e. The primary is killed (kill -9) under push load and the synchronous standby promoted: no
    acknowledged frame is lost, and the nodes (not restarted) carry on against the new primary.
b, c1 and c2 expect the day windows before the UTC day they run in: each starts only once it can end
before UTC midnight (otherwise it waits for midnight first, at most its budget), see utc_day_with_room().
Needs root (CI runs the tests as root): PostgreSQL runs as the unprivileged `telecollect-test`.
"""
import atexit
import collections
import datetime as dt
import json
import os
import re
import signal
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import unittest_main  # noqa: E402
from cluster_nodes import Nginx, Node  # noqa: E402
from e2e_pull_test import Vendor  # noqa: E402
from pg_pair import PgPair, wait_for  # noqa: E402
import push_load  # noqa: E402
from push_load import PushLoad, frames_of, names, series  # noqa: E402
import vendor_api_server as vendor_series  # noqa: E402  (the series the fake vendor serves)

NODES = 3
CLIENTS = 16
DAY_MS = 86400000
LEASE_TTL_S = 3  # [cluster] lease_ttl of the nodes: a dead or stopped holder's lease expires within it


class Cluster:
    """The servers every case shares; built once, torn down at exit whatever happened."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="tc_cluster_")
        os.chmod(self.root, 0o755)
        self.pg = PgPair()
        self.nodes, self.nginx, self.vendor = [], None, None

    def start(self):
        self.pg.start()
        os.environ["TELECOLLECT_PG_PASSWORD"] = self.pg.password
        for i in range(NODES):
            self.nodes.append(Node(self.root, i, self.pg.url(), f'[cluster]\nlease_ttl = "{LEASE_TTL_S}s"\n'))
        self.token = self.nodes[0].token("acme", "preprod")  # creates the schema, the token in the database
        # One state.key for every node (docs/deployment.md): what one seals, the others open.
        key = os.path.join(self.nodes[0].data_dir, "state.key")
        for n in self.nodes:
            if os.path.exists(key) and n is not self.nodes[0]:
                with open(key, "rb") as src, open(os.path.join(n.data_dir, "state.key"), "wb") as dst:
                    dst.write(src.read())
                os.chmod(os.path.join(n.data_dir, "state.key"), 0o600)
            n.start()
        self.nginx = Nginx(self.root, [n.port for n in self.nodes]).start()
        self.front = self.nginx.front()
        self.vendor = Vendor()
        return self

    def cleanup(self):
        for n in self.nodes:
            try:
                if n.alive():
                    n.signal(signal.SIGCONT)  # a stopped node cannot take its SIGTERM
                n.stop(timeout=30)
            except Exception:  # noqa: BLE001 — tearing down: kill what stays
                if n.proc and n.proc.poll() is None:
                    n.proc.kill()
        if self.nginx:
            self.nginx.stop()
        if self.vendor:
            self.vendor.stop()
        self.pg.cleanup()
        import shutil
        shutil.rmtree(self.root, ignore_errors=True)


class ClusterTest(unittest.TestCase):
    maxDiff = None  # failures name every window concerned

    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise AssertionError("run as root (as CI does): PostgreSQL runs as a throw-away system user, "
                                 "the nodes in their own UTS namespaces")
        cls.c = Cluster()
        atexit.register(cls.c.cleanup)
        cls.c.start()

    def none(self, found, message):
        """Fails with `message` (which names the first frames) when `found` is not empty."""
        if found:
            self.fail(message)

    def setUp(self):
        self.reader = self.c.front  # where reads go: nginx, or one node while another is stopped

    # ---- shared checks -------------------------------------------------------------------------
    def check_acknowledged(self, load, what):
        """Every acknowledged frame stored exactly once, decoded, with its temperature and humidity
        at its module and instant; nothing stored that was not sent."""
        c = self.c
        stored = collections.Counter()
        undecoded = []
        for i in range(load.clients):
            for key, status, _values in frames_of(c.front, c.token, load.device(i)):
                stored[key] += 1
                if status != "decoded":
                    undecoded.append(key)
        doubled = [k for k, n in stored.items() if n > 1]
        self.none(doubled, f"{what}: {len(doubled)} frames stored more than once: {names(doubled)}")
        lost = load.acked - set(stored)
        self.none(lost, f"{what}: {len(lost)} of {len(load.acked)} acknowledged frames lost: {names(lost)}")
        stray = set(stored) - load.sent
        self.none(stray, f"{what}: frames stored that were never sent: {names(stray)}")
        acked_undecoded = set(undecoded) & load.acked
        self.none(acked_undecoded, f"{what}: acknowledged frames not decoded: {names(acked_undecoded)}")
        modules = [f"{load.device(i)}.{f}" for i in range(load.clients) for f in ("temperature", "humidity")]
        values = series(c.front, c.token, modules)
        wrong = []
        for dev, ms in load.acked:
            want_t = push_load.temperature(push_load.seq_of(ms))
            got_t, got_h = values[f"{dev}.temperature"].get(ms), values[f"{dev}.humidity"].get(ms)
            if got_t != want_t or got_h != 88.6:
                wrong.append(((dev, ms), got_t, want_t, got_h))
        wrong.sort()
        self.none(wrong, f"{what}: {len(wrong)} acknowledged frames without their measurements "
                         "(frame, temperature stored, expected, humidity stored): "
                         + "; ".join(f"{push_load.name(k)} {t} {w} {h}" for k, t, w, h in wrong[:10]))
        return stored

    def resend(self, keys, target=None):
        """Sends the frames `keys` again (100 a request); (accepted, duplicates)."""
        target = target or self.c.front
        keys = sorted(keys)
        accepted = duplicates = 0
        for i in range(0, len(keys), 100):
            batch = [push_load.frame(dev, push_load.seq_of(ms)) for dev, ms in keys[i:i + 100]]
            r = target.push(batch, self.c.token)
            self.assertEqual(r.status, 200, f"resending {names(keys[i:i + 100], 3)}: {r.status} {r.body[:300]}")
            accepted += r.json()["accepted"]
            duplicates += r.json()["duplicates"]
        return accepted, duplicates

    def node_pids(self):
        return [n.proc.pid if n.alive() else None for n in self.c.nodes]

    # ---- a. push, one node killed and restarted --------------------------------------------------
    def test_a_push_16_clients_one_node_killed_and_restarted(self):
        c = self.c
        load = PushLoad(c.token, "a-dev", lambda i: ("127.0.0.1", c.nginx.port), clients=CLIENTS).start()
        victim = c.nodes[1]
        try:
            load.wait_acked(500, "a: push load through nginx")
            victim.kill()
            at_kill = load.acked_count()
            load.wait_acked(at_kill + 500, f"a: push load with {victim.host} killed")
            victim.start()
            wait_for(f"{victim.host} answering /healthz after its restart", lambda: victim.health()[0] == 200)
            load.wait_acked(load.acked_count() + 500, f"a: push load after {victim.host} restarted")
        finally:
            load.stop()
        statuses = collections.Counter(a.status for a in load.answers)
        print(f"a: {len(load.answers)} requests, statuses {dict(statuses)}; {len(load.acked)} frames acknowledged "
              f"of {len(load.sent)} sent", flush=True)
        self.check_acknowledged(load, "a")
        # Every acknowledged frame again, through nginx (so to every node): only duplicates.
        accepted, duplicates = self.resend(load.acked)
        self.assertEqual((accepted, duplicates), (0, len(load.acked)),
                         "a: acknowledged frames sent again were not all duplicates")
        # And a batch straight to the restarted node.
        some = sorted(load.acked)[:100]
        self.assertEqual(self.resend(some, victim), (0, len(some)), f"a: {victim.host} took stored frames as new")
        # The frames never acknowledged (in flight at the kill): stored at most once, whatever their fate.
        rest = load.sent - load.acked
        accepted, duplicates = self.resend(rest)
        self.assertEqual(accepted + duplicates, len(rest))
        stored = collections.Counter()
        for i in range(load.clients):
            for key, _s, _v in frames_of(c.front, c.token, load.device(i)):
                stored[key] += 1
        doubled = [k for k, n in stored.items() if n > 1]
        self.none(doubled, f"a: frames stored twice after sending everything again: {names(doubled)}")
        self.assertEqual(set(stored), load.sent, f"a: sent frames missing after sending everything again: "
                                                 f"{names(load.sent - set(stored))}")

    # ---- b. a connector on every node: each window once ------------------------------------------
    def connector(self, name, meters, schedule="every 2s", history="3d", limit=50, timeout="10s"):
        """An API connector on the generic vendor: day windows (UTC), cursor paging of `limit`
        readings, each request given `timeout`; the same file on every node, then a reload (SIGHUP)."""
        meters_toml = "".join(f'[[meters]]\nid = "{m}"\n\n' for m in meters)
        text = f'''type = "api"
tenant = "acme"
env = "preprod"
module = "vendor.{{meter}}"
schedule = "{schedule}"

{meters_toml}[request]
url = "{self.c.vendor.base}/generic/cursor"
[request.query]
meter = "{{meter}}"
from = "{{from}}"
to = "{{to}}"
limit = "{{limit}}"
cursor = "{{cursor}}"

[auth]
kind = "api_key"
header = "X-API-Key"

[pagination]
kind = "cursor"
limit = {limit}
cursor_path = "/next_cursor"

[window]
max = "1d"
history = "{history}"
align = "day"
time_format = "iso8601_utc"
timezone = "UTC"

[limits]
backoff = "100ms"
backoff_max = "400ms"
timeout = "{timeout}"

[mapping]
format = "json"
records = "/readings"
[mapping.fields]
timestamp = "time"
value = "value"
unit = "../unit"
'''
        for n in self.c.nodes:
            path = os.path.join(n.data_dir, "secrets.toml")
            with open(path, "a") as f:
                f.write(f'[{name}]\napi_key = "k-123"\n')
            os.chmod(path, 0o600)
            with open(os.path.join(n.data_dir, "connectors", f"{name}.toml"), "w") as f:
                f.write(text)
            if n.alive():
                n.signal(signal.SIGHUP)

    def vendor_requests(self, meters):
        """The vendor's data requests for these meters, in order: (meter, from, to, cursor)."""
        out = []
        for path in self.c.vendor.info()["calls"]:
            u = urllib.parse.urlparse(path)
            q = dict(urllib.parse.parse_qsl(u.query))
            if u.path == "/generic/cursor" and q.get("meter") in meters:
                out.append((q["meter"], q["from"], q["to"], q.get("cursor") or "0"))
        return out

    @staticmethod
    def day_windows(meters, days, today_ms):
        """(meter, from, to) of the `days` UTC days before `today_ms` (UTC midnight), as the vendor sees them."""
        f = "%Y-%m-%dT%H:%M:%SZ"
        fmt = lambda ms: dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).strftime(f)  # noqa: E731
        return {(m, fmt(today_ms - k * DAY_MS), fmt(today_ms - (k - 1) * DAY_MS)) for m in meters for k in range(days, 0, -1)}

    @staticmethod
    def utc_day_with_room(what, budget_s):
        """UTC midnight (ms) starting the day the case runs in, from start to end. The connectors' day
        windows end at the midnight before their run, so a case that ran across midnight would see its
        later runs ask for the new day (or its first run ask for other days than expected): when fewer
        than `budget_s` seconds (the sum of the case's waits: longer, it has failed anyway) remain
        before midnight, this waits for midnight to pass first."""
        left = 86400 - time.time() % 86400
        if left < budget_s:
            print(f"{what}: {left:.0f} s before UTC midnight, the case may take {budget_s} s: waiting for midnight",
                  flush=True)
            time.sleep(left + 1)
        return (int(time.time() * 1000) // DAY_MS) * DAY_MS

    def assert_same_utc_day(self, what, today_ms, budget_s):
        """After the case's last read of what the connector did: still the day it started in."""
        now = (int(time.time() * 1000) // DAY_MS) * DAY_MS
        self.assertEqual(now, today_ms, f"{what}: UTC midnight passed during the case, which took longer than the "
                                        f"{budget_s} s its start allowed for: its day windows cannot be told")

    def expected_points(self, meter, days, today_ms):
        start = today_ms - days * DAY_MS
        return {t * 1000: vendor_series.value(meter, t) for t in range(start // 1000, today_ms // 1000, 600)}

    def runs(self, name):
        r = self.reader.get(f"/v1/connectors/{name}/runs?limit=1000", self.c.token)
        self.assertEqual(r.status, 200, r.body)
        return r.json()["runs"]

    def wait_series(self, name, meters, days, today_ms, timeout):
        want = {f"vendor.{m}": self.expected_points(m, days, today_ms) for m in meters}

        def complete():
            got = series(self.reader, self.c.token, list(want))
            return got if all(len(got[m]) >= len(want[m]) for m in want) else None
        try:
            got = wait_for(f"{name}: every reading of {days} days stored", complete, timeout, interval=1)
        except AssertionError:
            got = series(self.reader, self.c.token, list(want))
            missing = {m: sorted(set(want[m]) - set(got[m])) for m in want}
            raise AssertionError(f"{name}: readings missing after {timeout} s (a gap): " + "; ".join(
                f"{m}: {len(v)} missing, first {push_load.iso(v[0])}" for m, v in missing.items() if v)
                + "; vendor requests so far: " + str(len(self.vendor_requests(meters))))
        for m in want:
            wrong = {t: (got[m].get(t), v) for t, v in want[m].items() if got[m].get(t) != v}
            self.none(wrong, f"{name}: {m}: {len(wrong)} readings differ from the vendor's (instant: stored, vendor): "
                             + ", ".join(f"{push_load.iso(t)}: {v}" for t, v in sorted(wrong.items())[:10]))
            extra = sorted(set(got[m]) - set(want[m]))
            self.none(extra, f"{name}: {m} has {len(extra)} readings the vendor never served, first at "
                             + ", ".join(push_load.iso(t) for t in extra[:10]))

    B_BUDGET_S = 240  # its waits (120 + 60 s) and the rest

    def test_b_a_connector_on_every_node_runs_each_window_once(self):
        name, meters, days = "cl-b", ["m-b1", "m-b2"], 3
        today = self.utc_day_with_room(name, self.B_BUDGET_S)
        self.connector(name, meters, history=f"{days}d")
        self.wait_series(name, meters, days, today, timeout=120)
        # Three more runs after the last window (whichever nodes ran them): each finds nothing to do.
        done = len(self.runs(name))
        wait_for(f"{name}: three more runs", lambda: len([r for r in self.runs(name) if r.get("finished")]) >= done + 3, 60)
        requests = self.vendor_requests(meters)
        runs = self.runs(name)
        self.assert_same_utc_day(name, today, self.B_BUDGET_S)
        counts = collections.Counter(requests)
        twice = {k: n for k, n in counts.items() if n > 1}
        self.assertEqual(twice, {}, f"{name}: pages asked of the vendor more than once "
                                    "((meter, from, to, cursor): times)")
        windows = {(m, f, t) for m, f, t, _ in requests}
        expected = self.day_windows(meters, days, today)
        self.assertEqual(windows - expected, set(), f"{name}: windows asked that should not be")
        self.assertEqual(expected - windows, set(), f"{name}: windows never asked (a gap)")
        self.assertEqual(sum(r["windows"] for r in runs), len(expected),
                         f"{name}: windows committed over all runs ≠ {len(expected)} (a window committed twice?): "
                         + str([(r["status"], r["windows"], r["message"]) for r in runs if r["windows"]]))
        self.assertEqual([r for r in runs if r["status"] not in ("ok",)], [], f"{name}: runs that did not end ok")
        ran = {n.host: len(n.log_events("connector_run", connector=name)) for n in self.c.nodes}
        print(f"{name}: {len(runs)} runs (per node: {ran}), {len(requests)} vendor requests", flush=True)

    # ---- c. the lease holder killed, or stopped, mid-run: another node takes over --------------
    PAGES = 3  # pages of a day window: 144 readings of 10 minutes, 50 a page

    def lease_holder(self, name):
        """The node holding the lease of connector `name` now (checked against its pid), or None."""
        holder = self.c.pg.psql("db1", f"SELECT holder FROM leases WHERE name = 'connector:{name}' AND holder <> ''",
                                database="telecollect")
        if not holder:
            return None
        host, _, pid = holder.rpartition(":")
        node = next((n for n in self.c.nodes if n.host == host), None)
        self.assertIsNotNone(node, f"{name}: the lease is held by {holder!r}, no node of the cluster")
        self.assertTrue(node.alive() and node.proc.pid == int(pid), f"{name}: the lease is held by {holder!r}, "
                                                                     f"{node.host} runs as {self.node_pids()}")
        return node

    def committed_windows(self, name):
        """{host: Counter((meter, from, to))}: the windows each node's log says it committed, over all
        its starts (as the vendor saw them: from and to in the request's format)."""
        pattern = re.compile(r"^(\S+): (\S+) \.\. (\S+?)(?: \(asked again\))?: \d+ page\(s\), \d+ reading\(s\), committed")
        vendor_time = lambda text: dt.datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        out = {}
        for n in self.c.nodes:
            out[n.host] = collections.Counter()
            for e in n.log_events("connector_window", since_start=False, connector=name):
                m = pattern.match(e.get("what", ""))
                if m:
                    out[n.host][(m.group(1), vendor_time(m.group(2)), vendor_time(m.group(3)))] += 1
        return out

    def long_run_held(self, name, meters, days, held_page, hold_s, timeout="10s"):
        """Starts connector `name` (`days` day windows of each meter, pages slowed to 0.1 s so that the
        run outlives the lease's TTL) and returns once its holder waits for the vendor's answer to
        page number `held_page` (held `hold_s` seconds): (holder, its run's id, the window in flight)."""
        self.c.vendor.admin(slow=0.1, faults=[{"sleep": 0}] * (held_page - 1) + [{"sleep": hold_s}])
        self.connector(name, meters, history=f"{days}d", timeout=timeout)
        wait_for(f"{name}: the run at page {held_page}", lambda: len(self.vendor_requests(meters)) >= held_page, 90, 0.05)
        holder = self.lease_holder(name)
        self.assertIsNotNone(holder, f"{name}: a run asks the vendor, yet nobody holds the lease")
        requests = self.vendor_requests(meters)
        self.assertEqual(len(requests), held_page, f"{name}: pages asked beyond the held one: {requests[held_page:]}")
        running = [r for r in self.runs(name) if r["status"] == "running"]
        self.assertEqual(len(running), 1, f"{name}: runs said running while one holder runs: {running}")
        return holder, running[0]["id"], requests[-1][:3]

    def wait_takeover(self, name, meters, after, since):
        """Waits until another node asks the vendor (more than `after` pages), within the lease's TTL and
        two scheduler periods; the new holder and how long it took."""
        wait_for(f"{name}: another node taking the lease over within {LEASE_TTL_S} s (lease_ttl) + 10 s",
                 lambda: len(self.vendor_requests(meters)) > after, LEASE_TTL_S + 10, 0.05)
        return self.lease_holder(name), time.monotonic() - since

    def check_each_window_once(self, name, meters, days, today, budget_s, victim, victim_run, in_flight, last_status):
        """The vendor was asked every page once but the in-flight window's (asked again: it was never
        committed, or by a node whose commit is refused); every window committed once,
        `victim` holding the first ones; `victim_run` ended `last_status`, every other run "ok"."""
        requests = self.vendor_requests(meters)
        commits = self.committed_windows(name)
        runs = self.runs(name)
        self.assert_same_utc_day(name, today, budget_s)
        twice = sorted((k, n) for k, n in collections.Counter(requests).items() if n > 1 and k[:3] != in_flight)
        self.none(twice, f"{name}: {len(twice)} pages asked more than once outside the window in flight {in_flight} "
                         "((meter, from, to, cursor), times), first: " + ", ".join(map(str, twice[:5])))
        expected = self.day_windows(meters, days, today)
        self.assertEqual({r[:3] for r in requests}, expected, f"{name}: windows asked ≠ the {len(expected)} expected")
        total = sum(commits.values(), collections.Counter())
        self.assertEqual({w: n for w, n in total.items() if n != 1}, {}, f"{name}: windows committed more than once")
        self.assertEqual(set(total), expected, f"{name}: windows committed ≠ those expected (a gap)")
        self.assertNotIn(in_flight, commits[victim.host], f"{name}: the window in flight at {victim.host}'s "
                                                            "interruption was committed by it")
        mine = [r for r in runs if r["id"] == victim_run]
        self.assertEqual(len(mine), 1, f"{name}: run {victim_run} vanished")
        self.assertEqual((mine[0]["status"], "finished" in mine[0]), (last_status, True),
                         f"{name}: {victim.host}'s run: {mine[0]}")
        others = [r for r in runs if r["id"] != victim_run]
        self.assertEqual([r for r in others if r["status"] != "ok"], [], f"{name}: other runs that did not end ok")
        self.assertEqual(sum(r["windows"] for r in others), sum(total.values()) - sum(commits[victim.host].values()),
                         f"{name}: windows of the runs after {victim.host}'s ≠ windows the other nodes committed "
                         f"(per node: {dict((h, sum(c.values())) for h, c in commits.items())})")
        return requests, commits, runs

    C1_BUDGET_S = 360  # its waits (90 + 13 + 90 + 30 + 60 s), the victim's restart and the rest

    def test_c1_lease_holder_killed_mid_run_another_node_finishes(self):
        name, meters, days, held_page = "cl-c1", ["m-c1a", "m-c1b", "m-c1c"], 10, 32
        today = self.utc_day_with_room(name, self.C1_BUDGET_S)
        victim = None
        try:
            victim, victim_run, in_flight = self.long_run_held(name, meters, days, held_page, hold_s=4)
            victim.kill()
            killed_at = time.monotonic()
            successor, took = self.wait_takeover(name, meters, held_page, killed_at)
            self.wait_series(name, meters, days, today, timeout=90)
            wait_for(f"{name}: {victim.host}'s run closed as interrupted",
                     lambda: any(r["id"] == victim_run and r["status"] == "interrupted" for r in self.runs(name)), 30)
        finally:
            self.c.vendor.admin(slow=0, faults=[])
            if victim is not None and not victim.alive():
                victim.start()  # the cases after this one run on 3 nodes
        wait_for(f"{victim.host} answering /healthz after its restart", lambda: victim.health()[0] == 200)
        requests, commits, runs = self.check_each_window_once(name, meters, days, today, self.C1_BUDGET_S, victim,
                                                              victim_run, in_flight, "interrupted")
        # The killed node committed the windows whose every page it had: those before the held page's.
        self.assertEqual(sum(commits[victim.host].values()), (held_page - 1) // self.PAGES,
                         f"{name}: windows {victim.host} committed before its kill")
        print(f"{name}: {victim.host} killed at page {held_page} (window {in_flight}); {successor and successor.host} "
              f"took over after {took:.1f} s; {len(runs)} runs, {len(requests)} vendor requests; commits per node "
              f"{dict((h, sum(c.values())) for h, c in commits.items())}", flush=True)

    C2_BUDGET_S = 360  # its waits (90 + 13 + 90 + 30 + 60 + 10 s) and the rest

    def test_c2_lease_holder_stopped_past_its_ttl_its_late_commit_refused(self):
        # Held: the last page of a window, and a request timeout longer than the stop, so that once
        # resumed the node has that answer at once and goes straight to committing the window.
        name, meters, days, held_page = "cl-c2", ["m-c2a", "m-c2b", "m-c2c"], 10, 33
        today = self.utc_day_with_room(name, self.C2_BUDGET_S)
        victim = None
        try:
            victim, victim_run, in_flight = self.long_run_held(name, meters, days, held_page, hold_s=4, timeout="120s")
            victim.signal(signal.SIGSTOP)
            stopped_at = time.monotonic()
            self.reader = next(n for n in self.c.nodes if n is not victim)  # nginx would wait on the stopped node
            successor, took = self.wait_takeover(name, meters, held_page, stopped_at)
            self.wait_series(name, meters, days, today, timeout=90)
            self.c.vendor.admin(slow=0)
            stopped_for = time.monotonic() - stopped_at
            ended = len(victim.log_events("connector_run", connector=name))
            victim.signal(signal.SIGCONT)
            # Its held page answered long ago, it goes on with the window in flight: its commit must be refused.
            wait_for(f"{name}: {victim.host}'s run ended once resumed (its connector_run event)",
                     lambda: len(victim.log_events("connector_run", connector=name)) > ended, 30)
            # Three more runs (whichever nodes ran them): a watermark moved back by a late commit would
            # make them ask the vendor again.
            done = len([r for r in self.runs(name) if r.get("finished")])
            wait_for(f"{name}: three more runs", lambda: len([r for r in self.runs(name) if r.get("finished")]) >= done + 3, 60)
        finally:
            self.c.vendor.admin(slow=0, faults=[])
            if victim is not None and victim.alive():
                victim.signal(signal.SIGCONT)
            self.reader = self.c.front
        self.assertEqual(victim.health()[0], 200, f"{victim.host}: /healthz after it resumed")
        self.wait_series(name, meters, days, today, timeout=10)
        requests, commits, runs = self.check_each_window_once(name, meters, days, today, self.C2_BUDGET_S, victim,
                                                              victim_run, in_flight, "lease_lost")
        lost = victim.log_events("connector_run", connector=name, status="lease_lost")
        self.assertEqual(len(lost), 1, f"{name}: {victim.host}'s log: connector_run events with status lease_lost")
        # It did try: the window in flight, its every page in hand, refused at its commit.
        meter, frm = in_flight[0], dt.datetime.strptime(in_flight[1], "%Y-%m-%dT%H:%M:%SZ").strftime("%Y-%m-%dT%H:%M:%S")
        refused = [e["what"] for e in victim.log_events("connector_window", connector=name)
                   if e.get("what", "").startswith(f"{meter}: {frm}") and "FAILED: lease lost" in e["what"]]
        self.assertEqual(len(refused), 1, f"{name}: {victim.host}'s log: the refused commit of the window in flight "
                                          f"{in_flight}; its connector_window events: "
                                          + str([e.get("what") for e in victim.log_events("connector_window", connector=name)][-3:]))
        print(f"{name}: {victim.host} stopped {stopped_for:.1f} s at page {held_page} (window {in_flight}); "
              f"{successor and successor.host} took over after {took:.1f} s; {len(runs)} runs, {len(requests)} vendor "
              f"requests; commits per node {dict((h, sum(c.values())) for h, c in commits.items())}", flush=True)

    # ---- d. PostgreSQL stopped for 10 s under push load -------------------------------------------
    def test_d_postgresql_stopped_10s_under_push_load(self):
        c, outage_s = self.c, 10
        pids = self.node_pids()
        leaks = ["127.0.0.1", "localhost", "host=", "port="] + [str(p) for p in c.pg.ports.values()]  # in a 503
        events = lambda: {n.host: (len(n.log_events("store_unreachable")), len(n.log_events("store_reconnected")))  # noqa: E731
                          for n in c.nodes}
        logged_before = events()
        load = PushLoad(c.token, "d-dev", lambda i: ("127.0.0.1", c.nodes[i % NODES].port), clients=12).start()
        probes = []  # (when, host, what, status, headers, body): /healthz and a read of each node during the outage
        try:
            load.wait_acked(300, "d: push load before PostgreSQL stops")
            c.pg.stop_server("db1")
            stopped_at = time.monotonic()
            while time.monotonic() < stopped_at + outage_s:
                for n in c.nodes:
                    st, h, body = n.health(timeout=3)
                    probes.append((time.monotonic(), n.host, "/healthz", st, h, body))
                    try:
                        r = n.request("GET", "/v1/frames?limit=1", token=c.token, timeout=3)
                        probes.append((time.monotonic(), n.host, "GET /v1/frames", r.status, r.headers, r.body))
                    except OSError as e:
                        probes.append((time.monotonic(), n.host, "GET /v1/frames", None, {}, str(e)))
                time.sleep(0.3)
            restarting_at = time.monotonic()
            c.pg.start_server("db1")
            c.pg.wait_sync()  # e needs the standby in sync
            at_restart = load.acked_count()
            load.wait_acked(at_restart + 300, "d: push load after PostgreSQL came back", timeout=90)
            for n in c.nodes:
                wait_for(f"d: {n.host} /healthz 200 after PostgreSQL came back", lambda n=n: n.health()[0] == 200, 60)
        finally:
            load.stop()
            if c.pg.procs["db1"].poll() is not None:
                c.pg.start_server("db1")
        during = [a for a in load.answers if a.sent > stopped_at and a.answered < restarting_at]
        per_node = collections.Counter(c.nodes[a.client % NODES].host for a in during)
        print(f"d: answers while PostgreSQL was down: {dict(collections.Counter(a.status for a in during))}, per node "
              f"{dict(per_node)}; {len(load.acked)} frames acknowledged, {at_restart} before the restart", flush=True)
        for n in c.nodes:
            self.assertGreaterEqual(per_node[n.host], 5, f"d: {n.host} answered {per_node[n.host]} pushes in "
                                                         f"{outage_s} s without its database (it should refuse at once)")
        wrong = [(a.status, a.retry_after, a.body[:200]) for a in during
                 if a.status != 503 or not (a.retry_after or "").isdigit() or any(x in a.body for x in leaks)]
        self.assertEqual(wrong[:10], [], f"d: {len(wrong)} answers without the database not 503 + Retry-After, or naming "
                                         "its host or port (status, Retry-After, body)")
        for a in during:
            self.assertIsInstance(json.loads(a.body), dict, f"d: a 503's body is not a JSON object: {a.body[:200]}")
        for n in c.nodes:
            mine = [p for p in probes if p[1] == n.host]
            first = next((p[0] for p in mine if p[2] == "/healthz" and p[3] == 503), None)
            self.assertIsNotNone(first, f"d: {n.host}'s /healthz never 503 without its database: {mine[:3]}")
            self.assertLess(first - stopped_at, 5, f"d: {n.host}'s /healthz still {mine[0][3]} {first - stopped_at:.1f} s "
                                                   "after the database stopped")
            bad = [(w, st, body[:200]) for t, _, w, st, _, body in mine if t >= first and st != 503]
            self.assertEqual(bad, [], f"d: {n.host}: answers not 503 once its /healthz said so")
            for t, _, what, st, h, body in mine:
                if st == 503:
                    self.assertEqual([x for x in leaks if x in body], [], f"d: {n.host} {what}: a 503 naming the "
                                                                          f"database: {body[:200]}")
                if t < first:
                    continue
                if what == "/healthz":
                    b = json.loads(body)
                    self.assertEqual((b.get("status"), b.get("reason")), ("unavailable", "database unreachable"),
                                     f"d: {n.host}'s /healthz without its database: {body[:200]}")
                else:
                    self.assertTrue((h.get("Retry-After") or "").isdigit(), f"d: {n.host} {what}: 503 without Retry-After")
        self.check_acknowledged(load, "d")
        self.assertEqual(self.node_pids(), pids, "d: a node was restarted (or died)")
        logged = events()
        for n in c.nodes:
            self.assertEqual(tuple(b - a for a, b in zip(logged_before[n.host], logged[n.host])), (1, 1),
                             f"d: {n.host}'s log: store_unreachable and store_reconnected events for one outage")

    # ---- e. the primary killed, the synchronous standby promoted ------------------------------
    def test_e_standby_promoted_after_the_primary_is_killed(self):
        c = self.c
        pids = self.node_pids()
        load = PushLoad(c.token, "e-dev", lambda i: ("127.0.0.1", c.nginx.port), clients=CLIENTS).start()
        try:
            load.wait_acked(300, "e: push load on the primary")
            c.pg.kill_server("db1")
            killed_at = time.monotonic()
            # The promotion comes once the nodes had to answer without a primary (50 answers).
            wait_for("e: answers while no primary exists",
                     lambda: len([a for a in list(load.answers) if a.sent > killed_at]) >= 50, 60, interval=0.05)
            promoting_at = time.monotonic()  # from here on db2 may take writes
            c.pg.promote("db2")
            at_promotion = load.acked_count()
            load.wait_acked(at_promotion + 300, "e: push load after db2 was promoted", timeout=120)
            for n in c.nodes:  # every node, straight: each writes to the new primary
                wait_for(f"e: {n.host} storing a push after the promotion",
                         lambda n=n: n.push(push_load.frame(f"e-probe-{n.host}", 0), c.token).status == 200, 90)
        finally:
            load.stop()
        acked_in_gap = {k for a in load.answers if a.status == 200 and a.sent > killed_at and a.answered < promoting_at
                        for k in a.keys}
        self.none(acked_in_gap, "e: frames acknowledged while no primary existed: " + names(acked_in_gap))
        gap = collections.Counter(a.status for a in load.answers if a.sent > killed_at and a.answered < promoting_at)
        print(f"e: answers while no primary existed: {dict(gap)}", flush=True)
        # Through nginx (docs/deployment.md's config), the nodes' own 503 with its Retry-After: not
        # a 502 of nginx's, which it would answer once every node were marked failed for its 503s.
        self.assertEqual(set(gap) - {503}, set(), f"e: answers other than 503 while no primary existed: {dict(gap)}")
        print(f"e: {len(load.acked)} frames acknowledged, {at_promotion} of them before the promotion", flush=True)
        self.check_acknowledged(load, "e")
        self.assertEqual(self.node_pids(), pids, "e: a node was restarted (or died)")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # ctest's timeout: clean up (atexit) first
    unittest_main()
