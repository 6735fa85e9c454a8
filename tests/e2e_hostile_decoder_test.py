"""Hostile script decoders uploaded by a tenant, end to end: what one frame does never reaches
the next frame, another tenant, /healthz or the machine.

One server for the whole suite. A monitor thread polls /healthz every ~50 ms and pushes another
tenant's frame every ~250 ms the whole time, and samples the RSS of the server and of its
decode-worker processes. The latency margins (2 s for /healthz, 4 s for a push) are far above
what a loaded 2-core machine needs (tens of ms) and far below the stalls this suite guards
against (7-10 s before the decoders ran in sandboxed processes)."""
import json
import os
import sys
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from harness import BRIEF_FRAME, Server, run_tests  # noqa: E402
from specs import script_spec, upload  # noqa: E402

HEALTHZ_MAX_S = 2.0
PUSH_MAX_S = 4.0
RSS_PER_PROCESS_MAX_MB = 512   # the bug reached 2.4 GB; a worker may add 2x64 MiB to ~30 MB
RSS_TOTAL_MAX_MB = 1536

# One decoder, its behaviour chosen by the first byte. 0x00 is a good frame whose value goes
# through the intrinsics the poisoners replace.
SCRIPT = r"""
function decodeUplink(input) {
  var b = input.bytes, op = b[0];
  if (op === 1) JSON.stringify = function () { return '{"result":{"data":{"value":666}},"log":[],"log_over":0}'; };
  if (op === 2) Array.prototype.push = function () { this[0] = 666; return 1; };
  if (op === 3) Date = function () { return { getTime: function () { return 666; } }; };
  if (op === 4) { Math.round = function () { return 666; }; Math.floor = Math.round; }
  if (op === 5) Object.prototype.value = 666;
  if (op === 0x10) { var ab = new ArrayBuffer(1 << 30); ab.slice(0); }
  if (op === 0x11) { var big = new Uint8Array(1 << 30); big.set(new Uint8Array(512 << 20)); }
  if (op === 0x12) { var t = new Float64Array(128 << 20); t.slice(0); }
  if (op === 0x13) { var s = 'x'.repeat(1 << 29); s.indexOf('y'); }
  if (op === 0x14) { for (;;) {} }
  if (op === 0x20) { var w = []; for (var k = 0; k < 50; k++) w.push('w'.repeat(100000)); return { data: { value: 1 }, warnings: w }; }
  if (op === 0x21) { var d = {}; for (var m = 0; m < 20000; m++) d['m' + m] = m; return { data: d }; }
  if (op === 0x22) { for (var n = 0; n < 100000; n++) console.log('flood', n); }
  if (op === 0x24) { var e = {}; for (var j = 0; j < 2000; j++) e['m' + j] = j; return { data: e }; }
  if (op === 0x23) { var ws = []; for (var q = 0; q < 5000; q++) ws.push('w'); return { data: { value: 1 }, warnings: ws }; }
  var parts = [];
  parts.push(b[1]);
  var extra = 0, probe = {};
  for (var key in probe) extra++;
  return { data: { value: Math.round(JSON.parse(JSON.stringify({ v: parts[0] })).v + new Date(0).getTime()),
                   extra: extra } };
}
"""

SPEC = script_spec("evil-th", "1", "0005", "value = 5, extra = 0")

STATE = {}


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    return out


