#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: mlnode
short_description: Manage ML (inference) nodes on a Gonka network node's Admin API
version_added: 0.1.0
description:
  - Declares which ML nodes a Gonka network node knows, their vLLM arguments and their admin state,
    and makes the Admin API (C(/admin/v1/nodes), port 9200) match with the fewest requests.
  - One task manages one node (O(id) and its fields) or a whole list (O(nodes)). The current list
    is read once; new nodes are registered in one C(POST nodes/batch); existing nodes whose
    configuration differs are updated with C(POST nodes) (an upsert on every release); enable,
    disable and delete use their own endpoints. A run with nothing to change sends only the read.
  - Works against every Admin API release in use, Aug 2025 (v0.2.0) to v0.2.14, as C(docs/mlnode.md) details.
    The Aug 2025 release re-registers a node on update and so resets its admin state, so a disabled
    node is disabled again after an update. Its bare HTTP 500 C(error creating new node) is
    reported with the models outside the approved list as the likely cause. v0.2.9 to v0.2.11
    replace the models of a node without the enforced model, and v0.2.12 and later silently drop
    models that are not governance-approved; the module compares the answer with what it sent and
    fails that node, naming the models.
  - C(model_override) is unknown to every release read (up to v0.2.14), which drops it without a word.
    When no registered node carries it, it is sent but not compared, with one warning, so runs stay
    idempotent.
  - vLLM arguments may come from presets per model and GPU layout (O(gpu_layout), or derived from
    O(hardware)); explicit C(args) always win.
author:
  - gpufleet.ops maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.actiongroup_gonka
  - gpufleet.ops.gonka
attributes:
  check_mode:
    support: full
    description: Computes the same plan as a real run and sends no write request.
  diff_mode:
    support: full
    description: Shows each changed node's managed fields and admin state before and after.
  idempotent:
    support: full
    description: A second run with the same input reports C(changed=false) and sends only C(GET nodes).
