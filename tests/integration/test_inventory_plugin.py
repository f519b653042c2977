# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gpufleet.ops.gpufleet inventory plugin through the real ``ansible-inventory``,
with all three sources live: a registry written by compute_node, the Admin API
simulator and the fake Kubernetes API server."""
import json
import os
import ssl
import subprocess
import sys

import pytest

from tests.support import fake_k8s
from tests.support.ansible_run import ensure_collection_link, run_playbook
from tests.support import gonka_sim
from tests.support.tls import TLSMaterial

HERE = os.path.dirname(__file__)
SECRET = "hunter2-do-not-leak"
QWEN = "Qwen/Qwen3-32B-FP8"


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("inv")
    registry = str(tmp / "registry.db")
    seeded = run_playbook(os.path.join(HERE, "playbooks", "inventory_registry_seed.yml"), extra_vars={
        "registry": registry, "registry_key": "inventory-test-key", "ssh_secret": SECRET})
    assert seeded.rc == 0, seeded.stdout[-3000:]
    sim = gonka_sim.start("current")
    sim.state.approved_models = set([QWEN])
    for body in ({"id": "ml-1", "host": "10.0.0.21", "inference_port": 5050, "poc_port": 8080, "max_concurrent": 500,
                  "models": {QWEN: {"args": ["--tensor-parallel-size", "4"]}}},
                 {"id": "ml-2", "host": "10.0.0.30", "inference_port": 15000, "poc_port": 18080,
                  "max_concurrent": 300, "models": {QWEN: {"args": []}}}):
        assert sim.state.upsert(body)[0] == 200
    sim.state.set_enabled("ml-2", False)
    k8s = fake_k8s.start()
    k8s.cluster.add_node("k8s-gpu-1", gpus=8, gpu_type="a100-80g", labels={"gpuctl/pool": "training-pool"})
    k8s.cluster.add_node("k8s-gpu-2", gpus=4, gpu_type="h100")
    yield {"tmp": tmp, "registry": registry, "sim": sim, "k8s": k8s}
    sim.stop()
    k8s.stop()


# Connection settings of the machine running the tests must not leak into these runs.
CONNECTION_ENV = ("KUBECONFIG", "GPUFLEET_REGISTRY", "GPUFLEET_REGISTRY_KEY") + tuple(
    name for name in os.environ if name.startswith(("K8S_AUTH_", "GONKA_ADMIN_API_")))


def run_inventory(tmp, config, env=None, verbosity=0):
    """``ansible-inventory --list`` on ``config`` with a clean connection environment plus ``env``."""
    path = tmp / "fleet.gpufleet.yml"
    path.write_text(json.dumps(config))
    run_env = dict((k, v) for k, v in os.environ.items() if k not in CONNECTION_ENV)
    run_env.update(ANSIBLE_COLLECTIONS_PATH=ensure_collection_link(), ANSIBLE_INVENTORY_ENABLED="gpufleet.ops.gpufleet",
                   ANSIBLE_CACHE_PLUGIN_CONNECTION=str(tmp / "cache"))
    run_env.update(env or {})
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", str(path), "--list"]
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    return subprocess.run(cmd, capture_output=True, text=True, env=run_env, timeout=120, check=False)


def inventory(sources, extra=None, verbosity=0):
    config = {
        "plugin": "gpufleet.ops.gpufleet",
        "registry": sources["registry"],
        "gonka": [{"admin_url": sources["sim"].url, "name": "network-node-1"}],
        "kubernetes": {"host": sources["k8s"].url, "validate_certs": False},
        "keyed_groups": [{"key": "gpufleet_compute.region | default('none')", "prefix": "zone"}],
        "compose": {"gpus_free_or_zero": "gpu_free | default(0)"},
    }
    config.update(extra or {})
    path = sources["tmp"] / "fleet.gpufleet.yml"
    path.write_text(json.dumps(config))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=ensure_collection_link(), ANSIBLE_INVENTORY_ENABLED="gpufleet.ops.gpufleet",
               ANSIBLE_CACHE_PLUGIN_CONNECTION=str(sources["tmp"] / "cache"))
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-inventory"), "-i", str(path), "--list"]
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)
    return proc


def unsafe_values(obj):
    """ansible-inventory marks remote (unsafe) strings as {"__ansible_unsafe": value}; read through it."""
    if isinstance(obj, dict):
        if list(obj) == ["__ansible_unsafe"]:
            return obj["__ansible_unsafe"]
        return dict((k, unsafe_values(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [unsafe_values(v) for v in obj]
    return obj


def load(proc):
    assert proc.returncode == 0, proc.stderr[-3000:]
    return unsafe_values(json.loads(proc.stdout))


def test_remote_strings_are_marked_unsafe(sources):
    raw = json.loads(inventory(sources).stdout)
    assert raw["_meta"]["hostvars"]["ml-1"]["ansible_host"] == {"__ansible_unsafe": "10.0.0.21"}


def test_hosts_groups_and_vars_from_all_sources(sources):
    inv = load(inventory(sources))
    hv = inv["_meta"]["hostvars"]
    assert sorted(inv["gpufleet_compute_nodes"]["hosts"]) == ["gpu-a", "gpu-b"]   # unlisted left out
    assert inv["region_cn_east"]["hosts"] == ["gpu-a"] and inv["gpu_h100"]["hosts"] == ["gpu-b"]
    assert inv["zone_cn_north"]["hosts"] == ["gpu-b"]                            # keyed_groups
    assert hv["gpu-a"]["ansible_host"] == "203.0.113.10" and hv["gpu-a"]["ansible_port"] == 2222
    assert hv["gpu-a"]["ansible_user"] == "ops" and hv["gpu-a"]["gpufleet_compute"]["has_ssh_password"] is True

    assert sorted(inv["gonka_mlnodes"]["hosts"]) == ["ml-1", "ml-2"]
    assert hv["ml-1"]["gonka_admin_url"] == sources["sim"].url
    assert hv["ml-1"]["gonka_mlnode"]["models"] == {QWEN: {"args": ["--tensor-parallel-size", "4"]}}
    assert hv["ml-2"]["ansible_host"] == "10.0.0.30"                    # a RunPod pod's proxy host
    assert hv["ml-2"]["gonka_mlnode"]["inference_port"] == 15000
    assert "ml-1" in inv["gonka_model_qwen_qwen3_32b_fp8"]["hosts"]

    assert sorted(inv["k8s_nodes"]["hosts"]) == ["k8s-gpu-1", "k8s-gpu-2"]
    assert inv["gpuctl_pool_training_pool"]["hosts"] == ["k8s-gpu-1"]
    assert hv["k8s-gpu-1"]["gpu_total"] == 8 and hv["k8s-gpu-1"]["gpu_free"] == 8
    assert hv["k8s-gpu-2"]["gpus_free_or_zero"] == 4                            # compose
    assert inv["gpu_type_h100"]["hosts"] == ["k8s-gpu-2"]


def test_secrets_never_reach_the_inventory(sources):
    proc = inventory(sources, verbosity=4)
    assert proc.returncode == 0
    assert SECRET not in proc.stdout and SECRET not in proc.stderr
    assert '"ssh_password"' not in proc.stdout and '"client_key"' not in proc.stdout


def test_inventory_vars_feed_the_mlnode_module_unchanged(sources):
    """gonka_mlnode host vars are mlnode's node format: re-applying them changes nothing."""
    inv = load(inventory(sources))
    nodes = [inv["_meta"]["hostvars"][h]["gonka_mlnode"] for h in inv["gonka_mlnodes"]["hosts"]]
    res = run_playbook(os.path.join(HERE, "playbooks", "mlnode_task.yml"), extra_vars={
        "module_name": "mlnode", "module_args": {"admin_url": sources["sim"].url, "nodes": nodes}})
    assert res.rc == 0
    assert not res.task("mlnode").get("failed"), res.task("mlnode")
    assert res.task("mlnode")["changed"] is False, res.task("mlnode")


