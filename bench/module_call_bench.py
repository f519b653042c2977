#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: the cost of one module call, gpufleet.ops.mlnode_info against a small
list (5 ML nodes) versus an ansible.builtin.uri GET of the same endpoint. Issue 14 item 4.

Each playbook runs one task looped ``--calls`` times (every iteration is a separate
module execution) and once with a single call; the difference divided by ``calls - 1``
is the cost of one call without ansible-playbook's start-up. Each is measured
``--repeat`` times; min and median are printed. Also lists which heavy libraries the
module's process imports (kubernetes, cryptography, yaml, requests).

    python bench/module_call_bench.py [--calls 21] [--repeat 3]
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

from tests.support import gonka_sim  # noqa: E402
from tests.support.ansible_run import ensure_collection_link  # noqa: E402

TARGET = 1.2
HEAVY = ("kubernetes", "cryptography", "yaml", "requests", "jinja2")

PLAYBOOK = """
- name: Module call benchmark
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Read the ML node list
      %(task)s
      loop: "{{ range(calls) | list }}"
"""
MODULE_TASK = """gpufleet.ops.mlnode_info:
        admin_url: "{{ admin_url }}"
"""
URI_TASK = """ansible.builtin.uri:
        url: "{{ admin_url }}/admin/v1/nodes"
        method: GET
        return_content: true
"""

# Run a module in-process the way AnsiballZ does (same interpreter) and print the heavy
# libraries it imported.
IMPORT_PROBE = """
import json, sys
sys.path.insert(0, %(collections)r)
import importlib
importlib.import_module(%(module)r)
heavy = sorted(set(name.split(".")[0] for name in sys.modules if name.split(".")[0] in %(heavy)r))
print(json.dumps(heavy))
"""


def run_playbook(path, workdir, extra):
    bindir = os.path.dirname(sys.executable)
    cmd = [os.path.join(bindir, "ansible-playbook"), path, "-i", "localhost,",
           "-e", json.dumps(dict(ansible_python_interpreter=sys.executable, ansible_connection="local", **extra))]
    env = dict(os.environ)
    env.update({"ANSIBLE_COLLECTIONS_PATH": ensure_collection_link(), "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
                "ANSIBLE_RETRY_FILES_ENABLED": "false", "PATH": bindir + os.pathsep + env.get("PATH", "")})
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=workdir, timeout=900, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("%s failed:\n%s\n%s" % (path, proc.stdout[-3000:], proc.stderr[-3000:]))
    return elapsed


def heavy_imports(module):
    code = IMPORT_PROBE % {"collections": os.path.join(ROOT, "build", "collections"), "module": module,
                           "heavy": HEAVY}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--calls", type=int, default=21)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sim = gonka_sim.start("current")
    status, _answer = sim.state.batch([{"id": "n%d" % i, "host": "10.0.0.%d" % (i + 1), "inference_port": 5050,
                                        "poc_port": 8080, "max_concurrent": 500,
                                        "models": {"Qwen/Qwen3-32B-FP8": {"args": []}}} for i in range(5)])
    assert status in (200, 201), status
    per_call = {"module": [], "uri": []}
    try:
        with tempfile.TemporaryDirectory() as workdir:
            paths = {}
            for name, task in (("module", MODULE_TASK), ("uri", URI_TASK)):
                paths[name] = os.path.join(workdir, name + ".yml")
                with open(paths[name], "w") as handle:
                    handle.write(PLAYBOOK % {"task": task})
            for dummy in range(args.repeat):
                for name in ("uri", "module"):
                    one = run_playbook(paths[name], workdir, {"admin_url": sim.url, "calls": 1})
                    many = run_playbook(paths[name], workdir, {"admin_url": sim.url, "calls": args.calls})
                    per_call[name].append((many - one) / (args.calls - 1))
    finally:
        sim.stop()
    module_min, uri_min = min(per_call["module"]), min(per_call["uri"])
    module_med, uri_med = statistics.median(per_call["module"]), statistics.median(per_call["uri"])
    print()
    print("module call benchmark: one call against 5 ML nodes, Admin API simulator; (%d calls - 1 call) / %d, "
          "%d runs" % (args.calls, args.calls - 1, args.repeat))
    print("  %-42s %8s %8s" % ("seconds per call", "min", "median"))
    print("  %-42s %8.3f %8.3f" % ("ansible.builtin.uri GET /admin/v1/nodes", uri_min, uri_med))
    print("  %-42s %8.3f %8.3f" % ("gpufleet.ops.mlnode_info", module_min, module_med))
    ratio = module_min / uri_min
    print("  ratio mlnode_info / uri: %.2fx (min), %.2fx (median)" % (ratio, module_med / uri_med))
    print("  heavy libraries imported: mlnode_info %s, uri %s"
          % (heavy_imports("ansible_collections.gpufleet.ops.plugins.modules.mlnode_info") or "none",
             heavy_imports("ansible.modules.uri") or "none"))
    ok = ratio <= TARGET
    print("  target (<= %.1fx uri): %s" % (TARGET, "met" if ok else "NOT met"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
