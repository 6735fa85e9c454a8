#!/usr/bin/env bash
# make test: every test, in this order, stopping at the first failure:
#   0. every module under src/ is named in its folder's README (scripts/check-readmes.sh)
#   1. release build (-Werror) + unit and end-to-end tests (ctest)
#   2. ASan+UBSan build of the unit tests and of telecollect, with clang 14, warnings as errors
#      and clang's thread-safety analysis (-Wthread-safety: every TC_GUARDED_BY member touched
#      under its lock): the unit tests, and the end-to-end suites labelled "sanitized" (the HTTP
#      server and the push path; tests/CMakeLists.txt says which suites are left out and why)
#   3. clang-tidy (scripts/clang-tidy.sh, the repository's .clang-tidy) over src/core and src/server, with that
#      build's compile_commands.json: any finding fails
#   4. libFuzzer targets (clang 14), each run for FUZZ_SECONDS (default 20; envelope parsers, one
#      target each, ENVELOPE_FUZZ_SECONDS, default 8) from its seed corpus (envelopes share fuzz/corpus/envelope_fuzz;
#      configured_envelope_fuzz, whose inputs may hold a config, has its own)
# A skipped test is reported by ctest ("Skipped", the suites exit 77 for it); with CI set, any
# skip fails make test: in CI every dependency is there, so a skip can only hide a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

run_ctest() {  # run_ctest DIR CTEST-ARGS...: ctest in DIR; with CI set, a skipped test is a failure
  local dir=$1 log
  shift
  log=$(mktemp)
  (cd "$dir" && ctest --output-on-failure "$@") | tee "$log"
  if grep -Eq '\*\*\*Skipped|Not Run' "$log"; then
    echo "skipped tests (above): $(grep -Ec '\*\*\*Skipped|Not Run' "$log")"
    if [ -n "${CI:-}" ]; then rm -f "$log"; echo "CI is set: a skip is a failure"; exit 1; fi
  fi
  rm -f "$log"
}
jobs=$(nproc)
fuzz_seconds=${FUZZ_SECONDS:-20}
envelope_fuzz_seconds=${ENVELOPE_FUZZ_SECONDS:-8}

echo "== every module named in its folder README"
scripts/check-readmes.sh

echo "== release build"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTELECOLLECT_TESTS=ON >/dev/null
cmake --build build -j "$jobs"
echo "== unit and end-to-end tests"
run_ctest build -j "$jobs" --timeout 600

# SpiderMonkey (script decoders) installs its own signal handlers and allocator
# arenas, which ASan's interceptors do not follow: its tests (label "script")
# run in the release build only.
# Built with clang 14: the thread-safety analysis (TELECOLLECT_THREAD_SAFETY, on with clang) and
# -Werror (TELECOLLECT_WERROR) make an unlocked use of a TC_GUARDED_BY member a build failure.
echo "== ASan+UBSan (clang 14, -Wthread-safety -Werror): unit tests, and the end-to-end suites labelled sanitized against the ASan server"
stage_start=$(date +%s)
# A build-asan configured with another compiler (g++ before) is started again.
if [ -f build-asan/CMakeCache.txt ] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++-14$' build-asan/CMakeCache.txt; then
  rm -rf build-asan
fi
CC=clang-14 CXX=clang++-14 cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DTELECOLLECT_SANITIZE=ON \
  -DTELECOLLECT_TESTS=ON -DTELECOLLECT_THREAD_SAFETY=ON -DTELECOLLECT_WERROR=ON >/dev/null
cmake --build build-asan -j "$jobs" --target unit_tests telecollect
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  run_ctest build-asan -j "$jobs" -L '^(unit|sanitized)$' -LE script --timeout 900
echo "ASan+UBSan stage: $(( ($(date +%s) - stage_start) / 60 )) min"

echo "== clang-tidy over src/"
stage_start=$(date +%s)
scripts/clang-tidy.sh build-asan "$jobs" core server  # all of src/: about 13 min more (scripts/clang-tidy.sh)
echo "clang-tidy stage: $(( ($(date +%s) - stage_start) / 60 )) min"

echo "== fuzz (${fuzz_seconds}s per target)"
CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTELECOLLECT_FUZZ=ON -DTELECOLLECT_TESTS=OFF -DTELECOLLECT_WERROR=OFF >/dev/null
cmake --build build-fuzz -j "$jobs"
for target in build-fuzz/fuzz/*_fuzz; do
  name=$(basename "$target")
  seeds=fuzz/corpus/$name
  seconds=$fuzz_seconds
  case "$name" in envelope_*) seeds=fuzz/corpus/envelope_fuzz; seconds=$envelope_fuzz_seconds ;; esac
  work=$(mktemp -d)
  echo "-- $name"
  # Every crasher found before is replayed first (fuzz/regressions/<target>/).
  if [ -d "fuzz/regressions/$name" ]; then
    "$target" fuzz/regressions/"$name"/* >"$work/regressions.log" 2>&1 || {
      tail -50 "$work/regressions.log"; echo "fuzz target $name fails on a kept regression input"; exit 1; }
  fi
  "$target" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=0 \
    -artifact_prefix="$work/" "$work" "$seeds" 2>"$work/log" || {
      tail -50 "$work/log"; echo "fuzz target $name failed; crasher kept in $work"; exit 1; }
  grep -E '^#[0-9]+.*DONE' "$work/log" | tail -1 || true
  rm -rf "$work"
done
echo "all tests passed"
