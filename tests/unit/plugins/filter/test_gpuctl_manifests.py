# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gpuctl_manifests filter: render specs without a cluster, check quotas offline, fail with field paths."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gpufleet.ops.plugins.filter.gpuctl_manifests import FilterModule, gpuctl_manifests
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation

FIXTURES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "gpuctl"))


def seed(name, index=0):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return validation.load_documents(handle.read(), name)[index]


def test_filter_is_registered():
    assert FilterModule().filters()["gpuctl_manifests"] is gpuctl_manifests


def test_filter_renders_and_checks_quota_offline():
    training = validation.parse_spec(seed("training-job.yaml"))
    out = gpuctl_manifests(training, "ml")
    assert [m["kind"] for m in out] == ["PriorityClass", "Job"], "one pod: no headless Service (issue 14)"
    training["resources"]["nodes"] = 2
    assert [m["kind"] for m in gpuctl_manifests(training, "ml")] == ["PriorityClass", "Service", "Job"]
    training["resources"]["nodes"] = 1
    pool = {"kind": "resource", "pool": {"name": "training-pool"}, "quota": {"maxGpuPerJob": 2}}
    with pytest.raises(AnsibleFilterError) as info:
        gpuctl_manifests(training, pools=[pool])
    assert "resources.gpu: 4 GPUs exceed pool 'training-pool' quota maxGpuPerJob=2" in str(info.value)
    with pytest.raises(AnsibleFilterError) as info:
        gpuctl_manifests([training, {"kind": "notebook"}])
    assert "spec[1]: job" in str(info.value)


def test_filter_renders_every_seed_kind_into_the_namespace():
    docs = [seed("training-job.yaml"), seed("inference-service.yaml"), seed("notebook-job.yaml"), seed("train-pool.yaml")]
    out = gpuctl_manifests(docs, "team-a")
    kinds = [m["kind"] for m in out]
    assert kinds.count("Job") == 1 and kinds.count("Deployment") == 2 and kinds.count("ConfigMap") == 1
    assert {m["metadata"].get("namespace") for m in out if m["kind"] not in ("PriorityClass",)} == {"team-a"}


def test_filter_quota_counts_jobs_of_the_list():
    pool = {"kind": "resource", "pool": {"name": "training-pool"}, "quota": {"maxJobs": 1}}
    first, second = seed("training-job.yaml"), seed("training-job.yaml")
    second["job"] = dict(second["job"], name="second")
    with pytest.raises(AnsibleFilterError) as info:
        gpuctl_manifests([first, second], pools=[pool])
    assert "spec[1]: resources.pool: pool 'training-pool' already runs 1 job(s), its quota maxJobs=1" in str(info.value)


@pytest.mark.parametrize("pools, expected", [
    ([{"kind": "training", "job": {"name": "x"}, "environment": {"image": "i"}}], "pools[0]: kind: pools must be kind 'resource'"),
    ([], "resources.pool: pool 'training-pool' does not exist"),
])
def test_filter_pools_argument(pools, expected):
    with pytest.raises(AnsibleFilterError) as info:
        gpuctl_manifests(seed("training-job.yaml"), pools=pools)
    assert expected in str(info.value)


def test_filter_errors_are_the_specs_own_words():
    with pytest.raises(AnsibleFilterError) as info:
        gpuctl_manifests({"kind": "training", "job": {"name": "x"}, "environment": {"image": "i", "comand": []}})
    assert str(info.value).startswith("invalid gpuctl spec: environment.comand: unknown field (did you mean 'command'?)")