def test_cache_is_used_and_keyed_by_source(sources):
    extra = {"cache": True, "cache_plugin": "ansible.builtin.jsonfile"}
    first = inventory(sources, extra)
    assert first.returncode == 0, first.stderr[-2000:]
    sources["k8s"].cluster.add_node("k8s-gpu-3", gpus=2)
    cached = load(inventory(sources, extra))
    assert "k8s-gpu-3" not in cached["k8s_nodes"]["hosts"]          # served from the cache
    other = dict(extra, include_unlisted=True)                          # another identity: fresh read
    fresh = load(inventory(sources, other))
    assert "k8s-gpu-3" in fresh["k8s_nodes"]["hosts"] and "gpu-hidden" in fresh["gpufleet_compute_nodes"]["hosts"]


def test_unreachable_source_names_the_source(sources):
    proc = inventory(sources, {"gonka": [{"admin_url": "http://127.0.0.1:9"}]})
    assert "source gonka:0" in proc.stderr and "127.0.0.1:9/admin/v1/nodes" in proc.stderr


# -- defect 1: the cache is keyed on the resolved identity ------------------------------
def kubeconfig(path, server, token):
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}]}))
    return str(path)


@pytest.fixture()
def two_clusters(tmp_path):
    clusters = []
    for name in ("a", "b"):
        server = fake_k8s.start(token="token-of-cluster-%s" % name)
        server.cluster.add_node("cluster-%s-node" % name, gpus=2)
        clusters.append(server)
    yield tmp_path, clusters
    for server in clusters:
        server.stop()


