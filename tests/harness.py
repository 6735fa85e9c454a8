"""A real telecollect server for end-to-end tests: temp data dir, port 0, real HTTP."""
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

BIN = os.environ.get("TELECOLLECT_BIN", "build/src/cli/telecollect")
SOURCE_DIR = os.environ.get("TELECOLLECT_SOURCE_DIR", ".")

BRIEF_FRAME = {
    "timestamp": "2019-04-28T12:59:36.599Z",
    "deviceid": "123124",
    "payload": "cbf60b0d0376010add7fff",
    "devicetype": "dragino-lht65",
    "fport": 2,
}


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


class Server:
    """Starts `telecollect serve` with its own data dir; stop() or kill() it."""

    def __init__(self, extra_config="", data_dir=None):
        self.owns_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="tc_e2e_")
        self.config = os.path.join(self.data_dir, "telecollect.toml")
        if not os.path.exists(self.config):
            with open(self.config, "w") as f:
                f.write(f'data_dir = "{self.data_dir}"\n')
                f.write(f'[decoders]\ndirs = ["{SOURCE_DIR}/decoders"]\n')
                f.write(extra_config)
        self.proc = None
        self.port = None

    def cli(self, *args, check=True):
        r = subprocess.run([BIN, "--config", self.config, *args], capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"telecollect {' '.join(args)} → {r.returncode}: {r.stderr}")
        return r

    def token(self, tenant="acme", env="preprod"):
        return self.cli("token", "create", "--tenant", tenant, "--env", env).stdout.strip()

    def start(self):
        self.log = open(os.path.join(self.data_dir, "server.log"), "a")
        self.proc = subprocess.Popen([BIN, "--config", self.config, "serve", "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise AssertionError(f"server did not start: {line!r}; see {self.log.name}")
        self.port = int(line.strip().rsplit(":", 1)[1])
        return self

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, method, path, body=None, headers=None, token=None, timeout=30):
        headers = dict(headers or {})
        if token:
            headers.setdefault("Authorization", f"Basic {token}")
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(self.url(path), data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return Response(r.status, dict(r.headers), r.read().decode())
        except urllib.error.HTTPError as e:
            return Response(e.code, dict(e.headers), e.read().decode())

    def push(self, payload, token, source="generic-sensors", content_type="application/json", path="/"):
        body = payload if isinstance(payload, str) else json.dumps(payload)
        headers = {"Content-Type": content_type}
        if source is not None:
            headers["source"] = source
        return self.request("POST", path, body, headers, token)

    def get(self, path, token):
        return self.request("GET", path, token=token)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=timeout)
        rc = self.proc.returncode if self.proc else None
        if self.proc:
            self.proc.stdout.close()
            self.log.close()
        self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def cleanup(self):
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def free_port():
    """A TCP port free on 127.0.0.1 now (a server started on it a moment later may still race)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, seconds=60, proc=None):
    """Returns once something accepts TCP connections on 127.0.0.1:port; raises AssertionError after
    `seconds`, or at once if `proc` (the server's Popen) has exited."""
    import socket
    deadline = time.time() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process meant to listen on {port} exited with {proc.returncode}")
        if time.time() > deadline:
            raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {seconds} s")
        time.sleep(0.05)


def multipart(fields):
    """A multipart/form-data body: {name: (filename or None, str or bytes)} → (bytes, content type)."""
    import uuid
    boundary = "tc" + uuid.uuid4().hex
    body = b""
    for name, (filename, data) in fields.items():
        data = data.encode() if isinstance(data, str) else data
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        body += f"--{boundary}\r\nContent-Disposition: {disp}\r\n\r\n".encode() + data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Skip(Exception):
    """Raised by a test that cannot run here (never for a missing dependency of CI: that is a
    failure). Counted and printed; the suite then exits SKIP_EXIT, which ctest reports as a skip
    and scripts/test.sh refuses when CI is set."""


SKIP_EXIT = 77


def unittest_main():
    """unittest.main for the suites written with unittest: a skipped test is not a pass either."""
    import unittest
    result = unittest.main(verbosity=2, exit=False).result
    if result.skipped:
        print(f"{len(result.skipped)} skipped: " + "; ".join(f"{t.id()}: {why}" for t, why in result.skipped))
    sys.exit(1 if not result.wasSuccessful() else SKIP_EXIT if result.skipped else 0)


def run_tests(namespace):
    """Runs the module's test_* functions (or those named on the command line),
    prints one line each, and exits 1 if any failed, SKIP_EXIT if any was skipped."""
    import traceback
    only = sys.argv[1:]
    tests = [(n, f) for n, f in sorted(namespace.items()) if n.startswith("test_") and callable(f) and (not only or n in only)]
    failed, skipped = 0, 0
    for name, fn in tests:
        t0 = time.time()
        try:
            fn()
            print(f"ok   {name} ({time.time() - t0:.1f}s)", flush=True)
        except Skip as why:
            skipped += 1
            print(f"SKIP {name}: {why}", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {name}", flush=True)
            traceback.print_exc()
    print(f"{len(tests) - failed - skipped}/{len(tests)} passed, {skipped} skipped")
    sys.exit(1 if failed else SKIP_EXIT if skipped else 0)


if __name__ == "__main__":
    # For the shell benches (bench/wrk_lib.sh): `harness.py free-port`, `harness.py wait-port PORT [SECONDS]`.
    if sys.argv[1:2] == ["free-port"]:
        print(free_port())
    elif sys.argv[1:2] == ["wait-port"] and len(sys.argv) in (3, 4):
        try:
            wait_port(int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) == 4 else 60)
        except AssertionError as e:
            sys.exit(str(e))
    else:
        sys.exit("usage: harness.py free-port | wait-port PORT [SECONDS]")
