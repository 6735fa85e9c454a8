"""Power-cut scenarios shared by the e2e tests (a handful of cut points) and
bench/powercut.sh (hundreds): each runs one cut point and returns what it saw.

A scenario: a server (or CLI) on a powerfs mount does acknowledged work; at a
random moment the power is cut (powerfs drops what was not synced, the process
is killed -9); the mount comes back on what survived and the checks run.
Every function returns {"acked": n, "lost": [...], "duplicates": [...]} and
raises AssertionError when the surviving state is broken in another way
(integrity_check, a server that does not start).
"""
import atexit
import calendar
import http.client
import json
import os
import random
import shutil
import subprocess
import tempfile
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
from harness import BIN, SOURCE_DIR, Server  # noqa: E402
from mount import PowerMount  # noqa: E402
from specs import SPEC_V1  # noqa: E402
from e2e_files_test import PROFILE, FtpServer  # noqa: E402
from e2e_pull_test import generic_connector  # noqa: E402

CLIENTS = 16


def write_config(extra=""):
    """setup for PowerMount: the config is written before the mount, so it is durable."""
    def setup(backing):
        with open(os.path.join(backing, "telecollect.toml"), "w") as f:
            f.write(f'data_dir = "{os.path.join(os.path.dirname(backing), "mnt")}"\n')
            f.write(f'[decoders]\ndirs = ["{os.path.abspath(SOURCE_DIR)}/decoders"]\n')
            f.write(extra)
    return setup


class Powered:
    """A server whose data dir is a powerfs mount."""

    def __init__(self, extra_config="", setup=None):
        def both(backing):
            write_config(extra_config)(backing)
            if setup:
                setup(backing)
        self.mount = PowerMount(setup=both)
        self.server = Server(data_dir=self.mount.path)

    def cut(self, mode, seed):
        """Power cut then kill -9; the mount comes back on what survived."""
        report = self.mount.cut(mode, seed)
        if self.server.proc is not None:
            self.server.kill()
        self.mount.remount()
        return report

    def cut_under_load(self, loops, stop, load_s, mode, seed):
        """Runs each loop in a thread, cuts the power after load_s, then stops them."""
        threads = [threading.Thread(target=f, daemon=True) for f in loops]
        for t in threads:
            t.start()
        time.sleep(load_s)
        report = self.cut(mode, seed)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        return report

    def integrity_check(self, must_exist=True):
        db = os.path.join(self.mount.path, "telecollect.db")
        if not os.path.exists(db):
            if must_exist:
                raise AssertionError(f"the database is gone after the cut: {os.listdir(self.mount.path)}")
            return
        r = subprocess.run(["sqlite3", db, "PRAGMA integrity_check"], capture_output=True, text=True, timeout=120)
        if r.returncode != 0 or r.stdout.strip() != "ok":
            raise AssertionError(f"integrity_check: {r.stdout.strip()} {r.stderr.strip()}")

    def cleanup(self):
        try:
            if self.server.proc is not None:
                self.server.kill()
        finally:
            self.mount.cleanup()


def lht65_payload(centi_degrees):
    """The README's Dragino LHT65 frame with another temperature (hundredths of °C)."""
    return f"cbf6{centi_degrees & 0xffff:04x}0376010add7fff"


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


# ---- push ------------------------------------------------------------------