def test_cache_never_serves_one_kubeconfigs_hosts_to_another(two_clusters):
    """Cache on, ``kubernetes: {}``: KUBECONFIG=a then KUBECONFIG=b gives each cluster its own hosts."""
    tmp, (a, b) = two_clusters
    config = {"plugin": "gpufleet.ops.gpufleet", "kubernetes": {},
              "cache": True, "cache_plugin": "ansible.builtin.jsonfile"}
    home = {"HOME": str(tmp)}  # no ~/.kube/config of the machine
    first = load(run_inventory(tmp, config, dict(home, KUBECONFIG=kubeconfig(tmp / "a.yml", a.url, "token-of-cluster-a"))))
    second = load(run_inventory(tmp, config, dict(home, KUBECONFIG=kubeconfig(tmp / "b.yml", b.url, "token-of-cluster-b"))))
    assert first["k8s_nodes"]["hosts"] == ["cluster-a-node"]
    assert second["k8s_nodes"]["hosts"] == ["cluster-b-node"]
    # the same identity again is served from the cache (no new request reaches cluster A)
    before = a.cluster.count_requests()
    again = load(run_inventory(tmp, config, dict(home, KUBECONFIG=str(tmp / "a.yml"))))
    assert again["k8s_nodes"]["hosts"] == ["cluster-a-node"] and a.cluster.count_requests(before) == 0
    # the key is a digest: neither a token nor a server URL is written to the cache in clear
    for name in os.listdir(str(tmp / "cache")):
        text = name + (tmp / "cache" / name).read_text()
        assert "token-of-cluster" not in text and a.url not in text and b.url not in text


def test_cache_key_follows_k8s_auth_environment(two_clusters):
    tmp, (a, b) = two_clusters
    config = {"plugin": "gpufleet.ops.gpufleet", "kubernetes": {},
              "cache": True, "cache_plugin": "ansible.builtin.jsonfile"}
    seen = []
    for server, token in ((a, "token-of-cluster-a"), (b, "token-of-cluster-b")):
        inv = load(run_inventory(tmp, config, {"HOME": str(tmp), "K8S_AUTH_HOST": server.url, "K8S_AUTH_API_KEY": token}))
        seen.append(inv["k8s_nodes"]["hosts"])
    assert seen == [["cluster-a-node"], ["cluster-b-node"]]


# -- defect 2: registry: true honours GPUFLEET_REGISTRY and writes nothing -------------
def test_registry_true_reads_gpufleet_registry_and_creates_no_file(sources, tmp_path):
    config = {"plugin": "gpufleet.ops.gpufleet", "registry": True}
    inv = load(run_inventory(tmp_path, config, {"HOME": str(tmp_path), "GPUFLEET_REGISTRY": sources["registry"]}))
    assert sorted(inv["gpufleet_compute_nodes"]["hosts"]) == ["gpu-a", "gpu-b"]
    assert not os.path.exists(str(tmp_path / ".local" / "share" / "gpufleet"))


def test_missing_registry_is_an_empty_source_with_a_warning(tmp_path):
    for config in ({"registry": str(tmp_path / "nowhere" / "registry.db")}, {"registry": True}):
        config["plugin"] = "gpufleet.ops.gpufleet"
        proc = run_inventory(tmp_path, config, {"HOME": str(tmp_path)})
        inv = load(proc)
        assert "gpufleet_compute_nodes" not in inv, inv
        assert "does not exist" in proc.stderr and "registry" in proc.stderr, proc.stderr
    assert not os.path.exists(str(tmp_path / "nowhere"))
    assert not os.path.exists(str(tmp_path / ".local" / "share" / "gpufleet"))


