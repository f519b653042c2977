#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpuctl benchmark.

1. Render N gpuctl specs (parse + validate + render) in-process.
2. Submit M training jobs in ONE gpufleet.ops.gpuctl_job task against the fake API server.
3. The plain alternative: kubernetes.core.k8s applying hand-written manifests of the same jobs
   (one task with a loop), against a fresh fake server.

Prints time, HTTP requests per job, the YAML a user writes (lines) and the ratios.
Usage: python bench/gpuctl_bench.py [--render 1000] [--jobs 100] [--skip-k8s-core]
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import json
import os
import sys
import tempfile
import time

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

from tests.support.ansible_run import ensure_collection_link, run_playbook  # noqa: E402

sys.path.insert(0, ensure_collection_link())

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection  # noqa: E402
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render  # noqa: E402
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation  # noqa: E402
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.pools import PoolManager  # noqa: E402
from tests.support import fake_k8s  # noqa: E402

KINDS = ("training", "inference", "notebook")


def make_spec(i, kind=None):
    kind = kind or KINDS[i % 3]
    spec = {"kind": kind, "version": "v0.1",
            "job": {"name": "bench-%s-%04d" % (kind, i), "priority": ("high", "medium", "low")[i % 3]},
            "environment": {"image": "registry.example.com/bench:%d" % (i % 7), "command": ["python", "run.py", "--seed", str(i)],
                            "env": [{"name": "SEED", "value": str(i)}]},
            "resources": {"pool": "bench-pool", "gpu": 1 + i % 2, "cpu": 4, "memory": "16Gi"}}
    if kind == "training":
        spec["job"]["epochs"] = 3
        spec["storage"] = {"workdirs": [{"path": "/data"}, {"path": "/output/run-%d" % i}]}
    elif kind == "inference":
        spec["service"] = {"replicas": 2, "port": 8000, "health_check": "/health"}
        spec["autoscaling"] = {"enabled": True, "minReplicas": 1, "maxReplicas": 4, "targetGPUUtilization": 70,
                               "scaleUpDelay": "60s", "scaleDownDelay": "300s"}
    else:
        spec["service"] = {"port": 8888}
        spec["storage"] = {"workdirs": [{"path": "/home/jovyan/work"}]}
    return spec


def bench_render(count):
    specs = [make_spec(i) for i in range(count)]
    start = time.perf_counter()
    manifests = 0
    for spec in specs:
        manifests += len(render.render(validation.parse_spec(spec), "bench", validated=True))
    elapsed = time.perf_counter() - start
    return {"specs": count, "manifests": manifests, "seconds": round(elapsed, 3), "ms_per_spec": round(1000 * elapsed / count, 3)}


def _lines(text):
    return sum(1 for line in text.splitlines() if line.strip() and not line.strip().startswith("#"))


POOL = {"kind": "resource", "version": "v0.1", "pool": {"name": "bench-pool"}, "nodes": ["bench-node"], "quota": {"maxGpuPerJob": 8}}

GPUCTL_PLAY = """---
- name: gpuctl bench
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Submit jobs
      gpufleet.ops.gpuctl_job:
        src: "{{ jobs_file }}"
        namespace: bench
"""

K8S_PLAY = """---
- name: kubernetes.core bench
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Apply manifests
      kubernetes.core.k8s:
        definition: "{{ item }}"
        state: present
      loop: "{{ lookup('ansible.builtin.file', manifests_file) | ansible.builtin.from_yaml_all | list }}"
"""


TOKEN = "bench-token"
GOAL_REQUESTS_PER_JOB = 2.0


def _server(nodes_gpus):
    srv = fake_k8s.start(token=TOKEN)
    srv.add_node("bench-node", gpus=nodes_gpus)
    srv.cluster.objects[("namespaces", "", "bench")] = {"apiVersion": "v1", "kind": "Namespace",
                                                        "metadata": {"name": "bench", "resourceVersion": "1"}, "status": {}}
    return srv


