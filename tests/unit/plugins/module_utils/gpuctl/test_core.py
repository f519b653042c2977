# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The core without Ansible: apply/diff, status derivation, managers against the fake API server."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import apply as A
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render as R
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import spec as SP
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import status as S
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import ApiError, GpuctlError, SpecError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.jobs import JobInfo, JobManager
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.kube import KubeClient
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.nodes import NodeInfo, NodeLabeler, validate_label_key
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.pools import PoolInfo, PoolManager
from ansible_collections.gpufleet.ops.plugins.filter.gpuctl_manifests import gpuctl_manifests
from ansible.errors import AnsibleFilterError

from tests.support import fake_k8s

FIXTURES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "gpuctl"))


def seed(name, index=0):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return SP.parse_spec(SP.load_documents(handle.read(), name)[index])


@pytest.fixture
def server():
    srv = fake_k8s.start()
    for i in range(3):
        srv.add_node("gpu-%d" % i, gpus=8, gpu_type="a100-80g")
    yield srv
    srv.stop()


@pytest.fixture
def client(server):
    return KubeClient({"host": server.url})


def make_pool(client, name="training-pool", nodes=("gpu-0", "gpu-1"), quota=None):
    spec = SP.parse_spec({"kind": "resource", "pool": {"name": name}, "nodes": list(nodes), "quota": quota or {}})
    return PoolManager(client).ensure(spec)


# ---------------------------------------------------------------- apply

def test_is_subset_semantics():
    assert A.is_subset({"a": 1}, {"a": 1, "b": 2})
    assert not A.is_subset({"a": [1]}, {"a": [1, 2]})
    assert A.is_subset({"a": [{"x": 1}]}, {"a": [{"x": 1, "default": True}]})
    assert A.is_subset({"a": None}, {"b": 1})
    assert not A.is_subset({"a": None}, {"a": 1})
    assert A.is_subset({"replicas": 2}, {"replicas": "2"})


def test_plan_refuses_template_change_without_force():
    desired = R.render(seed("training-job.yaml"), validated=True)[-1]
    live = R.render(seed("training-job.yaml"), validated=True)[-1]
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "old"
    with pytest.raises(GpuctlError) as info:
        A.plan(desired, live)
    assert "immutable" in info.value.msg
    assert A.plan(desired, live, force=True).action == "recreate"


def test_change_diff_is_pruned_to_desired_fields():
    desired = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}, "data": {"k": "new"}}
    live = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n", "uid": "u", "resourceVersion": "1"},
            "data": {"k": "old"}, "status": {}}
    change = A.plan(desired, live)
    diff = A.diff_of([change])
    assert diff["before"]["ConfigMap/n/a"] == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}, "data": {"k": "old"}}
    assert diff["after"]["ConfigMap/n/a"]["data"] == {"k": "new"}


# ---------------------------------------------------------------- status

@pytest.mark.parametrize("obj, expected", [
    ({"kind": "Job", "spec": {}, "status": {"conditions": [{"type": "Complete", "status": "True"}]}}, "succeeded"),
    ({"kind": "Job", "spec": {}, "status": {"conditions": [{"type": "Failed", "status": "True"}]}}, "failed"),
    ({"kind": "Job", "spec": {"suspend": True}, "status": {}}, "paused"),
    ({"kind": "Job", "spec": {}, "status": {"ready": 1}}, "running"),
    ({"kind": "Job", "spec": {}, "status": {}}, "pending"),
    ({"kind": "Job", "metadata": {"deletionTimestamp": "x"}, "spec": {}}, "terminating"),
    ({"kind": "Deployment", "spec": {"replicas": 0}}, "paused"),
    ({"kind": "Deployment", "spec": {"replicas": 2}, "status": {"availableReplicas": 1}}, "running"),
    ({"kind": "Deployment", "spec": {"replicas": 2}, "status": {}}, "pending"),
])
def test_workload_status(obj, expected):
    obj.setdefault("metadata", {})
    assert S.workload_status(obj) == expected


