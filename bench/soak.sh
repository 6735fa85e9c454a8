#!/usr/bin/env bash
# bench/soak.sh [BUILD_DIR]: 10 minutes (SOAK_SECONDS) of mixed load on a real server: pushes,
# reads, file validations and a tenant's hostile JavaScript decoder. Prints RSS and the p99 of
# /healthz and of pushes every 30 s. Not a test: it asserts nothing. 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
export TELECOLLECT_BIN=$PWD/$build/src/cli/telecollect TELECOLLECT_SOURCE_DIR=$PWD
exec /usr/bin/python3 bench/soak.py
