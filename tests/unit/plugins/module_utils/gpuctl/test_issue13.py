# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed 004's remaining promises (issue 13) and the request budget (issue 14) against the fake API server."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import threading
import time

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.client import KubeRequestError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import SpecError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.jobs import JobManager
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.pools import PoolManager
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.readers import JobReader, NodeReader, PoolReader

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


def test_gpu_detail_from_dcgm_exporter_through_the_pod_proxy(client, server):
    server.add_dcgm_exporter("gpu-0", [{"util": 89, "fb_used": 72000, "fb_free": 9920, "namespace": "ml", "pod": "train-0"},
                                       {"util": 0, "fb_used": 0, "fb_free": 81920}])
    reader = NodeReader(client)
    gpus = reader.describe("gpu-0", gpu_detail=True)["gpu_detail"]
    assert gpus[0]["utilization"] == 89.0 and gpus[0]["memory_used_mib"] == 72000.0 and gpus[0]["memory_total_mib"] == 81920.0
    assert gpus[0]["memory_usage"] == "70.3Gi/80Gi" and gpus[0]["status"] == "used" and gpus[0]["pod"] == "ml/train-0"
    assert gpus[1]["utilization"] == 0.0 and gpus[1]["memory_usage"] == "0Gi/80Gi" and gpus[1]["uuid"] == "GPU-00000001-fake"
    assert gpus[2]["utilization"] is None and gpus[2]["reason"] == "dcgm-exporter reports no GPU 2"
    listed = reader.list(gpu_detail=True)["items"]
    by_node = dict((i["node_name"], i) for i in listed)
    assert by_node["gpu-0"]["gpus"][0]["utilization"] == 89.0 and by_node["gpu-0"]["gpu_count"] == 8
    assert by_node["gpu-1"]["gpus"][0]["utilization"] is None
    assert by_node["gpu-1"]["gpus"][0]["reason"] == "no running dcgm-exporter pod (app.kubernetes.io/name=dcgm-exporter) on node gpu-1"
    plain = reader.describe("gpu-1")["gpu_detail"][0]
    assert plain["utilization"] is None and "gpu_detail: true" in plain["reason"]
    # the real API server proxies only to a listening port: another port is a 503 with the dial error, reported as the reason
    gpus = NodeReader(client, dcgm_port=9401).describe("gpu-0", gpu_detail=True)["gpu_detail"]
    assert gpus[0]["utilization"] is None and "HTTP 503" in gpus[0]["reason"] and "connection refused" in gpus[0]["reason"]


def test_job_metrics_from_the_custom_metrics_api(client, server, seed):
    _pool(client, nodes=("gpu-0",))
    JobManager(client).ensure(_job(seed, "m", 2))
    metrics = JobReader(client, "default").describe("m")["metrics"]
    assert metrics["gpu_utilization"] is None
    assert metrics["gpu_reasons"]["gpu_utilization"] == ("DCGM_FI_DEV_GPU_UTIL: not served by the custom metrics API "
                                                         "(HTTP 404: the server could not find the requested resource)")
    pod = [p for p in server.list("pods", "default") if p["metadata"]["labels"].get("gpuctl/job") == "m"][0]["metadata"]["name"]
    server.set_custom_metric("pods", "default", pod, "DCGM_FI_DEV_GPU_UTIL", "875m")
    server.set_custom_metric("pods", "default", pod, "DCGM_FI_DEV_FB_USED", 40000)
    server.set_custom_metric("pods", "default", pod, "gpuctl_gpu_memory_used_percent", 49)
    metrics = JobReader(client, "default").describe("m")["metrics"]
    assert (metrics["gpu_utilization"], metrics["gpu_memory_used_mib"], metrics["gpu_memory_used_percent"]) == (0.875, 40000.0, 49.0)
    assert metrics["gpu_reasons"] == {}
    assert "requests_per_second" not in metrics, "request rate and latency are for inference services"


def test_fake_custom_metrics_api_as_documented(server):
    """Paths and shapes of custom.metrics.k8s.io v1beta1/v1beta2 (MetricValueList), 404 for unknown metrics."""
    import json
    import urllib.request
    import urllib.error

    def get(path):
        try:
            with urllib.request.urlopen(server.url + path) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())
    server.add_node("n", gpus=1)
    server.set_custom_metric("nodes", None, "n", "DCGM_FI_DEV_GPU_UTIL", 12)
    code, body = get("/apis/custom.metrics.k8s.io/v1beta2/nodes/n/DCGM_FI_DEV_GPU_UTIL")
    assert code == 200 and body["kind"] == "MetricValueList" and body["items"][0]["metric"] == {"name": "DCGM_FI_DEV_GPU_UTIL"}
    code, body = get("/apis/custom.metrics.k8s.io/v1beta1/nodes/n/DCGM_FI_DEV_GPU_UTIL")
    assert code == 200 and body["items"][0]["metricName"] == "DCGM_FI_DEV_GPU_UTIL" and body["items"][0]["value"] == "12"
    code, body = get("/apis/custom.metrics.k8s.io/v1beta2/nodes/n/no_such_metric")
    assert code == 404 and body["message"] == "the server could not find the metric no_such_metric for nodes n"
    code, body = get("/apis/custom.metrics.k8s.io/v1beta2")
    assert code == 200 and body["resources"][0]["name"] == "nodes/DCGM_FI_DEV_GPU_UTIL"


