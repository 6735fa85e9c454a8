"""MQTT connectors end to end: Debian's mosquitto on 127.0.0.1 with TLS (a throw-away CA) and a
password file, The Things Stack and ChirpStack uplinks published at QoS 1, telecollect killed
with SIGKILL or the broker restarted mid-stream: every message stored exactly once, with its
values. One case holds the store's write lock so that nothing can commit, kills telecollect
while it holds messages it has read, and checks that none of them was acknowledged (the
broker delivers them all again)."""
import base64
import json
import os
import re
import signal
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Server, run_tests  # noqa: E402
from mqtt_broker import Background, Broker, Publisher  # noqa: E402

USERS = {"meters@ttn": "NNSXS.TEST-API-KEY-1234", "chirpstack-reader": "cs-secret-5678", "publisher": "pub-secret"}
T0 = 1765000000000  # 2025-12-06T05:46:40Z
TTN_DEV, CS_DEV = "70B3D5E75E00AA01", "70B3D5E75E00CC01"
DEADLINE_S = 180


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def lht65(i):
    """A Dragino LHT65 frame whose temperature says which message it is: (1000 + i) / 100 °C."""
    return bytes.fromhex("cbf6" + f"{1000 + i:04x}" + "0376010add7fff")


def ttn_message(i):
    body = {"end_device_ids": {"device_id": "meter-a", "application_ids": {"application_id": "meters"},
                               "dev_eui": TTN_DEV},
            "received_at": iso(T0 + i * 1000),
            "uplink_message": {"f_port": 2, "f_cnt": i, "frm_payload": base64.b64encode(lht65(i)).decode(),
                               "version_ids": {"brand_id": "dragino", "model_id": "lht65"}}}
    return "v3/meters@ttn/devices/meter-a/up", json.dumps(body)


def chirpstack_message(i):
    body = {"deduplicationId": f"00000000-0000-0000-0000-{i:012d}", "time": iso(T0 + i * 1000),
            "deviceInfo": {"tenantName": "acme", "deviceProfileName": "dragino-lht65", "devEui": CS_DEV.lower()},
            "fCnt": i, "fPort": 2, "data": base64.b64encode(lht65(i)).decode()}
    return f"application/5e1c/device/{CS_DEV.lower()}/event/up", json.dumps(body)


class Setup:
    """A broker, and telecollect subscribed to it with a TTS and a ChirpStack connector."""

    def __init__(self, extra_config="", tts_key=USERS["meters@ttn"]):
        self.broker = Broker(USERS).start()
        self.server = Server(extra_config)
        conn = os.path.join(self.server.data_dir, "connectors")
        os.makedirs(conn, exist_ok=True)
        common = (f'[broker]\nurl = "mqtts://127.0.0.1:{self.broker.port}"\nca_file = "{self.broker.ca}"\n'
                  'reconnect_min = "200ms"\nreconnect_max = "2s"\n')
        with open(os.path.join(conn, "tts.toml"), "w") as f:
            f.write('type = "mqtt"\ntenant = "acme"\nplatform = "tts"\n' + common + 'username = "meters@ttn"\n')
        with open(os.path.join(conn, "chirpstack.toml"), "w") as f:
            f.write('type = "mqtt"\ntenant = "acme"\nplatform = "chirpstack"\n' + common +
                    'username = "chirpstack-reader"\n')
        secrets = os.path.join(self.server.data_dir, "secrets.toml")
        with open(secrets, "w") as f:
            f.write(f'[tts]\napi_key = "{tts_key}"\n[chirpstack]\npassword = "{USERS["chirpstack-reader"]}"\n')
        os.chmod(secrets, 0o600)
        self.server.start()
        self.token = self.server.token()
        self.publisher = Publisher(self.broker, "publisher", USERS["publisher"])

    def health(self):
        return self.server.get("/healthz", None).json()

    def status(self, connector):
        return {m["connector"]: m for m in self.health()["mqtt"]}[connector]

    def wait_state(self, state, connectors=("tts", "chirpstack"), timeout=60):
        deadline = time.time() + timeout
        seen = None
        while time.time() < deadline:
            seen = {m["connector"]: m for m in self.health()["mqtt"]}
            if all(seen.get(c, {}).get("state") == state for c in connectors):
                return seen
            time.sleep(0.1)
        raise AssertionError(f"connectors not {state} in time: {seen}")

    def metric(self, result):
        text = self.server.get("/metrics", None).body
        total = 0
        for m in re.finditer(r'telecollect_mqtt_messages_total\{connector="[^"]+",result="' + result + r'"\} (\d+)',
                             text):
            total += int(m.group(1))
        return total

    def wait_metric(self, result, at_least, timeout=DEADLINE_S):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.metric(result) >= at_least:
                return
            time.sleep(0.05)
        raise AssertionError(f"mqtt {result} < {at_least} in time: {self.metric(result)}")

    def frames(self, device):
        r = self.server.get(f"/v1/frames?deviceid={device}&limit=1000", self.token)
        assert r.status == 200, r.body
        return r.json()["frames"]

    def wait_frames(self, device, n, timeout=DEADLINE_S):
        deadline = time.time() + timeout
        got = []
        while time.time() < deadline:
            got = self.frames(device)
            if len(got) >= n:
                return got
            time.sleep(0.2)
        raise AssertionError(f"{device}: {len(got)} frames of {n} in time")

    def check_exactly_once(self, device, n):
        """Every message 0..n-1 stored once: one frame each, and its temperature at its time."""
        frames = self.wait_frames(device, n)
        time.sleep(0.5)  # a late duplicate would show now
        frames = self.frames(device)
        stamps = sorted(f["timestamp"] for f in frames)
        assert stamps == sorted(iso(T0 + i * 1000) for i in range(n)), f"{device}: {len(frames)} frames, not {n} distinct"
        assert all(f["status"] == "decoded" for f in frames), [f for f in frames if f["status"] != "decoded"][:2]
        points = self.server.get(f"/v1/modules/{device}.temperature/measurements", self.token).json()["points"]
        assert points == [{"ts": iso(T0 + i * 1000), "value": (1000 + i) / 100} for i in range(n)], points[:3]

    def publish_both(self, n):
        deadline = time.time() + DEADLINE_S
        for i in range(n):
            self.publisher.publish(*ttn_message(i), deadline)
            self.publisher.publish(*chirpstack_message(i), deadline)

    def cleanup(self):
        self.publisher.close()
        self.server.cleanup()
        self.broker.cleanup()


