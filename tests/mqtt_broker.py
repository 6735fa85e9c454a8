"""A real Debian mosquitto for tests: 127.0.0.1, a free port, TLS with a throw-away CA, a
password file, persistence in its own directory. Also a QoS 1 publisher (paho-mqtt) that
publishes every message at least once, through broker restarts."""
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import paho.mqtt.client as mqtt


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} → {r.returncode}: {r.stderr}")
    return r


def make_ca_and_server_cert(d):
    """A CA and a server certificate for 127.0.0.1 signed by it (PEM files in d)."""
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    key, csr, crt = os.path.join(d, "server.key"), os.path.join(d, "server.csr"), os.path.join(d, "server.crt")
    ext = os.path.join(d, "server.ext")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=telecollect test CA",
        "-keyout", ca_key, "-out", ca_crt)
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", csr)
    with open(ext, "w") as f:
        f.write("subjectAltName = IP:127.0.0.1, DNS:localhost\nbasicConstraints = CA:FALSE\n")
    run("openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
        "-extfile", ext, "-out", crt)
    return ca_crt, crt, key


class Broker:
    """mosquitto with TLS and passwords on 127.0.0.1:<free port>; start(), stop(), restart()."""

    def __init__(self, users, max_inflight=20):
        self.dir = tempfile.mkdtemp(prefix="tc_mqtt_")
        self.ca, crt, key = make_ca_and_server_cert(self.dir)
        passwd = os.path.join(self.dir, "passwd")
        first = True
        for user, password in users.items():
            run("mosquitto_passwd", *(["-c"] if first else []), "-b", passwd, user, password)
            first = False
        self.port = free_port()
        self.log = os.path.join(self.dir, "mosquitto.log")
        self.conf = os.path.join(self.dir, "mosquitto.conf")
        # Run as root (CI containers), mosquitto would switch to its own user, which cannot
        # write this directory: it stays who it is started as.
        user = "user root\n" if os.geteuid() == 0 else ""
        with open(self.conf, "w") as f:
            f.write(user + f"""per_listener_settings false
allow_anonymous false
password_file {passwd}
listener {self.port} 127.0.0.1
cafile {self.ca}
certfile {crt}
keyfile {key}
persistence true
persistence_location {self.dir}/
autosave_interval 1
max_inflight_messages {max_inflight}
max_queued_messages 0
log_dest file {self.log}
log_type error
log_type warning
log_type notice
""")
        self.proc = None

    def start(self, timeout=20):
        self.proc = subprocess.Popen(["mosquitto", "-c", self.conf], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"mosquitto exited: {self.proc.stderr.read().decode()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("mosquitto did not listen in time")

    def stop(self):
        """SIGTERM: mosquitto writes its persistence file (sessions, queued messages) and exits."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Publisher:
    """Publishes messages at QoS 1 over TLS, each until the broker acknowledges it (a new
    connection after any failure: a message may then go twice, never zero times)."""

    def __init__(self, broker, user, password):
        self.broker, self.user, self.password = broker, user, password
        self.client = None
        self.published = 0

    def _connect(self):
        c = mqtt.Client(client_id="", clean_session=True, protocol=mqtt.MQTTv311)
        c.username_pw_set(self.user, self.password)
        c.tls_set(ca_certs=self.broker.ca, cert_reqs=ssl.CERT_REQUIRED)
        c.connect("127.0.0.1", self.broker.port, keepalive=30)
        c.loop_start()
        self.client = c

    def _drop(self):
        if self.client:
            self.client.loop_stop()
            try:
                self.client.disconnect()
            except Exception:
                pass
        self.client = None

    def publish(self, topic, payload, deadline):
        while time.time() < deadline:
            try:
                if self.client is None:
                    self._connect()
                info = self.client.publish(topic, payload, qos=1)
                info.wait_for_publish(timeout=5)
                if info.is_published():
                    self.published += 1
                    return
            except (OSError, ValueError, RuntimeError):
                pass
            self._drop()
            time.sleep(0.2)
        raise AssertionError(f"could not publish to {topic} before the deadline")

    def close(self):
        self._drop()


class Background:
    """Runs fn() on a thread; join() re-raises what it raised."""

    def __init__(self, fn):
        self.error = None

        def body():
            try:
                fn()
            except BaseException as e:  # noqa: B902 - handed to join()
                self.error = e
        self.thread = threading.Thread(target=body, daemon=True)
        self.thread.start()

    def join(self, timeout):
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError("background publisher did not finish in time")
        if self.error:
            raise self.error