def test_progress_from_annotation_and_completions():
    job = {"kind": "Job", "spec": {"completions": 4}, "status": {"succeeded": 1}}
    assert S.progress(job, []) == 25
    pods = [{"metadata": {"annotations": {"gpuctl/progress": "60"}}}, {"metadata": {"annotations": {"gpuctl/progress": "70"}}}]
    assert S.progress(job, pods) == 65


# ---------------------------------------------------------------- filter

def test_filter_renders_and_checks_quota_offline():
    training = seed("training-job.yaml")
    out = gpuctl_manifests(training, "ml")
    assert [m["kind"] for m in out] == ["PriorityClass", "Service", "Job"]
    pool = {"kind": "resource", "pool": {"name": "training-pool"}, "quota": {"maxGpuPerJob": 2}}
    with pytest.raises(AnsibleFilterError) as info:
        gpuctl_manifests(training, pools=[pool])
    assert "resources.gpu: 4 GPUs exceed pool 'training-pool' quota maxGpuPerJob=2" in str(info.value)
    with pytest.raises(AnsibleFilterError) as info:
        gpuctl_manifests([training, {"kind": "notebook"}])
    assert "spec[1]: job" in str(info.value)


# ---------------------------------------------------------------- managers on the fake server

def test_client_errors_carry_status_and_server_message(client):
    with pytest.raises(ApiError) as info:
        client.request("GET", "/apis/example.com/v1/widgets")
    assert info.value.status == 404 and "fake_k8s" in info.value.msg
    assert client.get("ConfigMap", "nope", "default") is None


def test_bearer_token_is_sent():
    srv = fake_k8s.start(token="s3cret")
    try:
        with pytest.raises(ApiError) as info:
            KubeClient({"host": srv.url}).list("Node")
        assert info.value.status == 401
        assert KubeClient({"host": srv.url, "api_key": "s3cret"}).list("Node") == []
    finally:
        srv.stop()


def test_list_pages_through_continue_tokens(client, server):
    for i in range(7):
        client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm-%d" % i, "namespace": "default"}})
    before = server.count_requests()
    assert len(client.list("ConfigMap", "default", limit=3)) == 7
    assert server.count_requests(before) == 3


def test_job_lifecycle(client, server):
    make_pool(client, quota={"maxJobs": 5, "maxGpuPerJob": 8})
    mgr = JobManager(client)
    res = mgr.ensure(seed("training-job.yaml"))
    assert res["changed"] and res["status"] == "running"
    assert res["job_id"] == R.job_id("qwen2-7b-llamafactory-sft", "default")
    assert not JobManager(client).ensure(seed("training-job.yaml"))["changed"]
    paused = JobManager(client).ensure(seed("training-job.yaml"), "paused")
    assert paused["changed"] and paused["status"] == "paused"
    assert server.list("pods", "default") == []
    assert not JobManager(client).ensure(seed("training-job.yaml"))["changed"], "present must not unpause"
    resumed = JobManager(client).set_paused_by_name(res["job_id"], False)
    assert resumed["status"] == "running"
    server.complete_job("default", "qwen2-7b-llamafactory-sft")
    info = JobInfo(client, "default").list(status="succeeded")
    assert info["total"] == 1 and info["items"][0]["progress"] == 100
    gone = JobManager(client).absent("qwen2-7b-llamafactory-sft", force=True)
    assert gone["changed"] and {d["gracePeriodSeconds"] for d in server.deletions} == {0}
    assert not JobManager(client).absent("qwen2-7b-llamafactory-sft")["changed"]


def test_check_mode_writes_nothing(client, server):
    make_pool(client)
    before = [r for r in server.requests if r[0] != "GET"]
    res = JobManager(client, check_mode=True).ensure(seed("training-job.yaml"))
    assert res["changed"] and res["status"] == "pending"
    assert [r for r in server.requests if r[0] != "GET"] == before


