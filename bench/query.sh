#!/usr/bin/env bash
# bench/query.sh BIN — the read side against InfluxDB 1.x (issue 21): one data set from a
# fixed seed (default 500 meter modules x 1 year of 10-minute points; QUERY_SCALE=0.05 for a
# quick run), loaded into both; import rate, bytes per point after compaction, and the
# latency of six queries (min/median/max of QUERY_RUNS=5, alternating), whose answers must
# agree. Only 127.0.0.1; throw-away directories. See bench/query_bench.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/query_bench.py" "$(realpath "${1:-build/src/cli/telecollect}")"
