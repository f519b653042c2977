#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: 1,000 Docker endpoints checked in ONE module call (issue 14 item 2, seed 003's
30-second interval): compute_node_info with probe: true (reads only) and compute_node_probe
(records every status in the registry).

Endpoints (all on 127.0.0.1):
  * a few real ones: the test dockerd from tests/support/dockerd.py
    (TLS, client certificate required), when dockerd can run here;
  * 10% black holes: listeners that accept and never answer (each costs the full timeout);
  * the rest: a Docker-like TLS API (client certificate required) on many ports,
    served by an asyncio server in a child process.

Each run is repeated (--repeat) on a freshly built registry: compute_node_info, then
compute_node_probe, then compute_node_probe again (the monitor's steady state: the last
statuses are recorded). Printed: the whole ansible-playbook wall time and the module
process's own time (min / median), against the 5 s target.

Then the plain alternative, community.docker.docker_host_info, one host per inventory
entry with default forks (5), on --compare-hosts hosts (default 20, 10% black holes);
its time is extrapolated linearly to the full count (0 skips it).

    python bench/compute_probe_bench.py [--nodes 1000] [--timeout 3] [--repeat 3] [--compare-hosts 20]
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

from tests.support.ansible_run import ensure_collection_link  # noqa: E402

sys.path.insert(0, ensure_collection_link())

from tests.support.dockerd import Dockerd  # noqa: E402
from tests.support.tls import BlackHole, FakeFleet, TLSMaterial  # noqa: E402
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import open_backend  # noqa: E402
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.secrets import SecretBox  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Playbooks, min_median, verdict  # noqa: E402

KEY = "bench-key"
TARGET_S = 5.0
MODULE_PLAYBOOK = """
- name: One module call over the whole registry
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check every node
      gpufleet.ops.%s: "{{ module_args }}"
"""


def build_registry(path, tls, endpoints):
    reg = open_backend(path)
    box = SecretBox(reg, KEY)
    for name, (host, pem) in endpoints.items():
        record = {"name": name, "docker_host": host, "tls": True, "listed": True, "ssh_port": 22,
                  "allow_insecure": False, "ca_cert": pem["ca"], "client_cert": pem["client_cert"],
                  "secrets": {"client_key": box.encrypt(pem["client_key"])}, "docker_status": "unknown"}
        reg.update(name, lambda cur, rec=record: rec)
    reg.close()


