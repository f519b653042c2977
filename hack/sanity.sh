#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of this collection, offline-safe.
#
# ansible-test wants the collection at .../ansible_collections/<ns>/<name>, so the files
# git knows about (tracked + untracked-not-ignored) are copied to
#   build/sanity/ansible_collections/gpufleet/ops
# and the tests run there.  Sanity-test virtualenvs are cached by ansible-test in
# ~/.ansible/test/venv, so only the first run on a machine installs pylint & co.
#
# Environment:
#   VENV            virtualenv providing ansible-test (default: <repo>/.venv)
#   SANITY_PYTHON   Python version to test with (default: 3.11)
#   SANITY_ARGS     extra ansible-test arguments, e.g. "--test pylint" or "-v"
#   SANITY_SRC      collection source tree to copy (default: this repository)
#   SANITY_JOBS     1 = run all tests in one ansible-test process (default: nproc; >=2 runs
#                   pylint in a second copy, in parallel with the other tests)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="${SANITY_SRC:-$ROOT}"
VENV="${VENV:-$ROOT/.venv}"
PYVER="${SANITY_PYTHON:-3.11}"
DEST="$ROOT/build/sanity/ansible_collections/gpufleet/ops"

if [[ ! -x "$VENV/bin/ansible-test" ]]; then
  echo "sanity: $VENV/bin/ansible-test missing; run 'make venv' first" >&2
  exit 2
fi
export PATH="$VENV/bin:$PATH"
unset ANSIBLE_COLLECTIONS_PATHS

# ansible-test keeps its sanity virtualenvs in ~/.ansible/test/venv, shared by every checkout
# on this machine; two runs creating the same virtualenv at once break each other.
lock="$HOME/.ansible/test/gpufleet-sanity.lock"
mkdir -p "$(dirname "$lock")"
exec 9>"$lock"
if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
  echo "sanity: waiting for another sanity run on this machine ($lock)"
  flock 9
fi

# ansible-test downloads get-pip.py for every new sanity venv; use the offline stand-in.
"$VENV/bin/python" "$ROOT/hack/get-pip-standin.py" --install

existing_files() {  # NUL-separated list of files git knows about that exist on disk
  git -C "$SRC" ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
    if [[ -e "$SRC/$f" || -L "$SRC/$f" ]]; then printf '%s\0' "$f"; fi
  done
}

prepare_copy() {  # prepare_copy DIR: fresh copy of the collection, committed to a throwaway git repo
  local dest="$1"
  rm -rf "$dest"
  mkdir -p "$dest"
  if command -v rsync >/dev/null 2>&1; then
    existing_files | rsync -a --from0 --files-from=- "$SRC/" "$dest/"
  else
    existing_files | tar -C "$SRC" --null --no-recursion -T - -cf - | tar -C "$dest" -xf -
  fi
  # A git repository in the copy lets ansible-test list exactly the copied files.
  git -C "$dest" init -q .
  git -C "$dest" add -A
  git -C "$dest" -c user.name=sanity -c user.email=sanity@localhost commit -q --no-verify --allow-empty -m sanity
}

run_sanity() {  # run_sanity DIR ARGS...: ansible-test sanity in the copy DIR
  local dest="$1"
  shift
  # No --docker (no registry here). The controller is $VENV itself; each sanity test gets
  # its own cached virtualenv (~/.ansible/test/venv) with the pinned tool versions.
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
