# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The checks a ``vgpu_container`` spec passes before anything is sent to a node.

``validate_params`` looks at the options alone; ``check_against_node`` compares them
with the compute-node record (``gpu_memory_gb``, ``gpu_count``, ``hami_core_dir``).
Every refusal is a ``ComputeError`` naming the option.

HAMi-core reads its limits with ``strtoul(..., 0)`` and only the last character as a
unit (reference/hami.md): ``1.5g`` becomes 1 GiB, ``08g`` is octal, ``8Gi`` is a
2-byte limit. The module therefore writes every memory limit itself as ``<MiB>m`` and
refuses input it cannot convert exactly.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.module_utils.six import string_types

from ansible_collections.gpufleet.ops.plugins.module_utils.common.quantity import mebibytes
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError

STATES = ("started", "present", "stopped", "absent")
# Variables the module sets from its own options: a user ``env`` entry must not override them.
HAMI_VARIABLES = re.compile(r"^(LD_PRELOAD|CUDA_REDIRECT|CUDA_DEVICE_MEMORY_LIMIT(_\d+)?|CUDA_DEVICE_SM_LIMIT(_\d+)?"
                            r"|CUDA_DEVICE_MEMORY_SHARED_CACHE|NVIDIA_VISIBLE_DEVICES|CUDA_VISIBLE_DEVICES)$")
MAX_DEVICES = 16  # CUDA_DEVICE_MAX_COUNT in HAMi-core
_MEMORY = re.compile(r"^([1-9][0-9]*)(m|mi|mib|g|gi|gib)$", re.I)
_NAME = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$")


class VgpuSpec(object):
    """The validated options of one ``vgpu_container`` run."""

    def __init__(self, params, memory_mib=None, gpus=None):
        self.node = params["compute_node"]
        self.name = params["name"].lstrip("/")
        self.state = params.get("state") or "started"
        self.image = params.get("image")
        self.command = params.get("command")
        self.env = dict(params.get("env") or {})
        self.gpus = gpus
        self.memory_mib = memory_mib
        self.cores = params.get("gpu_cores")
        self.check_image = params.get("check_image") or self.image

    @property
    def defines_container(self):
        """True when the options describe a container (not just stop or remove one by name)."""
        return self.image is not None


