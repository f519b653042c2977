#!/usr/bin/env bash
# Install the Debian packages the test suite needs (daemons started by the integration
# tests, tools used by the sanity run). Only acts as root; installs only what is missing.
set -euo pipefail

# Each package and what uses it (checked; nothing else is installed):
#   docker.io       dockerd for the compute, docker_tls and deploy integration tests (private daemons)
#   nginx           deploy tests: `nginx -t` on rendered configs, and the stand-in images' nginx
#   busybox-static  the stand-in images' shell and tools (tests/support/deploy, tests/support/dockerd)
#   iproute2        `ip` for the private daemons' bridges and address pools
#   python3         the stand-in images copy Debian's /usr/bin/python3 and its libraries
#   postgresql      tests/support/postgres.py starts a private server for the PostgreSQL registry tests
#   the shellcheck package: the shellcheck test of ansible-test sanity
#   rsync, git      hack/sanity.sh copies the git-listed files (tar is the fallback for rsync)
#   make            the entry point itself (`make test`)
#   cmake, gcc, binutils  the hami_core role tests build a stand-in HAMi-core and check its symbols (nm)
PACKAGES=(docker.io nginx busybox-static iproute2 python3 postgresql shellcheck rsync git make cmake gcc binutils)

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

# A bare Debian python3 cannot make the project's venv without python3-venv.
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi

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
