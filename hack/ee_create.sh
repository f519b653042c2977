#!/usr/bin/env bash
# ansible-builder create for execution-environment.yml, then check the generated build context.
#
#   bash hack/ee_create.sh        (`make test` runs it; needs .venv with ansible-builder)
#
# 1. builds the collection tarball into build/ee/ (as gpufleet-ops.tar.gz, the name the EE file uses);
# 2. `ansible-builder create` writes the context to build/ee/context (no container engine needed);
# 3. fails unless the context holds the collection tarball, every Python requirement of
#    requirements.txt (psycopg among them), every system requirement of bindep.txt, and a
#    Containerfile that installs them. `ansible-builder build` is for a machine with a container
#    engine and registry (docs/awx.md).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
OUT=$ROOT/build/ee
CONTEXT=$OUT/context
cd "$ROOT"

rm -rf "$OUT" && mkdir -p "$OUT"
"$VENV/bin/ansible-galaxy" collection build --force --output-path "$OUT" . >/dev/null
tarball=$(ls "$OUT"/gpufleet-ops-*.tar.gz)
cp "$tarball" "$OUT/gpufleet-ops.tar.gz"
"$VENV/bin/ansible-builder" create --file execution-environment.yml --context "$CONTEXT" \
  --output-filename Containerfile >"$OUT/create.log" 2>&1 || { cat "$OUT/create.log" >&2; exit 1; }

fail=0
problem() { echo "ee_create: $*" >&2; fail=1; }
requirement_lines() { sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$1" | grep -v '^[[:space:]]*$' || true; }

[ -s "$CONTEXT/Containerfile" ] || problem "no Containerfile in $CONTEXT"
[ -s "$CONTEXT/_build/gpufleet_collection/gpufleet-ops.tar.gz" ] || problem "the collection tarball is not in the context"
grep -q '/build/gpufleet_collection/gpufleet-ops.tar.gz' "$CONTEXT/_build/requirements.yml" \
  || problem "_build/requirements.yml does not install the collection tarball"
while IFS= read -r line; do
  grep -qxF "$line" "$CONTEXT/_build/requirements.txt" || problem "Python requirement missing from the context: $line"
done < <(requirement_lines requirements.txt)
while IFS= read -r line; do
  grep -qxF "$line" "$CONTEXT/_build/bindep.txt" || problem "system requirement missing from the context: $line"
done < <(requirement_lines bindep.txt)
grep -qi '^psycopg' "$CONTEXT/_build/requirements.txt" \
  || problem "psycopg (PostgreSQL registry driver) is not a Python requirement (requirements.txt)"
grep -q 'introspect' "$CONTEXT/Containerfile" || problem "the Containerfile does not install the requirements"
[ $fail -eq 0 ] || exit 1
echo "ee_create: $CONTEXT ($(basename "$tarball"), $(requirement_lines requirements.txt | wc -l) Python and" \
  "$(requirement_lines bindep.txt | wc -l) system requirements)"
