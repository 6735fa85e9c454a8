#!/usr/bin/python3
"""Data for bench/cluster.sh.

  cluster_data.py year-load URL TOKEN DEVICE
      pushes one device's year of 10-minute readings (2025, 52,560 Dragino LHT65 frames, 1,000
      per request) to a telecollect node.
  cluster_data.py year-query URL TOKEN MODULE RUNS
      times RUNS requests for that module's year averaged hourly; prints
      `RESULT points=N median_ms=X min_ms=Y max_ms=Z`.
  cluster_data.py warm URL TOKEN TS TAG...
      registers the devices push_frames.lua uses under each TC_CASE TAG (case (a): 1,000 per wrk
      thread, case (b): one per thread) by pushing one earlier frame for each, at TS (epoch ms,
      before the runs' frames): the measured runs then push readings of a known fleet, as a
      deployment does, not a fleet appearing. Warming a second node with another TS gives it the
      fleet's module ids too.
  cluster_data.py copy-rows FRAMES DIR
      writes DIR/frames.csv (the frames table's columns, as telecollect stores the frames of
      push_frames.lua) and DIR/points.csv (one row per reading: module, ts, value), the rows of
      PostgreSQL's own COPY, the reference of the push cases.
"""
import json
import statistics
import sys
import time
import urllib.request

YEAR_START_MS = 1735689600000  # 2025-01-01T00:00:00Z
STEP_MS = 600_000
YEAR_FRAMES = 365 * 24 * 6
PAYLOAD = "cbf60b0d0376010add7fff"  # push_frames.lua's frame
VALUES = {"battery_voltage": 3.062, "battery_status": 3, "temperature": 28.29, "humidity": 88.6,
          "ext_temperature": 27.81}


def request(url, token, body=None):
    headers = {"Authorization": f"Basic {token}"}
    if body is not None:
        headers.update({"Content-Type": "application/json", "source": "generic-sensors"})
    req = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read()


def year_load(url, token, device):
    for start in range(0, YEAR_FRAMES, 1000):
        frames = [{"timestamp": YEAR_START_MS + i * STEP_MS, "deviceid": device, "payload": PAYLOAD,
                   "devicetype": "dragino-lht65", "fport": 2} for i in range(start, min(start + 1000, YEAR_FRAMES))]
        answer = json.loads(request(url + "/", token, json.dumps(frames).encode()))
        if answer.get("accepted", 0) + answer.get("duplicates", 0) != len(frames):
            raise SystemExit(f"year-load: unexpected answer {answer}")


def warm(url, token, ts, tags):
    frames = []
    for tag in tags:
        for thread in (1, 2):
            for n in range(1 if tag.endswith("1000") else 1000):
                frames.append({"timestamp": ts, "deviceid": f"bench{tag}{thread}-{n}", "payload": PAYLOAD,
                               "devicetype": "dragino-lht65", "fport": 2})
    for start in range(0, len(frames), 200):
        request(url + "/", token, json.dumps(frames[start:start + 200]).encode())
    # Frames deferred past the push's decode budget are decoded in the background: wait for them,
    # so that the measured run does not pay for the warm-up.
    deadline = time.monotonic() + 120
    while json.loads(request(url + "/v1/frames?status=pending&limit=1", token))["frames"]:
        if time.monotonic() > deadline:
            raise SystemExit("warm: frames still pending after 120 s")
        time.sleep(0.2)


def year_query(url, token, module, runs):
    path = (f"{url}/v1/modules/{module}/measurements?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"
            "&step=1h&agg=avg&limit=100000")
    times, points = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        body = request(path, token)
        times.append((time.perf_counter() - t0) * 1000)
        points = len(json.loads(body)["points"])
    print(f"RESULT points={points} median_ms={statistics.median(times):.1f} min_ms={min(times):.1f} "
          f"max_ms={max(times):.1f}")


def copy_rows(frames, directory):
    # As push_frames.lua: 2 wrk threads, 1,000 devices each, frame n at 1600000000000 + n ms.
    with open(f"{directory}/frames.csv", "w") as f, open(f"{directory}/points.csv", "w") as p:
        values = json.dumps(VALUES, separators=(",", ":")).replace('"', '""')
        for n in range(frames):
            device = n % 2000
            ts = 1600000000000 + n
            f.write(f'1,copy{device},{ts},\\x{PAYLOAD},generic-sensors,dragino-lht65,{ts},2,,0,"",f,"{values}"\n')
            for k, v in enumerate(VALUES.values()):
                p.write(f"{device * 5 + k},{ts},{v}\n")


def main(argv):
    if len(argv) == 4 and argv[0] == "year-load":
        year_load(argv[1], argv[2], argv[3])
    elif len(argv) == 5 and argv[0] == "year-query":
        year_query(argv[1], argv[2], argv[3], int(argv[4]))
    elif len(argv) >= 5 and argv[0] == "warm":
        warm(argv[1], argv[2], int(argv[3]), argv[4:])
    elif len(argv) == 3 and argv[0] == "copy-rows":
        copy_rows(int(argv[1]), argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
