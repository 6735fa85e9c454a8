# bench/wrk_lib.sh: what the wrk benchmarks share (sourced by push.sh and cluster.sh).
# Needs: $here (bench/), $work (a throw-away directory), $secs (seconds per case).
# Optional: $token (push token), $CASE_TAG (prefix of the device ids, so that runs on one
# database do not re-send each other's frames), $PG_DATA (a PostgreSQL data directory: its
# server's CPU time is measured too).

# Ports: tests/harness.py's free_port and wait_port (one copy for the tests and every bench).
wrk_harness=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests" && pwd)/harness.py
free_port() { /usr/bin/python3 "$wrk_harness" free-port; }
wait_port() { /usr/bin/python3 "$wrk_harness" wait-port "$1" 60; }
rss_mb() { awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }

# CPU time (clock ticks, user + system) used so far by the given processes.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
# The same for a PostgreSQL server: the postmaster (with its reaped children's time) and every
# live child (backends, walwriter, checkpointer...).
pg_cpu_ticks() {
  local pm t c
  pm=$(head -1 "$1/postmaster.pid")
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat")
  for c in $(pgrep -P "$pm"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$c/stat" 2>/dev/null || echo 0))); done
  echo "$t"
}
tck=$(getconf CLK_TCK)

# start_nginx WORKERS PORT HTTP_LINES → nginx in the foreground under $work/nginx, its http block
# being HTTP_LINES; appends its pid to pids and waits for PORT.
start_nginx() {
  mkdir -p "$work/nginx/logs"
  printf 'worker_processes %s;\ndaemon off;\npid %s/nginx/nginx.pid;\nerror_log %s/nginx/error.log;\nevents { worker_connections 1024; }\nhttp {\n  access_log off;\n  client_body_temp_path %s/nginx;\n  proxy_temp_path %s/nginx;\n%s\n}\n' \
    "$1" "$work" "$work" "$work" "$work" "$3" >"$work/nginx/nginx.conf"
  nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
  pids+=($!)
  wait_port "$2"
}

# run_wrk NAME PORT FRAMES FORMAT CONNS [SERVER_PIDS...] → prints one result line (with the
# servers' CPU time per request when their pids are given; PostgreSQL's too when $PG_DATA is
# set). Globals set: R_RPS, R_FPS, R_CPU_US (servers, per request), R_PG_US (PostgreSQL, per
# request).
run_wrk() {
  local name=$1 port=$2 frames=$3 format=$4 c=$5
  shift 5
  local servers=("$@") out t0=0 t1=0 p0=0 p1=0
  [ ${#servers[@]} -gt 0 ] && t0=$(cpu_ticks "${servers[@]}")
  [ -n "${PG_DATA:-}" ] && p0=$(pg_cpu_ticks "$PG_DATA")
  out=$(TC_FRAMES=$frames TC_FORMAT=$format TC_TOKEN=${token:-} TC_CASE=${CASE_TAG:-}$frames \
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
  R_CPU_US="-"
  R_PG_US="-"
  if [ ${#servers[@]} -gt 0 ]; then
    t1=$(cpu_ticks "${servers[@]}")
    R_CPU_US=$(awk -v a="$t0" -v b="$t1" -v r="$req" -v hz="$tck" 'BEGIN{printf "%.1f", (r > 0) ? (b - a) * 1e6 / hz / r : 0}')
  fi
  local pg=""
  if [ -n "${PG_DATA:-}" ]; then
    p1=$(pg_cpu_ticks "$PG_DATA")
    R_PG_US=$(awk -v a="$p0" -v b="$p1" -v r="$req" -v hz="$tck" 'BEGIN{printf "%.1f", (r > 0) ? (b - a) * 1e6 / hz / r : 0}')
    pg=$(printf "  postgres CPU %8s us/req" "$R_PG_US")
  fi
  printf "%-34s %10s req/s %11s frames/s  p50 %8s ms  p99 %8s ms  server CPU %8s us/req%s  errors %s\n" \
    "$name" "$R_RPS" "$R_FPS" "$p50" "$p99" "$R_CPU_US" "$pg" "$errs"
  if [ "$errs" != "0" ]; then head -3 "$work/${name//[^A-Za-z0-9]/_}.err" >&2; fi
}
