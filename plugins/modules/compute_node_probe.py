#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: compute_node_probe
short_description: Test the Docker connection of GPU compute nodes and record their status
version_added: 0.1.0
description:
  - Re-tests the Docker connection of every selected compute node concurrently (a bounded thread pool;
    the work is I/O bound) and records each node's C(docker_status), C(docker_error), the time of the
    test (C(checked_at)) and the engine facts in the registry.
  - This is the periodic 30-second status check; the playbook C(gpufleet.ops.compute_node_monitor)
    and the role C(gpufleet.ops.compute_monitor) run it.
  - The result is C(changed) when a node's C(docker_status) changed. The time of the test, failure
    reasons and engine facts are recorded on every run without counting as a change.
  - Each node's result is applied to the latest stored record in its own transaction, so an edit made
    by M(gpufleet.ops.compute_node) during the probe is kept, and a node deleted meanwhile stays deleted.
  - To look at the nodes, or test them without recording anything, use M(gpufleet.ops.compute_node_info).
author:
  - gpufleet.ops maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.actiongroup_compute
  - gpufleet.ops.compute_registry
  - gpufleet.ops.compute_docker.TIMEOUT
attributes:
  check_mode:
    support: full
    description: The connection tests run (they only read); nothing is written to the registry.
  diff_mode:
    support: none
    description: The changed nodes are listed in RV(changed_nodes).
  idempotent:
    support: full
    description: Only a change of a node's Docker status counts as a change.
options:
  name:
    description: Only these nodes.
    type: list
    elements: str
  region:
    description: Only nodes in this region.
    type: str
  listed:
    description: Only listed (V(true)) or unlisted (V(false)) nodes.
    type: bool
  gpu_name:
    description: Only nodes with this GPU model.
    type: str
  docker_status:
    description: Only return nodes with this Docker status after the test (all selected nodes are tested).
    type: str
    choices: [connected, failed, unknown]
  max_workers:
    description:
      - Number of connection tests run at the same time, between 1 and 1024.
      - The default tests up to 1,024 nodes all at once, so unreachable ones (each waiting the whole
        O(timeout)) cost one timeout in all. The open-file limit is raised towards its hard limit when
        needed, and fewer tests run at once when it cannot hold them.
    type: int
    default: 1024
seealso:
  - module: gpufleet.ops.compute_node
  - module: gpufleet.ops.compute_node_info
'''

EXAMPLES = r'''
- name: Test every node and record its status
  gpufleet.ops.compute_node_probe:
    registry_key: "{{ vault_registry_key }}"
  register: fleet

- name: Report the nodes whose Docker endpoint failed
  ansible.builtin.debug:
    msg: "{{ fleet.failed_nodes }}"

- name: Test the listed nodes of one region
  gpufleet.ops.compute_node_probe:
    region: beijing
    listed: true
    timeout: 3
'''

RETURN = r'''
nodes:
  description: The tested node records without secrets (see RV(gpufleet.ops.compute_node#module:node)).
  returned: always
  type: list
  elements: dict
  sample:
    - name: gpu-bj-01
      docker_host: tcp://10.0.0.5:2376
      docker_status: connected
      docker_error: null
      checked_at: "2026-01-22T10:00:00Z"
summary:
  description: Number of returned nodes per Docker status.
  returned: always
  type: dict
  sample: {"connected": 12, "failed": 1, "unknown": 2}
failed_nodes:
  description: Name, address and reason of every returned node whose status is C(failed).
  returned: always
  type: list
  elements: dict
  sample:
    - name: gpu-bj-07
      docker_host: tcp://10.0.0.11:2376
      docker_error: "timeout: no answer within 5s"
changed_nodes:
  description: Names of the nodes whose Docker status changed in this run.
  returned: always
  type: list
  elements: str
  sample: [gpu-bj-07]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import registry_spec, timeout_spec
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.service import ComputeNodeProbeService


def argument_spec():
    spec = dict(
        name=dict(type="list", elements="str"),
        region=dict(type="str"),
        listed=dict(type="bool"),
        gpu_name=dict(type="str"),
        docker_status=dict(type="str", choices=["connected", "failed", "unknown"]),
        max_workers=dict(type="int", default=1024),
    )
    spec.update(timeout_spec())
    spec.update(registry_spec())
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, ComputeNodeProbeService(module).run)


if __name__ == "__main__":
    main()
