# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gpuctl modules through real ansible-playbook against the fake Kubernetes API server."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from tests.support import fake_k8s
from tests.support.ansible_run import run_playbook

HERE = os.path.dirname(os.path.abspath(__file__))
PLAYBOOKS = os.path.join(HERE, "playbooks", "gpuctl")
FIXTURES = os.path.abspath(os.path.join(HERE, "..", "fixtures", "gpuctl"))


def writes(server, since=0):
    """Requests that could change the cluster: check mode's server-side dry runs (dryRun=All) do not."""
    return [r for r in server.requests[since:] if r[0] not in ("GET",) and "dryRun=All" not in r[1]]


def dry_runs(server, since=0):
    return [r for r in server.requests[since:] if "dryRun=All" in r[1]]


@pytest.fixture
def cluster():
    srv = fake_k8s.start()
    for i in range(1, 5):
        srv.add_node("node-%d" % i, gpus=8)
    srv.add_node("node-5", gpus=4, ready=False)
    srv.add_node("node1", gpus=8)
    srv.add_node("node2", gpus=8)
    yield srv
    srv.stop()


def play(name, server, **kwargs):
    extra = {"fixtures": FIXTURES, "k8s_host": server.url}
    extra.update(kwargs.pop("extra_vars", {}))
    env = {"K8S_AUTH_HOST": server.url}
    env.update(kwargs.pop("env", {}))
    return run_playbook(os.path.join(PLAYBOOKS, name), extra_vars=extra, env=env, timeout=240, **kwargs)


def test_submit_check_mode_real_and_idempotent(cluster):
    check = play("submit.yml", cluster, check=True, diff=True)
    assert check.rc == 0, check.stdout[-3000:]
    assert writes(cluster) == [], "check mode must not write"
    assert {r[0] for r in dry_runs(cluster)} == {"POST", "PATCH"}, "check mode asks the server (dry runs): pools, labels, jobs"
    task = check.task("Submit jobs")
    assert task["changed"] is True
    assert {j["status"] for j in task["jobs"]} == {"pending"}
    assert "Job/ml/qwen2-7b-llamafactory-sft" in task["diff"]["after"]
    assert task["diff"]["before"] == {}

    real = play("submit.yml", cluster, diff=True)
    assert real.rc == 0, real.stdout[-3000:]
    task = real.task("Submit jobs")
    assert task["changed"] is True
    assert [j["status"] for j in task["jobs"]] == ["running", "running", "running"]
    assert [j["pool"] for j in task["jobs"]] == ["training-pool", "inference-pool", "dev-pool"]
    # the seed's training job runs in one pod: no headless Service (issue 14); inference and notebook keep theirs
    assert task["jobs"][0]["actions"] == {"Namespace/ml": "create", "PriorityClass/gpuctl-high": "create",
                                          "Job/ml/qwen2-7b-llamafactory-sft": "create"}
    assert task["jobs"][1]["actions"]["PriorityClass/gpuctl-medium"] == "create"
    assert sorted(d for d in task["diff"]["after"]) == sorted([
        "Namespace/ml", "PriorityClass/gpuctl-high", "Job/ml/qwen2-7b-llamafactory-sft",
        "PriorityClass/gpuctl-medium", "Deployment/ml/llama3-8b-inference", "Service/ml/llama3-8b-inference",
        "HorizontalPodAutoscaler/ml/llama3-8b-inference", "Deployment/ml/data-prep-notebook", "Service/ml/data-prep-notebook"])
    job = cluster.get("jobs", "ml", "qwen2-7b-llamafactory-sft")
    assert job["spec"]["template"]["spec"]["nodeSelector"] == {"gpuctl/pool": "training-pool"}
    pods = cluster.list("pods", "ml")
    assert {p["spec"]["nodeName"] for p in pods if p["metadata"]["labels"].get("gpuctl/job") == "llama3-8b-inference"} == {"node-3"}

    since = len(cluster.requests)
    again = play("submit.yml", cluster, diff=True)
    assert again.rc == 0
    assert again.task("Submit jobs")["changed"] is False
    assert again.task("Create pools")["changed"] is False
    assert writes(cluster, since) == []


