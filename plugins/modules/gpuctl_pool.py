#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: gpuctl_pool
short_description: Create and delete gpuctl resource pools and add or remove their nodes
version_added: "0.1.0"
description:
  - Manages gpuctl resource pools from C(kind=resource) specs (several documents per file, as in seed 004).
  - A pool's definition (description, declared nodes and GPU types, quota C(maxJobs) and C(maxGpuPerJob)) is stored
    in the ConfigMap C(gpuctl-pool-<name>) in O(namespace); its nodes carry the label C(gpuctl/pool=<name>)
    and, when the spec names one, C(nvidia.com/gpu-type=<gpu-type>).
  - A node belongs to one pool at a time (membership is one label that jobs select, and a node has one GPU type).
    Adding a node that is already in another pool fails with the node's path, before anything is written; two
    documents of one task that claim the same node fail with the file lines of both claims and what to change.
    Nodes are checked to exist before anything is written.
  - C(gpuType) (seed C(POST /pools)) lists the GPU types the pool admits; a job with another C(resources.gpu-type)
    is refused at submit (C(resources.gpu-type)), and declared nodes of another type are refused (C(nodes.<node>.gpu-type)).
  - C(exclusive=true) (or C(taintNodes=true)) taints the pool's nodes C(gpuctl/pool=<name>:NoSchedule) so only the
    pool's jobs, which then tolerate that taint, land there; C(taintNodes=false) keeps an exclusive pool untainted.
    Turning it off removes the taint; removing a node from the pool removes it too.
  - Equivalent of C(gpuctl create -f pool.yaml), C(gpuctl delete -f pool.yaml), C(gpuctl add node ... --pool)
    and C(gpuctl remove node ... --pool).
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
    description: The pool ConfigMap and the node labels before and after.
  idempotent:
    support: full
    description: A second run reports C(changed=false).
options:
  spec:
    description:
      - One C(kind=resource) spec (a dict) or a list of them.
    type: raw
  src:
    description:
      - Paths of YAML files on the managed host holding C(kind=resource) documents.
    type: list
    elements: path
  name:
    description:
      - Name of an existing pool, for O(add_nodes), O(remove_nodes) or O(state=absent) without a spec.
    type: str
  add_nodes:
    description:
      - Nodes to label C(gpuctl/pool=<name>) (C(gpuctl add node node-1 node-2 --pool <name>)). The pool must exist.
    type: list
    elements: str
    default: []
  remove_nodes:
    description:
      - Nodes whose C(gpuctl/pool) label is removed when it names this pool (C(gpuctl remove node node-3 --pool <name>)).
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) creates or updates the pools; V(absent) deletes them.
    type: str
    choices: [present, absent]
    default: present
  unlabel_nodes:
    description:
      - With O(state=absent), also remove the C(gpuctl/pool) label from the pool's nodes.
    type: bool
    default: true
  force:
    description:
      - With O(state=absent), delete the pool even if jobs still run in it.
    type: bool
    default: false
  namespace:
    description:
      - Namespace of the pool ConfigMaps. Created when missing.
    type: str
    default: gpuctl-system
seealso:
  - module: gpufleet.ops.gpuctl_pool_info
  - module: gpufleet.ops.node_label
"""

EXAMPLES = r"""
- name: Create the pools of a file (gpuctl create -f train-pool.yaml)
  gpufleet.ops.gpuctl_pool:
    src: /srv/pools/train-pool.yaml

- name: Inline pool with a quota
  gpufleet.ops.gpuctl_pool:
    spec:
      kind: resource
      version: v0.1
      pool:
        name: experiment-pool
        description: Tuning experiments
      nodes:
        node-4:
          gpu-type: t4
      quota:
        maxJobs: 50
        maxGpuPerJob: 2
      gpuType: [t4]
      exclusive: true

- name: Add nodes (gpuctl add node node-1 node-2 --pool training-pool)
  gpufleet.ops.gpuctl_pool:
    name: training-pool
    add_nodes: [node-1, node-2]

- name: Remove a node (gpuctl remove node node-3 --pool training-pool)
  gpufleet.ops.gpuctl_pool:
    name: training-pool
    remove_nodes: [node-3]

- name: Delete a pool (gpuctl delete -f train-pool.yaml)
  gpufleet.ops.gpuctl_pool:
    src: /srv/pools/train-pool.yaml
    state: absent
"""

RETURN = r"""
pools:
  description: One entry per pool of the task.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Pool name.
      type: str
      sample: training-pool
    status:
      description: V(created), V(updated), V(unchanged), V(deleted) or V(absent).
      type: str
      sample: created
    changed:
      description: Whether this pool changed.
      type: bool
      sample: true
    nodes_labelled:
      description: Nodes whose labels were (or would be) set.
      type: list
      elements: str
      sample: [node-1]
    nodes_unlabelled:
      description: Nodes whose pool label was (or would be) removed.
      type: list
      elements: str
      sample: [node-3]
    nodes_tainted:
      description: Nodes whose pool taint was (or would be) added or removed (C(exclusive), C(taintNodes)).
      type: list
      elements: str
      sample: [node-4]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.service import PoolService


def main():
    module = AnsibleModule(
        argument_spec=connection.argument_spec(
            spec=dict(type="raw"),
            src=dict(type="list", elements="path"),
            name=dict(type="str"),
            add_nodes=dict(type="list", elements="str", default=[]),
            remove_nodes=dict(type="list", elements="str", default=[]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            unlabel_nodes=dict(type="bool", default=True),
            force=dict(type="bool", default=False),
            namespace=dict(type="str", default="gpuctl-system"),
        ),
        required_one_of=[("spec", "src", "name")],
        mutually_exclusive=[("spec", "name"), ("src", "name")],
        supports_check_mode=True,
    )
    run_module(module, PoolService(module).run)


if __name__ == "__main__":
    main()
