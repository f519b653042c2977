# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gpufleet.ops.vllm_args filter: presets by model and GPU layout, the user's on top,
and failures that name what is missing (roles stop on them before starting anything)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible.errors import AnsibleError, AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import filter_loader
from ansible.template import Templar, trust_as_template

from ansible_collections.gpufleet.ops.plugins.filter.vllm_args import vllm_args

BIG = "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8"


def render(expression, **variables):
    """The filter the way a role uses it: through Ansible's template engine and plugin loader."""
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template("{{ %s }}" % expression))


def test_bundled_preset_for_a_model_and_layout():
    assert vllm_args(BIG, "8xH100") == ["--tensor-parallel-size", "4"]


@pytest.mark.parametrize("layout", ["8xH100", "8 x h100", "8xNVIDIA H100", "8x h-100"])
def test_layout_spellings_people_copy_are_understood(layout):
    assert vllm_args(BIG, layout) == vllm_args(BIG, "8xH100")


def test_user_presets_add_models_and_win_over_bundled_ones():
    mine = {"my/model": {"2xL40S": ["--tensor-parallel-size", "2"]}, BIG: {"8xH100": ["--tensor-parallel-size", "8"]}}
    assert vllm_args("my/model", "2 x l40s", presets=mine) == ["--tensor-parallel-size", "2"]
    assert vllm_args(BIG, "8xH100", presets=mine) == ["--tensor-parallel-size", "8"]


def test_wildcard_layout_matches_every_layout():
    assert vllm_args("my/model", "3xA10", presets={"my/model": {"*": []}}) == []


@pytest.mark.parametrize("model, layout, words", [
    (BIG, "3xA10", [BIG, "3xA10", "8xH100"]),              # names the layouts that have presets
    ("nobody/model", "8xH100", ["nobody/model", BIG]),    # names the models that do
    (BIG, "eight H100", ["eight H100", "<count>x<GPU>"]),  # says what a layout looks like
])
def test_missing_preset_fails_naming_model_layout_and_what_exists(model, layout, words):
    with pytest.raises(AnsibleFilterError) as err:
        vllm_args(model, layout)
    for word in words:
        assert word in str(err.value)


def test_bad_user_presets_are_refused_with_the_key():
    with pytest.raises(AnsibleFilterError, match="my/model"):
        vllm_args("my/model", "1xA10", presets={"my/model": {"1xA10": "--tensor-parallel-size 1"}})


def test_through_the_template_engine():
    assert filter_loader.get("gpufleet.ops.vllm_args") is not None
    assert render("model | gpufleet.ops.vllm_args('8xH100')", model=BIG) == ["--tensor-parallel-size", "4"]
    with pytest.raises(AnsibleError, match="3xA10"):
        render("model | gpufleet.ops.vllm_args('3xA10')", model=BIG)