def push_failing_disk():
    """fsync fails (EIO) for a while: no push may be answered 200 then. Once fsync works again the
    pushes are acknowledged again; after a power cut every acknowledged frame is there with its
    temperature. Returns also "while_failing": the statuses answered while fsync failed."""
    p = Powered()
    try:
        token = p.server.token()
        p.server.start()
        acked, seq = {}, 0

        def push():
            nonlocal seq
            frames = []
            for _ in range(4):
                ts, centi = 1710000000000 + seq * 1000, seq % 4000
                frames.append(({"timestamp": iso(ts), "deviceid": "fd1", "payload": lht65_payload(centi),
                                "devicetype": "dragino-lht65", "fport": 2}, ts, centi / 100))
                seq += 1
            r = p.server.push([f for f, _, _ in frames], token)
            if r.status == 200:
                acked.update({ts: v for _, ts, v in frames})
            return r.status

        for _ in range(5):
            assert push() == 200, "a push on a healthy disk"
        p.mount.fail_syncs(True)
        while_failing = [push() for _ in range(6)]
        p.mount.fail_syncs(False)
        deadline, healed = time.time() + 60, False
        while time.time() < deadline and not healed:  # bounded: the store may answer 503 for a while
            healed = push() == 200
            if not healed:
                time.sleep(0.2)
        assert healed, "pushes are not acknowledged again once fsync works"
        for _ in range(5):
            assert push() == 200, "a push after the disk healed"
        report = p.cut("all", 0)
        p.integrity_check()
        p.server.start()
        r = p.server.get("/v1/modules/fd1.temperature/measurements?limit=10000", token)
        points = {pt["ts"]: pt["value"] for pt in r.json()["points"]} if r.status == 200 else {}
        lost = [(ts, v, points.get(iso(ts))) for ts, v in sorted(acked.items()) if points.get(iso(ts)) != v]
        return {"acked": len(acked), "lost": lost, "duplicates": [], "fs": report, "while_failing": while_failing}
    finally:
        p.cleanup()


def push_synchronous_normal(power_cut):
    """store.synchronous = "normal" (docs/configuration.md: fsync at checkpoints only; a power cut
    may lose the last acknowledged writes, a process crash cannot). 20 pushes of 4 frames, each
    answered 200, then a kill -9 alone or a power cut (mode "all") and a kill -9. Returns the
    acknowledged frames and those missing after the restart; the database must pass
    integrity_check either way."""
    p = Powered(extra_config='[store]\nsynchronous = "normal"\n')
    try:
        token = p.server.token()
        p.server.start()
        acked = {}
        for seq in range(0, 80, 4):
            frames = []
            for k in range(seq, seq + 4):
                ts = 1705000000000 + k * 1000
                frames.append(({"timestamp": iso(ts), "deviceid": "sn1", "payload": lht65_payload(k * 10),
                                "devicetype": "dragino-lht65", "fport": 2}, ts, k * 10 / 100))
            r = p.server.push([f for f, _, _ in frames], token)
            assert r.status == 200, (r.status, r.body)
            acked.update({ts: v for _, ts, v in frames})
        if power_cut:
            report = p.cut("all", 0)
        else:
            p.server.kill()
            p.mount.remount()
            report = {}
        p.integrity_check()
        p.server.start()
        r = p.server.get("/v1/modules/sn1.temperature/measurements?limit=10000", token)
        assert r.status in (200, 404), (r.status, r.body)
        points = {pt["ts"]: pt["value"] for pt in r.json()["points"]} if r.status == 200 else {}
        lost = [(ts, v, points.get(iso(ts))) for ts, v in sorted(acked.items()) if points.get(iso(ts)) != v]
        return {"acked": len(acked), "lost": lost, "duplicates": [], "fs": report}
    finally:
        p.cleanup()