def bench_submit(count, tmp, skip_core=False):
    specs = [make_spec(i, "training") for i in range(count)]
    jobs_file = os.path.join(tmp, "jobs.yaml")
    spec_text = yaml.safe_dump_all(specs, sort_keys=False)
    with open(jobs_file, "w") as handle:
        handle.write(spec_text)
    manifests, seen = [], set()
    for spec in specs:
        for manifest in render.render(validation.parse_spec(spec), "bench", validated=True):
            key = (manifest["kind"], manifest["metadata"]["name"])
            if key not in seen:
                seen.add(key)
                manifests.append(manifest)
    manifests_file = os.path.join(tmp, "manifests.yaml")
    manifest_text = yaml.safe_dump_all(manifests, sort_keys=False)
    with open(manifests_file, "w") as handle:
        handle.write(manifest_text)
    for name, text in (("gpuctl.yml", GPUCTL_PLAY), ("k8s.yml", K8S_PLAY)):
        with open(os.path.join(tmp, name), "w") as handle:
            handle.write(text)

    out = {"jobs": count, "gpuctl_yaml_lines": _lines(spec_text), "manifest_yaml_lines": _lines(manifest_text),
           "manifests": len(manifests)}

    srv = _server(count * 2 + 8)
    try:
        PoolManager(connection.client_from_params({"host": srv.url, "api_key": TOKEN})).ensure(validation.parse_spec(POOL))
        before = len(srv.requests)
        start = time.perf_counter()
        env = {"K8S_AUTH_HOST": srv.url, "K8S_AUTH_API_KEY": TOKEN}
        res = run_playbook(os.path.join(tmp, "gpuctl.yml"), extra_vars={"jobs_file": jobs_file}, env=env, timeout=900)
        out["gpuctl_seconds"] = round(time.perf_counter() - start, 2)
        out["gpuctl_requests"] = len(srv.requests) - before
        out["gpuctl_rc"] = res.rc
        task = res.task("Submit jobs") if res.rc == 0 else {}
        out["gpuctl_jobs_created"] = sum(1 for j in task.get("jobs", []) if j["changed"])
        if res.rc != 0:
            out["gpuctl_error"] = res.stdout[-2000:]
        before = len(srv.requests)
        start = time.perf_counter()
        again = run_playbook(os.path.join(tmp, "gpuctl.yml"), extra_vars={"jobs_file": jobs_file}, env=env, timeout=900)
        out["gpuctl_rerun_seconds"] = round(time.perf_counter() - start, 2)
        out["gpuctl_rerun_requests"] = len(srv.requests) - before
        out["gpuctl_rerun_changed"] = again.task("Submit jobs").get("changed") if again.rc == 0 else None
    finally:
        srv.stop()
    if skip_core:
        return out

    srv = _server(count * 2 + 8)
    try:
        before = len(srv.requests)
        start = time.perf_counter()
        res = run_playbook(os.path.join(tmp, "k8s.yml"), extra_vars={"manifests_file": manifests_file},
                           env={"K8S_AUTH_HOST": srv.url, "K8S_AUTH_API_KEY": TOKEN, "K8S_AUTH_VERIFY_SSL": "false"}, timeout=1800)
        out["k8s_core_seconds"] = round(time.perf_counter() - start, 2)
        out["k8s_core_requests"] = len(srv.requests) - before
        out["k8s_core_rc"] = res.rc
        out["k8s_core_unhandled"] = sorted(set(srv.unhandled))[:10]
        if res.rc != 0:
            out["k8s_core_error"] = res.stdout[-2000:]
        out["k8s_core_jobs_created"] = len(srv.list("jobs", "bench"))
    finally:
        srv.stop()
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--skip-k8s-core", action="store_true")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    result = {"render": bench_render(args.render)}
    with tempfile.TemporaryDirectory(prefix="gpuctl-bench-") as tmp:
        result["submit"] = bench_submit(args.jobs, tmp, args.skip_k8s_core)
    sub = result["submit"]
    if sub.get("k8s_core_seconds"):
        result["ratios"] = {
            "time_k8s_core_over_gpuctl": round(sub["k8s_core_seconds"] / sub["gpuctl_seconds"], 2),
            "requests_k8s_core_over_gpuctl": round(sub["k8s_core_requests"] / max(1, sub["gpuctl_requests"]), 2),
            "yaml_lines_manifests_over_gpuctl": round(sub["manifest_yaml_lines"] / sub["gpuctl_yaml_lines"], 2),
        }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    r = result["render"]
    print("render: %d specs -> %d manifests in %.3f s (%.3f ms/spec)" % (r["specs"], r["manifests"], r["seconds"], r["ms_per_spec"]))
    n = sub["jobs"]
    print("YAML a user writes for %d training jobs: gpuctl %d lines, Kubernetes manifests %d lines (%d objects)"
          % (n, sub["gpuctl_yaml_lines"], sub["manifest_yaml_lines"], sub["manifests"]))
    print("gpufleet.ops.gpuctl_job, one task: %.2f s, %d requests (%.2f/job), created %d; re-run %.2f s, %d requests, changed=%s"
          % (sub["gpuctl_seconds"], sub["gpuctl_requests"], sub["gpuctl_requests"] / n, sub["gpuctl_jobs_created"],
             sub["gpuctl_rerun_seconds"], sub["gpuctl_rerun_requests"], sub["gpuctl_rerun_changed"]))
    per_job = sub["gpuctl_requests"] / float(n)
    verdict = "met" if per_job <= GOAL_REQUESTS_PER_JOB else "NOT met"
    print("goal (issue 14): <= %.2f API requests per job: %.2f, %s" % (GOAL_REQUESTS_PER_JOB, per_job, verdict))
    if "k8s_core_seconds" in sub:
        print("kubernetes.core.k8s, one task with a loop: %.2f s, %d requests (%.2f/job), rc=%d, jobs created %d"
              % (sub["k8s_core_seconds"], sub["k8s_core_requests"], sub["k8s_core_requests"] / n, sub["k8s_core_rc"], sub["k8s_core_jobs_created"]))
        if sub.get("k8s_core_unhandled"):
            print("  fake server paths kubernetes.core asked for and the fake does not serve: %s" % ", ".join(sub["k8s_core_unhandled"]))
    if "ratios" in result:
        ratios = result["ratios"]
        print("ratios (kubernetes.core / gpuctl): time %.2fx, requests %.2fx, YAML lines %.2fx"
              % (ratios["time_k8s_core_over_gpuctl"], ratios["requests_k8s_core_over_gpuctl"], ratios["yaml_lines_manifests_over_gpuctl"]))
    for key in ("gpuctl_error", "k8s_core_error"):
        if sub.get(key):
            print("%s:\n%s" % (key, sub[key]))


if __name__ == "__main__":
    main()
