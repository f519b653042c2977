#!/usr/bin/env python
"""Benchmark: register N ML nodes in one gpufleet.ops.mlnode task, re-run it, and
compare with what a user would write from the seed docs: an ansible.builtin.uri
loop with one POST /admin/v1/nodes per node.

Runs against the Admin API simulator on 127.0.0.1 (tests/support/gonka_sim.py),
through real ansible-playbook. Prints requests sent, wall time and the ratios.

    python bench/mlnode_bench.py [--nodes 500] [--release v0.2.14|aug2025|v0.2.5|v0.2.9|v0.2.12]
"""
import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

from tests.support.ansible_run import run_playbook  # noqa: E402
from tests.support import gonka_sim  # noqa: E402

MODULE_PLAYBOOK = """
- name: Register ML nodes with gpufleet.ops.mlnode (one task)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Register all nodes
      gpufleet.ops.mlnode:
        admin_url: "{{ admin_url }}"
        nodes: "{{ nodes }}"
"""

URI_PLAYBOOK = """
- name: Register ML nodes the way the seed docs show (one POST per node)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: POST /admin/v1/nodes
      ansible.builtin.uri:
        url: "{{ admin_url }}/admin/v1/nodes"
        method: POST
        body_format: json
        body: "{{ item }}"
        status_code: 200
      loop: "{{ nodes }}"
"""


def make_nodes(count):
    return [{"id": "bench-%04d" % i, "host": "10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256),
             "inference_port": 5050, "poc_port": 8080, "max_concurrent": 500,
             "models": {"Qwen/Qwen3-32B-FP8": {"args": ["--tensor-parallel-size", "4"]}}} for i in range(count)]


def timed_run(sim, playbook_text, nodes, workdir, name):
    path = os.path.join(workdir, name + ".yml")
    with open(path, "w") as handle:
        handle.write(playbook_text)
    with sim.state.lock:
        del sim.state.requests[:]
    start = time.monotonic()
    res = run_playbook(path, extra_vars={"admin_url": sim.url, "nodes": nodes}, json_output=False, timeout=3600)
    elapsed = time.monotonic() - start
    if res.rc != 0:
        sys.exit("%s failed (rc=%d):\n%s\n%s" % (name, res.rc, res.stdout[-3000:], res.stderr[-3000:]))
    return elapsed, len(sim.requests)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--release", choices=gonka_sim.RELEASES, default="current")
    args = parser.parse_args()
    nodes = make_nodes(args.nodes)
    sim = gonka_sim.start(args.release)
    try:
        with tempfile.TemporaryDirectory() as workdir:
            first = timed_run(sim, MODULE_PLAYBOOK, nodes, workdir, "module")
            assert len(sim.snapshot()["nodes"]) == args.nodes, "not every node registered"
            rerun = timed_run(sim, MODULE_PLAYBOOK, nodes, workdir, "module")
            sim.reset(release=args.release)
            uri = timed_run(sim, URI_PLAYBOOK, nodes, workdir, "uri")
            assert len(sim.snapshot()["nodes"]) == args.nodes
    finally:
        sim.stop()

    print()
    print("mlnode benchmark: %d ML nodes, Admin API simulator (%s release), ansible-playbook wall time"
          % (args.nodes, args.release))
    print("  %-44s %9s %10s" % ("run", "requests", "seconds"))
    print("  %-44s %9d %10.2f" % ("gpufleet.ops.mlnode, first run (one task)", first[1], first[0]))
    print("  %-44s %9d %10.2f" % ("gpufleet.ops.mlnode, re-run (nothing to do)", rerun[1], rerun[0]))
    print("  %-44s %9d %10.2f" % ("ansible.builtin.uri loop, one POST per node", uri[1], uri[0]))
    print("  ratio uri loop / mlnode first run: %.1fx faster, %.0fx fewer requests"
          % (uri[0] / first[0], float(uri[1]) / first[1]))
    print("  re-run requests: %d (target 1)" % rerun[1])
    ok = rerun[1] == 1 and uri[0] / first[0] >= 20
    print("  targets (re-run sends 1 request, first run >= 20x faster): %s" % ("met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
