#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: node_label
short_description: Set, delete or read one label on one or many Kubernetes nodes
version_added: "0.1.0"
description:
  - V(present) sets O(key)=O(value) on every node of O(nodes) (C(gpuctl label node node-1 nvidia.com/gpu-type=a100-80g)).
    A node that already has O(key) with another value is refused (the seed's C(LabelConflict), HTTP 409) unless
    O(overwrite=true) (C(--overwrite)).
  - V(absent) deletes O(key) (C(gpuctl label node node-1 nvidia.com/gpu-type --delete)).
  - V(query) reads O(key) without changing anything (C(gpuctl get label node-1 --key=nvidia.com/gpu-type)).
  - Each node is reported in RV(success) or RV(failures) (C(NodeNotFound), C(LabelConflict),
    C(LabelNotFound), C(Conflict) when the node changed concurrently). The task fails when any node failed.
  - Every node is read and checked before the first write. When one fails that check, no node is written
    (RV(success) is empty and the other nodes' results say so), so a failed task changed nothing.
  - Label patches carry the node's C(resourceVersion), so a concurrent change answers HTTP 409 instead of being overwritten.
author:
  - gpufleet.ops contributors (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.actiongroup_gpuctl
  - gpufleet.ops.k8s_auth
attributes:
  check_mode:
    support: full
    description:
      - Every write the task would make is sent to the API server as a server-side dry run (C(dryRun=All)),
        so it is validated and answered as the server would store it; nothing is persisted.
  diff_mode:
    support: full
    description: The label on each node before and after.
  idempotent:
    support: full
    description: A second run reports C(changed=false).
options:
  nodes:
    description:
      - Node names.
    type: list
    elements: str
    required: true
  key:
    description:
      - Label key, for example V(nvidia.com/gpu-type) or V(company.com/gpu-model).
    type: str
    required: true
  value:
    description:
      - Label value. Required with O(state=present).
    type: str
  state:
    description:
      - V(present) sets the label, V(absent) deletes it, V(query) reads it.
    type: str
    choices: [present, absent, query]
    default: present
  overwrite:
    description:
      - Replace an existing label with a different value.
    type: bool
    default: false
seealso:
  - module: gpufleet.ops.gpu_node_info
  - module: gpufleet.ops.gpuctl_pool
"""

EXAMPLES = r"""
- name: Mark a node's GPU type (gpuctl label node node-1 nvidia.com/gpu-type=a100-80g)
  gpufleet.ops.node_label:
    nodes: [node-1]
    key: nvidia.com/gpu-type
    value: a100-80g

- name: Label several nodes, replacing existing values (gpuctl label node node-2 node-3 company.com/gpu-model=a100-40g --overwrite)
  gpufleet.ops.node_label:
    nodes: [node-2, node-3]
    key: company.com/gpu-model
    value: a100-40g
    overwrite: true

- name: Read one label (gpuctl get label node-1 --key=nvidia.com/gpu-type)
  gpufleet.ops.node_label:
    nodes: [node-1]
    key: nvidia.com/gpu-type
    state: query
  register: label

- name: Delete a label (gpuctl label node node-1 nvidia.com/gpu-type --delete)
  gpufleet.ops.node_label:
    nodes: [node-1]
    key: nvidia.com/gpu-type
    state: absent
"""

RETURN = r"""
success:
  description: Nodes handled successfully.
  returned: always
  type: list
  elements: str
  sample: [node-2]
failures:
  description:
    - Nodes that failed, with an error code and the reason (the seed's C(failed) list; Ansible reserves C(failed)).
  returned: always
  type: list
  elements: dict
  sample: [{"node_name": "node-3", "error": "NodeNotFound", "message": "node node-3 not found (HTTP 404)"}]
results:
  description: Per node, C(node_name), C(key), C(value) (the value now, or read), C(previous_value), C(changed), and C(error)/C(message) on failure.
  returned: always
  type: list
  elements: dict
  sample: [{"node_name": "node-1", "key": "nvidia.com/gpu-type", "value": "a100-80g", "previous_value": null, "changed": true}]
value:
  description: With O(state=query) and a single node, the label's value.
  returned: when O(state=query) and one node was read
  type: str
  sample: a100-80g
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.service import NodeLabelService


def main():
    module = AnsibleModule(
        argument_spec=connection.argument_spec(
            nodes=dict(type="list", elements="str", required=True),
            key=dict(type="str", required=True, no_log=False),
            value=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent", "query"]),
            overwrite=dict(type="bool", default=False),
        ),
        required_if=[("state", "present", ["value"])],
        supports_check_mode=True,
    )
    run_module(module, NodeLabelService(module).run)


if __name__ == "__main__":
    main()
