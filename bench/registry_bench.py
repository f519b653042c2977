#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: saving one compute node in a registry of 10,000 nodes versus one of 10
(issue 14 item 6), on SQLite and, when a PostgreSQL server and psycopg are here, PostgreSQL.

Two measures, both in the same run for both sizes:
  * the registry alone: ``--saves`` read-modify-write saves of one existing node
    (``registry.update``), median seconds per save;
  * the module: one gpufleet.ops.compute_node task that changes one field of one node
    (the write, its read and the secret box), the module process's own time,
    ``--repeat`` runs, min / median;
  * the module's registry work in-process (open read-only, read, open a writer, save, close),
    ``--flow-saves`` times in a row on the large registry: the last tenth against the first,
    so a registry that slows down with use shows.

    python bench/registry_bench.py [--nodes 10000] [--small 10] [--saves 1000] [--repeat 7]
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import Playbooks, min_median, verdict  # noqa: E402  (puts the repo root on sys.path)
from tests.support.ansible_run import ensure_collection_link  # noqa: E402

sys.path.insert(0, ensure_collection_link())
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import open_backend  # noqa: E402

TARGET = 1.2
KEY = "bench-key"
CERT = "-----BEGIN CERTIFICATE-----\n" + ("A" * 64 + "\n") * 12 + "-----END CERTIFICATE-----\n"

SAVE_PLAYBOOK = """
- name: Save one compute node
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Change one field of one node
      gpufleet.ops.compute_node:
        registry: "{{ registry }}"
        registry_password: "{{ registry_password | default(omit) }}"
        name: "{{ node }}"
        region: "{{ region }}"
"""


