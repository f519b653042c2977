# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The write side of jobs against the fake API server: submit, pause, resume, delete, wait, quotas, budgets."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import threading

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import names
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import planner
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError, SpecError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.jobs import JobManager
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.readers import JobReader

TRAINING = "qwen2-7b-llamafactory-sft"


def test_job_lifecycle(client, server, seed, make_pool):
    make_pool(quota={"maxJobs": 5, "maxGpuPerJob": 8})
    mgr = JobManager(client)
    res = mgr.ensure(seed("training-job.yaml"))
    assert res["changed"] and res["status"] == "running"
    assert res["job_id"] == render.job_id(TRAINING, "default")
    assert not JobManager(client).ensure(seed("training-job.yaml"))["changed"]
    paused = JobManager(client).ensure(seed("training-job.yaml"), "paused")
    assert paused["changed"] and paused["status"] == "paused"
    assert server.list("pods", "default") == []
    assert not JobManager(client).ensure(seed("training-job.yaml"))["changed"], "present must not unpause"
    resumed = JobManager(client).set_paused_by_name(res["job_id"], False)
    assert resumed["status"] == "running"
    server.complete_job("default", TRAINING)
    info = JobReader(client, "default").list(status_filter="succeeded")
    assert info["total"] == 1 and info["items"][0]["progress"] == 100
    gone = JobManager(client).absent(TRAINING, force=True)
    assert gone["changed"] and {d["gracePeriodSeconds"] for d in server.deletions} == {0}
    assert not JobManager(client).absent(TRAINING)["changed"]


def test_check_mode_writes_nothing(client, dry_client, server, seed, make_pool):
    make_pool()
    before = server.persisted_writes()
    res = JobManager(dry_client).ensure(seed("training-job.yaml"))
    assert res["changed"] and res["status"] == "pending"
    assert server.persisted_writes() == before
    dry_runs = [r for r in server.requests if "dryRun=All" in r[1]]
    # the seed's training job is one pod: no headless Service since issue 14 (2 objects, not 3)
    assert {r[0] for r in dry_runs} == {"POST"} and len(dry_runs) == 2, "PriorityClass and Job, as dry runs"
    job_change = [c for c in res["_changes"] if c.desired and c.desired["kind"] == "Job"][0]
    assert job_change.answer["metadata"]["uid"], "the diff's after view is the server's dry-run answer"


def test_quota_max_jobs_and_missing_pool(client, seed, make_pool):
    with pytest.raises(SpecError) as info:
        JobManager(client).ensure(seed("training-job.yaml"), label="training-job.yaml#1")
    assert info.value.errors == [("training-job.yaml#1: resources.pool", "pool 'training-pool' does not exist")]
    make_pool(quota={"maxJobs": 1})
    JobManager(client).ensure(seed("training-job.yaml"))
    other = seed("training-job.yaml")
    other["job"]["name"] = "second"
    with pytest.raises(SpecError) as info:
        JobManager(client).ensure(other)
    assert "maxJobs=1" in info.value.msg


def test_inference_pause_resume_restores_replicas(client, server, seed, make_pool):
    make_pool("inference-pool", ["gpu-2"])
    server.cluster.objects[("nodes", "", "gpu-2")]["metadata"]["labels"]["nvidia.com/gpu-type"] = "a10-24g"
    spec = seed("inference-service.yaml")
    res = JobManager(client).ensure(spec)
    assert res["status"] == "running"
    assert len(server.list("pods", "default")) == 2
    JobManager(client).ensure(spec, "paused")
    dep = server.get("deployments", "default", "llama3-8b-inference")
    assert dep["spec"]["replicas"] == 0 and dep["metadata"]["annotations"][names.ANNOTATION_PAUSED_REPLICAS] == "2"
    JobManager(client).ensure(spec, "resumed")
    dep = server.get("deployments", "default", "llama3-8b-inference")
    assert dep["spec"]["replicas"] == 2 and names.ANNOTATION_PAUSED_REPLICAS not in dep["metadata"]["annotations"]
    spec["autoscaling"]["enabled"] = False
    res = JobManager(client).ensure(spec)
    assert res["actions"]["HorizontalPodAutoscaler/default/llama3-8b-inference"] == "delete"


def test_template_change_needs_force(client, seed, make_pool):
    make_pool()
    JobManager(client).ensure(seed("training-job.yaml"))
    spec = seed("training-job.yaml")
    spec["environment"]["image"] = "registry.example.com/other:1"
    with pytest.raises(GpuctlError) as info:
        JobManager(client).ensure(spec)
    assert "immutable" in info.value.msg
    res = JobManager(client).ensure(spec, force=True)
    assert res["actions"]["Job/default/%s" % TRAINING] == "recreate"


def test_recreate_in_check_mode_is_a_dry_run_of_both_steps(client, dry_client, server, seed, make_pool):
    make_pool()
    JobManager(client).ensure(seed("training-job.yaml"))
    spec = seed("training-job.yaml")
    spec["environment"]["image"] = "registry.example.com/other:1"
    before = server.persisted_writes()
    res = JobManager(dry_client).ensure(spec, force=True)
    assert res["actions"]["Job/default/%s" % TRAINING] == "recreate"
    assert server.persisted_writes() == before
    assert [r[0] for r in server.requests if "dryRun=All" in r[1]] == ["DELETE", "POST"]


