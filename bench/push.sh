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

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

# CPU time (clock ticks, user + system) used so far by the given processes.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
tck=$(getconf CLK_TCK)

# run_wrk NAME PORT FRAMES FORMAT CONNS [SERVER_PIDS...] → prints one result line (with the
# servers' CPU time per request when their pids are given), returns via globals
run_wrk() {
  local name=$1 port=$2 frames=$3 format=$4 c=$5
  shift 5
  local servers=("$@") out t0=0 t1=0
  [ ${#servers[@]} -gt 0 ] && t0=$(cpu_ticks "${servers[@]}")
  out=$(TC_FRAMES=$frames TC_FORMAT=$format TC_TOKEN=${token:-} TC_CASE=$frames \
        wrk -t2 -c"$c" -d"${secs}s" --timeout 10s -s "$here/push_frames.lua" "http://127.0.0.1:$port" 2>"$work/${name//[^A-Za-z0-9]/_}.err")
  local line req dur p50 p99 errs
  line=$(grep '^RESULT' <<<"$out")
  req=$(sed -E 's/.*requests=([0-9]+).*/\1/' <<<"$line")
  dur=$(sed -E 's/.*duration_s=([0-9.]+).*/\1/' <<<"$line")
  p50=$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$line")
  p99=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$line")
  errs=$(sed -E 's/.*errors=([0-9]+).*/\1/' <<<"$line")
  R_RPS=$(awk -v r="$req" -v d="$dur" 'BEGIN{printf "%.0f", r/d}')
  R_FPS=$(awk -v r="$req" -v d="$dur" -v f="$frames" 'BEGIN{printf "%.0f", r*f/d}')
  local cpu="-"
  if [ ${#servers[@]} -gt 0 ]; then
    t1=$(cpu_ticks "${servers[@]}")
    cpu=$(awk -v a="$t0" -v b="$t1" -v r="$req" -v hz="$tck" 'BEGIN{printf "%.1f", (r > 0) ? (b - a) * 1e6 / hz / r : 0}')
  fi
  printf "%-34s %10s req/s %11s frames/s  p50 %8s ms  p99 %8s ms  server CPU %8s us/req  errors %s\n" \
    "$name" "$R_RPS" "$R_FPS" "$p50" "$p99" "$cpu" "$errs"
  if [ "$errs" != "0" ]; then head -3 "$work/${name//[^A-Za-z0-9]/_}.err" >&2; fi
}

echo "bench/push: ${secs}s per case, wrk -t2 -c$conns, $(nproc) cores, $(date -u +%FT%TZ)"

# --- nginx: return 204 -------------------------------------------------------
nport=$(free_port)
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx;
  client_max_body_size 2m;
  server { listen 127.0.0.1:$nport; location / { return 204; } }
}
CONF
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
wait_port "$nport"
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