def record(i):
    """A stored record the size of a real one (certificates included), no docker_host: no probe."""
    return {"name": "node-%05d" % i, "region": "eu-%d" % (i % 7), "cpu": 64, "memory": "512G", "system_disk": "200G", "data_disk": "4T",
            "gpu_name": "H100", "gpu_count": 8, "public_ip": "203.0.113.%d" % (i % 250 + 1),
            "private_ip": "10.%d.%d.%d" % (i // 65536, (i // 256) % 256, i % 256), "ssh_port": 22,
            "tls": True, "listed": True, "allow_insecure": False, "ca_cert": CERT,
            "docker_status": "unknown", "remark": "rack r%d, inference pool" % (i % 40)}


def populate(location, count, password=None):
    reg = open_backend(location, password=password)
    try:
        for i in range(count):
            reg.update("node-%05d" % i, lambda cur, rec=record(i): rec)
    finally:
        reg.close()


def registry_saves(location, count, saves, password=None):
    """Median seconds of one read-modify-write save of an existing node."""
    reg = open_backend(location, password=password)
    times = []
    try:
        for n in range(saves):
            name = "node-%05d" % ((n * 7919) % count)

            def mutate(cur, n=n):
                new = dict(cur)
                new["region"] = "r-%d" % n
                return new
            start = time.perf_counter()
            reg.update(name, mutate)
            times.append(time.perf_counter() - start)
    finally:
        reg.close()
    return statistics.median(times)


def module_flow_saves(location, count, saves, password=None):
    """What a compute_node run does to the registry, ``saves`` times in a row, in-process: open
    read-only, read the node, open a writer, save, close both. Median seconds of the first and
    the last tenth: a registry that slows down with use (a growing write-ahead log) shows here."""
    from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import open_registry
    times = []
    for n in range(saves):
        name = "node-%05d" % ((n * 7919 + 3) % count)
        start = time.perf_counter()
        conn = open_registry(location, read_only=True, must_exist=True, password=password)
        try:
            conn.registry.get(name)
            writer = conn.writer()
            try:
                writer.registry.update(name, lambda cur, n=n: dict(cur, region="f-%d" % n))
            finally:
                writer.close()
        finally:
            conn.close()
        times.append(time.perf_counter() - start)
    tenth = max(1, saves // 10)
    return statistics.median(times[:tenth]), statistics.median(times[-tenth:])


def module_save(books, playbook, location, count, index, password=None):
    """Module process seconds of compute_node changing one field of one node (run ``index``)."""
    extra = {"registry": location, "node": "node-%05d" % ((index * 7919 + 1) % count), "region": "m-%d" % index}
    env = {"GPUFLEET_REGISTRY_PASSWORD": password} if password else None
    run = books.run(playbook, extra, env=env, json_output=True)
    result = run.json()["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert result.get("changed") is True, result  # a save, not a no-op
    return run.module


def backends(tmp):
    """(label, location factory, password, cleanup) for each backend available here."""
    found = [("SQLite", lambda name: os.path.join(tmp, name + ".db"), None, None)]
    try:
        import psycopg  # noqa: F401 pylint: disable=unused-import
        from tests.support.postgres import PASSWORD, PostgresServer, pg_bindir
        if pg_bindir() is None:
            raise RuntimeError("no PostgreSQL server binaries")
        server = PostgresServer()
    except Exception as exc:  # noqa: BLE001 - any reason means: SQLite only, said so
        print("PostgreSQL not measured: %s" % exc)
        return found
    found.append(("PostgreSQL", server.new_database, PASSWORD, server.stop))
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--nodes", type=int, default=10000)
    parser.add_argument("--small", type=int, default=10)
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--flow-saves", type=int, default=1000)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="gfbench-registry-")
    rows, ok, steady = [], True, True
    cleanups = []
    try:
        books = Playbooks(tmp)
        playbook = books.write("save.yml", SAVE_PLAYBOOK)
        found = backends(tmp)
        if args.sqlite_only:
            found = found[:1]
        for label, make_location, password, cleanup in found:
            if cleanup:
                cleanups.append(cleanup)
            small, large = make_location("small"), make_location("large")
            start = time.monotonic()
            populate(small, args.small, password)
            populate(large, args.nodes, password)
            filled = time.monotonic() - start
            reg_small = registry_saves(small, args.small, args.saves, password)
            reg_large = registry_saves(large, args.nodes, args.saves, password)
            mod_small, mod_large = [], []
            for index in range(args.repeat):  # interleaved: the machine's load drifts
                mod_small.append(module_save(books, playbook, small, args.small, index, password))
                mod_large.append(module_save(books, playbook, large, args.nodes, index, password))
            flow = module_flow_saves(large, args.nodes, args.flow_saves, password)
            rows.append((label, filled, reg_small, reg_large, min_median(mod_small), min_median(mod_large), flow))
    finally:
        for cleanup in cleanups:
            cleanup()
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print("registry benchmark: saving one node, %d-node registry vs %d-node registry" % (args.nodes, args.small))
    for label, filled, reg_small, reg_large, mod_small, mod_large, flow in rows:
        print("  %s (both registries filled in %.1fs)" % (label, filled))
        print("    %-46s %10s %10s %8s" % ("", "%d nodes" % args.small, "%d nodes" % args.nodes, "ratio"))
        print("    %-46s %8.2fms %8.2fms %7.2fx" % ("registry.update, median of %d saves" % args.saves,
                                                    reg_small * 1000, reg_large * 1000, reg_large / reg_small))
        print("    %-46s %9.3fs %9.3fs %7.2fx" % ("compute_node task, module process (min)", mod_small[0],
                                                  mod_large[0], mod_large[0] / mod_small[0]))
        print("    %-46s %9.3fs %9.3fs %7.2fx" % ("compute_node task, module process (median)", mod_small[1],
                                                  mod_large[1], mod_large[1] / mod_small[1]))
        print("    %-46s %8.2fms %8.2fms %7.2fx" % ("%d module-flow saves in a row: first/last tenth" % args.flow_saves,
                                                    flow[0] * 1000, flow[1] * 1000, flow[1] / flow[0]))
        ok = ok and reg_large / reg_small <= TARGET and mod_large[0] / mod_small[0] <= TARGET
        steady = steady and flow[1] / flow[0] <= TARGET
    print("  target (saving one node at %d nodes <= %.1fx at %d): %s" % (args.nodes, TARGET, args.small, verdict(ok)))
    print("  no slowdown with use (last tenth of the module-flow saves <= %.1fx the first; PostgreSQL's are mostly "
          "connection set-up and move with the machine's load): %s" % (TARGET, verdict(steady)))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
