#!/usr/bin/env bash
# bench/mqtt.sh [BIN] — frames/s that telecollect stores from an MQTT broker (Debian mosquitto on
# 127.0.0.1), against mosquitto_sub draining the same queued stream in the same run (bench/mqtt.py).
# MQTT_MESSAGES (20000), MQTT_INFLIGHT (the broker's max_inflight_messages, 20), BENCH_SECONDS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/mqtt.py" "${1:-build/src/cli/telecollect}"
