#!/usr/bin/env python3
"""End-to-end, hostile inputs at the API level: wide and deep uploads on every
upload route, a full worker pool, out-of-range numbers, unknown routes and
methods. Throughout, a thread polls /healthz every ~50 ms: the heavy routes run
on the worker pool, so its slowest answer must stay small; the server's peak
RSS (VmHWM in /proc/PID/status) must stay bounded."""
import json
import os
import re
import sys
import threading
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, run_tests  # noqa: E402

# /healthz is handled within 100 ms, every time: the server's own histogram
# (request parsed to answer written) says so. Seen from the client, a fresh
# connection's answer also waits for the machine: on a 2-core machine at load 20
# (builds, every suite at once) the polls' p50 was 20 ms and single ones took up
# to 1.55 s while the server had handled each in under 100 ms (most under 1 ms).
# 5 s at the client still catches a handler that holds an I/O thread for seconds,
# as validation of 115,000 columns once did (22-27 s).
HEALTHZ_MAX_S = 5.0
HEALTHZ_SERVER_MAX_S = "0.1"  # a histogram bucket bound of telecollect_http_request_seconds
RSS_MAX_KB = 700 * 1024
BIG_BODY = 16 << 20


def multipart(fields):
    boundary = "tc" + uuid.uuid4().hex
    body = b""
    for name, (filename, data) in fields.items():
        data = data.encode() if isinstance(data, str) else data
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n\r\n').encode()
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def wide_csv(columns, rows=2):
    header = "timestamp;" + ";".join(f"c{i}" for i in range(columns))
    lines = [header] + [f"2026-01-01T0{h}:00:00Z;" + ";".join(str(h) for _ in range(columns)) for h in range(rows)]
    return "\n".join(lines) + "\n"


class HealthPoller:
    """Polls /healthz every ~50 ms on fresh connections; records the slowest answer."""

    def __init__(self, server, server_max_s=HEALTHZ_SERVER_MAX_S):
        self.server = server
        self.server_max_s = server_max_s  # a bucket bound: every /healthz so far handled within it
        self.worst = 0.0
        self.polls = 0
        self.failures = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(self.server.url("/healthz"), timeout=10) as r:
                    r.read()
                    if r.status != 200:
                        self.failures.append(r.status)
            except Exception as e:  # noqa: BLE001 — a timeout is the stall this looks for
                self.failures.append(repr(e))
            self.worst = max(self.worst, time.monotonic() - t0)
            self.polls += 1
            self.stop.wait(0.05)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        deadline = time.monotonic() + 10
        while self.polls < 2 and time.monotonic() < deadline:  # a fast test still gets two polls
            time.sleep(0.05)
        self.stop.set()
        self.thread.join(timeout=15)
        if exc[0] is not None:
            return  # the test's own failure says more
        handled, within = self.server_side()
        print(f"  /healthz: {self.polls} polls, slowest {self.worst * 1000:.0f} ms at the client; "
              f"{within} of {handled} handled within {self.server_max_s} s", flush=True)
        assert self.polls >= 2, "the poller did not run"
        assert not self.failures, self.failures
        assert handled >= self.polls and within == handled, (handled, within)
        assert self.worst < HEALTHZ_MAX_S, f"/healthz took {self.worst:.2f} s at worst"

    def server_side(self):
        """(/healthz requests handled, those handled within server_max_s), from /metrics."""
        with urllib.request.urlopen(self.server.url("/metrics"), timeout=10) as r:
            text = r.read().decode()
        def value(name, labels):
            m = re.search(re.escape(f"{name}{{{labels}}}") + r" (\d+)", text)
            assert m, (name, labels)
            return int(m.group(1))
        return (value("telecollect_http_request_seconds_count", 'route="/healthz"'),
                value("telecollect_http_request_seconds_bucket", f'route="/healthz",le="{self.server_max_s}"'))


