#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: register N ML nodes in one gpufleet.ops.mlnode task, re-run it (nothing to
do), and compare with the best plain alternative: one ansible.builtin.uri POST of the same
list to the batch endpoint (no diff, no idempotence, no check mode). Issue 14 item 1.

Runs against the Admin API simulator on 127.0.0.1 (tests/support/gonka_sim.py), through
real ansible-playbook. Each playbook runs ``--repeat`` times; the min and median wall
times and the peak RSS of the module process (the interpreter Ansible starts for the
task, measured by a wrapper with getrusage) are printed with the ratios.

    python bench/mlnode_bench.py [--nodes 10000] [--repeat 3] [--release current]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, ROOT)

from tests.support.ansible_run import PlaybookResult, ensure_collection_link  # noqa: E402
from tests.support import gonka_sim  # noqa: E402

TIME_TARGET = 1.5
MEMORY_TARGET = 2.0

MODULE_PLAYBOOK = """
- name: Register ML nodes with gpufleet.ops.mlnode (one task)
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Register all nodes
      gpufleet.ops.mlnode:
        admin_url: "{{ admin_url }}"
        nodes: "{{ nodes }}"
        timeout: 600
"""

URI_PLAYBOOK = """
- name: Register ML nodes with one POST of the whole list to the batch endpoint
  hosts: localhost
  gather_facts: false
  tasks:
    - name: POST /admin/v1/nodes/batch
      ansible.builtin.uri:
        url: "{{ admin_url }}/admin/v1/nodes/batch"
        method: POST
        body_format: json
        body: "{{ nodes }}"
        status_code: [200, 201, 206]
        timeout: 600
"""

# Both tasks wait up to 600 s for the answer: on a loaded machine the simulator may take more
# than the 30 s default to register 10,000 nodes.
# The interpreter Ansible runs the module with: runs the real Python as a child and
# appends the child's peak RSS (KiB) to a file, so the module process alone is measured.
WRAPPER = """#!%(python)s
import os, resource, subprocess, sys, time
start = time.monotonic()
rc = subprocess.call([%(python)r] + sys.argv[1:])
with open(%(log)r, "a") as handle:
    handle.write("%%d %%.3f\\n" %% (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.monotonic() - start))
sys.exit(rc)
"""


def make_nodes(count):
    return [{"id": "bench-%05d" % i, "host": "10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256),
             "inference_port": 5050, "poc_port": 8080, "max_concurrent": 500,
             "models": {"Qwen/Qwen3-32B-FP8": {"args": ["--tensor-parallel-size", "4"]}}} for i in range(count)]


class Runner(object):
    def __init__(self, sim, nodes, workdir):
        self.sim = sim
        self.workdir = workdir
        self.rss_log = os.path.join(workdir, "rss.log")
        self.wrapper = os.path.join(workdir, "python-rss")
        with open(self.wrapper, "w") as handle:
            handle.write(WRAPPER % {"python": sys.executable, "log": self.rss_log})
        os.chmod(self.wrapper, 0o755)
        # Extra vars travel as a JSON file, as a large inventory would give them.
        self.vars_file = os.path.join(workdir, "vars.json")
        with open(self.vars_file, "w") as handle:
            json.dump({"admin_url": sim.url, "nodes": nodes}, handle)

    def run(self, playbook_text, name):
        path = os.path.join(self.workdir, name + ".yml")
        with open(path, "w") as handle:
            handle.write(playbook_text)
        if os.path.exists(self.rss_log):
            os.unlink(self.rss_log)
        start = time.monotonic()
        res = _run_with_vars_file(path, self.wrapper, self.vars_file)
        elapsed = time.monotonic() - start
        if res.rc != 0:
            sys.exit("%s failed (rc=%d):\n%s\n%s" % (name, res.rc, res.stdout[-3000:], res.stderr[-3000:]))
        with open(self.rss_log) as handle:
            measured = [line.split() for line in handle if line.strip()]
        return elapsed, max(int(m[0]) for m in measured), sum(float(m[1]) for m in measured)


