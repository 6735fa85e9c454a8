"""Decoder lifecycle end to end: versions uploaded per tenant and env over HTTP and the CLI,
checked by their vectors, activated, rolled back, seen by a running server, never leaking
from preprod to prod."""
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402
from specs import SPEC_V1, script_spec, upload  # noqa: E402

SPEC_V2_SCRIPT = script_spec("acme-th", "2", "00e132", "temperature = 22.5, humidity = 50")

SCRIPT_V2 = """function decodeUplink(input) {
  var b = input.bytes;
  console.log("frame of", b.length, "bytes");
  return { data: { temperature: ((b[0] << 8 | b[1]) << 16 >> 16) / 10, humidity: b[2] } };
}
"""


def frame(device, payload, ts, fport=1):
    return {"timestamp": ts, "deviceid": device, "payload": payload, "devicetype": "acme-th", "fport": fport}


def frames(server, token, device):
    return server.get(f"/v1/frames?deviceid={device}", token).json()["frames"]


def test_upload_activate_roll_back_and_scope():
    # The harness's config ends with its [decoders] table: this line joins it.
    server = Server('refresh = "200ms"\n').start()
    try:
        pre = server.token("acme", "preprod")
        prod = server.token("acme", "prod")
        toml = {"Content-Type": "application/toml"}

        # A spec whose vector fails is refused and stores nothing.
        bad = SPEC_V1.replace("temperature = 22.5", "temperature = 99")
        r = server.request("POST", "/v1/devicetypes/acme-th/versions", bad, toml, pre)
        assert r.status == 400 and "test" in r.json()["error"], r.body
        r = server.request("POST", "/v1/devicetypes/other/versions", SPEC_V1, toml, pre)
        assert r.status == 400 and 'not "other"' in r.json()["error"], r.body
        assert server.get("/v1/devicetypes/acme-th/versions", pre).json()["versions"] == []

        # Version 1, active at once: preprod frames decode with it.
        r = server.request("POST", "/v1/devicetypes/acme-th/versions?activate=true", SPEC_V1, toml, pre)
        assert r.status == 201, r.body
        assert r.json() == {"devicetype": "acme-th", "version": "1", "kind": "declarative", "vectors": 1, "active": True}
        assert server.push(frame("D1", "00e1", "2026-11-26T10:00:00Z"), pre).json()["decoded"] == 1
        # Prod has not seen it: the frame waits for a decoder.
        assert server.push(frame("D1", "00e1", "2026-11-26T10:00:00Z"), prod).json()["pending"] == 1
        assert "acme-th" not in [t["devicetype"] for t in server.get("/v1/devicetypes", prod).json()["devicetypes"]]
        listed = {t["devicetype"]: t for t in server.get("/v1/devicetypes", pre).json()["devicetypes"]}
        assert listed["acme-th"]["uploaded"] is True and listed["acme-th"]["version"] == "1"

        # The same version again with other content: 409.
        r = server.request("POST", "/v1/devicetypes/acme-th/versions", SPEC_V1.replace("first layout", "reworded"), toml, pre)
        assert r.status == 409, r.body

        # Version 2, a script decoder sent with its script; stored inactive, then activated.
        body, ctype = upload("acme-th", SPEC_V2_SCRIPT, SCRIPT_V2)
        r = server.request("POST", "/v1/devicetypes/acme-th/versions", body, {"Content-Type": ctype}, pre)
        assert r.status == 201 and r.json()["kind"] == "script" and r.json()["active"] is False, r.body
        try_body = json.dumps({"payload": "00e132", "fport": 1})
        j = {"Content-Type": "application/json"}
        assert "humidity" not in server.request("POST", "/v1/devicetypes/acme-th/decode", try_body, j, pre).json()["data"]
        r = server.request("POST", "/v1/devicetypes/acme-th/versions/2/activate", "", None, pre)
        assert r.status == 200 and r.json()["active"] == "2", r.body
        assert server.request("POST", "/v1/devicetypes/acme-th/decode", try_body, j, pre).json()["data"]["humidity"] == 50
        assert server.push(frame("D2", "00e132", "2026-11-26T10:05:00Z"), pre).json()["decoded"] == 1
        # What the script logged is in the frame's decode record.
        assert frames(server, pre, "D2")[0]["reason"] == "console: frame of 3 bytes", frames(server, pre, "D2")
        versions = server.get("/v1/devicetypes/acme-th/versions", pre).json()["versions"]
        assert [(v["version"], v["active"]) for v in versions] == [("1", False), ("2", True)], versions

        # Roll back with the CLI: the running server follows within decoders.refresh.
        out = server.cli("decoders", "activate", "--tenant", "acme", "--env", "preprod", "--devicetype", "acme-th",
                         "--version", "1")
        assert "version 1 active" in out.stdout, out.stdout
        deadline = time.time() + 10
        while time.time() < deadline:
            data = server.request("POST", "/v1/devicetypes/acme-th/decode", try_body, j, pre).json()["data"]
            if "humidity" not in data:
                break
            time.sleep(0.1)
        assert "humidity" not in data, data
        csv = server.cli("decoders", "versions", "--tenant", "acme", "--env", "preprod").stdout.splitlines()
        assert csv[0] == "devicetype,version,uploaded,active_since" and len(csv) == 3, csv
        assert csv[1].startswith("acme-th,1,") and csv[1].split(",")[3] != "" and csv[2].split(",")[3] == "", csv

        # Unknown version: 404; deactivate: the shared table applies again (none for acme-th).
        assert server.request("POST", "/v1/devicetypes/acme-th/versions/9/activate", "", None, pre).status == 404
        assert server.request("POST", "/v1/devicetypes/acme-th/deactivate", "", None, pre).status == 200
        assert server.request("POST", "/v1/devicetypes/acme-th/decode", try_body, j, pre).status == 404

        # The frames decoded earlier keep what they were decoded with; the pending prod frame is still pending.
        assert frames(server, pre, "D1")[0]["status"] == "decoded"
        assert frames(server, prod, "D1")[0]["status"] == "no-decoder"
    finally:
        server.cleanup()


