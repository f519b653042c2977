# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument handling of the six gpuctl modules: the real AnsibleModule, main() run in-process.

Connection options, their aliases and environment fallbacks, option errors (reported as
"invalid options", never as "invalid gpuctl spec"), check mode as server-side dry runs.
The API server is the fake on 127.0.0.1.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

import pytest

from ansible_collections.gpufleet.ops.plugins.modules import (gpu_node_info, gpuctl_job, gpuctl_job_info, gpuctl_pool,
                                                              gpuctl_pool_info, node_label)
from tests.support import fake_k8s
from tests.support.module_runner import run_main

JOB = {"kind": "training", "job": {"name": "smoke"}, "environment": {"image": "busybox:1"}}


@pytest.fixture
def server():
    srv = fake_k8s.start(token="t0ken")
    srv.add_node("node-1", gpus=8, gpu_type="a100-80g")
    srv.add_node("node-2", gpus=8)
    yield srv
    srv.stop()


def auth(server, **extra):
    return dict({"host": server.url, "api_key": "t0ken", "retries": 0}, **extra)


# the least each module needs besides the connection
MINIMAL = [(gpuctl_job, {"name": "x", "state": "absent"}), (gpuctl_job_info, {}), (gpuctl_pool, {"name": "p", "state": "absent"}),
           (gpuctl_pool_info, {}), (node_label, {"nodes": ["n"], "key": "k", "state": "query"}), (gpu_node_info, {})]


@pytest.mark.parametrize("module, minimal", MINIMAL)
def test_every_module_takes_the_connection_contract(module, minimal):
    """One spec for all: the canonical spellings with their aliases and K8S_AUTH_* fallbacks."""
    status, result = run_main(module, dict(minimal, host="http://[::1", ca_cert="/nonexistent.pem", request_timeout=5))
    assert status == "fail" and result["msg"].startswith("invalid options: host: is not a valid URL")
    assert "Traceback" not in json.dumps(result)
    status, result = run_main(module, dict(minimal, host="http://127.0.0.1:9", timeout=0))
    assert status == "fail" and result["errors"] == [{"path": "timeout", "reason": result["errors"][0]["reason"]}]


BAD_CONNECTION = [({"host": "http://[::1"}, "host"), ({"host": "http://127.0.0.1:99999"}, "host"), ({"host": "ftp://k8s"}, "host"),
                  ({"host": "http://k", "timeout": -1}, "timeout"), ({"host": "http://k", "timeout": 10 ** 20}, "timeout"),
                  ({"host": "http://k", "retries": 99}, "retries"), ({"host": "https://k", "ca_cert": "/nonexistent/ca.pem"}, "ca_path")]


@pytest.mark.parametrize("module, minimal", MINIMAL)
@pytest.mark.parametrize("bad, field", BAD_CONNECTION)
def test_bad_input_table_every_module_names_the_field(module, minimal, bad, field):
    """Issue 16 items 8 and 10: malformed connection values end in an error naming the option, never a traceback."""
    status, result = run_main(module, dict(minimal, **bad))
    assert status == "fail" and result["msg"].startswith("invalid options: %s: " % field), result["msg"]
    assert [e["path"] for e in result["errors"]] == [field] and "Traceback" not in json.dumps(result)


def test_environment_fallbacks_reach_the_server(server):
    status, result = run_main(gpuctl_job_info, {}, env={"K8S_AUTH_HOST": server.url, "K8S_AUTH_API_KEY": "t0ken"})
    assert status == "exit" and result["total"] == 0 and result["changed"] is False
    status, result = run_main(gpuctl_job_info, {"retries": 0}, env={"K8S_AUTH_HOST": server.url, "K8S_AUTH_API_KEY": "wrong"})
    assert status == "fail" and result["status"] == 401 and "HTTP 401" in result["msg"] and "wrong" not in json.dumps(result)


# ---------------------------------------------------------------- gpuctl_job
def test_job_name_alone_cannot_create_and_sends_nothing(server):
    before = server.count_requests()
    status, result = run_main(gpuctl_job, auth(server, name="smoke"))
    assert status == "fail" and result["msg"].startswith("invalid options: name: with state=present give spec or src")
    assert server.count_requests(before) == 0


def test_job_name_cannot_carry_selector_syntax(server):
    before = server.count_requests()
    status, result = run_main(gpuctl_job, auth(server, name="x,app.kubernetes.io/managed-by", state="absent"))
    assert status == "fail" and result["msg"].startswith("invalid options: name: ") and server.count_requests(before) == 0


def test_job_needs_spec_src_or_name():
    status, result = run_main(gpuctl_job, {})
    assert status == "fail" and "one of the following is required: spec, src, name" in result["msg"]