def _run_with_vars_file(path, wrapper, vars_file):
    """run_playbook with the node list passed as ``-e @vars.json``."""
    bindir = os.path.dirname(sys.executable)
    cmd = [os.path.join(bindir, "ansible-playbook"), path, "-i", "localhost,",
           "-e", json.dumps({"ansible_python_interpreter": wrapper, "ansible_connection": "local"}),
           "-e", "@" + vars_file]
    env = dict(os.environ)
    env.update({"ANSIBLE_COLLECTIONS_PATH": ensure_collection_link(), "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
                "ANSIBLE_RETRY_FILES_ENABLED": "false", "PATH": bindir + os.pathsep + env.get("PATH", "")})
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=3600, check=False)
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr)


def summary(samples, index=0):
    """(min, median) of wall (index 0) or module-process (index 2) seconds, and the peak RSS."""
    times = [sample[index] for sample in samples]
    return min(times), statistics.median(times), max(sample[1] for sample in samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--nodes", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--release", choices=gonka_sim.RELEASES, default="current")
    args = parser.parse_args()
    nodes = make_nodes(args.nodes)
    sim = gonka_sim.start(args.release)
    first, rerun, uri, rerun_requests = [], [], [], []
    try:
        with tempfile.TemporaryDirectory() as workdir:
            runner = Runner(sim, nodes, workdir)
            for dummy in range(args.repeat):
                sim.reset(release=args.release)
                uri.append(runner.run(URI_PLAYBOOK, "uri"))
                assert len(sim.snapshot()["nodes"]) == args.nodes, "uri: not every node registered"
                sim.reset(release=args.release)
                first.append(runner.run(MODULE_PLAYBOOK, "module"))
                assert len(sim.snapshot()["nodes"]) == args.nodes, "mlnode: not every node registered"
                with sim.state.lock:
                    del sim.state.requests[:]
                rerun.append(runner.run(MODULE_PLAYBOOK, "module"))
                rerun_requests.append(len(sim.requests))
    finally:
        sim.stop()

    rows = [("ansible.builtin.uri, one POST nodes/batch", uri),
            ("gpufleet.ops.mlnode, first run", first),
            ("gpufleet.ops.mlnode, re-run (nothing to do)", rerun)]
    print()
    print("mlnode benchmark: %d ML nodes in one task, Admin API simulator (%s release), %d runs each"
          % (args.nodes, args.release, args.repeat))
    ok = True
    for title, index in (("ansible-playbook wall time (s)", 0), ("module process time (s)", 2)):
        u_min, u_med, u_rss = summary(uri, index)
        print("  %-44s %8s %8s %9s %8s %9s" % (title, "min", "median", "min/uri", "med/uri", "peak RSS"))
        for label, samples in rows:
            t_min, t_med, rss = summary(samples, index)
            print("  %-44s %8.2f %8.2f %8.2fx %7.2fx %5.0f MiB" % (label, t_min, t_med, t_min / u_min,
                                                                   t_med / u_med, rss / 1024.0))
            if samples is not uri and index == 0:
                ok = ok and t_min / u_min <= TIME_TARGET and rss / float(u_rss) <= MEMORY_TARGET
    u_rss = summary(uri)[2]
    print("  memory: mlnode first run %.2fx, re-run %.2fx the uri task's peak RSS"
          % (summary(first)[2] / float(u_rss), summary(rerun)[2] / float(u_rss)))
    print("  re-run requests: %s (target 1: GET nodes only)" % rerun_requests)
    ok = ok and all(count == 1 for count in rerun_requests)
    print("  targets (time <= %.1fx uri, peak RSS <= %.1fx uri, re-run sends 1 request): %s"
          % (TIME_TARGET, MEMORY_TARGET, "met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
