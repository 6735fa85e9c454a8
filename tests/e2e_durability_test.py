"""Durability: every frame that got a 2xx survives a kill -9 with its decoded measurements (module,
instant, value), none is stored twice. The frames are real Dragino LHT65 readings (11 bytes, fPort 2)
whose temperature encodes the sequence number, so each acknowledged frame has one known value."""
import errno
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server, unittest_main  # noqa: E402

LOAD_SECONDS = 3.0
THREADS = 8
BATCH = 20


def lht65_payload(seq):
    """Battery 3.062 V, temperature (seq mod 3000) / 100 °C, humidity 88.6 %, external probe 27.81 °C."""
    return f"cbf6{seq % 3000:04x}0376010add7fff"


def temperature(seq):
    return round((seq % 3000) / 100, 2)


def stored_values(server, module):
    """The module's stored points {epoch ms: value}, read with the CLI (every point, no page limit)."""
    r = server.cli("query", "measurements", "--tenant", "acme", "--env", "preprod", "--module", module,
                   "--from", "2020-09-13T00:00:00Z", "--to", "2020-09-14T00:00:00Z")
    from datetime import datetime, timezone
    out = {}
    for line in r.stdout.strip().splitlines()[1:]:
        ts, v = line.split(",")[:2]
        t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        out[round(t.timestamp() * 1000)] = float(v)
    return out


