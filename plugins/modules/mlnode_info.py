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
  - Optionally reads what Admin API releases v0.2.4 and later offer operators, the upgrade status
    (O(upgrade_status)), whether the ML nodes answer under a given version (O(version)) and the setup
    report (O(setup_report)). On a release without the endpoint the result key is null and RV(notes)
    says so; nothing fails.
  - Never writes. Its Admin API client refuses write requests by construction, and
    C(POST nodes/version-status) only reads.
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
  upgrade_status:
    description:
      - Read C(GET nodes/upgrade-status) (Admin API v0.2.4 and later) into RV(upgrade_status).
    type: bool
    default: false
  version:
    description:
      - Ask C(POST nodes/version-status) (v0.2.4 and later) whether every ML node answers under this
        ML node API version, for example C(v3.0.8); the answer is RV(version_status).
    type: str
  setup_report:
    description:
      - Read C(GET setup/report) (v0.2.4 and later) into RV(setup_report), the overall status and every
        check (keys, permissions, fee grant from v0.2.12, consensus key, epoch membership, missed
        requests, block sync, and one C(mlnode_<id>) check per ML node).
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: List every ML node
  gpufleet.ops.mlnode_info:
    admin_url: http://localhost:9200
  register: mlnodes

- name: Show which nodes are disabled
  ansible.builtin.debug:
    msg: "{{ mlnodes.nodes | rejectattr('enabled') | map(attribute='id') | list }}"

- name: Before an upgrade, check the setup and which nodes answer under the next ML node version
  gpufleet.ops.mlnode_info:
    setup_report: true
    upgrade_status: true
    version: v3.0.9
  register: health

- name: Fail when the setup report is not PASS
  ansible.builtin.assert:
    that: health.setup_report is none or health.setup_report.overall_status == 'PASS'
    fail_msg: "{{ health.setup_report.summary.issues | default([]) }}"

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
    - The ML nodes, sorted by id (every Admin API release lists them in a random order).
    - Each has the node fields the Admin API returns (C(id), C(host), C(inference_port), C(poc_port),
      C(max_concurrent), C(models), C(hardware) (null when never reported), C(inference_segment),
      C(poc_segment), C(node_num), and C(version) on the Aug 2025 release only), plus C(enabled) (the
      admin state), C(current_status), C(intended_status) (strings such as C(INFERENCE), C(POC),
      C(UNKNOWN)), C(ml_node_version) (the version the ML node reports, v0.2.12 and later, else null)
      and C(state), the raw state object.
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
upgrade_status:
  description:
    - The answer of C(GET nodes/upgrade-status) when O(upgrade_status=true), either a C(message)
      (V(No upgrade plan active)) or one C(is_alive), C(error) pair per node id; null on a release
      without the endpoint.
  returned: when O(upgrade_status=true)
  type: dict
  sample: {"node1": {"is_alive": true}}
version_status:
  description:
    - The answer of C(POST nodes/version-status) for O(version), one C(is_alive), C(error) pair per
      node id; null on a release without the endpoint.
  returned: when O(version) is set
  type: dict
  sample: {"node1": {"is_alive": false, "error": "connection refused"}}
setup_report:
  description:
    - The answer of C(GET setup/report) when O(setup_report=true) (C(overall_status) V(PASS), V(FAIL) or
      V(UNAVAILABLE), C(checks) with C(id), C(status), C(message) and C(details), C(summary)); null on a
      release without the endpoint.
  returned: when O(setup_report=true)
  type: dict
  sample: {"overall_status": "PASS", "checks": [{"id": "mlnode_node1", "status": "PASS", "message": "MLNode is healthy"}]}
notes:
  description: What this Admin API release does not offer, for each part asked for (and for C(ml_node_version)).
  returned: when something asked for is not available
  type: list
  elements: str
  sample: ["setup_report: not offered by this Admin API release (GET setup/report answered HTTP 404; releases from v0.2.4 have it)"]
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
        upgrade_status=dict(type="bool", default=False),
        version=dict(type="str"),
        setup_report=dict(type="bool", default=False),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_by={"participant": ("participants_url",)})
    run_module(module, MlnodeInfoService(module).run)


if __name__ == "__main__":
    main()
