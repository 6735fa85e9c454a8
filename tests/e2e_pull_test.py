#!/usr/bin/env python3
"""End-to-end: API pulls against a real HTTP server started here on 127.0.0.1
(tests/vendor_api_server.py, serving the documented shapes of Enedis Data
Connect, GRDF ADICT and a generic vendor API), driven by `telecollect
connector run` / `connector try`: the shipped presets, every paging kind,
OAuth2 expiry and rotating refresh tokens, 429 + Retry-After, 500, timeouts,
errors inside 200 answers, the autumn DST day, corrections upserted, and a
kill in the middle of a multi-page run."""
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import zoneinfo

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from harness import BIN, Server, run_tests  # noqa: E402
import vendor_api_server as vendor  # noqa: E402  (the series function: what the server serves)

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


class Vendor:
    def __init__(self, tls=None):
        self.proc = subprocess.Popen([sys.executable, f"{HERE}/vendor_api_server.py", *(["--tls", *tls] if tls else [])],
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"

    def admin(self, **cmd):
        req = urllib.request.Request(self.base + "/admin", data=json.dumps(cmd).encode(), method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    def info(self):
        return json.loads(urllib.request.urlopen(self.base + "/admin", timeout=10).read())

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Env:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tc_pull_")
        os.makedirs(f"{self.dir}/connectors")
        with open(f"{self.dir}/secrets.toml", "w") as f:
            f.write('[generic]\napi_key = "k-123"\n[generic-err]\napi_key = "k-123"\n')
            for name in ("enedis-load-curve", "enedis-daily-consumption", "enedis-v5-load-curve", "enedis-v5-daily-consumption",
                 "grdf-adict", "oauth", "rotating"):
                f.write(f'[{name}]\nclient_secret = "tc-secret"\n')
            f.write('refresh_token = "r-0"\n')  # the last table: rotating
        os.chmod(f"{self.dir}/secrets.toml", 0o600)

    def write(self, name, text):
        with open(f"{self.dir}/connectors/{name}.toml", "w") as f:
            f.write(text)

    def preset(self, preset, vendor, meters, base_path, extra_window=""):
        text = open(f"{ROOT}/presets/{preset}.toml").read()
        text = text.replace('tenant = "CHANGE-ME"', 'tenant = "acme"').replace('client_id = "CHANGE-ME"', 'client_id = "tc-client"')
        text = re.sub(r'base = "[^"]*"', f'base = "{vendor.base}{base_path}"', text, count=1)
        text = re.sub(r'token_url = "[^"]*"', f'token_url = "{vendor.base}/oauth/token"', text)
        if extra_window:
            text = re.sub(r'\nhistory = "[^"]*"', "\n" + extra_window.strip(), text, count=1)
        text = text.replace("[request]\n", "".join(f'[[meters]]\nid = "{m}"\n\n' for m in meters) + "[request]\n", 1)
        self.write(preset, text)

    def cli(self, *args, timeout=120):
        return subprocess.run([BIN, "--data-dir", self.dir, *args], capture_output=True, text=True, timeout=timeout)

    def run(self, name):
        r = self.cli("connector", "run", name)
        return r.returncode, r.stdout + r.stderr

    def points(self, module, frm="2000-01-01T00:00:00Z", to="2099-01-01T00:00:00Z"):
        r = self.cli("query", "measurements", "--tenant", "acme", "--env", "preprod", "--module", module, "--from", frm, "--to", to)
        if r.returncode != 0 and "no module" in r.stderr:
            return {}
        assert r.returncode == 0, r.stderr
        out = {}
        for line in r.stdout.strip().splitlines()[1:]:
            ts, v = line.split(",")[:2]
            out[ts] = float(v)
        return out


def iso(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def with_env(fn):
    def wrapped():
        v, e = Vendor(), Env()
        try:
            fn(v, e)
        finally:
            v.stop()
    wrapped.__name__ = fn.__name__
    return wrapped


def last_sunday(year, month):
    d = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return d - dt.timedelta(days=(d.weekday() + 1) % 7)


def recent_dst_sunday(month, today=None):
    """The last DST change of that month (3: spring, 10: autumn) at least 5 days before today: the
    test's days follow the wall clock, as the presets' history does (no fixed year to outlive)."""
    today = today or dt.date.today()
    for year in (today.year, today.year - 1):
        d = last_sunday(year, month)
        if d <= today - dt.timedelta(days=5):
            return d
    raise AssertionError("unreachable")


def paris_midnight(day):
    return int(dt.datetime.combine(day, dt.time(0), PARIS).timestamp())


def fetched_days(history_days, at):
    """The local days a run at `at` (epoch s) fetches with history = "<n>d", align = "day" and no
    watermark yet: from the day holding at - n days to yesterday (pull_run.cc: LocalMidnight of
    now - history, up to LocalMidnight of now)."""
    first = dt.datetime.fromtimestamp(at - history_days * 86400, PARIS).date()
    end = dt.datetime.fromtimestamp(at, PARIS).date()
    return [first + dt.timedelta(days=k) for k in range((end - first).days)]


def run_expecting(e, name, history_days, series):
    """Runs the connector; returns what must be stored: series(days) for the days it fetched. Two
    candidates only if Paris midnight passed during the run (the days depend on the run's clock)."""
    before = time.time()
    rc, out = e.run(name)
    assert rc == 0, out
    return [series(fetched_days(history_days, t)) for t in sorted({before, time.time()})]


def assert_series(got, wants):
    """got equals one of wants exactly: the same instants, the same values, nothing more."""
    if got in wants:
        return
    want = wants[-1]
    raise AssertionError((len(got), len(want), "missing", sorted(set(want) - set(got))[:4], "extra",
                          sorted(set(got) - set(want))[:4], "wrong", [(t, got[t], want[t]) for t in sorted(want)
                                                                      if t in got and got[t] != want[t]][:4]))


def half_hour_series(meter, days):
    """Load curve: every half hour of the days (46, 48 or 50 of them), at its start, the vendor's value."""
    if not days:
        return {}
    start, end = paris_midnight(days[0]), paris_midnight(days[-1] + dt.timedelta(days=1))
    return {iso(t): vendor.value(meter, t) for t in range(start, end, 1800)}


def daily_series(meter, days):
    """Daily consumption: each day at local midnight, in Wh (the vendor's kWh figure times 1000, as it serves it)."""
    return {iso(paris_midnight(d)): float(int(vendor.value(meter + "d", paris_midnight(d)) * 1000)) for d in days}


def check_load_curve_days(e, meter, sunday, points_that_day):
    """Saturday, the DST Sunday and Monday: every half hour at its interval start, the vendor's value."""
    start, end = paris_midnight(sunday - dt.timedelta(days=1)), paris_midnight(sunday + dt.timedelta(days=2))
    got = e.points(f"enedis.{meter}.load_curve", iso(start), iso(end))
    want = {iso(t): vendor.value(meter, t) for t in range(start, end, 1800)}
    assert len(want) == 96 + points_that_day, len(want)
    assert got == want, (sunday, len(got), len(want), sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5])
    return start


@with_env
def test_enedis_load_curve_preset_across_the_autumn_dst_change(v, e):
    e.preset("enedis-load-curve", v, ["12345678901234"], "/enedis")
    autumn, spring = recent_dst_sunday(10), recent_dst_sunday(3)
    frm = dt.datetime.combine(autumn - dt.timedelta(days=1), dt.time(0), PARIS).isoformat()
    to = dt.datetime.combine(autumn + dt.timedelta(days=2), dt.time(0), PARIS).isoformat()
    r = e.cli("connector", "try", "enedis-load-curve", "--from", frm, "--to", to)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "nothing stored" in r.stdout and e.points("enedis.12345678901234.load_curve") == {}
    assert "dst_ambiguous" in r.stdout, r.stdout  # the repeated 02:00-03:00 hour, read in order
    calls = v.info()["token_calls"]
    rc, out = e.run("enedis-load-curve")
    assert rc == 0, out
    # Saturday (48 points), the autumn Sunday (50: a 25-hour day), Monday (48); the spring Sunday has 46.
    start = check_load_curve_days(e, "12345678901234", autumn, 50)
    check_load_curve_days(e, "12345678901234", spring, 46)
    # 730 days of history at 7 days per call: ~105 windows, one token call for the run (cached).
    assert v.info()["token_calls"] == calls + 1, (calls, v.info()["token_calls"])
    # A second run fetches only the overlap again; a corrected value is upserted, not doubled.
    t = start + 1800
    v.admin(corrections={f"12345678901234|{t}": 999.5})
    before = len(e.points("enedis.12345678901234.load_curve"))
    rc, out = e.run("enedis-load-curve")
    assert rc == 0, out
    assert "12345678901234" in out and 1 <= out.count("committed") <= 2, out  # the 2-day overlap only
    assert len(e.points("enedis.12345678901234.load_curve")) == before
    # The correction is older than the overlap: only a preview shows it, no run re-reads that far.
    saturday = (autumn - dt.timedelta(days=1)).isoformat()
    r = e.cli("connector", "try", "enedis-load-curve", "--from", saturday, "--to", autumn.isoformat(), "--json")
    assert r.returncode == 0 and "999.5" in r.stdout, r.stdout


@with_env
def test_enedis_daily_and_v5_presets(v, e):
    """Each preset stores exactly the days its history covers: every instant, every value, no more."""
    e.preset("enedis-daily-consumption", v, ["11111111111111"], "/enedis", 'history = "10d"\n')
    wants = run_expecting(e, "enedis-daily-consumption", 10, lambda days: daily_series("11111111111111", days))
    assert all(len(w) == 10 for w in wants), wants  # the last 10 full local days (D-1 included)
    assert_series(e.points("enedis.11111111111111.daily_consumption"), wants)
    e.preset("enedis-v5-load-curve", v, ["22222222222222"], "/enedis", 'history = "3d"\n')
    wants = run_expecting(e, "enedis-v5-load-curve", 3, lambda days: half_hour_series("22222222222222", days))
    assert_series(e.points("enedis.22222222222222.load_curve"), wants)
    e.preset("enedis-v5-daily-consumption", v, ["33333333333333"], "/enedis", 'history = "5d"\n')
    wants = run_expecting(e, "enedis-v5-daily-consumption", 5, lambda days: daily_series("33333333333333", days))
    assert all(len(w) == 5 for w in wants), wants
    assert_series(e.points("enedis.33333333333333.daily_consumption"), wants)


@with_env
def test_grdf_preset_ndjson_status_lines_and_errors_inside_200(v, e):
    e.preset("grdf-adict", v, ["GI123456", "GI000001"], "/grdf/adict/v2", 'history = "20d"\n')
    before = time.time()
    rc, out = e.run("grdf-adict")
    assert rc == 1, out  # one PCE's access right expired: that meter fails, the other is stored
    assert "1000000011" in out and "Droit d'accès expiré" in out, out
    got = e.points("grdf.GI123456.energy")

    def gas_days(days):  # each gas day at 06:00 Paris of its own date (04:00Z in summer, 05:00Z in winter)
        at = [dt.datetime.combine(d, dt.time(6), PARIS).timestamp() for d in days]
        return {iso(t): vendor.value("GI123456", int(t)) for t in at}
    wants = [gas_days(fetched_days(20, t)) for t in sorted({before, time.time()})]
    assert all(len(w) == 20 for w in wants), wants
    assert_series(got, wants)
    assert e.points("grdf.GI000001.energy") == {}
    status = e.cli("connector", "status", "grdf-adict").stdout
    assert "failed" in status and "GI000001" in status, status
    # A provisional value replaced later (within the 7-day overlap): upserted on the next run.
    last = max(got)
    t = int(dt.datetime.fromisoformat(last.replace("Z", "+00:00")).timestamp())
    v.admin(corrections={f"GI123456|{t}": 4242.0})
    e.run("grdf-adict")
    again = e.points("grdf.GI123456.energy")
    assert len(again) == 20 and again[last] == 4242.0, (len(again), again.get(last))


@with_env
def test_grdf_one_day_in_error_is_named_and_filled_later(v, e):
    """Issue 22: one gas day of an NDJSON answer is a business error. The other days are stored,
    the run record names the day, and the next run fills it once the vendor has it."""
    e.preset("grdf-adict", v, ["GI123456"], "/grdf/adict/v2", 'history = "20d"\n')
    today = dt.datetime.now(vendor.PARIS).date()
    bad_day = today - dt.timedelta(days=12)  # older than the 7-day overlap: only a retry asks for it again
    v.admin(grdf_missing=[f"GI123456|{bad_day.isoformat()}"])
    rc, out = e.run("grdf-adict")
    assert rc == 0, out
    got = e.points("grdf.GI123456.energy")
    assert len(got) == 19, (len(got), out)
    bad_ts = dt.datetime.combine(bad_day, dt.time(6), vendor.PARIS)
    assert iso(bad_ts.timestamp()) not in got, got
    status = e.cli("connector", "status", "grdf-adict").stdout
    assert bad_ts.isoformat() in status and "Aucune donnée" in status, status
    # Still missing on the next run: asked again (one more request for that day), the rest untouched.
    calls_before = len(v.info()["calls"])
    rc, out = e.run("grdf-adict")
    assert rc == 0 and "asked again" in out, out
    assert len(e.points("grdf.GI123456.energy")) == 19
    calls = v.info()["calls"][calls_before:]
    assert any(f"date_debut={bad_day.isoformat()}" in c for c in calls), calls
    # The vendor has the day now: the next run fills it, and asks no more.
    v.admin(grdf_missing=[])
    rc, out = e.run("grdf-adict")
    assert rc == 0, out
    got = e.points("grdf.GI123456.energy")
    assert len(got) == 20 and iso(bad_ts.timestamp()) in got, len(got)
    last_run = e.cli("connector", "status", "grdf-adict").stdout.splitlines()[1]  # newest first
    assert bad_ts.isoformat() not in last_run and ",ok," in last_run, last_run
    calls_before = len(v.info()["calls"])
    e.run("grdf-adict")
    calls = v.info()["calls"][calls_before:]
    assert not any(f"date_debut={bad_day.isoformat()}" in c for c in calls), calls


def generic_connector(e, v, kind, pagination, extra=""):
    e.write("generic", f'''type = "api"
tenant = "acme"
env = "preprod"
module = "vendor.{{meter}}"
{extra}
[[meters]]
id = "site-a"

[request]
url = "{v.base}/generic/{kind}"
[request.query]
meter = "{{meter}}"
from = "{{from}}"
to = "{{to}}"
page = "{{page}}"
offset = "{{offset}}"
limit = "{{limit}}"
cursor = "{{cursor}}"

[auth]
kind = "api_key"
header = "X-API-Key"

[pagination]
{pagination}

[window]
max = "6h"
history = "12h"
time_format = "iso8601_utc"
timezone = "UTC"

[limits]
backoff = "100ms"
backoff_max = "400ms"
timeout = "2s"

[mapping]
format = "json"
records = "/readings"
[mapping.fields]
timestamp = "time"
value = "value"
unit = "../unit"
''')


def check_series(e, module, meter):
    got = e.points(module)
    assert got, "nothing stored"
    ts = sorted(int(dt.datetime.fromisoformat(k.replace("Z", "+00:00")).timestamp()) for k in got)
    assert ts == list(range(ts[0], ts[-1] + 600, 600)), "a gap in the stored series"
    for k, val in got.items():
        t = int(dt.datetime.fromisoformat(k.replace("Z", "+00:00")).timestamp())
        assert val == vendor.value(meter, t), (k, val)
    return len(ts)


@with_env
def test_generic_connector_every_paging_kind(v, e):
    kinds = {
        "page": 'kind = "page"\nlimit = 7',
        "offset": 'kind = "offset"\nlimit = 7\n',
        "cursor": 'kind = "cursor"\nlimit = 7\ncursor_path = "/next_cursor"',
        "next": 'kind = "next_url"\nlimit = 7\nnext_path = "/links/next"',
        "link": 'kind = "link_header"\nlimit = 7',
    }
    for kind, pg in kinds.items():
        generic_connector(e, v, kind, pg)
        rc, out = e.run("generic")
        assert rc == 0, (kind, out)
        n = check_series(e, "vendor.site-a", "site-a")
        assert n >= 71, (kind, n)  # 12 h of 10-minute readings
        pages = sum(int(p) for p in re.findall(r"(\d+) page\(s\)", out))
        assert pages >= 11, (kind, out)  # 72 readings, 7 per page, in two windows
        os.remove(f"{e.dir}/connectors/generic.toml")
        subprocess.run(["rm", "-f", f"{e.dir}/telecollect.db", f"{e.dir}/telecollect.db-wal", f"{e.dir}/telecollect.db-shm"])


@with_env
def test_quotas_retries_and_errors_inside_200(v, e):
    generic_connector(e, v, "cursor", 'kind = "cursor"\nlimit = 50\ncursor_path = "/next_cursor"')
    v.admin(faults=[{"status": 429, "retry_after": "1"}, {"status": 500}, {"sleep": 3}, {"status": 503}])
    t0 = time.time()
    rc, out = e.run("generic")
    assert rc == 0, out
    assert "HTTP 429" in out and "HTTP 500" in out and "timed out" in out.lower(), out
    assert "retry 1 in 1000 ms" in out, out  # connector run prints each retry and its wait, as try does
    assert time.time() - t0 >= 1.0  # Retry-After: 1 was honoured
    check_series(e, "vendor.site-a", "site-a")
    status = e.cli("connector", "status", "generic").stdout.splitlines()
    assert status[1].split(",")[4] == "ok", status
    # Too many failures: the window is not committed, the watermark stays, the run says why.
    v.admin(faults=[{"status": 500}] * 6)
    generic_connector(e, v, "cursor", 'kind = "cursor"\nlimit = 50\ncursor_path = "/next_cursor"', 'schedule = ""')
    e.write("generic-err", open(f"{e.dir}/connectors/generic.toml").read().replace("/generic/cursor", "/generic/error200")
            + '\n[response]\nerror = "/error"\n')
    v.admin(faults=[])
    rc, out = e.run("generic-err")
    assert rc == 1 and "site not provisioned" in out, out
    assert e.points("vendor.site-a") and "error" in e.cli("connector", "status", "generic-err").stdout
    # A 4xx that is not retried: a wrong key.
    with open(f"{e.dir}/secrets.toml", "w") as f:
        f.write('[generic]\napi_key = "wrong"\n')
    rc, out = e.run("generic")
    assert rc == 1 and "HTTP 401" in out and "wrong" not in out.replace("wrong API key", ""), out


@with_env
def test_oauth2_expiry_and_rotating_refresh_tokens(v, e):
    v.admin(token_ttl=1)
    body = open(f"{ROOT}/presets/enedis-daily-consumption.toml").read()
    body = body.replace('tenant = "CHANGE-ME"', 'tenant = "acme"').replace('client_id = "CHANGE-ME"', 'client_id = "tc-client"')
    body = re.sub(r'base = "[^"]*"', f'base = "{v.base}/enedis"', body, count=1)
    body = re.sub(r'token_url = "[^"]*"', f'token_url = "{v.base}/oauth/token"', body)
    body = body.replace("[request]\n", '[[meters]]\nid = "33333333333333"\n\n[request]\n', 1)
    body = body.replace('max = "365d"', 'max = "2d"').replace('history = "1095d"', 'history = "6d"')
    e.write("oauth", body)
    # Tokens live 1 s (cached until 0.5 s before), answers take 0.3 s: one run of 3 windows
    # outlives its first token and fetches a new one before it expires (no 401 on the way).
    v.admin(slow=0.3)
    rc, out = e.run("oauth")
    assert rc == 0 and "401" not in out, out
    assert v.info()["token_calls"] >= 2, v.info()
    v.admin(slow=0.0, token_ttl=3600)
    # A token revoked in the middle of a run: 401, one new token, the request again.
    calls = v.info()["token_calls"]
    v.admin(faults=[{"revoke": True}])
    rc, out = e.run("oauth")
    assert rc == 0 and "401 Unauthorized: fetching a new access token" in out, out
    assert v.info()["token_calls"] == calls + 2, (calls, v.info())
    # Refresh-token flow: the server rotates the refresh token at each use; telecollect keeps the newest.
    e.write("rotating", body.replace('kind = "oauth2_client_credentials"', 'kind = "oauth2_refresh_token"'))
    for i in range(3):
        rc, out = e.run("rotating")
        assert rc == 0, (i, out)
    assert v.info()["refresh"] == "r-3", v.info()
    # Kept sealed at rest (AES-256-GCM under the data dir's 0600 state.key), never in clear.
    import sqlite3
    db = sqlite3.connect(f"{e.dir}/telecollect.db")
    (stored,) = db.execute("SELECT value FROM connector_state WHERE connector='rotating' AND key='refresh_token'").fetchone()
    assert stored.startswith("tcs1:") and "r-3" not in stored, stored
    assert os.stat(f"{e.dir}/state.key").st_mode & 0o777 == 0o600
    # A value stored in clear by an older version is read once and sealed in place.
    db.execute("UPDATE connector_state SET value='r-3' WHERE connector='rotating' AND key='refresh_token'")
    db.commit()
    rc, out = e.run("rotating")
    assert rc == 0, out
    assert v.info()["refresh"] == "r-4", v.info()
    (stored,) = db.execute("SELECT value FROM connector_state WHERE connector='rotating' AND key='refresh_token'").fetchone()
    assert stored.startswith("tcs1:") and "r-4" not in stored, stored
    # Another key (state.key lost, not restored with the database): a clear error, no token in it.
    os.rename(f"{e.dir}/state.key", f"{e.dir}/state.key.bak")
    rc, out = e.run("rotating")
    assert rc != 0 and "sealed under another key" in out and "r-4" not in out, out
    os.rename(f"{e.dir}/state.key.bak", f"{e.dir}/state.key")
    rc, out = e.run("rotating")
    assert rc == 0, out
    db.close()


@with_env
def test_killed_mid_run_resumes_from_the_committed_watermark(v, e):
    generic_connector(e, v, "page", 'kind = "page"\nlimit = 6')
    text = open(f"{e.dir}/connectors/generic.toml").read().replace('max = "6h"', 'max = "1h"').replace('history = "12h"', 'history = "24h"')
    e.write("generic", text)
    v.admin(slow=0.15)
    p = subprocess.Popen([BIN, "--data-dir", e.dir, "connector", "run", "generic"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(3.0)
    p.send_signal(signal.SIGKILL)
    p.wait()
    partial = len(e.points("vendor.site-a"))
    assert 0 < partial < 140, partial  # some windows committed, not all
    v.admin(slow=0.0)
    # The killed run's lease names a process that is gone: the next run takes it over at once.
    rc, out = e.run("generic")
    assert rc == 0, out
    n = check_series(e, "vendor.site-a", "site-a")
    assert n >= 143, n  # the whole day, no gap, nothing doubled
    # The killed run is closed as interrupted by the next one, not left "running" for good (regression).
    assert "1 earlier run(s) had been interrupted: closed as such" in out, out
    status = e.cli("connector", "status", "generic").stdout.strip().splitlines()
    assert len(status) == 3 and ",ok," in status[1] and ",interrupted," in status[2], status


@with_env
def test_every_static_auth_scheme(v, e):
    with open(f"{e.dir}/secrets.toml", "w") as f:
        f.write('[generic]\napi_key = "k-123"\npassword = "k-123"\ntoken = "k-123"\n')
    schemes = {
        "api_key in a query parameter": 'kind = "api_key"\nparam = "api_key"',
        "basic": 'kind = "basic"\nuser = "tc"',
        "bearer": 'kind = "bearer"',
    }
    for what, auth in schemes.items():
        generic_connector(e, v, "cursor", 'kind = "cursor"\nlimit = 50\ncursor_path = "/next_cursor"')
        path = f"{e.dir}/connectors/generic.toml"
        e.write("generic", open(path).read().replace('kind = "api_key"\nheader = "X-API-Key"', auth))
        r = e.cli("connector", "try", "generic", "--from", "2026-11-01T00:00:00Z", "--to", "2026-11-01T01:00:00Z", "--json")
        assert r.returncode == 0 and json.loads(r.stdout)["windows"][0]["report"]["readings"] == 6, (what, r.stdout, r.stderr)
        assert "k-123" not in r.stdout + r.stderr, what
    with open(f"{e.dir}/secrets.toml", "w") as f:
        f.write('[generic]\napi_key = "nope"\npassword = "nope"\ntoken = "nope"\n')
    r = e.cli("connector", "try", "generic", "--from", "2026-11-01T00:00:00Z", "--to", "2026-11-01T01:00:00Z")
    assert r.returncode == 1 and "HTTP 401" in r.stdout, r.stdout


@with_env
def test_try_over_http_with_the_tokens_scope(v, e):
    generic_connector(e, v, "cursor", 'kind = "cursor"\nlimit = 50\ncursor_path = "/next_cursor"')
    srv = Server(data_dir=e.dir)
    try:
        srv.start()
        tok, prod = srv.token(), srv.token(env="prod")
        r = srv.request("POST", "/v1/connectors/generic/try?from=2026-11-01T00:00:00Z&to=2026-11-01T02:00:00Z", b"", token=tok)
        assert r.status == 200, r.body
        out = r.json()
        assert out["windows"][0]["report"]["readings"] == 12 and out["windows"][0]["error"] == "", out
        assert e.points("vendor.site-a") == {}  # nothing stored
        r = srv.request("POST", "/v1/connectors/generic/try?from=2026-11-01", b"", token=prod)
        assert r.status == 404, r.body  # a prod token does not see a preprod connector
        r = srv.request("POST", "/v1/connectors/generic/try?from=yesterday", b"", token=tok)
        assert r.status == 400 and "from" in r.json()["error"], r.body
        r = srv.request("POST", "/v1/connectors/generic/try?from=2026-11-01", b"")
        assert r.status == 401, r.body
    finally:
        srv.stop()


def make_pki(d):
    """A CA, a server certificate for 127.0.0.1 and a client certificate, made now."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=tc-test-ca", "-keyout", "ca.key", "-out", "ca.pem")
    with open(f"{d}/san.ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for name, cn in (("server", "127.0.0.1"), ("client", "telecollect")):
        run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={cn}", "-keyout", f"{name}.key", "-out", f"{name}.csr")
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-out", f"{name}.pem", *(["-extfile", "san.ext"] if name == "server" else []))


def test_mutual_tls_client_certificate():
    e = Env()
    make_pki(e.dir)
    v = Vendor(tls=(f"{e.dir}/server.pem", f"{e.dir}/server.key", f"{e.dir}/ca.pem"))
    try:
        generic_connector(e, v, "cursor", 'kind = "cursor"\nlimit = 50\ncursor_path = "/next_cursor"')
        path = f"{e.dir}/connectors/generic.toml"
        text = open(path).read()
        # Without a client certificate the server refuses the handshake: retried, then the run fails and says why.
        e.write("generic", text.replace("[request.query]", f'ca_file = "{e.dir}/ca.pem"\n[request.query]'))
        rc, out = e.run("generic")
        assert rc == 1 and e.points("vendor.site-a") == {}, out
        e.write("generic", text.replace("[request.query]", f'ca_file = "{e.dir}/ca.pem"\nclient_cert = "{e.dir}/client.pem"\n'
                                                           f'client_key = "{e.dir}/client.key"\n[request.query]'))
        rc, out = e.run("generic")
        assert rc == 0, out
        check_series(e, "vendor.site-a", "site-a")
    finally:
        v.stop()


def test_untrusted_https_server_is_refused():
    """A server certificate no trusted CA signed (here: the test CA, not given as ca_file): refused,
    nothing stored, the run says why; the same with ca_file imports."""
    e = Env()
    make_pki(e.dir)
    v = Vendor(tls=(f"{e.dir}/server.pem", f"{e.dir}/server.key", f"{e.dir}/ca.pem"))
    try:
        generic_connector(e, v, "cursor", 'kind = "cursor"\nlimit = 50\ncursor_path = "/next_cursor"')
        text = open(f"{e.dir}/connectors/generic.toml").read()
        client = f'client_cert = "{e.dir}/client.pem"\nclient_key = "{e.dir}/client.key"\n'
        e.write("generic", text.replace("[request.query]", client + "[request.query]"))
        rc, out = e.run("generic")
        assert rc == 1 and "certificate" in out.lower() and e.points("vendor.site-a") == {}, out
        e.write("generic", text.replace("[request.query]", client + f'ca_file = "{e.dir}/ca.pem"\n[request.query]'))
        rc, out = e.run("generic")
        assert rc == 0, out
        check_series(e, "vendor.site-a", "site-a")
    finally:
        v.stop()


def with_limits(e, limits):
    path = f"{e.dir}/connectors/generic.toml"
    e.write("generic", open(path).read().replace("[limits]\n", "[limits]\n" + limits + "\n"))


def last_status(e):
    return e.cli("connector", "status", "generic").stdout.splitlines()[1]


@with_env
def test_max_requests_per_hour_and_retry_after_max_stop_the_run(v, e):
    """docs/pull.md: a spent hourly quota, limits.max_requests, or a Retry-After longer than
    limits.retry_after_max stops the whole run; what was committed before stays, and the next run
    goes on from the watermark. 12 h of history in 6 h windows: 2 windows of one page each."""
    for limit, says in (("max_requests = 1", "limits.max_requests = 1 reached"), ("per_hour = 1", "hourly quota of 1 requests reached")):
        fresh = Env()  # its own store: no watermark yet, so the run has two windows to fetch
        generic_connector(fresh, v, "cursor", 'kind = "cursor"\nlimit = 50\ncursor_path = "/next_cursor"')
        with_limits(fresh, limit)
        rc, out = fresh.run("generic")
        got = fresh.points("vendor.site-a")
        assert rc == 1 and says in out and "1 window(s) committed, 1 failed" in out, (limit, out)
        assert 30 <= len(got) <= 37 and check_series(fresh, "vendor.site-a", "site-a") == len(got), (limit, len(got))
    # Retry-After: 3600 against retry_after_max = 1s: not waited for, the run stops at once and
    # commits nothing; the next run, the vendor answering again, imports the whole span.
    generic_connector(e, v, "cursor", 'kind = "cursor"\nlimit = 50\ncursor_path = "/next_cursor"')
    with_limits(e, 'retry_after_max = "1s"')
    v.admin(faults=[{"status": 429, "retry_after": "3600"}])
    t0 = time.time()
    rc, out = e.run("generic")
    assert rc == 1 and "retry_after_max" in out and e.points("vendor.site-a") == {}, out
    assert time.time() - t0 < 60, time.time() - t0
    v.admin(faults=[])
    rc, out = e.run("generic")
    assert rc == 0, out
    assert check_series(e, "vendor.site-a", "site-a") >= 70


CHANNELS = '''type = "api"
tenant = "acme"
env = "preprod"
[[meters]]
id = "{meter}"

[request]
url = "{base}/generic/channels"
[request.query]
meter = "{{meter}}"
from = "{{from}}"
to = "{{to}}"

[auth]
kind = "api_key"
header = "X-API-Key"

[window]
max = "6h"
history = "2h"
time_format = "iso8601_utc"
timezone = "UTC"

[mapping]
format = "json"
layout = "wide"
records = "/readings"
module_prefix = "bms.{{meter}}."
{map}
[mapping.fields]
timestamp = "time"
'''

CHANNEL_MAP = '''exclude = ["values.rssi"]
[{table}.field."values.energy"]
name = "energy"
unit = "kWh"
scale = 0.001
[{table}.field."values.temperature"]
unit = "°C"
'''


def module_units(e, prefix):
    r = e.cli("query", "modules", "--tenant", "acme", "--env", "preprod", "--prefix", prefix)
    assert r.returncode == 0, r.stderr
    return dict(line.split("\t") for line in r.stdout.strip().splitlines())  # module<TAB>unit


@with_env
def test_api_channels_renamed_with_their_units_by_a_measurement_map(v, e):
    # Given inline in the connector ([mapping.map]): values.energy → energy in kWh, temperature in °C, rssi left out.
    inline = "[mapping.map]\n" + CHANNEL_MAP.format(table="mapping.map")
    e.write("generic", CHANNELS.format(base=v.base, meter="EM-01", map=inline))
    rc, out = e.run("generic")
    assert rc == 0, out
    units = module_units(e, "bms.EM-01.")
    assert units == {"bms.EM-01.energy": "kWh", "bms.EM-01.values.temperature": "°C"}, units
    got = e.points("bms.EM-01.energy")
    assert len(got) >= 11, got
    for k, val in got.items():
        t = int(dt.datetime.fromisoformat(k.replace("Z", "+00:00")).timestamp())
        assert val == vendor.value("EM-01", t), (k, val)

    # A bad map in the connector is refused with the file, line and key.
    e.write("generic", CHANNELS.format(base=v.base, meter="EM-01", map=inline.replace("scale = 0.001", "scale = 0")))
    rc, out = e.run("generic")
    assert rc != 0 and "generic.toml" in out and "[mapping]: line 34: map.field.\"values.energy\".scale must not be 0" in out, out

    # Named (map = "NAME"): the map uploaded and active for the connector's tenant and env.
    e.write("generic", CHANNELS.format(base=v.base, meter="EM-02", map='map = "bms-channels"'))
    rc, out = e.run("generic")
    assert rc != 0 and 'map = "bms-channels": no measurement map of that name is active for acme/preprod' in out, out
    path = f"{e.dir}/bms-channels.toml"
    with open(path, "w") as f:
        f.write('map = "bms-channels"\nversion = "1"\n' +
                CHANNEL_MAP.format(table="field").replace("[field.field.", "[field.").replace('"kWh"', '"MWh"')
                .replace("0.001", "0.000001"))
    up = e.cli("decoders", "upload", "--tenant", "acme", "--env", "preprod", path, "--activate")
    assert up.returncode == 0, up.stderr
    rc, out = e.run("generic")
    assert rc == 0, out
    assert module_units(e, "bms.EM-02.") == {"bms.EM-02.energy": "MWh", "bms.EM-02.values.temperature": "°C"}
    got = e.points("bms.EM-02.energy")
    assert got, "nothing stored"
    for k, val in got.items():
        t = int(dt.datetime.fromisoformat(k.replace("Z", "+00:00")).timestamp())
        assert val == round(vendor.value("EM-02", t) / 1000, 9), (k, val)


if __name__ == "__main__":
    run_tests(globals())
