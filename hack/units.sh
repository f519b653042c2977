#!/usr/bin/env bash
# Run `ansible-test units` on a copy of this collection in build/units (copy, HOME and get-pip
# handling: hack/ansible-test-env.sh). ansible-test runs tests/unit with its own pytest set-up in a
# virtualenv of its own (--venv), so the project's .venv is never changed by its requirements.
#
# Environment: VENV, SANITY_PYTHON (default 3.11), SANITY_SRC as for hack/sanity.sh;
#   UNITS_ARGS  extra ansible-test arguments, e.g. "tests/unit/plugins/inventory" or "-v"
set -euo pipefail
# shellcheck source=hack/ansible-test-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/ansible-test-env.sh"
DEST="$ROOT/build/units/ansible_collections/gpufleet/ops"

# One run at a time per checkout: the copy is rebuilt at the start of every run.
exec 9>"$ANSIBLE_TEST_HOME/units.lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
  echo "units: waiting for another ansible-test units run in this checkout"
  flock 9
fi

echo "units: copying $SRC -> $DEST"
prepare_copy "$DEST"
# shellcheck disable=SC2206
extra=(${UNITS_ARGS:-})
cd "$DEST"
ANSIBLE_COLLECTIONS_PATH="${DEST%/ansible_collections/*}" \
  ansible-test units --python "$PYVER" --venv --requirements --color no --truncate 0 "${extra[@]}"