class Monitor(threading.Thread):
    """/healthz every ~50 ms, another tenant's push every ~250 ms, RSS samples: worst cases kept."""

    def __init__(self, server, token):
        super().__init__(daemon=True)
        self.server, self.token = server, token
        self.stop = threading.Event()
        self.healthz_max = self.push_max = 0.0
        self.healthz_n = self.push_n = 0
        self.errors = []
        self.rss_max = self.rss_total_max = 0.0
        self.workers_seen = set()

    def run(self):
        i = 0
        deadline = time.time() + 1800  # bounded whatever happens
        while not self.stop.is_set() and time.time() < deadline:
            t0 = time.time()
            try:
                with urllib.request.urlopen(self.server.url("/healthz"), timeout=30) as r:
                    r.read()
                self.healthz_max = max(self.healthz_max, time.time() - t0)
                self.healthz_n += 1
            except Exception as e:  # noqa: BLE001
                self.errors.append(f"healthz: {e}")
            if i % 5 == 0:
                frame = dict(BRIEF_FRAME, deviceid=f"calm-{i}", timestamp=f"2026-11-26T10:{(i // 60) % 60:02d}:{i % 60:02d}Z")
                t0 = time.time()
                r = self.server.push(frame, self.token)
                self.push_max = max(self.push_max, time.time() - t0)
                self.push_n += 1
                if r.status != 200 or r.json()["decoded"] != 1:
                    self.errors.append(f"calm push: {r.status} {r.body}")
            pids = [self.server.proc.pid] + children(self.server.proc.pid)
            self.workers_seen.update(pids[1:])
            sizes = [rss_mb(p) for p in pids]
            self.rss_max = max(self.rss_max, max(sizes))
            self.rss_total_max = max(self.rss_total_max, sum(sizes))
            i += 1
            time.sleep(0.05)


def setup():
    if STATE:
        return STATE
    server = Server().start()
    evil, calm = server.token("evil", "preprod"), server.token("calm", "preprod")
    body, ctype = upload("evil-th", SPEC, SCRIPT)
    r = server.request("POST", "/v1/devicetypes/evil-th/versions?activate=true", body, {"Content-Type": ctype}, evil)
    assert r.status == 201, r.body
    monitor = Monitor(server, calm)
    monitor.start()
    STATE.update(server=server, evil=evil, calm=calm, monitor=monitor, n=0)
    return STATE


def frame(device, hexpayload, n):
    return {"timestamp": f"2026-11-26T{8 + n // 3600:02d}:{(n // 60) % 60:02d}:{n % 60:02d}Z", "deviceid": device,
            "payload": hexpayload, "devicetype": "evil-th", "fport": 1}


def push(device, payloads):
    """Pushes frames (hex payloads) for `device`; the answer and how long it took."""
    s = setup()
    items = []
    for p in payloads:
        s["n"] += 1
        items.append(frame(device, p, s["n"]))
    t0 = time.time()
    r = s["server"].push(items if len(items) > 1 else items[0], s["evil"])
    return r, time.time() - t0


def frames(device, status=None, limit=1000):
    s = setup()
    q = f"/v1/frames?deviceid={device}&limit={limit}" + (f"&status={status}" if status else "")
    r = s["server"].get(q, s["evil"])
    assert r.status == 200, r.body
    return r.json()["frames"]


def settled(device, r, **want):
    """After a push of frames all meant to end `decoded` or `failed` (want: how many of each): each is
    so in the answer, or deferred past push.decode_budget (a loaded machine: a worker answered or
    restarted late) and decoded in the background (docs/push.md). Checks the answer's counts allow
    that, then waits (bounded) until none of the device's frames is pending."""
    assert r.status == 200, r.body
    a = r.json()
    deferred = a.get("deferred", 0)
    assert sum(a[k] for k in want) + deferred == sum(want.values()), (want, r.body)
    assert all(a[k] <= n for k, n in want.items()), (want, r.body)
    deadline = time.time() + 60
    while frames(device, status="pending") and time.time() < deadline:
        time.sleep(0.1)
    assert not frames(device, status="pending"), f"{device}: frames still pending after 60 s"


def test_a_poisoned_intrinsic_never_reaches_the_next_frame():
    for op in (1, 2, 3, 4, 5):
        device = f"poison-{op}"
        r, _ = push(device, [f"{op:02x}07", "0009", "000a"])
        settled(device, r, decoded=3)
        got = sorted(f["values"][f"{device}.value"] for f in frames(device) if f["payload"] != f"{op:02x}07")
        assert got == [9, 10], (op, frames(device))
        for f in frames(device):
            if f["payload"] != f"{op:02x}07":
                assert f["values"][f"{device}.extra"] == 0, (op, f)
        # Frames pushed later, one by one, are right too.
        r, _ = push(device, ["000b"])
        settled(device, r, decoded=1)
        got = sorted(f["values"][f"{device}.value"] for f in frames(device) if f["payload"] != f"{op:02x}07")
        assert got == [9, 10, 11], (op, got)


