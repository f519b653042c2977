# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""GPU figures from NVIDIA DCGM, read through the Kubernetes API only (same credentials, nothing else to reach).

- Per GPU (``gpu_node_info`` with ``gpu_detail``): each node's dcgm-exporter pod's ``/metrics`` (Prometheus text,
  port 9400) through the API server's pod proxy. Fields as dcgm-exporter's default counters name them:
  ``DCGM_FI_DEV_GPU_UTIL`` (%), ``DCGM_FI_DEV_FB_USED`` / ``DCGM_FI_DEV_FB_FREE`` (MiB), labels ``gpu``, ``UUID``,
  ``modelName``, ``Hostname`` and, with Kubernetes pod mapping, ``namespace``/``pod``.
- Per job (``gpuctl_job_info``): the custom metrics API (custom.metrics.k8s.io/v1beta2) that prometheus-adapter
  serves with the rules the ``gpuctl_cluster`` role installs; the same metrics the HorizontalPodAutoscaler uses.

Where a source is missing every figure is None and ``reason`` says why.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.client import KubeRequestError

DCGM_GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
DCGM_FB_USED = "DCGM_FI_DEV_FB_USED"
DCGM_FB_FREE = "DCGM_FI_DEV_FB_FREE"
# defined by the prometheus-adapter rules of roles/gpuctl_cluster (used / (used + free) framebuffer, in %)
GPU_MEMORY_USED_PERCENT = "gpuctl_gpu_memory_used_percent"
REQUESTS_PER_SECOND = "gpuctl_requests_per_second"
REQUEST_LATENCY_SECONDS = "gpuctl_request_latency_seconds"
DCGM_EXPORTER_SELECTOR = "app.kubernetes.io/name=dcgm-exporter"
DCGM_EXPORTER_PORT = 9400

SAMPLE = re.compile(r"^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text, wanted=(DCGM_GPU_UTIL, DCGM_FB_USED, DCGM_FB_FREE)):
    """[(metric, labels, value)] of the wanted metrics in Prometheus text exposition format."""
    out = []
    for line in (text or "").splitlines():
        match = SAMPLE.match(line)
        if not match or match.group(1) not in wanted:
            continue
        try:
            value = float(match.group(3))
        except ValueError:
            continue
        out.append((match.group(1), dict(LABEL.findall(match.group(2) or "")), value))
    return out


def gpus_from_exporter(text):
    """{gpu index: {utilization, memory_used_mib, memory_free_mib, uuid, model, pod}} from one exporter's text."""
    gpus = {}
    for metric, labels, value in parse_prometheus(text):
        entry = gpus.setdefault(labels.get("gpu", "0"), {"uuid": labels.get("UUID"), "model": labels.get("modelName")})
        if labels.get("pod"):
            entry["pod"] = "%s/%s" % (labels.get("namespace"), labels["pod"])
        key = {DCGM_GPU_UTIL: "utilization", DCGM_FB_USED: "memory_used_mib", DCGM_FB_FREE: "memory_free_mib"}[metric]
        entry[key] = value
    return gpus


def _mib_text(mib):
    return "%gGi" % round(mib / 1024.0, 1)


def node_gpu_detail(client, nodes, selector=DCGM_EXPORTER_SELECTOR, port=DCGM_EXPORTER_PORT):
    """{node: (gpus or None, reason)}: per-GPU figures of each node from its dcgm-exporter pod."""
    try:
        exporters = client.list("Pod", None, label_selector=selector, field_selector="status.phase=Running")
    except KubeRequestError as exc:
        return dict((n, (None, "cannot list dcgm-exporter pods (%s): %s" % (selector, exc.msg))) for n in nodes)
    on_node = dict(((p.get("spec") or {}).get("nodeName"), p) for p in exporters)
    out = {}
    for node in nodes:
        pod = on_node.get(node)
        if pod is None:
            out[node] = (None, "no running dcgm-exporter pod (%s) on node %s" % (selector, node))
            continue
        try:
            text = client.pod_proxy(pod["metadata"]["namespace"], pod["metadata"]["name"], port)
        except KubeRequestError as exc:
            out[node] = (None, "cannot read %s/%s:%d/metrics through the API server: %s"
                         % (pod["metadata"]["namespace"], pod["metadata"]["name"], port, exc.msg))
            continue
        gpus = gpus_from_exporter(text)
        out[node] = (gpus, None) if gpus else (None, "dcgm-exporter on %s reports no %s/%s samples" % (node, DCGM_GPU_UTIL, DCGM_FB_USED))
    return out


def fill_gpu_detail(entries, gpus, reason):
    """Add utilization and memory to the node's per-GPU entries (gpu-<index>), or None with the reason."""
    for i, entry in enumerate(entries):
        figures = (gpus or {}).get(str(i))
        if figures is None:
            entry.update(utilization=None, memory_used_mib=None, memory_total_mib=None, memory_usage=None, uuid=None,
                         reason=reason or "dcgm-exporter reports no GPU %d" % i)
            continue
        used, free = figures.get("memory_used_mib"), figures.get("memory_free_mib")
        total = used + free if used is not None and free is not None else None
        entry.update(utilization=figures.get("utilization"), memory_used_mib=used, memory_total_mib=total,
                     memory_usage="%s/%s" % (_mib_text(used), _mib_text(total)) if total is not None else None,
                     uuid=figures.get("uuid"), reason=None)
        if figures.get("model"):
            entry["model"] = figures["model"]
        if figures.get("pod"):
            entry["status"], entry["pod"] = "used", figures["pod"]
    return entries


def _metric_per_pod(client, metric, namespace, selector):
    try:
        items = client.custom_metric(metric, namespace, selector)
    except KubeRequestError as exc:
        if exc.status in (404, 503):
            return None, "%s: not served by the custom metrics API (HTTP %s: %s)" % (metric, exc.status, exc.server_message or exc.msg)
        raise
    values = {}
    for item in items:
        try:
            values[(item.get("describedObject") or {}).get("name")] = _quantity(item.get("value"))
        except ValueError:
            continue
    if not values:
        return None, "%s: no values for the job's pods" % metric
    return values, None


def _quantity(text):
    from ansible_collections.gpufleet.ops.plugins.module_utils.common.quantity import parse_quantity
    return float(parse_quantity(str(text)))


def job_gpu_metrics(client, namespace, selector, inference=False):
    """GPU utilisation and memory of a job's pods (and request rate/latency of a service) from custom metrics."""
    out, reasons = {}, {}
    wanted = [("gpu_utilization", DCGM_GPU_UTIL, "avg"), ("gpu_memory_used_mib", DCGM_FB_USED, "sum"),
              ("gpu_memory_used_percent", GPU_MEMORY_USED_PERCENT, "avg")]
    if inference:
        wanted += [("requests_per_second", REQUESTS_PER_SECOND, "sum"), ("request_latency_seconds", REQUEST_LATENCY_SECONDS, "avg")]
    for key, metric, how in wanted:
        values, reason = _metric_per_pod(client, metric, namespace, selector)
        if values is None:
            out[key] = None
            reasons[key] = reason
            continue
        total = sum(values.values())
        out[key] = round(total / len(values) if how == "avg" else total, 3)
    out["gpu_reasons"] = reasons
    return out
