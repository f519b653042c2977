#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: vgpu_container
short_description: Run a container with a HAMi-core vGPU slice on a registered compute node
version_added: 0.2.0
description:
  - Creates, starts, stops or removes a GPU container on a compute node registered with
    M(gpufleet.ops.compute_node), over that node's Docker API with its TLS material (the server is
    verified against the node's CA only, never against E(REQUESTS_CA_BUNDLE)).
  - The container gets HAMi-core's GPU slicing. The node's C(hami_core_dir) is mounted read-only at
    C(/libvgpu/build); C(LD_PRELOAD) and C(CUDA_REDIRECT) name C(/libvgpu/build/libvgpu.so). The memory
    limit goes into C(CUDA_DEVICE_MEMORY_LIMIT) (for a count of GPUs) or into C(CUDA_DEVICE_MEMORY_LIMIT_<i>)
    for each listed device, always as whole MiB (C(8192m)). O(gpu_cores) goes into C(CUDA_DEVICE_SM_LIMIT).
    C(CUDA_DEVICE_MEMORY_SHARED_CACHE) names a file of this container, so a changed limit never meets a stale
    shared region. The host's C(/tmp/vgpulock) is mounted read-write.
  - GPUs are requested through Docker device requests (driver C(nvidia), capabilities C([[gpu]])), which
    needs the NVIDIA Container Toolkit on the node.
  - Before a container is created, the node's C(hami_core_dir) is checked for C(libvgpu.so) through Docker
    (a container with the same mounts is created, never started, inspected through the archive API and
    removed). The node must have O(check_image).
  - The spec's SHA-256 is stored in a label. The same options again report no change; other options
    remove the container and create it anew.
  - The module never pulls images; the image must be on the node.
  - The registry is only read.
author:
  - gpufleet.ops maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.actiongroup_compute
  - gpufleet.ops.compute_registry
  - gpufleet.ops.compute_docker.TIMEOUT
attributes:
  check_mode:
    support: full
    description:
      - Nothing is written to the node (the Docker client refuses every write in check mode).
      - C(libvgpu.so) is then only checked when an existing container already mounts C(hami_core_dir);
        otherwise a warning says it was not checked.
  diff_mode:
    support: full
    description: Shows image, command, HAMi environment, mounts, GPUs, limits and whether it runs.
  idempotent:
    support: full
    description: The same options again report no change.