def parse_gpu_memory(value, field="gpu_memory"):
    """``8g``, ``8192m``, ``8Gi``, ``8GiB`` -> MiB (int). Refuses what HAMi would misread."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (string_types, int)):
        raise ComputeError("must be a size such as 8g or 8192m, got %r" % (value,), field=field)
    text = str(value).strip()
    if re.match(r"^[0-9]+$", text):
        raise ComputeError("needs a unit: %r would be read as bytes by HAMi-core; write 8g or 8192m" % text,
                           field=field)
    if re.match(r"^[0-9]*\.[0-9]", text):
        raise ComputeError("%r is a fraction: HAMi-core would truncate it; write whole MiB such as 1536m"
                           % text, field=field)
    if re.match(r"^0[0-9xX]", text):
        raise ComputeError("%r has a leading 0: HAMi-core would read it as octal (hex after 0x)" % text, field=field)
    if text.startswith("0"):
        raise ComputeError("0 would mean no memory limit to HAMi-core; give a size above 0", field=field)
    if not _MEMORY.match(text):
        raise ComputeError("%r is not a size HAMi-core units can express: use g or m (8g, 8192m), or Gi / GiB "
                           "which are converted (decimal units such as GB, and k, t are refused)" % text,
                           field=field)
    return mebibytes(text)


def parse_gpus(value, field="gpus"):
    """A count (``2``) or device indices (``[0, 3]``) -> ``int`` or sorted list of ints."""
    if isinstance(value, bool):
        raise ComputeError("must be a count or a list of device indices, got a boolean", field=field)
    if isinstance(value, string_types) and re.match(r"^\s*[0-9]+\s*$", value):
        value = int(value)
    if isinstance(value, int):
        if not 1 <= value <= MAX_DEVICES:
            raise ComputeError("a count must be between 1 and %d, got %d" % (MAX_DEVICES, value), field=field)
        return value
    if isinstance(value, string_types):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)) or not value:
        raise ComputeError("must be a count or a non-empty list of device indices, got %r" % (value,), field=field)
    indices = []
    for pos, item in enumerate(value):
        if isinstance(item, string_types) and re.match(r"^\s*[0-9]+\s*$", item):
            item = int(item)
        if isinstance(item, bool) or not isinstance(item, int) or item < 0:
            raise ComputeError("must be a device index (0, 1, ...), got %r" % (item,), field="%s[%d]" % (field, pos))
        if item in indices:
            raise ComputeError("device %d is listed twice" % item, field="%s[%d]" % (field, pos))
        indices.append(item)
    if len(indices) > MAX_DEVICES:
        raise ComputeError("HAMi-core limits at most %d devices, got %d" % (MAX_DEVICES, len(indices)), field=field)
    return sorted(indices)


def parse_cores(value, field="gpu_cores"):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise ComputeError("must be a whole percent of the SMs between 1 and 100, got %r" % (value,), field=field)
    return value


def validate_params(params):
    """Check the options of ``vgpu_container``; return a VgpuSpec. Touches nothing."""
    for field in ("compute_node", "name"):
        if not isinstance(params.get(field), string_types) or not params[field].strip():
            raise ComputeError("must not be empty", field=field)
    if not _NAME.match(params["name"]):
        raise ComputeError("%r is not a valid container name ([a-zA-Z0-9][a-zA-Z0-9_.-]*)" % params["name"],
                           field="name")
    state = params.get("state") or "started"
    if state not in STATES:
        raise ComputeError("must be one of %s" % ", ".join(STATES), field="state")
    image = params.get("image")
    if state in ("started", "present") and not image:
        raise ComputeError("is required with state=%s" % state, field="image")
    if image is None:
        for field in ("gpus", "gpu_memory", "gpu_cores", "command", "env"):
            if params.get(field) not in (None, [], {}):
                raise ComputeError("needs image: without it the module only stops or removes the container",
                                   field=field)
        return VgpuSpec(params)
    if params.get("gpu_memory") is None:
        raise ComputeError("is required with image (the vGPU memory size per GPU, e.g. 8g)", field="gpu_memory")
    for key, value in (params.get("env") or {}).items():
        if HAMI_VARIABLES.match(str(key)):
            raise ComputeError("%s is set by the module from gpus, gpu_memory and gpu_cores; remove it from env"
                               % key, field="env.%s" % key)
        if not isinstance(value, string_types):
            raise ComputeError("must be a string (quote numbers: \"3\")", field="env.%s" % key)
    command = params.get("command")
    if command is not None and (not isinstance(command, list) or not command):
        raise ComputeError("must be a non-empty list of strings", field="command")
    memory = parse_gpu_memory(params["gpu_memory"])
    gpus = parse_gpus(params.get("gpus") if params.get("gpus") is not None else 1)
    parse_cores(params.get("gpu_cores"))
    return VgpuSpec(params, memory_mib=memory, gpus=gpus)


def check_against_node(spec, record, warn):
    """Refuse a spec the node cannot give (field named); ``warn`` when the record cannot tell."""
    node = record["name"]
    if not record.get("hami_core_dir"):
        raise ComputeError("node %r has no hami_core_dir: run the gpufleet.ops.hami_core role (or set it with "
                           "gpufleet.ops.compute_node) first" % node, field="compute_node", node=node)
    if not record.get("docker_host"):
        raise ComputeError("node %r has no docker_host" % node, field="compute_node", node=node)
    if not spec.defines_container:
        return
    total = record.get("gpu_memory_gb")
    if total:
        if spec.memory_mib > int(total) * 1024:
            raise ComputeError("%dm is more than one GPU of node %r has (gpu_memory_gb: %s = %dm)"
                               % (spec.memory_mib, node, total, int(total) * 1024), field="gpu_memory", node=node)
    else:
        warn("node %r has no gpu_memory_gb: gpu_memory is not checked against the GPU's memory" % node)
    count = record.get("gpu_count")
    if count is None:
        warn("node %r has no gpu_count: gpus is not checked against the node" % node)
        return
    if isinstance(spec.gpus, int):
        if spec.gpus > count:
            raise ComputeError("asks for %d GPUs but node %r has %d (gpu_count)" % (spec.gpus, node, count),
                               field="gpus", node=node)
        return
    for pos, index in enumerate(spec.gpus):
        if index >= count:
            raise ComputeError("device %d is outside node %r's GPUs 0..%d (gpu_count: %d)"
                               % (index, node, count - 1, count), field="gpus[%d]" % pos, node=node)
