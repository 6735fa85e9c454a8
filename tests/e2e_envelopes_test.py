"""Envelopes as configuration (docs/push.md): `envelope try` on the four platform samples, a
configured envelope loaded from <decoder dir>/envelopes/, reloaded on SIGHUP, pushed to by name,
and envelopes uploaded over HTTP per tenant and env."""
import json
import os
import shutil
import signal
import tempfile
import time

from harness import BIN, SOURCE_DIR, Server, run_tests
import subprocess

EXAMPLES = os.path.join(SOURCE_DIR, "docs", "examples", "envelopes")


def try_envelope(name):
    return subprocess.run([BIN, "envelope", "try", "--envelope", os.path.join(EXAMPLES, name + ".toml"),
                           "--body", os.path.join(EXAMPLES, name + ".sample.json")],
                          capture_output=True, text=True, timeout=60)


def test_envelope_try_on_the_four_platform_samples():
    expected = {"technilog": ("2 frames, 0 ignored", "device cpt-gaz-01, time 2025-03-10T08:15:00.000Z"),
                "synox": ("1 frame, 1 ignored", "device A840410000001122, time 2025-03-10T08:15:02.481Z, payload cbf60b0d037601070d7fff, fport 2, devicetype dragino-lht65"),
                "picogw": ("1 frame, 1 ignored", "device AA555A0000000101, time 2025-03-10T08:15:02.481Z, payload 400101000000010001f0ce6d6f666365"),
                "gigaconcept": ("2 frames, 0 ignored", "device 0591A2B3, time 2025-03-10T08:15:02.000Z, payload 0460000000c8, fport none, devicetype gigaconcept-d2-01-08")}
    for name, (count, first) in expected.items():
        r = try_envelope(name)
        assert r.returncode == 0, (name, r.stderr)
        assert count in r.stdout, (name, r.stdout)
        assert first in r.stdout.splitlines()[0], (name, r.stdout)


