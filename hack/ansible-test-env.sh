# shellcheck shell=bash
# Sourced by hack/sanity.sh and hack/units.sh: what every ansible-test run here shares.
#
# - ansible-test wants the collection at .../ansible_collections/<ns>/<name>: prepare_copy puts
#   the files git knows about (tracked + untracked-not-ignored) there, committed to a throwaway
#   git repository so ansible-test lists exactly those files.
# - ansible-test keeps its virtualenvs and downloads under ~/.ansible/test (a fixed path): HOME
#   points at build/ansible-test-home for ansible-test, so a run never writes into the user's
#   ~/.ansible. pip's own user configuration (index, certificates) is kept through PIP_CONFIG_FILE.
# - ansible-test downloads get-pip.py for every new virtualenv: hack/get-pip-standin.py caches the
#   real script, or an offline stand-in when the download is impossible (and says so).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="${SANITY_SRC:-$ROOT}"
VENV="${VENV:-$ROOT/.venv}"
export PYVER="${SANITY_PYTHON:-3.11}"  # used by the scripts that source this file

if [[ ! -x "$VENV/bin/ansible-test" ]]; then
  echo "ansible-test: $VENV/bin/ansible-test missing; run 'make venv' first" >&2
  exit 2
fi
export PATH="$VENV/bin:$PATH"
unset ANSIBLE_COLLECTIONS_PATHS

if [[ -z "${PIP_CONFIG_FILE:-}" ]]; then
  for conf in "${XDG_CONFIG_HOME:-$HOME/.config}/pip/pip.conf" "$HOME/.pip/pip.conf"; do
    if [[ -f "$conf" ]]; then export PIP_CONFIG_FILE="$conf"; break; fi
  done
fi
ANSIBLE_TEST_HOME="$ROOT/build/ansible-test-home"
mkdir -p "$ANSIBLE_TEST_HOME"
export HOME="$ANSIBLE_TEST_HOME"
unset XDG_CONFIG_HOME XDG_CACHE_HOME

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
  git -C "$dest" init -q .
  git -C "$dest" add -A
  git -C "$dest" -c user.name=ansible-test -c user.email=ansible-test@localhost \
    commit -q --no-verify --allow-empty -m "ansible-test copy"
}