def test_lifecycle(cluster):
    assert play("submit.yml", cluster).rc == 0
    res = play("lifecycle.yml", cluster, env={"K8S_AUTH_HOST": "http://127.0.0.1:9"})  # module_defaults must win
    assert res.rc == 0, res.stdout[-3000:]
    listing = res.task("List jobs")
    assert listing["total"] == 3
    assert {i["kind"] for i in listing["items"]} == {"training", "inference", "notebook"}
    assert all(i["status"] == "running" for i in listing["items"])
    assert [i["name"] for i in res.task("List training-pool jobs")["items"]] == ["qwen2-7b-llamafactory-sft"]
    page = res.task("List page 2 of size 2")
    assert page["total"] == 3 and len(page["items"]) == 1
    job = res.task("Describe the training job")["job"]
    assert job["resources"] == {"gpu": 4, "gpu_type": None, "cpu": "32", "memory": "128Gi", "gpu_share": "2Gi"}
    assert job["k8s_resources"]["kind"] == "Job" and len(job["pods"]) == 1
    assert job["pods"][0]["node"] in ("node-1", "node-2")
    assert "kind: training" in job["yaml_content"]
    assert any(e["reason"] == "SuccessfulCreate" for e in job["events"])
    assert res.task("Describe by job id in any namespace")["job"]["namespace"] == "ml"
    logs = res.task("Read logs")
    assert logs["logs"] and all("loss" in line.lower() for line in logs["logs"])
    assert res.task("Pause training")["changed"] is True
    assert res.task("Pause training")["status"] == "paused"
    assert res.task("Pause training again")["changed"] is False
    assert res.task("Pause inference")["status"] == "paused"
    assert sorted(i["name"] for i in res.task("List paused")["items"]) == ["llama3-8b-inference", "qwen2-7b-llamafactory-sft"]
    resumed = res.task("Resume inference")
    assert resumed["changed"] and resumed["status"] == "running"
    assert cluster.get("deployments", "ml", "llama3-8b-inference")["spec"]["replicas"] == 2
    assert res.task("Resume training")["status"] == "running"
    gone = res.task("Delete notebook immediately")
    assert gone["changed"] and gone["status"] == "terminating"
    assert {d["gracePeriodSeconds"] for d in cluster.deletions} == {0}
    assert {d["resource"] for d in cluster.deletions} >= {"deployments", "services"}
    assert {d["name"] for d in cluster.deletions if d["resource"] != "pods"} == {"data-prep-notebook"}
    assert res.task("Delete notebook again")["changed"] is False
    assert cluster.get("deployments", "ml", "data-prep-notebook") is None
    assert not [p for p in cluster.list("pods", "ml") if p["metadata"]["labels"].get("gpuctl/job") == "data-prep-notebook"]


def test_invalid_requests_fail_cleanly_without_writes(cluster):
    from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.connection import client_from_params
    from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.jobs import JobManager
    from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.pools import PoolManager
    from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.validation import load_documents, parse_documents, parse_spec

    client = client_from_params({"host": cluster.url})
    with open(os.path.join(FIXTURES, "test-pools.yaml"), encoding="utf-8") as handle:
        for spec in parse_documents(load_documents(handle.read())):
            PoolManager(client).ensure(spec)
    JobManager(client).ensure(parse_spec({"kind": "training", "job": {"name": "existing-job"}, "environment": {"image": "busybox:1"}}))
    since = len(cluster.requests)
    res = play("errors.yml", cluster)
    assert res.rc == 0, res.stdout[-3000:]
    assert writes(cluster, since) == []
    for name in ("Misspelt field and negative GPU", "Pool that does not exist", "Above the pool quota",
                 "Second document of a file is broken", "Name alone cannot create", "Resume a job that does not exist",
                 "Changed template without force"):
        task = res.task(name)
        assert task["failed"] is True, name
        # ansible-core 2.19 shows "(traceback unavailable)" for every failed module; no real traceback may appear
        assert "Traceback" not in str(task) and "File \"" not in str(task), task
    errs = res.task("Misspelt field and negative GPU")["errors"]
    assert {e["path"] for e in errs} == {"environment.comand", "resources.gpu"}
    assert "did you mean 'command'" in res.task("Misspelt field and negative GPU")["msg"]
    assert res.task("Pool that does not exist")["msg"] == "invalid gpuctl spec: resources.pool: pool 'no-such-pool' does not exist"
    assert "resources.gpu: 16 GPUs exceed pool 'training-pool' quota maxGpuPerJob=8" in res.task("Above the pool quota")["msg"]
    assert "notebook-job.verbatim.txt: is not valid YAML at line 9 column 155" in res.task("Second document of a file is broken")["msg"]
    assert res.task("Resume a job that does not exist")["msg"] == "job 'ghost' not found in namespace default"
    assert "immutable" in res.task("Changed template without force")["msg"]