class Durability(unittest.TestCase):
    def test_kill_dash_9_loses_nothing_acknowledged(self):
        # A decode budget far above the run: every frame is decoded before its answer, so an
        # acknowledgement covers its measurements too (deferred decoding is e2e_hostile_decoder_test's).
        server = Server(extra_config='[push]\ndecode_budget = "10m"\n')
        try:
            token = server.token()
            server.start()
            acked, sent = set(), set()
            lock = threading.Lock()
            stop = threading.Event()

            def client(n):
                conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
                seq = 0
                while not stop.is_set() and seq < 100000:
                    frames = []
                    for _ in range(BATCH):
                        frames.append({"timestamp": 1600000000000 + seq, "deviceid": f"dev{n}", "fport": 2,
                                       "payload": lht65_payload(seq), "devicetype": "dragino-lht65"})
                        seq += 1
                    keys = {(f["deviceid"], f["timestamp"]) for f in frames}
                    with lock:
                        sent.update(keys)
                    try:
                        conn.request("POST", "/", json.dumps(frames), {
                            "source": "generic-sensors", "Content-Type": "application/json",
                            "Authorization": f"Basic {token}"})
                        r = conn.getresponse()
                        r.read()
                        if r.status == 200:
                            with lock:
                                acked.update(keys)
                    except (OSError, http.client.HTTPException):
                        return  # the server was killed
                conn.close()

            threads = [threading.Thread(target=client, args=(i,)) for i in range(THREADS)]
            for t in threads:
                t.start()
            time.sleep(LOAD_SECONDS)
            server.kill()  # SIGKILL in the middle of the load
            stop.set()
            for t in threads:
                t.join(timeout=30)
            self.assertGreater(len(acked), 100, "the load produced too few acknowledged frames to mean anything")

            server.start()
            stored = []
            before = ""
            while True:
                r = server.get("/v1/frames?limit=1000" + before, token)
                self.assertEqual(r.status, 200, r.body)
                page = r.json()
                stored.extend((f["deviceid"], f["timestamp"]) for f in page["frames"])
                if "next_before" not in page:
                    break
                before = f"&before={page['next_before']}"
            def key_ms(k):
                from datetime import datetime
                dt = datetime.strptime(k[1], "%Y-%m-%dT%H:%M:%S.%fZ")
                ms = int((dt - datetime(1970, 1, 1)).total_seconds() * 1000)
                return (k[0], ms)
            stored_keys = [key_ms(k) for k in stored]
            self.assertEqual(len(stored_keys), len(set(stored_keys)), "a frame was stored twice")
            missing = acked - set(stored_keys)
            self.assertEqual(missing, set(), f"{len(missing)} acknowledged frames lost")
            self.assertTrue(set(stored_keys) <= sent)
            # Every acknowledged frame's measurements: the module, the instant, the value.
            for n in range(THREADS):
                mine = sorted(ms for dev, ms in acked if dev == f"dev{n}")
                if not mine:
                    continue
                temps, hums = stored_values(server, f"dev{n}.temperature"), stored_values(server, f"dev{n}.humidity")
                for ms in mine:
                    seq = ms - 1600000000000
                    self.assertEqual(temps.get(ms), temperature(seq), f"dev{n}.temperature at {ms}")
                    self.assertEqual(hums.get(ms), 88.6, f"dev{n}.humidity at {ms}")
            print(f"acknowledged {len(acked)}, stored {len(stored_keys)} (the rest were in flight at the kill)")
        finally:
            server.cleanup()

    def test_a_full_disk_answers_503_and_logs_it_naming_no_path(self):
        """The store on a 16 MiB tmpfs that the test fills: no push is acknowledged falsely, the
        refused ones get 503 + Retry-After, the server log gets the rate-limited line with its
        count and no server path; once space is freed, pushes are acknowledged again."""
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        mnt = tempfile.mkdtemp(prefix="tc_full_")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m,mode=0700", "tmpfs", mnt], check=True)
        server = Server(extra_config=f'[store]\npath = "{mnt}/telecollect.db"\n')
        seq = 0

        def push():
            nonlocal seq
            frames = []
            for _ in range(200):  # about 100 KB of WAL: past whatever room the WAL file already had
                frames.append({"timestamp": 1600000000000 + seq, "deviceid": "full", "fport": 2,
                               "payload": lht65_payload(seq), "devicetype": "dragino-lht65"})
                seq += 1
            return server.push(frames, token)

        try:
            token = server.token()
            server.start()
            self.assertEqual(push().status, 200)
            filler = os.path.join(mnt, "filler")
            with open(filler, "wb", buffering=0) as f:
                for size in (1 << 20, 4096, 512):  # bounded: 16 MiB at most
                    try:
                        for _ in range((16 << 20) // size):
                            f.write(b"\0" * size)
                    except OSError as e:
                        self.assertEqual(e.errno, errno.ENOSPC)
            refused = []
            for _ in range(40):  # bounded; the first push past the WAL's room is refused
                r = push()
                self.assertIn(r.status, (200, 503), r.body)
                if r.status == 503:
                    refused.append(r)
                    if len(refused) == 3:
                        break
            self.assertTrue(refused, "no push was refused on a full disk")
            for r in refused:
                self.assertTrue(r.headers.get("Retry-After"), r.headers)
                self.assertIn("nothing was stored", r.json()["error"])
                self.assertNotIn(mnt, r.body)
            os.unlink(filler)
            deadline, healed = time.time() + 60, False
            while time.time() < deadline and not healed:  # bounded: the store may refuse for a while
                healed = push().status == 200
                if not healed:
                    time.sleep(0.2)
            self.assertTrue(healed, "pushes are not acknowledged again once the disk has room")
        finally:
            server.stop()
            subprocess.run(["umount", "-l", mnt], check=False)
            os.rmdir(mnt)
        with open(os.path.join(server.data_dir, "server.log")) as f:
            lines = [line for line in f if "api_unavailable" in line]
        server.cleanup()
        # Rate-limited (one line per 10 s for the class), with the count and the reason, no path.
        self.assertTrue(lines, "no log line for the 503s of a full disk")
        self.assertIn("count=", lines[0])
        self.assertIn("nothing was stored", lines[0])
        for line in lines:
            self.assertNotIn(mnt, line)
            self.assertNotIn(server.data_dir, line)
            self.assertNotIn("telecollect.db", line)

if __name__ == "__main__":
    unittest_main()
