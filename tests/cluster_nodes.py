"""telecollect nodes on one PostgreSQL database, and nginx in front of them, for the cluster suite.

Each node runs `telecollect serve` on a fixed ephemeral port (a restarted node comes back where
nginx expects it) under its own host name (a UTS namespace, `unshare --uts`): a lease holder is
`<host>:<pid>`, so on one machine the nodes still look like the separate machines of a real
cluster (a node never takes over a lease because it sees the holder's pid gone on its own host).
nginx runs docs/deployment.md's site config, the upstream pointed at the nodes.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import time

from harness import BIN, SOURCE_DIR, Server
from pg_server import free_port


def doc_block(after):
    """The first fenced block after the first line containing `after` in docs/deployment.md."""
    with open(os.path.join(SOURCE_DIR, "docs/deployment.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("```", text.index(after))
    start = text.index("\n", start) + 1
    return text[start:text.index("```", start)]


class Node(Server):
    """A node: `serve` under host name `host`, on `port`, with the cluster's config."""

    def __init__(self, root, index, store_url, extra_config=""):
        self.host = f"tc-node{index}"
        data_dir = os.path.join(root, self.host)
        os.makedirs(os.path.join(data_dir, "connectors"), mode=0o700)
        with open(os.path.join(data_dir, "telecollect.toml"), "w") as f:
            f.write(f'data_dir = "{data_dir}"\n'
                    f'[store]\nbackend = "postgres"\nurl = "{store_url}"\npassword_env = "TELECOLLECT_PG_PASSWORD"\n'
                    # Every frame decoded before its answer: an acknowledgement covers its measurements.
                    '[push]\ndecode_budget = "10m"\n'
                    f'[decoders]\ndirs = ["{SOURCE_DIR}/decoders"]\n'
                    f'[files]\nconnectors_dirs = ["{data_dir}/connectors"]\n'
                    '[log]\nformat = "json"\n' + extra_config)
        super().__init__(data_dir=data_dir)
        self.owns_dir = True
        self.port = free_port()
        self.log_offset = 0

    def start(self):
        self.log = open(os.path.join(self.data_dir, "server.log"), "a")
        self.log_offset = self.log.tell()
        self.proc = subprocess.Popen(
            ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', self.host,
             BIN, "--config", self.config, "serve", "--listen", f"127.0.0.1:{self.port}"],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            raise AssertionError(f"{self.host} did not start: {line!r}; see {self.log.name}: {self.log_tail()}")
        return self

    def signal(self, sig):
        self.proc.send_signal(sig)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=3000):
        try:
            with open(os.path.join(self.data_dir, "server.log"), errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return "(no log)"

    def log_events(self, event, since_start=True, **fields):
        """The JSON log lines of this node (since its last start) with this event and fields."""
        out = []
        with open(os.path.join(self.data_dir, "server.log"), errors="replace") as f:
            if since_start:
                f.seek(self.log_offset)
            for line in f:
                try:
                    o = json.loads(line).get("log")  # {"ts": …, "log": {"level", "event", fields…}}
                except (ValueError, AttributeError):
                    continue
                if not isinstance(o, dict):
                    continue
                if o.get("event") == event and all(o.get(k) == v for k, v in fields.items()):
                    out.append(o)
        return out

    def health(self, timeout=10):
        try:
            r = self.request("GET", "/healthz", timeout=timeout)
            return r.status, r.headers, r.body
        except OSError as e:
            return None, {}, str(e)


class Nginx:
    """nginx with docs/deployment.md's site config in front of `ports`, plain HTTP on 127.0.0.1."""

    def __init__(self, root, ports):
        site = doc_block("`/etc/nginx/conf.d/telecollect.conf`")
        ports, lines = list(ports), []
        for l in site.split("\n"):
            m = re.match(r"(\s*)server 10\.0\.0\.\d+:8080(.*)", l)
            if m:
                if not ports:
                    raise AssertionError("docs/deployment.md's upstream lists more servers than the suite runs")
                lines.append(f"{m.group(1)}server 127.0.0.1:{ports.pop(0)}{m.group(2)}")
            else:
                lines.append(l)
        if ports:
            raise AssertionError("docs/deployment.md's upstream lists fewer servers than the suite runs")
        self.port = free_port()
        site = "\n".join(lines).replace("listen 443 ssl;", f"listen 127.0.0.1:{self.port};")
        site = re.sub(r"\n\s*ssl_certificate(_key)? [^\n]*", "", site)
        self.dir = os.path.join(root, "nginx")
        os.mkdir(self.dir)
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(f"daemon off;\npid {self.dir}/nginx.pid;\nerror_log {self.dir}/error.log;\nevents {{}}\n"
                    f"http {{\naccess_log off;\nclient_body_temp_path {self.dir};\nproxy_temp_path {self.dir};\n{site}\n}}\n")
        self.proc = None

    def start(self):
        if not shutil.which("nginx"):
            raise AssertionError("nginx missing: apt-get install nginx-light")
        r = subprocess.run(["nginx", "-t", "-p", self.dir, "-c", self.conf], capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError("nginx -t: " + r.stderr)
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-c", self.conf])
        front = self.front()
        deadline = time.monotonic() + 60
        while True:
            try:
                if front.request("GET", "/healthz", timeout=5).status == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise AssertionError("nginx does not answer /healthz")
            time.sleep(0.2)

    def front(self):
        """A Server whose HTTP helpers talk to nginx."""
        s = Server.__new__(Server)
        s.port = self.port
        return s

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