def test_job_spec_errors_are_spec_errors_and_option_errors_are_not(server):
    status, result = run_main(gpuctl_job, auth(server, spec=dict(JOB, resources={"gpu": -1})))
    assert status == "fail" and result["msg"] == "invalid gpuctl spec: resources.gpu: must be >= 0 (got -1)"
    assert result["errors"] == [{"path": "resources.gpu", "reason": "must be >= 0 (got -1)"}]
    status, result = run_main(gpuctl_job, auth(server, spec=JOB, namespace="Not_A_Namespace", wait_timeout=-1))
    assert status == "fail" and result["msg"].startswith("invalid options: namespace: ")
    assert [e["path"] for e in result["errors"]] == ["namespace", "wait_timeout"]
    status, result = run_main(gpuctl_job, auth(server, spec={"kind": "resource", "pool": {"name": "p"}}))
    assert status == "fail" and "use gpufleet.ops.gpuctl_pool" in result["msg"]


def test_job_check_mode_is_a_dry_run_and_diff_shows_the_server_answer(server):
    status, result = run_main(gpuctl_job, auth(server, spec=JOB), check=True, diff=True)
    assert status == "exit" and result["changed"] and result["status"] == "pending"
    assert server.persisted_writes() == []
    assert {r[0] for r in server.requests if "dryRun=All" in r[1]} == {"POST"}
    assert "Job/default/smoke" in result["diff"]["after"] and result["diff"]["before"] == {}
    status, result = run_main(gpuctl_job, auth(server, spec=JOB))
    assert status == "exit" and result["changed"] and result["jobs"][0]["actions"]["Job/default/smoke"] == "create"
    status, result = run_main(gpuctl_job, auth(server, spec=JOB), check=True)
    assert status == "exit" and not result["changed"]


# ---------------------------------------------------------------- gpuctl_job_info
@pytest.mark.parametrize("args, field", [
    ({"page": 0}, "page"),
    ({"page_size": 0}, "page_size"),
    ({"tail": -1, "name": "x"}, "tail"),
    ({"logs": True}, "logs"),
    ({"pool": "a,b!=c"}, "pool"),
    ({"name": "x,gpuctl/kind"}, "name"),
    ({"name": "x", "logs": True, "follow_seconds": -1}, "follow_seconds"),
    ({"name": "x", "logs": True, "follow_seconds": 3601}, "follow_seconds"),
    ({"name": "x", "follow_seconds": 5}, "follow_seconds"),
])
def test_job_info_option_errors(server, args, field):
    before = server.count_requests()
    status, result = run_main(gpuctl_job_info, auth(server, **args))
    assert status == "fail" and result["msg"].startswith("invalid options: %s: " % field), result["msg"]
    assert "invalid gpuctl spec" not in result["msg"] and server.count_requests(before) == 0


def test_job_info_never_changes(server):
    run_main(gpuctl_job, auth(server, spec=JOB))
    for args in ({}, {"name": "smoke"}, {"name": "smoke", "logs": True}):
        status, result = run_main(gpuctl_job_info, auth(server, **args), check=True)
        assert status == "exit" and result["changed"] is False, result


def test_job_info_pod_needs_name():
    status, result = run_main(gpuctl_job_info, {"pod": "p"})
    assert status == "fail" and "missing parameter(s) required by 'pod': name" in result["msg"]


@pytest.mark.parametrize("args, field", [
    ({"dcgm_exporter_port": 0}, "dcgm_exporter_port"),
    ({"dcgm_exporter_port": 70000}, "dcgm_exporter_port"),
    ({"dcgm_exporter_selector": ""}, "dcgm_exporter_selector"),
    ({"dcgm_exporter_selector": "app=Bad Value"}, "dcgm_exporter_selector"),
    ({"dcgm_exporter_selector": "a=b,"}, "dcgm_exporter_selector"),
])
def test_gpu_node_info_dcgm_option_errors(server, args, field):
    before = server.count_requests()
    status, result = run_main(gpu_node_info, auth(server, gpu_detail=True, **args))
    assert status == "fail" and result["msg"].startswith("invalid options: %s: " % field), result["msg"]
    assert server.count_requests(before) == 0


# ---------------------------------------------------------------- gpuctl_pool / gpuctl_pool_info
@pytest.mark.parametrize("args, field", [
    ({"name": "Bad_Pool", "add_nodes": ["node-1"]}, "name"),
    ({"name": "p"}, "name"),
    ({"name": "p", "add_nodes": ["UPPER"]}, "add_nodes[0]"),
    ({"name": "p", "state": "absent", "namespace": "x" * 70}, "namespace"),
])
def test_pool_option_errors(server, args, field):
    status, result = run_main(gpuctl_pool, auth(server, **args))
    assert status == "fail" and result["msg"].startswith("invalid options: %s: " % field), result["msg"]


