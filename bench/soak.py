#!/usr/bin/python3
"""Soak: a real `telecollect serve` under mixed load for SOAK_SECONDS (default 600).

Pushes of good frames (generic-sensors, Dragino LHT65), reads (frames, modules, measurements),
file validations (multipart CSV), and a tenant's hostile JavaScript decoder (endless loops, huge
native copies, poisoned intrinsics, floods of warnings and measurements) all at once, on
127.0.0.1. Every 30 s it prints the server's RSS (its worker processes included) and the
p50/p99/max latency of /healthz and of good pushes over the interval; at the end the same over
the whole run. A benchmark, not a test: it asserts nothing. Every loop is bounded in time.
"""
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import harness  # noqa: E402
import specs  # noqa: E402

SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
REPORT_EVERY = float(os.environ.get("SOAK_REPORT_SECONDS", "30"))

HOSTILE_JS = r"""
function decodeUplink(input) {
  var b = input.bytes;
  switch (b[0]) {
    case 1: for (;;) {}
    case 2: var a = new ArrayBuffer(1 << 30); return { data: { n: a.slice(0).byteLength } };
    case 3: var s = "x".repeat(1 << 29); return { data: { n: s.length } };
    case 4:
      JSON.stringify = function () { return "{}"; };
      Array.prototype.push = function () { return 0; };
      Math.round = function () { return -1; };
      Date.now = function () { return 0; };
      return { data: { value: b[1] } };
    case 5: var w = []; for (var i = 0; i < 200000; i++) w[i] = "warning " + i; return { data: {}, warnings: w };
    case 6: var d = {}; for (var j = 0; j < 50000; j++) d["m" + j] = j; return { data: d };
    case 7: var t = new Uint8Array(1 << 30); t.set(new Uint8Array(1 << 30)); return { data: { n: t[0] } };
    default: var o = { value: 0 }; o.value = Math.round(b[1]); return { data: o };
  }
}
"""
HOSTILE_SPEC = specs.script_spec("soak-hostile", "1", "0007", "value = 7")


class Latencies:
    def __init__(self):
        self.lock = threading.Lock()
        self.interval, self.total, self.errors = [], [], 0

    def add(self, seconds, ok=True):
        with self.lock:
            self.interval.append(seconds)
            self.total.append(seconds)
            if not ok:
                self.errors += 1

    def take_interval(self):
        with self.lock:
            v, self.interval = self.interval, []
            return v


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def fmt(values):
    if not values:
        return "n=0"
    return (f"n={len(values)} p50={pct(values, 50) * 1000:.1f}ms p99={pct(values, 99) * 1000:.1f}ms "
            f"max={max(values) * 1000:.1f}ms")


def rss_kib(pid):
    """RSS of the server and of every process below it (decoder workers)."""
    total = 0
    pids = [pid]
    try:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                            pids.append(int(entry))
                except (OSError, ValueError, IndexError):
                    pass
        for p in pids:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
    except OSError:
        pass
    return total


def timed(server, method, path, body=None, headers=None, token=None, timeout=30):
    t0 = time.monotonic()
    try:
        r = server.request(method, path, body, headers, token, timeout=timeout)
        return time.monotonic() - t0, r.status
    except (urllib.error.URLError, OSError, TimeoutError):
        return time.monotonic() - t0, 0


