#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: compute_node_info
short_description: List GPU compute nodes and optionally re-test their Docker connections
version_added: 0.1.0
description:
  - Lists compute-node records from the registry, filtered by region, listing, Docker status or GPU model.
  - With O(probe=true), re-tests the Docker connection of every selected node concurrently (a bounded
    thread pool; the work is I/O bound) and returns the live results. Nothing is stored.
  - This module never writes and never reports C(changed), also with O(probe=true). To record the
    status in the registry (the periodic 30-second check) use M(gpufleet.ops.compute_node_probe).
  - The registry is opened read-only; a registry that does not exist is read as empty and not created.
author:
  - gpufleet.ops maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.actiongroup_compute
  - gpufleet.ops.attributes.info_module
  - gpufleet.ops.compute_registry
  - gpufleet.ops.compute_docker.TIMEOUT
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
  docker_status:
    description: Only nodes with this Docker status (after the probe when O(probe=true)).
    type: str
    choices: [connected, failed, unknown]
  gpu_name:
    description: Only nodes with this GPU model.
    type: str
  probe:
    description: Re-test the Docker connection of every selected node and return the live result (nothing is stored).
    type: bool
    default: false
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
  - module: gpufleet.ops.compute_node_probe
'''

EXAMPLES = r'''
- name: List the listed nodes in one region
  gpufleet.ops.compute_node_info:
    region: beijing
    listed: true
  register: bj

- name: Test every node now, without recording anything
  gpufleet.ops.compute_node_info:
    probe: true
    registry_key: "{{ vault_registry_key }}"
  register: fleet

- name: Show nodes whose Docker endpoint failed
  ansible.builtin.debug:
    msg: "{{ fleet.failed_nodes }}"
'''

RETURN = r'''
nodes:
  description: The selected node records without secrets (see RV(gpufleet.ops.compute_node#module:node)).
  returned: always
  type: list
  elements: dict
  sample:
    - name: gpu-bj-01
      region: beijing
      docker_host: tcp://10.0.0.5:2376
      docker_status: connected
      docker_error: null
      listed: true
      has_client_key: true
      has_ssh_password: false
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
  description:
    - Names of the nodes whose live Docker status (O(probe=true)) differs from the stored one.
      Nothing is stored; M(gpufleet.ops.compute_node_probe) records it.
  returned: always
  type: list
  elements: str
  sample: [gpu-bj-07]
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import registry_spec, timeout_spec
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.service import ComputeNodeInfoService


def argument_spec():
    spec = dict(
        name=dict(type="list", elements="str"),
        region=dict(type="str"),
        listed=dict(type="bool"),
        docker_status=dict(type="str", choices=["connected", "failed", "unknown"]),
        gpu_name=dict(type="str"),
        probe=dict(type="bool", default=False),
        max_workers=dict(type="int", default=1024),
    )
    spec.update(timeout_spec())
    spec.update(registry_spec())
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, ComputeNodeInfoService(module).run)


if __name__ == "__main__":
    main()