def push_cut(mode, seed, load_s):
    """16 clients push LHT65 frames; cut after load_s. Every frame answered 200 must be
    stored once with its temperature."""
    p = Powered()
    try:
        token = p.server.token()
        p.server.start()
        acked = {}  # (device, ts ms) -> temperature
        mu = threading.Lock()
        stop = threading.Event()

        def client(n):
            conn = http.client.HTTPConnection("127.0.0.1", p.server.port, timeout=30)
            seq = 0
            while not stop.is_set() and seq < 20000:
                frames = []
                for _ in range(4):
                    ts = 1700000000000 + seq * 1000
                    dev = f"pc{n}-{seq % 4}"
                    centi = (n * 7919 + seq) % 4000
                    frames.append(({"timestamp": iso(ts), "deviceid": dev, "payload": lht65_payload(centi),
                                    "devicetype": "dragino-lht65", "fport": 2}, (dev, ts), centi / 100))
                    seq += 1
                try:
                    conn.request("POST", "/", json.dumps([f for f, _, _ in frames]), {
                        "source": "generic-sensors", "Content-Type": "application/json",
                        "Authorization": f"Basic {token}"})
                    r = conn.getresponse()
                    body = r.read()
                except (OSError, http.client.HTTPException):
                    return
                if r.status == 200:
                    if json.loads(body).get("decoded") != len(frames):
                        raise AssertionError(f"frames not decoded: {body!r}")
                    with mu:
                        for _, k, v in frames:
                            acked[k] = v

        report = p.cut_under_load([lambda i=i: client(i) for i in range(CLIENTS)], stop, load_s, mode, seed)
        p.integrity_check()
        p.server.start()
        lost, dups = [], []
        devices = sorted({d for d, _ in acked})
        for dev in devices:
            want = {ts: v for (d, ts), v in acked.items() if d == dev}
            r = p.server.get(f"/v1/modules/{dev}.temperature/measurements", token)
            points = {} if r.status == 404 else {pt["ts"]: pt["value"] for pt in r.json()["points"]}
            for ts, v in want.items():
                if points.get(iso(ts)) != v:
                    lost.append((dev, ts, v, points.get(iso(ts))))
            fr, before = [], ""
            while True:
                page = p.server.get(f"/v1/frames?deviceid={dev}&limit=1000{before}", token).json()
                fr.extend(f["timestamp"] for f in page["frames"])
                if "next_before" not in page:
                    break
                before = f"&before={page['next_before']}"
            dups.extend((dev, t) for t in set(fr) if fr.count(t) > 1)
        return {"acked": len(acked), "lost": lost, "duplicates": dups, "fs": report, "load_s": load_s}
    finally:
        p.cleanup()


# ---- tokens, decoder activations, device registry ---------------------------

def spec(version):
    """e2e_decoders_test's declarative spec, as version `version`."""
    return SPEC_V1.replace('version = "1"', f'version = "{version}"')


def catalog_cut(mode, seed, load_s):
    """Tokens created (CLI), decoder versions uploaded and activated, devices registered
    (HTTP), until the cut: each change answered as done must be there after it."""
    p = Powered()
    try:
        admin = p.server.token()
        p.server.start()
        tokens, versions, devices = [], [], []
        stop = threading.Event()
        errors = []

        def tokens_loop():
            while not stop.is_set() and len(tokens) < 500:
                r = p.server.cli("token", "create", "--tenant", "acme", "--env", "preprod", check=False)
                if r.returncode == 0:
                    tokens.append(r.stdout.strip())

        def http_loop():
            conn = http.client.HTTPConnection("127.0.0.1", p.server.port, timeout=30)
            auth = {"Authorization": f"Basic {admin}"}
            k = 0
            while not stop.is_set() and k < 2000:
                k += 1
                try:
                    conn.request("POST", "/v1/devicetypes/acme-th/versions?activate=true", spec(k).encode(),
                                 dict(auth, **{"Content-Type": "application/toml"}))
                    r = conn.getresponse()
                    body = r.read()
                    if r.status == 201:
                        versions.append(k)
                    elif r.status < 500:
                        errors.append(f"version {k}: {r.status} {body[:200]!r}")
                    conn.request("PUT", f"/v1/devices/pcdev{k}", json.dumps({"devicetype": "acme-th", "label": f"L{k}"}),
                                 dict(auth, **{"Content-Type": "application/json"}))
                    r = conn.getresponse()
                    body = r.read()
                    if r.status in (200, 201):
                        devices.append(k)
                    elif r.status < 500:
                        errors.append(f"device {k}: {r.status} {body[:200]!r}")
                except (OSError, http.client.HTTPException):
                    return

        report = p.cut_under_load([tokens_loop, http_loop], stop, load_s, mode, seed)
        if errors:
            raise AssertionError(f"refused before the cut: {errors[:3]}")
        p.integrity_check()
        p.server.start()
        lost = []
        for t in tokens:
            r = p.server.get("/v1/devicetypes", t)
            if r.status != 200:
                lost.append(("token", t[:6], r.status, r.body[:100], tokens.index(t), len(tokens)))
        listed = p.server.get("/v1/devicetypes/acme-th/versions", admin).json()["versions"]
        stored = {int(v["version"]) for v in listed}
        active = [int(v["version"]) for v in listed if v["active"]]
        lost.extend(("version", v) for v in versions if v not in stored)
        if versions and (not active or active[0] < versions[-1]):
            lost.append(("activation", versions[-1], active))
        regs = p.server.get("/v1/devices?prefix=pcdev&limit=10000", admin).json()["devices"]
        ids = [d.get("deviceid") or d.get("id") for d in regs]
        lost.extend(("device", k) for k in devices if f"pcdev{k}" not in ids)
        dups = [i for i in set(ids) if ids.count(i) > 1]
        return {"acked": len(tokens) + len(versions) + len(devices), "lost": lost, "duplicates": dups, "fs": report}
    finally:
        p.cleanup()


