# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input found by adversarial testing (issue 16 items 8-10): each ends in a SpecError with a field path.

Every case here raised a traceback or was taken silently before its fix.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gpufleet.ops.plugins.filter.gpuctl_manifests import gpuctl_manifests
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import SpecError

JOB = {"kind": "training", "job": {"name": "t"}, "environment": {"image": "busybox"}}


def errors_of(doc):
    with pytest.raises(SpecError) as info:
        validation.parse_spec(doc)
    return dict(info.value.errors)


def nested(depth):
    doc = "leaf"
    for dummy in range(depth):
        doc = [doc]
    return doc


def test_pool_node_keys_of_mixed_types():
    errors = errors_of({"kind": "resource", "pool": {"name": "p"}, "nodes": {1: {}, "node-a": {}}})
    assert list(errors) == ["nodes.1"] and "string" in errors["nodes.1"]


@pytest.mark.parametrize("depth", [100, 600, 5000])
def test_deep_nesting_is_refused_with_a_path(depth):
    errors = errors_of(dict(JOB, environment={"image": "busybox", "args": nested(depth)}))
    assert list(errors) == ["environment.args"] and "nested" in errors["environment.args"]


def test_deep_nesting_in_the_filter():
    with pytest.raises(AnsibleFilterError) as info:
        gpuctl_manifests(dict(JOB, environment={"image": "busybox", "args": nested(3000)}))
    assert "environment.args" in str(info.value)


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "kind: !!timestamp foo\n", "kind: !!python/name:os.system x\n",
                                  "kind: !!float abc\n", "kind: !!int abc\n"])
def test_yaml_that_breaks_the_loader(text):
    with pytest.raises(SpecError) as info:
        validation.load_documents(text, "bad.yaml")
    assert info.value.errors[0][0] == "bad.yaml"


@pytest.mark.parametrize("field, value", [
    ("gpu_share", "1" * 400 + "Gi"),
    ("gpu_share", "2000Ti"),
    ("cpu", "1" * 401),
    ("cpu", 10 ** 401),
    ("cpu", "2000000"),
    ("memory", "9" * 400 + "Gi"),
])
def test_huge_quantities_are_refused_with_the_range(field, value):
    resources = {"gpu": 1, field: value}
    errors = errors_of(dict(JOB, resources=resources))
    assert list(errors) == ["resources.%s" % field], errors
    assert "at most" in errors["resources.%s" % field]


@pytest.mark.parametrize("path, value", [(("job", "epochs"), 10 ** 20), (("job", "batch_size"), 2 ** 31),
                                         (("resources", "gpu"), 10 ** 20)])
def test_unbounded_integers_are_bounded(path, value):
    doc = dict(JOB, job=dict(JOB["job"]), resources={})
    doc[path[0]][path[1]] = value
    assert list(errors_of(doc)) == [".".join(path)]


def test_pool_names_cannot_carry_selector_syntax():
    for bad in ("a,b", "a!=b", "gpuctl/pool", "a b", "in (x)"):
        assert "resources.pool" in errors_of(dict(JOB, resources={"pool": bad}))
        assert validation.pool_name_problem(bad)