def test_cli_upload_then_prod_promotion():
    server = Server().start()
    try:
        spec = os.path.join(server.data_dir, "acme-th.toml")
        with open(spec, "w") as f:
            f.write(SPEC_V1)
        up = server.cli("decoders", "upload", "--tenant", "acme", "--env", "prod", spec, "--activate")
        assert "acme-th version 1 (declarative, 1 test vectors pass) stored for acme/prod, active" in up.stdout, up.stdout
        # A restarted server serves it from the store at once.
        server.stop()
        server.start()
        prod = server.token("acme", "prod")
        assert server.push(frame("P1", "00e1", "2026-11-26T11:00:00Z"), prod).json()["decoded"] == 1
        out = server.cli("decode", "--devicetype", "acme-th", "--tenant", "acme", "--env", "prod", "--payload", "00e1")
        assert json.loads(out.stdout)["data"] == {"temperature": 22.5}, out.stdout
        # A spec file that does not parse: exit 2, the file and line named, nothing stored.
        with open(spec, "w") as f:
            f.write("devicetype = \n")
        bad = server.cli("decoders", "upload", "--tenant", "acme", "--env", "prod", spec, check=False)
        assert bad.returncode == 2 and "acme-th.toml" not in bad.stdout and ":1:" in bad.stderr, (bad.returncode, bad.stderr)
    finally:
        server.cleanup()


def chirpstack_uplink(dedup, payload_hex, profile, minute=0):
    import base64
    return json.dumps({"deduplicationId": dedup, "time": f"2026-11-26T12:{minute:02d}:00Z",
                       "deviceInfo": {"tenantName": "acme", "deviceProfileName": profile, "devEui": "70b3d5e75e00aa01"},
                       "fPort": 1, "data": base64.b64encode(bytes.fromhex(payload_hex)).decode()})


def test_a_tenants_own_profile_name_maps_to_a_decoder():
    server = Server().start()
    try:
        pre = server.token("acme", "preprod")
        prod = server.token("acme", "prod")
        j = {"Content-Type": "application/json"}
        profile = "Salle CO2 v2 (bât A)"
        carbon = "72286e5a2a4003"  # Insafe+ Carbon real-time: 800 ppm, 22 °C, 45 %
        r = server.request("POST", "/v1/push/chirpstack?event=up", chirpstack_uplink("a", carbon, profile), j, pre)
        assert r.json()["pending"] == 1, r.body
        # The tenant names its profile once; frames decode from then on, earlier ones with redecode.
        r = server.request("PUT", "/v1/devicetype-aliases/" + urllib.parse.quote(profile),
                           json.dumps({"devicetype": "nexelec-carbon"}), j, pre)
        assert r.status == 200 and r.json() == {"alias": "salle co2 v2 (bât a)", "devicetype": "nexelec-carbon"}, r.body
        r = server.request("POST", "/v1/push/chirpstack?event=up", chirpstack_uplink("b", "773c50", profile, 10), j, pre)
        assert r.json()["decoded"] == 1, r.body
        assert server.request("POST", "/v1/redecode", "", None, pre).json()["decoded"] == 1
        co2 = server.get("/v1/modules/70B3D5E75E00AA01.co2/measurements", pre).json()
        assert sorted(p["value"] for p in co2["points"]) == [800, 1200], co2
        # An alias to a device type without a decoder is refused; prod is not affected.
        r = server.request("PUT", "/v1/devicetype-aliases/x", json.dumps({"devicetype": "nope"}), j, pre)
        assert r.status == 404, r.body
        r = server.request("POST", "/v1/push/chirpstack?event=up", chirpstack_uplink("c", carbon, profile), j, prod)
        assert r.json()["pending"] == 1, r.body
        listed = server.get("/v1/devicetype-aliases", pre).json()["aliases"]
        assert listed == [{"alias": "salle co2 v2 (bât a)", "devicetype": "nexelec-carbon"}], listed
        # Removed with the CLI.
        out = server.cli("decoders", "alias", "--tenant", "acme", "--env", "preprod", profile, "--remove")
        assert "removed" in out.stdout, out.stdout
        assert server.get("/v1/devicetype-aliases", pre).json()["aliases"] == []
    finally:
        server.cleanup()