def main():
    server = harness.Server()
    server.start()
    deadline = time.monotonic() + SECONDS
    good = server.token("soak-good")
    evil = server.token("soak-evil")
    body, ctype = specs.upload("soak-hostile", HOSTILE_SPEC, HOSTILE_JS)
    up = server.request("POST", "/v1/devicetypes/soak-hostile/versions?activate=true", body,
                        {"Content-Type": ctype}, evil)
    print(f"hostile decoder upload: {up.status} {up.body[:200]}", flush=True)

    health, pushes, reads, validations, hostile = (Latencies() for _ in range(5))
    stop = threading.Event()
    counters = {"frames": 0}

    def healthz():
        while not stop.is_set() and time.monotonic() < deadline:
            dt, status = timed(server, "GET", "/healthz", timeout=10)
            health.add(dt, status == 200)
            stop.wait(0.1)

    def pusher(n):
        seq = 0
        while not stop.is_set() and time.monotonic() < deadline:
            seq += 1
            frames = [{"timestamp": f"2026-01-01T00:00:00Z", "deviceid": f"soak-{n}-{seq}-{k}",
                       "payload": "cbf60b0d0376010add7fff", "devicetype": "dragino-lht65", "fport": 2}
                      for k in range(random.choice((1, 1, 1, 10, 100)))]
            dt, status = timed(server, "POST", "/", json.dumps(frames),
                               {"Content-Type": "application/json", "source": "generic-sensors"}, good)
            pushes.add(dt, status == 200)
            counters["frames"] += len(frames)

    def reader():
        paths = ["/v1/frames?limit=50", "/v1/modules", "/v1/frames?status=failed&limit=50"]
        while not stop.is_set() and time.monotonic() < deadline:
            dt, status = timed(server, "GET", random.choice(paths), token=random.choice((good, evil)))
            reads.add(dt, status == 200)
            stop.wait(0.05)

    def validator():
        rows = "\n".join(f"PDL-{i % 7};2026-01-0{1 + i % 9} 0{i % 10}:00:00;{i},5" for i in range(5000))
        csv = ("compteur;horodatage;valeur\n" + rows + "\n").encode()
        while not stop.is_set() and time.monotonic() < deadline:
            b, c = harness.multipart({"file": ("sample.csv", csv)})
            dt, status = timed(server, "POST", "/v1/files/validate", b, {"Content-Type": c}, good)
            validations.add(dt, status in (200, 422))
            stop.wait(0.5)

    def attacker():
        seq = 0
        while not stop.is_set() and time.monotonic() < deadline:
            seq += 1
            frames = [{"timestamp": "2026-01-01T00:00:00Z", "deviceid": f"evil-{seq}-{k}",
                       "payload": f"{random.randint(0, 7):02x}{random.randint(0, 255):02x}",
                       "devicetype": "soak-hostile", "fport": 1} for k in range(random.choice((1, 5)))]
            dt, status = timed(server, "POST", "/", json.dumps(frames),
                               {"Content-Type": "application/json", "source": "generic-sensors"}, evil, timeout=60)
            hostile.add(dt, status == 200)
            stop.wait(0.2)

    threads = [threading.Thread(target=healthz)]
    threads += [threading.Thread(target=pusher, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=reader) for _ in range(2)]
    threads += [threading.Thread(target=validator), threading.Thread(target=attacker)]
    for t in threads:
        t.start()
    start = time.monotonic()
    rss_seen = []
    try:
        while time.monotonic() < deadline:
            time.sleep(min(REPORT_EVERY, max(0.0, deadline - time.monotonic())))
            rss = rss_kib(server.proc.pid)
            rss_seen.append(rss)
            alive = server.proc.poll() is None
            print(f"t={time.monotonic() - start:5.0f}s rss={rss / 1024:.0f}MiB alive={alive} "
                  f"frames={counters['frames']} | healthz {fmt(health.take_interval())} | "
                  f"push {fmt(pushes.take_interval())} | hostile {fmt(hostile.take_interval())} | "
                  f"read {fmt(reads.take_interval())} | validate {fmt(validations.take_interval())}", flush=True)
            if not alive:
                break
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=90)
        print("== whole run")
        for name, lat in (("healthz", health), ("push", pushes), ("hostile push", hostile), ("read", reads),
                          ("validate", validations)):
            print(f"{name:13s} {fmt(lat.total)} errors={lat.errors}")
        if rss_seen:
            print(f"rss           min={min(rss_seen) / 1024:.0f}MiB max={max(rss_seen) / 1024:.0f}MiB "
                  f"last={rss_seen[-1] / 1024:.0f}MiB")
        server.cleanup()


if __name__ == "__main__":
    main()