def test_pools_nodes_labels(cluster):
    cluster.add_node("node-9-unused", gpus=0)
    res = play("pools_nodes.yml", cluster, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    verbatim = res.task("Seed pool file verbatim")
    assert verbatim["failed"] and "line 7 column 1" in verbatim["msg"]
    fixed = res.task("Seed pool file fixed")
    assert fixed["failed"]
    assert ("train-pool.yaml#2: nodes.node1: node is also claimed by pool 'train-pool' earlier in this task" in fixed["msg"])
    assert "train-pool.yaml#2: nodes.node2" in fixed["msg"]
    created = res.task("Test pools")
    assert created["changed"] and [p["status"] for p in created["pools"]] == ["created", "created", "created"]
    assert created["diff"]["after"]["Node/node-1"]["metadata"]["labels"] == {"gpuctl/pool": "training-pool", "nvidia.com/gpu-type": "a100-80g"}
    assert res.task("Test pools again")["changed"] is False
    assert res.task("Add node")["pools"][0]["nodes_labelled"] == ["node-5"]
    assert "already in pool 'inference-pool'" in res.task("Add node in another pool")["msg"]
    assert res.task("Remove node")["pools"][0]["nodes_unlabelled"] == ["node-2"]
    assert res.task("Remove node again")["changed"] is False
    pools = dict((p["name"], p) for p in res.task("Pools")["items"])
    assert pools["training-pool"]["gpu_total"] == 12 and pools["training-pool"]["gpu_free"] == 12
    assert pools["training-pool"]["quota"] == {"maxJobs": 3, "maxGpuPerJob": 8}
    assert "train-pool" not in pools, "nothing of a failing file may be applied"
    detail = res.task("Pool detail")["pool"]
    assert detail["nodes"] == ["node-1", "node-5"] and detail["gpu_type"] == {"a100-80g": 8}
    conflict = res.task("Label conflict")
    assert conflict["failed"] and conflict["success"] == []
    assert {f["error"] for f in conflict["failures"]} == {"LabelConflict", "NodeNotFound"}
    batch = res.task("Label batch overwrite")
    assert batch["changed"] and batch["success"] == ["node-1", "node-2"]
    assert batch["diff"]["after"] == {"Node/node-1": {"company.com/gpu-model": "a100-40g"}, "Node/node-2": {"company.com/gpu-model": "a100-40g"}}
    assert res.task("Label batch overwrite again")["changed"] is False
    assert res.task("Label read")["value"] == "a100-40g"
    assert res.task("Label delete")["changed"] is True
    assert res.task("Label read deleted")["failures"][0]["error"] == "LabelNotFound"
    assert res.task("Bad label key")["errors"][0]["path"] == "key"
    nodes = res.task("Nodes")
    assert nodes["total"] == 8 and nodes["page_size"] == 20
    assert [n["node_name"] for n in res.task("Nodes of pool")["items"]] == ["node-1", "node-5"]
    assert [n["node_name"] for n in res.task("Nodes of type")["items"]] == ["node-3", "node-4"]
    assert [n["node_name"] for n in res.task("Nodes faulty")["items"]] == ["node-5"]
    labelled = dict((n["node_name"], n["label_value"]) for n in res.task("Nodes label")["items"])
    assert labelled["node-3"] == "a10-24g" and labelled["node-9-unused"] is None
    gl = dict((n["node_name"], n) for n in res.task("GPU labels")["items"])
    assert gl["node-1"]["bound_pools"] == ["training-pool"]
    node = res.task("Node detail")["node"]
    assert node["bound_pools"] == ["training-pool"] and node["resources"]["gpu_total"] == 8
    assert len(node["gpu_detail"]) == 8 and {"key": "gpuctl/pool", "value": "training-pool"} in node["labels"]
    assert "not found" in res.task("Missing node")["msg"]
    assert res.task("Delete pool with jobs")["changed"] is True  # no jobs yet
    final = res.task("Delete dev pool")
    assert final["changed"] and {p["name"] for p in final["pools"]} == {"training-pool", "inference-pool", "dev-pool"}
    assert not [n for n in cluster.list("nodes") if n["metadata"]["labels"].get("gpuctl/pool") in ("training-pool", "inference-pool", "dev-pool")]


def test_api_key_and_missing_server(cluster):
    secure = fake_k8s.start(token="t0ken")
    try:
        secure.add_node("node-1", gpus=8)
        ok = play("lifecycle.yml", secure, env={"K8S_AUTH_API_KEY": "t0ken"})
        assert ok.task("List jobs")["total"] == 0
        denied = play("lifecycle.yml", secure, env={"K8S_AUTH_API_KEY": "wrong"})
        task = denied.task("List jobs")
        assert task["failed"] and task["status"] == 401 and "HTTP 401" in task["msg"]
        assert "t0ken" not in denied.stdout and "wrong" not in denied.stdout
    finally:
        secure.stop()
    down = play("lifecycle.yml", cluster, extra_vars={"k8s_host": "http://127.0.0.1:9"})
    task = down.task("List jobs")
    assert task["failed"] and "cannot reach the Kubernetes API" in task["msg"]


def test_example_playbook_runs(cluster):
    example = os.path.join(HERE, "..", "..", "playbooks", "gpuctl_example.yml")
    res = run_playbook(example, extra_vars={"jobs_dir": FIXTURES, "pools_file": os.path.join(FIXTURES, "test-pools.yaml"),
                                            "log_follow_seconds": 1},
                       env={"K8S_AUTH_HOST": cluster.url, "K8S_AUTH_VERIFY_SSL": "false"}, timeout=240)
    assert res.rc == 0, res.stdout[-3000:]
    assert res.task("Pause the training job over the weekend")["status"] == "paused"
    assert res.task("Follow the training log for 30 seconds (gpuctl logs -f)")["followed_seconds"] == 1
    free = res.task("Report free GPUs per pool")["msg"]
    assert free["training-pool"] == 16 and free["inference-pool"] == 6


def test_issue13_through_the_modules(cluster):
    cluster.add_dcgm_exporter("node-1", [{"util": 91, "fb_used": 60000, "fb_free": 21920}])
    res = play("issue13.yml", cluster)
    assert res.rc == 0, res.stdout[-3000:]
    assert res.task("Exclusive pool with an allow-list")["pools"][0]["nodes_tainted"] == ["node-1"]
    info = res.task("Pool after the pause")["pool"]
    assert (info["gpu_used"], info["gpu_reserved"], info["reserved_by"]) == (6, 6, {"default/hold": 6})
    taker = res.task("A job that would take the paused job's GPUs")
    assert taker["failed"] and "reserved by paused job(s) default/hold (6)" in taker["msg"]
    wrong = res.task("A GPU type the pool does not allow")
    assert wrong["failed"] and "resources.gpu-type: 't4' is not allowed in pool 'excl-pool' (gpuType: a100-80g)" in wrong["msg"]
    assert res.task("Resume")["status"] == "running"
    why = res.task("Why is it pending")["job"]["pending_reason"]
    assert why["reason"] == "PoolFull" and "used by default/hold (6)" in why["sentence"]
    logs = res.task("Follow the logs for two seconds")
    assert logs["followed_seconds"] == 2 and logs["logs"] and all("loss" in line.lower() for line in logs["logs"])
    nodes = dict((n["node_name"], n) for n in res.task("GPU detail")["items"])
    assert nodes["node-1"]["gpus"][0]["utilization"] == 91.0 and nodes["node-1"]["gpus"][0]["memory_usage"] == "58.6Gi/80Gi"
    assert nodes["node-2"]["gpus"][0]["utilization"] is None and "no running dcgm-exporter pod" in nodes["node-2"]["gpus"][0]["reason"]
