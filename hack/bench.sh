#!/usr/bin/env bash
# `make bench`: run every benchmark in bench/ with the project's venv; each prints its own figures.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/build/collections"
status=0
for bench in bench/*_bench.py; do
  echo "==================== $bench"
  "$VENV/bin/python" "$bench" || status=$?
done
exit "$status"
