#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: compute_node_info
short_description: List GPU compute nodes and optionally re-test their Docker connections
version_added: 0.1.0
description:
  - Lists compute-node records from the registry, filtered by region, listing, Docker status or GPU model.
  - With O(probe=true), re-tests the Docker connection of every selected node concurrently (a thread pool;
    the work is I/O bound) and stores each node's new C(docker_status). This is the periodic
    30-second status check; see the playbook C(gpufleet.ops.compute_node_monitor).
  - With O(probe=true) the result is C(changed) when a node's C(docker_status) changed. The time of
    the test, failure reasons and engine facts are refreshed without counting as a change.
author:
  - gpufleet.ops maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.actiongroup_compute
  - gpufleet.ops.compute_registry
attributes:
  check_mode:
    support: full
    description: Probes run (they only read), nothing is written to the registry.
  diff_mode:
    support: none
    description: Nothing to show; use M(gpufleet.ops.compute_node) for diffs.
  idempotent:
    support: full
    description: Without O(probe) nothing is written; with it only Docker status changes count.
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
    description: Re-test the Docker connection of every selected node and store the result.
    type: bool
    default: false
  max_workers:
    description: Number of connection tests run at the same time.
    type: int
    default: 128
'''

EXAMPLES = r'''
- name: List the listed nodes in one region
  gpufleet.ops.compute_node_info:
    region: beijing
    listed: true
  register: bj

- name: Re-test every node and keep their status current
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
  description: Names of the nodes whose Docker status changed in this run.
  returned: always
  type: list
  elements: str
  sample: [gpu-bj-07]
'''

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.node import (
    REGISTRY_ARGS, ComputeNodeService)
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import open_registry
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.secrets import (
    CRYPTOGRAPHY_IMPORT_ERROR, open_secret_box)


def main():
    argument_spec = dict(
        name=dict(type="list", elements="str"),
        region=dict(type="str"),
        listed=dict(type="bool"),
        docker_status=dict(type="str", choices=["connected", "failed", "unknown"]),
        gpu_name=dict(type="str"),
        probe=dict(type="bool", default=False),
        max_workers=dict(type="int", default=128),
    )
    argument_spec.update(REGISTRY_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if params["registry_key"] and CRYPTOGRAPHY_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_IMPORT_ERROR)
    if params["max_workers"] < 1:
        module.fail_json(msg="max_workers must be at least 1, got %d" % params["max_workers"])
    filters = dict(names=params["name"], region=params["region"], listed=params["listed"],
                   docker_status=params["docker_status"], gpu_name=params["gpu_name"])
    registry = None
    try:
        registry = open_registry(params["registry"], read_only=module.check_mode)
        box = open_secret_box(registry, params["registry_key"])
        service = ComputeNodeService(registry, box, timeout=params["timeout"], check_mode=module.check_mode,
                                     warn=module.warn)
        result = service.info(filters, do_probe=params["probe"], max_workers=params["max_workers"])
    except ComputeError as exc:
        module.fail_json(msg=str(exc))
    except Exception as exc:
        module.fail_json(msg="compute_node_info failed unexpectedly: %s" % exc, exception=traceback.format_exc())
    finally:
        if registry is not None:
            registry.close()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
