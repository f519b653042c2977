# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The read side (info modules) against the fake API server."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.jobs import JobManager
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.readers import JobReader


def test_logs_tail_keyword_and_pod(client, server, seed, make_pool):
    make_pool()
    spec = seed("training-job.yaml")
    spec["resources"]["nodes"] = 2
    JobManager(client).ensure(spec)
    info = JobReader(client, "default")
    pods = info.describe("qwen2-7b-llamafactory-sft")["k8s_resources"]["pods"]
    assert len(pods) == 2
    server.set_pod_logs(pods[0], ["a loss 1", "b", "c LOSS 2"])
    out = info.logs("qwen2-7b-llamafactory-sft", tail=2, keyword="loss", pod=pods[0])
    assert out["logs"] == ["c LOSS 2"]
    with pytest.raises(GpuctlError):
        info.logs("qwen2-7b-llamafactory-sft", pod="nope")
    both = info.logs("qwen2-7b-llamafactory-sft", tail=1)
    assert len(both["logs"]) == 2 and both["logs"][0].startswith("[")


def test_describe_metrics_from_metrics_api(client, server, seed, make_pool):
    make_pool()
    JobManager(client).ensure(seed("training-job.yaml"))
    metrics = JobReader(client, "default").describe("qwen2-7b-llamafactory-sft")["metrics"]
    assert metrics["available"] and metrics["source"] == "metrics.k8s.io"
    assert metrics["cpu_usage"] == 16.0 and metrics["memory_usage"] == "64Gi"


def test_readers_only_read(client, server, seed, make_pool):
    """The info side never writes, whatever it is asked."""
    make_pool()
    JobManager(client).ensure(seed("training-job.yaml"))
    before = len([r for r in server.requests if r[0] != "GET"])
    reader = JobReader(client)
    reader.list()
    reader.describe("qwen2-7b-llamafactory-sft")
    reader.logs("qwen2-7b-llamafactory-sft")
    assert len([r for r in server.requests if r[0] != "GET"]) == before
