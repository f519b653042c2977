#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: vgpu_container_info
short_description: List the vGPU containers of one compute node or of every node, with their limits
version_added: 0.2.0
description:
  - Lists the containers created by M(gpufleet.ops.vgpu_container) (found by their label) on one registered
    compute node, or on every node that has a C(docker_host), over each node's Docker TLS connection.
  - Nodes are asked concurrently. A node that cannot be reached is listed in RV(nodes) with its error;
    the module does not fail for it.
  - Never writes, never reports C(changed). To stop or remove a container use
    M(gpufleet.ops.vgpu_container) with O(gpufleet.ops.vgpu_container#module:state=stopped) or
    O(gpufleet.ops.vgpu_container#module:state=absent).
author:
  - gpufleet.ops maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.actiongroup_compute
  - gpufleet.ops.attributes.info_module
  - gpufleet.ops.compute_registry
  - gpufleet.ops.compute_docker.TIMEOUT
options:
  compute_node:
    description: Only this node (every node with a C(docker_host) when not set).
    type: str
  name:
    description: Only containers with these names.
    type: list
    elements: str
  max_workers:
    description: Number of nodes asked at the same time, between 1 and 1024.
    type: int
    default: 16
seealso:
  - module: gpufleet.ops.vgpu_container
'''

EXAMPLES = r'''
- name: The vGPU containers of one node
  gpufleet.ops.vgpu_container_info:
    compute_node: gpu-a
    registry_key: "{{ vault_registry_key }}"
  register: vgpus

- name: Stop every vGPU container of that node
  gpufleet.ops.vgpu_container:
    compute_node: gpu-a
    name: "{{ item.name }}"
    state: stopped
  loop: "{{ vgpus.containers }}"
'''

RETURN = r'''
containers:
  description: The vGPU containers, sorted by node and name (the same keys as
    RV(gpufleet.ops.vgpu_container#module:container), plus C(node)).
  returned: always
  type: list
  elements: dict
  sample:
    - name: trainer-1
      node: gpu-a
      running: true
      limits: {"gpu_memory": "8192m", "gpu_memory_mib": 8192, "gpu_cores": 30, "gpus": 1}
nodes:
  description: Each node asked, with its GPU facts, HAMi-core directory and commit, number of vGPU containers,
    and the error when it could not be asked.
  returned: always
  type: list
  elements: dict
  sample:
    - name: gpu-a
      hami_core_dir: /root/HAMi-core/build
      hami_core_commit: 8f3a89c67b037d8fdfe6c4cd4d8c4f0cd6504811
      gpu_count: 8
      gpu_memory_gb: 24
      containers: 1
      error: null
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import registry_spec, timeout_spec
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.vgpu import VgpuContainerInfoService


def argument_spec():
    spec = dict(
        compute_node=dict(type="str"),
        name=dict(type="list", elements="str"),
        max_workers=dict(type="int", default=16),
    )
    spec.update(timeout_spec())
    spec.update(registry_spec())
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, VgpuContainerInfoService(module).run)


if __name__ == "__main__":
    main()
