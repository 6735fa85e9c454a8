#!/usr/bin/env python3
"""End-to-end, the admin scope of the route table: an admin token (CLI only)
passes the /v1/admin routes and no data route; a tenant token passes no admin
route; no token passes neither. Tokens made and revoked over the admin routes
work at once on the data routes (within auth.cache_ttl for a revocation)."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BRIEF_FRAME, Server, run_tests  # noqa: E402

PUSH = BRIEF_FRAME


def started():
    return Server("[auth]\ncache_ttl = \"100ms\"\n").start()


def test_each_scope_passes_its_routes_only():
    s = started()
    try:
        admin = s.cli("token", "create", "--admin", "--label", "ops").stdout.strip()
        assert admin.startswith("tc_admin_"), admin
        tenant = s.token("acme", "preprod")
        # No token: 401 everywhere but /healthz and /metrics.
        assert s.request("GET", "/v1/admin/tokens").status == 401
        assert s.request("GET", "/v1/modules").status == 401
        assert s.request("GET", "/healthz").status == 200
        # A tenant token on admin routes: 403, nothing changed.
        for method, path, body in (("GET", "/v1/admin/tokens", None),
                                   ("POST", "/v1/admin/tokens", '{"tenant": "other", "env": "prod"}'),
                                   ("DELETE", "/v1/admin/tokens/1", None)):
            r = s.request(method, path, body, {"Content-Type": "application/json"}, tenant)
            assert r.status == 403 and "admin token" in r.json()["error"], (method, path, r.status, r.body)
        # An admin token on data routes: 403 (it belongs to no tenant).
        r = s.push(PUSH, admin)
        assert r.status == 403, (r.status, r.body)
        r = s.get("/v1/modules", admin)
        assert r.status == 403 and "tenant token" in r.json()["error"], (r.status, r.body)
        # The admin lists every tenant's tokens, fingerprints only.
        s.token("globex", "prod")
        r = s.get("/v1/admin/tokens", admin)
        assert r.status == 200, (r.status, r.body)
        listed = r.json()["tokens"]
        assert {(t["tenant"], t["env"]) for t in listed} == {("*", "admin"), ("acme", "preprod"), ("globex", "prod")}, listed
        assert tenant not in r.body and admin not in r.body
        r = s.get("/v1/admin/tokens?tenant=globex", admin)
        assert [t["tenant"] for t in r.json()["tokens"]] == ["globex"], r.body
        # The CLI refuses the reserved tenant for a tenant token.
        r = s.cli("token", "create", "--tenant", "*", "--env", "prod", check=False)
        assert r.returncode != 0 and "reserved" in r.stderr, r.stderr
    finally:
        s.cleanup()


def test_tokens_made_and_revoked_over_the_admin_routes():
    s = started()
    try:
        admin = s.cli("token", "create", "--admin").stdout.strip()
        # Refused bodies: a precise 400, no token made.
        for body, field in (('{"env": "prod"}', "tenant"), ('{"tenant": "acme", "env": "staging"}', "env"),
                            ('{"tenant": "*", "env": "prod"}', "tenant"), ("not json", None)):
            r = s.request("POST", "/v1/admin/tokens", body, {"Content-Type": "application/json"}, admin)
            assert r.status == 400, (body, r.status, r.body)
            if field:
                assert field in r.body, (body, r.body)
        assert len(s.get("/v1/admin/tokens", admin).json()["tokens"]) == 1
        r = s.request("POST", "/v1/admin/tokens", json.dumps({"tenant": "acme", "env": "preprod", "label": "gw-1"}),
                      {"Content-Type": "application/json"}, admin)
        assert r.status == 201, (r.status, r.body)
        made = r.json()
        token, record = made["token"], made["record"]
        assert token.startswith("tc_pre_") and record["tenant"] == "acme" and record["label"] == "gw-1", made
        assert s.push(PUSH, token).status == 200
        # Revoked by fingerprint: refused once the auth cache (100 ms here) has let it go.
        r = s.request("DELETE", f"/v1/admin/tokens/{record['fingerprint']}", token=admin)
        assert r.status == 200, (r.status, r.body)
        deadline = time.monotonic() + 10
        while s.push(PUSH, token).status != 401:
            assert time.monotonic() < deadline, "a revoked token still pushes after 10 s"
            time.sleep(0.1)
        assert s.request("DELETE", f"/v1/admin/tokens/{record['id']}", token=admin).status == 404
        listed = {t["id"]: t for t in s.get("/v1/admin/tokens", admin).json()["tokens"]}
        assert listed[record["id"]]["revoked_at"] is not None, listed
    finally:
        s.cleanup()


if __name__ == "__main__":
    run_tests(globals())