def test_logs_follow_for_a_bounded_time_with_keyword_and_tail(client, server, seed):
    _pool(client, nodes=("gpu-0",))
    JobManager(client).ensure(_job(seed, "chatty", 1))
    pod = [p for p in server.list("pods", "default") if p["metadata"]["labels"].get("gpuctl/job") == "chatty"][0]["metadata"]["name"]
    server.set_pod_logs(pod, ["step 1 loss 0.9", "step 2 acc 0.1", "step 3 loss 0.8"])

    def write_later():
        time.sleep(0.6)
        server.append_pod_logs(pod, ["step 4 loss 0.7", "step 5 acc 0.2"])
    writer = threading.Thread(target=write_later)
    writer.start()
    start = time.time()
    out = JobReader(client, "default").logs("chatty", tail=2, keyword="LOSS", follow_seconds=2)
    took = time.time() - start
    writer.join()
    assert out["logs"] == ["step 3 loss 0.8", "step 4 loss 0.7"], "tail 2 of what was there, then what came, filtered"
    assert out["followed_seconds"] == 2
    assert 1.9 <= took < 4.5, "bounded: the stream is cut when the time is up (%.1fs)" % took
    follow_requests = [r for r in server.requests if "follow=true" in r[1]]
    assert len(follow_requests) == 1 and "tailLines=2" in follow_requests[0][1]


def test_fake_pod_log_options_refused_as_the_api_server_does(client, server, seed):
    _pool(client, nodes=("gpu-0",))
    JobManager(client).ensure(_job(seed, "opts", 1))
    pod = [p for p in server.list("pods", "default") if p["metadata"]["labels"].get("gpuctl/job") == "opts"][0]["metadata"]["name"]
    for query, message in (({"tailLines": -1}, "tailLines: Invalid value: -1: must be greater than or equal to 0"),
                           ({"sinceSeconds": 0}, "sinceSeconds: Invalid value: 0: must be greater than 0"),
                           ({"sinceSeconds": 5, "sinceTime": "2026-01-01T00:00:00Z"}, "at most one of `sinceTime` or `sinceSeconds`")):
        with pytest.raises(KubeRequestError) as info:
            client.request("GET", "/api/v1/namespaces/default/pods/%s/log" % pod, query, raw=True)
        assert info.value.status == 422 and message in info.value.msg
    server.append_pod_logs(pod, ["fresh line"])
    text = client.request("GET", "/api/v1/namespaces/default/pods/%s/log" % pod, {"sinceSeconds": 60}, raw=True)
    assert text == "fresh line\n", "sinceSeconds keeps what was written in the last 60 s"


def test_inference_metrics_request_rate_and_latency(client, server, seed):
    _pool(client, name="inference-pool", nodes=("gpu-1",))
    spec = seed("inference-service.yaml")
    spec["resources"].pop("gpu-type", None)
    JobManager(client).ensure(spec)
    name = spec["job"]["name"]
    pods = [p["metadata"]["name"] for p in server.list("pods", "default") if p["metadata"]["labels"].get("gpuctl/job") == name]
    assert len(pods) == 2
    for pod, rate in zip(pods, ("12", "8500m")):
        server.set_custom_metric("pods", "default", pod, "gpuctl_requests_per_second", rate)
        server.set_custom_metric("pods", "default", pod, "gpuctl_request_latency_seconds", "250m")
    metrics = JobReader(client, "default").describe(name)["metrics"]
    assert metrics["requests_per_second"] == 20.5, "summed over the replicas"
    assert metrics["request_latency_seconds"] == 0.25, "averaged over the replicas"
    assert metrics["gpu_utilization"] is None
    assert metrics["gpu_reasons"]["gpu_utilization"] == "DCGM_FI_DEV_GPU_UTIL: not served by the custom metrics API (HTTP 404: " \
        "the server could not find the metric DCGM_FI_DEV_GPU_UTIL for pods)"


def test_fake_toleration_matching_as_documented():
    """https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/: a toleration matches a taint when
    keys and effects match and the operator is Exists (no value) or Equal (values equal); an empty key with Exists
    matches every taint; an empty effect matches every effect."""
    from tests.support.fake_k8s.server import tolerates
    taint = {"key": "gpuctl/pool", "value": "p", "effect": "NoSchedule"}
    assert tolerates([{"key": "gpuctl/pool", "operator": "Equal", "value": "p", "effect": "NoSchedule"}], taint)
    assert tolerates([{"key": "gpuctl/pool", "value": "p"}], taint), "operator defaults to Equal, empty effect matches all"
    assert tolerates([{"key": "gpuctl/pool", "operator": "Exists"}], taint)
    assert tolerates([{"operator": "Exists"}], taint)
    assert not tolerates([{"key": "gpuctl/pool", "operator": "Equal", "value": "q"}], taint)
    assert not tolerates([{"key": "gpuctl/pool", "operator": "Exists", "effect": "NoExecute"}], taint)
    assert not tolerates([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}], taint)
    assert not tolerates(None, taint)
