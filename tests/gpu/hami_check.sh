#!/usr/bin/env bash
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# HAMi-core on a real GPU, without Docker: build libvgpu.so from a source checkout against the
# local CUDA toolkit, then check what a process sees under LD_PRELOAD with a memory limit.
#
#   tests/gpu/hami_check.sh HAMI_CORE_SOURCE_DIR
#
# Environment: CUDA_HOME (/usr/local/cuda), BUILD_TYPE (Debug; Release reproduces the finding in
# roles/hami_core/README.md: only dlsym exported, no limit), LIMIT_MIB (1024), DEVICE (0),
# WORK (a new temporary directory). One line per check ("ok NAME: ..." or "FAIL NAME: ...");
# the exit status is the number of failed checks (0: all passed). Not part of `make test`.
set -u

SRC=${1:-}
CUDA_HOME=${CUDA_HOME:-/usr/local/cuda}
BUILD_TYPE=${BUILD_TYPE:-Debug}
LIMIT_MIB=${LIMIT_MIB:-1024}
DEVICE=${DEVICE:-0}
WORK=${WORK:-$(mktemp -d /tmp/hami-check.XXXXXX)}
HERE=$(cd "$(dirname "$0")" && pwd)
FAILED=0

ok() { printf 'ok %s: %s\n' "$1" "$2"; }
fail() { printf 'FAIL %s: %s\n' "$1" "$2"; FAILED=$((FAILED + 1)); }
finish() { printf '%s: %d check(s) failed; work directory %s\n' "$(basename "$0")" "$FAILED" "$WORK"; exit "$FAILED"; }

if [ -z "$SRC" ] || [ ! -f "$SRC/CMakeLists.txt" ]; then
  echo "usage: $0 HAMI_CORE_SOURCE_DIR (a HAMi-core checkout)" >&2
  exit 64
fi
SRC=$(cd "$SRC" && pwd)
export CUDA_HOME
export PATH="$CUDA_HOME/bin:$PATH"
export LIBRARY_PATH="$CUDA_HOME/lib64/stubs${LIBRARY_PATH:+:$LIBRARY_PATH}"
export CUDA_VISIBLE_DEVICES="$DEVICE"

# 1. the machine
if driver=$(nvidia-smi --query-gpu=driver_version,name,memory.total --format=csv,noheader -i "$DEVICE" 2>&1); then
  ok driver "$driver"
else
  fail driver "nvidia-smi failed: $driver"
  finish
fi
for tool in cmake make gcc nvcc nm; do
  command -v "$tool" >/dev/null 2>&1 || fail tools "$tool is missing"
done
[ "$FAILED" -eq 0 ] || finish
commit=$(git -C "$SRC" rev-parse HEAD 2>/dev/null || echo unknown)
ok source "$SRC at $commit, nvcc $(nvcc --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')"

# 2. the library, as the role builds it
build="$WORK/build-$BUILD_TYPE"
if cmake -S "$SRC" -B "$build" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DDLSYM_HOOK_ENABLE=1 -DMULTIPROCESS_LIMIT_ENABLE=1 \
     -DHOOK_MEMINFO_ENABLE=1 -DHOOK_NVML_ENABLE=1 -DTEST_DEVICE_ID=0 >"$WORK/cmake.log" 2>&1 \
   && cmake --build "$build" --target vgpu -- -j"$(nproc)" >"$WORK/build.log" 2>&1; then
  LIB="$build/libvgpu.so"
  ok build "$BUILD_TYPE libvgpu.so, $(stat -c %s "$LIB") bytes"
else
  fail build "see $WORK/cmake.log and $WORK/build.log: $(tail -n 3 "$WORK/build.log" "$WORK/cmake.log" 2>/dev/null | tr '\n' ' ')"
  finish
