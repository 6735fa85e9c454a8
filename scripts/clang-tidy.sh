#!/usr/bin/env bash
# clang-tidy (clang-tidy-14, the repository's .clang-tidy) over every non-test
# .cc file under src/ and the src/ headers they include, with the compile flags
# of a clang build's compile_commands.json (make test passes its ASan+UBSan
# build, build-asan, configured with clang-14). Any finding fails: .clang-tidy
# sets WarningsAsErrors to every check. Files run in parallel, JOBS at a time.
# Usage: scripts/clang-tidy.sh [BUILD_DIR [JOBS [FOLDER...]]]   (folders under src/; default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-asan}
jobs=${2:-$(nproc)}
shift $(( $# < 2 ? $# : 2 ))
folders=$(IFS='|'; echo "${*:-[^/]+}")
if [ ! -f "$build/compile_commands.json" ]; then
  echo "clang-tidy: no $build/compile_commands.json (configure that build first, with clang-14)" >&2
  exit 1
fi
# This repository's src/ only: not the generated sources in the build tree, not the tests.
files="^$(pwd)/src/(${folders})/(?!.*_test\.cc$).*\.cc$"
start=$(date +%s)
run-clang-tidy-14 -clang-tidy-binary clang-tidy-14 -p "$build" -j "$jobs" -quiet "$files" >"$build/clang-tidy.log" 2>&1 || {
  grep -E 'error:|warning:' -A3 "$build/clang-tidy.log" | head -200
  echo "clang-tidy: findings above (full output: $build/clang-tidy.log)"
  exit 1
}
checked=$(grep -c "clang-tidy-14.*$(pwd)/src/" "$build/clang-tidy.log" || true)
echo "clang-tidy: ${checked} files, no finding, $(( $(date +%s) - start )) s"
