"""End-to-end: PostgreSQL stopped for 10 s under push load (issue 19).

One `telecollect serve` on a PostgreSQL 15 of its own (tests/pg_server.py's PgServer, run as an
unprivileged user), 8 push clients (tests/push_load.py). PostgreSQL is stopped as an operator
would (pg_ctl stop -m fast), left down 10 s, and started again on the same port. Meanwhile every
answer of the node is a 503 with Retry-After and a JSON body that names no host, port, user or
password, including authentication (a token the node cannot look up is not a 401); /healthz is 503
and says why. The log says store_unreachable once and store_reconnected once. Afterwards the same
process takes pushes again, and every frame it acknowledged is stored exactly once with its values.
"""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import push_load  # noqa: E402
from harness import BIN, Server, free_port, unittest_main  # noqa: E402
from pg_server import ROLE, PgServer  # noqa: E402

OUTAGE_S = 10
CLIENTS = 8


class PostgresOutage(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.pg = PgServer().start()
        self.addCleanup(self.pg.stop)
        os.environ["PGPASSWORD"] = self.pg.password  # the nodes' libpq reads it; never in the config
        self.server = Server(extra_config=f'[store]\nbackend = "postgres"\nurl = "{self.pg.conninfo}"\n')
        self.addCleanup(self.server.cleanup)
        # Secrets and whereabouts that no answer may carry.
        self.forbidden = ["127.0.0.1", str(self.pg.port), self.pg.password, f'user "{ROLE}"', f"user={ROLE}",
                          "connection to server", "libpq"]

    def leaks(self, body):
        return [f for f in self.forbidden if f in body]

    def assert_outage_answer(self, what, status, retry_after, body):
        """503, Retry-After: 1, a JSON body with an error, and nothing of the database's whereabouts."""
        self.assertEqual(status, 503, f"{what}: {status} {body[:300]}")
        self.assertEqual(retry_after, "1", f"{what}: Retry-After {retry_after!r}")
        try:
            doc = json.loads(body)
        except ValueError:
            self.fail(f"{what}: not JSON: {body[:300]}")
        self.assertIsInstance(doc, dict, f"{what}: {body[:300]}")
        self.assertTrue(doc.get("error") or doc.get("reason"), f"{what}: no error nor reason: {body[:300]}")
        self.assertEqual(self.leaks(body), [], f"{what}: the answer names the database: {body[:300]}")
        return doc

    def test_a_node_started_while_postgres_is_down_exits_for_its_supervisor(self):
        """It cannot check the schema, so it does not serve: status 1 (systemd's Restart=on-failure
        starts it again, dist/telecollect.service), the reason logged, no secret in it."""
        with tempfile.TemporaryDirectory() as d:
            conf = os.path.join(d, "telecollect.toml")
            with open(conf, "w") as f:
                f.write(f'data_dir = "{d}"\n[store]\nbackend = "postgres"\n'
                        f'url = "host=127.0.0.1 port={free_port()} dbname=tc user={ROLE} connect_timeout=5"\n')
            run = subprocess.run([BIN, "--config", conf, "serve", "--listen", "127.0.0.1:0"], capture_output=True,
                                 text=True, timeout=60)
        self.assertEqual(run.returncode, 1, run.stderr[-2000:])
        self.assertIn("store_open_failed", run.stderr)
        self.assertIn('error="database unreachable"', run.stderr)
        self.assertNotIn(self.pg.password, run.stderr + run.stdout)
        with open(os.path.join(os.path.dirname(__file__), "..", "dist", "telecollect.service")) as f:
            self.assertIn("Restart=on-failure", f.read())

    def test_postgres_stopped_10s_under_push_load(self):
        server, pg = self.server, self.pg
        token = server.token("acme", "preprod")
        server.start()
        pid = server.proc.pid
        r = server.request("GET", "/healthz")
        self.assertEqual(r.status, 200, r.body)

        load = push_load.PushLoad(token, "outage-dev", lambda i: ("127.0.0.1", server.port), clients=CLIENTS,
                                  batch=10, max_requests=100000, timeout=30).start()
        self.addCleanup(lambda: load._stop.set())
        load.wait_acked(400, "push load before the outage")

        pg.pause()  # pg_ctl stop -m fast -w: every session ended, the server down when it returns
        down_at = time.monotonic()
        probes = []  # (what, status, Retry-After, body) of requests made while PostgreSQL is down
        while time.monotonic() < down_at + OUTAGE_S:
            for what, method, path, tok in (("GET /healthz", "GET", "/healthz", None),
                                            ("GET /v1/frames", "GET", "/v1/frames?limit=1", token),
                                            ("GET /v1/modules", "GET", "/v1/modules", token)):
                r = server.request(method, path, token=tok)
                probes.append((what, r.status, r.headers.get("Retry-After"), r.body))
            # A token the node has never seen: authentication needs the store, so 503, never 401.
            r = server.push([push_load.frame("outage-probe", 0)], "tc_pre_NeverIssuedToken0000000000")
            probes.append(("push, unknown token", r.status, r.headers.get("Retry-After"), r.body))
            time.sleep(0.5)
        up_from = time.monotonic()
        pg.resume()
        deadline = time.monotonic() + 30
        while server.request("GET", "/healthz").status != 200:
            self.assertLess(time.monotonic(), deadline, "/healthz not 200 within 30 s of PostgreSQL's restart")
            time.sleep(0.1)
        recovered_s = time.monotonic() - up_from
        at_restart = load.acked_count()
        load.wait_acked(at_restart + 400, "push load after PostgreSQL's restart")
        load.stop()

        # The same process, never restarted.
        self.assertIsNone(server.proc.poll(), "telecollect exited")
        self.assertEqual(server.proc.pid, pid)

        # While PostgreSQL was down: 503 for everything, with the reason on /healthz.
        self.assertGreater(len(probes), 4 * 10)
        for what, status, retry_after, body in probes:
            doc = self.assert_outage_answer(what, status, retry_after, body)
            if what == "GET /healthz":
                self.assertEqual(doc.get("status"), "unavailable", body)
                self.assertEqual(doc.get("reason"), "database unreachable", body)
        during = [a for a in load.answers if a.sent >= down_at and a.answered <= up_from]
        self.assertGreater(len(during), 5 * CLIENTS, "too few pushes answered during the outage")
        for a in during:
            self.assert_outage_answer(f"push of client {a.client} during the outage", a.status, a.retry_after, a.body)
        # Answered, always: no reset connection, no timeout, no other status.
        statuses = collections.Counter(a.status for a in load.answers)
        self.assertEqual(set(statuses) - {200, 503}, set(), f"answers: {dict(statuses)}")
        self.assertGreaterEqual(statuses[200] * 10, 800)  # 400 frames before the outage, 400 after

        # One line when the outage started, one when it ended; no password anywhere in the log.
        with open(os.path.join(server.data_dir, "server.log")) as f:
            log = f.read()
        unreachable = [line for line in log.splitlines() if "store_unreachable" in line]
        reconnected = [line for line in log.splitlines() if "store_reconnected" in line]
        self.assertEqual(len(unreachable), 1, "\n".join(unreachable))
        self.assertEqual(len(reconnected), 1, "\n".join(reconnected))
        outage_ms = int(re.search(r"outage_ms=(\d+)", reconnected[0]).group(1))
        self.assertGreaterEqual(outage_ms, (OUTAGE_S - 1) * 1000, reconnected[0])
        self.assertNotIn(pg.password, log)

        # Every acknowledged frame stored exactly once, decoded, with its values; nothing else.
        stored = collections.Counter()
        for i in range(CLIENTS):
            for key, status, _values in push_load.frames_of(server, token, load.device(i)):
                stored[key] += 1
                if key in load.acked:
                    self.assertEqual(status, "decoded", push_load.name(key))
        doubled = [k for k, n in stored.items() if n > 1]
        self.assertEqual(doubled, [], f"stored more than once: {push_load.names(doubled)}")
        lost = load.acked - set(stored)
        self.assertEqual(lost, set(), f"{len(lost)} of {len(load.acked)} acknowledged frames lost: "
                                      f"{push_load.names(lost)}")
        self.assertEqual(set(stored) - load.sent, set())
        wrong = []
        for i in range(CLIENTS):
            dev = load.device(i)
            got = push_load.series(server, token, [f"{dev}.temperature", f"{dev}.humidity"])
            temps, hums = got[f"{dev}.temperature"], got[f"{dev}.humidity"]
            for d, ms in load.acked:
                if d == dev and (temps.get(ms) != push_load.temperature(push_load.seq_of(ms)) or hums.get(ms) != 88.6):
                    wrong.append((d, ms))
        self.assertEqual(wrong, [], f"acknowledged frames without their values: {push_load.names(wrong)}")
        print(f"outage {OUTAGE_S} s: {len(during)} pushes answered 503 meanwhile, {len(probes)} probes 503; "
              f"/healthz 200 {recovered_s:.2f} s after PostgreSQL's start; store_reconnected outage_ms={outage_ms}; "
              f"{len(load.acked)} frames acknowledged in all, answers {dict(statuses)}\n  {unreachable[0]}\n  "
              f"{reconnected[0]}", file=sys.stderr)


if __name__ == "__main__":
    unittest_main()
