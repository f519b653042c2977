#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: the gpufleet.ops.gpufleet inventory plugin with 10,000 hosts spread over its
three sources (a compute-node registry, a Gonka Admin API simulator, the fake Kubernetes
API server), against a static YAML inventory of the same hosts, groups and variables
(issue 14 item 3).

``ansible-inventory --list`` is timed ``--repeat`` times each: the plugin cold (an empty
cache), the plugin from its cache (jsonfile), and the static YAML file written from the
plugin's own output (and, for reference, the same content as JSON, which Ansible's
loader parses without YAML). Min and median wall times and the ratios are printed.

    python bench/inventory_bench.py [--hosts 10000] [--repeat 3]
"""
import argparse
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import base_env, min_median, timed, verdict  # noqa: E402  (puts the repo root on sys.path)
from tests.support import fake_k8s, gonka_sim  # noqa: E402
from tests.support.ansible_run import ensure_collection_link  # noqa: E402

sys.path.insert(0, ensure_collection_link())
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import open_backend  # noqa: E402

COLD_TARGET = 2.0
CACHE_TARGET = 1.2
QWEN = "Qwen/Qwen3-32B-FP8"


def fill_registry(path, count):
    reg = open_backend(path)
    try:
        for i in range(count):
            record = {"name": "gpu-%05d" % i, "region": "region-%d" % (i % 8), "gpu_name": "H100",
                      "gpu_count": 8, "cpu": 64, "memory": "512G", "public_ip": "198.18.%d.%d" % (i // 250, i % 250),
                      "ssh_port": 22, "ssh_user": "ops", "listed": True, "tls": True,
                      "docker_host": "tcp://198.18.%d.%d:2376" % (i // 250, i % 250),
                      "docker_status": ("connected", "failed", "unknown")[i % 3]}
            reg.update(record["name"], lambda cur, rec=record: rec)
    finally:
        reg.close()


def fill_gonka(sim, count):
    bodies = [{"id": "ml-%05d" % i, "host": "10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256),
               "inference_port": 5050, "poc_port": 8080, "max_concurrent": 500,
               "models": {QWEN: {"args": ["--tensor-parallel-size", "4"]}}} for i in range(count)]
    status, _answer = sim.state.batch(bodies)
    assert status in (200, 201), status


def fill_k8s(server, count):
    for i in range(count):
        server.cluster.add_node("k8s-%05d" % i, gpus=8, gpu_type="h100",
                                labels={"gpuctl/pool": "pool-%d" % (i % 4)})


def static_inventory(listing):
    """A static inventory (``all: children: <group>: hosts: <host>: vars``) from ``--list`` JSON."""
    hostvars = listing.get("_meta", {}).get("hostvars", {})
    children = {}
    placed = set()
    for group, body in listing.items():
        if group in ("_meta", "all") or not isinstance(body, dict):
            continue
        hosts = {}
        for host in body.get("hosts", []):
            hosts[host] = None if host in placed else unsafe_values(hostvars.get(host, {}))
            placed.add(host)
        children[group] = {"hosts": hosts}
    return {"all": {"children": children}}


def unsafe_values(obj):
    if isinstance(obj, dict):
        if list(obj) == ["__ansible_unsafe"]:
            return obj["__ansible_unsafe"]
        return dict((k, unsafe_values(v)) for k, v in obj.items())
    if isinstance(obj, list):
        return [unsafe_values(v) for v in obj]
    return obj


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--hosts", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    per_source = [args.hosts // 3 + (1 if i < args.hosts % 3 else 0) for i in range(3)]
    tmp = tempfile.mkdtemp(prefix="gfbench-inventory-")
    sim = gonka_sim.start("current")
    k8s = fake_k8s.start()
    try:
        registry = os.path.join(tmp, "registry.db")
        fill_registry(registry, per_source[0])
        fill_gonka(sim, per_source[1])
        fill_k8s(k8s, per_source[2])
        config = os.path.join(tmp, "fleet.gpufleet.yml")
        with open(config, "w") as handle:
            json.dump({"plugin": "gpufleet.ops.gpufleet", "registry": registry,
                       "gonka": [{"admin_url": sim.url, "name": "network-node-1"}],
                       "kubernetes": {"host": k8s.url, "validate_certs": False},
                       "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
                       "cache_connection": os.path.join(tmp, "cache")}, handle)
        env = base_env()
        for name in list(env):
            if name.startswith(("K8S_AUTH_", "GONKA_ADMIN_API_")) or name in ("KUBECONFIG", "GPUFLEET_REGISTRY"):
                del env[name]
        env["ANSIBLE_INVENTORY_ENABLED"] = "gpufleet.ops.gpufleet,yaml"
        cli = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")
        cold, cached = [], []
        listing = None
        for dummy in range(args.repeat):
            shutil.rmtree(os.path.join(tmp, "cache"), ignore_errors=True)
            seconds, out = timed([cli, "-i", config, "--list"], env=env, cwd=tmp)
            cold.append(seconds)
            listing = json.loads(out)
            cached.append(timed([cli, "-i", config, "--list"], env=env, cwd=tmp)[0])
        hosts = len(listing["_meta"]["hostvars"])
        assert hosts == args.hosts, "expected %d hosts, the plugin listed %d" % (args.hosts, hosts)
        import yaml
        static = {}
        content = static_inventory(listing)
        for kind, text in (("yaml", yaml.safe_dump(content, default_flow_style=False, sort_keys=False)),
                           ("json", json.dumps(content))):
            path = os.path.join(tmp, "static." + kind)
            with open(path, "w") as handle:
                handle.write(text)
            static[kind] = []
            for dummy in range(args.repeat):
                seconds, out = timed([cli, "-i", path, "--list"], env=env, cwd=tmp)
                static[kind].append(seconds)
            static_hosts = len(json.loads(out)["_meta"]["hostvars"])
            assert static_hosts == hosts, "the static inventory has %d hosts, not %d" % (static_hosts, hosts)
    finally:
        sim.stop()
        k8s.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    s_min, s_med = min_median(static["yaml"])
    print()
    print("inventory benchmark: ansible-inventory --list, %d hosts (registry %d, Gonka Admin API %d, Kubernetes %d), "
          "%d runs each" % (args.hosts, per_source[0], per_source[1], per_source[2], args.repeat))
    print("  %-48s %8s %8s %9s %8s" % ("seconds", "min", "median", "min/yaml", "med/yaml"))
    ok = True
    for label, samples, target in (("static YAML inventory, same hosts and vars", static["yaml"], None),
                                   ("same static inventory as JSON (yaml plugin)", static["json"], None),
                                   ("gpufleet plugin, cold (empty cache)", cold, COLD_TARGET),
                                   ("gpufleet plugin, from the cache", cached, CACHE_TARGET)):
        t_min, t_med = min_median(samples)
        print("  %-48s %8.2f %8.2f %8.2fx %7.2fx%s" % (label, t_min, t_med, t_min / s_min, t_med / s_med,
                                                       "  (target %.1fx)" % target if target else ""))
        if target:
            ok = ok and t_min / s_min <= target
    j_min = min(static["json"])
    print("  against the JSON file instead: cold %.2fx, cached %.2fx"
          % (min(cold) / j_min, min(cached) / j_min))
    print("  targets (cold <= %.1fx, cached <= %.1fx the static YAML): %s" % (COLD_TARGET, CACHE_TARGET, verdict(ok)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