# ---- files -----------------------------------------------------------------

FILE_ROWS = 30


def csv_file(i):
    lines = ["compteur;horodatage;valeur"]
    for r in range(FILE_ROWS):
        lines.append(f"PDL{i};2026-01-{1 + r // 24:02d} {r % 24:02d}:00;{i * 1000 + r}")
    return "\n".join(lines) + "\n"


def file_connector(backing, name, source):
    """connectors/<name>.toml and the profile, written before the mount; source: TOML lines."""
    mnt = os.path.join(os.path.dirname(backing), "mnt")
    os.makedirs(os.path.join(backing, "connectors"))
    with open(os.path.join(backing, "profile.toml"), "w") as f:
        f.write(PROFILE)
    with open(os.path.join(backing, "connectors", f"{name}.toml"), "w") as f:
        f.write(f'tenant = "acme"\nenv = "preprod"\nprofile = "{mnt}/profile.toml"\n[source]\n{source}'
                'pattern = "*.csv"\nstable_for = "0s"\n')
    return mnt


def files_setup(n):
    def setup(backing):
        os.makedirs(os.path.join(backing, "inbox"))
        mnt = os.path.join(os.path.dirname(backing), "mnt")
        file_connector(backing, "drop", f'url = "{mnt}/inbox"\nafter_import = "archive"\n')
        for i in range(n):
            with open(os.path.join(backing, "inbox", f"f{i:03d}.csv"), "w") as f:
                f.write(csv_file(i))
    return setup


def file_series(i):
    """What csv_file(i) holds, as stored: {UTC instant: value} (Paris winter time, UTC+1)."""
    out = {}
    for r in range(FILE_ROWS):
        day, hour = 1 + r // 24, r % 24
        utc = calendar.timegm((2026, 1, day, hour, 0, 0)) - 3600
        out[time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(utc)) + ".000Z"] = float(i * 1000 + r)
    return out


def _stored(p, modules, must_answer):
    """{module: {instant: value}} of the modules, read by one `telecollect query measurements`.
    A query that fails answers {} (before a rerun the database may be gone) unless must_answer."""
    args = []
    for m in modules:
        args += ["--module", m]
    r = p.server.cli("query", "measurements", "--tenant", "acme", "--env", "preprod", *args,
                     "--from", "2000-01-01T00:00:00Z", "--to", "2099-01-01T00:00:00Z", check=False)
    if r.returncode != 0:
        if must_answer:
            raise AssertionError(f"query measurements failed: {r.stderr[-500:]}")
        return {}
    lines = r.stdout.strip().splitlines()
    out = {m: {} for m in modules}
    if len(modules) == 1:
        for line in lines[1:]:
            ts, v = line.split(",")
            out[modules[0]][ts] = float(v)
    else:
        if lines and lines[0] != "timestamp,module,value":
            raise AssertionError(f"unexpected query header {lines[0]!r}")
        for line in lines[1:]:
            ts, m, v = line.split(",")
            out[m][ts] = float(v)
    return out


def _file_lost(name, why, got, i):
    """Empty if module PDL<i> holds exactly file i's values at their instants, else what differs."""
    want = file_series(i)
    if got == want:
        return []
    missing = sorted(set(want) - set(got))[:2]
    wrong = sorted(t for t in want if t in got and got[t] != want[t])[:2]
    extra = sorted(set(got) - set(want))[:2]
    return [(name, why, f"{len(got)} points of {len(want)}", {"missing": missing, "wrong": wrong, "extra": extra})]