def test_envelope_try_says_where_a_body_is_wrong():
    with tempfile.TemporaryDirectory() as d:
        body = os.path.join(d, "bad.json")
        with open(body, "w") as f:
            f.write('{"gateway": "g", "telegrams": [{"sender_id": "01", "data": "00"}, {"sender_id": "02", "data": "0"}]}')
        r = subprocess.run([BIN, "envelope", "try", "--envelope", os.path.join(EXAMPLES, "gigaconcept.toml"), "--body", body],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, r
        assert 'item 0, field "telegrams[1].data"' in r.stderr, r.stderr
        toml = os.path.join(d, "x.toml")
        with open(toml, "w") as f:
            f.write('name = "x"\ndevice_id = "id"\npayload = "d"\npayload_encodng = "hex"\n')
        r = subprocess.run([BIN, "envelope", "try", "--envelope", toml, "--body", body], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2 and "line 4: unknown key payload_encodng" in r.stderr, r.stderr


def wait_for_log(server, text, timeout=30):
    deadline = time.time() + timeout
    path = os.path.join(server.data_dir, "server.log")
    while time.time() < deadline:
        with open(path) as f:
            if text in f.read():
                return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not logged within {timeout}s")


def test_configured_envelope_loaded_reloaded_and_pushed_to():
    data_dir = tempfile.mkdtemp(prefix="tc_e2e_")
    mine = os.path.join(data_dir, "my-decoders")
    os.makedirs(os.path.join(mine, "envelopes"))
    shutil.copy(os.path.join(EXAMPLES, "synox.toml"), os.path.join(mine, "envelopes"))
    with open(os.path.join(data_dir, "telecollect.toml"), "w") as f:
        f.write(f'data_dir = "{data_dir}"\n[decoders]\ndirs = ["{SOURCE_DIR}/decoders", "{mine}"]\n')
    server = Server(data_dir=data_dir).start()
    try:
        token = server.token()
        with open(os.path.join(EXAMPLES, "synox.sample.json")) as f:
            synox = f.read()
        r = server.push(synox, token, source=None, path="/v1/push/synox")
        assert r.status == 200, r.body
        assert r.json()["accepted"] == 1 and r.json()["ignored"] == 1, r.body
        frames = server.get("/v1/frames?deviceid=A840410000001122", token).json()["frames"]
        assert len(frames) == 1 and frames[0]["source"] == "synox", frames

        # Not loaded yet: unknown.
        with open(os.path.join(EXAMPLES, "gigaconcept.sample.json")) as f:
            giga = f.read()
        r = server.push(giga, token, source="gigaconcept")
        assert r.status == 400 and "unknown source" in r.json()["error"], r.body

        # Added, with a refused file beside it and one shadowing a built-in: SIGHUP.
        shutil.copy(os.path.join(EXAMPLES, "gigaconcept.toml"), os.path.join(mine, "envelopes"))
        with open(os.path.join(mine, "envelopes", "typo.toml"), "w") as f:
            f.write('name = "typo"\ndevice_id = "id"\npayload = "d"\nfprot = "port"\n')
        with open(os.path.join(mine, "envelopes", "ttn.toml"), "w") as f:
            f.write('name = "ttn"\ndevice_id = "id"\npayload = "d"\n')
        server.proc.send_signal(signal.SIGHUP)
        wait_for_log(server, "gigaconcept (")
        wait_for_log(server, "line 4: unknown key fprot")
        wait_for_log(server, "is a built-in envelope")
        r = server.push(giga, token, source="gigaconcept")
        assert r.status == 200 and r.json()["accepted"] == 2, r.body
        # A bad frame: 400 with its place, nothing stored.
        r = server.push('{"gateway": "g", "telegrams": [{"sender_id": "03", "data": "zz"}]}', token, path="/v1/push/gigaconcept",
                        source=None)
        assert r.status == 400 and r.json()["field"] == "telegrams[0].data" and r.json()["index"] == 0, r.body
        assert server.get("/v1/frames?deviceid=03", token).json()["frames"] == []
        # The built-in ttn envelope is still the C++ one.
        r = server.push('{"end_device_ids": {"dev_eui": "0011"}, "join_accept": {}}', token, source="ttn")
        assert r.status == 200 and r.json()["ignored"] == 1, r.body
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


RELAY = """name = "acme-relay"
version = "{version}"
device_id = "{device_id}"
time = "ts"
time_format = "epoch_ms"
payload = "raw"
payload_encoding = "base64"
device_type = "dragino-lht65"
"""
RELAY_BODY = '{"dev": "a1", "other": "b2", "ts": 1741594502481, "raw": "y/YLDQN2AQrdf/8="}'


def upload(server, token, text, name="acme-relay", activate=True):
    return server.request("POST", f"/v1/envelopes/{name}/versions" + ("?activate=true" if activate else ""), text,
                          {"Content-Type": "application/toml"}, token)


def test_uploaded_envelope_is_its_tenant_and_envs_own():
    data_dir = tempfile.mkdtemp(prefix="tc_e2e_")
    with open(os.path.join(data_dir, "telecollect.toml"), "w") as f:
        f.write(f'data_dir = "{data_dir}"\n[decoders]\ndirs = ["{SOURCE_DIR}/decoders"]\nrefresh = "200ms"\n')
    server = Server(data_dir=data_dir).start()
    try:
        acme, acme_prod, globex = server.token(), server.token(env="prod"), server.token(tenant="globex")
        r = upload(server, acme, RELAY.format(version="1", device_id="dev"))
        assert r.status == 201 and r.json() == {"envelope": "acme-relay", "version": "1", "active": True}, r.body
        r = server.push(RELAY_BODY, acme, source=None, path="/v1/push/acme-relay")
        assert r.status == 200 and r.json()["accepted"] == 1 and r.json()["decoded"] == 1, r.body
        frames = server.get("/v1/frames?deviceid=A1", acme).json()["frames"]
        assert len(frames) == 1 and frames[0]["source"] == "acme-relay", frames
        # Another tenant, and the other env of the same tenant: not there.
        for token in (globex, acme_prod):
            r = server.push(RELAY_BODY, token, source=None, path="/v1/push/acme-relay")
            assert r.status == 404 and "unknown source" in r.json()["error"], r.body
            r = server.push(RELAY_BODY, token, source="acme-relay")
            assert r.status == 400, r.body
            names = [e["name"] for e in server.get("/v1/envelopes", token).json()["envelopes"]]
            assert "acme-relay" not in names and "ttn" in names, names
            assert server.get("/v1/envelopes/acme-relay/versions", token).json()["versions"] == []
            r = server.request("POST", "/v1/envelopes/acme-relay/versions/1/activate", "", token=token)
            assert r.status == 404, r.body
        listed = server.get("/v1/envelopes", acme).json()["envelopes"]
        assert {"name": "acme-relay", "origin": "uploaded", "version": "1"} in listed, listed

        # A bad upload: 400 with its line and key; nothing changes.
        bad = RELAY.format(version="2", device_id="dev").replace('payload_encoding = "base64"', 'payload_encoding = "b64"')
        r = upload(server, acme, bad)
        assert r.status == 400, r.body
        assert r.json()["line"] == 7 and r.json()["field"] == "payload_encoding", r.body
        assert "line 7: payload_encoding: must be hex, base64 or json" in r.json()["error"], r.body
        r = upload(server, acme, RELAY.format(version="2", device_id="dev") + "fprot = \"port\"\n")
        assert r.status == 400 and r.json()["line"] == 9 and r.json()["field"] == "fprot", r.body
        r = upload(server, acme, RELAY.format(version="2", device_id="dev").replace('version = "2"\n', ""))
        assert r.status == 400 and r.json()["field"] == "version", r.body
        r = upload(server, acme, RELAY.format(version="2", device_id="dev"), name="other-name")
        assert r.status == 400 and r.json()["field"] == "name", r.body
        r = upload(server, acme, RELAY.format(version="1", device_id="other"))  # version 1 exists with other content
        assert r.status == 409, r.body
        versions = server.get("/v1/envelopes/acme-relay/versions", acme).json()["versions"]
        assert [(v["version"], v["active"]) for v in versions] == [("1", True)], versions

        # Version 2 reads the device id elsewhere: stored, activated, then back to 1, then none.
        r = upload(server, acme, RELAY.format(version="2", device_id="other"), activate=False)
        assert r.status == 201 and r.json()["active"] is False, r.body
        body = RELAY_BODY.replace("1741594502481", "1741594503481")
        assert server.push(body, acme, source="acme-relay").status == 200
        assert len(server.get("/v1/frames?deviceid=A1", acme).json()["frames"]) == 2
        r = server.request("POST", "/v1/envelopes/acme-relay/versions/2/activate", "", token=acme)
        assert r.status == 200 and r.json()["active"] == "2", r.body
        assert server.push(body, acme, source="acme-relay").status == 200
        assert len(server.get("/v1/frames?deviceid=B2", acme).json()["frames"]) == 1
        r = server.request("POST", "/v1/envelopes/acme-relay/deactivate", "", token=acme)
        assert r.status == 200 and r.json()["active"] is None, r.body
        assert server.push(body, acme, source=None, path="/v1/push/acme-relay").status == 404

        # From the CLI on the same store: the running server takes it at its next refresh.
        r = server.cli("envelope", "activate", "--tenant", "acme", "--env", "preprod", "--name", "acme-relay",
                       "--version", "1")
        assert "envelope acme-relay version 1 active for acme/preprod" in r.stdout, r.stdout
        deadline = time.time() + 30
        while server.push(body, acme, source=None, path="/v1/push/acme-relay").status != 200:
            assert time.time() < deadline, "the CLI's activation was not picked up within 30 s"
            time.sleep(0.2)
        r = server.cli("envelope", "versions", "--tenant", "acme", "--env", "preprod")
        lines = r.stdout.splitlines()
        assert lines[0] == "envelope,version,uploaded,active_since" and len(lines) == 3, r.stdout
        # `envelope try` on the tenant's active version, by name.
        sample = os.path.join(data_dir, "relay.json")
        with open(sample, "w") as f:
            f.write(RELAY_BODY)
        r = server.cli("envelope", "try", "--envelope", "acme-relay", "--tenant", "acme", "--body", sample)
        assert r.stdout.startswith("frame 0: device A1,") and "(envelope acme-relay)" in r.stdout, r.stdout
        r = server.cli("envelope", "try", "--envelope", "acme-relay", "--tenant", "globex", "--body", sample, check=False)
        assert r.returncode == 3 and 'no uploaded envelope "acme-relay" active for globex/preprod' in r.stderr, r
        r = server.cli("envelope", "upload", os.devnull, "--tenant", "acme", "--env", "preprod", check=False)
        assert r.returncode == 2 and "name is required" in r.stderr, r.stderr
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    run_tests(globals())