fi
exported=$(nm -D --defined-only "$LIB" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }')
missing=""
for symbol in dlsym cuInit cuGetProcAddress cuGetProcAddress_v2 cuMemAlloc_v2 cuMemFree_v2 cuMemGetInfo_v2 \
              cuLaunchKernel cuDeviceTotalMem_v2 nvmlInit_v2 nvmlDeviceGetMemoryInfo nvmlDeviceGetMemoryInfo_v2; do
  grep -qx "$symbol" <<<"$exported" || missing="$missing $symbol"
done
if [ -z "$missing" ]; then
  ok symbols "$(wc -l <<<"$exported") dynamic symbols, every hook the role requires"
else
  fail symbols "not exported:$missing"
fi

# 3. the probe program
PROBE="$WORK/vgpu_probe"
if nvcc -O2 -o "$PROBE" "$HERE/vgpu_probe.cu" -lnvidia-ml >"$WORK/nvcc.log" 2>&1; then
  ok probe "compiled $HERE/vgpu_probe.cu"
else
  fail probe "nvcc failed: $(tail -n 3 "$WORK/nvcc.log" | tr '\n' ' ')"
  finish
fi
under=$((LIMIT_MIB / 2))
over=$((LIMIT_MIB * 3 / 2))
# Without HAMi the over-limit size must fit, or the OOM check below would prove nothing.
if out=$("$PROBE" alloc "$over" 2>&1); then
  ok baseline "without libvgpu.so: $out"
else
  fail baseline "without libvgpu.so $over MiB must fit on device $DEVICE: $out"
fi

# 4. under libvgpu.so with a limit (a fresh shared region and lock directory, as vgpu_container gives)
mkdir -p /tmp/vgpulock && chmod 0777 /tmp/vgpulock 2>/dev/null
hami() {
  env LD_PRELOAD="$LIB" CUDA_REDIRECT="$LIB" CUDA_DEVICE_MEMORY_LIMIT="${LIMIT_MIB}m" \
    CUDA_DEVICE_MEMORY_SHARED_CACHE="$WORK/cudevshr.cache" LIBCUDA_LOG_LEVEL=0 "$@"
}
rm -f "$WORK/cudevshr.cache"
if out=$(hami "$PROBE" alloc "$under" 2>&1); then
  ok under-limit "$under MiB of ${LIMIT_MIB}m: $out"
else
  fail under-limit "$under MiB of ${LIMIT_MIB}m should succeed: $out"
fi
out=$(hami "$PROBE" alloc "$over" 2>&1)
case $? in
  3) ok over-limit "$over MiB of ${LIMIT_MIB}m refused: $(tail -n 1 <<<"$out")" ;;
  0) fail over-limit "$over MiB of ${LIMIT_MIB}m was allocated: the limit did not apply" ;;
  *) fail over-limit "$over MiB of ${LIMIT_MIB}m: not an out-of-memory error: $out" ;;
esac
if out=$(hami "$PROBE" nvml 2>&1) && [ "$(tail -n 1 <<<"$out")" = "$LIMIT_MIB" ]; then
  ok nvml "nvmlDeviceGetMemoryInfo total = $LIMIT_MIB MiB"
else
  fail nvml "nvmlDeviceGetMemoryInfo total should be $LIMIT_MIB MiB: $out"
fi
if out=$(hami "$PROBE" cudainfo 2>&1) && [ "$(tail -n 1 <<<"$out" | cut -d' ' -f1)" = "$LIMIT_MIB" ]; then
  ok cuda-meminfo "cudaMemGetInfo total = $LIMIT_MIB MiB"
else
  fail cuda-meminfo "cudaMemGetInfo total should be $LIMIT_MIB MiB: $out"
fi
if out=$(hami nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits -i "$DEVICE" 2>&1) \
   && [ "$(tr -d ' ' <<<"$out" | tail -n 1)" = "$LIMIT_MIB" ]; then
  ok nvidia-smi "memory.total = $LIMIT_MIB MiB"
else
  fail nvidia-smi "memory.total should be $LIMIT_MIB MiB: $out"
fi
finish