# -- defect 3: one connection contract per backend, shared with the modules ------------
def test_kubernetes_source_honours_k8s_auth_environment(tmp_path):
    server = fake_k8s.start(token="k8s-auth-token")
    try:
        server.cluster.add_node("env-node", gpus=4, gpu_type="h100")
        config = {"plugin": "gpufleet.ops.gpufleet", "kubernetes": {}}
        inv = load(run_inventory(tmp_path, config, {"HOME": str(tmp_path), "K8S_AUTH_HOST": server.url,
                                                    "K8S_AUTH_API_KEY": "k8s-auth-token"}))
        assert inv["k8s_nodes"]["hosts"] == ["env-node"]
        assert inv["_meta"]["hostvars"]["env-node"]["gpu_total"] == 4
    finally:
        server.stop()


@pytest.fixture()
def https_sim(tmp_path):
    """The Admin API simulator behind TLS, with a certificate from a private CA."""
    tls = TLSMaterial(str(tmp_path / "tls"))
    sim = gonka_sim.Simulator("current")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.path["server_cert"], tls.path["server_key"])
    sim.server.socket = context.wrap_socket(sim.server.socket, server_side=True)
    sim.start()
    sim.state.approved_models = set([QWEN])
    assert sim.state.upsert({"id": "tls-ml", "host": "10.0.0.31", "inference_port": 5050, "poc_port": 8080,
                             "max_concurrent": 100, "models": {QWEN: {"args": []}}})[0] == 200
    yield "https://127.0.0.1:%d" % sim.port, tls
    sim.stop()


def test_gonka_source_takes_ca_path_validate_certs_and_retries(https_sim, tmp_path):
    url, tls = https_sim
    ok = {"admin_url": url, "ca_path": tls.path["ca"], "retries": 0, "timeout": 10}
    inv = load(run_inventory(tmp_path, {"plugin": "gpufleet.ops.gpufleet", "gonka": [ok]}))
    assert inv["gonka_mlnodes"]["hosts"] == ["tls-ml"]
    # validate_certs: false reaches it without the CA; without either, verification fails
    off = {"admin_url": url, "validate_certs": False}
    assert load(run_inventory(tmp_path, {"plugin": "gpufleet.ops.gpufleet", "gonka": [off]}))["gonka_mlnodes"]["hosts"] == ["tls-ml"]
    proc = run_inventory(tmp_path, {"plugin": "gpufleet.ops.gpufleet", "gonka": [{"admin_url": url, "retries": 0}]})
    # (ansible-inventory warns and goes on without the source: the message is what the user sees)
    assert "source gonka:0" in proc.stderr and "CERTIFICATE_VERIFY_FAILED" in proc.stderr, proc.stderr
    # the modules' environment fallbacks apply too (GONKA_ADMIN_API_CA_PATH)
    inv = load(run_inventory(tmp_path, {"plugin": "gpufleet.ops.gpufleet", "gonka": [{"admin_url": url}]},
                             {"GONKA_ADMIN_API_CA_PATH": tls.path["ca"]}))
    assert inv["gonka_mlnodes"]["hosts"] == ["tls-ml"]


def test_gonka_source_options_are_checked_by_the_modules_rules(tmp_path):
    proc = run_inventory(tmp_path, {"plugin": "gpufleet.ops.gpufleet",
                                    "gonka": [{"admin_url": "http://127.0.0.1:9", "retries": 99}]})
    assert "source gonka:0" in proc.stderr and "retries" in proc.stderr, proc.stderr
    assert "Connection refused" not in proc.stderr  # refused before anything is sent


# -- issue 16 item 3: credentials in admin_url are never shown --------------------------
def test_admin_url_password_is_not_in_host_variables(sources, tmp_path):
    port = sources["sim"].url.rsplit(":", 1)[1]
    url = "http://admin:pw-in-url-9f3e@127.0.0.1:%s" % port
    config = {"plugin": "gpufleet.ops.gpufleet", "gonka": [{"admin_url": url}]}
    inv = load(run_inventory(tmp_path, config))
    assert inv["_meta"]["hostvars"]["ml-1"]["gonka_admin_url"] == "http://127.0.0.1:%s" % port
    assert inv["_meta"]["hostvars"]["ml-1"]["gonka_network_node"] == "127.0.0.1"
    verbose = run_inventory(tmp_path, config, verbosity=3)
    assert verbose.returncode == 0 and "pw-in-url-9f3e" not in verbose.stdout + verbose.stderr
    failing = run_inventory(tmp_path, {"plugin": "gpufleet.ops.gpufleet",
                                       "gonka": [{"admin_url": "http://admin:pw-in-url-9f3e@127.0.0.1:9", "retries": 0}]})
    assert "source gonka:0" in failing.stderr and "pw-in-url-9f3e" not in failing.stderr, failing.stderr
