# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""20 ansible-playbook runs write one fresh SQLite registry at the same time."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))

from tests.support.ansible_run import run_playbook

PB = os.path.join(HERE, "playbooks", "compute", "node.yml")
RUNS = 20


def test_twenty_parallel_playbooks_lose_nothing(tmp_path):
    registry = str(tmp_path / "shared" / "registry.db")  # does not exist yet: creation races too

    def one(i):
        cases = [dict(name="node-%02d" % i, registry=registry, registry_key="shared-key", region="r%d" % (i % 3),
                      ssh_password="pw-%d" % i, gpu_count=i),
                 dict(name="node-%02d" % i, registry=registry, registry_key="shared-key", remark="second write")]
        return run_playbook(PB, extra_vars={"node_cases": cases}, timeout=180)

    with ThreadPoolExecutor(max_workers=RUNS) as pool:
        runs = list(pool.map(one, range(RUNS)))
    for res in runs:
        assert res.rc == 0, (res.stdout[-2000:], res.stderr[-2000:])
        assert "locked" not in res.stdout
    info = run_playbook(os.path.join(HERE, "playbooks", "compute", "info.yml"),
                        extra_vars={"info_args": {"registry": registry}})
    nodes = info.task("Compute node info")["nodes"]
    assert sorted(n["name"] for n in nodes) == ["node-%02d" % i for i in range(RUNS)]
    assert all(n["remark"] == "second write" and n["has_ssh_password"] for n in nodes)
    assert sorted(n["gpu_count"] for n in nodes) == list(range(RUNS))


def test_parallel_edits_of_one_node_behind_a_silent_engine_keep_every_field(tmp_path):
    """Issue 16 item 4: 14 runs change different fields of one node while its probe times out."""
    from tests.support.tls import BlackHole
    registry = str(tmp_path / "registry.db")
    hole = BlackHole()
    try:
        base = dict(name="shared", registry=registry, docker_host="tcp://127.0.0.1:%d" % hole.port, timeout=2)
        assert run_playbook(PB, extra_vars={"node_cases": [base]}).rc == 0
        fields = dict(region="r", cpu="c", memory="m", system_disk="s", data_disk="d", ssh_user="u",
                      gpu_name="g", remark="x", hami_core_dir="/h", public_ip="203.0.113.7",
                      private_ip="10.0.0.7", ssh_port=2200, gpu_count=4, gpu_memory_gb=80)

        def one(field):
            return run_playbook(PB, extra_vars={"node_cases": [dict(base, **{field: fields[field]})]}, timeout=180)

        with ThreadPoolExecutor(max_workers=len(fields)) as pool:
            runs = list(pool.map(one, sorted(fields)))
    finally:
        hole.close()
    for res in runs:
        assert res.rc == 0, (res.stdout[-2000:], res.stderr[-2000:])
    info = run_playbook(os.path.join(HERE, "playbooks", "compute", "info.yml"),
                        extra_vars={"info_args": {"registry": registry}})
    node = info.task("Compute node info")["nodes"][0]
    assert dict((f, node[f]) for f in fields) == fields
    assert node["docker_status"] == "failed" and node["docker_error"].startswith("timeout")
