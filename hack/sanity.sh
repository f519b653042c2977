#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of this collection in build/sanity, offline-safe
# (copy, HOME and get-pip handling: hack/ansible-test-env.sh). The sanity virtualenvs are cached
# in build/ansible-test-home, so only the first run in a checkout installs pylint & co.
#
# Environment:
#   VENV            virtualenv providing ansible-test (default: <repo>/.venv)
#   SANITY_PYTHON   Python version to test with (default: 3.11)
#   SANITY_ARGS     extra ansible-test arguments, e.g. "--test pylint" or "-v"
#   SANITY_SRC      collection source tree to copy (default: this repository)
#   SANITY_JOBS     1 = run all tests in one ansible-test process (default: nproc; >=2 runs
#                   pylint in a second copy, in parallel with the other tests)
set -euo pipefail
# shellcheck source=hack/ansible-test-env.sh
source "$(dirname "${BASH_SOURCE[0]}")/ansible-test-env.sh"
DEST="$ROOT/build/sanity/ansible_collections/gpufleet/ops"

# Two runs creating the same sanity virtualenv at once break each other.
lock="$ANSIBLE_TEST_HOME/sanity.lock"
exec 9>"$lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
  echo "sanity: waiting for another sanity run in this checkout ($lock)"
  flock 9
fi

run_sanity() {  # run_sanity DIR ARGS...: ansible-test sanity in the copy DIR
  local dest="$1"
  shift
  # No --docker (no registry here). The controller is $VENV itself; each sanity test gets
  # its own cached virtualenv with the pinned tool versions.
  (cd "$dest" && ANSIBLE_COLLECTIONS_PATH="${dest%/ansible_collections/*}" \
    ansible-test sanity --python "$PYVER" --requirements --color no --truncate 0 "$@")
}

echo "sanity: copying $SRC -> $DEST"
prepare_copy "$DEST"

# shellcheck disable=SC2206
extra=(${SANITY_ARGS:-})
jobs="${SANITY_JOBS:-$(nproc 2>/dev/null || echo 1)}"
if [[ ${#extra[@]} -gt 0 || "$jobs" -lt 2 ]]; then
  run_sanity "$DEST" "${extra[@]}"
  exit
fi

# pylint takes most of the time and runs on one core: run it beside all the other tests,
# each in its own copy, and print the two logs one after the other.
DEST2="$ROOT/build/sanity-pylint/ansible_collections/gpufleet/ops"
prepare_copy "$DEST2"
log_dir="$ROOT/build/sanity-logs"
mkdir -p "$log_dir"
run_sanity "$DEST2" --test pylint >"$log_dir/pylint.log" 2>&1 &
pylint_pid=$!
trap 'kill "$pylint_pid" 2>/dev/null || true' INT TERM
rc_other=0
run_sanity "$DEST" --skip-test pylint 2>&1 | tee "$log_dir/other.log" || rc_other=$?
rc_pylint=0
wait "$pylint_pid" || rc_pylint=$?
cat "$log_dir/pylint.log"
echo "sanity: pylint rc=$rc_pylint, other tests rc=$rc_other"
if [[ $rc_pylint -ne 0 || $rc_other -ne 0 ]]; then
  exit 1
fi
