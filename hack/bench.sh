#!/usr/bin/env bash
# `make bench`: run every benchmark in bench/ with the project's venv; each prints its own figures
# and ratios against the plain alternative measured in the same run. The target lines of all of
# them are repeated at the end. Arguments are benchmark names to run only those (e.g. `mlnode`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/build/collections"
export PATH="$VENV/bin:$PATH"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
benches=()
if [ "$#" -gt 0 ]; then
  for name in "$@"; do benches+=("bench/${name%_bench}_bench.py"); done
else
  benches=(bench/*_bench.py)
fi
status=0
for bench in "${benches[@]}"; do
  echo "==================== $bench" | tee -a "$log"
  "$VENV/bin/python" "$bench" 2>&1 | tee -a "$log" || status=$?
done
echo
echo "==================== targets"
grep -E "^=====|target" "$log" | grep -v "^==================== targets" || true
exit "$status"
