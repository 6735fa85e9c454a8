#!/usr/bin/env python3
"""The console's speed in a real browser (bench/console.sh): Frames page open time with 100,000
frames in the store, and a 52,560-point plot's draw time, each next to the raw API fetch of the
same data from the same browser. Runs are bounded: N_RUNS each, the median printed."""
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests"))
from harness import BRIEF_FRAME, Server  # noqa: E402
from console_browser import Browser  # noqa: E402

FRAMES = 100_000
YEAR = 52_560           # 10-minute readings in 365 days
T0 = 1735689600         # 2025-01-01T00:00:00Z
BATCH = 2000
N_RUNS = 5
MODULE = "bench-year.temperature"


def fill(srv, token):
    t = time.time()
    frames = [dict(BRIEF_FRAME, deviceid="bench-year", timestamp=T0 + 600 * i) for i in range(YEAR)]
    frames += [dict(BRIEF_FRAME, deviceid=f"bench-{i % 500}", timestamp=T0 + 7 * i) for i in range(FRAMES - YEAR)]
    for k in range(0, len(frames), BATCH):
        r = srv.push(frames[k:k + BATCH], token)
        assert r.status == 200, r.body[:300]
    # Frames a push deferred are decoded in the background: wait for the year's module to be whole.
    deadline = time.time() + 300
    while time.time() < deadline:
        r = srv.get(f"/v1/modules/{MODULE}/measurements?agg=count&step=47482d", token)
        if r.status == 200 and r.json()["points"] and r.json()["points"][0]["value"] == YEAR:
            break
        time.sleep(1)
    else:
        raise AssertionError("the year's module did not reach 52,560 points within 300 s")
    print(f"console bench: {FRAMES} frames pushed and decoded in {time.time() - t:.1f} s")


FETCH_MS = """const done = arguments[arguments.length - 1];
const t0 = performance.now();
fetch(arguments[0], {headers: {Authorization: 'Bearer ' + sessionStorage.getItem('telecollect.token')}})
  .then(r => r.json()).then(j => done(performance.now() - t0));"""


def main():
    srv = Server().start()
    b = None
    try:
        token = srv.token()
        fill(srv, token)
        b = Browser()
        b.get(srv.url("/console/"))
        b.js("sessionStorage.setItem('telecollect.token', arguments[0])", token)
        opens, frames_api = [], []
        for _ in range(N_RUNS):
            b.get("about:blank")
            b.get(srv.url("/console/#/frames"))
            b.wait(lambda: b.js("return performance.getEntriesByName('console:frames-drawn').length") == 1, 30, "Frames drawn")
            opens.append(b.js("return performance.getEntriesByName('console:frames-drawn')[0].startTime"))
            assert len(b.find_all("#frames-body tr")) == 200
            frames_api.append(b.js_async(FETCH_MS, "/v1/frames?limit=200"))
        draws, fetches, raw = [], [], []
        for _ in range(N_RUNS):
            b.get("about:blank")
            b.get(srv.url("/console/#/modules?prefix=bench-year.&module=" + MODULE + "&plot=1"))
            chart = b.wait(lambda: (b.find_all("#module-plot[data-draw-ms]") or [None])[0], 60, "the year's plot")
            assert chart.get_attribute("data-points") == str(YEAR), chart.get_attribute("data-points")
            draws.append(float(chart.get_attribute("data-draw-ms")))
            fetches.append(float(chart.get_attribute("data-fetch-ms")))
            raw.append(b.js_async(FETCH_MS, f"/v1/modules/{MODULE}/measurements?limit=1000000"))
        errors = b.errors()
        assert errors == [], errors
        med = statistics.median
        load = open("/proc/loadavg").read().split()[0]
        print(f"console bench: {os.cpu_count()} cores, load average {load} during the runs (figures grow with it)")
        print(f"console: Frames page open with {FRAMES} frames in the store: {med(opens):.0f} ms "
              f"(navigation → first 200 rows drawn; median of {N_RUNS}) — target < 1000 ms; "
              f"reference: the raw GET /v1/frames?limit=200 from the browser {med(frames_api):.0f} ms")
        print(f"console: plot of {YEAR} points (one module's year of 10-minute data): drawn in {med(draws):.0f} ms, "
              f"fetched and parsed in {med(fetches):.0f} ms (median of {N_RUNS}) — target < 1000 ms; "
              f"reference: the raw GET of the same measurements from the browser {med(raw):.0f} ms")
    finally:
        if b:
            b.quit()
        srv.cleanup()


if __name__ == "__main__":
    main()
