#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: mlnode_info
short_description: List the ML nodes of a Gonka network node
version_added: 0.1.0
description:
  - Reads C(GET /admin/v1/nodes) once and returns every ML node, or the one named by O(id), with its
    configuration and its state (admin state, current and intended status).
  - Optionally checks whether a host appears among the current epoch's participants on a public
    Gonka API, the end-to-end check of the Gonka multi-node guide.
author:
  - gpufleet.ops maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.info_module
  - gpufleet.ops.attributes.actiongroup_gonka
  - gpufleet.ops.gonka
options:
  id:
    description:
      - Only return the node with this id. An unknown id gives an empty list, not a failure.
    type: str
  participants_url:
    description:
      - Base URL of a public Gonka API (for example C(http://node2.gonka.ai:8000)); its
        C(/v1/epochs/current/participants) is read when O(participant) is set.
      - If not set, the environment variable E(GONKA_GOVERNANCE_URL) is used.
    type: str
  participant:
    description:
      - This network node's participant address (C(gonka1...)) or its public URL, looked up among the
        current epoch's participants. Needs O(participants_url).
    type: str
'''

EXAMPLES = r'''
- name: List every ML node
  gpufleet.ops.mlnode_info:
    admin_url: http://localhost:9200
  register: mlnodes

- name: Show which nodes are disabled
  ansible.builtin.debug:
    msg: "{{ mlnodes.nodes | rejectattr('enabled') | map(attribute='id') | list }}"

- name: Read one node and check this host is in the current epoch
  gpufleet.ops.mlnode_info:
    id: node1
    participants_url: http://node2.gonka.ai:8000
    participant: gonka1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjnp7du
  register: node1
'''

RETURN = r'''
nodes:
  description:
    - The ML nodes, in the order the Admin API lists them.
    - Each has the node fields the Admin API returns (C(id), C(host), C(inference_port), C(poc_port),
      C(max_concurrent), C(models), C(hardware), C(inference_segment), C(poc_segment), C(node_num),
      C(version)), plus C(enabled) (the admin state), C(current_status), C(intended_status)
      (strings such as C(INFERENCE), C(POC), C(UNKNOWN), or null) and C(state), the raw state object.
  returned: always
  type: list
  elements: dict
  sample:
    - id: node1
      host: 10.0.0.21
      inference_port: 5050
      poc_port: 8080
      max_concurrent: 500
      models: {"Qwen/Qwen3-32B-FP8": {"args": []}}
      enabled: true
      current_status: INFERENCE
      intended_status: INFERENCE
participant:
  description:
    - Whether O(participant) is among the current epoch's participants, and its entry when it is.
  returned: when O(participant) is set
  type: dict
  sample: {"found": true, "epoch_group_id": 42, "entry": {"index": "gonka1...", "weight": 10}}
api_requests:
  description: Number of HTTP requests sent.
  returned: always
  type: int
  sample: 1
'''

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.connection import connection_spec
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.service import MlnodeInfoService


def main():
    spec = connection_spec()
    spec.update(
        id=dict(type="str"),
        participants_url=dict(type="str", fallback=(env_fallback, ["GONKA_GOVERNANCE_URL"])),
        participant=dict(type="str"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_by={"participant": ("participants_url",)})
    run_module(module, MlnodeInfoService(module).run)


if __name__ == "__main__":
    main()