def files_cut(mode, seed, after_syncs=None, n=24):
    """`telecollect connector run` imports and archives n files; the power is cut right
    after its after_syncs-th fsync (None: once the run has exited 0, so every import and
    archive move is acknowledged). A file archived or said imported must have all its
    rows; after a rerun every file is imported once, none is left in the inbox."""
    p = Powered(setup=files_setup(n))
    try:
        rc, out, report = run_until_cut(p, ["connector", "run", "drop"], mode, seed, after_syncs=after_syncs)
        if after_syncs is None and rc != 0:
            raise AssertionError(f"connector run failed before the cut: {out[-500:]}")
        said = out.splitlines()
        p.integrity_check(must_exist=False)
        imported = {line.split(":")[0].strip() for line in said if ": imported" in line}
        archive = os.path.join(p.mount.path, "inbox", "archive")
        archived = {name.split("Z-", 1)[1] for name in os.listdir(archive)} if os.path.isdir(archive) else set()
        inbox_left = {n for n in os.listdir(os.path.join(p.mount.path, "inbox")) if n.endswith(".csv")}
        lost = []
        claimed = sorted(imported | archived)
        stored = _stored(p, [f"PDL{int(name[1:4])}" for name in claimed], must_answer=False) if claimed else {}
        for name in claimed:
            i = int(name[1:4])
            lost += _file_lost(name, "imported" if name in imported else "archived", stored.get(f"PDL{i}", {}), i)
        if after_syncs is None:
            lost.extend((name, "archive move lost after an acknowledged run") for name in sorted(inbox_left))
        dups = sorted(archived & inbox_left)
        # The rerun finishes what was left, storing nothing twice.
        rc = p.server.cli("connector", "run", "drop", check=False)
        if rc.returncode != 0:
            raise AssertionError(f"rerun failed: {rc.stdout[-500:]} {rc.stderr[-500:]}")
        left = [n for n in os.listdir(os.path.join(p.mount.path, "inbox")) if n.endswith(".csv")]
        lost.extend((name, "left in the inbox after the rerun") for name in left)
        stored = _stored(p, [f"PDL{i}" for i in range(n)], must_answer=True)
        for i in range(n):
            lost += _file_lost(f"f{i:03d}.csv", "after the rerun", stored[f"PDL{i}"], i)
        dups.extend(_imported_once(p))
        return {"acked": len(imported | archived), "lost": lost, "duplicates": dups, "fs": report}
    finally:
        p.cleanup()


def _imported_once(p):
    """Paths journaled as imported more than once."""
    journal = p.server.cli("files").stdout.strip().splitlines()
    header = journal[0].split(",") if journal else []
    if "status" not in header or "path" not in header:
        raise AssertionError(f"unexpected `telecollect files` output: {journal[:2]}")
    rows = [line.split(",") for line in journal[1:]]
    imported = [r[header.index("path")] for r in rows if r[header.index("status")] == "imported"]
    return sorted({x for x in imported if imported.count(x) > 1})


def _dead_pid():
    pid = 4_000_000
    while os.path.exists(f"/proc/{pid}"):
        pid += 1
    return pid


_FTP = {}


def _ftp_server():
    """One FTP server (outside the mount, so outside the power-cut model) for every ftp_cut of
    this process: each cut empties its outbox and fills it again. Stopped at exit."""
    srv = _FTP.get("server")
    if srv is None or srv.proc.poll() is not None:
        root = tempfile.mkdtemp(prefix="tc_powercut_ftp_")
        srv = _FTP["server"] = FtpServer(root)

        def stop(srv=srv):
            srv.stop()
            shutil.rmtree(srv.root, ignore_errors=True)
        atexit.register(stop)
    return srv