def test_quota_max_jobs_and_missing_pool(client):
    with pytest.raises(SpecError) as info:
        JobManager(client).ensure(seed("training-job.yaml"), label="training-job.yaml#1")
    assert info.value.errors == [("training-job.yaml#1: resources.pool", "pool 'training-pool' does not exist")]
    make_pool(client, quota={"maxJobs": 1})
    JobManager(client).ensure(seed("training-job.yaml"))
    other = seed("training-job.yaml")
    other["job"]["name"] = "second"
    with pytest.raises(SpecError) as info:
        JobManager(client).ensure(other)
    assert "maxJobs=1" in info.value.msg


def test_inference_pause_resume_restores_replicas(client, server):
    make_pool(client, "inference-pool", ["gpu-2"])
    server.cluster.objects[("nodes", "", "gpu-2")]["metadata"]["labels"]["nvidia.com/gpu-type"] = "a10-24g"
    spec = seed("inference-service.yaml")
    res = JobManager(client).ensure(spec)
    assert res["status"] == "running"
    assert len(server.list("pods", "default")) == 2
    JobManager(client).ensure(spec, "paused")
    dep = server.get("deployments", "default", "llama3-8b-inference")
    assert dep["spec"]["replicas"] == 0 and dep["metadata"]["annotations"][R.A_PAUSED] == "2"
    JobManager(client).ensure(spec, "resumed")
    dep = server.get("deployments", "default", "llama3-8b-inference")
    assert dep["spec"]["replicas"] == 2 and R.A_PAUSED not in dep["metadata"]["annotations"]
    spec["autoscaling"]["enabled"] = False
    res = JobManager(client).ensure(spec)
    assert res["actions"]["HorizontalPodAutoscaler/default/llama3-8b-inference"] == "delete"


def test_template_change_needs_force(client):
    make_pool(client)
    JobManager(client).ensure(seed("training-job.yaml"))
    spec = seed("training-job.yaml")
    spec["environment"]["image"] = "registry.example.com/other:1"
    with pytest.raises(GpuctlError) as info:
        JobManager(client).ensure(spec)
    assert "immutable" in info.value.msg
    res = JobManager(client).ensure(spec, force=True)
    assert res["actions"]["Job/default/qwen2-7b-llamafactory-sft"] == "recreate"


def test_unschedulable_job_is_pending_with_event(client):
    make_pool(client, nodes=["gpu-0"])
    spec = seed("training-job.yaml")
    spec["resources"]["gpu"] = 16
    res = JobManager(client).ensure(spec)
    assert res["status"] == "pending"
    desc = JobInfo(client, "default").describe(res["job_id"])
    assert any(e["reason"] == "FailedScheduling" and "Insufficient nvidia.com/gpu" in e["message"] for e in desc["events"])
    with pytest.raises(GpuctlError) as info:
        JobManager(client).wait(res, timeout=1, sleep=0.2)
    assert "timed out" in info.value.msg


def test_pool_node_conflict_and_info(client):
    make_pool(client, "a", ["gpu-0"])
    with pytest.raises(SpecError) as info:
        make_pool(client, "b", ["gpu-0", "gpu-9"])
    assert dict(info.value.errors) == {"nodes.gpu-9": "node not found in the cluster (HTTP 404)"}
    with pytest.raises(SpecError) as info:
        make_pool(client, "b", ["gpu-0"])
    assert "already in pool 'a'" in info.value.msg
    listing = PoolInfo(client).list()
    assert listing["items"][0]["gpu_total"] == 8
    PoolManager(client).remove_nodes("a", ["gpu-0"])
    assert PoolInfo(client).describe("a")["nodes"] == []


