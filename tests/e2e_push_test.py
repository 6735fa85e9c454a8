"""End-to-end: the push API against a real `telecollect serve`."""
import json
import os
import signal
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BRIEF_FRAME, Server, basic, unittest_main  # noqa: E402


class PushEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_config=(
            '[server]\nmax_body_bytes = 65536\nheader_timeout = "1s"\n'
            '[auth]\ncache_ttl = "0ms"\n'))
        cls.token = cls.server.token("acme", "preprod")
        cls.prod_token = cls.server.token("acme", "prod")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def reload_decoders(self, expected):
        self.server.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            types = self.server.get("/v1/devicetypes", self.token).json()["devicetypes"]
            if expected in [t["devicetype"] for t in types]:
                return
            time.sleep(0.1)
        self.fail(f"device type {expected} not active after SIGHUP")

    def frames(self, token=None, query=""):
        r = self.server.get("/v1/frames" + query, token or self.token)
        self.assertEqual(r.status, 200, r.body)
        return r.json()["frames"]

    def test_brief_frame_is_accepted_decoded_and_queryable(self):
        frame = dict(BRIEF_FRAME, deviceid="brief-1")
        r = self.server.push(frame, self.token)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json(), {"accepted": 1, "duplicates": 0, "decoded": 1, "pending": 0, "failed": 0,
                                    "measurements": 5})
        m = self.server.get("/v1/modules/brief-1.temperature/measurements", self.token)
        self.assertEqual(m.status, 200, m.body)
        self.assertEqual(m.json()["points"], [{"ts": "2019-04-28T12:59:36.599Z", "value": 28.29}])
        csv = self.server.get("/v1/modules/brief-1.humidity/measurements?format=csv", self.token)
        self.assertEqual(csv.body, "timestamp,value\n2019-04-28T12:59:36.599Z,88.6\n")
        mods = self.server.get("/v1/modules?prefix=brief-1.", self.token).json()["modules"]
        self.assertEqual(sorted(m["id"] for m in mods), [
            "brief-1.battery_status", "brief-1.battery_voltage", "brief-1.ext_temperature",
            "brief-1.humidity", "brief-1.temperature"])
        fr = self.frames(query="?deviceid=brief-1")
        self.assertEqual(len(fr), 1)
        self.assertEqual(fr[0]["payload"], "cbf60b0d0376010add7fff")
        self.assertEqual(fr[0]["status"], "decoded")
        self.assertEqual(fr[0]["values"]["brief-1.temperature"], 28.29)

    def test_brief_exactly_as_written_with_path_source_and_auth_forms(self):
        # The brief's frame verbatim: devicetype with a leading space, raw hex; no decoder → pending.
        frame = {"timestamp": "2019-04-28T12:59:36.599Z", "deviceid": "123124", "payload": "2367A3B3C1DEFE",
                 "devicetype": " fourni par Energisme"}
        r = self.server.push(frame, self.token)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["pending"] + r.json()["duplicates"], 1)
        for auth in (f"Bearer {self.token}", basic("user", self.token), basic(self.token, "")):
            r = self.server.request("POST", "/v1/push/generic-sensors",
                                    json.dumps(dict(frame, timestamp=1556456377)),
                                    {"Content-Type": "application/json", "Authorization": auth})
            self.assertEqual(r.status, 200, r.body)

    def test_wrong_and_revoked_tokens_get_401(self):
        self.assertEqual(self.server.push(BRIEF_FRAME, "tc_pre_wrong").status, 401)
        self.assertEqual(self.server.push(BRIEF_FRAME, None).status, 401)
        t = self.server.token("acme", "preprod")
        self.assertEqual(self.server.push(dict(BRIEF_FRAME, deviceid="rev"), t).status, 200)
        listing = self.server.cli("token", "list").stdout
        self.assertNotIn(t, listing, "token list must never show a token")
        fingerprint = None
        import hashlib
        fingerprint = hashlib.sha256(t.encode()).hexdigest()[:8]
        self.assertIn(fingerprint, listing)
        self.server.cli("token", "revoke", fingerprint)
        r = self.server.push(dict(BRIEF_FRAME, deviceid="rev2"), t)
        self.assertEqual(r.status, 401, r.body)
        self.assertIn("revoked", r.json()["error"])
        with open(os.path.join(self.server.data_dir, "server.log")) as f:
            self.assertNotIn(t, f.read(), "a token appeared in the server log")

    def test_preprod_token_cannot_touch_prod(self):
        r = self.server.get("/v1/modules?env=prod", self.token)
        self.assertEqual(r.status, 403, r.body)
        r = self.server.push(BRIEF_FRAME, self.token, path="/v1/push/generic-sensors?env=prod")
        self.assertEqual(r.status, 403, r.body)
        # Prod data is invisible to the preprod token, and vice versa.
        self.assertEqual(self.server.push(dict(BRIEF_FRAME, deviceid="prod-only"), self.prod_token).status, 200)
        self.assertEqual(self.frames(query="?deviceid=prod-only"), [])
        self.assertEqual(len(self.frames(self.prod_token, "?deviceid=prod-only")), 1)

    def test_oversized_body_gets_413(self):
        big = json.dumps([dict(BRIEF_FRAME, timestamp=1556456376 + i) for i in range(2000)])
        self.assertGreater(len(big), 65536)
        r = self.server.push(big, self.token)
        self.assertEqual(r.status, 413, r.body)
        self.assertIn("max_body_bytes", r.json()["error"])

    def test_bad_item_gets_400_with_index_and_nothing_is_stored(self):
        batch = [dict(BRIEF_FRAME, deviceid="batch-bad", timestamp=1556456376 + i) for i in range(5)]
        batch[3]["payload"] = "abc"
        r = self.server.push(batch, self.token)
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.json()["index"], 3)
        self.assertEqual(r.json()["field"], "payload")
        self.assertEqual(self.frames(query="?deviceid=batch-bad"), [])
        for body, where in (("{not json", None), ('{"deviceid": "x", "payload": "00"}', "timestamp")):
            r = self.server.push(body, self.token)
            self.assertEqual(r.status, 400, r.body)
            self.assertEqual(r.json().get("field"), where)

    def test_media_type_and_source_errors(self):
        r = self.server.push("a=b", self.token, content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 415, r.body)
        self.assertEqual(self.server.push(BRIEF_FRAME, self.token, source=None).status, 400)
        self.assertEqual(self.server.push(BRIEF_FRAME, self.token, source=None, path="/v1/push/nope").status, 404)

    def test_same_frame_twice_is_stored_once(self):
        frame = dict(BRIEF_FRAME, deviceid="twice")
        self.assertEqual(self.server.push(frame, self.token).json()["accepted"], 1)
        r = self.server.push(frame, self.token).json()
        self.assertEqual((r["accepted"], r["duplicates"]), (0, 1))
        self.assertEqual(len(self.frames(query="?deviceid=twice")), 1)

    def test_ndjson_batch(self):
        lines = "\n".join(json.dumps(dict(BRIEF_FRAME, deviceid="nd", timestamp=1556452800 + i)) for i in range(50))
        r = self.server.push(lines, self.token, content_type="application/x-ndjson")
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["accepted"], 50)
        pts = self.server.get("/v1/modules/nd.temperature/measurements?step=1h&agg=count", self.token).json()
        self.assertEqual(pts["points"], [{"ts": "2019-04-28T12:00:00.000Z", "value": 50}])

    def test_unknown_device_type_is_kept_then_redecoded(self):
        frame = {"timestamp": "2020-01-01T00:00:00Z", "deviceid": "late", "payload": "0c80", "devicetype": "Late-Sensor"}
        r = self.server.push(frame, self.token).json()
        self.assertEqual(r["pending"], 1)
        fr = self.frames(query="?deviceid=late")
        self.assertEqual(fr[0]["status"], "no-decoder")
        spec = os.path.join(self.server.data_dir, "decoders", "late-sensor.toml")
        os.makedirs(os.path.dirname(spec), exist_ok=True)
        with open(spec, "w") as f:
            f.write('devicetype = "late-sensor"\n[[variant]]\n[[variant.field]]\nname = "temperature"\n'
                    'offset = 0\ntype = "i16"\nscale = 0.01\nunit = "°C"\n'
                    '[[test]]\npayload = "0c80"\nexpect = { temperature = 32.0 }\n')
        out = self.server.cli("redecode", "--tenant", "acme", "--env", "preprod", "--dry-run").stdout
        self.assertIn("(dry run)", out)
        self.assertEqual(self.frames(query="?deviceid=late")[0]["status"], "no-decoder")  # dry run wrote nothing
        self.reload_decoders("late-sensor")  # the running server learns the new spec on SIGHUP
        r = self.server.request("POST", "/v1/redecode?devicetype=late-sensor", "",
                                {"Authorization": f"Bearer {self.token}"})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["decoded"], 1, r.body)
        fr = self.frames(query="?deviceid=late")
        self.assertEqual(fr[0]["status"], "decoded")
        m = self.server.get("/v1/modules/late.temperature/measurements", self.token).json()
        self.assertEqual(m["points"], [{"ts": "2020-01-01T00:00:00.000Z", "value": 32}])
        # Running it again changes nothing.
        self.assertIn("0 frames scanned", self.server.cli("redecode", "--devicetype", "late-sensor").stdout)

    def test_javascript_decoder_is_loaded_on_sighup_and_a_runaway_one_fails_only_its_frame(self):
        d = os.path.join(self.server.data_dir, "decoders")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "acme-th.js"), "w") as f:
            f.write("function decodeUplink(input) {\n"
                    "  var b = input.bytes;\n"
                    "  if (b[0] === 0xff) { while (true) {} }\n"
                    "  return { data: { temperature: ((b[0] << 8) | b[1]) / 10, status: { ok: true } } };\n"
                    "}\n")
        with open(os.path.join(d, "acme-th.toml"), "w") as f:
            f.write('devicetype = "acme-th"\nkind = "script"\nscript = "acme-th.js"\n'
                    '[[test]]\npayload = "00e1"\nexpect = { temperature = 22.5, status_ok = 1 }\n')
        out = self.server.cli("decode", "--script", os.path.join(d, "acme-th.js"), "--payload", "00e1").stdout
        self.assertIn('"decodeUplink":{"data":{"temperature":22.5', out)
        self.reload_decoders("acme-th")
        r = self.server.push({"timestamp": 1600000000, "deviceid": "js1", "payload": "00e1", "devicetype": "acme-th"},
                             self.token)
        # Decoded at once, or, when push.decode_budget ran out first (a loaded machine: the worker
        # started late), stored pending and decoded in the background (docs/push.md).
        self.assertEqual(r.json()["decoded"] + r.json().get("deferred", 0), 1, r.body)
        self.assertEqual(len(self.frames_with_status("js1", "decoded")), 1)
        m = self.server.get("/v1/modules/js1.temperature/measurements", self.token).json()
        self.assertEqual(m["points"][0]["value"], 22.5)
        start = time.time()
        r = self.server.push({"timestamp": 1600000001, "deviceid": "js1", "payload": "ff00", "devicetype": "acme-th"},
                             self.token)
        self.assertLess(time.time() - start, 5)
        # Failed at once, or, when push.decode_budget ran out first (a loaded machine: the worker's
        # answer or its restart came late), stored pending and failed in the background (docs/push.md).
        self.assertEqual(r.json()["failed"] + r.json().get("deferred", 0), 1, r.body)
        fr = self.frames_with_status("js1", "failed")
        self.assertEqual(len(fr), 1, "the runaway frame was never failed")
        self.assertIn("limit", fr[0]["reason"])
        self.assertEqual(len(self.frames_with_status("js1", "decoded")), 1)  # the other frame kept its decode

    def frames_with_status(self, device, status):
        """The device's frames with that status, once there is one (bounded wait: a deferred frame
        is decoded in the background within its script_timeout)."""
        deadline = time.time() + 60
        while True:
            fr = self.server.get(f"/v1/frames?deviceid={device}&status={status}", self.token).json()["frames"]
            if fr or time.time() > deadline:
                return fr
            time.sleep(0.1)

    def test_slow_client_is_cut_off(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        s.settimeout(5)
        start = time.time()
        data = b""
        while True:  # a 408 naming header_timeout, then closed by the server
            chunk = s.recv(1024)
            if not chunk:
                break
            data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 408 "), data)
        self.assertIn(b"header_timeout", data)
        self.assertLess(time.time() - start, 4.5)
        s.close()

    def test_try_a_payload_on_a_device_type(self):
        r = self.server.request("POST", "/v1/devicetypes/dragino-lht65/decode",
                                json.dumps({"payload": "cbf60b0d0376010add7fff", "fport": 2, "deviceid": "A1"}),
                                {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["data"]["temperature"], 28.29)
        self.assertEqual(r.json()["measurements"][0]["module"], "A1.battery_voltage")
        r = self.server.request("POST", "/v1/devicetypes/dragino-lht65/decode", json.dumps({"payload": "cbf6", "fport": 9}),
                                {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        self.assertEqual(r.status, 422, r.body)
        self.assertIn("fPort 9 is not the LHT65", r.json()["errors"][0])
        r = self.server.request("POST", "/v1/devicetypes/nope/decode", json.dumps({"payload": "00"}),
                                {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        self.assertEqual(r.status, 404, r.body)
        r = self.server.request("POST", "/v1/devicetypes/dragino-lht65/decode", json.dumps({"payload": "0"}),
                                {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        self.assertEqual((r.status, r.json()["field"]), (400, "payload"))

    def test_health_and_metrics(self):
        self.assertEqual(self.server.get("/healthz", None).json()["status"], "ok")
        self.server.push(dict(BRIEF_FRAME, deviceid="metrics"), self.token)
        text = self.server.get("/metrics", None).body
        self.assertIn('telecollect_frames_total{source="generic-sensors",status="decoded"}', text)
        self.assertIn("telecollect_commit_seconds_bucket", text)
        self.assertIn("telecollect_write_queue_depth", text)


class HttpProtocol(unittest.TestCase):
    """HTTP/1.1 as clients send it on one raw connection: pipelining, chunked
    bodies, Expect: 100-continue, limits and timeouts."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(extra_config=(
            '[server]\nmax_body_bytes = 4096\nheader_timeout = "2s"\nbody_timeout = "1s"\n'))
        cls.token = cls.server.token("acme", "preprod")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.server.port))
        s.settimeout(10)
        self.addCleanup(s.close)
        return s, b""

    def read_response(self, s, buf):
        """One response off the connection: (status, headers, body, what follows it)."""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                self.fail(f"connection closed before a full response header: {buf!r}")
            buf += chunk
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(buf) < length:
            chunk = s.recv(65536)
            if not chunk:
                self.fail("connection closed inside a response body")
            buf += chunk
        return status, headers, buf[:length], buf[length:]

    def frame_request(self, deviceid, extra_headers=b"", body=None):
        body = body if body is not None else json.dumps(dict(BRIEF_FRAME, deviceid=deviceid)).encode()
        return (b"POST / HTTP/1.1\r\nHost: x\r\nsource: generic-sensors\r\nContent-Type: application/json\r\n"
                b"Authorization: Bearer " + self.token.encode() + b"\r\n" + extra_headers +
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    def assert_closed(self, s, buf=b""):
        self.assertEqual(buf, b"")
        self.assertEqual(s.recv(1024), b"")

    def test_pipelined_requests_are_answered_in_order(self):
        s, buf = self.connect()
        s.sendall(self.frame_request("pipe-1") + self.frame_request("pipe-2") + self.frame_request("pipe-1"))
        answers = []
        for _ in range(3):
            status, _, body, buf = self.read_response(s, buf)
            answers.append((status, json.loads(body)["accepted"], json.loads(body)["duplicates"]))
        self.assertEqual(answers, [(200, 1, 0), (200, 1, 0), (200, 0, 1)])

    def test_chunked_body_is_read_whole(self):
        body = json.dumps(dict(BRIEF_FRAME, deviceid="chunked-1")).encode()
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:])) + b"0\r\n\r\n"
        s, buf = self.connect()
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nsource: generic-sensors\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + self.token.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
        status, _, body, buf = self.read_response(s, buf)
        self.assertEqual((status, json.loads(body)["accepted"]), (200, 1), body)
        # The connection is still usable after a chunked body.
        s.sendall(self.frame_request("chunked-2"))
        status, _, body, buf = self.read_response(s, buf)
        self.assertEqual((status, json.loads(body)["accepted"]), (200, 1), body)

    def test_chunked_body_over_the_limit_is_413_and_nothing_is_stored(self):
        items = [dict(BRIEF_FRAME, deviceid="chunked-big", timestamp=1600000000 + i) for i in range(60)]
        body = json.dumps(items).encode()
        self.assertGreater(len(body), 4096)
        chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]), body[i:i + 1000])
                           for i in range(0, len(body), 1000)) + b"0\r\n\r\n"
        s, buf = self.connect()
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nsource: generic-sensors\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + self.token.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked)
        status, headers, body, buf = self.read_response(s, buf)
        self.assertEqual(status, 413, body)
        self.assertIn("max_body_bytes", json.loads(body)["error"])
        self.assertEqual(headers.get("connection"), "close")
        r = self.server.get("/v1/frames?deviceid=chunked-big", self.token)
        self.assertEqual(r.json()["frames"], [])

    def test_expect_100_continue(self):
        body = json.dumps(dict(BRIEF_FRAME, deviceid="expect-1")).encode()
        request = self.frame_request("expect-1", b"Expect: 100-continue\r\n", body)
        s, buf = self.connect()
        s.sendall(request[:-len(body)])  # the headers only, as curl does for a large body
        status, _, _, buf = self.read_response(s, buf)
        self.assertEqual(status, 100)
        s.sendall(body)
        status, _, body, buf = self.read_response(s, buf)
        self.assertEqual((status, json.loads(body)["accepted"]), (200, 1), body)

    def test_content_length_over_the_limit_is_413_before_the_body(self):
        s, buf = self.connect()
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nsource: generic-sensors\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + self.token.encode() + b"\r\nContent-Length: 100000\r\n\r\n")
        status, _, body, buf = self.read_response(s, buf)  # answered without sending the body
        self.assertEqual(status, 413, body)
        self.assertIn("100000", json.loads(body)["error"])
        self.assert_closed(s, buf)

    def test_oversized_headers_are_431(self):
        s, buf = self.connect()
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Padding: " + b"a" * 20000 + b"\r\n\r\n")
        status, _, body, buf = self.read_response(s, buf)
        self.assertEqual(status, 431, body)
        self.assertIn("16 KiB", json.loads(body)["error"])

    def test_body_that_stops_coming_is_408(self):
        s, buf = self.connect()
        start = time.time()
        s.sendall(self.frame_request("slow-body")[:-20])  # 20 bytes of the body never come
        status, _, body, buf = self.read_response(s, buf)
        self.assertEqual(status, 408, body)
        self.assertIn("body_timeout", json.loads(body)["error"])
        self.assertLess(time.time() - start, 5)
        self.assertEqual(self.server.get("/v1/frames?deviceid=slow-body", self.token).json()["frames"], [])

    def test_malformed_request_is_400_and_closed(self):
        s, buf = self.connect()
        s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: twelve\r\n\r\n")
        status, _, body, buf = self.read_response(s, buf)
        self.assertEqual(status, 400, body)
        self.assertIn("malformed HTTP request", json.loads(body)["error"])
        self.assert_closed(s, buf)

    def test_connection_close_and_http_1_0(self):
        s, buf = self.connect()
        s.sendall(self.frame_request("close-1", b"Connection: close\r\n"))
        status, headers, body, buf = self.read_response(s, buf)
        self.assertEqual((status, headers.get("connection")), (200, "close"), body)
        self.assert_closed(s, buf)
        s, buf = self.connect()
        s.sendall(self.frame_request("http10-1").replace(b"HTTP/1.1", b"HTTP/1.0", 1))
        status, _, body, buf = self.read_response(s, buf)
        self.assertEqual((status, json.loads(body)["accepted"]), (200, 1), body)
        self.assert_closed(s, buf)


class PlatformPush(unittest.TestCase):
    """Platform webhooks as they are sent, through the real server."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server()
        cls.token = cls.server.token()
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def post(self, path, body):
        return self.server.request("POST", path, json.dumps(body),
                                   {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})

    def test_ttn_uplink_is_decoded_by_its_version_ids(self):
        r = self.post("/v1/push/ttn", {
            "end_device_ids": {"device_id": "lht", "dev_eui": "a840414f61863a6c"},
            "received_at": "2025-03-10T08:15:02.481734912Z",
            "uplink_message": {"f_port": 2, "frm_payload": "y/YLDQN2AQrdf/8=",
                               "version_ids": {"brand_id": "dragino", "model_id": "lht65"}}})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["decoded"], 1, r.body)
        m = self.server.get("/v1/modules/A840414F61863A6C.temperature/measurements", self.token).json()
        self.assertEqual(m["points"], [{"ts": "2025-03-10T08:15:02.481Z", "value": 28.29}])

    def test_chirpstack_non_uplink_events_are_ignored(self):
        r = self.post("/v1/push/chirpstack?event=join", {"deviceInfo": {"devEui": "0011223344556677"}})
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["ignored"], 1)
        self.assertEqual(r.json()["accepted"], 0)

    def test_multitech_batch_on_its_own_path(self):
        r = self.post("/v1/push/multitech/api/lorawan/v1/16-ea-76-f6-ab-66-3d-80/up", [
            {"time": "2025-03-10T08:15:02.481200Z", "port": 6, "data": "AQsBJAnqGpAAAAA=",
             "deveui": "70-b3-d5-e7-5e-00-11-22"}])
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.json()["pending"], 1, r.body)  # no device type: kept for later
        r = self.post("/v1/push/multitech/api/lorawan/v1/16-ea-76-f6-ab-66-3d-80/up?devicetype=netvox-r718a", [
            {"time": "2025-03-10T08:25:02.481200Z", "port": 6, "data": "AQsBJAnqGpAAAAA=",
             "deveui": "70-b3-d5-e7-5e-00-11-22"}])
        self.assertEqual(r.json()["decoded"], 1, r.body)
        fr = self.server.get("/v1/frames?deviceid=70B3D5E75E001122", self.token).json()["frames"]
        self.assertEqual([f["status"] for f in fr], ["decoded", "no-decoder"])
        self.assertEqual(fr[0]["values"]["70B3D5E75E001122.temperature"], 25.38)

    def test_loriot_encrypted_payload_is_kept_not_decoded(self):
        r = self.post("/v1/push/loriot?devicetype=dragino-lht65",
                      {"cmd": "rx", "EUI": "0011223344556688", "ts": 1741594502481, "port": 2, "encdata": "a1b2"})
        self.assertEqual(r.json()["failed"], 1, r.body)
        fr = self.server.get("/v1/frames?deviceid=0011223344556688", self.token).json()["frames"]
        self.assertIn("encrypted", fr[0]["reason"])

    def test_device_registry_gives_the_type_the_platform_does_not_send(self):
        r = self.server.request("PUT", "/v1/devices/70B3D5E75E0011AA",
                                json.dumps({"devicetype": "Netvox-R718A", "label": "salle 12"}),
                                {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        self.assertEqual(r.status, 200, r.body)
        r = self.post("/v1/push/loriot", {"cmd": "rx", "EUI": "70b3d5e75e0011aa", "ts": 1741594502481, "port": 6,
                                          "data": "010b012409ea1a90000000"})
        self.assertEqual(r.json()["decoded"], 1, r.body)
        # Bulk import through the CLI, with its own module naming.
        csv = os.path.join(self.server.data_dir, "devices.csv")
        with open(csv, "w") as f:
            f.write("deviceid;devicetype;label;module\n70B3D5E75E0011BB;netvox-r718a;\"salle 13\";site-b/{deviceid}/{field}\n")
        out = self.server.cli("device", "import", "--tenant", "acme", "--env", "preprod", csv).stdout
        self.assertIn("1 devices imported", out)
        listed = self.server.get("/v1/devices?prefix=70B3D5E75E0011", self.token).json()["devices"]
        self.assertEqual([d["deviceid"] for d in listed], ["70B3D5E75E0011AA", "70B3D5E75E0011BB"])
        time.sleep(5.2)  # push.device_cache_ttl: the CLI wrote from another process
        r = self.post("/v1/push/loriot", {"cmd": "rx", "EUI": "70B3D5E75E0011BB", "ts": 1741594502481, "port": 6,
                                          "data": "010b012409ea1a90000000"})
        self.assertEqual(r.json()["decoded"], 1, r.body)
        mods = self.server.get("/v1/modules?prefix=site-b/", self.token).json()["modules"]
        self.assertIn("site-b/70B3D5E75E0011BB/temperature", [m["id"] for m in mods])
        bad = self.server.request("POST", "/v1/devices", "deviceid,colour\nA,red\n",
                                  {"Content-Type": "text/csv", "Authorization": f"Bearer {self.token}"})
        self.assertEqual(bad.status, 400, bad.body)
        self.assertIn("line 1, column 2", bad.json()["error"])

    def test_a_retried_sigfox_callback_is_stored_once(self):
        body = {"device": "2C4F1A", "time": 1741594502, "data": "0100e6021c000000", "seqNumber": 1387}
        first = self.post("/v1/push/sigfox", body).json()
        again = self.post("/v1/push/sigfox", dict(body, time=str(body["time"]))).json()  # template quoting changed
        self.assertEqual((first["accepted"], again["accepted"], again["duplicates"]), (1, 0, 1))
        self.assertEqual(len(self.server.get("/v1/frames?deviceid=2C4F1A", self.token).json()["frames"]), 1)

    def test_bad_platform_body_names_the_field_path(self):
        r = self.post("/v1/push/thingpark", {"DevEUI_uplink": {"DevEUI": "00", "payload_hex": "0g"}})
        self.assertEqual(r.status, 400, r.body)
        self.assertEqual(r.json()["field"], "DevEUI_uplink.payload_hex")


class GracefulShutdown(unittest.TestCase):
    def test_sigterm_exits_zero_and_data_survives(self):
        server = Server()
        try:
            token = server.token()
            server.start()
            self.assertEqual(server.push(BRIEF_FRAME, token).status, 200)
            self.assertEqual(server.stop(), 0)
            server.start()
            self.assertEqual(server.push(BRIEF_FRAME, token).json()["duplicates"], 1)
        finally:
            server.cleanup()

    def test_port_in_use_is_a_clear_error(self):
        server = Server()
        try:
            server.start()
            r = server.cli("serve", "--listen", f"127.0.0.1:{server.port}", check=False)
            self.assertEqual(r.returncode, 4)
            self.assertIn("cannot listen", r.stderr)
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest_main()
