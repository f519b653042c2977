"""The gpufleet.ops.gpufleet inventory plugin through the real ``ansible-inventory``,
with all three sources live: a registry written by compute_node, the Admin API
simulator and the fake Kubernetes API server."""
import json
import os
import subprocess
import sys

import pytest

from tests.support import fake_k8s
from tests.support.ansible_run import ensure_collection_link, run_playbook
from tests.support import gonka_sim

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
                 {"id": "ml-2", "host": "https://pod1-8080.proxy.runpod.net", "inference_port": 5000, "poc_port": 8080,
                  "max_concurrent": 300, "models": {QWEN: {"args": []}}}):
        assert sim.state.upsert(body)[0] == 200
    sim.state.set_enabled("ml-2", False)
    k8s = fake_k8s.start()
    k8s.cluster.add_node("k8s-gpu-1", gpus=8, gpu_type="a100-80g", labels={"gpuctl/pool": "training-pool"})
    k8s.cluster.add_node("k8s-gpu-2", gpus=4, gpu_type="h100")
    yield {"tmp": tmp, "registry": registry, "sim": sim, "k8s": k8s}
    sim.stop()
    k8s.stop()


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
    assert hv["ml-2"]["ansible_host"] == "pod1-8080.proxy.runpod.net"
    assert hv["ml-2"]["gonka_mlnode"]["host"] == "https://pod1-8080.proxy.runpod.net"
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
