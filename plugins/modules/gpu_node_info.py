#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: gpu_node_info
short_description: List Kubernetes nodes with their GPUs and pools, or describe one node
version_added: "0.1.0"
description:
  - Without O(name), lists nodes with status, GPU total, used and free, bound pools, CPU, memory and GPU type
    (C(gpuctl get nodes)), filtered by O(pool) (C(--pool)), O(gpu_type) (C(--gpu-type)) and O(status).
  - With O(label_key), each listed node also carries that label's value (C(gpuctl get nodes --label <key>)).
  - With O(gpu_labels=true), returns every node's GPU-related labels and bound pools (C(gpuctl get gpu-type --all)).
  - With O(name), describes one node with its conditions, kernel and OS, CPU/memory/GPU totals and use, per-GPU detail,
    labels, bound pools and running jobs (C(gpuctl describe node <name>)).
  - Node status is V(active) (Ready), V(maintaining) (cordoned) or V(faulty) (not Ready).
    GPU use counts the C(nvidia.com/gpu) limits of pending and running pods; per-GPU utilisation is null
    because the API server does not know it (it needs the DCGM exporter).
author:
  - gpufleet.ops contributors (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.info_module
  - gpufleet.ops.attributes.actiongroup_gpuctl
  - gpufleet.ops.k8s_auth
options:
  name:
    description:
      - Node to describe. Omit to list nodes.
    type: str
  pool:
    description:
      - Only nodes of this pool (label C(gpuctl/pool)).
    type: str
  gpu_type:
    description:
      - Only nodes with this GPU type. A V(nvidia.com/) prefix, as the seed writes it, is dropped.
    type: str
  status:
    description:
      - Only nodes with this status.
    type: str
    choices: [active, maintaining, faulty]
  label_key:
    description:
      - Add this label's value to every listed node (C(label_key), C(label_value)).
    type: str
  gpu_labels:
    description:
      - Return every node's GPU-related labels and bound pools instead of the node list.
    type: bool
    default: false
  gpu_type_label:
    description:
      - Node label holding the GPU type.
    type: str
    default: nvidia.com/gpu-type
  gpu_detail:
    description:
      - Per-GPU utilisation and memory (C(gpuctl get nodes --gpu-detail)), from each node's NVIDIA dcgm-exporter
        (its C(/metrics) on O(dcgm_exporter_port), read through the API server's pod proxy, so no other endpoint
        or credential is needed), metrics C(DCGM_FI_DEV_GPU_UTIL), C(DCGM_FI_DEV_FB_USED), C(DCGM_FI_DEV_FB_FREE).
      - Listing adds C(gpus) to each node of the page; O(name) fills the figures of C(gpu_detail).
      - Where a node has no exporter (or it cannot be read), the figures are V(null) and C(reason) says why.
      - Costs one list of exporter pods and one proxied read per node shown.
    type: bool
    default: false
  dcgm_exporter_selector:
    description:
      - Label selector of the dcgm-exporter pods (the Helm chart's label; the GPU Operator uses V(app=nvidia-dcgm-exporter)).
    type: str
    default: app.kubernetes.io/name=dcgm-exporter
  dcgm_exporter_port:
    description:
      - Port of the exporter's metrics endpoint.
    type: int
    default: 9400
  page:
    description:
      - Page number (from 1).
    type: int
    default: 1
  page_size:
    description:
      - Items per page.
    type: int
    default: 20
seealso:
  - module: gpufleet.ops.node_label
  - module: gpufleet.ops.gpuctl_pool_info
"""

EXAMPLES = r"""
- name: All nodes (gpuctl get nodes)
  gpufleet.ops.gpu_node_info:
  register: nodes

- name: Nodes of a pool (gpuctl get nodes --pool training-pool)
  gpufleet.ops.gpu_node_info:
    pool: training-pool

- name: Nodes with a GPU type (gpuctl get nodes --gpu-type nvidia.com/a100-80g)
  gpufleet.ops.gpu_node_info:
    gpu_type: nvidia.com/a100-80g

- name: GPU type label of every node (gpuctl get nodes --gpu-type nvidia.com/gpu-type)
  gpufleet.ops.gpu_node_info:
    label_key: nvidia.com/gpu-type

- name: GPU labels and pools of all nodes (gpuctl get gpu-type --all)
  gpufleet.ops.gpu_node_info:
    gpu_labels: true

- name: Describe a node (gpuctl describe node node-1)
  gpufleet.ops.gpu_node_info:
    name: node-1
  register: node

- name: Per-GPU utilisation and memory (gpuctl get nodes --gpu-detail)
  gpufleet.ops.gpu_node_info:
    gpu_detail: true
"""

RETURN = r"""
total:
  description: Number of nodes matching (all pages).
  returned: when O(name) is not given
  type: int
  sample: 5
items:
  description:
    - Nodes with C(node_name), C(status), C(gpu_total), C(gpu_used), C(gpu_free), C(bound_pools), C(cpu), C(memory),
      C(gpu_type), C(created_at) (and C(label_key), C(label_value) with O(label_key)).
    - With O(gpu_labels=true), C(node_name), C(gpu_labels) (list of key/value) and C(bound_pools).
    - With O(gpu_detail=true), also C(gpu_count) and C(gpus) (as C(gpu_detail) of O(name)).
  returned: when O(name) is not given
  type: list
  elements: dict
  sample: [{"node_name": "node-1", "status": "active", "gpu_total": 8, "gpu_used": 4, "gpu_free": 4,
            "bound_pools": ["training-pool"], "cpu": "64", "memory": "256Gi", "gpu_type": "a100-80g"}]
page:
  description: Page returned.
  returned: when listing nodes
  type: int
  sample: 1
page_size:
  description: Page size used.
  returned: when listing nodes
  type: int
  sample: 20
node:
  description:
    - The described node; the fields of an item plus C(k8s_status), C(resources), C(gpu_detail), C(labels),
      C(running_jobs) and C(last_updated_at).
  returned: when O(name) is given
  type: dict
  sample: {"node_name": "node-1", "resources": {"gpu_total": 8, "gpu_used": 4, "gpu_free": 4},
           "gpu_detail": [{"gpu_id": "gpu-0", "type": "a100-80g", "status": "used", "utilization": 89.0,
                           "memory_used_mib": 72000, "memory_total_mib": 81920, "memory_usage": "70.3Gi/80Gi",
                           "uuid": "GPU-5fd4...", "reason": null}]}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.service import GpuNodeInfoService


def main():
    module = AnsibleModule(
        argument_spec=connection.argument_spec(
            name=dict(type="str"),
            pool=dict(type="str"),
            gpu_type=dict(type="str"),
            status=dict(type="str", choices=["active", "maintaining", "faulty"]),
            label_key=dict(type="str", no_log=False),
            gpu_labels=dict(type="bool", default=False),
            gpu_type_label=dict(type="str", default="nvidia.com/gpu-type"),
            gpu_detail=dict(type="bool", default=False),
            dcgm_exporter_selector=dict(type="str", default="app.kubernetes.io/name=dcgm-exporter"),
            dcgm_exporter_port=dict(type="int", default=9400),
            page=dict(type="int", default=1),
            page_size=dict(type="int", default=20),
        ),
        mutually_exclusive=[("name", "pool"), ("name", "gpu_type"), ("name", "status"), ("name", "gpu_labels")],
        supports_check_mode=True,
    )
    run_module(module, GpuNodeInfoService(module).run)


if __name__ == "__main__":
    main()
