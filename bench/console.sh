#!/usr/bin/env bash
# bench/console.sh BIN — the web console's speed, measured in headless Chromium with the
# Performance API, on a store filled here: 100,000 frames (a year of 10-minute readings of one
# Dragino LHT65, 52,560 frames, and 47,440 of other devices).
#   - the Frames page opens (navigation start → the first table drawn), next to the raw
#     GET /v1/frames fetch of the same page of frames from the same browser;
#   - one module's year of 10-minute data (52,560 points) plotted: the draw alone and the
#     fetch + parse, next to the raw GET of the same measurements from the same browser.
# Targets (issue 20): each under 1 s. Only 127.0.0.1 is used.
set -euo pipefail
bin=$(realpath "${1:-build/src/cli/telecollect}")
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
TELECOLLECT_BIN=$bin TELECOLLECT_SOURCE_DIR=$top exec /usr/bin/python3 "$here/console_bench.py"
