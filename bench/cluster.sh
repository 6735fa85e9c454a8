#!/usr/bin/env bash
# bench/cluster.sh [BIN] — telecollect on PostgreSQL 15: push throughput through 1 node and through
# 2 nodes behind nginx (round-robin), and one module's year averaged hourly, against two
# references measured in the same run:
#   the SQLite single node : the same loads on the embedded store (the default backend)
#   PostgreSQL's own COPY  : the same rows (frames, and one row per reading) copied in one
#                            transaction with psql's \copy, the engine's ceiling for writing them
# Cases: (a) 1 frame per request, keep-alive, BENCH_CONNECTIONS (32) connections; (b) 1,000 frames
# per request, 4 connections (bench/push_frames.lua under wrk, as bench/push.sh).
# The devices of each case are registered first (one earlier frame each, through each node that
# serves them): the cases measure a known fleet reporting. Each line gives the CPU time per request of the telecollect node(s) and of PostgreSQL (the
# postmaster and all its children, from /proc): per frame, the inputs of docs/deployment.md's
# projection. PostgreSQL runs durable (fsync on, synchronous_commit on), started by
# tests/pg_server.py as an unprivileged user on 127.0.0.1; the settings are those
# docs/deployment.md recommends (PG_SETTINGS below). Every load is bounded: BENCH_SECONDS (10) per
# wrk case, BENCH_COPY_FRAMES (200,000) rows copied, BENCH_QUERY_RUNS (20) year queries.
# Figures only, no assertion on them.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
bin=$(realpath "${1:-build/src/cli/telecollect}")

# The server settings of docs/deployment.md ("PostgreSQL tuning"), for a 2-core machine.
PG_SETTINGS=(shared_buffers=512MB max_wal_size=4GB checkpoint_timeout=15min wal_compression=lz4
             wal_buffers=16MB)
if [ -z "${TELECOLLECT_TEST_PG:-}" ]; then
  args=(--fsync)
  for s in "${PG_SETTINGS[@]}"; do args+=(-c "$s"); done
  exec /usr/bin/python3 "$top/tests/pg_server.py" "${args[@]}" -- "$0" "$bin"
fi

secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
copy_frames=${BENCH_COPY_FRAMES:-200000}
query_runs=${BENCH_QUERY_RUNS:-20}
work=$(mktemp -d /tmp/tc_cluster.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
source "$here/wrk_lib.sh"
PG_DATA=$TELECOLLECT_TEST_PG_DATA

echo "bench/cluster: ${secs}s per case, wrk -t2 (a) -c$conns (b) -c4, $(nproc) cores, PostgreSQL $(head -1 "$PG_DATA/PG_VERSION"), $(date -u +%FT%TZ)"
echo "PostgreSQL: fsync=on synchronous_commit=on ${PG_SETTINGS[*]}"

# node NAME BACKEND_TOML → starts a node, sets NODE_PID and NODE_PORT
node() {
  local d="$work/$1"
  mkdir -p "$d"
  printf 'data_dir = "%s"\n[decoders]\ndirs = ["%s/decoders"]\n[log]\nlevel = "warn"\n%s' "$d" "$top" "$2" >"$d/telecollect.toml"
  NODE_PORT=$(free_port)
  "$bin" --config "$d/telecollect.toml" serve --listen "127.0.0.1:$NODE_PORT" >"$d/out" 2>"$d/err" &
  NODE_PID=$!
  pids+=("$NODE_PID")
  wait_port "$NODE_PORT"
}
stop_node() { kill "$1"; wait "$1" || true; }
pg_toml=$(printf '[store]\nbackend = "postgres"\nurl = "%s"\n' "$TELECOLLECT_TEST_PG")

# per_frame US_PER_REQ FRAMES
per_frame() { awk -v u="$1" -v f="$2" 'BEGIN { if (u == "-") print "-"; else printf "%.1f", u / f }'; }
cpu_rows=()
record_cpu() { cpu_rows+=("$(printf "%-34s telecollect %7s us/frame  postgres %7s us/frame" "$1" "$(per_frame "$R_CPU_US" "$2")" "$(per_frame "$R_PG_US" "$2")")"); }

# --- PostgreSQL, 1 node --------------------------------------------------------------
node pg1 "$pg_toml"
pg1_pid=$NODE_PID pg1_port=$NODE_PORT
token=$("$bin" --config "$work/pg1/telecollect.toml" token create --tenant bench --env preprod 2>/dev/null)
CASE_TAG=pg1x
"$here/cluster_data.py" warm "http://127.0.0.1:$pg1_port" "$token" 1599999999000 pg1x1 pg1x1000 pg2x1 pg2x1000
run_wrk "postgres 1 node (a) 1 frame/req" "$pg1_port" 1 telecollect "$conns" "$pg1_pid"; pg1a=$R_FPS; record_cpu "postgres 1 node (a)" 1
run_wrk "postgres 1 node (b) 1000 frames/req" "$pg1_port" 1000 telecollect 4 "$pg1_pid"; pg1b=$R_FPS; record_cpu "postgres 1 node (b)" 1000

# --- PostgreSQL, 2 nodes behind nginx ------------------------------------------------
node pg2 "$pg_toml"
pg2_pid=$NODE_PID pg2_port=$NODE_PORT
"$here/cluster_data.py" warm "http://127.0.0.1:$pg2_port" "$token" 1599999998000 pg2x1 pg2x1000
nport=$(free_port)
start_nginx 1 "$nport" "  client_max_body_size 16m;
  client_body_buffer_size 1m;
  upstream telecollect {
    server 127.0.0.1:$pg1_port;
    server 127.0.0.1:$pg2_port;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$nport;
    location / {
      proxy_pass http://telecollect;
      proxy_http_version 1.1;
      proxy_set_header Connection \"\";
    }
  }"
CASE_TAG=pg2x
run_wrk "postgres 2 nodes (a) 1 frame/req" "$nport" 1 telecollect "$conns" "$pg1_pid" "$pg2_pid"; pg2a=$R_FPS; record_cpu "postgres 2 nodes (a)" 1
run_wrk "postgres 2 nodes (b) 1000 frames/req" "$nport" 1000 telecollect 4 "$pg1_pid" "$pg2_pid"; pg2b=$R_FPS; record_cpu "postgres 2 nodes (b)" 1000
stop_node "$pg2_pid"

# --- a year of one module, averaged hourly ----------------------------------------
"$here/cluster_data.py" year-load "http://127.0.0.1:$pg1_port" "$token" year1
pg_year=$("$here/cluster_data.py" year-query "http://127.0.0.1:$pg1_port" "$token" year1.temperature "$query_runs")
echo "postgres year hourly avg:          $pg_year"
stop_node "$pg1_pid"
# What a frame takes on disk (table, TOAST and indexes), and a reading in the chunks.
psql -qAtX "$TELECOLLECT_TEST_PG" -c "VACUUM ANALYZE frames" -c "VACUUM ANALYZE chunks" >/dev/null
sizes=$(psql -qAtX -F ' ' "$TELECOLLECT_TEST_PG" -c "SELECT round(pg_total_relation_size('frames')::numeric / count(*)),
  (SELECT round(sum(pg_total_relation_size(c.oid))::numeric / (SELECT sum(n) FROM chunks), 1)
   FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'chunks'::regclass) FROM frames")
echo "postgres disk: $(cut -d' ' -f1 <<<"$sizes") bytes per frame (journal row + indexes), $(cut -d' ' -f2 <<<"$sizes") bytes per reading (chunks + index)"

# --- PostgreSQL's COPY of the same rows ----------------------------------------------
"$here/cluster_data.py" copy-rows "$copy_frames" "$work"
cat >"$work/copy.sql" <<SQL
CREATE TABLE copy_frames (LIKE frames INCLUDING ALL);
CREATE TABLE copy_points (module_id bigint NOT NULL, ts bigint NOT NULL, value double precision NOT NULL,
                          PRIMARY KEY (module_id, ts));
BEGIN;
\copy copy_frames(scope_id, device_id, event_ms, payload, source, device_type, received_ms, fport, metadata, status, reason, encrypted, decoded_values) FROM '$work/frames.csv' WITH (FORMAT csv)
\copy copy_points FROM '$work/points.csv' WITH (FORMAT csv)
COMMIT;
SQL
p0=$(pg_cpu_ticks "$PG_DATA")
t0=$(date +%s.%N)
psql -q -v ON_ERROR_STOP=1 "$TELECOLLECT_TEST_PG" -f "$work/copy.sql" >/dev/null
t1=$(date +%s.%N)
# psql's backend is counted once it has exited and the postmaster has reaped it (its children's
# times): read right after psql returns, its whole COPY was missing.
sleep 1
p1=$(pg_cpu_ticks "$PG_DATA")
copy_fps=$(awk -v a="$t0" -v b="$t1" -v n="$copy_frames" 'BEGIN { printf "%.0f", n / (b - a) }')
R_CPU_US="-"
R_PG_US=$(awk -v a="$p0" -v b="$p1" -v n="$copy_frames" -v hz="$tck" 'BEGIN { printf "%.1f", (b - a) * 1e6 / hz / n }')
record_cpu "postgres COPY (frames + readings)" 1
printf "%-34s %10s frames/s (%s frames, %s readings in one transaction)  postgres CPU %s us/frame\n" \
  "postgres COPY (psql \\copy)" "$copy_fps" "$copy_frames" "$((copy_frames * 5))" "$R_PG_US"
psql -q "$TELECOLLECT_TEST_PG" -c "DROP TABLE copy_frames, copy_points" >/dev/null

# --- SQLite single node ----------------------------------------------------------------
PG_DATA=""
node sqlite ""
sq_pid=$NODE_PID sq_port=$NODE_PORT
token=$("$bin" --config "$work/sqlite/telecollect.toml" token create --tenant bench --env preprod 2>/dev/null)
CASE_TAG=sqx
"$here/cluster_data.py" warm "http://127.0.0.1:$sq_port" "$token" 1599999999000 sqx1 sqx1000
run_wrk "sqlite 1 node (a) 1 frame/req" "$sq_port" 1 telecollect "$conns" "$sq_pid"; sqa=$R_FPS; record_cpu "sqlite 1 node (a)" 1
run_wrk "sqlite 1 node (b) 1000 frames/req" "$sq_port" 1000 telecollect 4 "$sq_pid"; sqb=$R_FPS; record_cpu "sqlite 1 node (b)" 1000
"$here/cluster_data.py" year-load "http://127.0.0.1:$sq_port" "$token" year1
sq_year=$("$here/cluster_data.py" year-query "http://127.0.0.1:$sq_port" "$token" year1.temperature "$query_runs")
echo "sqlite year hourly avg:            $sq_year"
stop_node "$sq_pid"

echo
echo "CPU per frame (user + system, from /proc):"
printf '  %s\n' "${cpu_rows[@]}"
median() { sed -E 's/.*median_ms=([0-9.]+).*/\1/' <<<"$1"; }
awk -v p1a="$pg1a" -v p1b="$pg1b" -v p2a="$pg2a" -v p2b="$pg2b" -v c="$copy_fps" -v sa="$sqa" -v sb="$sqb" \
    -v py="$(median "$pg_year")" -v sy="$(median "$sq_year")" 'BEGIN {
  printf "(b) postgres 1 node / COPY frames/s    = %.2f  (target >= 0.5)\n", p1b / c
  printf "(b) postgres 2 nodes / COPY frames/s   = %.2f  (target >= 0.5)\n", p2b / c
  printf "(a) postgres 1 node / sqlite node      = %.2f  (target >= 0.5)\n", p1a / sa
  printf "(a) postgres 2 nodes / sqlite node     = %.2f  (target >= 0.5)\n", p2a / sa
  printf "(b) postgres 1 node / sqlite node      = %.2f\n", p1b / sb
  printf "year hourly, postgres / sqlite latency = %.2f  (target <= 2)\n", py / sy
}'
