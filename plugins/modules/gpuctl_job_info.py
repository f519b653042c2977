#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: gpuctl_job_info
short_description: List gpuctl jobs, describe one, or read its logs
version_added: "0.1.0"
description:
  - Without O(name), lists jobs with status and progress, filtered by kind, pool and status, one page at a time
    (C(gpuctl get jobs [--pool <pool>])).
  - With O(name), describes one job with its resources, pods, conditions, events and stored spec (C(gpuctl describe job <id>)).
  - With O(name) and O(logs=true), returns its logs (C(gpuctl logs <id>)), that is the last O(tail) lines per pod, optionally
    only lines containing O(keyword), optionally of one O(pod). Streaming (C(-f)) is not available in Ansible.
  - Status is one of V(pending), V(running), V(succeeded), V(failed), V(paused), V(terminating).
    Training progress is the mean of a C(gpuctl/progress) pod annotation (percent, written by the workload)
    or else the share of completed indexes.
author:
  - gpufleet.ops contributors (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.info_module
  - gpufleet.ops.attributes.actiongroup_gpuctl
  - gpufleet.ops.k8s_auth
options:
  name:
    description:
      - Job name or job id to describe. Omit to list jobs.
    type: str
  namespace:
    description:
      - Namespace to look in. Omit it to list jobs of all namespaces, or to find the job O(name) in any namespace
        (an error when the name exists in several).
    type: str
  kind:
    description:
      - Only list jobs of this kind.
    type: str
    choices: [training, inference, notebook]
  pool:
    description:
      - Only list jobs of this pool.
    type: str
  status:
    description:
      - Only list jobs with this status.
    type: str
    choices: [pending, running, succeeded, failed, paused, terminating]
  page:
    description:
      - Page number (from 1) of the list.
    type: int
    default: 1
  page_size:
    description:
      - Items per page.
    type: int
    default: 20
  events:
    description:
      - Include the events of the job and its pods when describing.
    type: bool
    default: true
  logs:
    description:
      - Return the job's logs instead of its description. Needs O(name).
    type: bool
    default: false
  tail:
    description:
      - Number of last lines per pod.
    type: int
    default: 100
  keyword:
    description:
      - Only keep log lines containing this text (case-insensitive).
    type: str
  pod:
    description:
      - Read the logs of this pod only.
    type: str
  container:
    description:
      - Container whose logs to read (default the pod's only container).
    type: str
  follow_seconds:
    description:
      - Follow the logs (C(gpuctl logs -f)) for this many seconds, every pod at once (up to 16 at a time), then return
        the last O(tail) lines plus everything written meanwhile, filtered by O(keyword). V(0) reads once.
      - A task has to end, so following is bounded; 1 to 3600 seconds.
    type: int
    default: 0
seealso:
  - module: gpufleet.ops.gpuctl_job
"""

EXAMPLES = r"""
- name: List all jobs (gpuctl get jobs)
  gpufleet.ops.gpuctl_job_info:
  register: jobs

- name: Running jobs of one pool (gpuctl get jobs --pool training-pool)
  gpufleet.ops.gpuctl_job_info:
    pool: training-pool
    status: running
    page_size: 50

- name: Describe a job (gpuctl describe job <job-id>)
  gpufleet.ops.gpuctl_job_info:
    name: qwen2-7b-llamafactory-sft
    namespace: default
  register: job

- name: Last 1000 lines mentioning "loss" (gpuctl logs <job-id>)
  gpufleet.ops.gpuctl_job_info:
    name: qwen2-7b-llamafactory-sft
    namespace: default
    logs: true
    tail: 1000
    keyword: loss

- name: Follow the logs for 30 seconds (gpuctl logs <job-id> -f)
  gpufleet.ops.gpuctl_job_info:
    name: qwen2-7b-llamafactory-sft
    logs: true
    follow_seconds: 30
    keyword: loss

- name: Why is my job pending?
  gpufleet.ops.gpuctl_job_info:
    name: qwen2-7b-llamafactory-sft
  register: job

- name: Say why
  ansible.builtin.debug:
    msg: "{{ job.job.pending_reason.sentence }}"
  when: job.job.pending_reason is not none
"""

RETURN = r"""
total:
  description: Number of jobs matching the filters (all pages).
  returned: when listing
  type: int
  sample: 42
page:
  description: Page returned.
  returned: when listing
  type: int
  sample: 1
page_size:
  description: Page size used.
  returned: when listing
  type: int
  sample: 20
items:
  description: Jobs of the page, sorted by namespace and name.
  returned: when listing
  type: list
  elements: dict
  contains:
    job_id:
      description: Stable job id.
      type: str
      sample: qwen2-7b-sft-1a2b3
    name:
      description: Job name.
      type: str
      sample: qwen2-7b-sft
    namespace:
      description: Namespace.
      type: str
      sample: default
    kind:
      description: V(training), V(inference) or V(notebook).
      type: str
      sample: training
    pool:
      description: Pool of the job.
      type: str
      sample: training-pool
    status:
      description: Job status.
      type: str
      sample: running
    gpu:
      description: GPUs of the job (all pods of one replica).
      type: int
      sample: 4
    gpu_type:
      description: Requested GPU type.
      type: str
      sample: a100-80g
    priority:
      description: Priority.
      type: str
      sample: high
    created_at:
      description: Creation time.
      type: str
      sample: "2026-01-01T10:00:00Z"
    started_at:
      description: Start time.
      type: str
      sample: "2026-01-01T10:05:00Z"
    progress:
      description: Training progress in percent (null for services).
      type: int
      sample: 65
job:
  description:
    - The described job; the fields of RV(items) plus C(version), C(description), C(yaml_content), C(spec), C(resources)
      (gpu, gpu_type, cpu, memory, gpu_share), C(pods), C(conditions), C(events), C(k8s_resources), C(endpoint)
      (services) and C(metrics).
    - C(metrics) holds the pods' CPU and memory use from C(metrics.k8s.io) when the cluster serves it
      (C(available=false) and the reason otherwise), and from DCGM through the custom metrics API
      (custom.metrics.k8s.io/v1beta2, prometheus-adapter with the rules of role C(gpufleet.ops.gpuctl_cluster))
      C(gpu_utilization) (%, mean over pods), C(gpu_memory_used_mib) (sum), C(gpu_memory_used_percent) and, for inference,
      C(requests_per_second) and C(request_latency_seconds); each null where the metric is not served, with the reason in
      C(gpu_reasons).
    - C(pending_reason) (null unless the job is pending) says why in one C(sentence), with a C(reason) code
      (C(ImagePull), C(PoolFull), C(NoNodeFits), C(FailedScheduling), C(NoNodes), C(Starting), C(Unknown)) and the
      C(evidence) (the scheduler's FailedScheduling message, the pool's nodes with free GPUs and types, the jobs using
      the pool's GPUs, GPUs reserved by paused jobs, the closest node).
  returned: when O(name) is given and O(logs=false)
  type: dict
  sample: {"job_id": "qwen2-7b-sft-1a2b3", "status": "running", "resources": {"gpu": 4, "cpu": "32", "memory": "128Gi"},
           "k8s_resources": {"kind": "Job", "name": "qwen2-7b-sft", "pods": ["qwen2-7b-sft-0-abcde"]}}
job_id:
  description: Job id of the job whose logs were read.
  returned: when O(logs=true)
  type: str
  sample: qwen2-7b-sft-1a2b3
name:
  description: Name of the job whose logs were read.
  returned: when O(logs=true)
  type: str
  sample: qwen2-7b-sft
logs:
  description: Log lines (prefixed with C([pod]) when the job has several pods).
  returned: when O(logs=true)
  type: list
  elements: str
  sample: ["2026-01-01T10:06:00Z [INFO] Starting training..."]
pods:
  description: Pods whose logs were read.
  returned: when O(logs=true)
  type: list
  elements: str
  sample: [qwen2-7b-sft-0-abcde]
pod_logs:
  description: Lines per pod.
  returned: when O(logs=true)
  type: dict
  sample: {"qwen2-7b-sft-0-abcde": ["..."]}
pod_errors:
  description: Pods whose logs could not be read, with the server's message.
  returned: when O(logs=true)
  type: dict
  sample: {}
last_timestamp:
  description: Last timestamp found in the returned lines.
  returned: when O(logs=true)
  type: str
  sample: "2026-01-01T10:06:30Z"
followed_seconds:
  description: How long the logs were followed (O(follow_seconds)); 0 for a single read.
  returned: when O(logs=true)
  type: int
  sample: 30
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.service import JobInfoService


def main():
    module = AnsibleModule(
        argument_spec=connection.argument_spec(
            name=dict(type="str"),
            namespace=dict(type="str"),
            kind=dict(type="str", choices=["training", "inference", "notebook"]),
            pool=dict(type="str"),
            status=dict(type="str", choices=["pending", "running", "succeeded", "failed", "paused", "terminating"]),
            page=dict(type="int", default=1),
            page_size=dict(type="int", default=20),
            events=dict(type="bool", default=True),
            logs=dict(type="bool", default=False),
            tail=dict(type="int", default=100),
            keyword=dict(type="str", no_log=False),
            pod=dict(type="str"),
            container=dict(type="str"),
            follow_seconds=dict(type="int", default=0),
        ),
        required_by={"pod": "name", "keyword": "name", "container": "name"},
        supports_check_mode=True,
    )
    run_module(module, JobInfoService(module).run)


if __name__ == "__main__":
    main()