def ftp_cut(mode, seed, after_syncs=None, n=12):
    """A connector fetches n files from an FTP server (outside the mount) into the spool
    on the mount, imports them and deletes them on the server; the power is cut right
    after the after_syncs-th fsync. No file is deleted on the server unless its rows
    survived; after a rerun every file is imported once and the spool holds nothing."""
    ftp = _ftp_server()
    ftp_root = ftp.root
    shutil.rmtree(os.path.join(ftp_root, "outbox"), ignore_errors=True)
    os.makedirs(os.path.join(ftp_root, "outbox"))
    os.environ["PARTNER_PW"] = "s3cret-pw"
    for i in range(n):
        with open(os.path.join(ftp_root, "outbox", f"f{i:03d}.csv"), "w") as f:
            f.write(csv_file(i))

    def setup(backing):
        file_connector(backing, "partner", f'url = "ftp://127.0.0.1:{ftp.port}/outbox/"\nuser = "partner"\n'
                       'password_env = "PARTNER_PW"\nafter_import = "delete"\ntimeout = "5s"\n')
        # A download a process killed by an earlier cut left behind (no such pid now).
        os.makedirs(os.path.join(backing, "spool"))
        with open(os.path.join(backing, "spool", f"fetch-{_dead_pid()}-3"), "w") as f:
            f.write(csv_file(99)[:100])

    p = Powered(setup=setup)
    try:
        rc, out, report = run_until_cut(p, ["connector", "run", "partner"], mode, seed, after_syncs=after_syncs)
        p.integrity_check(must_exist=False)
        imported = {line.split(":")[0].strip() for line in out.splitlines() if ": imported" in line}
        deleted = {f"f{i:03d}.csv" for i in range(n)} - set(os.listdir(os.path.join(ftp_root, "outbox")))
        lost = []
        claimed = sorted(imported | deleted)
        stored = _stored(p, [f"PDL{int(name[1:4])}" for name in claimed], must_answer=False) if claimed else {}
        for name in claimed:
            i = int(name[1:4])
            lost += _file_lost(name, "imported" if name in imported else "deleted on the server", stored.get(f"PDL{i}", {}), i)
        r = p.server.cli("connector", "run", "partner", check=False)
        if r.returncode != 0:
            raise AssertionError(f"rerun failed: {r.stdout[-500:]} {r.stderr[-500:]}")
        lost.extend((name, "left on the server after the rerun") for name in os.listdir(os.path.join(ftp_root, "outbox")))
        stored = _stored(p, [f"PDL{i}" for i in range(n)], must_answer=True)
        for i in range(n):
            lost += _file_lost(f"f{i:03d}.csv", "after the rerun", stored[f"PDL{i}"], i)
        spool = os.path.join(p.mount.path, "spool")
        lost.extend((name, "left in the spool after the rerun") for name in (os.listdir(spool) if os.path.isdir(spool) else []))
        return {"acked": len(imported | deleted), "lost": lost, "duplicates": _imported_once(p), "fs": report}
    finally:
        p.cleanup()


# ---- pulls -----------------------------------------------------------------

def pull_connector(vendor, hours):
    """e2e_pull_test's generic connector (page kind), in 1-hour windows over `hours`."""
    class Capture:
        def write(self, name, text):
            self.text = text
    c = Capture()
    generic_connector(c, vendor, "page", 'kind = "page"\nlimit = 4')
    return c.text.replace('max = "6h"', 'max = "1h"').replace('history = "12h"', f'history = "{hours}h"')


