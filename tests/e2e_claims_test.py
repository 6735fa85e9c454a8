"""End-to-end: documented claims that no other suite proved (docs/claims.md names them).

- docs/push.md: a token "is stored as a SHA-256 hash": the database and its WAL, read raw, hold
  the hash and never the token.
- docs/cli.md: `redecode --status all` is idempotent: run twice, it leaves the same frames and the
  same stored measurements, and writes nothing new the second time.
- docs/cli.md: exit code 3, "not found", for `token revoke` of an id or fingerprint that names no
  token; the refusal names it and revokes nothing.
"""
import glob
import hashlib
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BRIEF_FRAME, Server, run_tests  # noqa: E402


def raw_store_bytes(data_dir):
    out = b""
    for path in glob.glob(os.path.join(data_dir, "telecollect.db*")):
        with open(path, "rb") as f:
            out += f.read()
    return out


def test_tokens_are_stored_only_as_hashes():
    server = Server()
    try:
        tokens = [server.token("acme", "preprod"), server.token("acme", "prod")]
        server.start()
        assert server.push(dict(BRIEF_FRAME, deviceid="hash-1"), tokens[0]).status == 200
        server.stop()
        raw = raw_store_bytes(server.data_dir)
        with open(os.path.join(server.data_dir, "server.log"), "rb") as f:
            log = f.read()
        for t in tokens:
            assert len(t) >= 20, t
            assert t.encode() not in raw, "a token is stored in clear in the database"
            assert t.encode() not in log, "a token is in the server log"
            digest = hashlib.sha256(t.encode()).digest()
            assert digest in raw or digest.hex().encode() in raw, "the token's SHA-256 is not what is stored"
        listed = server.cli("token", "list").stdout
        assert all(t not in listed for t in tokens), listed
    finally:
        server.cleanup()


def measurements(server):
    out = {}
    for module in ("rd-1.temperature", "rd-1.humidity", "rd-2.temperature"):
        q = server.cli("query", "measurements", "--tenant", "acme", "--env", "preprod", "--module", module,
                  "--from", "2019-04-01T00:00:00Z", "--to", "2019-05-01T00:00:00Z")
        out[module] = q.stdout
    return out


def frames(data_dir):
    db = sqlite3.connect(f"file:{os.path.join(data_dir, 'telecollect.db')}?mode=ro", uri=True)
    try:
        cols = [c[1] for c in db.execute("PRAGMA table_info(frames)")]
        keep = [c for c in cols if c not in ("decoded_at", "updated_at")]
        return sorted(db.execute(f"SELECT {', '.join(keep)} FROM frames").fetchall(), key=repr), keep
    finally:
        db.close()


def test_redecode_status_all_is_idempotent():
    server = Server()
    try:
        token = server.token("acme", "preprod")
        server.start()
        batch = [dict(BRIEF_FRAME, deviceid="rd-1"),
                 dict(BRIEF_FRAME, deviceid="rd-2", timestamp="2019-04-28T13:09:36.599Z", payload="cbf60b0e0376010add7fff"),
                 dict(BRIEF_FRAME, deviceid="rd-3", payload="cbf6", fport=42)]  # fails to decode
        r = server.push(batch, token)
        assert r.status == 200 and r.json()["decoded"] == 2 and r.json()["failed"] == 1, r.body
        server.stop()
        before_m, before_f = measurements(server), frames(server.data_dir)
        assert "28.29" in before_m["rd-1.temperature"] and "28.3" in before_m["rd-2.temperature"], before_m
        outs = []
        for _ in range(2):
            out = server.cli("redecode", "--tenant", "acme", "--env", "preprod", "--status", "all")
            outs.append(out.stdout)
            assert measurements(server) == before_m, (out.stdout, measurements(server))
            assert frames(server.data_dir) == before_f, out.stdout
        assert outs[0] == outs[1], outs
        assert "3 frames scanned" in outs[0], outs[0]
    finally:
        server.cleanup()


def test_token_revoke_of_an_unknown_token_exits_3_and_revokes_nothing():
    server = Server()
    try:
        token = server.token("acme", "preprod")
        before = server.cli("token", "list").stdout
        fingerprint = hashlib.sha256(token.encode()).hexdigest()[:8]
        assert fingerprint in before, before
        unknown_fp = "0" * 8 if fingerprint != "0" * 8 else "1" * 8
        for ident in ("987654", unknown_fp):
            r = server.cli("token", "revoke", ident, check=False)
            assert r.returncode == 3, (ident, r.returncode, r.stdout, r.stderr)
            assert ident in r.stderr, r.stderr
            assert server.cli("token", "list").stdout == before, "a refused revoke changed the tokens"
        server.start()
        assert server.push(dict(BRIEF_FRAME, deviceid="revoke-1"), token).status == 200
        server.stop()
        # The same command on the token's own fingerprint revokes it (exit 0): the 3 above is "not found".
        r = server.cli("token", "revoke", fingerprint, check=False)
        assert r.returncode == 0, (r.returncode, r.stderr)
        assert server.cli("token", "list").stdout != before
    finally:
        server.cleanup()


if __name__ == "__main__":
    run_tests(globals())
