"""Push load for the cluster suite: N clients, each its own device, sending real Dragino LHT65
frames (11 bytes, fPort 2) in batches over keep-alive connections, recording every request: when
it was sent and answered, its status and Retry-After, and the frames it carried.

A frame is (deviceid, event time in ms). Its temperature encodes its sequence number, so each
stored frame has one known value (tests/e2e_durability_test.py's frames). frames_of and series read
back what a server stored (the cluster and PostgreSQL outage suites)."""
import http.client
import json
import threading
import time
import urllib.parse
from datetime import datetime, timezone

BASE_MS = 1600000000000  # 2020-09-13T12:26:40Z
STEP_MS = 1000


def lht65_payload(seq):
    """Battery 3.062 V, temperature (seq mod 3000) / 100 °C, humidity 88.6 %, external probe 27.81 °C."""
    return f"cbf6{seq % 3000:04x}0376010add7fff"


def temperature(seq):
    return round((seq % 3000) / 100, 2)


def frame(device, seq):
    return {"timestamp": BASE_MS + seq * STEP_MS, "deviceid": device, "fport": 2,
            "payload": lht65_payload(seq), "devicetype": "dragino-lht65"}


def seq_of(ms):
    return (ms - BASE_MS) // STEP_MS


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"


def ms_of(text):
    return round(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000)


def name(key):
    """A frame's id in failure messages: device@event time."""
    return f"{key[0]}@{iso(key[1])}"


def names(keys, n=10):
    keys = sorted(keys)
    more = f" and {len(keys) - n} more" if len(keys) > n else ""
    return ", ".join(name(k) for k in keys[:n]) + more


# ---- what the servers stored, read back through the API ----------------------------------------
def frames_of(server, token, device):
    """Every frame journaled for `device`: [(key, status, values)]."""
    out, before = [], ""
    for _ in range(1000):
        r = server.get(f"/v1/frames?deviceid={device}&limit=1000{before}", token)
        if r.status != 200:
            raise AssertionError(f"GET /v1/frames for {device}: {r.status} {r.body[:300]}")
        page = r.json()
        out.extend(((f["deviceid"], ms_of(f["timestamp"])), f["status"], f.get("values") or {})
                   for f in page["frames"])
        if "next_before" not in page:
            return out
        before = f"&before={page['next_before']}"
    raise AssertionError(f"more than 1000 pages of frames for {device}")


def series(server, token, modules, frm="2000-01-01T00:00:00Z", to="2099-01-01T00:00:00Z"):
    """{module: {epoch ms: value}} for every module named (unknown ones: empty)."""
    out = {m: {} for m in modules}
    known = []
    for m in modules:  # /v1/measurements answers 404 for a module that has no point yet
        r = server.get(f"/v1/modules?prefix={urllib.parse.quote(m)}&limit=10", token)
        if r.status == 200 and any(x["id"] == m for x in r.json()["modules"]):
            known.append(m)
    for i in range(0, len(known), 500):
        q = "&".join("module=" + urllib.parse.quote(m) for m in known[i:i + 500])
        r = server.get(f"/v1/measurements?{q}&from={frm}&to={to}&format=csv&limit=1000000", token)
        if r.status != 200:
            raise AssertionError(f"GET /v1/measurements: {r.status} {r.body[:300]}")
        if r.headers.get("X-Truncated") == "true":
            raise AssertionError("GET /v1/measurements was cut: more points than the suite expects")
        for line in r.body.splitlines():
            parts = line.split(",")
            if len(parts) != 3 or parts[0] == "timestamp" or line.startswith("#"):
                continue
            out[parts[1]][ms_of(parts[0])] = float(parts[2])
    return out


class Answer:
    __slots__ = ("client", "sent", "answered", "status", "retry_after", "body", "keys")

    def __init__(self, client, sent, answered, status, retry_after, body, keys):
        self.client, self.sent, self.answered, self.status = client, sent, answered, status
        self.retry_after, self.body, self.keys = retry_after, body, keys


class PushLoad:
    """`targets(i)` gives client i's (host, port). Each client sends at most `max_requests`
    batches of `batch` frames; stop() ends the load (bounded wait)."""

    def __init__(self, token, prefix, targets, clients=16, batch=10, max_requests=3000, timeout=30):
        self.token, self.prefix, self.targets = token, prefix, targets
        self.clients, self.batch, self.max_requests, self.timeout = clients, batch, max_requests, timeout
        self.lock = threading.Lock()
        self.sent, self.acked = set(), set()
        self.answers = []  # Answer, in the order they came
        self._stop = threading.Event()
        self.threads = []

    def device(self, i):
        return f"{self.prefix}{i:02d}"

    def start(self):
        for i in range(self.clients):
            t = threading.Thread(target=self._client, args=(i,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        for t in self.threads:
            t.join(timeout=self.timeout + 30)
        alive = [t for t in self.threads if t.is_alive()]
        if alive:
            raise AssertionError(f"{len(alive)} push clients still running {self.timeout + 30} s after stop")

    def acked_count(self):
        with self.lock:
            return len(self.acked)

    def wait_acked(self, at_least, what, timeout=90):
        """Waits until `at_least` frames were acknowledged in all."""
        deadline = time.monotonic() + timeout
        while self.acked_count() < at_least:
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: {self.acked_count()} frames acknowledged after {timeout} s, "
                                     f"waited for {at_least}; last answers: {self.last_statuses()}")
            if all(not t.is_alive() for t in self.threads):
                raise AssertionError(f"{what}: every push client stopped; last answers: {self.last_statuses()}")
            time.sleep(0.1)

    def last_statuses(self, n=20):
        with self.lock:
            return [(a.status, a.body[:120]) for a in self.answers[-n:]]

    def _connect(self, i):
        host, port = self.targets(i)
        return http.client.HTTPConnection(host, port, timeout=self.timeout)

    def _client(self, i):
        device, seq, conn = self.device(i), 0, None
        for _ in range(self.max_requests):
            if self._stop.is_set():
                break
            frames = [frame(device, seq + k) for k in range(self.batch)]
            seq += self.batch
            keys = [(device, f["timestamp"]) for f in frames]
            with self.lock:
                self.sent.update(keys)
            sent = time.monotonic()
            status, retry_after, body = None, None, ""
            try:
                conn = conn or self._connect(i)
                conn.request("POST", "/", json.dumps(frames), {
                    "source": "generic-sensors", "Content-Type": "application/json",
                    "Authorization": f"Basic {self.token}"})
                r = conn.getresponse()
                body = r.read().decode(errors="replace")
                status, retry_after = r.status, r.getheader("Retry-After")
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as e:
                body = f"{type(e).__name__}: {e}"
                if conn:
                    conn.close()
                conn = None
            answered = time.monotonic()
            with self.lock:
                self.answers.append(Answer(i, sent, answered, status, retry_after, body, keys))
                if status is not None and 200 <= status < 300:
                    self.acked.update(keys)
            if status is None or status >= 300:
                time.sleep(0.1)  # refused or unreachable: not a busy loop
        if conn:
            conn.close()