def docker_host_info_run(tmp, tls, ports, holes, timeout, forks):
    inv = os.path.join(tmp, "hosts.ini")
    with open(inv, "w") as handle:
        handle.write("[fleet]\n")
        for i, port in enumerate(ports):
            handle.write("h%04d docker_port=%d\n" % (i, port))
        for i, port in enumerate(holes):
            handle.write("b%04d docker_port=%d\n" % (i, port))
    pb = os.path.join(tmp, "dhi.yml")
    with open(pb, "w") as handle:
        handle.write("""---
- name: docker_host_info per host
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Docker host info
      community.docker.docker_host_info:
        docker_host: "tcp://127.0.0.1:{{ docker_port }}"
        tls: true
        validate_certs: true
        ca_path: %(ca)s
        client_cert: %(cert)s
        client_key: %(key)s
        timeout: %(timeout)d
      ignore_errors: true
""" % {"ca": tls.path["ca"], "cert": tls.path["client_cert"], "key": tls.path["client_key"],
            "timeout": timeout})
    env = dict(os.environ)
    # docker-py/requests would verify against REQUESTS_CA_BUNDLE instead of ca_path: unset for a fair run
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        env.pop(var, None)
    env.update({"ANSIBLE_COLLECTIONS_PATH": ensure_collection_link(), "ANSIBLE_HOST_KEY_CHECKING": "false",
                "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_FORKS": str(forks)})
    cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inv, pb,
           "-e", json.dumps({"ansible_connection": "local", "ansible_python_interpreter": sys.executable})]
    start = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900, check=False)
    elapsed = time.time() - start
    ok = failed = 0
    try:
        data = json.loads(proc.stdout[proc.stdout.index("{"):])
        for host, res in data["plays"][0]["tasks"][0]["hosts"].items():
            if res.get("failed"):
                failed += 1
            else:
                ok += 1
    except (ValueError, KeyError, IndexError):
        pass
    return elapsed, ok, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--real", type=int, default=3, help="records pointing at the real test dockerd")
    parser.add_argument("--black-hole-ratio", type=float, default=0.10)
    parser.add_argument("--timeout", type=float, default=3.0)
    parser.add_argument("--max-workers", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compare-hosts", type=int, default=20)
    parser.add_argument("--forks", type=int, default=5, help="forks for the docker_host_info run (Ansible default 5)")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="gfbench-")
    daemon = fleet = None
    holes = []
    try:
        tls = TLSMaterial(os.path.join(tmp, "tls"))
        n_holes = int(round(args.nodes * args.black_hole_ratio))
        real = 0
        if args.real and shutil.which("dockerd") and os.geteuid() == 0:
            try:
                daemon = Dockerd().start()
                real = args.real
            except Exception as exc:  # noqa: BLE001
                print("real dockerd not available (%s); using fake endpoints only" % exc)
                daemon = None
        n_fake = args.nodes - n_holes - real
        t0 = time.time()
        fleet = FakeFleet(n_fake, tls.dir)
        print("fake Docker TLS endpoints: %d (started in %.1fs)" % (n_fake, time.time() - t0))
        holes = [BlackHole() for dummy in range(n_holes)]
        endpoints = {}
        for i, port in enumerate(fleet.ports):
            endpoints["fake-%04d" % i] = ("tcp://127.0.0.1:%d" % port, tls.pem)
        for i, hole in enumerate(holes):
            endpoints["hole-%04d" % i] = ("tcp://127.0.0.1:%d" % hole.port, tls.pem)
        for i in range(real):
            endpoints["real-%d" % i] = (daemon.docker_host, daemon.tls.pem)
        registry = os.path.join(tmp, "registry.db")
        books = Playbooks(tmp)
        playbooks = dict((m, books.write(m + ".yml", MODULE_PLAYBOOK % m))
                         for m in ("compute_node_info", "compute_node_probe"))
        module_args = {"registry": registry, "registry_key": KEY, "timeout": args.timeout,
                       "max_workers": args.max_workers}
        runs = dict((k, []) for k in ("info", "probe", "probe again"))
        for dummy in range(args.repeat):
            if os.path.exists(registry):
                os.unlink(registry)
            build_registry(registry, tls, endpoints)
            for key, module, extra in (("info", "compute_node_info", {"probe": True}),
                                       ("probe", "compute_node_probe", {}),
                                       ("probe again", "compute_node_probe", {})):
                run = books.run(playbooks[module], {"module_args": dict(module_args, **extra)}, json_output=True)
                result = run.json()["plays"][0]["tasks"][0]["hosts"]["localhost"]
                runs[key].append((run.wall, run.module, result["summary"]))
        print("%d endpoints (%d real dockerd, %d fake TLS engines, %d black holes), timeout %.1fs, "
              "max_workers %d, %d runs each" % (args.nodes, real, n_fake, n_holes, args.timeout, args.max_workers,
                                                args.repeat))
        print("  %-52s %15s %15s" % ("seconds (min / median)", "playbook wall", "module process"))
        ok = True
        for key, label in (("info", "compute_node_info probe: true (reads only)"),
                           ("probe", "compute_node_probe (records 1,000 statuses)"),
                           ("probe again", "compute_node_probe, statuses recorded (monitor)")):
            wall, module = min_median(r[0] for r in runs[key]), min_median(r[1] for r in runs[key])
            print("  %-52s %6.2f / %6.2f %6.2f / %6.2f" % (label, wall[0], wall[1], module[0], module[1]))
            ok = ok and module[0] <= TARGET_S
        print("  result: %s" % runs["probe"][-1][2])
        print("  target (module call <= %.0f s, one sixth of the 30-second interval): %s; whole playbook <= %.0f s: %s"
              % (TARGET_S, verdict(ok), TARGET_S,
                 verdict(all(min_median(r[0] for r in runs[k])[0] <= TARGET_S for k in runs))))
        if not args.compare_hosts:
            return 0 if ok else 2
        ours = min_median(r[0] for r in runs["info"])[0]

        m_holes = int(round(args.compare_hosts * args.black_hole_ratio))
        m_fake = args.compare_hosts - m_holes
        their, ok_hosts, failed = docker_host_info_run(tmp, tls, fleet.ports[:m_fake],
                                                       [h.port for h in holes[:m_holes]],
                                                       int(max(1, args.timeout)), args.forks)
        per_host = their / args.compare_hosts
        extrapolated = per_host * args.nodes
        print("community.docker.docker_host_info, one inventory host each, forks=%d: %d hosts "
              "(%d fake, %d black holes) in %.2fs (ok %d, failed %d)"
              % (args.forks, args.compare_hosts, m_fake, m_holes, their, ok_hosts, failed))
        print("  extrapolated linearly to %d hosts: %.1fs (measured on %d hosts, not run on %d)"
              % (args.nodes, extrapolated, args.compare_hosts, args.nodes))
        print("ratio (docker_host_info extrapolated / compute_node_info playbook): %.1fx" % (extrapolated / ours))
        return 0 if ok else 2
    finally:
        for hole in holes:
            hole.close()
        if fleet:
            fleet.close()
        if daemon:
            daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