options:
  id:
    description:
      - Unique identifier of the ML node. It is part of the URL path, so it may hold letters,
        digits and the characters C(.), C(_), C(:), C(@) and C(-).
      - Mutually exclusive with O(nodes).
    type: str
  host:
    description:
      - The ML node's static IP, DNS name, or Docker container name on the network node's network.
      - C(http://10.0.0.21) is accepted and sent as C(10.0.0.21), since the Admin API adds the
        scheme itself. The result says exactly what was sent.
      - C(https://) hosts are refused. Every Admin API release builds
        C(http://<host>:<port>/<version><segment>) itself, so C(https://<pod>-8080.proxy.runpod.net)
        (RunPod's proxy) can never be reached. For RunPod, run an nginx proxy on a host the network
        node reaches that strips C(/v3.0.8/) and passes to the pod's https URLs, and register that host.
      - A host with a port or a path is refused; use O(inference_port), O(poc_port),
        O(inference_segment) and O(poc_segment).
      - Required with O(state=present). With O(state=enabled) or O(state=disabled) it may be
        omitted for a node that is already registered.
    type: str
  inference_port:
    description:
      - Port for inference requests (the ML node's nginx port 5000, usually published as 5050;
        5000 on RunPod).
      - Managed declaratively; when omitted the default is the wanted value.
    type: int
    default: 5050
  poc_port:
    description:
      - Port for proof-of-compute and management (the ML node's nginx port 8080).
    type: int
    default: 8080
  max_concurrent:
    description:
      - Maximum number of concurrent inference requests for this node.
    type: int
    default: 500
  models:
    description:
      - Models the node serves, as a mapping of model name to C(args) (a list of strings), optionally with
        C(model_override) (C(hf_repo), C(hf_commit)), which no Admin API release up to v0.2.14 stores
        (see the description).
      - When C(args) is left out, it comes from the vLLM presets for the model and O(gpu_layout)
        (or the layout in O(hardware)); with no layout it is C([]).
      - A list of model names is accepted as shorthand for presets.
    type: raw
  hardware:
    description:
      - GPU inventory reported for the node, a list of C({type, count}).
      - Only compared when given; when omitted on an update the node's current hardware is sent
        back, because the current release clears it otherwise.
    type: list
    elements: dict
  gpu_layout:
    description:
      - GPU layout used to pick vLLM presets, C(<count>x<GPU>) such as C(8xH100) or C(8x4090).
      - Not sent to the Admin API.
    type: str
  inference_segment:
    description:
      - Path prefix for inference requests (for example C(/v3.0.8)), routed by the ML node's nginx.
      - Only managed when given.
    type: str
  poc_segment:
    description:
      - Path prefix for PoC requests. Only managed when given.
    type: str
  state:
    description:
      - V(present) registers the node and keeps its configuration; its admin state is left as it is
        (a new node starts enabled).
      - V(enabled) and V(disabled) also set the admin state. A disabled node keeps serving until the
        end of the epoch and is left out of the next proof-of-compute.
      - V(absent) deletes the node's configuration from the network node.
      - In O(nodes), each entry may carry its own C(state); this option is the default for entries
        without one.
    type: str
    choices: [present, absent, enabled, disabled]
    default: present
  nodes:
    description:
      - A list of nodes, each a dict with the keys of the single-node options (C(id), C(host),
        C(inference_port), C(poc_port), C(max_concurrent), C(models), C(hardware), C(gpu_layout),
        C(inference_segment), C(poc_segment), C(state)).
      - Every entry is validated before anything is sent; duplicate ids are refused.
    type: list
    elements: dict
  exclusive:
    description:
      - Delete registered nodes that are not in O(nodes).
      - Refused when O(nodes) keeps no node registered, so an empty or all-absent list cannot wipe
        the network node by accident.
    type: bool
    default: false
  vllm_presets:
    description:
      - Extra or replacement presets, a mapping of model name to a mapping of GPU layout to a list of arguments. A layout key C(*) applies
        to every layout of that model. They take precedence over the bundled presets.
    type: dict
  approved_models:
    description:
      - The governance-approved model list to check against, instead of a live lookup.
    type: list
    elements: str
  governance_url:
    description:
      - Base URL of a public Gonka API (for example the seed node, C(http://node2.gonka.ai:8000)) whose
        C(/v1/governance/models) gives the chain's live list of approved models.
      - If unreachable, models are checked against the bundled list, which is dated, and only warned about.
      - If not set, the environment variable E(GONKA_GOVERNANCE_URL) is used.
    type: str
  model_check:
    description:
      - V(strict) fails before sending when a model is missing from an authoritative list
        (O(approved_models) or the live O(governance_url) list) and warns when only the bundled
        list was available.
      - V(warn) only warns; V(off) skips the check. The server's own answer is checked in every mode.
    type: str
    choices: [strict, warn, 'off']
    default: strict
  parallel:
    description:
      - How many single-node requests (updates, enable, disable, delete) run at once.
    type: int
    default: 8
  results:
    description:
      - What RV(nodes) holds in list mode (O(nodes)). RV(counts) is always returned.
      - V(full) gives every node its full entry, with C(node) and C(requests) (request bodies included).
      - V(changed) gives a compact entry (no C(node), no C(requests)) for each node that changed or failed.
      - V(summary) gives a compact entry for each node that failed only.
      - V(auto) is V(full) for up to 100 nodes and V(changed) above. A full entry is about 1 KB, so at
        10,000 nodes the result would be 10 MB and most of the task's time would go into serializing it.
    type: str
    default: auto
    choices: [auto, full, changed, summary]
notes:
  - The Admin API has no authentication; run the module where port 9200 is reachable
    (on the network node, or through an SSH tunnel) and keep 9200 off public interfaces.
seealso:
  - module: gpufleet.ops.mlnode_info
'''

EXAMPLES = r'''
- name: Register one ML node (seed example)
  gpufleet.ops.mlnode:
    admin_url: http://localhost:9200
    id: node1
    host: 10.0.0.21
    models:
      Qwen/Qwen3-32B-FP8:
        args: []

- name: Register a 235B node on 8xH100 with preset vLLM arguments
  gpufleet.ops.mlnode:
    id: node-235b
    host: 10.0.0.22
    gpu_layout: 8xH100
    models:
      - Qwen/Qwen3-235B-A22B-Instruct-2507-FP8

- name: Register a RunPod ML node through an nginx proxy (10.0.0.30) that forwards to the pod
  gpufleet.ops.mlnode:
    id: runpod-node1
    host: 10.0.0.30
    inference_port: 5000
    poc_port: 8080
    max_concurrent: 300
    models:
      Qwen/Qwen3-32B-FP8:
        args: []

- name: Manage the whole fleet in one task, deleting nodes that are not listed
  gpufleet.ops.mlnode:
    governance_url: http://node2.gonka.ai:8000
    exclusive: true
    nodes:
      - id: node1
        host: 10.0.0.21
        gpu_layout: 8x4090
        models: [Qwen/Qwen3-32B-FP8]
      - id: node2
        host: 10.0.0.22
        max_concurrent: 800
        models:
          MiniMaxAI/MiniMax-M2.7:
            args: [--tensor-parallel-size, "4"]
      - id: node3
        state: disabled

- name: Disable a node before maintenance
  gpufleet.ops.mlnode:
    id: node1
    state: disabled

- name: Remove a node
  gpufleet.ops.mlnode:
    id: node1
    state: absent
'''

RETURN = r'''
node:
  description:
    - The node after the task, in single-node mode (O(id)); null after O(state=absent).
    - Node fields as the Admin API returns them, plus C(enabled), C(current_status),
      C(intended_status) and the raw C(state).
  returned: when O(id) is used
  type: dict
  sample:
    id: node1
    host: 10.0.0.21
    inference_port: 5050
    poc_port: 8080
    max_concurrent: 500
    models: {"Qwen/Qwen3-32B-FP8": {"args": []}}
    enabled: true
    current_status: UNKNOWN
actions:
  description: What was done to the node in single-node mode, in order.
  returned: when O(id) is used
  type: list
  elements: str
  sample: [update, disable]
requests:
  description: Every request sent for the node in single-node mode, with its body and HTTP status.
  returned: when O(id) is used
  type: list
  elements: dict
  sample: [{"method": "POST", "path": "/admin/v1/nodes", "status": 200, "body": {"id": "node1"}}]
nodes:
  description:
    - One entry per node in O(nodes) (and per node deleted by O(exclusive)) with O(results=full);
      only the nodes that changed or failed with O(results=changed), only those that failed with
      O(results=summary) (see O(results) for what V(auto) picks).
    - Each has C(id), C(actions) (C(create), C(update), C(delete), C(enable), C(disable)), C(changed),
      C(failed), and where they apply C(changed_fields), C(msg) (the failure) and C(notes) (for example
      what host was sent). Full entries also have C(node) (as in RV(node)) and C(requests) (method,
      path, body, status).
  returned: when O(nodes) is used
  type: list
  elements: dict
results:
  description: What RV(nodes) holds, V(full), V(changed) or V(summary) (V(auto) resolved).
  returned: when O(nodes) is used
  type: str
  sample: changed
counts:
  description:
    - How many nodes the task covered (C(total)), how many changed, stayed unchanged or failed, and per
      action how many were C(created), C(updated), C(deleted), C(enabled) and C(disabled) (nodes that
      did not fail; in check mode, what would be done).
  returned: always
  type: dict
  sample: {"total": 3, "changed": 2, "unchanged": 1, "failed": 0, "created": 1, "updated": 1,
           "deleted": 0, "enabled": 0, "disabled": 0}
api_requests:
  description: Number of HTTP requests sent, retries and reads included.
  returned: always
  type: int
  sample: 2
approved_models:
  description: The approved-model list the models were checked against, and where it came from.
  returned: when O(model_check) is not V(off) and a node is registered or updated
  type: dict
  sample: {"source": "bundled (2026-08)", "authoritative": false, "models": ["Qwen/Qwen3-32B-FP8"]}
'''

from ansible.module_utils.basic import AnsibleModule, env_fallback

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.connection import connection_spec
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.service import MlnodeService


def argument_spec():
    spec = connection_spec()
    spec.update(
        id=dict(type="str"),
        host=dict(type="str"),
        inference_port=dict(type="int", default=5050),
        poc_port=dict(type="int", default=8080),
        max_concurrent=dict(type="int", default=500),
        models=dict(type="raw"),
        hardware=dict(type="list", elements="dict"),
        gpu_layout=dict(type="str"),
        inference_segment=dict(type="str"),
        poc_segment=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent", "enabled", "disabled"]),
        nodes=dict(type="list", elements="dict"),
        exclusive=dict(type="bool", default=False),
        vllm_presets=dict(type="dict"),
        approved_models=dict(type="list", elements="str"),
        governance_url=dict(type="str", fallback=(env_fallback, ["GONKA_GOVERNANCE_URL"])),
        model_check=dict(type="str", default="strict", choices=["strict", "warn", "off"]),
        parallel=dict(type="int", default=8),
        results=dict(type="str", default="auto", choices=["auto", "full", "changed", "summary"]),
    )
    return spec


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        mutually_exclusive=[("id", "nodes")],
        required_one_of=[("id", "nodes")],
        supports_check_mode=True,
    )
    run_module(module, MlnodeService(module).run)


if __name__ == "__main__":
    main()
