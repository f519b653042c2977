# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed 004's remaining promises (issue 13) and the request budget (issue 14) against the fake API server."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import SpecError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.jobs import JobManager
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.pools import PoolManager
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.readers import JobReader, PoolReader

from tests.unit.plugins.module_utils.gpuctl.conftest import FIXTURES

TRAINING = "qwen2-7b-llamafactory-sft"


def test_one_pod_job_created_with_a_service_stays_unchanged(client, server, seed, make_pool):
    """Jobs submitted before one-pod jobs lost their Service keep it: no drift, no forced recreate."""
    make_pool()
    spec = seed("training-job.yaml")
    for manifest in render.render(spec, "default", validated=True, headless_service=True):
        client.create(manifest)
    res = JobManager(client).ensure(spec)
    assert not res["changed"], res["actions"]
    assert server.get("services", "default", TRAINING) is not None
    assert "Service/default/%s" % TRAINING in res["actions"]


def _pool(client, name="training-pool", nodes=("gpu-0",), **extra):
    spec = dict({"kind": "resource", "pool": {"name": name}, "nodes": list(nodes)}, **extra)
    return PoolManager(client).ensure(validation.parse_spec(spec))


def _job(seed, name, gpu, **res):
    spec = seed("training-job.yaml")
    spec["job"]["name"] = name
    spec["resources"]["gpu"] = gpu
    spec["resources"].pop("gpu_share", None)
    spec["resources"].update(res)
    return spec


def test_paused_job_keeps_its_gpus_in_the_pool(client, server, seed):
    """Seed: pause keeps the reservation ("保留资源占用"): gpu_used stays, nothing is admitted in its place."""
    _pool(client, nodes=("gpu-0",), quota={"maxJobs": 2})  # one node, 8 GPUs
    JobManager(client).ensure(_job(seed, "first", 6))
    JobManager(client).ensure(_job(seed, "first", 6), "paused")
    assert [p for p in server.list("pods", "default") if p["metadata"]["labels"].get("gpuctl/job") == "first"] == []
    pool = PoolReader(client).describe("training-pool")
    assert (pool["gpu_used"], pool["gpu_free"], pool["gpu_reserved"]) == (6, 2, 6)
    assert pool["reserved_by"] == {"default/first": 6}
    assert [j["status"] for j in pool["jobs"]] == ["paused"]
    with pytest.raises(SpecError) as info:
        JobManager(client).ensure(_job(seed, "second", 4), label="b.yaml#1")
    assert info.value.errors == [("b.yaml#1: resources.gpu", "pool 'training-pool' has 2 free GPU(s) for 4 requested: 6 of its 8 GPUs "
                                  "are reserved by paused job(s) default/first (6); resume or delete them first")]
    assert server.get("jobs", "default", "second") is None
    JobManager(client).ensure(_job(seed, "small", 2))  # what is really free is still admitted
    with pytest.raises(SpecError) as info:
        JobManager(client).ensure(_job(seed, "third", 1))
    assert "maxJobs=2 (paused jobs count" in info.value.msg
    resumed = JobManager(client).set_paused_by_name("first", False)
    assert resumed["status"] == "running", "resume gets the GPUs back: nothing took them"


def test_pool_gpu_type_allow_list(client, server, seed):
    with pytest.raises(SpecError) as info:
        validation.parse_spec({"kind": "resource", "pool": {"name": "p"}, "gpuType": ["a100-80g", 7, ""],
                               "nodes": {"gpu-0": {"gpu-type": "t4"}}})
    assert [path for path, dummy in info.value.errors] == ["gpuType[1]", "gpuType[2]"]
    with pytest.raises(SpecError) as info:
        validation.parse_spec({"kind": "resource", "pool": {"name": "p"}, "gpuType": ["a100-80g"], "nodes": {"gpu-0": {"gpu-type": "t4"}}})
    assert info.value.errors == [("nodes.gpu-0.gpu-type", "'t4' is not in this pool's gpuType (a100-80g)")]
    _pool(client, gpuType=["a100-80g", "a100-40g"])
    with pytest.raises(SpecError) as info:
        JobManager(client).ensure(_job(seed, "t4-job", 1, **{"gpu-type": "t4"}), label="job.yaml#1")
    assert info.value.errors == [("job.yaml#1: resources.gpu-type", "'t4' is not allowed in pool 'training-pool' (gpuType: a100-80g, a100-40g)")]
    assert server.persisted_writes()[-1][1].startswith("/api/v1/nodes/"), "nothing of the job was written"
    assert JobManager(client).ensure(_job(seed, "ok-job", 1, **{"gpu-type": "a100-80g"}))["changed"]


def test_exclusive_pool_taints_its_nodes_and_its_jobs_tolerate(client, server, seed):
    res = _pool(client, nodes=("gpu-0",), exclusive=True)
    assert res["nodes_tainted"] == ["gpu-0"]
    assert server.get("nodes", None, "gpu-0")["spec"]["taints"] == [{"key": "gpuctl/pool", "value": "training-pool", "effect": "NoSchedule"}]
    assert not _pool(client, nodes=("gpu-0",), exclusive=True)["changed"], "idempotent"
    out = JobManager(client).ensure(_job(seed, "inside", 4))
    assert out["status"] == "running"
    job = server.get("jobs", "default", "inside")
    assert {"key": "gpuctl/pool", "operator": "Equal", "value": "training-pool", "effect": "NoSchedule"} in \
        job["spec"]["template"]["spec"]["tolerations"]
    # a pod that is not a pool job (no toleration, no selector) cannot land on the pool's node
    server.add_node("gpu-9", gpus=0)
    outsider = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "outsider", "namespace": "default"},
                "spec": {"nodeSelector": {"kubernetes.io/hostname": "gpu-0"}, "containers": [{"name": "c", "image": "busybox"}]}, "status": {}}
    server.cluster._schedule("default", outsider)
    assert outsider["status"]["phase"] == "Pending"
    assert "untolerated taint {gpuctl/pool: training-pool}" in outsider["status"]["conditions"][0]["message"]
    # exclusive off again: the taint goes, nodes stay in the pool
    assert _pool(client, nodes=("gpu-0",), exclusive=False)["nodes_tainted"] == ["gpu-0"]
    assert server.get("nodes", None, "gpu-0")["spec"].get("taints") == []
    gone = PoolManager(client).absent("training-pool", force=True)
    assert gone["nodes_unlabelled"] == ["gpu-0"]


