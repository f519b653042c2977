#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: gpuctl_pool_info
short_description: List gpuctl resource pools with GPU totals, or describe one pool
version_added: "0.1.0"
description:
  - Without O(name), lists every pool with its GPU total, used and free counts, GPU types and quota
    (C(gpuctl get pools)).
  - With O(name), describes one pool with its nodes, GPUs per type, quota and jobs (C(gpuctl describe pool <name>)).
  - GPU totals are the nodes' allocatable C(nvidia.com/gpu); used GPUs are the C(nvidia.com/gpu) limits of
    pending and running pods bound to the pool's nodes.
author:
  - gpufleet.ops contributors (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.info_module
  - gpufleet.ops.attributes.actiongroup_gpuctl
  - gpufleet.ops.k8s_auth
options:
  name:
    description:
      - Pool to describe. Omit to list all pools.
    type: str
  namespace:
    description:
      - Namespace of the pool ConfigMaps.
    type: str
    default: gpuctl-system
  gpu_type_label:
    description:
      - Node label holding the GPU type.
    type: str
    default: nvidia.com/gpu-type
seealso:
  - module: gpufleet.ops.gpuctl_pool
  - module: gpufleet.ops.gpu_node_info
"""

EXAMPLES = r"""
- name: List pools (gpuctl get pools)
  gpufleet.ops.gpuctl_pool_info:
  register: pools

- name: Describe one pool (gpuctl describe pool training-pool)
  gpufleet.ops.gpuctl_pool_info:
    name: training-pool
  register: pool
"""

RETURN = r"""
total:
  description: Number of pools listed.
  returned: when O(name) is not given
  type: int
  sample: 2
items:
  description: The pools, sorted by name.
  returned: when O(name) is not given
  type: list
  elements: dict
  contains:
    name:
      description: Pool name.
      type: str
      sample: training-pool
    description:
      description: Pool description.
      type: str
      sample: Training pool
    gpu_total:
      description: GPUs on the pool's nodes.
      type: int
      sample: 32
    gpu_used:
      description:
        - GPUs requested by active pods on those nodes plus the GPUs paused jobs keep reserved (C(gpu_reserved));
          a paused job has no pods but its GPUs stay taken, so nothing else is admitted in their place.
      type: int
      sample: 16
    gpu_reserved:
      description: GPUs held by paused jobs of the pool.
      type: int
      sample: 4
    reserved_by:
      description: The paused jobs holding GPUs (C(namespace/name) -> GPUs).
      type: dict
      sample: {"ml/qwen2-7b-sft": 4}
    allowed_gpu_types:
      description: The pool's C(gpuType) allow-list (null when any type is admitted).
      type: list
      elements: str
      sample: [a100-80g, a100-40g]
    exclusive:
      description: Whether the pool is marked exclusive.
      type: bool
      sample: false
    gpu_free:
      description: C(gpu_total) minus C(gpu_used).
      type: int
      sample: 16
    gpu_type:
      description: GPU types present.
      type: list
      elements: str
      sample: [a100-80g]
    quota:
      description: The pool's quota (C(maxJobs), C(maxGpuPerJob)).
      type: dict
      sample: {"maxJobs": 100, "maxGpuPerJob": 8}
    node_count:
      description: Nodes labelled into the pool.
      type: int
      sample: 4
    status:
      description: V(active) (at least one ready node), V(inactive) or V(empty).
      type: str
      sample: active
pool:
  description: The described pool; like an item of RV(items) plus C(nodes), C(declared_nodes), C(jobs), and C(gpu_type) as a type -> GPU count mapping.
  returned: when O(name) is given
  type: dict
  sample: {"name": "training-pool", "nodes": ["node-1"], "gpu_total": 8, "gpu_used": 4, "gpu_free": 4,
           "gpu_type": {"a100-80g": 8}, "quota": {"maxJobs": 100, "maxGpuPerJob": 8},
           "jobs": [{"job_id": "qwen2-7b-sft-1a2b3", "name": "qwen2-7b-sft", "gpu": 4}]}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.service import PoolInfoService


def main():
    module = AnsibleModule(
        argument_spec=connection.argument_spec(
            name=dict(type="str"),
            namespace=dict(type="str", default="gpuctl-system"),
            gpu_type_label=dict(type="str", default="nvidia.com/gpu-type"),
        ),
        supports_check_mode=True,
    )
    run_module(module, PoolInfoService(module).run)


if __name__ == "__main__":
    main()
