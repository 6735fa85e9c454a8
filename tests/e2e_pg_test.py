"""End-to-end: `telecollect serve` on PostgreSQL (one node; the cluster suite comes later).

Runs under tests/pg_server.py, which exports TELECOLLECT_TEST_PG (conninfo) and
PGPASSWORD: the password reaches the server through the environment, never the config.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BRIEF_FRAME, Server, unittest_main  # noqa: E402


def pg_config():
    conninfo = os.environ.get("TELECOLLECT_TEST_PG")
    if not conninfo:
        raise AssertionError("TELECOLLECT_TEST_PG is not set: run under tests/pg_server.py")
    return f'[store]\nbackend = "postgres"\nurl = "{conninfo}"\n[auth]\ncache_ttl = "0ms"\n'


class PostgresEndToEnd(unittest.TestCase):
    def test_push_is_stored_once_and_survives_a_restart(self):
        server = Server(extra_config=pg_config())
        try:
            token = server.token("acme", "preprod")  # the CLI writes to PostgreSQL too
            server.start()
            r = server.push(BRIEF_FRAME, token)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json()["accepted"], 1)
            self.assertEqual(r.json()["measurements"], 5)
            r = server.push(BRIEF_FRAME, token)
            self.assertEqual(r.status, 200, r.body)
            self.assertEqual(r.json()["duplicates"], 1)
            server.kill()  # kill -9: what was acknowledged is in PostgreSQL
            server.start()
            frames = server.get("/v1/frames", token).json()["frames"]
            self.assertEqual(len(frames), 1)
            points = server.get("/v1/modules/123124.temperature/measurements", token)
            self.assertEqual(points.status, 200, points.body)
            self.assertEqual(len(points.json()["points"]), 1)
            # A second node on the same database sees the same frame as a duplicate.
            other = Server(extra_config=pg_config())
            try:
                other.start()
                r = other.push(BRIEF_FRAME, token)
                self.assertEqual(r.status, 200, r.body)
                self.assertEqual(r.json()["duplicates"], 1)
            finally:
                other.cleanup()
        finally:
            server.cleanup()

    def test_a_url_with_a_password_is_refused_at_start(self):
        server = Server(extra_config='[store]\nbackend = "postgres"\n'
                                     'url = "postgresql://telecollect:hunter2xyz@127.0.0.1:1/telecollect"\n')
        try:
            r = server.cli("token", "list", check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("carries a password", r.stderr)
            self.assertNotIn("hunter2xyz", r.stderr)
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest_main()