class Vendor:
    """tests/vendor_api_server.py, the stand-in vendor API, on 127.0.0.1."""

    def __init__(self):
        self.proc = subprocess.Popen(["/usr/bin/python3", os.path.join(os.path.dirname(HERE), "vendor_api_server.py")],
                                     stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.base = f"http://127.0.0.1:{self.port}"

    def calls(self):
        import urllib.request
        return json.loads(urllib.request.urlopen(self.base + "/admin", timeout=10).read())["calls"]

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def _epoch(text):
    import datetime as dt
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _series(p):
    r = p.server.cli("query", "measurements", "--tenant", "acme", "--env", "preprod", "--module", "vendor.site-a",
                     "--from", "2000-01-01T00:00:00Z", "--to", "2099-01-01T00:00:00Z", check=False)
    out = {}
    if r.returncode == 0:
        for line in r.stdout.strip().splitlines()[1:]:
            ts, v = line.split(",")[:2]
            out[_epoch(ts)] = float(v)
    return out


def _watermark(p):
    r = subprocess.run(["sqlite3", os.path.join(p.mount.path, "telecollect.db"),
                        "SELECT value FROM connector_state WHERE connector = 'generic' AND key = 'watermark:site-a'"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0 and "no such table" in r.stderr:
        return None  # cut before the schema was committed
    if r.returncode != 0:
        raise AssertionError(f"reading the watermark: {r.stderr}")
    return int(r.stdout.strip()) // 1000 if r.stdout.strip() else None


def run_until_cut(p, args, mode, seed, after_syncs=None, after_s=None):
    """Runs `telecollect args` on the mount; cuts the power once the mount froze after
    its after_syncs-th fsync, after after_s seconds, or once the command has exited.
    Returns (exit code or None, output, powerfs report)."""
    if after_syncs is not None:
        p.mount.arm(after_syncs)
    proc = subprocess.Popen([BIN, "--config", p.server.config, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    said = []
    reader = threading.Thread(target=lambda: said.extend(proc.stdout), daemon=True)
    reader.start()
    deadline = time.time() + (after_s if after_s is not None else 300)
    while proc.poll() is None and time.time() < deadline:
        left = max(0.01, min(0.25, deadline - time.time()))
        if after_syncs is not None:
            if p.mount.wait_frozen(left):  # an event wait in powerfs; wakes at the freeze
                break
        else:
            try:
                proc.wait(timeout=left)
            except subprocess.TimeoutExpired:
                pass
    syncs = p.mount.stats()["syncs"]
    report = dict(p.mount.cut(mode, seed), syncs_done=syncs)
    if proc.poll() is None:
        proc.kill()
    rc = proc.wait(timeout=60)
    reader.join(timeout=10)
    p.mount.remount()
    return rc, "".join(said), report


def pull_cut(mode, seed, after_syncs=None, hours=12):
    """`connector run` pulls hours 1-hour windows; the power is cut after its
    after_syncs-th fsync. The watermark never runs ahead of the rows it covers; a rerun
    completes the series with no gap and right values."""
    vendor = Vendor()

    def setup(backing):
        os.makedirs(os.path.join(backing, "connectors"))
        with open(os.path.join(backing, "connectors", "generic.toml"), "w") as f:
            f.write(pull_connector(vendor, hours))
        with open(os.path.join(backing, "secrets.toml"), "w") as f:
            f.write('[generic]\napi_key = "k-123"\n')
        os.chmod(os.path.join(backing, "secrets.toml"), 0o600)

    p = Powered(setup=setup)
    try:
        from vendor_api_server import value
        rc, out, report = run_until_cut(p, ["connector", "run", "generic"], mode, seed, after_syncs=after_syncs)
        p.integrity_check(must_exist=False)
        froms = [_epoch(dict(urllib.parse.parse_qsl(urllib.parse.urlparse(c).query))["from"]) for c in vendor.calls()]
        watermark = _watermark(p)
        got = _series(p)
        lost = []
        if watermark is not None:
            start = min(froms)
            start += -start % 600
            for t in range(start, watermark, 600):
                if got.get(t) != value("site-a", t):
                    lost.append(("behind the watermark", t, got.get(t)))
        acked = len([t for t in got if watermark is not None and t < watermark])
        r = p.server.cli("connector", "run", "generic", check=False)
        if r.returncode != 0:
            raise AssertionError(f"rerun failed: {r.stdout[-400:]} {r.stderr[-400:]}")
        got = _series(p)
        ts = sorted(got)
        if not ts or ts != list(range(ts[0], ts[-1] + 600, 600)):
            lost.append(("a gap after the rerun", len(ts)))
        lost.extend(("wrong value after the rerun", t) for t in ts if got[t] != value("site-a", t))
        return {"acked": acked, "lost": lost, "duplicates": [], "fs": dict(report, rc=rc)}
    finally:
        p.cleanup()
        vendor.stop()