def test_native_copies_and_endless_loops_fail_their_frame_only():
    cases = {"10": "memory limit", "11": "memory limit", "12": "memory limit", "13": "memory limit",
             "14": "ms limit"}
    for op, reason in cases.items():
        device = f"hog-{op}"
        r, took = push(device, [f"{op}00"])
        assert took < 10, (op, took)  # one frame: its limit, not seconds of copying
        settled(device, r, failed=1)
        f = frames(device)[0]
        assert f["status"] == "failed" and reason in f["reason"], f
        r, _ = push(device, ["0003"])
        settled(device, r, decoded=1)
        assert [g["status"] for g in frames(device)].count("decoded") == 1, frames(device)
    m = STATE["monitor"]
    assert m.rss_max < RSS_PER_PROCESS_MAX_MB and m.rss_total_max < RSS_TOTAL_MAX_MB, (m.rss_max, m.rss_total_max)


def test_output_is_capped_per_frame():
    cases = {"20": "over the cap of", "21": "over the cap of 65536 bytes", "24": "2000 measurements, over the cap of 1000",
             "22": "console output over the cap", "23": "5000 warnings, over the cap of 100"}
    for op, reason in cases.items():
        device = f"loud-{op}"
        r, _ = push(device, [f"{op}00"])
        settled(device, r, failed=1)
        f = frames(device)[0]
        assert f["status"] == "failed" and reason in f["reason"], f
        assert len(f["reason"]) < 4096, len(f["reason"])


def test_a_request_of_timeouts_is_answered_and_decoded_in_the_background():
    device = "spin"
    r, took = push(device, ["1400"] * 100)
    # The decode budget (500 ms) plus the frame in hand (CPU limit 100 ms; wall clock at most 1 s).
    assert took < 5, took
    body = r.json()
    assert r.status == 200 and body["accepted"] == 100, r.body
    assert body["pending"] == body["deferred"] and body["deferred"] >= 50, body
    # Reads never decode: fast while the background decoder works through the frames.
    t0 = time.time()
    listed = frames(device, limit=100)
    assert len(listed) == 100 and time.time() - t0 < 2, time.time() - t0
    assert any(f["reason"].startswith("deferred: ") for f in listed), listed[0]
    deadline = time.time() + 600  # 100 kills and restarts of a worker on a loaded machine
    while time.time() < deadline:
        failed = frames(device, status="failed")
        if len(failed) == 100:
            break
        time.sleep(1)
    assert len(failed) == 100, len(failed)
    assert all("ms limit" in f["reason"] for f in failed), failed[0]


def test_zz_healthz_and_another_tenants_pushes_kept_answering():
    s = setup()
    m = s["monitor"]
    m.stop.set()
    m.join(timeout=60)
    assert m.healthz_n > 20 and m.push_n > 4, (m.healthz_n, m.push_n)
    assert not m.errors, m.errors[:5]
    assert m.healthz_max < HEALTHZ_MAX_S, m.healthz_max
    assert m.push_max < PUSH_MAX_S, m.push_max
    assert m.rss_max < RSS_PER_PROCESS_MAX_MB and m.rss_total_max < RSS_TOTAL_MAX_MB, (m.rss_max, m.rss_total_max)
    assert m.workers_seen, "no decode worker process was seen"
    print(f"  healthz max {m.healthz_max * 1000:.0f} ms over {m.healthz_n}, push max {m.push_max * 1000:.0f} ms"
          f" over {m.push_n}, RSS max {m.rss_max:.0f} MB/process {m.rss_total_max:.0f} MB total,"
          f" {len(m.workers_seen)} worker processes seen")
    s["server"].cleanup()


if __name__ == "__main__":
    # The monitor's check runs last (test names sort: "zz").
    run_tests(globals())