def peak_rss_kb(server):
    with open(f"/proc/{server.proc.pid}/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))


def started(extra=""):
    s = Server(f"[server]\nmax_body_bytes = {BIG_BODY}\n{extra}")
    return s.start()


def timed(fn):
    t0 = time.monotonic()
    r = fn()
    return r, time.monotonic() - t0


def test_wide_and_deep_uploads_get_a_clear_answer_in_bounded_time():
    s = started()
    try:
        token = s.token()
        with HealthPoller(s):
            # Validate: 115,000 columns → 422 naming the cap, at once (it took 22-27 s).
            body, ctype = multipart({"file": ("wide.csv", wide_csv(115000))})
            r, took = timed(lambda: s.request("POST", "/v1/files/validate", body, {"Content-Type": ctype}, token))
            assert r.status == 422, (r.status, r.body[:300])
            assert "more than 50000 fields" in r.json()["error"], r.body[:300]
            assert "wide.csv" in r.body and "/tmp" not in r.body, r.body[:300]
            assert took < 20, took
            # 49,000 columns (under the cap): a whole report, in linear time.
            body, ctype = multipart({"file": ("w49k.csv", wide_csv(49000))})
            r, took = timed(lambda: s.request("POST", "/v1/files/validate", body, {"Content-Type": ctype}, token, timeout=120))
            assert r.status == 200, (r.status, r.body[:300])
            assert r.json()["report"]["readings"] == 98000, r.body[:300]
            assert took < 60, took
            # Deep JSON and deep XML samples: an answer, not a crash nor a stall.
            for name, data in (("deep.json", "[" * 200000 + "]" * 200000),
                               ("deep.xml", "<a>" * 100000 + "</a>" * 100000)):
                body, ctype = multipart({"file": (name, data)})
                r, took = timed(lambda: s.request("POST", "/v1/files/validate", body, {"Content-Type": ctype}, token))
                assert r.status in (200, 400, 422), (name, r.status, r.body[:300])
                assert "/tmp" not in r.body, r.body[:300]
                assert took < 20, (name, took)
            # Device CSV import: 115,000 columns, and 200,000 rows of one long line each.
            for data in ("deviceid;devicetype;" + ";".join(f"x{i}" for i in range(115000)) + "\n",
                         "deviceid;devicetype\n" + "".join(f"d{i};{'t' * 40}\n" for i in range(200000))):
                r, took = timed(lambda: s.request("POST", "/v1/devices", data, {"Content-Type": "text/csv"}, token, timeout=120))
                assert r.status in (200, 400, 413), (r.status, r.body[:300])
                assert r.body.startswith("{"), r.body[:300]
                assert took < 60, took
            # Decoder upload: a spec with 100,000 keys, and a deeply nested one.
            for spec in ("".join(f"k{i} = {i}\n" for i in range(100000)),
                         "x = " + "[" * 100000 + "]" * 100000 + "\n"):
                r, took = timed(lambda: s.request("POST", "/v1/devicetypes/wide/versions", spec,
                                                  {"Content-Type": "application/toml"}, token))
                assert r.status == 400, (r.status, r.body[:300])
                assert "/tmp" not in r.body and s.data_dir not in r.body, r.body[:300]
                assert took < 20, took
            # Try-decode and connector try take small JSON bodies: past 64 KiB → 413.
            big = json.dumps({"payload": "00" * 40000})
            for path in ("/v1/devicetypes/dragino-lht65/decode", "/v1/connectors/none/try?from=2026-01-01"):
                r = s.request("POST", path, big, {"Content-Type": "application/json"}, token)
                assert r.status == 413, (path, r.status, r.body[:200])
            deep = "[" * 100000 + "]" * 100000
            r = s.request("POST", "/v1/devicetypes/dragino-lht65/decode", deep[:60000], {"Content-Type": "application/json"}, token)
            assert r.status == 400, (r.status, r.body[:300])
        assert peak_rss_kb(s) < RSS_MAX_KB, peak_rss_kb(s)
    finally:
        s.cleanup()


def test_full_worker_pool_answers_503_with_retry_after():
    s = started("[workers]\nthreads = 1\nqueue = 1\n")
    try:
        token = s.token()
        body, ctype = multipart({"file": ("w40k.csv", wide_csv(40000))})
        answers = []
        lock = threading.Lock()

        def validate():
            r = s.request("POST", "/v1/files/validate", body, {"Content-Type": ctype}, token, timeout=120)
            with lock:
                answers.append(r)

        with HealthPoller(s):
            # Each validation keeps the one worker busy for a second or more; of 8 sent
            # at once, one runs, one waits, and the rest are refused at once.
            threads = [threading.Thread(target=validate) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=180)
        statuses = sorted(r.status for r in answers)
        assert len(answers) == 8, statuses
        refused = [r for r in answers if r.status == 503]
        assert len(refused) >= 1 and all(r.status in (200, 503) for r in answers), statuses
        assert any(r.status == 200 for r in answers), statuses
        for r in refused:
            assert r.headers.get("Retry-After") == "1", r.headers
            assert "busy" in r.json()["error"], r.body
        # The pool is free again: the next one runs.
        r = s.request("POST", "/v1/files/validate", body, {"Content-Type": ctype}, token, timeout=120)
        assert r.status == 200, (r.status, r.body[:200])
    finally:
        s.stop()
        with open(os.path.join(s.data_dir, "server.log")) as f:
            log = f.read()
        s.cleanup()
    assert "api_worker_queue_full" in log, log[-2000:]


def test_out_of_range_numbers_are_400_naming_the_parameter():
    s = started()
    try:
        token = s.token()
        cases = [
            ("/v1/modules/m/measurements?step=9223372036854775807ms", "step"),
            ("/v1/modules/m/measurements?step=106751991167d", "step"),
            ("/v1/modules/m/measurements?step=0ms", "step"),
            ("/v1/modules/m/measurements?step=P9999999999999999999D", "step"),
            ("/v1/modules/m/measurements?limit=18446744073709551616", "limit"),
            ("/v1/modules/m/measurements?limit=-1", "limit"),
            ("/v1/modules/m/measurements?from=99999999999999999999", "from"),
            ("/v1/modules/m/measurements?to=2100-01-02", "to"),
            ("/v1/modules/m/measurements?from=2024-02-01&to=2024-01-01", "from"),
            ("/v1/modules/m/measurements?agg=median&step=1h", "agg"),
            ("/v1/frames?before=-1", "before"),
            ("/v1/frames?before=9223372036854775808", "before"),
            ("/v1/frames?limit=1001", "limit"),
            ("/v1/modules?limit=0", "limit"),
            ("/v1/files?limit=99999999999999999999", "limit"),
            ("/v1/frames?status=whatever", "status"),
            ("/v1/frames?env=staging", "env"),
        ]
        with HealthPoller(s):
            for path, param in cases:
                r = s.get(path, token)
                assert r.status == 400, (path, r.status, r.body)
                j = r.json()
                assert j["parameter"] == param and j["allowed"] and j["error"], (path, j)
            r = s.request("POST", "/v1/redecode?dry_run=maybe", "", None, token)
            assert r.status == 400 and r.json()["parameter"] == "dry_run", r.body
            # The edges themselves are accepted: the parameters pass, and the unknown module is what is refused.
            r = s.get("/v1/modules/m/measurements?step=47482d&agg=avg&from=1970-01-01&to=4102444799999", token)
            assert r.status == 404 and "no module" in r.json()["error"], r.body
    finally:
        s.cleanup()


def test_unknown_routes_methods_and_scopes_are_refused_and_logged():
    s = started()
    try:
        pre = s.token()
        r = s.get("/v1/nothing", pre)
        assert r.status == 404 and "error" in r.json(), r.body
        r = s.request("DELETE", "/v1/devices", None, None, pre)
        assert r.status == 405 and r.headers.get("Allow") == "GET, POST", (r.status, r.headers)
        r = s.request("GET", "/v1/files/validate", None, None, pre)
        assert r.status == 405 and r.headers.get("Allow") == "POST", (r.status, r.headers)
        assert s.get("/v1/modules", None).status == 401
        assert s.get("/v1/modules?env=prod", pre).status == 403
        assert s.get("/v1/modules?tenant=other", pre).status == 403
        assert s.get("/healthz", None).status == 200
    finally:
        s.stop()
        with open(os.path.join(s.data_dir, "server.log")) as f:
            log = f.read()
        s.cleanup()
    for event in ("api_not_found", "api_method_not_allowed", "api_unauthenticated", "api_forbidden"):
        assert event in log, (event, log[-2000:])
    assert "tc_pre_" not in log  # no token in the lines


# A decoder that busy-loops (first byte 1) until its time limit, sleeps on the CPU for
# 1.5 s then answers (2), or answers at once.
SPIN_SCRIPT = r"""
function decodeUplink(input) {
  var op = input.bytes[0];
  if (op === 1) { for (;;) {} }
  if (op === 2) { var t = Date.now(); while (Date.now() - t < 1500) {} }
  return { data: { value: input.bytes[1] } };
}
"""
SPIN_SPEC = """devicetype = "spin-th"
version = "1"
kind = "script"
script = "spin-th.js"
[[test]]
fport = 1
payload = "0005"
expect = { value = 5 }
"""


def test_busy_looping_frames_are_answered_within_the_decode_budget():
    """push.decode_budget holds inside a frame: a push whose decoder busy-loops is answered once
    the budget is used (the frame kept pending, "deferred"), not after the script's own time
    limit; the frame is then decoded in the background, where it fails at its limit with the
    reason; a merely slow frame is decoded there. Three such pushes at once (the server has two
    I/O threads) used to hold the I/O threads for the whole limit: /healthz stalled 4-7 s."""
    # The harness's config ends in its [decoders] table: the first two keys go there.
    s = Server('script_timeout = "4s"\nscript_workers = 2\n[push]\ndecode_budget = "300ms"\n[server]\nthreads = 2\n').start()
    try:
        token = s.token()
        body, ctype = multipart({"spec": ("spin-th.toml", SPIN_SPEC), "script": ("spin-th.js", SPIN_SCRIPT)})
        r = s.request("POST", "/v1/devicetypes/spin-th/versions?activate=true", body, {"Content-Type": ctype}, token)
        assert r.status == 201, r.body
        pushes = [("spin-a", "0101"), ("spin-b", "0102"), ("slow-d", "0204")]
        answers = {}

        def push(device, payload):
            frame = {"timestamp": "2026-11-26T08:00:00Z", "deviceid": device, "payload": payload,
                     "devicetype": "spin-th", "fport": 1}
            answers[device] = s.request("POST", "/v1/push/generic-sensors", json.dumps(frame),
                                        {"Content-Type": "application/json"}, token, timeout=120)

        # The pushes: /healthz handled within 100 ms server-side throughout.
        with HealthPoller(s):
            threads = [threading.Thread(target=push, args=p) for p in pushes]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=180)
            for device, _ in pushes:
                r = answers[device]
                assert r.status == 200, (device, r.status, r.body)
                assert r.json()["accepted"] == 1 and r.json()["deferred"] == 1, (device, r.body)
            # Server side, request parsed to answer written: within the budget and the commit, far
            # below the 4 s of CPU each busy loop gets.
            with urllib.request.urlopen(s.url("/metrics"), timeout=10) as m:
                text = m.read().decode()
            route = 'route="/v1/push/{source}"'
            count = int(re.search(re.escape(f"telecollect_http_request_seconds_count{{{route}}}") + r" (\d+)",
                                  text).group(1))
            within = int(re.search(re.escape(f'telecollect_http_request_seconds_bucket{{{route},le="2.5"}}') +
                                   r" (\d+)", text).group(1))
            assert count == len(pushes) and within == count, (count, within)
        # In the background: the busy loops fail at their limit, with the reason; the slow one is
        # decoded. Meanwhile two worker processes spin at full CPU on a 2-core machine, beside
        # whatever else runs: /healthz is held to 1 s server-side there (a stall of seconds is
        # what this guards against; a 100 ms bound over a minute of that trips on scheduling).
        with HealthPoller(s, server_max_s="1"):
            deadline, outcome = time.monotonic() + 300, {}  # bounded: 2 kills and restarts, twice, loaded machine
            while time.monotonic() < deadline:
                for device, _ in pushes:
                    r = s.get(f"/v1/frames?deviceid={device}", token)
                    assert r.status == 200, r.body
                    outcome[device] = r.json()["frames"][0]
                if all(f["status"] in ("decoded", "failed") for f in outcome.values()):
                    break
                time.sleep(0.5)
        for device in ("spin-a", "spin-b"):
            f = outcome[device]
            assert f["status"] == "failed" and "4000 ms limit" in f["reason"], (device, f)
        assert outcome["slow-d"]["status"] == "decoded", outcome["slow-d"]
        r = s.get("/v1/modules/slow-d.value/measurements", token)
        assert r.status == 200 and [p["value"] for p in r.json()["points"]] == [4], r.body
    finally:
        s.cleanup()


if __name__ == "__main__":
    run_tests(globals())
