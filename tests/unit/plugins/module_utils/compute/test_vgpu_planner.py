# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container body of a vGPU container: HAMi-core's env and mounts, device requests, the spec hash."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import vgpu_planner as planner
from ansible_collections.gpufleet.ops.plugins.module_utils.compute import vgpu_validation

RECORD = {"name": "gpu-a", "hami_core_dir": "/root/HAMi-core/build"}


def spec(**extra):
    params = dict(compute_node="gpu-a", name="trainer-1", image="img:1", command=["python", "train.py"],
                  env={"EPOCHS": "3"}, gpus=1, gpu_memory="8g", gpu_cores=30, state="started", check_image=None)
    params.update(extra)
    return vgpu_validation.validate_params(params)


def env_of(body):
    return dict(item.split("=", 1) for item in body["Env"])


def test_count_gets_the_global_limit_and_all_hami_variables():
    body = planner.container_body(spec(), RECORD)
    env = env_of(body)
    digest = body["Labels"][planner.LABEL_HASH]
    assert env == {"EPOCHS": "3", "LD_PRELOAD": "/libvgpu/build/libvgpu.so", "CUDA_REDIRECT": "/libvgpu/build/libvgpu.so",
                   "CUDA_DEVICE_MEMORY_LIMIT": "8192m", "CUDA_DEVICE_SM_LIMIT": "30",
                   "CUDA_DEVICE_MEMORY_SHARED_CACHE": "/tmp/cudevshr-trainer-1-%s.cache" % digest[:12]}
    assert body["HostConfig"]["Mounts"] == [
        {"Type": "bind", "Source": "/root/HAMi-core/build", "Target": "/libvgpu/build", "ReadOnly": True},
        {"Type": "bind", "Source": "/tmp/vgpulock", "Target": "/tmp/vgpulock", "ReadOnly": False}]
    assert body["HostConfig"]["DeviceRequests"] == [{"Driver": "nvidia", "Count": 1, "Capabilities": [["gpu"]]}]
    assert body["Cmd"] == ["python", "train.py"] and body["Image"] == "img:1"


def test_indices_get_one_limit_per_container_device():
    body = planner.container_body(spec(gpus=[5, 2], gpu_cores=None), RECORD)
    env = env_of(body)
    assert env["CUDA_DEVICE_MEMORY_LIMIT_0"] == env["CUDA_DEVICE_MEMORY_LIMIT_1"] == "8192m"
    assert "CUDA_DEVICE_MEMORY_LIMIT" not in env and "CUDA_DEVICE_SM_LIMIT" not in env
    assert body["HostConfig"]["DeviceRequests"][0]["DeviceIDs"] == ["2", "5"]
    assert "Count" not in body["HostConfig"]["DeviceRequests"][0]


def test_every_limit_is_whole_mib_with_the_m_unit():
    for text in ("8g", "8Gi", "8GiB", "8192m", "8192Mi"):
        assert env_of(planner.container_body(spec(gpu_memory=text), RECORD))["CUDA_DEVICE_MEMORY_LIMIT"] == "8192m"


def test_hash_same_spec_same_hash_other_spec_or_library_other_hash():
    same = [planner.spec_hash(spec(gpu_memory=m), RECORD) for m in ("8g", "8192m", "8Gi")]
    assert len(set(same)) == 1
    assert planner.spec_hash(spec(gpu_memory="4g"), RECORD) != same[0]
    assert planner.spec_hash(spec(), dict(RECORD, hami_core_dir="/opt/hami")) != same[0]
    assert planner.spec_hash(spec(env={"EPOCHS": "4"}), RECORD) != same[0]


def test_check_body_has_the_same_mounts_and_no_gpu():
    body = planner.check_body(spec(check_image="busybox:1"), RECORD)
    assert body["Image"] == "busybox:1" and "DeviceRequests" not in body["HostConfig"]
    assert body["HostConfig"]["Mounts"] == planner.mounts(RECORD["hami_core_dir"])


def test_view_and_planned_view():
    body = planner.container_body(spec(), RECORD)
    planned = planner.planned_view(spec(), RECORD, body)
    assert planned["id"] is None and planned["name"] == "trainer-1" and planned["running"] is False
    assert planned["limits"] == {"gpu_memory": "8192m", "gpu_memory_mib": 8192, "gpu_cores": 30, "gpus": 1}
    assert planned["hami_env"]["CUDA_DEVICE_MEMORY_LIMIT"] == "8192m" and "EPOCHS" not in planned["hami_env"]
    assert planned["mounts"][0] == {"source": "/root/HAMi-core/build", "target": "/libvgpu/build", "read_only": True}
    assert planner.view(None) is None
    assert planner.diff_view(planned, wanted_state=True)["running"] is True
