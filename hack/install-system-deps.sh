#!/usr/bin/env bash
# Install the Debian packages the test suite needs (daemons started by the integration
# tests, tools used by the sanity run). Only acts as root; installs only what is missing.
set -euo pipefail

PACKAGES=(docker.io nginx postgresql debootstrap busybox-static rsync git sqlite3 shellcheck iproute2)

if [[ "$(id -u)" != 0 ]]; then
  echo "install-system-deps: not root; skipping (needs: ${PACKAGES[*]})" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-system-deps: no apt-get; skipping (needs: ${PACKAGES[*]})" >&2
  exit 0
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if [[ "$pkg" == docker.io ]] && command -v dockerd >/dev/null 2>&1; then
    continue  # some Docker engine is already installed (docker-ce, a static build, ...)
  fi
  if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-system-deps: all present"
  exit 0
fi

echo "install-system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 NEEDRESTART_MODE=a
# Keep apt from starting the freshly installed daemons (nginx on :80, postgresql on :5432):
# the integration tests start their own instances. Only add a policy if none exists.
policy=/usr/sbin/policy-rc.d
created_policy=no
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 0755 "$policy"
  created_policy=yes
fi
trap 'if [[ "$created_policy" == yes ]]; then rm -f "$policy"; fi' EXIT

apt_opts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
for attempt in 1 2 3; do
  if apt-get update -q && apt-get install "${apt_opts[@]}" --no-install-recommends "${missing[@]}" </dev/null; then
    exit 0
  fi
  echo "install-system-deps: apt-get failed (attempt $attempt); retrying" >&2
  sleep $((attempt * 5))
done
echo "install-system-deps: could not install ${missing[*]}" >&2
exit 1
