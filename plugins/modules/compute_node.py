#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: compute_node
short_description: Create, update or delete a GPU compute node record and test its Docker connection
version_added: 0.1.0
description:
  - Keeps a record of a GPU compute node (hardware, addresses, SSH access, GPU and HAMi-core facts,
    Docker API endpoint and TLS material) in the compute-node registry.
  - Every save tests the node's Docker API connection (TLS with the node's own CA and client certificate,
    or plain TCP) and records O(docker_host)'s status in RV(node.docker_status) as C(connected),
    C(failed) (with the reason in RV(node.docker_error)) or C(unknown) (no O(docker_host), or it cannot be tested).
  - When the engine answers, what it reports (CPU count, memory, OS, kernel, Docker version, runtimes
    and GPU runtimes) is stored in RV(node.engine). O(cpu) and O(memory) are filled from it when you did
    not set them; values you set are kept, with a warning when the engine disagrees.
  - Options you leave out keep their stored value; set a string option to an empty string to clear it.
  - The node is reported C(changed) when a configuration field, a secret or RV(node.docker_status) changes.
    The time of the test, the failure reason and the engine facts are refreshed on every run but do not
    count as a change by themselves.
  - Deleting a node whose engine still runs containers fails unless O(force=true).
  - The TLS check never uses E(REQUESTS_CA_BUNDLE), E(CURL_CA_BUNDLE) or other environment settings;
    the server is verified against O(ca_path) only (or the system store when O(ca_path) is not set).
  - Every option is validated before the registry is opened; a failing run writes nothing and
    creates no registry file. Concurrent runs that change different fields of one node all keep
    their changes (the stored record is re-read, merged and written in one transaction).
author:
  - gpufleet.ops maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.actiongroup_compute
  - gpufleet.ops.compute_registry
  - gpufleet.ops.compute_docker
  - gpufleet.ops.compute_docker.TIMEOUT
attributes:
  check_mode:
    support: full
    description: The connection test runs (it only reads), nothing is written to the registry.
  diff_mode:
    support: full
    description: Shows the record before and after; secrets are masked.
  idempotent:
    support: full
    description: A second run with the same options reports no change unless the Docker status changed.
options:
  name:
    description: Name of the node; the key of the record.
    type: str
    required: true
  state:
    description: Whether the record should exist.
    type: str
    choices: [present, absent]
    default: present
  region:
    description: Region or site of the node.
    type: str
  cpu:
    description: CPU description, for example C(2x EPYC 7543) or C(64). Filled from the engine when not set.
    type: str
  memory:
    description: Memory, for example C(512 GiB). Filled from the engine when not set.
    type: str
  system_disk:
    description: Size of the system disk, for example C(500 GB).
    type: str
  data_disk:
    description: Size of the data disk, for example C(4 TB).
    type: str
  public_ip:
    description: Public IP address.
    type: str
  private_ip:
    description: Private IP address.
    type: str
  ssh_port:
    description: SSH port. A new node gets C(22) when this is not set.
    type: int
  ssh_user:
    description: SSH user name.
    type: str
  ssh_password:
    description:
      - SSH password. Stored encrypted; needs O(registry_key). Never returned or logged.
      - An empty string removes the stored password.
    type: str
  gpu_name:
    description: GPU model, for example C(NVIDIA GeForce RTX 3090).
    type: str
  gpu_count:
    description: Number of GPUs.
    type: int
  gpu_memory_gb:
    description: Memory of one GPU in GB.
    type: int
  hami_core_dir:
    description:
      - Path of the HAMi-core build directory on the node, for example C(/root/HAMi-core/build).
        Containers that use GPU memory slicing mount it at C(/libvgpu/build).
    type: str
  hami_core_commit:
    description:
      - The HAMi-core commit installed in O(hami_core_dir), 7 to 40 lowercase hex digits.
      - The C(gpufleet.ops.hami_core) role records it after a build.
    type: str
  listed:
    description: Whether the node is listed (offered for use). A new node gets C(true) when this is not set.
    type: bool
  remark:
    description: Free text.
    type: str
  force:
    description: With O(state=absent), delete the record even when the engine still runs containers.
    type: bool
    default: false
notes:
  - The C(gpufleet.ops.docker_tls) role turns a server's Docker daemon into a TLS endpoint and fetches the
    client certificate and key this module needs.
  - Runs on the host that holds the registry, normally the controller (C(delegate_to) C(localhost)).