options:
  compute_node:
    description: Name of the compute-node record (its C(docker_host), TLS material, C(hami_core_dir),
      C(gpu_memory_gb) and C(gpu_count) are used).
    type: str
    required: true
  name:
    description: Container name.
    type: str
    required: true
  image:
    description:
      - Image of the container; it must be on the node.
      - Required with O(state=started) and O(state=present). Without it, O(state=stopped) and
        O(state=absent) act on the existing container by name.
    type: str
  command:
    description: Command and arguments (the image's default when not set).
    type: list
    elements: str
  env:
    description:
      - Environment variables of the container; values must be strings.
      - The variables the module sets (C(LD_PRELOAD), C(CUDA_REDIRECT), C(CUDA_DEVICE_MEMORY_LIMIT*),
        C(CUDA_DEVICE_SM_LIMIT*), C(CUDA_DEVICE_MEMORY_SHARED_CACHE), C(NVIDIA_VISIBLE_DEVICES),
        C(CUDA_VISIBLE_DEVICES)) are refused here.
    type: dict
  gpus:
    description:
      - A number of GPUs (C(1) to C(16)), or a list of device indices (C([0, 3])).
      - Refused when above the node's C(gpu_count), or with an index outside C(0..gpu_count-1).
      - C(1) when not set.
    type: raw
  gpu_memory:
    description:
      - GPU memory of the slice, per GPU, in HAMi's units (C(8g), C(8192m)); C(8Gi) and C(8GiB) are accepted
        and converted. Written as whole MiB (C(8192m)).
      - Refused when above the node's C(gpu_memory_gb), and for anything HAMi-core would misread
        (a fraction such as C(1.5g), a leading C(0), no unit, or units it does not convert such as C(GB)).
      - Required with O(image).
    type: str
  gpu_cores:
    description: Percent of the GPU's SMs (C(1) to C(100)); no SM limit when not set.
    type: int
  state:
    description:
      - C(started) creates and starts it; C(present) creates it without starting it (a running one is left
        running); C(stopped) stops it; C(absent) removes it.
    type: str
    choices: [started, present, stopped, absent]
    default: started
  check_image:
    description:
      - Image of the short-lived container that checks C(hami_core_dir) for C(libvgpu.so). It is created but
        never started, so any image works; it must be on the node.
      - O(image) when not set.
    type: str
notes:
  - Requires Docker Engine API 1.40 or later on the node (device requests).
  - Prepare the node with the C(gpufleet.ops.hami_core) role (library, C(/tmp/vgpulock), record).
seealso:
  - module: gpufleet.ops.vgpu_container_info
  - module: gpufleet.ops.compute_node
'''

EXAMPLES = r'''
- name: A trainer with 8 GiB and 30% of the SMs of one GPU
  gpufleet.ops.vgpu_container:
    compute_node: gpu-a
    name: trainer-1
    image: nvcr.io/nvidia/pytorch:24.05-py3
    command: [python, train.py]
    env: {EPOCHS: "3"}
    gpus: 1
    gpu_memory: 8g
    gpu_cores: 30
    state: started
    registry_key: "{{ vault_registry_key }}"

- name: 4 GiB on each of devices 0 and 3
  gpufleet.ops.vgpu_container:
    compute_node: gpu-a
    name: notebook-7
    image: jupyter/base-notebook:latest
    gpus: [0, 3]
    gpu_memory: 4096m

- name: Remove it
  gpufleet.ops.vgpu_container:
    compute_node: gpu-a
    name: notebook-7
    state: absent
'''

RETURN = r'''
actions:
  description: What was (or in check mode would be) done, in order.
  returned: always
  type: list
  elements: str
  sample: [created, started]
container:
  description: The container after the run (C(null) when absent). In check mode, a container that would be
    created has no C(id).
  returned: always
  type: dict
  contains:
    id:
      description: Container ID.
      type: str
    name:
      description: Container name.
      type: str
    image:
      description: Image.
      type: str
    running:
      description: Whether it runs.
      type: bool
    hami_env:
      description: The HAMi-core variables of the container.
      type: dict
      sample: {"LD_PRELOAD": "/libvgpu/build/libvgpu.so", "CUDA_REDIRECT": "/libvgpu/build/libvgpu.so",
               "CUDA_DEVICE_MEMORY_LIMIT": "8192m", "CUDA_DEVICE_SM_LIMIT": "30",
               "CUDA_DEVICE_MEMORY_SHARED_CACHE": "/tmp/cudevshr-trainer-1-3f1c0e9a2b7d.cache"}
    mounts:
      description: Bind mounts (source on the node, target, read_only).
      type: list
      elements: dict
    gpus:
      description: Docker device requests (driver, count, device_ids, capabilities).
      type: list
      elements: dict
    limits:
      description: The vGPU limits (gpu_memory, gpu_memory_mib, gpu_cores, gpus).
      type: dict
    spec_hash:
      description: SHA-256 of the spec, kept in a label.
      type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import registry_spec, timeout_spec
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.vgpu import VgpuContainerService


def argument_spec():
    spec = dict(
        compute_node=dict(type="str", required=True),
        name=dict(type="str", required=True),
        image=dict(type="str"),
        command=dict(type="list", elements="str"),
        env=dict(type="dict"),
        gpus=dict(type="raw"),
        gpu_memory=dict(type="str"),
        gpu_cores=dict(type="int"),
        state=dict(type="str", default="started", choices=["started", "present", "stopped", "absent"]),
        check_image=dict(type="str"),
    )
    spec.update(timeout_spec())
    spec.update(registry_spec())
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, VgpuContainerService(module).run)


if __name__ == "__main__":
    main()
