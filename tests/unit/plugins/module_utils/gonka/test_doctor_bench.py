# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""100 simulated ML nodes take about as long as the slowest check (issue 15).

The simulator (tests/support/gonka_sim.py) holds 100 registered nodes; their ML node APIs are
one local server that answers node N under /v3.0.8/nN/ after a delay: 0.2 s each, 1.0 s for one
slow node. Its ``reachable`` check makes two requests, so the slowest check takes 2.0 s; one node
after the other would take about 41.6 s.
"""
import sys
import time

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.doctor import DoctorService
from tests.support import gonka_sim
from tests.unit.plugins.module_utils.gonka.test_doctor import API_ENV, FakeModule, MlnodeServer, seed

NODES, DELAY, SLOW_NODE, SLOW = 100, 0.2, 57, 1.0


def test_100_nodes_take_about_as_long_as_the_slowest_check():
    sim = gonka_sim.start("v0.2.14")
    ml = MlnodeServer(delay=lambda n: SLOW if n == SLOW_NODE else DELAY)
    try:
        mlnodes = seed(sim, NODES, ml.port)
        module = FakeModule({"scope": "network_node", "name": "nn1", "admin_url": sim.url, "governance_url": sim.url,
                             "split": False, "mlnodes": mlnodes}, docker={lambda a: a[1] == "inspect": API_ENV})
        t0 = time.monotonic()
        result = DoctorService(module).run()
        elapsed = time.monotonic() - t0
    finally:
        ml.stop()
        sim.stop()
    slowest, sequential = 2 * SLOW, 2 * (SLOW + (NODES - 1) * DELAY)
    sys.stderr.write("\ndoctor bench: %d ML nodes in %.2f s (slowest check %.1f s, one after the other %.1f s)\n"
                     % (NODES, elapsed, slowest, sequential))
    reachable = [c for c in result["checks"] if c["check"] == "reachable"]
    assert len(reachable) == NODES and all(c["status"] == "ok" for c in reachable)
    assert result["counts"]["fail"] == 0 and result["counts"]["warn"] == 0, result["table"][:10]
    # About the slowest check: what is left over is the Admin API reads before the probes and the CPU of
    # 200 HTTP requests (about 1.5 s on two shared cores), nowhere near one node after the other.
    assert elapsed < slowest + 2.5, elapsed
    assert elapsed < sequential / 8, elapsed
