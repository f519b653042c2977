# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import client as P
from ansible_collections.gpufleet.ops.plugins.module_utils.compute import planner
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.validation import NodeInput


def test_merge_config_applies_only_the_given_fields():
    stored = {"name": "n", "region": "a", "remark": "keep", "secrets": {"ssh_password": "t1"}, "created_at": "c"}
    new, changed = planner.merge_config(stored, NodeInput("n", {"region": "b"}, {}), {}, [], "now")
    assert changed and new["region"] == "b" and new["remark"] == "keep" and new["created_at"] == "c"
    assert new["updated_at"] == "now" and stored["region"] == "a"  # the input is not modified
    same, changed = planner.merge_config(stored, NodeInput("n", {"region": "a"}, {}), {}, [], "now")
    assert not changed and "updated_at" not in same


def test_merge_config_secrets_and_creation():
    new, changed = planner.merge_config(None, NodeInput("n", {"remark": ""}, {}), {"client_key": "tok"}, [], "t")
    assert changed and new["remark"] is None and new["tls"] is True and new["ssh_port"] == 22
    assert new["secrets"] == {"client_key": "tok"} and new["created_at"] == "t"
    gone, changed = planner.merge_config(new, NodeInput("n", {}, {}), {}, ["client_key"], "t2")
    assert changed and gone["secrets"] == {}


def test_status_write_never_resurrects_and_keeps_edits():
    write = planner.status_write(P.ProbeResult(P.FAILED, "refused"))
    assert write(None) is None
    latest = {"name": "n", "region": "edited meanwhile", "docker_status": "connected"}
    out = write(latest)
    assert out["region"] == "edited meanwhile" and out["docker_status"] == "failed"
    assert latest["docker_status"] == "connected"


def test_plan_status_reports_status_changes_only():
    records = [{"name": "a", "docker_status": "failed"}, {"name": "b", "docker_status": "connected"}]
    results = {"a": P.ProbeResult(P.FAILED, "timeout"), "b": P.ProbeResult(P.FAILED, "refused")}
    planned, changed = planner.plan_status(records, results)
    assert changed == ["b"] and planned[0]["docker_error"] == "timeout"
    assert records[1]["docker_status"] == "connected"
