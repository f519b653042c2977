# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpuctl's ``gpu_share`` against the HAMi device plugin's resources (reference/hami.md).

HAMi's scheduler and device plugin read, per container limit:
- ``nvidia.com/gpu``: the number of (v)GPUs;
- ``nvidia.com/gpumem``: memory of EACH of those GPUs, an integer in MiB; the plugin turns it into
  ``CUDA_DEVICE_MEMORY_LIMIT_<i>=<MiB>m``;
- ``nvidia.com/gpucores``: percent of each GPU's SMs, an integer 0..100; the plugin turns it into
  ``CUDA_DEVICE_SM_LIMIT=<cores>``, and libvgpu.so reads 0 (and >= 100) as NO limit.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import SpecError

GPU, MEM, CORES = "nvidia.com/gpu", "nvidia.com/gpumem", "nvidia.com/gpucores"


def limits(kind, gpu, share):
    doc = {"kind": kind, "job": {"name": "t"}, "environment": {"image": "busybox"},
           "resources": {"gpu": gpu, "gpu_share": share}}
    found = []

    def walk(node):
        if isinstance(node, dict):
            if "containers" in node:
                found.extend(c.get("resources", {}).get("limits", {}) for c in node["containers"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    for manifest in render.render(doc):
        walk(manifest)
    assert found, "no container rendered"
    return found[0]


@pytest.mark.parametrize("kind", ["training", "inference", "notebook"])
@pytest.mark.parametrize("share, mib", [("2Gi", 2048), ("1536Mi", 1536), ("1Gi", 1024), ("80Gi", 81920)])
def test_memory_share_is_integer_mib_per_gpu(kind, share, mib):
    got = limits(kind, 4 if kind == "training" else 1, share)
    assert got[MEM] == str(mib) and re.match(r"^[1-9][0-9]*$", got[MEM])  # an integer, MiB, per GPU
    assert CORES not in got


def test_memory_share_is_per_gpu_not_per_pod():
    assert limits("inference", 2, "2Gi")[MEM] == "2048" and limits("inference", 2, "2Gi")[GPU] == "2"


def test_decimal_units_round_down_to_whole_mib():
    assert limits("inference", 1, "2G")[MEM] == str(2 * 10 ** 9 // 2 ** 20)


@pytest.mark.parametrize("share, cores", [(0.3, "30"), (0.25, "25"), (1, "100"), (1.0, "100"), (0.01, "1")])
def test_fraction_is_gpucores_percent(share, cores):
    got = limits("inference", 1, share)
    assert got[CORES] == cores and MEM not in got and got[GPU] == "1"


@pytest.mark.parametrize("share", [0.001, 0.004])
def test_tiny_fraction_never_becomes_no_limit(share):
    try:
        cores = limits("inference", 1, share)[CORES]
    except SpecError:
        return  # refused: also right
    assert 1 <= int(cores) <= 100
