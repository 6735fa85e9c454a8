"""The read side against InfluxDB 1.x (issue 21), driven by bench/query.sh.

One data set from a fixed seed: meter modules (an increasing index with 3 decimals every 10
minutes) and, apart, temperature modules (noisy, 2 decimals, every 10 minutes). Default 500
meters x 1 year; QUERY_SCALE (0 < s <= 1) shrinks both the module count and the span.
The meters go into telecollect (`telecollect import` of one long CSV per module) and into
InfluxDB (line protocol, batches of 5,000 points); then, on both: import rate, bytes per point
of the data directory after compaction, and the latency (min/median/max of QUERY_RUNS,
alternating the two systems) of six queries, whose answers must agree."""
import array
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from harness import free_port, wait_port  # noqa: E402

START = 1735689600  # 2025-01-01T00:00:00Z
STEP = 600
SEED = 21


def du(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except FileNotFoundError:
                pass
    return total


def raw_words(r, n):
    """The next n 32-bit outputs of r's Mersenne Twister, as getrandbits(32) would give them
    one by one (getrandbits(32 * n) fills its integer with them, least significant first)."""
    w = array.array("I", r.getrandbits(32 * n).to_bytes(4 * n, "little"))
    if sys.byteorder == "big":
        w.byteswap()
    return w


# repr() of a 3-decimal value below 1e16 from its integer thousandths: "1234.5", "1000.0"
FRAC = ["." + (f"{f:03d}".rstrip("0") or "0") for f in range(1000)]


def meter_values(i, points):
    """repr() of meter module i's readings: the values of
        r = random.Random(SEED * 100003 + i); v = r.randint(1000, 100000) * 1.0
        v = round(v + r.choice((0, 0, r.randint(0, 2500))) / 1000, 3)   # once per point
    computed in integer thousandths from r's raw words (randint and choice draw
    _randbelow(n): the top n.bit_length() bits of a word, drawn again while >= n)."""
    r = random.Random(SEED * 100003 + i)
    w = raw_words(r, 4 * points + 1024)
    while True:
        try:
            return _meter_values(w, points)
        except IndexError:  # more words than drawn (never seen): draw more, start over
            w.extend(raw_words(r, 4 * points + 1024))


def _meter_values(w, points):
    j = 0
    while True:  # randint(1000, 100000): 1000 + _randbelow(99001), 17 bits
        x = w[j] >> 15
        j += 1
        if x < 99001:
            break
    milli = (1000 + x) * 1000
    text = None
    out = []
    append = out.append
    for _ in range(points):
        while True:  # randint(0, 2500): _randbelow(2501), 12 bits
            x = w[j] >> 20
            j += 1
            if x < 2501:
                break
        while True:  # choice((0, 0, x)): _randbelow(3), 2 bits
            c = w[j] >> 30
            j += 1
            if c != 3:
                break
        if c == 2 and x:
            milli += x
            text = None
        if text is None:
            text = f"{milli // 1000}{FRAC[milli % 1000]}"
        append(text)
    return out


def temperature_values(i, points):
    """repr() of temperature module i's readings (noisy, 2 decimals)."""
    r = random.Random(SEED * 7919 + i)
    base = r.uniform(17, 23)
    day = [base + 2.5 * ((k - 72) / 72.0) ** 2 for k in range(144)]
    gauss = r.gauss
    return [repr(round(day[k % 144] + gauss(0, 0.4), 2)) for k in range(points)]


def write_data(work, names, points, temps):
    """Writes one CSV per meter module (csv/) and per temperature module (temp_csv/); returns
    the meters' InfluxDB line protocol, in batches of 5,000 points (bytes), in module order."""
    times = [str(START + k * STEP) for k in range(points)]
    csv_dir = os.path.join(work, "csv")
    os.makedirs(csv_dir)
    bodies, pending = [], []
    for i, name in enumerate(names):
        values = meter_values(i, points)
        with open(os.path.join(csv_dir, name + ".csv"), "w", buffering=1 << 20) as f:
            f.write("module,ts,value,unit\n")
            f.write("".join([f"{name},{t},{v},kWh\n" for t, v in zip(times, values)]))
        pending.extend([f"meter,module={name} value={v} {t}" for t, v in zip(times, values)])
        at = 0
        while len(pending) - at >= 5000:
            bodies.append("\n".join(pending[at:at + 5000]).encode())
            at += 5000
        del pending[:at]
    if pending:
        bodies.append("\n".join(pending).encode())
    temp_dir = os.path.join(work, "temp_csv")
    os.makedirs(temp_dir)
    for i in range(temps):
        name = f"t{i:03d}"
        with open(os.path.join(temp_dir, name + ".csv"), "w", buffering=1 << 20) as f:
            f.write("module,ts,value,unit\n")
            f.write("".join([f"{name},{t},{v},C\n" for t, v in zip(times, temperature_values(i, points))]))
    return bodies


def iso(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


class Http:
    """One keep-alive connection; get() returns (seconds, body)."""

    def __init__(self, port, headers=None):
        self.port = port
        self.headers = headers or {}
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def get(self, path):
        t0 = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        r = self.conn.getresponse()
        body = r.read()
        dt = time.perf_counter() - t0
        if r.status != 200:
            raise SystemExit(f"GET {path[:200]} -> {r.status}: {body[:300]!r}")
        return dt, body

    def post(self, path, body):
        self.conn.request("POST", path, body=body, headers=self.headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status // 100 != 2:
            raise SystemExit(f"POST {path} -> {r.status}: {data[:300]!r}")
        return data


def main():
    bin_path = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else "build/src/cli/telecollect")
    scale = float(os.environ.get("QUERY_SCALE", "1"))
    runs = int(os.environ.get("QUERY_RUNS", "5"))
    if not 0 < scale <= 1:
        raise SystemExit("QUERY_SCALE must be in (0, 1]")
    modules = max(2, round(500 * scale))
    days = max(2, round(365 * scale))
    points = days * 144
    temps = max(2, round(50 * scale))
    work = tempfile.mkdtemp(prefix="tc_query_bench_")
    procs = []
    try:
        run(bin_path, work, procs, modules, days, points, temps, runs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


def run(bin_path, work, procs, modules, days, points, temps, runs):
    total = modules * points
    print(f"data: {modules} meter modules x {days} days of 10-minute points = {total:,} points (seed {SEED}); "
          f"{temps} temperature modules apart")
    names = [f"m{i:04d}" for i in range(modules)]
    t0 = time.perf_counter()
    bodies = write_data(work, names, points, temps)
    print(f"data written in {time.perf_counter() - t0:.1f} s", flush=True)
    csv_dir = os.path.join(work, "csv")
    temp_dir = os.path.join(work, "temp_csv")
    profile = os.path.join(work, "long.toml")
    with open(profile, "w") as f:
        f.write('format = "csv"\ndelimiter = ","\ntimestamp_format = "epoch_s"\ntimezone = "UTC"\n'
                '[fields]\nmodule = "module"\ntimestamp = "ts"\nvalue = "value"\nunit = "unit"\n')

    # --- telecollect -----------------------------------------------------------------
    tc_data = os.path.join(work, "tc")
    os.makedirs(tc_data)
    config = os.path.join(tc_data, "telecollect.toml")
    with open(config, "w") as f:
        f.write(f'data_dir = "{tc_data}"\n')
    tc = [bin_path, "--config", config]
    files = [os.path.join(csv_dir, n + ".csv") for n in names]
    t0 = time.perf_counter()
    for at in range(0, len(files), 100):
        subprocess.run(tc + ["import", "--profile", profile, "--tenant", "bench", "--env", "prod", *files[at:at + 100]],
                       check=True, stdout=subprocess.DEVNULL)
    tc_import = time.perf_counter() - t0
    tc_bytes = du(tc_data) - os.path.getsize(config)

    temp_data = os.path.join(work, "tc_temp")
    os.makedirs(temp_data)
    temp_config = os.path.join(temp_data, "telecollect.toml")
    with open(temp_config, "w") as f:
        f.write(f'data_dir = "{temp_data}"\n')
    temp_files = sorted(os.path.join(temp_dir, n) for n in os.listdir(temp_dir))
    subprocess.run([bin_path, "--config", temp_config, "import", "--profile", profile, "--tenant", "bench", "--env",
                    "prod", *temp_files], check=True, stdout=subprocess.DEVNULL)
    temp_bytes = du(temp_data) - os.path.getsize(temp_config)

    token = subprocess.run(tc + ["token", "create", "--tenant", "bench", "--env", "prod"], check=True,
                           capture_output=True, text=True).stdout.strip()
    tc_proc = subprocess.Popen(tc + ["serve", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                               stderr=open(os.path.join(work, "tc.log"), "w"), text=True)
    procs.append(tc_proc)
    line = tc_proc.stdout.readline()
    if "listening on" not in line:
        raise SystemExit(f"telecollect did not start: {line!r}")
    tc_http = Http(int(line.strip().rsplit(":", 1)[1]), {"Authorization": f"Bearer {token}"})

    # --- InfluxDB ----------------------------------------------------------------------
    idir = os.path.join(work, "influx")
    os.makedirs(idir)
    iport = free_port()
    with open(os.path.join(idir, "influxdb.conf"), "w") as f:
        f.write(f"""reporting-disabled = true
bind-address = "127.0.0.1:{free_port()}"
[meta]
  dir = "{idir}/meta"
[data]
  dir = "{idir}/data"
  wal-dir = "{idir}/wal"
  query-log-enabled = false
  cache-snapshot-write-cold-duration = "5s"
  compact-full-write-cold-duration = "10s"
[coordinator]
  max-select-point = 0
  max-select-series = 0
[http]
  bind-address = "127.0.0.1:{iport}"
  log-enabled = false
  max-row-limit = 0
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
""")
    influx = subprocess.Popen(["influxd", "-config", os.path.join(idir, "influxdb.conf")],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(idir, "log"), "w"))
    procs.append(influx)
    wait_port(iport)
    ih = Http(iport)
    ih.post("/query?q=" + urllib.parse.quote("CREATE DATABASE bench"), b"")
    t0 = time.perf_counter()  # the line protocol was formatted beforehand, as the CSV files were
    for body in bodies:
        ih.post("/write?db=bench&precision=s", body)
    influx_import = time.perf_counter() - t0
    # Compaction: cold shards are snapshotted after 5 s and fully compacted after 10 s without
    # writes; wait until the data directory stops changing (bounded).
    t0 = time.time()
    deadline = t0 + 600
    last, stable_since = -1, time.time()
    while time.time() < deadline:
        size = du(idir)
        wal = du(os.path.join(idir, "wal"))
        if size != last:
            last, stable_since = size, time.time()
        elif wal < 4096 * 64 and time.time() - stable_since > 20:
            break
        time.sleep(2)
    influx_bytes = du(idir)
    print(f"influxdb compaction settled after {time.time() - t0:.0f} s", flush=True)

    print(f"import: telecollect {tc_import:.1f} s ({total / tc_import:,.0f} points/s), "
          f"influxdb {influx_import:.1f} s ({total / influx_import:,.0f} points/s), "
          f"ratio {influx_import / tc_import:.2f}x (target >= 5)")
    print(f"bytes/point after compaction: telecollect {tc_bytes / total:.2f} (target <= 2.5), influxdb "
          f"{influx_bytes / total:.2f}, ratio {tc_bytes / influx_bytes:.2f} (target <= 0.3); "
          f"noisy 2-decimal temperatures: telecollect {temp_bytes / (temps * points):.2f} (target <= 4)")

    # --- queries ----------------------------------------------------------------------
    m0 = names[0]
    few = names[:min(50, modules)]
    day_from, day_to = START + (days // 2) * 86400, START + (days // 2 + 1) * 86400
    year_to = START + days * 86400
    regex = "^(" + "|".join(few) + ")$"

    def tc_points(body, many=False):
        j = json.loads(body)
        if j.get("truncated"):
            raise SystemExit("telecollect answer truncated")
        if many:
            return {s["module"]: [(p["ts"], p["value"]) for p in s["points"]] for s in j["series"]}
        return [(p["ts"], p["value"]) for p in j["points"]]

    def ms_iso(ms):
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"

    def ix_points(body, by_module=False):
        res = json.loads(body)["results"][0]
        if "error" in res:
            raise SystemExit("influxdb: " + res["error"])
        out = {}
        for s in res.get("series", []):
            key = (s.get("tags") or {}).get("module")
            out[key] = [(ms_iso(t), v) for t, v in s["values"] if v is not None]
        return out if by_module else out.get(None, [])

    def iq(q):
        return "/query?db=bench&epoch=ms&q=" + urllib.parse.quote(q)

    mods_q = "&".join("module=" + m for m in few)
    cases = [
        ("one day raw",
         f"/v1/modules/{m0}/measurements?from={day_from}&to={day_to}&limit=1000000",
         iq(f"SELECT value FROM meter WHERE module='{m0}' AND time >= {day_from}s AND time < {day_to}s"),
         lambda b: tc_points(b), lambda b: ix_points(b)),
        ("one year raw",
         f"/v1/modules/{m0}/measurements?from={START}&to={year_to}&limit=1000000",
         iq(f"SELECT value FROM meter WHERE module='{m0}' AND time >= {START}s AND time < {year_to}s"),
         lambda b: tc_points(b), lambda b: ix_points(b)),
        ("one year hourly avg",
         f"/v1/modules/{m0}/measurements?from={START}&to={year_to}&step=1h&agg=avg&limit=1000000",
         iq(f"SELECT mean(value) FROM meter WHERE module='{m0}' AND time >= {START}s AND time < {year_to}s "
            "GROUP BY time(1h) fill(none)"),
         lambda b: tc_points(b), lambda b: ix_points(b)),
        ("one year daily sum",
         f"/v1/modules/{m0}/measurements?from={START}&to={year_to}&step=1d&agg=sum&limit=1000000",
         iq(f"SELECT sum(value) FROM meter WHERE module='{m0}' AND time >= {START}s AND time < {year_to}s "
            "GROUP BY time(1d) fill(none)"),
         lambda b: tc_points(b), lambda b: ix_points(b)),
        (f"last value of {len(few)} modules",
         f"/v1/latest?{mods_q}",
         iq(f"SELECT last(value) FROM meter WHERE module =~ /{regex}/ GROUP BY module"),
         lambda b: {m["id"]: [(m["ts"], m["value"])] for m in json.loads(b)["modules"]},
         lambda b: ix_points(b, True)),
        (f"{len(few)} modules, one day hourly",
         f"/v1/measurements?{mods_q}&from={day_from}&to={day_to}&step=1h&agg=avg&limit=1000000",
         iq(f"SELECT mean(value) FROM meter WHERE module =~ /{regex}/ AND time >= {day_from}s AND "
            f"time < {day_to}s GROUP BY time(1h), module fill(none)"),
         lambda b: tc_points(b, True), lambda b: ix_points(b, True)),
    ]
    print(f"latency, {runs} runs each, alternating (ms: min / median / max):")
    failures = []
    for name, tq, iqs, tparse, iparse in cases:
        tt, it = [], []
        for _ in range(runs):
            dt, tbody = tc_http.get(tq)
            tt.append(dt)
            dt, ibody = ih.get(iqs)
            it.append(dt)
        a, b = tparse(tbody), iparse(ibody)
        if not same(a, b):
            failures.append(name)
        ratio = statistics.median(tt) / statistics.median(it)
        print(f"  {name:28s} telecollect {fmt(tt)}  influxdb {fmt(it)}  ratio {ratio:.2f} (target <= 0.5)"
              f"{'' if name not in failures else '  ANSWERS DIFFER'}")
    if failures:
        raise SystemExit("answers differ: " + ", ".join(failures))
    print("answers agree on every query")


def same(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if len(a) != len(b):
        return False
    for (ta, va), (tb, vb) in zip(a, b):
        if ta != tb or abs(va - vb) > 1e-9 * max(1.0, abs(va)):
            return False
    return True


def fmt(xs):
    ms = sorted(x * 1000 for x in xs)
    return f"{ms[0]:8.2f} / {statistics.median(ms):8.2f} / {ms[-1]:8.2f}"


if __name__ == "__main__":
    main()
