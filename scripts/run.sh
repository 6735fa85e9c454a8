#!/usr/bin/env bash
# make run: a ready-to-try server on 127.0.0.1:8080 with the embedded SQLite store.
# Creates data/ and data/telecollect.toml if absent, issues a fresh demo preprod token
# (the previous make-run token is revoked: tokens are only ever stored hashed), prints
# the brief's curl line rewritten for localhost, then serves until Ctrl-C.
set -euo pipefail
umask 077  # data/ and its config are private, as telecollect makes everything it writes (docs/operations.md)
bin=${1:-build/src/cli/telecollect}
top=$(cd "$(dirname "$0")/.." && pwd)
data=${TELECOLLECT_DATA:-$top/data}
listen=${TELECOLLECT_LISTEN:-127.0.0.1:8080}
config=$data/telecollect.toml
mkdir -p "$data/decoders"
if [ ! -f "$config" ]; then
  cat >"$config" <<TOML
# Written by 'make run'. Every key and its default: docs/configuration.md
data_dir = "$data"

[server]
listen = "$listen"

[decoders]
# Shipped decoders; $data/decoders is always searched too (drop your specs there, then kill -HUP).
dirs = ["$top/decoders"]
TOML
  echo "created $config"
fi
token=$("$bin" --config "$config" token create --tenant demo --env preprod --label make-run --replace 2>/dev/null)
port=${listen##*:}
cat <<MSG

telecollect — demo tenant "demo", env preprod. Your token (shown once, stored hashed):

  $token

Send the brief's frame (an LHT65 temperature/humidity reading):

  curl -i -X POST 'http://127.0.0.1:$port/' \\
    --header 'source: generic-sensors' \\
    --header 'Content-Type: application/json' \\
    --header 'Authorization: Basic $token' \\
    --data-raw '{"timestamp": "2019-04-28T12:59:36.599Z", "deviceid": "123124",
                 "payload": "cbf60b0d0376010add7fff", "devicetype": "dragino-lht65", "fport": 2}'

Then look at it:

  curl -s 'http://127.0.0.1:$port/v1/frames' -H 'Authorization: Bearer $token'
  curl -s 'http://127.0.0.1:$port/v1/modules/123124.temperature/measurements' -H 'Authorization: Bearer $token'

Serving on http://$listen (Ctrl-C stops; data in $data).
MSG
exec "$bin" --config "$config" serve