def test_uplinks_of_both_platforms_stored_with_status_and_no_secret_in_logs():
    s = Setup()
    try:
        health = s.wait_state("connected")
        assert health["tts"]["granted_qos"] == [1], health
        assert health["tts"]["broker"] == f"mqtts://127.0.0.1:{s.broker.port}", health
        s.publish_both(5)
        s.check_exactly_once(TTN_DEV, 5)
        s.check_exactly_once(CS_DEV, 5)
        listing = s.server.cli("connector", "list").stdout
        assert "tts,mqtt,acme,preprod,mqtts://127.0.0.1:" in listing and "v3/meters@ttn/devices/+/up (ttn)" in listing, listing
        status = s.server.cli("connector", "status", "tts").stdout
        assert status.splitlines()[1].split(",")[2] == "connected", status
        assert s.status("tts")["messages"] == 5 and s.status("chirpstack")["messages"] == 5, s.health()
        assert s.metric("stored") == 10 and s.metric("rejected") == 0
        s.server.stop()
        with open(os.path.join(s.server.data_dir, "server.log")) as f:
            log = f.read()
        for secret in USERS.values():
            assert secret not in log, f"a secret is in the log: {secret}"
    finally:
        s.cleanup()


def test_bad_message_is_acknowledged_and_counted_not_redelivered():
    s = Setup()
    try:
        s.wait_state("connected")
        deadline = time.time() + DEADLINE_S
        s.publisher.publish("v3/meters@ttn/devices/meter-a/up", "{not json", deadline)
        s.publisher.publish(*ttn_message(0), deadline)
        s.wait_frames(TTN_DEV, 1)
        s.wait_metric("rejected", 1)
        # Reconnected (a restart), the broker has nothing left for us: the bad message was acknowledged.
        s.server.stop()
        s.server.start()
        s.wait_state("connected")
        time.sleep(1)
        assert s.metric("received") == 0, "the broker delivered a message again"
        s.check_exactly_once(TTN_DEV, 1)
    finally:
        s.cleanup()


def test_wrong_api_key_backs_off_and_says_why_without_the_key():
    s = Setup(tts_key="NNSXS.WRONG-KEY-9999")
    try:
        seen = s.wait_state("backoff", connectors=("tts",))
        assert "refused the login of meters@ttn" in seen["tts"]["last_error"], seen
        assert "WRONG-KEY" not in json.dumps(seen)
        deadline = time.time() + 30
        while s.status("tts")["reconnects"] < 2:
            assert time.time() < deadline, "no reconnection attempt"
            time.sleep(0.1)
        s.wait_state("connected", connectors=("chirpstack",))
    finally:
        s.cleanup()


