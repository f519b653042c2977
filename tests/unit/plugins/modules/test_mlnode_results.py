# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mlnode's ``results`` option and ``counts`` (issue 14): a large list returns counts and the
nodes that changed or failed; small lists keep the full per-node entries."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.service import AUTO_FULL_LIMIT
from ansible_collections.gpufleet.ops.plugins.modules import mlnode
from tests.support import gonka_sim
from tests.support.module_runner import run_main

Q = "Qwen/Qwen3-32B-FP8"


@pytest.fixture
def sim():
    with gonka_sim.start() as server:
        yield server


def nodes(count, start=0, **extra):
    return [dict({"id": "n%03d" % i, "host": "10.0.%d.%d" % (i // 250, i % 250 + 1), "models": [Q]}, **extra)
            for i in range(start, start + count)]


def run(sim, wanted, **options):
    kind, res = run_main(mlnode, dict({"admin_url": sim.url, "nodes": wanted}, **options))
    assert kind == "exit", res
    return res


def test_auto_is_full_for_a_small_list(sim):
    res = run(sim, nodes(3))
    assert res["results"] == "full" and len(res["nodes"]) == 3
    assert all("node" in n and "requests" in n for n in res["nodes"])
    assert res["counts"] == dict(total=3, changed=3, unchanged=0, failed=0, created=3, updated=0, deleted=0,
                                 enabled=0, disabled=0)


def test_auto_is_changed_above_the_limit(sim):
    count = AUTO_FULL_LIMIT + 1
    first = run(sim, nodes(count))
    assert first["results"] == "changed" and len(first["nodes"]) == count
    assert all("node" not in n and "requests" not in n for n in first["nodes"])
    assert first["counts"]["created"] == count
    wanted = nodes(count)
    wanted[5]["max_concurrent"] = 900
    again = run(sim, wanted)
    assert [n["id"] for n in again["nodes"]] == ["n005"] and again["nodes"][0]["changed_fields"] == ["max_concurrent"]
    assert again["counts"]["updated"] == 1 and again["counts"]["unchanged"] == count - 1
    assert run(sim, wanted)["nodes"] == []


def test_summary_lists_only_failures_and_full_lists_all(sim):
    run(sim, nodes(4))
    wanted = nodes(4)
    wanted[0]["max_concurrent"] = 700
    res = run(sim, wanted, results="summary")
    assert res["results"] == "summary" and res["nodes"] == [] and res["changed"] is True
    assert res["counts"]["updated"] == 1 and res["counts"]["unchanged"] == 3
    full = run(sim, wanted, results="full")
    assert len(full["nodes"]) == 4 and full["counts"]["unchanged"] == 4 and full["changed"] is False


def test_failed_nodes_are_named_in_every_mode(sim):
    wanted = nodes(2) + [{"id": "ghost", "state": "enabled"}]
    kind, res = run_main(mlnode, {"admin_url": sim.url, "nodes": wanted, "results": "summary"})
    assert kind == "fail" and "ghost" in res["msg"]
    assert [n["id"] for n in res["nodes"]] == ["ghost"] and res["nodes"][0]["failed"] is True
    assert res["counts"]["failed"] == 1 and res["counts"]["created"] == 2
