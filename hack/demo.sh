#!/usr/bin/env bash
# `make demo`: start the Gonka Admin API simulator on 127.0.0.1 and run playbooks/demo.yml
# against it with the embedded inventory. No GPU, no network node, no cluster needed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
RELEASE="${GONKA_DEMO_RELEASE:-current}"
PORT="${GONKA_DEMO_PORT:-$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
LOG="$ROOT/build/demo-simulator.log"
mkdir -p "$ROOT/build"

"$VENV/bin/python" tests/support/gonka_sim.py --release "$RELEASE" --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
SIM_PID=$!
trap 'kill "$SIM_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  grep -q listening "$LOG" 2>/dev/null && break
  sleep 0.1
done
grep -q listening "$LOG" || { echo "demo: the Admin API simulator did not start:" >&2; cat "$LOG" >&2; exit 1; }
echo "demo: Gonka Admin API simulator ($RELEASE release) on http://127.0.0.1:$PORT"

export GONKA_ADMIN_API_URL="http://127.0.0.1:$PORT"
export ANSIBLE_COLLECTIONS_PATH="$ROOT/build/collections"
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml
export ANSIBLE_LOCALHOST_WARNING=false
"$VENV/bin/ansible-playbook" -i inventories/demo/hosts.yml playbooks/demo.yml "$@"
