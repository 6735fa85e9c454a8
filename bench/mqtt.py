"""MQTT receive throughput (bench/mqtt.sh): frames/s that telecollect stores from a broker, against
mosquitto_sub receiving the same stream (the ceiling: reading only, nothing stored), in the same run.

Each receiver has a persistent session (QoS 1, fixed client id) created first; the N messages
(The Things Stack uplinks, distinct devices and times) are then published while it is offline,
so the broker holds them all; the figure is how fast the receiver drains them once it connects.
Plain MQTT on 127.0.0.1, the broker's default in-flight window (20) unless MQTT_INFLIGHT says.
"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from harness import free_port, wait_port  # noqa: E402

N = int(os.environ.get("MQTT_MESSAGES", "20000"))
INFLIGHT = int(os.environ.get("MQTT_INFLIGHT", "20"))
LIMIT_S = int(os.environ.get("BENCH_SECONDS", "10")) * 12  # a bound on each drain
BIN = os.path.realpath(sys.argv[1] if len(sys.argv) > 1 else "build/src/cli/telecollect")
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOPIC_OF = "v3/bench@ttn/devices/{}/up"


def message(i):
    body = {"end_device_ids": {"dev_eui": f"70B3D5E75E{i % 100:06X}"},
            "received_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1765000000 + i // 100)) + "Z",
            "uplink_message": {"f_port": 2, "f_cnt": i,
                               "frm_payload": base64.b64encode(bytes.fromhex("cbf60b0d0376010add7fff")).decode(),
                               "version_ids": {"brand_id": "dragino", "model_id": "lht65"}}}
    return json.dumps(body)


def publish_all(port, work):
    """N messages at QoS 1 through one mosquitto_pub -l (a line each), one topic per device."""
    t0 = time.time()
    by_topic = {}
    for i in range(N):
        by_topic.setdefault(TOPIC_OF.format(f"d{i % 100}"), []).append(message(i))
    for topic, lines in by_topic.items():
        path = os.path.join(work, "lines")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(path) as f:
            subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-l", "-t", topic],
                           stdin=f, check=True, timeout=LIMIT_S)
    return time.time() - t0


def ceiling(port, work):
    sub = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-c", "-i", "bench-ceiling",
           "-t", TOPIC_OF.format("+")]
    # The session first (subscribed, then gone), so that the broker keeps what follows for it.
    subprocess.run(sub + ["-W", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    publish_all(port, work)
    t0 = time.time()
    r = subprocess.run(sub + ["-C", str(N)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=LIMIT_S)
    dt = time.time() - t0
    got = r.stdout.count(b"\n")
    return got, dt


def metric(port, result):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    m = re.search(r'telecollect_mqtt_messages_total\{connector="bench",result="' + result + r'"\} (\d+)', text)
    return int(m.group(1)) if m else 0


def telecollect(port, work):
    data = os.path.join(work, "tc")
    os.makedirs(os.path.join(data, "connectors"))
    with open(os.path.join(data, "telecollect.toml"), "w") as f:
        f.write(f'data_dir = "{data}"\n[decoders]\ndirs = ["{TOP}/decoders"]\n')
    with open(os.path.join(data, "connectors", "bench.toml"), "w") as f:
        f.write(f'type = "mqtt"\ntenant = "bench"\nplatform = "tts"\n[broker]\nurl = "mqtt://127.0.0.1:{port}"\n'
                'username = "bench@ttn"\n')
    log = open(os.path.join(work, "tc.log"), "w")

    def serve():
        p = subprocess.Popen([BIN, "--config", os.path.join(data, "telecollect.toml"), "serve", "--listen", "127.0.0.1:0"],
                             stdout=subprocess.PIPE, stderr=log, text=True)
        line = p.stdout.readline()
        if "listening on" not in line:
            raise SystemExit(f"telecollect did not start: {line!r}")
        return p, int(line.strip().rsplit(":", 1)[1])

    # The session first: connect once, subscribed, then stop.
    p, http = serve()
    deadline = time.time() + 30
    while time.time() < deadline:
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/healthz", timeout=10) as r:
            if '"state":"connected"' in r.read().decode():
                break
        time.sleep(0.05)
    p.terminate()
    p.wait(timeout=30)
    publish_all(port, work)
    p, http = serve()
    t0 = time.time()
    stored = 0
    while time.time() - t0 < LIMIT_S:
        stored = metric(http, "stored")
        if stored >= N:
            break
        time.sleep(0.02)
    dt = time.time() - t0
    cpu = sum(int(x) for x in open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()[11:13])
    p.terminate()
    p.wait(timeout=30)
    return stored, dt, cpu / os.sysconf("SC_CLK_TCK")


def main():
    work = tempfile.mkdtemp(prefix="tc_bench_mqtt_")
    port = free_port()
    conf = os.path.join(work, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write(("user root\n" if os.geteuid() == 0 else "") +
                f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                f"max_inflight_messages {INFLIGHT}\nmax_queued_messages 0\nlog_dest none\n")
    broker = subprocess.Popen(["mosquitto", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port)
        print(f"bench/mqtt: {N} TTS uplinks queued at QoS 1 for a persistent session, then drained; "
              f"mosquitto max_inflight_messages {INFLIGHT}; {os.cpu_count()} cores, "
              f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}")
        got, dt = ceiling(port, work)
        c_rate = got / dt
        print(f"{'mosquitto_sub (ceiling, prints only)':44s} {got:7d} msgs in {dt:6.2f} s  {c_rate:10.0f} msgs/s")
        stored, dt, cpu = telecollect(port, work)
        t_rate = stored / dt
        print(f"{'telecollect (decoded, committed, PUBACK)':44s} {stored:7d} frames in {dt:6.2f} s  {t_rate:10.0f} frames/s"
              f"  CPU {cpu * 1e6 / max(stored, 1):.0f} us/frame  ({t_rate / c_rate:.0%} of the ceiling)")
        if stored < N or got < N:
            raise SystemExit("bench/mqtt: not every message arrived within the bound")
    finally:
        broker.terminate()
        broker.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