MAP_V1 = """map = "acme-th"
version = "1"
[field.temperature]
name = "air_temperature"
unit = "°C"
[field.humidity]
unit = "%RH"
"""

MAP_V2 = """map = "acme-th"
version = "2"
exclude = ["humidity"]
[field.temperature]
name = "temperature_f"
unit = "°F"
scale = 1.8
offset = 32
"""


def latest(server, token, prefix):
    mods = server.get(f"/v1/latest?prefix={urllib.parse.quote(prefix)}", token).json()["modules"]
    return {m["id"]: (m["value"], m["unit"]) for m in mods}


def test_measurement_map_applied_then_changed_activated_and_redecoded():
    server = Server('refresh = "200ms"\n').start()
    try:
        pre = server.token("acme", "preprod")
        prod = server.token("acme", "prod")
        toml = {"Content-Type": "application/toml"}
        body, ctype = upload("acme-th", SPEC_V2_SCRIPT, SCRIPT_V2)
        r = server.request("POST", "/v1/devicetypes/acme-th/versions?activate=true", body, {"Content-Type": ctype}, pre)
        assert r.status == 201, r.body
        # Map 1 over HTTP, active at once: the script's temperature is renamed, both get units.
        r = server.request("POST", "/v1/devicetypes/map:acme-th/versions?activate=true", MAP_V1, toml, pre)
        assert r.status == 201, r.body
        assert r.json() == {"devicetype": "map:acme-th", "version": "1", "kind": "map", "vectors": 0, "active": True}
        assert server.push(frame("M1", "00e132", "2026-11-26T10:00:00Z"), pre).json()["decoded"] == 1
        assert latest(server, pre, "M1.") == {"M1.air_temperature": (22.5, "°C"), "M1.humidity": (50, "%RH")}

        # A bad map is refused with its file, line and key (CLI exit 2); nothing is stored.
        path = os.path.join(server.data_dir, "acme-th-map.toml")
        with open(path, "w") as f:
            f.write(MAP_V2.replace("scale = 1.8", "scale = \"1.8\""))
        bad = server.cli("decoders", "upload", "--tenant", "acme", "--env", "preprod", path, "--activate", check=False)
        assert bad.returncode == 2, bad.returncode
        assert "acme-th-map.toml" in bad.stderr and ":7: field.temperature.scale must be a number" in bad.stderr, bad.stderr
        assert len(server.get("/v1/devicetypes/map:acme-th/versions", pre).json()["versions"]) == 1

        # Map 2 with the CLI, activated: the running server follows within decoders.refresh.
        with open(path, "w") as f:
            f.write(MAP_V2)
        up = server.cli("decoders", "upload", "--tenant", "acme", "--env", "preprod", path, "--activate")
        assert "map:acme-th version 2 (measurement map) stored for acme/preprod, active" in up.stdout, up.stdout
        # Redecode the journaled frame: new name, value and unit, humidity left out.
        deadline = time.time() + 10
        while time.time() < deadline:
            r = server.request("POST", "/v1/redecode?status=decoded", "", None, pre).json()
            if "M1.temperature_f" in latest(server, pre, "M1."):
                break
            time.sleep(0.2)
        assert r["decoded"] == 1 and r["measurements"] == 1, r
        got = latest(server, pre, "M1.")
        assert got["M1.temperature_f"] == (72.5, "°F"), got
        values = frames(server, pre, "M1")[0]["values"]
        assert values == {"M1.temperature_f": 72.5}, values
        # The series the old map wrote keep their points (redecode writes, never deletes).
        assert got["M1.air_temperature"] == (22.5, "°C"), got

        # Roll back to map 1 over HTTP; prod (no map) never saw either.
        r = server.request("POST", "/v1/devicetypes/map:acme-th/versions/1/activate", "", None, pre)
        assert r.status == 200, r.body
        assert server.request("POST", "/v1/redecode?status=decoded", "", None, pre).json()["decoded"] == 1
        assert latest(server, pre, "M1.")["M1.humidity"] == (50, "%RH")
        assert frames(server, pre, "M1")[0]["values"] == {"M1.air_temperature": 22.5, "M1.humidity": 50}
        body, ctype = upload("acme-th", SPEC_V2_SCRIPT, SCRIPT_V2)
        assert server.request("POST", "/v1/devicetypes/acme-th/versions?activate=true", body, {"Content-Type": ctype},
                              prod).status == 201
        assert server.push(frame("M2", "00e132", "2026-11-26T10:00:00Z"), prod).json()["decoded"] == 1
        assert latest(server, prod, "M2.") == {"M2.temperature": (22.5, ""), "M2.humidity": (50, "")}
    finally:
        server.cleanup()


if __name__ == "__main__":
    run_tests(globals())