def interrupted_stream(interrupt, n=150):
    """Publishes n uplinks of each platform; once a quarter of them is stored, interrupt(setup);
    then every message must be stored exactly once."""
    s = Setup()
    try:
        s.wait_state("connected")
        pub = Background(lambda: s.publish_both(n))
        s.wait_metric("stored", n // 2)
        interrupt(s)
        pub.join(DEADLINE_S)
        s.check_exactly_once(TTN_DEV, n)
        s.check_exactly_once(CS_DEV, n)
        return s.status("tts")["reconnects"], s.status("chirpstack")["reconnects"]
    finally:
        s.cleanup()


def test_kill9_mid_stream_then_restart_stores_every_message_once():
    def kill_and_restart(s):
        s.server.kill()  # SIGKILL: messages read and not yet committed are not acknowledged
        s.server.start()
    interrupted_stream(kill_and_restart)


def test_broker_restart_mid_stream_loses_nothing():
    def restart_broker(s):
        s.broker.stop()  # persistence on: sessions and queued messages are saved
        time.sleep(0.5)
        s.broker.start()
    assert min(interrupted_stream(restart_broker)) >= 1


def test_nothing_is_acknowledged_before_it_is_committed():
    # The store's write lock is held by this test: telecollect reads messages and cannot commit
    # them. Killed then, it must have acknowledged none: the broker delivers them all again.
    # (With the PUBACKs written before the commit, those read are lost: this test fails.)
    m = 10
    s = Setup('[store]\nbusy_timeout = "120s"\n')
    try:
        s.wait_state("connected")
        lock = sqlite3.connect(os.path.join(s.server.data_dir, "telecollect.db"), timeout=30, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        try:
            deadline = time.time() + DEADLINE_S
            for i in range(m):
                s.publisher.publish(*ttn_message(i), deadline)
            # Read, not committed: the session waits for the commit before it writes (or reads) more.
            s.wait_metric("received", 1)
            time.sleep(1)  # acknowledgements sent in the wrong order would be on the wire by now
            assert s.frames(TTN_DEV) == []
            s.server.kill()
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        s.server.start()
        s.check_exactly_once(TTN_DEV, m)
    finally:
        s.cleanup()


XML_RELAY = """name = "xml-relay"
version = "1"
body = "xml"
device_id = "uplink.@dev"
time = "uplink.time"
payload = "uplink.hex"
fport = "uplink.port"
device_type = "dragino-lht65"
"""


def test_an_uploaded_xml_envelope_reads_a_subscription():
    # A subscription naming an envelope the tenant uploaded over HTTP (not in any decoder directory),
    # whose messages are XML: MQTT carries no content type, the envelope reads its own format.
    s = Setup()
    try:
        s.wait_state("connected")
        r = s.server.request("POST", "/v1/envelopes/xml-relay/versions?activate=true", XML_RELAY,
                             {"Content-Type": "application/toml"}, s.token)
        assert r.status == 201, r.body
        with open(os.path.join(s.server.data_dir, "connectors", "relay.toml"), "w") as f:
            f.write(f'type = "mqtt"\ntenant = "acme"\n[broker]\nurl = "mqtts://127.0.0.1:{s.broker.port}"\n'
                    f'ca_file = "{s.broker.ca}"\nusername = "chirpstack-reader"\nreconnect_min = "200ms"\n'
                    'reconnect_max = "2s"\n[[subscribe]]\ntopic = "relay/+/up"\nenvelope = "xml-relay"\n')
        with open(os.path.join(s.server.data_dir, "secrets.toml"), "a") as f:
            f.write(f'[relay]\npassword = "{USERS["chirpstack-reader"]}"\n')
        s.server.proc.send_signal(signal.SIGHUP)
        s.wait_state("connected", connectors=("relay",))
        deadline = time.time() + DEADLINE_S
        for i in range(3):
            s.publisher.publish("relay/gw1/up", f'<uplink dev="70b3d5e75e00ee01"><time>{iso(T0 + i * 1000)}</time>'
                                f'<port>2</port><hex>{lht65(i).hex()}</hex></uplink>', deadline)
        s.check_exactly_once("70B3D5E75E00EE01", 3)
        assert s.status("relay")["rejected"] == 0, s.health()
    finally:
        s.cleanup()


if __name__ == "__main__":
    run_tests(globals())
