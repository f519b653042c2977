# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The write side of pools and node labels against the fake API server."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError, SpecError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.jobs import JobManager
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.labels import NodeLabeler
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.pools import PoolManager
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.readers import NodeReader, PoolReader


def test_pool_node_conflict_and_info(client, make_pool):
    make_pool("a", ["gpu-0"])
    with pytest.raises(SpecError) as info:
        make_pool("b", ["gpu-0", "gpu-9"])
    assert dict(info.value.errors) == {"nodes.gpu-9": "node not found in the cluster (HTTP 404)"}
    with pytest.raises(SpecError) as info:
        make_pool("b", ["gpu-0"])
    assert "already in pool 'a'" in info.value.msg
    listing = PoolReader(client).list()
    assert listing["items"][0]["gpu_total"] == 8
    PoolManager(client).remove_nodes("a", ["gpu-0"])
    assert PoolReader(client).describe("a")["nodes"] == []


def test_pool_with_active_jobs_needs_force(client, seed, make_pool):
    make_pool()
    JobManager(client).ensure(seed("training-job.yaml"))
    with pytest.raises(GpuctlError) as info:
        PoolManager(client).absent("training-pool")
    assert "still has 1 active job(s): default/qwen2-7b-llamafactory-sft" in info.value.msg
    assert PoolManager(client).absent("training-pool", force=True)["nodes_unlabelled"] == ["gpu-0", "gpu-1"]


def test_pool_in_check_mode_writes_nothing(dry_client, server):
    spec = validation.parse_spec({"kind": "resource", "pool": {"name": "p"}, "nodes": ["gpu-0"]})
    before = server.persisted_writes()
    res = PoolManager(dry_client).ensure(spec)
    assert res["changed"] and res["status"] == "created" and res["nodes_labelled"] == ["gpu-0"]
    assert server.persisted_writes() == before
    assert [r[0] for r in server.requests if "dryRun=All" in r[1]] == ["POST", "PATCH"]


def test_node_labels_conflict_and_partial_failure(client):
    labeler = NodeLabeler(client)
    out = labeler.run(["gpu-0", "ghost"], "nvidia.com/gpu-type", "h100")
    assert out["success"] == [] and {f["error"] for f in out["failures"]} == {"LabelConflict", "NodeNotFound"}
    out = labeler.run(["gpu-0", "gpu-1"], "nvidia.com/gpu-type", "h100", overwrite=True)
    assert out["changed"] and out["success"] == ["gpu-0", "gpu-1"]
    assert NodeReader(client).list(gpu_type="nvidia.com/h100")["total"] == 2
    assert labeler.run(["gpu-0"], "nvidia.com/gpu-type", state="query")["results"][0]["value"] == "h100"
    assert labeler.run(["gpu-0"], "nvidia.com/gpu-type", state="absent")["changed"]
    assert labeler.run(["gpu-0"], "nvidia.com/gpu-type", state="query")["failures"][0]["error"] == "LabelNotFound"
    assert validation.label_key_problem("bad key") and validation.label_key_problem("nvidia.com/gpu-type") is None


def test_node_labels_are_all_or_nothing_when_a_node_fails_validation(client, server):
    """Issue 16 item 6: the nodes that existed were labelled before the task failed on one that does not."""
    before = server.persisted_writes()
    out = NodeLabeler(client).run(["gpu-0", "ghost", "gpu-1"], "team", "vision")
    assert out["success"] == [] and not out["changed"]
    assert [f["node_name"] for f in out["failures"]] == ["ghost"]
    assert server.persisted_writes() == before
    assert "team" not in server.get("nodes", None, "gpu-0")["metadata"]["labels"]
    skipped = dict((r["node_name"], r) for r in out["results"])
    assert skipped["gpu-0"]["changed"] is False and "not written" in skipped["gpu-0"]["message"]
    out = NodeLabeler(client).run(["gpu-0", "gpu-1"], "team", "vision")
    assert out["success"] == ["gpu-0", "gpu-1"] and out["changed"]


def test_node_label_query_reports_each_node(client):
    out = NodeLabeler(client).run(["gpu-0", "ghost"], "nvidia.com/gpu-type", state="query")
    assert out["success"] == ["gpu-0"] and out["failures"][0]["error"] == "NodeNotFound"
    assert all("_write" not in r for r in out["results"])
