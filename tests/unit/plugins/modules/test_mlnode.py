# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""mlnode / mlnode_info argument handling: the real AnsibleModule, main() run in-process
against the Admin API simulator (every release profile for the behaviour that differs)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type


import pytest

from ansible_collections.gpufleet.ops.plugins.modules import mlnode, mlnode_info
from tests.support import gonka_sim
from tests.support.module_runner import run_main

Q = "Qwen/Qwen3-32B-FP8"


@pytest.fixture(scope="module")
def server():
    with gonka_sim.start() as sim:
        yield sim


@pytest.fixture(params=gonka_sim.PROFILE_NAMES)
def sim(request, server):
    server.reset(request.param)
    server.state.enforced_model = None
    return server


def test_spec_spellings_and_no_single_letter_aliases():
    for spec in (mlnode.argument_spec(),):
        assert spec["timeout"]["aliases"] == ["request_timeout"]
        assert spec["ca_path"]["aliases"] == ["ca_cert"]
        assert spec["admin_url"]["fallback"][1] == ["GONKA_ADMIN_API_URL"]
        for name, option in spec.items():
            assert len(name) > 1 and all(len(a) > 1 for a in option.get("aliases", []))


def test_old_spellings_still_work(sim):
    kind, res = run_main(mlnode, {"admin_url": sim.url, "request_timeout": 5, "id": "n1", "host": "10.0.0.1",
                                  "models": [Q]})
    assert kind == "exit" and res["changed"] is True, res


def test_admin_url_from_the_environment(sim):
    kind, res = run_main(mlnode_info, {}, env={"GONKA_ADMIN_API_URL": sim.url})
    assert kind == "exit" and res["nodes"] == [] and res["api_requests"] == 1


def test_check_mode_and_info_never_write(sim):
    kind, res = run_main(mlnode, {"admin_url": sim.url, "nodes": [{"id": "a", "host": "10.0.0.1", "models": [Q]}]},
                         check=True, diff=True)
    assert kind == "exit" and res["changed"] is True and res["diff"]["before"] == {"a": None}
    kind, res = run_main(mlnode_info, {"admin_url": sim.url, "upgrade_status": True, "setup_report": True})
    assert kind == "exit" and res["changed"] is False
    assert [r["method"] for r in sim.requests] == ["GET"] * 4


@pytest.mark.parametrize("args, text", [
    ({"id": "a", "nodes": []}, "mutually exclusive"),
    ({}, "one of the following is required: id, nodes"),
    ({"id": "a", "exclusive": True}, "exclusive: exclusive=true needs the full list in nodes"),
    ({"id": "a", "host": "h", "models": [Q], "parallel": 0}, "parallel: parallel must be between 1 and 64"),
    ({"id": "a", "host": "https://pod-8080.proxy.runpod.net", "models": [Q]}, "is refused"),
    ({"id": "a", "host": "h", "models": [Q], "vllm_presets": {Q: "x"}}, "vllm_presets"),
])
def test_argument_errors_name_the_option_and_send_nothing(server, args, text):
    server.reset("v0.2.14")
    kind, res = run_main(mlnode, dict({"admin_url": server.url}, **args))
    assert kind == "fail" and text in res["msg"], res
    assert server.requests == []
