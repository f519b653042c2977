#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: gonka_doctor
short_description: Check a Gonka deployment and say what is wrong, where, the evidence and the fix
version_added: 0.1.0
description:
  - The checks behind C(playbooks/doctor.yml). Each check gives a status (C(ok), C(warn), C(fail), or C(skipped)
    with the reason), the evidence (an HTTP status, a config line or a log line) and, for C(warn) and C(fail),
    the fix in one sentence.
  - O(scope=network_node) runs on a network node. It reads the Admin API (C(GET nodes), C(GET setup/report) where
    the release has it, each node's state and admin state), the current epoch's participants, the governance
    models, the api container's C(DAPI_API__POC_CALLBACK_URL) (C(docker inspect)), connects to the callback
    port, probes every ML node's C(/health) and C(/api/v1/state) the way the api calls them, and checks the RunPod
    proxies (container, C(nginx -t), the pod's RunPod names).
  - O(scope=mlnode) runs on an ML node's host. It compares the ML node image with the release, runs C(nginx -t)
    in its C(inference) container and POSTs to the release's PoC callback route from inside its C(mlnode-308)
    container, where the ML node process sends its batches.
  - O(scope=vantage) runs on a host outside the private network and says which ports answer from there.
  - O(scope=summary) runs no probe. It merges earlier results (O(reports)) into one table, a Markdown report and a
    JSON document.
  - Read-only. Its Admin API client refuses write requests by construction; the docker CLI is used for C(ps),
    C(inspect) and C(exec) of read-only commands only. The callback POST carries an empty body, which the api
    answers without storing anything. It never reports a change and never fails because a check failed; the
    playbook decides the exit status from RV(any_failed).
  - Independent probes run concurrently (up to O(max_workers)), so many ML nodes take about as long as the
    slowest check.
author:
  - gpufleet.ops maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.info_module
  - gpufleet.ops.attributes.actiongroup_gonka
  - gpufleet.ops.gonka
options:
  scope:
    description: Which checks to run, by where this task runs; see the description.
    type: str
    required: true
    choices: [network_node, mlnode, vantage, summary]
  name:
    description: This host's name in the report (the inventory host name).
    type: str
  release:
    description: The Gonka release the deployment runs (C(gonka_release)), shown in the evidence.
    type: str
    default: "0.2.14"
  chain_mlnode_version:
    description: The chain's ML node version the api puts in front of every ML node URL (C(/v3.0.8/)).
    type: str
    default: v3.0.8
  poc_generated_path:
    description:
      - The release's PoC callback route under the callback URL; C({model}) is replaced by the URL-quoted model.
      - C(/v2/poc-batches/{model}/generated) from v0.2.8, C(/v1/poc-batches/generated) up to v0.2.7.
    type: str
    default: /v2/poc-batches/{model}/generated
  minimum_mlnode_version:
    description: The oldest ML node image version the release's api works with.
    type: str
    default: "3.0.10"
  mlnode_image:
    description: The ML node image the release runs (C(ghcr.io/gonka-ai/mlnode:3.0.14-post2) for v0.2.14).
    type: str
  api_container:
    description: Name of the network node's api container.
    type: str
    default: api
  callback_url:
    description:
      - The PoC callback URL the inventory gives (C(gonka_network_node_poc_callback_url)), compared with the one the
        api container runs with; its port is connected to from the network node.
    type: str
  split:
    description: Whether ML nodes run on other machines than the network node (then C(http://api:9100) is wrong).
    type: bool
    default: true
  participants_url:
    description: Base URL of a public Gonka API whose C(/v1/epochs/current/participants) is read.
    type: str
  participant:
    description: This network node's participant address (C(gonka1...)) or public URL, looked up among the participants.
    type: str
  governance_url:
    description: Base URL of a Gonka API whose C(/v1/governance/models) lists the approved models.
    type: str
  mlnodes:
    description: The ML nodes the inventory describes.
    type: list
    elements: dict
    default: []
    suboptions:
      id:
        description: The node id on the Admin API.
        type: str
        required: true
      host:
        description: The host it should be registered with.
        type: str
      poc_port:
        description: The PoC (management) port it should be registered with.
        type: int
      inference_port:
        description: The inference port it should be registered with.
        type: int
      poc_segment:
        description: Its PoC URL segment.
        type: str
        default: ""
      model:
        description: The model the inventory gives it.
        type: str
      project:
        description: Its Docker Compose project on its host (O(scope=mlnode)).
        type: str
      mlnode_service:
        description: The compose service of the ML node process.
        type: str
        default: mlnode-308
      nginx_service:
        description: The compose service of its nginx.
        type: str
        default: inference
      callback_from:
        description: Where to POST to the callback route from; C(host) for a RunPod pod Ansible logs into.
        type: str
        default: container
        choices: [container, host, none]
      callback_url:
        description: The callback URL the api really uses (O(scope=mlnode)).
        type: str
      runpod:
        description: Whether it runs in a RunPod pod behind a proxy on the network node.
        type: bool
        default: false
      runpod_id:
        description: The pod's RUNPOD_ID.
        type: str
      runpod_proxy_project:
        description: The compose project of its proxy on the network node.
        type: str
      runpod_upstreams:
        description: The URLs the proxy must forward to (the pod's C(https://<RUNPOD_ID>-8080.proxy.runpod.net), C(-5000)).
        type: list
        elements: str
        default: []
  exposure:
    description: Ports to try from the vantage point (O(scope=vantage)).
    type: list
    elements: dict
    default: []
    suboptions:
      target:
        description: What the port belongs to, for the report.
        type: str
        required: true
      address:
        description: The address to connect to.
        type: str
        required: true
      port:
        description: The port.
        type: int
        required: true
      want_open:
        description: Whether it must answer from there (false, the default, means it must not).
        type: bool
        default: false
  reports:
    description: Earlier results of this module (each with its RV(checks)), for O(scope=summary).
    type: list
    elements: dict
    default: []
  docker_cli:
    description: The docker CLI.
    type: str
    default: docker
  docker_host:
    description: The Docker daemon to ask (C(-H)); by default the CLI's own (C(DOCKER_HOST) or the local socket).
    type: str
  probe_timeout:
    description: Seconds each probe may take.
    type: int
    default: 10
  max_workers:
    description: How many probes run at once (one per ML node, so a fleet of up to this many takes about as long as its slowest node).
    type: int
    default: 128
notes:
  - The Admin API connection options are only used by O(scope=network_node).
seealso:
  - module: gpufleet.ops.mlnode_info
'''

EXAMPLES = r'''
- name: Check the network node and its ML nodes
  gpufleet.ops.gonka_doctor:
    scope: network_node
    name: "{{ inventory_hostname }}"
    admin_url: http://127.0.0.1:9200
    callback_url: http://10.0.0.10:9100
    governance_url: http://node2.gonka.ai:8000
    mlnodes:
      - id: ml1
        host: 10.0.0.21
        poc_port: 8080
        inference_port: 5050
        model: Qwen/Qwen3-32B-FP8
  register: nn_doctor

- name: Merge and render
  gpufleet.ops.gonka_doctor:
    scope: summary
    reports: ["{{ nn_doctor }}"]
  register: doctor

- name: Show the table
  ansible.builtin.debug:
    msg: "{{ doctor.table }}"
'''

RETURN = r'''
checks:
  description: Every check, worst first.
  returned: always
  type: list
  elements: dict
  contains:
    target:
      description: The network node or ML node id the check is about.
      type: str
    check:
      description: The check's name (C(callback_url), C(registered), C(reachable), ...).
      type: str
    status:
      description: C(ok), C(warn), C(fail) or C(skipped).
      type: str
    evidence:
      description: What was seen (HTTP status, config line, log line), or why the check was skipped.
      type: str
    fix:
      description: The fix in one sentence (C(warn) and C(fail) only).
      type: str
    host:
      description: The inventory host the check ran on.
      type: str
  sample:
    - {target: ml1, check: admin_state, status: fail, evidence: "admin_state enabled=false epoch=0",
       fix: "Enable it: POST /admin/v1/nodes/ml1/enable on the network node.", host: nn1, scope: network_node}
counts:
  description: Number of checks per status.
  returned: always
  type: dict
  sample: {ok: 30, warn: 0, fail: 1, skipped: 2}
any_failed:
  description: Whether any check failed (the playbook's exit status follows it).
  returned: always
  type: bool
table:
  description: The checks as fixed-width lines, worst first, a fix line under each warn and fail.
  returned: always
  type: list
  elements: str
callback_url:
  description: The C(DAPI_API__POC_CALLBACK_URL) the api container runs with (null when unknown).
  returned: when O(scope=network_node)
  type: str
markdown:
  description: The Markdown report.
  returned: when O(scope=summary)
  type: str
report:
  description: The JSON report (generated, counts, any_failed, checks).
  returned: when O(scope=summary)
  type: dict
elapsed:
  description: Seconds the checks took.
  returned: always
  type: float
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.connection import connection_spec
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.doctor import DoctorService, doctor_spec


def main():
    spec = connection_spec()
    spec.update(doctor_spec())
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    run_module(module, DoctorService(module).run)


if __name__ == "__main__":
    main()
