# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vLLM argument presets per model and GPU layout, and the bundled model list.

Both are plain data. Users extend or override presets with the ``vllm_presets``
option (modules) or argument (``gpufleet.ops.vllm_args`` filter); a preset the
user gives for the same model and layout replaces the bundled one.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# Where each preset comes from: the seed documents (gonka.ai host guides, 2025)
# and the network's current docs (August 2026), as gathered in the collection's
# reference notes. Layouts are "<count>x<GPU>", GPU upper-case.
BUNDLED_PRESETS = {
    "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8": {
        "8xH100": ["--tensor-parallel-size", "4"],
        "8xH200": ["--tensor-parallel-size", "4"],
    },
    "Qwen/Qwen3-32B-FP8": {
        "1xH100": [],
        "8x4090": ["--tensor-parallel-size", "4"],
        "8x3080": ["--tensor-parallel-size", "4", "--pipeline-parallel-size", "2"],
    },
    "Qwen/Qwen2.5-7B-Instruct": {
        "*": ["--quantization", "fp8", "--gpu-memory-utilization", "0.9"],
    },
    "MiniMaxAI/MiniMax-M2.7": {
        "4xH100": ["--tensor-parallel-size", "4", "--gpu-memory-utilization", "0.92"],
        "2xH200": ["--tensor-parallel-size", "2"],
        "4xA100": ["--tensor-parallel-size", "4", "--moe-backend", "marlin", "--kv-cache-dtype", "fp8"],
    },
    "moonshotai/Kimi-K2.6": {
        "8xH200": ["--tensor-parallel-size", "8"],
        "4xB200": ["--tensor-parallel-size", "4", "--enable-expert-parallel"],
        "8xB200": ["--tensor-parallel-size", "4", "--enable-expert-parallel"],
    },
    "deepseek-ai/DeepSeek-V4-Flash-0731": {
        "4xH100": ["--tensor-parallel-size", "4", "--gpu-memory-utilization", "0.85", "--max-model-len", "400000"],
        "2xH200": ["--tensor-parallel-size", "2"],
    },
}

# Offline fallback only: the chain's governance list is the truth and changes.
BUNDLED_MODELS_AS_OF = "2026-08"
BUNDLED_MODELS = [
    "MiniMaxAI/MiniMax-M2.7",
    "moonshotai/Kimi-K2.6",
    "deepseek-ai/DeepSeek-V4-Flash-0731",
    "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
    "Qwen/Qwen3-32B-FP8",
]

_LAYOUT_RE = re.compile(r"^\s*(\d+)\s*[xX×*]\s*([A-Za-z0-9][A-Za-z0-9 _.-]*?)\s*$")


class PresetError(ValueError):
    """A layout that cannot be read, or a model/layout without a preset."""


def normalize_layout(layout):
    """'8 x h100' -> '8xH100'. Raises PresetError for anything else."""
    match = _LAYOUT_RE.match(str(layout))
    if not match or int(match.group(1)) < 1:
        raise PresetError("GPU layout %r is not of the form '<count>x<GPU>', for example '8xH100'" % (layout,))
    gpu = re.sub(r"[\s_-]+", "", match.group(2)).upper()
    # Vendor prefixes people copy from nvidia-smi ('NVIDIA H100', 'RTX 4090').
    gpu = re.sub(r"^(NVIDIA|GEFORCE|RTX)+", "", gpu) or gpu
    return "%dx%s" % (int(match.group(1)), gpu)


def layout_from_hardware(hardware):
    """The layout implied by an Admin API ``hardware`` list, or None.

    Only a single GPU type can be mapped to one layout; mixed lists give None.
    """
    if not hardware:
        return None
    kinds = {}
    for item in hardware:
        gpu_type = str(item.get("type", "")).strip()
        if gpu_type:
            kinds[gpu_type] = kinds.get(gpu_type, 0) + int(item.get("count", 1) or 1)
    if len(kinds) != 1:
        return None
    gpu_type, count = kinds.popitem()
    return normalize_layout("%dx%s" % (count, gpu_type))


def merged_presets(user_presets=None):
    """Bundled presets with the user's on top (per model, per layout)."""
    merged = dict((model, dict(layouts)) for model, layouts in BUNDLED_PRESETS.items())
    for model, layouts in (user_presets or {}).items():
        if not isinstance(layouts, dict):
            raise PresetError("vllm_presets[%r] must map GPU layouts to argument lists" % (model,))
        target = merged.setdefault(model, {})
        for layout, args in layouts.items():
            if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
                raise PresetError("vllm_presets[%r][%r] must be a list of strings" % (model, layout))
            key = "*" if layout == "*" else normalize_layout(layout)
            target[key] = list(args)
    return merged


def preset_args(model, layout, presets):
    """vLLM args for ``model`` on ``layout`` from ``presets`` (see merged_presets)."""
    layouts = presets.get(model)
    if layouts is None:
        raise PresetError("no vLLM preset for model %r (known: %s); give its args explicitly "
                          "or add it with vllm_presets" % (model, ", ".join(sorted(presets))))
    key = normalize_layout(layout) if layout is not None else None
    if key in layouts:
        return list(layouts[key])
    if "*" in layouts:
        return list(layouts["*"])
    raise PresetError("no vLLM preset for model %r on GPU layout %r (presets exist for: %s); give its "
                      "args explicitly or add one with vllm_presets" % (model, key, ", ".join(sorted(layouts))))
