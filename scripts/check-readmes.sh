#!/usr/bin/env bash
# Every module under src/ is named in its folder's README.md (or, for a
# folder without one, in the nearest README above it): the layout stays
# documented as it grows. A module is a .h/.cc stem, tests excluded.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=0
while IFS= read -r file; do
  dir=$(dirname "$file")
  readme=$dir/README.md
  while [ ! -f "$readme" ]; do dir=$(dirname "$dir"); readme=$dir/README.md; done
  stem=$(basename "$file"); stem=${stem%.*}
  if ! grep -q -- "$stem" "$readme"; then
    echo "check-readmes: $file is not named in $readme" >&2
    missing=1
  fi
done < <(find src -name '*.h' -o -name '*.cc' | grep -v '_test\.cc$' | sort)
[ "$missing" -eq 0 ] && echo "check-readmes: every module under src/ is named in its README"
exit "$missing"
