# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a ``vgpu_container`` run would do: one code path for check mode and real runs.

``container_body`` turns a validated spec and the node record into the Docker Engine
API body of ``POST /containers/create``, with HAMi-core's environment and mounts
(reference/hami.md). The body's SHA-256 is stored in a label, so the next run
compares one label instead of re-reading every field Docker may have defaulted:
the same spec is no change, another spec recreates the container.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json

# Where the node's hami_core_dir appears inside a container (the seed's /libvgpu/build).
LIB_DIR = "/libvgpu/build"
LIB_PATH = LIB_DIR + "/libvgpu.so"
LOCK_DIR = "/tmp/vgpulock"
LABEL_MANAGED = "gpufleet.ops.vgpu"
LABEL_NODE = "gpufleet.ops.vgpu.node"
LABEL_HASH = "gpufleet.ops.vgpu.spec-hash"
LABEL_LIMITS = "gpufleet.ops.vgpu.limits"
LABEL_CHECK = "gpufleet.ops.vgpu.check"


def memory_limit(mib):
    """HAMi-core's notation: whole MiB with the one-letter unit it reads (``8192m``)."""
    return "%dm" % mib


def hami_env(spec, spec_hash):
    """The variables libvgpu.so reads, as a dict (name -> value)."""
    env = {"LD_PRELOAD": LIB_PATH, "CUDA_REDIRECT": LIB_PATH,
           # A file in the container's own /tmp: fresh for every container, and named after
           # the spec so a changed limit never meets a stale shared region.
           "CUDA_DEVICE_MEMORY_SHARED_CACHE": "/tmp/cudevshr-%s-%s.cache" % (spec.name, spec_hash[:12])}
    if isinstance(spec.gpus, int):
        env["CUDA_DEVICE_MEMORY_LIMIT"] = memory_limit(spec.memory_mib)
    else:
        # Inside the container the requested devices are CUDA 0..n-1.
        for index in range(len(spec.gpus)):
            env["CUDA_DEVICE_MEMORY_LIMIT_%d" % index] = memory_limit(spec.memory_mib)
    if spec.cores is not None:
        env["CUDA_DEVICE_SM_LIMIT"] = str(spec.cores)
    return env


def device_requests(gpus):
    request = {"Driver": "nvidia", "Capabilities": [["gpu"]]}
    if isinstance(gpus, int):
        request["Count"] = gpus
    else:
        request["DeviceIDs"] = [str(i) for i in gpus]
    return [request]


def mounts(hami_core_dir):
    return [{"Type": "bind", "Source": hami_core_dir, "Target": LIB_DIR, "ReadOnly": True},
            {"Type": "bind", "Source": LOCK_DIR, "Target": LOCK_DIR, "ReadOnly": False}]


def limits_view(spec):
    return {"gpu_memory": memory_limit(spec.memory_mib), "gpu_memory_mib": spec.memory_mib,
            "gpu_cores": spec.cores, "gpus": spec.gpus}


def spec_hash(spec, record):
    """The hash of everything that defines the container (the user's spec and the node's library)."""
    material = {"image": spec.image, "command": spec.command, "env": spec.env, "gpus": spec.gpus,
                "memory_mib": spec.memory_mib, "cores": spec.cores, "hami_core_dir": record["hami_core_dir"]}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode("utf-8")).hexdigest()


def container_body(spec, record):
    """``POST /containers/create`` body for a vGPU container on ``record``'s node."""
    digest = spec_hash(spec, record)
    env = dict(spec.env)
    env.update(hami_env(spec, digest))
    body = {
        "Image": spec.image,
        "Env": ["%s=%s" % (k, env[k]) for k in sorted(env)],
        "Labels": {LABEL_MANAGED: "true", LABEL_NODE: record["name"], LABEL_HASH: digest,
                   LABEL_LIMITS: json.dumps(limits_view(spec), sort_keys=True)},
        "HostConfig": {"Mounts": mounts(record["hami_core_dir"]), "DeviceRequests": device_requests(spec.gpus)},
    }
    if spec.command:
        body["Cmd"] = list(spec.command)
    return body


def check_body(spec, record):
    """A container that is created, never started: its mounts let the node's files be inspected."""
    return {"Image": spec.check_image, "Cmd": ["/libvgpu-check"], "Labels": {LABEL_CHECK: "true"},
            "HostConfig": {"Mounts": mounts(record["hami_core_dir"]), "NetworkMode": "none"}}


def view(inspect):
    """The ``container`` result from ``GET /containers/{id}/json`` (or None)."""
    if not inspect:
        return None
    config = inspect.get("Config") or {}
    host = inspect.get("HostConfig") or {}
    env = dict(item.split("=", 1) for item in config.get("Env") or [] if "=" in item)
    hami = dict((k, v) for k, v in env.items() if k in ("LD_PRELOAD", "CUDA_REDIRECT")
                or k.startswith("CUDA_DEVICE_"))
    labels = config.get("Labels") or {}
    try:
        limits = json.loads(labels.get(LABEL_LIMITS) or "{}")
    except ValueError:
        limits = {}
    gpus = []
    for request in host.get("DeviceRequests") or []:
        gpus.append({"driver": request.get("Driver"), "count": request.get("Count"),
                     "device_ids": request.get("DeviceIDs"), "capabilities": request.get("Capabilities")})
    state = inspect.get("State") or {}
    return {
        "id": inspect.get("Id"),
        "name": (inspect.get("Name") or "").lstrip("/"),
        "image": config.get("Image"),
        "command": config.get("Cmd"),
        "node": labels.get(LABEL_NODE),
        "status": state.get("Status"),
        "running": bool(state.get("Running")),
        "hami_env": hami,
        "mounts": [{"source": m.get("Source"), "target": m.get("Target"), "read_only": bool(m.get("ReadOnly"))}
                   for m in host.get("Mounts") or []],
        "gpus": gpus,
        "limits": limits,
        "spec_hash": labels.get(LABEL_HASH),
    }


def planned_view(spec, record, body, current=None):
    """What ``container`` will be after the run, before Docker has an id for it."""
    out = view({"Id": (current or {}).get("Id"), "Name": spec.name, "Config": {
        "Image": body["Image"], "Cmd": body.get("Cmd"), "Env": body["Env"], "Labels": body["Labels"]},
        "HostConfig": body["HostConfig"], "State": {"Status": "created", "Running": False}})
    out["id"] = None
    return out


def diff_view(container, wanted_state=None):
    """What ``--diff`` shows of a container."""
    if container is None:
        return None
    out = dict((k, container.get(k)) for k in ("image", "command", "hami_env", "mounts", "gpus", "limits"))
    out["running"] = container.get("running") if wanted_state is None else wanted_state
    return out


def is_managed(inspect):
    return ((inspect.get("Config") or {}).get("Labels") or {}).get(LABEL_MANAGED) == "true"


def current_hash(inspect):
    return ((inspect.get("Config") or {}).get("Labels") or {}).get(LABEL_HASH)
