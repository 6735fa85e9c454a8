"""Durability: every frame that got a 2xx survives a kill -9, none is stored twice."""
import http.client
import json
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import Server  # noqa: E402

LOAD_SECONDS = 3.0
THREADS = 8
BATCH = 20


class Durability(unittest.TestCase):
    def test_kill_dash_9_loses_nothing_acknowledged(self):
        server = Server()
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
                        frames.append({"timestamp": 1600000000000 + seq, "deviceid": f"dev{n}",
                                       "payload": f"{seq & 0xffff:04x}", "devicetype": "dragino-lht65"})
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
            print(f"acknowledged {len(acked)}, stored {len(stored_keys)} (the rest were in flight at the kill)")
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
