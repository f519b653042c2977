# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The planner: "would change" decisions and the --diff views, without a cluster."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import planner
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError


def test_is_subset_semantics():
    assert planner.is_subset({"a": 1}, {"a": 1, "b": 2})
    assert not planner.is_subset({"a": [1]}, {"a": [1, 2]})
    assert planner.is_subset({"a": [{"x": 1}]}, {"a": [{"x": 1, "default": True}]})
    assert planner.is_subset({"a": None}, {"b": 1})
    assert not planner.is_subset({"a": None}, {"a": 1})
    assert planner.is_subset({"replicas": 2}, {"replicas": "2"})


def test_plan_refuses_template_change_without_force(seed):
    desired = render.render(seed("training-job.yaml"), validated=True)[-1]
    live = render.render(seed("training-job.yaml"), validated=True)[-1]
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "old"
    with pytest.raises(GpuctlError) as info:
        planner.plan(desired, live)
    assert "immutable" in info.value.msg
    assert planner.plan(desired, live, force=True).action == "recreate"


def test_change_diff_is_pruned_to_desired_fields():
    desired = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}, "data": {"k": "new"}}
    live = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n", "uid": "u", "resourceVersion": "1"},
            "data": {"k": "old"}, "status": {}}
    change = planner.plan(desired, live)
    diff = planner.diff_of([change]).result()
    assert diff["before"]["ConfigMap/n/a"] == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}, "data": {"k": "old"}}
    assert diff["after"]["ConfigMap/n/a"]["data"] == {"k": "new"}


def test_after_view_is_the_servers_answer_once_executed():
    """Check mode reports what the server would store (its dry-run answer), not the client's guess."""
    desired = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}, "data": {"k": "new"}}
    change = planner.plan(desired, None)
    assert change.after()["data"] == {"k": "new"}
    change.answer, change.executed = dict(desired, data={"k": "NEW (server-normalised)"}, status={}), True
    assert change.after()["data"] == {"k": "NEW (server-normalised)"}
    assert "status" not in change.after()
