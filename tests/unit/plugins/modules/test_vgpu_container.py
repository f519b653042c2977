# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vgpu_container / vgpu_container_info argument handling: the real AnsibleModule, main() in-process.

No Docker engine is contacted: every case fails before a connection, or the node points at a
closed 127.0.0.1 port.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.gpufleet.ops.plugins.modules import compute_node, vgpu_container, vgpu_container_info
from tests.support.module_runner import run_main
from tests.support.tls import free_port


@pytest.fixture()
def registry(tmp_path):
    return str(tmp_path / "sub" / "registry.db")


def test_fixed_interface_and_spellings():
    spec = vgpu_container.argument_spec()
    for name in ("compute_node", "name", "image", "command", "env", "gpus", "gpu_memory", "gpu_cores", "state",
                 "registry", "registry_key", "timeout", "check_image"):
        assert name in spec
    assert spec["state"]["choices"] == ["started", "present", "stopped", "absent"]
    assert spec["state"]["default"] == "started"
    assert spec["timeout"]["aliases"] == ["request_timeout"] and spec["registry_key"]["no_log"] is True
    for module in (vgpu_container, vgpu_container_info):
        for option in module.argument_spec().values():
            assert all(len(alias) > 1 for alias in option.get("aliases", []))


def test_bad_input_fails_before_the_registry_is_opened(registry):
    kind, result = run_main(vgpu_container, dict(compute_node="gpu-a", name="t", image="i", gpu_memory="1.5g",
                                                 registry=registry))
    assert kind == "fail" and result["field"] == "gpu_memory" and "fraction" in result["msg"]
    assert not os.path.exists(os.path.dirname(registry))


def test_unknown_node_is_refused_and_nothing_is_created(registry):
    kind, result = run_main(vgpu_container, dict(compute_node="gpu-a", name="t", image="i", gpu_memory="8g",
                                                 registry=registry), check=True)
    assert kind == "fail" and result["field"] == "compute_node" and "no compute node" in result["msg"]
    assert not os.path.exists(os.path.dirname(registry))


def test_env_fallback_for_the_registry(registry):
    kind, result = run_main(vgpu_container, dict(compute_node="gpu-a", name="t", state="absent"),
                            env={"GPUFLEET_REGISTRY": registry})
    assert kind == "fail" and "gpu-a" in result["msg"]


def test_unreachable_node_fails_with_the_request_and_info_lists_it(registry):
    port = free_port()
    kind, _result = run_main(compute_node, dict(name="gpu-a", registry=registry, tls=False, gpu_count=1, gpu_memory_gb=8,
                                                docker_host="tcp://127.0.0.1:%d" % port,
                                                hami_core_dir="/root/HAMi-core/build"))
    assert kind == "exit"
    kind, result = run_main(vgpu_container, dict(compute_node="gpu-a", name="t", image="i", gpu_memory="8g",
                                                 registry=registry))
    assert kind == "fail" and result["status"] is None and "connection refused" in result["msg"]
    assert "GET http://127.0.0.1:%d/containers/t/json" % port in result["msg"]
    kind, result = run_main(vgpu_container, dict(compute_node="gpu-a", name="t", image="i", gpu_memory="9g",
                                                 registry=registry))
    assert kind == "fail" and result["field"] == "gpu_memory"
    kind, result = run_main(vgpu_container_info, dict(registry=registry))
    assert kind == "exit" and result["changed"] is False and result["containers"] == []
    assert result["nodes"][0]["name"] == "gpu-a" and "connection refused" in result["nodes"][0]["error"]
    kind, result = run_main(vgpu_container_info, dict(registry=registry, compute_node="nobody"))
    assert kind == "fail" and result["field"] == "compute_node"
