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
export ANSIBLE_COLLECTIONS_PATH="$ROOT/build/sanity"
unset ANSIBLE_COLLECTIONS_PATHS

# ansible-test downloads get-pip.py for every new sanity venv; use the offline stand-in.
"$VENV/bin/python" "$ROOT/hack/get-pip-standin.py" --install

echo "sanity: copying $SRC -> $DEST"
rm -rf "$DEST"
mkdir -p "$DEST"
existing_files() {  # NUL-separated list of files git knows about that exist on disk
  git -C "$SRC" ls-files -co --exclude-standard -z | while IFS= read -r -d '' f; do
    if [[ -e "$SRC/$f" || -L "$SRC/$f" ]]; then printf '%s\0' "$f"; fi
  done
}
if command -v rsync >/dev/null 2>&1; then
  existing_files | rsync -a --from0 --files-from=- "$SRC/" "$DEST/"
else
  existing_files | tar -C "$SRC" --null --no-recursion -T - -cf - | tar -C "$DEST" -xf -
fi

cd "$DEST"
# A git repository in the copy lets ansible-test list exactly the copied files.
git init -q .
git add -A
git -c user.name=sanity -c user.email=sanity@localhost commit -q --no-verify --allow-empty -m sanity

# No --docker (no registry here). The controller is $VENV itself; each sanity test gets
# its own cached virtualenv with the pinned tool versions ansible-test requires.
# shellcheck disable=SC2086
exec ansible-test sanity --python "$PYVER" --requirements --color no --truncate 0 ${SANITY_ARGS:-}