def test_pool_create_in_check_mode_then_for_real(server):
    pool = {"kind": "resource", "pool": {"name": "train"}, "nodes": {"node-1": {"gpu-type": "a100-80g"}}}
    status, result = run_main(gpuctl_pool, auth(server, spec=pool), check=True, diff=True)
    assert status == "exit" and result["changed"] and server.persisted_writes() == []
    assert result["diff"]["after"]["Node/node-1"]["metadata"]["labels"]["gpuctl/pool"] == "train"
    status, result = run_main(gpuctl_pool, auth(server, spec=pool))
    assert status == "exit" and result["pools"][0]["status"] == "created"
    status, result = run_main(gpuctl_pool_info, auth(server, name="train"))
    assert status == "exit" and result["pool"]["nodes"] == ["node-1"] and not result["changed"]
    status, result = run_main(gpuctl_pool_info, auth(server, name="no_such"))
    assert status == "fail" and result["msg"].startswith("invalid options: name: ")


# ---------------------------------------------------------------- node_label
def test_node_label_option_errors_name_the_option(server):
    status, result = run_main(node_label, auth(server, nodes=["node-1"], key="bad key", value="v"))
    assert status == "fail" and result["errors"][0]["path"] == "key" and result["msg"].startswith("invalid options: key: ")
    status, result = run_main(node_label, auth(server, nodes=["node-1"], key="k"))
    assert status == "fail" and "state is present but all of the following are missing: value" in result["msg"]
    status, result = run_main(node_label, auth(server, nodes=[], key="k", value="v"))
    assert status == "fail" and result["errors"][0]["path"] == "nodes"


def test_node_label_query_and_per_node_failures(server):
    status, result = run_main(node_label, auth(server, nodes=["node-1"], key="nvidia.com/gpu-type", state="query"))
    assert status == "exit" and result["value"] == "a100-80g" and result["changed"] is False
    status, result = run_main(node_label, auth(server, nodes=["node-1"], key="nvidia.com/gpu-type", value="h100"))
    assert status == "fail" and result["failures"][0]["error"] == "LabelConflict"
    assert result["msg"].startswith("1 of 1 node(s) failed: node-1: ")


# ---------------------------------------------------------------- gpu_node_info
def test_gpu_node_info_arguments(server):
    status, result = run_main(gpu_node_info, auth(server, name="node-1", pool="p"))
    assert status == "fail" and "mutually exclusive" in result["msg"]
    status, result = run_main(gpu_node_info, auth(server, pool="training-pool,gpuctl/pool!=x"))
    assert status == "fail" and result["msg"].startswith("invalid options: pool: ")
    status, result = run_main(gpu_node_info, auth(server, gpu_type="nvidia.com/a100-80g"))
    assert status == "exit" and [n["node_name"] for n in result["items"]] == ["node-1"] and not result["changed"]


def test_pool_file_with_node_keys_of_mixed_types_fails_cleanly(server, tmp_path):
    """Issue 16 item 8: YAML keys 1 and node-a made sorted() raise a TypeError traceback."""
    src = tmp_path / "pools.yaml"
    src.write_text("kind: resource\npool:\n  name: p\nnodes:\n  1: {}\n  node-a: {}\n")
    before = server.count_requests()
    status, result = run_main(gpuctl_pool, auth(server, src=[str(src)]))
    assert status == "fail" and result["errors"] == [{"path": "pools.yaml#1: nodes.1", "reason": "node names must be strings; quote it ('1')"}]
    assert server.count_requests(before) == 0


def test_pool_membership_errors_name_the_option(server):
    status, result = run_main(gpuctl_pool, auth(server, name="ghost-pool", add_nodes=["node-1"]))
    assert status == "fail" and result["msg"] == "invalid options: name: pool 'ghost-pool' does not exist"
    run_main(gpuctl_pool, auth(server, spec={"kind": "resource", "pool": {"name": "a"}, "nodes": ["node-1"]}))
    run_main(gpuctl_pool, auth(server, spec={"kind": "resource", "pool": {"name": "b"}}))
    status, result = run_main(gpuctl_pool, auth(server, name="b", add_nodes=["node-1", "node-9"]))
    assert status == "fail" and result["msg"].startswith("invalid options: add_nodes.node-9: node not found")
    status, result = run_main(gpuctl_pool, auth(server, name="b", add_nodes=["node-1"]))
    assert status == "fail" and result["msg"].startswith("invalid options: add_nodes.node-1: node is already in pool 'a'")
