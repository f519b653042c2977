# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Seed 004's remaining promises (issue 13) and the request budget (issue 14) against the fake API server."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.jobs import JobManager

TRAINING = "qwen2-7b-llamafactory-sft"


def test_one_pod_job_created_with_a_service_stays_unchanged(client, server, seed, make_pool):
    """Jobs submitted before one-pod jobs lost their Service keep it: no drift, no forced recreate."""
    make_pool()
    spec = seed("training-job.yaml")
    for manifest in render.render(spec, "default", validated=True, headless_service=True):
        client.create(manifest)
    res = JobManager(client).ensure(spec)
    assert not res["changed"], res["actions"]
    assert server.get("services", "default", TRAINING) is not None
    assert "Service/default/%s" % TRAINING in res["actions"]
