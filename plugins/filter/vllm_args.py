# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: vllm_args
short_description: vLLM arguments for a model on a GPU layout, from the collection's presets
version_added: "0.1.0"
description:
  - Looks up the vLLM arguments for a model and a GPU layout (C(<count>x<GPU>), for example C(8xH100)) in the presets
    that M(gpufleet.ops.mlnode) uses, with the user's presets on top.
  - Fails with a message naming the model, the layout and the layouts that do have presets when there is none, so
    a role can stop before it starts anything.
author:
  - gpufleet.ops contributors
positional: layout
options:
  _input:
    description: "The model name, for example C(Qwen/Qwen3-32B-FP8)."
    type: str
    required: true
  layout:
    description: "The GPU layout, C(<count>x<GPU>); C(8 x h100) and C(8xNVIDIA H100) are understood too."
    type: str
    required: true
  presets:
    description:
      - "Extra or replacement presets, C({<model>: {<layout>: [args...]}}); a layout C(*) matches every layout."
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Arguments for the 235B model on 8xH100
  ansible.builtin.debug:
    msg: "{{ 'Qwen/Qwen3-235B-A22B-Instruct-2507-FP8' | gpufleet.ops.vllm_args('8xH100') }}"
  # ["--tensor-parallel-size", "4"]

- name: With a site preset
  ansible.builtin.set_fact:
    args: "{{ model | gpufleet.ops.vllm_args(layout, presets={'my/model': {'2xL40S': ['--tensor-parallel-size', '2']}}) }}"
"""

RETURN = r"""
_value:
  description: The vLLM arguments (possibly empty).
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.presets import (
    PresetError, merged_presets, preset_args)


def vllm_args(model, layout, presets=None):
    """The preset vLLM arguments for ``model`` on ``layout``."""
    try:
        return preset_args(str(model), layout, merged_presets(presets or {}))
    except PresetError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule(object):
    def filters(self):
        return {"vllm_args": vllm_args}