def test_recreate_fails_clearly_when_the_old_job_is_not_deleted_in_time(client, server, seed, make_pool):
    """Issue 8, defect 6: recreate waited for the deletion, then created anyway and got a raw 409 AlreadyExists."""
    make_pool()
    JobManager(client).ensure(seed("training-job.yaml"))
    client.patch("Job", TRAINING, {"metadata": {"finalizers": ["example.com/hold"]}}, "default")
    spec = seed("training-job.yaml")
    spec["environment"]["image"] = "registry.example.com/other:1"
    with pytest.raises(GpuctlError) as info:
        JobManager(client, delete_timeout=1).ensure(spec, force=True)
    assert "timed out after 1s waiting for Job/default/%s to be deleted before recreating it" % TRAINING in info.value.msg
    assert "example.com/hold" in info.value.msg
    assert "409" not in info.value.msg and not [r for r in server.requests if r[2] == 409]


def test_unschedulable_job_is_pending_with_event(client, seed, make_pool):
    make_pool(nodes=["gpu-0"])
    spec = seed("training-job.yaml")
    spec["resources"]["gpu"] = 16
    res = JobManager(client).ensure(spec)
    assert res["status"] == "pending"
    desc = JobReader(client, "default").describe(res["job_id"])
    assert any(e["reason"] == "FailedScheduling" and "Insufficient nvidia.com/gpu" in e["message"] for e in desc["events"])
    with pytest.raises(GpuctlError) as info:
        JobManager(client).wait(res, timeout=1, sleep=0.2)
    assert "timed out" in info.value.msg


def test_wait_for_completion(client, server, seed, make_pool):
    make_pool()
    res = JobManager(client).ensure(seed("training-job.yaml"))
    timer = threading.Timer(0.5, server.complete_job, ("default", TRAINING))
    timer.start()
    try:
        done = JobManager(client).wait(res, wait_for="complete", timeout=10, sleep=0.2)
    finally:
        timer.cancel()
    assert done["status"] == "succeeded"


def test_wait_reports_failure(client, server, seed, make_pool):
    make_pool()
    res = JobManager(client).ensure(seed("training-job.yaml"))
    server.complete_job("default", TRAINING, failed=True)
    with pytest.raises(GpuctlError) as info:
        JobManager(client).wait(res, wait_for="complete", timeout=5, sleep=0.2)
    assert "failed while waiting" in info.value.msg and "BackoffLimitExceeded" in info.value.msg


def test_absent_in_check_mode_writes_nothing(client, dry_client, server, seed, make_pool):
    make_pool()
    JobManager(client).ensure(seed("training-job.yaml"))
    before = server.persisted_writes()
    res = JobManager(dry_client).absent(TRAINING, force=True)
    # a one-pod training job has no Service (issue 14): the Job and its pod are what gets deleted
    assert res["changed"] and set(res["actions"]) == {"Job/default/%s" % TRAINING, "Pod/default/%s-0-00001" % TRAINING}
    assert server.persisted_writes() == before
    diff = planner.diff_of(res["_changes"]).result()
    assert diff["after"] == {} and "Job/default/%s" % TRAINING in diff["before"]


def test_batch_fails_before_first_write(client, server, seed, make_pool):
    make_pool(quota={"maxGpuPerJob": 4, "maxJobs": 2})
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


def test_batch_request_budget(client, server, seed, make_pool):
    """A batch costs about two requests per training job (Service + Job creates), plus a constant."""
    make_pool()
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


def test_priority_classes_are_read_with_one_request_per_task(client, server, seed, make_pool):
    make_pool()
    specs = []
    for i, priority in enumerate(("high", "medium", "low")):
        spec = seed("training-job.yaml")
        spec["job"]["name"], spec["job"]["priority"] = "prio-%d" % i, priority
        specs.append(spec)
    mgr = JobManager(client, "default")
    before = len(server.requests)
    [mgr.plan(s) for s in specs]
    reads = [r[1] for r in server.requests[before:] if "priorityclasses" in r[1]]
    assert len(reads) == 1


def test_pause_in_check_mode_is_a_dry_run_patch_and_the_diff_is_the_servers(client, dry_client, server, seed, make_pool):
    make_pool("inference-pool", ["gpu-2"])
    server.cluster.objects[("nodes", "", "gpu-2")]["metadata"]["labels"]["nvidia.com/gpu-type"] = "a10-24g"
    spec = seed("inference-service.yaml")
    JobManager(client).ensure(spec)
    before = server.persisted_writes()
    res = JobManager(dry_client).ensure(spec, "paused")
    assert res["changed"] and res["status"] == "paused"
    assert server.persisted_writes() == before
    assert [r[0] for r in server.requests if "dryRun=All" in r[1]] == ["PATCH"]
    after = planner.diff_of(res["_changes"]).result()["after"]["Deployment/default/llama3-8b-inference"]
    assert after["spec"]["replicas"] == 0 and after["metadata"]["annotations"][names.ANNOTATION_PAUSED_REPLICAS] == "2"
    assert server.get("deployments", "default", "llama3-8b-inference")["spec"]["replicas"] == 2