def test_seed_pool_file_error_names_the_lines_to_change(client, server):
    """The seed's pool file puts node1 and node2 in both pools; one node is in one pool, and the error says where."""
    for node in ("node1", "node2"):
        server.add_node(node, gpus=8)
    path = os.path.join(FIXTURES, "train-pool.yaml")
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    lines = validation.node_lines(text, "train-pool.yaml")
    assert lines == {"train-pool.yaml#1": {"node1": 9, "node2": 11}, "train-pool.yaml#2": {"node1": 22, "node2": 24}}
    specs = validation.parse_documents(validation.load_documents(text, "train-pool.yaml"), "train-pool.yaml")
    manager = PoolManager(client)
    manager.plan(specs[0], "train-pool.yaml#1", lines["train-pool.yaml#1"])
    with pytest.raises(SpecError) as info:
        manager.plan(specs[1], "train-pool.yaml#2", lines["train-pool.yaml#2"])
    assert info.value.errors[0] == (
        "train-pool.yaml#2: nodes.node1",
        "node is also claimed by pool 'train-pool' earlier in this task (train-pool.yaml line 9, gpu-type A100-100G); a node belongs "
        "to one pool and has one GPU type: change train-pool.yaml line 22 (node1 of pool 'inference-pool', gpu-type 4090-24G) to a "
        "node of its own, or remove node1 from train-pool.yaml line 9")
    assert info.value.errors[1][0] == "train-pool.yaml#2: nodes.node2" and "line 24" in info.value.errors[1][1]
    assert [r for r in server.requests if r[0] != "GET"] == [], "nothing written: every document is planned first"


def _why(client, name):
    job = JobReader(client, "default").describe(name, events=False)
    assert job["status"] == "pending" and "events" not in job
    return job["pending_reason"]


def test_why_pending_pool_full_names_the_jobs(client, server, seed):
    _pool(client, nodes=("gpu-0",))
    JobManager(client).ensure(_job(seed, "big", 8))
    JobManager(client).ensure(_job(seed, "waiting", 4))
    why = _why(client, "waiting")
    assert why["reason"] == "PoolFull"
    assert why["sentence"] == "pool 'training-pool' has 0 of its 8 GPUs free and a pod needs 4: they are used by default/big (8)"
    assert "Insufficient nvidia.com/gpu" in why["evidence"]["scheduler"], "the FailedScheduling event is part of the evidence"
    assert JobReader(client, "default").describe("big")["pending_reason"] is None


def test_why_pending_no_node_fits_names_the_closest_node(client, server, seed):
    _pool(client, nodes=("gpu-0", "gpu-1"))
    JobManager(client).ensure(_job(seed, "a", 6))
    JobManager(client).ensure(_job(seed, "b", 5))
    JobManager(client).ensure(_job(seed, "c", 4))  # 5 GPUs free in the pool, but 2 + 3
    why = _why(client, "c")
    assert why["reason"] == "NoNodeFits"
    assert why["sentence"] == ("no node in pool 'training-pool' has 4 free GPU(s); the closest, gpu-1, lacks 1 more free GPU(s) "
                               "(has 3, a pod needs 4)")
    assert why["evidence"]["closest_node"] == "gpu-1" and why["evidence"]["used_by"] == {"default/a": 6, "default/b": 5}
    server.add_node("gpu-40", gpus=8, gpu_type="a100-40g", labels={"gpuctl/pool": "other"})
    _pool(client, name="other", nodes=("gpu-2",))
    JobManager(client).ensure(_job(seed, "typed", 2, pool="other", **{"gpu-type": "h100"}))
    why = _why(client, "typed")
    assert why["reason"] == "NoNodeFits" and "of type h100" in why["sentence"]
    assert "lacks GPU type h100 (has a100-80g)" in why["sentence"]


def test_why_pending_image_pull_and_scheduler_message(client, server, seed):
    _pool(client, nodes=("gpu-0",))
    spec = _job(seed, "pull", 1)
    spec["environment"]["image"] = "registry.example.com/missing:v1"
    server.unpullable["registry.example.com/missing:v1"] = "rpc error: code = NotFound desc = manifest unknown"
    JobManager(client).ensure(spec)
    why = _why(client, "pull")
    assert why["reason"] == "ImagePull"
    assert why["sentence"].endswith("cannot pull image registry.example.com/missing:v1 (ErrImagePull): Failed to pull image "
                                    "\"registry.example.com/missing:v1\": rpc error: code = NotFound desc = manifest unknown")
    cpu_only = _job(seed, "cpu-only", 0)
    cpu_only["resources"]["pool"] = "training-pool"
    server.cluster.objects[("nodes", "", "gpu-0")]["spec"]["unschedulable"] = True
    JobManager(client).ensure(cpu_only)
    why = _why(client, "cpu-only")
    assert why["reason"] == "FailedScheduling"
    assert why["sentence"].startswith("the scheduler says: 0/3 nodes are available:")