seealso:
  - module: gpufleet.ops.compute_node_info
  - module: gpufleet.ops.compute_node_probe
'''

EXAMPLES = r'''
- name: Register a GPU node reachable over Docker TLS
  gpufleet.ops.compute_node:
    name: gpu-bj-01
    region: beijing
    public_ip: 203.0.113.10
    private_ip: 10.0.0.5
    ssh_user: root
    ssh_password: "{{ vault_gpu_bj_01_password }}"
    gpu_name: NVIDIA GeForce RTX 3090
    gpu_count: 8
    gpu_memory_gb: 24
    hami_core_dir: /root/HAMi-core/build
    docker_host: tcp://10.0.0.5:2376
    ca_path: "{{ playbook_dir }}/docker-tls/gpu-bj-01/ca.pem"
    client_cert: "{{ playbook_dir }}/docker-tls/gpu-bj-01/cert.pem"
    client_key: "{{ playbook_dir }}/docker-tls/gpu-bj-01/key.pem"
    registry_key: "{{ vault_registry_key }}"
  register: node

- name: Take a node off the list
  gpufleet.ops.compute_node:
    name: gpu-bj-01
    listed: false

- name: Delete a node record (fails while containers run on it)
  gpufleet.ops.compute_node:
    name: gpu-bj-01
    state: absent
'''

RETURN = r'''
node:
  description: The record without secrets (C(null) when deleted and it did not exist).
  returned: always
  type: dict
  contains:
    name:
      description: Node name.
      type: str
      sample: gpu-bj-01
    docker_status:
      description: Result of the Docker connection test.
      type: str
      sample: connected
    docker_error:
      description: Why the test failed or could not run; C(null) when connected.
      type: str
      sample: "server certificate rejected: unable to get local issuer certificate (wrong CA ...)"
    checked_at:
      description: UTC time of the last connection test.
      type: str
      sample: "2026-01-22T10:00:00Z"
    engine:
      description: What the engine reported at the last successful test.
      type: dict
      sample: {"ncpu": 64, "mem_total": 540000000000, "os": "Ubuntu 22.04.4 LTS", "docker_version": "26.1.3",
               "api_version": "1.45", "runtimes": ["nvidia", "runc"], "gpu_runtimes": ["nvidia"],
               "containers_running": 3}
    auto_fields:
      description: Fields that were filled from the engine rather than set by you.
      type: list
      elements: str
      sample: [cpu, memory]
    has_ssh_password:
      description: Whether an SSH password is stored (the password is never returned).
      type: bool
      sample: true
    has_client_key:
      description: Whether a client key is stored (the key is never returned).
      type: bool
      sample: true
  sample:
    name: gpu-bj-01
    region: beijing
    cpu: "64"
    memory: "503.2 GiB"
    public_ip: 203.0.113.10
    private_ip: 10.0.0.5
    ssh_port: 22
    ssh_user: root
    gpu_name: NVIDIA GeForce RTX 3090
    gpu_count: 8
    gpu_memory_gb: 24
    hami_core_dir: /root/HAMi-core/build
    docker_host: tcp://10.0.0.5:2376
    tls: true
    allow_insecure: false
    listed: true
    docker_status: connected
    docker_error: null
    has_ssh_password: true
    has_client_key: true
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import (
    DOCKER_REQUIRED_TOGETHER, docker_spec, registry_spec)
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.service import ComputeNodeService


def argument_spec():
    spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        region=dict(type="str"),
        cpu=dict(type="str"),
        memory=dict(type="str"),
        system_disk=dict(type="str"),
        data_disk=dict(type="str"),
        public_ip=dict(type="str"),
        private_ip=dict(type="str"),
        ssh_port=dict(type="int"),
        ssh_user=dict(type="str"),
        ssh_password=dict(type="str", no_log=True),
        gpu_name=dict(type="str"),
        gpu_count=dict(type="int"),
        gpu_memory_gb=dict(type="int"),
        hami_core_dir=dict(type="str"),
        hami_core_commit=dict(type="str"),
        listed=dict(type="bool"),
        remark=dict(type="str"),
        force=dict(type="bool", default=False),
    )
    spec.update(docker_spec())
    spec.update(registry_spec())
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True,
                           required_together=DOCKER_REQUIRED_TOGETHER)
    run_module(module, ComputeNodeService(module).run)


if __name__ == "__main__":
    main()
