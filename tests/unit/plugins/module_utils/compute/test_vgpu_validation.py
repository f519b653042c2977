# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vgpu_container's option checks: HAMi-core's units, GPUs, cores, env, and the node's limits."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import vgpu_validation as v
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError


def params(**extra):
    out = dict(compute_node="gpu-a", name="trainer-1", image="img:1", command=None, env=None, gpus=None,
               gpu_memory="8g", gpu_cores=None, state="started", check_image=None)
    out.update(extra)
    return out


def refused(func, *args):
    with pytest.raises(ComputeError) as info:
        func(*args)
    return info.value


@pytest.mark.parametrize("text, mib", [("8g", 8192), ("8G", 8192), ("8192m", 8192), ("8192M", 8192), ("8Gi", 8192),
                                       ("8GiB", 8192), ("1536Mi", 1536), ("1536MiB", 1536), (" 2g ", 2048)])
def test_memory_accepted_and_converted(text, mib):
    assert v.parse_gpu_memory(text) == mib


@pytest.mark.parametrize("text, words", [
    ("1.5g", "fraction"), (".5g", "fraction"), ("08g", "octal"), ("0x10g", "octal"), ("0m", "no memory limit"),
    ("8589934592", "bytes"), ("8", "bytes"), ("8GB", "not a size"), ("8MB", "not a size"), ("1t", "not a size"),
    ("1048576k", "not a size"), ("8 g", "not a size"), ("-8g", "not a size"), ("", "not a size")])
def test_memory_refused_when_hami_would_misread_it(text, words):
    error = refused(v.parse_gpu_memory, text)
    assert error.field == "gpu_memory" and words in error.msg


def test_memory_refuses_booleans_and_lists():
    assert refused(v.parse_gpu_memory, True).field == "gpu_memory"
    assert refused(v.parse_gpu_memory, [8]).field == "gpu_memory"


@pytest.mark.parametrize("value, parsed", [(1, 1), ("2", 2), ([3, 0], [0, 3]), (["1", 2], [1, 2]), ("0,1", [0, 1])])
def test_gpus_count_or_indices(value, parsed):
    assert v.parse_gpus(value) == parsed


@pytest.mark.parametrize("value, field", [(0, "gpus"), (17, "gpus"), (True, "gpus"), ([], "gpus"), ([0, 0], "gpus[1]"),
                                          ([0, -1], "gpus[1]"), ([0, "x"], "gpus[1]"), (list(range(17)), "gpus"),
                                          ({"a": 1}, "gpus")])
def test_gpus_refused(value, field):
    assert refused(v.parse_gpus, value).field == field


@pytest.mark.parametrize("value", [0, 101, True, 1.5, "30"])
def test_cores_refused(value):
    assert refused(v.parse_cores, value).field == "gpu_cores"


def test_params_need_image_and_memory_to_create_and_refuse_hami_env():
    assert refused(v.validate_params, params(image=None)).field == "image"
    assert refused(v.validate_params, params(gpu_memory=None)).field == "gpu_memory"
    for key in ("LD_PRELOAD", "CUDA_DEVICE_MEMORY_LIMIT", "CUDA_DEVICE_MEMORY_LIMIT_3", "CUDA_DEVICE_SM_LIMIT",
                "CUDA_REDIRECT", "CUDA_DEVICE_MEMORY_SHARED_CACHE", "NVIDIA_VISIBLE_DEVICES"):
        assert refused(v.validate_params, params(env={key: "x"})).field == "env." + key
    assert refused(v.validate_params, params(env={"EPOCHS": 3})).field == "env.EPOCHS"
    assert refused(v.validate_params, params(name="bad name")).field == "name"
    assert refused(v.validate_params, params(compute_node="")).field == "compute_node"
    assert refused(v.validate_params, params(command=[])).field == "command"


def test_stop_and_remove_by_name_alone():
    spec = v.validate_params(params(image=None, gpu_memory=None, state="absent"))
    assert not spec.defines_container
    assert refused(v.validate_params, params(image=None, gpu_memory="8g", state="stopped")).field == "gpu_memory"


def test_spec_defaults():
    spec = v.validate_params(params(gpus=None, name="/trainer-1"))
    assert spec.gpus == 1 and spec.memory_mib == 8192 and spec.name == "trainer-1" and spec.check_image == "img:1"


def record(**extra):
    out = dict(name="gpu-a", docker_host="tcp://127.0.0.1:2376", hami_core_dir="/root/HAMi-core/build", gpu_count=2,
               gpu_memory_gb=24)
    out.update(extra)
    return out


def test_node_limits():
    warnings = []
    check = v.check_against_node
    assert refused(check, v.validate_params(params(gpu_memory="25g")), record(), warnings.append).field == "gpu_memory"
    check(v.validate_params(params(gpu_memory="24g")), record(), warnings.append)
    assert refused(check, v.validate_params(params(gpus=3)), record(), warnings.append).field == "gpus"
    assert refused(check, v.validate_params(params(gpus=[0, 2])), record(), warnings.append).field == "gpus[1]"
    assert refused(check, v.validate_params(params()), record(hami_core_dir=None), warnings.append).field == \
        "compute_node"
    assert refused(check, v.validate_params(params()), record(docker_host=None), warnings.append).field == \
        "compute_node"
    assert warnings == []
    check(v.validate_params(params(gpus=8)), record(gpu_count=None, gpu_memory_gb=None), warnings.append)
    assert len(warnings) == 2
