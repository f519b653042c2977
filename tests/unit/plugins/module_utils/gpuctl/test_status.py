# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The read model: job and node figures derived from Kubernetes objects."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import status


@pytest.mark.parametrize("obj, expected", [
    ({"kind": "Job", "spec": {}, "status": {"conditions": [{"type": "Complete", "status": "True"}]}}, "succeeded"),
    ({"kind": "Job", "spec": {}, "status": {"conditions": [{"type": "Failed", "status": "True"}]}}, "failed"),
    ({"kind": "Job", "spec": {"suspend": True}, "status": {}}, "paused"),
    ({"kind": "Job", "spec": {}, "status": {"ready": 1}}, "running"),
    ({"kind": "Job", "spec": {}, "status": {}}, "pending"),
    ({"kind": "Job", "metadata": {"deletionTimestamp": "x"}, "spec": {}}, "terminating"),
    ({"kind": "Deployment", "spec": {"replicas": 0}}, "paused"),
    ({"kind": "Deployment", "spec": {"replicas": 2}, "status": {"availableReplicas": 1}}, "running"),
    ({"kind": "Deployment", "spec": {"replicas": 2}, "status": {}}, "pending"),
])
def test_workload_status(obj, expected):
    obj.setdefault("metadata", {})
    assert status.workload_status(obj) == expected


def test_progress_from_annotation_and_completions():
    job = {"kind": "Job", "spec": {"completions": 4}, "status": {"succeeded": 1}}
    assert status.progress(job, []) == 25
    pods = [{"metadata": {"annotations": {"gpuctl/progress": "60"}}}, {"metadata": {"annotations": {"gpuctl/progress": "70"}}}]
    assert status.progress(job, pods) == 65
