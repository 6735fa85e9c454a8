#!/usr/bin/env bash
# Installs the Debian 12 packages telecollect needs, and only those missing.
# The one place where dependencies are listed. Idempotent; safe to run on every make.
#   scripts/install-deps.sh [build|test|bench]...   (default: build)
set -euo pipefail

build=(
  build-essential cmake ninja-build pkg-config git ca-certificates tzdata
  libboost1.81-dev libboost-url1.81-dev
  libsimdjson-dev libpugixml-dev libfast-float-dev libhowardhinnant-date-dev
  libmozjs-102-dev libcurl4-openssl-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  zlib1g-dev libarchive-dev libssl-dev libsqlite3-dev libpq-dev libseccomp-dev
  libjs-dygraphs libjs-bootstrap5
  libmosquitto-dev
  libyaml-dev
)
test=(
  libgtest-dev libgmock-dev clang-14 libclang-rt-14-dev curl python3 sqlite3 procps
  python3-pyftpdlib python3-openssl openssh-server openssh-client openssl
  nodejs clang-tidy-14 postgresql-15 nginx-light
  fuse3 python3-fusepy systemd
  chromium chromium-driver python3-selenium
  mosquitto mosquitto-clients python3-paho-mqtt
)
bench=(
  wrk nginx-light influxdb bc sqlite3 python3 postgresql-15
  chromium chromium-driver python3-selenium
  mosquitto mosquitto-clients
)

groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build)
wanted=()
for g in "${groups[@]}"; do
  case "$g" in
    build) wanted+=("${build[@]}") ;;
    test) wanted+=("${build[@]}" "${test[@]}") ;;
    bench) wanted+=("${build[@]}" "${bench[@]}") ;;
    *) echo "install-deps: unknown group '$g' (build|test|bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# npm (Adeunis's codec library, the reference of the Adeunis decoder tests):
# some nodejs builds carry their own npm, Debian's is a package of its own.
for g in "${groups[@]}"; do
  if [ "$g" = test ] && ! command -v npm >/dev/null; then missing+=(npm); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# Services (nginx, influxdb) must not be started by the package: benchmarks start their own.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
