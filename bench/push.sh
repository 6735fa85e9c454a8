#!/usr/bin/env bash
# bench/push.sh BIN [CEILING_BIN] — push throughput of telecollect against three references
# measured in the same run under the same wrk load:
#   nginx `return 204`  : this machine's HTTP ceiling, nothing stored
#   durable_ceiling     : this machine's ceiling under the durability rule: the same HTTP stack
#                         (Beast), each body appended to a log and answered after one fdatasync
#                         per group, nothing parsed (bench/durable_ceiling.cc; default: next to BIN
#                         in the build tree)
#   InfluxDB 1.x /write : the store Telegraf users write to, same readings as line protocol
# Cases: (a) 1 frame per request, keep-alive, 32 connections; (b) 1,000 frames per request.
# telecollect runs on a fresh SQLite store with the default durability (fsync per group commit).
# Every load is bounded: BENCH_SECONDS (default 10) per case. Only 127.0.0.1 is targeted.
set -euo pipefail
bin=$(realpath "${1:-build/src/cli/telecollect}")
ceiling_bin=${2:-$(dirname "$bin")/../../durable_ceiling}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
work=$(mktemp -d /tmp/tc_bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

source "$here/wrk_lib.sh"

echo "bench/push: ${secs}s per case, wrk -t2 -c$conns, $(nproc) cores, $(date -u +%FT%TZ)"

# --- nginx: return 204 -------------------------------------------------------
nport=$(free_port)
start_nginx auto "$nport" "  client_max_body_size 2m;
  server { listen 127.0.0.1:$nport; location / { return 204; } }"
run_wrk "nginx return 204 (1 frame body)" "$nport" 1 telecollect "$conns" $(pgrep -P "${pids[-1]}"); nginx_rps=$R_RPS
kill "${pids[-1]}"; unset 'pids[-1]'

# --- durable ceiling: append + fdatasync per group, nothing parsed -----------------
ceiling_rps=""
if [ -x "$ceiling_bin" ]; then
  # With one I/O thread and with one per core: the ceiling is the better of the two.
  for io_threads in 1 "$(nproc)"; do
    cport=$(free_port)
    "$ceiling_bin" "$cport" "$work/ceiling.log" 128 "$io_threads" &
    pids+=($!)
    wait_port "$cport"
    run_wrk "durable ceiling, $io_threads I/O thread(s)" "$cport" 1 telecollect "$conns" "${pids[-1]}"
    ceiling_rps=$(awk -v a="${ceiling_rps:-0}" -v b="$R_RPS" 'BEGIN {print (b > a) ? b : a}')
    kill "${pids[-1]}"; wait "${pids[-1]}" || true; unset 'pids[-1]'
    rm -f "$work/ceiling.log"
  done
else
  echo "durable ceiling: $ceiling_bin not built (cmake -DTELECOLLECT_BENCH=ON), skipped" >&2
fi

# --- InfluxDB 1.x /write -------------------------------------------------------
iport=$(free_port)
mkdir -p "$work/influx"
cat >"$work/influx/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$(free_port)"
[meta]
  dir = "$work/influx/meta"
[data]
  dir = "$work/influx/data"
  wal-dir = "$work/influx/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$iport"
  log-enabled = false
[monitor]
  store-enabled = false
CONF
influxd -config "$work/influx/influxdb.conf" >"$work/influx/log" 2>&1 &
pids+=($!)
ipid=$!
wait_port "$iport"
curl -s -XPOST "http://127.0.0.1:$iport/query" --data-urlencode "q=CREATE DATABASE bench" >/dev/null
run_wrk "influxdb /write 1 point/req" "$iport" 1 influx "$conns" "$ipid"; influx1_pps=$R_FPS
run_wrk "influxdb /write 1000 points/req" "$iport" 1000 influx 4 "$ipid"; influx1000_pps=$R_FPS
influx_rss=$(rss_mb "$ipid")
kill "$ipid"; unset 'pids[-1]'

# --- telecollect -----------------------------------------------------------------
data="$work/tc"
mkdir -p "$data"
printf 'data_dir = "%s"\n[decoders]\ndirs = ["%s/decoders"]\n[log]\nlevel = "warn"\n' "$data" "$top" >"$data/telecollect.toml"
token=$("$bin" --config "$data/telecollect.toml" token create --tenant bench --env preprod 2>/dev/null)
tport=$(free_port)
"$bin" --config "$data/telecollect.toml" serve --listen "127.0.0.1:$tport" >"$work/tc.out" 2>"$work/tc.err" &
pids+=($!)
tpid=$!
wait_port "$tport"
run_wrk "telecollect (a) 1 frame/req" "$tport" 1 telecollect "$conns" "$tpid"; tc1_rps=$R_RPS; tc1_fps=$R_FPS
run_wrk "telecollect (b) 1000 frames/req" "$tport" 1000 telecollect 4 "$tpid"; tc1000_fps=$R_FPS
tc_rss=$(rss_mb "$tpid")
stored=$(curl -s "http://127.0.0.1:$tport/metrics" | awk '/^telecollect_frames_total.*decoded/ {s+=$2} END {print s+0}')
kill "$tpid"; wait "$tpid" || true; unset 'pids[-1]'

echo
echo "server RSS peak: telecollect ${tc_rss} MiB, influxdb ${influx_rss} MiB; frames decoded and journaled: $stored"
if [ -n "$ceiling_rps" ]; then
  awk -v a="$tc1_rps" -v c="$ceiling_rps" -v n="$nginx_rps" 'BEGIN {
    printf "(a) durable ceiling/nginx req/s   = %.2f  (a server doing nothing but append + fdatasync per group)\n", c / n
    printf "(a) telecollect/durable ceiling   = %.2f\n", a / c
  }'
fi
awk -v a="$tc1_rps" -v n="$nginx_rps" -v f="$tc1_fps" -v i="$influx1_pps" -v b="$tc1000_fps" -v j="$influx1000_pps" 'BEGIN {
  printf "(a) telecollect/nginx req/s      = %.2f  (target >= 0.5)\n", a / n
  printf "(a) telecollect/influxdb points/s = %.2f  (target >= 5)\n", f / i
  printf "(b) telecollect/influxdb points/s = %.2f  (target >= 1)\n", b / j
}'
