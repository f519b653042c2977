# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The read model: the seed's job, node and GPU figures derived from Kubernetes objects. Pure functions.

Used by the info readers and by the inventory plugin (``node_summary``, ``pods_by_node``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import names
from ansible_collections.gpufleet.ops.plugins.module_utils.common.quantity import parse_quantity

ACTIVE_PHASES = ("Pending", "Running")


def stored_spec(obj):
    try:
        return json.loads(((obj.get("metadata") or {}).get("annotations") or {}).get(names.ANNOTATION_SPEC) or "{}")
    except ValueError:
        return {}


def labels_of(obj):
    return (obj.get("metadata") or {}).get("labels") or {}


def _cond(obj, ctype):
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype and cond.get("status") == "True":
            return cond
    return None


def workload_status(obj):
    """pending | running | succeeded | failed | paused | terminating"""
    meta = obj.get("metadata") or {}
    if meta.get("deletionTimestamp"):
        return "terminating"
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if obj.get("kind") == "Job":
        if _cond(obj, "Complete"):
            return "succeeded"
        if _cond(obj, "Failed"):
            return "failed"
        if spec.get("suspend"):
            return "paused"
        if (status.get("ready") or 0) > 0:
            return "running"
        return "pending"
    if spec.get("replicas") == 0:
        return "paused"
    if (status.get("availableReplicas") or 0) > 0:
        return "running"
    return "pending"


def pod_gpus(pod):
    total = 0
    for container in (pod.get("spec") or {}).get("containers") or []:
        limits = (container.get("resources") or {}).get("limits") or {}
        try:
            total += int(parse_quantity(str(limits.get(names.GPU_RESOURCE, "0"))))
        except ValueError:
            pass
    return total


def paused_reservation(obj):
    """GPUs a paused workload keeps reserved: the whole job's GPUs (training), or per replica x the
    replicas it had before the pause (services). 0 when the workload is not paused."""
    if workload_status(obj) != "paused":
        return 0
    gpus = (stored_spec(obj).get("resources") or {}).get("gpu") or 0
    if obj.get("kind") == "Deployment":
        saved = ((obj.get("metadata") or {}).get("annotations") or {}).get(names.ANNOTATION_PAUSED_REPLICAS)
        try:
            gpus *= int(saved or 1)
        except ValueError:
            pass
    return gpus


def pod_requests(pod, resource):
    total = 0.0
    for container in (pod.get("spec") or {}).get("containers") or []:
        res = container.get("resources") or {}
        val = (res.get("requests") or {}).get(resource) or (res.get("limits") or {}).get(resource)
        if val is not None:
            try:
                total += parse_quantity(str(val))
            except ValueError:
                pass
    return total


def pod_active(pod):
    return (pod.get("status") or {}).get("phase") in ACTIVE_PHASES and not (pod.get("metadata") or {}).get("deletionTimestamp")


def progress(obj, pods):
    """Training progress in percent: a 'gpuctl/progress' pod annotation, else completed indexes."""
    if obj.get("kind") != "Job":
        return None
    if _cond(obj, "Complete"):
        return 100
    reported = []
    for pod in pods:
        val = ((pod.get("metadata") or {}).get("annotations") or {}).get(names.ANNOTATION_PROGRESS)
        try:
            reported.append(float(val))
        except (TypeError, ValueError):
            pass
    if reported:
        return int(round(min(100.0, max(0.0, sum(reported) / len(reported)))))
    completions = (obj.get("spec") or {}).get("completions") or 1
    return int(100 * ((obj.get("status") or {}).get("succeeded") or 0) // completions)


def job_summary(obj, pods=()):
    spec = stored_spec(obj)
    labels = labels_of(obj)
    res = spec.get("resources") or {}
    status = obj.get("status") or {}
    started = status.get("startTime")
    if not started:
        starts = [p.get("status", {}).get("startTime") for p in pods if p.get("status", {}).get("startTime")]
        started = min(starts) if starts else None
    return {
        "job_id": labels.get(names.LABEL_JOB_ID),
        "name": labels.get(names.LABEL_JOB) or obj["metadata"]["name"],
        "namespace": obj["metadata"].get("namespace"),
        "kind": labels.get(names.LABEL_KIND) or spec.get("kind"),
        "pool": labels.get(names.LABEL_POOL),
        "status": workload_status(obj),
        "gpu": res.get("gpu") or 0,
        "gpu_type": res.get("gpu-type"),
        "priority": (spec.get("job") or {}).get("priority"),
        "created_at": obj["metadata"].get("creationTimestamp"),
        "started_at": started,
        "progress": progress(obj, pods),
    }


def node_gpu_type(node, label=names.GPU_TYPE_LABEL):
    labels = labels_of(node)
    if labels.get(label):
        return labels[label]
    return labels.get(names.GPU_PRODUCT_LABEL)


def node_status(node):
    """active | maintaining (cordoned) | faulty (not Ready)"""
    ready = _cond(node, "Ready")
    if not ready:
        return "faulty"
    if (node.get("spec") or {}).get("unschedulable"):
        return "maintaining"
    return "active"


def node_gpu_total(node):
    alloc = (node.get("status") or {}).get("allocatable") or {}
    try:
        return int(parse_quantity(str(alloc.get(names.GPU_RESOURCE, "0"))))
    except ValueError:
        return 0


def pods_by_node(pods):
    out = {}
    for pod in pods:
        node = (pod.get("spec") or {}).get("nodeName")
        if node and pod_active(pod):
            out.setdefault(node, []).append(pod)
    return out


def node_summary(node, node_pods, gpu_type_label=names.GPU_TYPE_LABEL):
    total = node_gpu_total(node)
    used = sum(pod_gpus(p) for p in node_pods)
    alloc = (node.get("status") or {}).get("allocatable") or {}
    pool = labels_of(node).get(names.LABEL_POOL)
    return {
        "node_name": node["metadata"]["name"],
        "status": node_status(node),
        "gpu_total": total,
        "gpu_used": used,
        "gpu_free": max(0, total - used),
        "bound_pools": [pool] if pool else [],
        "cpu": alloc.get("cpu"),
        "memory": alloc.get("memory"),
        "gpu_type": node_gpu_type(node, gpu_type_label),
        "created_at": node["metadata"].get("creationTimestamp"),
    }


def fmt_mem(value):
    gib = value / 2 ** 30
    return "%gGi" % round(gib, 2)


def quantity(text):
    try:
        return parse_quantity(str(text))
    except ValueError:
        return 0.0


def node_detail(node, node_pods, gpu_type_label=names.GPU_TYPE_LABEL):
    out = node_summary(node, node_pods, gpu_type_label)
    status = node.get("status") or {}
    alloc = status.get("allocatable") or {}
    info = status.get("nodeInfo") or {}
    conds = status.get("conditions") or []
    cpu_total = parse_quantity(str(alloc.get("cpu", "0")))
    mem_total = parse_quantity(str(alloc.get("memory", "0")))
    out["k8s_status"] = {"conditions": conds, "kernel_version": info.get("kernelVersion"), "os_image": info.get("osImage"),
                         "kubelet_version": info.get("kubeletVersion"), "unschedulable": bool((node.get("spec") or {}).get("unschedulable"))}
    out["resources"] = {"cpu_total": cpu_total, "cpu_used": round(sum(pod_requests(p, "cpu") for p in node_pods), 3),
                        "memory_total": fmt_mem(mem_total), "memory_used": fmt_mem(sum(pod_requests(p, "memory") for p in node_pods)),
                        "gpu_total": out["gpu_total"], "gpu_used": out["gpu_used"], "gpu_free": out["gpu_free"]}
    out["gpu_detail"] = [{"gpu_id": "gpu-%d" % i, "type": out["gpu_type"], "status": "used" if i < out["gpu_used"] else "free",
                          "utilization": None} for i in range(out["gpu_total"])]
    out["labels"] = [{"key": k, "value": v} for k, v in sorted(labels_of(node).items())]
    jobs = {}
    for pod in node_pods:
        lab = labels_of(pod)
        if lab.get(names.LABEL_JOB):
            blank = {"job_id": lab.get(names.LABEL_JOB_ID), "name": lab[names.LABEL_JOB], "namespace": pod["metadata"].get("namespace"), "gpu": 0}
            entry = jobs.setdefault(lab.get(names.LABEL_JOB_ID), blank)
            entry["gpu"] += pod_gpus(pod)
    out["running_jobs"] = sorted(jobs.values(), key=lambda j: j["name"])
    beats = [c.get("lastHeartbeatTime") for c in conds if c.get("lastHeartbeatTime")]
    out["last_updated_at"] = max(beats) if beats else None
    return out