def test_node_labels_conflict_and_partial_failure(client):
    labeler = NodeLabeler(client)
    out = labeler.run(["gpu-0", "ghost"], "nvidia.com/gpu-type", "h100")
    assert out["success"] == [] and {f["error"] for f in out["failures"]} == {"LabelConflict", "NodeNotFound"}
    out = labeler.run(["gpu-0", "gpu-1"], "nvidia.com/gpu-type", "h100", overwrite=True)
    assert out["changed"] and out["success"] == ["gpu-0", "gpu-1"]
    assert NodeInfo(client).list(gpu_type="nvidia.com/h100")["total"] == 2
    assert labeler.run(["gpu-0"], "nvidia.com/gpu-type", state="query")["results"][0]["value"] == "h100"
    assert labeler.run(["gpu-0"], "nvidia.com/gpu-type", state="absent")["changed"]
    assert labeler.run(["gpu-0"], "nvidia.com/gpu-type", state="query")["failures"][0]["error"] == "LabelNotFound"
    assert validate_label_key("bad key") and validate_label_key("nvidia.com/gpu-type") is None


def test_stale_resource_version_gives_409(client):
    node = client.get("Node", "gpu-0")
    client.patch("Node", "gpu-0", {"metadata": {"labels": {"x": "1"}}})
    with pytest.raises(ApiError) as info:
        client.patch("Node", "gpu-0", {"metadata": {"labels": {"x": "2"}, "resourceVersion": node["metadata"]["resourceVersion"]}})
    assert info.value.status == 409 and "modified" in info.value.msg


def test_logs_tail_keyword_and_pod(client, server):
    make_pool(client)
    spec = seed("training-job.yaml")
    spec["resources"]["nodes"] = 2
    JobManager(client).ensure(spec)
    info = JobInfo(client, "default")
    pods = info.describe("qwen2-7b-llamafactory-sft")["k8s_resources"]["pods"]
    assert len(pods) == 2
    server.set_pod_logs(pods[0], ["a loss 1", "b", "c LOSS 2"])
    out = info.logs("qwen2-7b-llamafactory-sft", tail=2, keyword="loss", pod=pods[0])
    assert out["logs"] == ["c LOSS 2"]
    with pytest.raises(GpuctlError):
        info.logs("qwen2-7b-llamafactory-sft", pod="nope")
    both = info.logs("qwen2-7b-llamafactory-sft", tail=1)
    assert len(both["logs"]) == 2 and both["logs"][0].startswith("[")


def test_pool_with_active_jobs_needs_force(client):
    make_pool(client)
    JobManager(client).ensure(seed("training-job.yaml"))
    with pytest.raises(GpuctlError) as info:
        PoolManager(client).absent("training-pool")
    assert "still has 1 active job(s): default/qwen2-7b-llamafactory-sft" in info.value.msg
    assert PoolManager(client).absent("training-pool", force=True)["nodes_unlabelled"] == ["gpu-0", "gpu-1"]


def test_describe_metrics_from_metrics_api(client, server):
    make_pool(client)
    JobManager(client).ensure(seed("training-job.yaml"))
    metrics = JobInfo(client, "default").describe("qwen2-7b-llamafactory-sft")["metrics"]
    assert metrics["available"] and metrics["source"] == "metrics.k8s.io"
    assert metrics["cpu_usage"] == 16.0 and metrics["memory_usage"] == "64Gi"


def test_wait_for_completion(client, server):
    import threading
    make_pool(client)
    res = JobManager(client).ensure(seed("training-job.yaml"))
    timer = threading.Timer(0.5, server.complete_job, ("default", "qwen2-7b-llamafactory-sft"))
    timer.start()
    try:
        done = JobManager(client).wait(res, wait_for="complete", timeout=10, sleep=0.2)
    finally:
        timer.cancel()
    assert done["status"] == "succeeded"


def test_wait_reports_failure(client, server):
    make_pool(client)
    res = JobManager(client).ensure(seed("training-job.yaml"))
    server.complete_job("default", "qwen2-7b-llamafactory-sft", failed=True)
    with pytest.raises(GpuctlError) as info:
        JobManager(client).wait(res, wait_for="complete", timeout=5, sleep=0.2)
    assert "failed while waiting" in info.value.msg and "BackoffLimitExceeded" in info.value.msg


