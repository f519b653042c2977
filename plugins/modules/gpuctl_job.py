#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: gpuctl_job
short_description: Submit, pause, resume and delete gpuctl training, inference and notebook jobs on Kubernetes
version_added: "0.1.0"
description:
  - Takes the declarative gpuctl YAML an algorithm engineer writes (C(kind) V(training), V(inference) or V(notebook))
    and manages the Kubernetes objects it stands for.
  - V(training) becomes an Indexed Job with the DeepSpeed/torchrun environment (C(MASTER_ADDR), C(MASTER_PORT),
    C(WORLD_SIZE), C(NODE_RANK), C(PET_*)), plus a headless Service when it spans several pods (C(resources.nodes) > 1;
    a one-pod job uses C(MASTER_ADDR=127.0.0.1)); V(inference) becomes a Deployment, a Service and a
    HorizontalPodAutoscaler driven by NVIDIA DCGM metrics (GPU utilisation; GPU memory used through the
    C(gpuctl_gpu_memory_used_percent) rule of role C(gpufleet.ops.gpuctl_cluster)); V(notebook) becomes a
    Deployment and a Service. C(job.priority) becomes a PriorityClass C(gpuctl-<priority>).
  - The spec is validated before anything is sent to the cluster. Unknown or misspelt fields, wrong types and
    impossible requests fail with the YAML path of the field. A job naming C(resources.pool) is checked against
    that pool's quota (C(maxJobs), C(maxGpuPerJob)), its C(gpuType) allow-list (C(resources.gpu-type)) and the GPUs
    its paused jobs hold; a pool that does not exist is an error. Jobs of an C(exclusive) pool tolerate its node taint.
  - The same rendering is available without a cluster as the filter P(gpufleet.ops.gpuctl_manifests#filter).
  - Equivalent of C(gpuctl create -f), C(gpuctl delete -f [--force]), C(gpuctl pause) and C(gpuctl resume).
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
    description: Before and after of every object that changes, keyed by C(Kind/namespace/name).
  idempotent:
    support: full
    description: A second run with the same spec reports C(changed=false).
options:
  spec:
    description:
      - One gpuctl spec (a dict) or a list of specs, as written in seed 004 (C(kind), C(version), C(job),
        C(environment), C(resources), ...).
      - Ansible templates inline data, so a literal C({{model.name}}) in C(environment.args) must be marked
        C(!unsafe) or given through O(src) instead.
      - Mutually exclusive with O(name).
    type: raw
  src:
    description:
      - Paths of YAML files on the managed host, each holding one or more gpuctl specs separated by C(---).
      - Errors name the file, the document number and the field path, for example C(train.yaml#2) and C(resources.gpu).
    type: list
    elements: path
  name:
    description:
      - Name or job id of an existing job, for O(state=absent), O(state=paused) or O(state=resumed) without a spec.
    type: str
  state:
    description:
      - V(present) creates or updates the job; an update never changes whether it is paused.
      - V(absent) deletes every object of the job (Job or Deployment, Service, HorizontalPodAutoscaler).
      - V(paused) suspends a training Job (C(spec.suspend=true)) or scales a Deployment to zero, keeping the definition
        and remembering the replica count. A job that does not exist yet is created paused.
      - A paused job keeps its GPUs reserved in its pool (seed 004), so a new job of the pool that would need them is
        refused, naming the paused jobs. Resume starts the pods again; training restarts from its own checkpoints.
      - V(resumed) undoes V(paused).
    type: str
    choices: [present, absent, paused, resumed]
    default: present
  namespace:
    description:
      - Namespace of the jobs.
    type: str
    default: default
  pool_namespace:
    description:
      - Namespace holding the pool definitions (ConfigMaps written by M(gpufleet.ops.gpuctl_pool)), read for quota checks.
    type: str
    default: gpuctl-system
  force:
    description:
      - With O(state=absent), delete immediately (grace period 0) the job's objects and its pods, like C(gpuctl delete --force).
      - With O(state=present), allow deleting and recreating a training Job whose pod template changed
        (a Job's template is immutable in Kubernetes).
    type: bool
    default: false
  wait:
    description:
      - Wait until every job reaches O(wait_for). A failed training job fails the task.
    type: bool
    default: false
  wait_for:
    description:
      - V(ready) waits until all pods of the job run and are ready (or it completed).
      - V(complete) waits until a training job succeeded; for Deployments it is the same as V(ready).
    type: str
    choices: [ready, complete]
    default: ready
  wait_timeout:
    description:
      - How many seconds to wait in total per job.
    type: int
    default: 300
notes:
  - The job id is C(<name>-<5 hex digits>), derived from the namespace and name, so it is stable across runs.
seealso:
  - module: gpufleet.ops.gpuctl_job_info
  - module: gpufleet.ops.gpuctl_pool
  - plugin: gpufleet.ops.gpuctl_manifests
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Submit a training job from the YAML the engineer wrote (gpuctl create -f train-job.yaml)
  gpufleet.ops.gpuctl_job:
    src: /srv/jobs/training-job.yaml
    namespace: ml

- name: Submit several jobs at once (gpuctl create -f task1.yaml -f task2.yaml)
  gpufleet.ops.gpuctl_job:
    src:
      - /srv/jobs/task1.yaml
      - /srv/jobs/task2.yaml
    wait: true
    wait_timeout: 600

- name: Inline spec
  gpufleet.ops.gpuctl_job:
    spec:
      kind: training
      version: v0.1
      job:
        name: resnet-smoke
        priority: low
      environment:
        image: registry.example.com/pytorch:2.3
        command: ["torchrun", "train.py"]
      resources:
        pool: training-pool
        gpu: 2
        cpu: 8
        memory: 32Gi

- name: Pause a running job, keeping its definition (gpuctl pause)
  gpufleet.ops.gpuctl_job:
    name: resnet-smoke
    state: paused

- name: Resume it (gpuctl resume)
  gpufleet.ops.gpuctl_job:
    name: resnet-smoke
    state: resumed

- name: Delete immediately (gpuctl delete -f job.yaml --force)
  gpufleet.ops.gpuctl_job:
    src: /srv/jobs/training-job.yaml
    state: absent
    force: true
"""

RETURN = r"""
job_id:
  description: Job id of the first (or only) job of the task.
  returned: success
  type: str
  sample: qwen2-7b-llamafactory-sft-3f2a1
status:
  description: Status of the first job (V(pending), V(running), V(succeeded), V(failed), V(paused), V(terminating), V(absent)).
  returned: success
  type: str
  sample: pending
jobs:
  description: One entry per job of the task, shaped like the seed's create-job answer.
  returned: success
  type: list
  elements: dict
  contains:
    job_id:
      description: Stable job id.
      type: str
      sample: qwen2-7b-llamafactory-sft-3f2a1
    name:
      description: Job name (C(job.name)).
      type: str
      sample: qwen2-7b-llamafactory-sft
    kind:
      description: V(training), V(inference) or V(notebook).
      type: str
      sample: training
    namespace:
      description: Namespace of the job.
      type: str
      sample: default
    pool:
      description: Resource pool of the job, if any.
      type: str
      sample: training-pool
    status:
      description: Status after the task.
      type: str
      sample: pending
    changed:
      description: Whether this job changed.
      type: bool
      sample: true
    created_at:
      description: Creation time of the workload object.
      type: str
      sample: "2026-01-01T10:00:00Z"
    actions:
      description: What was (or in check mode would be) done to each object, keyed by C(Kind/namespace/name).
      type: dict
      sample: {"Job/default/qwen2-7b-llamafactory-sft": "create"}
    message:
      description: Human-readable summary.
      type: str
      sample: job submitted to pool training-pool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.service import JobService


def main():
    module = AnsibleModule(
        argument_spec=connection.argument_spec(
            spec=dict(type="raw"),
            src=dict(type="list", elements="path"),
            name=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent", "paused", "resumed"]),
            namespace=dict(type="str", default="default"),
            pool_namespace=dict(type="str", default="gpuctl-system"),
            force=dict(type="bool", default=False),
            wait=dict(type="bool", default=False),
            wait_for=dict(type="str", default="ready", choices=["ready", "complete"]),
            wait_timeout=dict(type="int", default=300),
        ),
        required_one_of=[("spec", "src", "name")],
        mutually_exclusive=[("spec", "name"), ("src", "name")],
        supports_check_mode=True,
    )
    run_module(module, JobService(module).run)


if __name__ == "__main__":
    main()
