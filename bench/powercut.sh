#!/usr/bin/env bash
# bench/powercut.sh [BUILD_DIR]: hundreds of random power cuts per scenario (push, catalog,
# files, ftp, pull) on powerfs (tests/powercut). Not a test, not in `make bench` (about 5 s a cut on a
# loaded 2-core machine: files, catalog and ftp took 22 minutes for 100 cuts each).
# Prints per scenario: cut points tried, acknowledged items, items lost (must be 0),
# duplicates (must be 0), time per cut; exits 1 if anything was lost or duplicated.
#   POWERCUT_POINTS=100 POWERCUT_SCENARIO_SECONDS=3600 POWERCUT_SCENARIOS=push,catalog,files,ftp,pull
#   POWERCUT_SEED=<n> (default: the time; printed)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
scripts/install-deps.sh test
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
# A copy: a rebuild during the run must not swap the binary under it.
bin=$(mktemp -d)/telecollect
cp "$build/src/cli/telecollect" "$bin"
trap 'rm -rf "$(dirname "$bin")"' EXIT
export TELECOLLECT_BIN=$bin TELECOLLECT_SOURCE_DIR=$PWD
export POWERCUT_SEED=${POWERCUT_SEED:-$(date +%s)}
echo "powercut: seed $POWERCUT_SEED, ${POWERCUT_POINTS:-100} cut points per scenario"
/usr/bin/python3 bench/powercut.py