def test_absent_in_check_mode_writes_nothing(client, server):
    make_pool(client)
    JobManager(client).ensure(seed("training-job.yaml"))
    before = len([r for r in server.requests if r[0] != "GET"])
    res = JobManager(client, check_mode=True).absent("qwen2-7b-llamafactory-sft", force=True)
    assert res["changed"] and set(res["actions"]) == {"Job/default/qwen2-7b-llamafactory-sft", "Service/default/qwen2-7b-llamafactory-sft",
                                                      "Pod/default/qwen2-7b-llamafactory-sft-0-00001"}
    assert len([r for r in server.requests if r[0] != "GET"]) == before
    diff = A.diff_of(res["_changes"])
    assert diff["after"] == {} and "Job/default/qwen2-7b-llamafactory-sft" in diff["before"]


def test_kubeconfig_with_context_and_token(server, tmp_path):
    cfg = tmp_path / "kubeconfig"
    cfg.write_text("""apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: "%s"}
users:
- name: dev
  user: {token: abc}
contexts:
- name: gpu
  context: {cluster: fake, user: dev}
- name: other
  context: {cluster: fake, user: dev}
current-context: other
""" % server.url)
    server.cluster.token = "abc"
    client = KubeClient({"kubeconfig": str(cfg), "context": "gpu"})
    assert len(client.list("Node")) == 3
    with pytest.raises(GpuctlError) as info:
        KubeClient({"kubeconfig": str(cfg), "context": "missing"})
    assert "cannot load Kubernetes configuration" in info.value.msg


def test_batch_fails_before_first_write(client, server):
    make_pool(client, quota={"maxGpuPerJob": 4, "maxJobs": 2})
    first, second, third = seed("training-job.yaml"), seed("training-job.yaml"), seed("training-job.yaml")
    second["job"]["name"], third["job"]["name"] = "second", "third"
    mgr = JobManager(client)
    before = len([r for r in server.requests if r[0] != "GET"])
    with pytest.raises(SpecError) as info:
        [mgr.plan(s, label="jobs.yaml#%d" % (i + 1)) for i, s in enumerate((first, second, third))]
    assert info.value.errors[0][0] == "jobs.yaml#3: resources.pool" and "maxJobs=2" in info.value.errors[0][1]
    assert len([r for r in server.requests if r[0] != "GET"]) == before
    # two jobs sharing a PriorityClass in one batch create it once
    mgr = JobManager(client)
    results = [mgr.apply(p) for p in [mgr.plan(first), mgr.plan(second)]]
    assert [r["actions"]["PriorityClass/gpuctl-high"] for r in results] == ["create", "none"]


def test_fake_server_is_loud_about_what_it_does_not_do(client, server):
    for method, path, status in (("GET", "/apis/apps/v1/statefulsets", 404), ("GET", "/api/v1/pods?watch=true", 501),
                                 ("DELETE", "/api/v1/namespaces/default/configmaps", 501),
                                 ("GET", "/api/v1/namespaces/default/pods/x/exec", 404)):
        path, dummy, query = path.partition("?")
        with pytest.raises(ApiError) as info:
            client.request(method, path, dict([query.split("=")]) if query else None)
        assert info.value.status == status, (method, path, info.value.msg)
    assert "GET /apis/apps/v1/statefulsets" in server.unhandled
    with pytest.raises(ApiError) as info:
        client.patch("ConfigMap", "x", {}, "default")
    assert info.value.status == 404


def test_batch_request_budget(client, server):
    """A batch costs about two requests per training job (Service + Job creates), plus a constant."""
    make_pool(client)
    specs = []
    for i in range(10):
        spec = seed("training-job.yaml")
        spec["job"]["name"] = "batch-%d" % i
        specs.append(spec)
    mgr = JobManager(client, "default")
    before = len(server.requests)
    mgr.prefetch()
    results = [mgr.apply(p) for p in [mgr.plan(s) for s in specs]]
    assert all(r["changed"] for r in results)
    assert len(server.requests) - before <= 2 * len(specs) + 10
    before = len(server.requests)
    mgr = JobManager(client, "default")
    mgr.prefetch()
    assert not any(mgr.apply(p)["changed"] for p in [mgr.plan(s) for s in specs])
    assert len(server.requests) - before <= 6
