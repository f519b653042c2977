// Copyright: (c) 2026, gpufleet.ops contributors
// GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
// SPDX-License-Identifier: GPL-3.0-or-later
//
// What a process sees under libvgpu.so (tests/gpu/hami_check.sh):
//   vgpu_probe alloc MIB   cudaMalloc MIB MiB; exit 0 if it succeeded, 3 on an out-of-memory error, 1 otherwise
//   vgpu_probe cudainfo    print cudaMemGetInfo's total and free, in MiB
//   vgpu_probe nvml        print NVML's total memory of device 0, in MiB
#include <cuda_runtime.h>
#include <nvml.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int alloc(size_t mib) {
    void *ptr = NULL;
    cudaError_t err = cudaMalloc(&ptr, mib << 20);
    if (err == cudaSuccess) {
        // touch it so the allocation is real
        cudaError_t set = cudaMemset(ptr, 0, mib << 20);
        cudaFree(ptr);
        printf("allocated %zu MiB (memset: %s)\n", mib, cudaGetErrorName(set));
        return set == cudaSuccess ? 0 : 1;
    }
    printf("allocating %zu MiB failed: %s (%s)\n", mib, cudaGetErrorName(err), cudaGetErrorString(err));
    return err == cudaErrorMemoryAllocation ? 3 : 1;
}

static int cudainfo(void) {
    size_t free_bytes = 0, total_bytes = 0;
    cudaError_t err = cudaMemGetInfo(&free_bytes, &total_bytes);
    if (err != cudaSuccess) {
        printf("cudaMemGetInfo failed: %s\n", cudaGetErrorName(err));
        return 1;
    }
    printf("%zu %zu\n", total_bytes >> 20, free_bytes >> 20);
    return 0;
}

static int nvml(void) {
    nvmlDevice_t device;
    nvmlMemory_t memory;
    nvmlReturn_t ret = nvmlInit_v2();
    if (ret == NVML_SUCCESS) ret = nvmlDeviceGetHandleByIndex_v2(0, &device);
    if (ret == NVML_SUCCESS) ret = nvmlDeviceGetMemoryInfo(device, &memory);
    if (ret != NVML_SUCCESS) {
        printf("NVML failed: %s\n", nvmlErrorString(ret));
        return 1;
    }
    printf("%llu\n", (unsigned long long)(memory.total >> 20));
    nvmlShutdown();
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "alloc") == 0) return alloc(strtoull(argv[2], NULL, 10));
    if (argc == 2 && strcmp(argv[1], "cudainfo") == 0) return cudainfo();
    if (argc == 2 && strcmp(argv[1], "nvml") == 0) return nvml();
    fprintf(stderr, "usage: %s alloc MIB | cudainfo | nvml\n", argv[0]);
    return 2;
}
