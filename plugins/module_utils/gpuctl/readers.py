# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The read side: list and describe jobs, pools and nodes. Nothing here writes.

The info modules use these readers only; the write-side managers (``jobs``, ``pools``,
``labels``) use the small lookups at the top (``find_workload``, ``load_pool``).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

from ansible_collections.gpufleet.ops.plugins.module_utils.common.workers import bounded_map
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import gpu_metrics
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import names
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import status
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.client import KubeRequestError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.planner import ref

try:
    import yaml
except ImportError:  # pragma: no cover
    yaml = None

WORKLOAD_KINDS = ("Job", "Deployment")
MAX_FOLLOWED_PODS = 16  # pods read (or followed) at once
ACTIVE_PODS = "status.phase!=Succeeded,status.phase!=Failed"


def find_workload(client, namespace, name):
    """The live workload (Job or Deployment) of job ``name`` or job id in ``namespace``, or None."""
    for kind in WORKLOAD_KINDS:
        obj = client.get(kind, name, namespace)
        if obj is not None and status.labels_of(obj).get(names.LABEL_MANAGED_BY) == names.MANAGED_BY:
            obj.setdefault("kind", kind)
            return obj
    for kind in WORKLOAD_KINDS:
        found = client.list(kind, namespace, label_selector="%s=%s" % (names.LABEL_JOB_ID, name))
        if found:
            return found[0]
    return None


def load_pool(client, name, namespace):
    """The parsed pool spec stored in the cluster, or None when the pool does not exist."""
    configmap = client.get("ConfigMap", names.pool_configmap_name(name), namespace)
    if configmap is None:
        return None
    try:
        return json.loads((configmap.get("data") or {}).get("spec") or "{}") or {"kind": "resource", "pool": {"name": name}}
    except ValueError:
        raise GpuctlError("ConfigMap %s/%s holds an unreadable pool definition" % (namespace, names.pool_configmap_name(name)))


def pool_workloads(client, pool):
    """Every gpuctl workload (Job, Deployment) of ``pool``, in all namespaces: two lists."""
    found = []
    for kind in WORKLOAD_KINDS:
        for obj in client.list(kind, None, label_selector="%s=%s,%s" % (names.LABEL_POOL, pool, names.LABEL_JOB)):
            obj.setdefault("kind", kind)
            found.append(obj)
    return found


def active_jobs_in_pool(client, pool, workloads=None):
    """(namespace, name) of every workload of ``pool`` that has not finished (paused ones count: they hold their GPUs)."""
    return set((obj["metadata"].get("namespace"), obj["metadata"]["name"])
               for obj in (pool_workloads(client, pool) if workloads is None else workloads)
               if status.workload_status(obj) not in ("succeeded", "failed"))


def pool_gpu_usage(client, pool):
    """(total, used by pods, reserved by paused jobs {ns/name: gpus}) of the nodes labelled into ``pool``."""
    nodes = client.list("Node", label_selector="%s=%s" % (names.LABEL_POOL, pool))
    members = set(n["metadata"]["name"] for n in nodes)
    pods = client.list("Pod", None, field_selector=ACTIVE_PODS)
    used = sum(status.pod_gpus(p) for p in pods if (p.get("spec") or {}).get("nodeName") in members and status.pod_active(p))
    return sum(status.node_gpu_total(n) for n in nodes), used


def _page(items, page, page_size):
    start = (page - 1) * page_size
    return {"total": len(items), "page": page, "page_size": page_size, "items": items[start:start + page_size]}


class JobReader(object):
    """gpuctl get jobs / describe job / logs."""

    def __init__(self, client, namespace=None):
        self.client = client
        self.namespace = namespace

    def _pods(self, namespace, name):
        return self.client.list("Pod", namespace, label_selector="%s=%s" % (names.LABEL_JOB, name))

    def list(self, kind=None, pool=None, status_filter=None, page=1, page_size=20):
        selector = [names.LABEL_JOB, "%s=%s" % (names.LABEL_MANAGED_BY, names.MANAGED_BY)]
        if kind:
            selector.append("%s=%s" % (names.LABEL_KIND, kind))
        if pool:
            selector.append("%s=%s" % (names.LABEL_POOL, pool))
        workloads = []
        for workload_kind in WORKLOAD_KINDS:
            workloads.extend(self.client.list(workload_kind, self.namespace, label_selector=",".join(selector)))
        by_job = {}
        for pod in self.client.list("Pod", self.namespace, label_selector=names.LABEL_JOB):
            by_job.setdefault((pod["metadata"].get("namespace"), status.labels_of(pod).get(names.LABEL_JOB)), []).append(pod)
        items = [status.job_summary(w, by_job.get((w["metadata"].get("namespace"), status.labels_of(w).get(names.LABEL_JOB)), []))
                 for w in workloads]
        if status_filter:
            items = [i for i in items if i["status"] == status_filter]
        items.sort(key=lambda i: (i["namespace"] or "", i["name"]))
        return _page(items, page, page_size)

    def find(self, name):
        if self.namespace:
            obj = find_workload(self.client, self.namespace, name)
            if obj is None:
                raise GpuctlError("job '%s' not found in namespace %s" % (name, self.namespace), status=404)
            return obj
        found = {}
        for kind in WORKLOAD_KINDS:
            for label in (names.LABEL_JOB, names.LABEL_JOB_ID):
                for obj in self.client.list(kind, None, label_selector="%s=%s" % (label, name)):
                    obj.setdefault("kind", kind)
                    found[ref(obj)] = obj
        if not found:
            raise GpuctlError("job '%s' not found in any namespace" % name, status=404)
        if len(found) > 1:
            raise GpuctlError("job name '%s' exists in several namespaces (%s); give namespace or the job id"
                              % (name, ", ".join(sorted(found))))
        return list(found.values())[0]

    def describe(self, name, events=True):
        obj = self.find(name)
        namespace = obj["metadata"].get("namespace")
        job_name = status.labels_of(obj).get(names.LABEL_JOB) or obj["metadata"]["name"]
        pods = self._pods(namespace, job_name)
        spec = status.stored_spec(obj)
        res = spec.get("resources") or {}
        out = status.job_summary(obj, pods)
        out.update({
            "version": spec.get("version"),
            "description": (spec.get("job") or {}).get("description"),
            "yaml_content": yaml.safe_dump(spec, sort_keys=False, allow_unicode=True) if yaml and spec else None,
            "spec": spec,
            "resources": {"gpu": res.get("gpu") or 0, "gpu_type": res.get("gpu-type"), "cpu": res.get("cpu"),
                          "memory": res.get("memory"), "gpu_share": res.get("gpu_share")},
            "conditions": (obj.get("status") or {}).get("conditions") or [],
            "workload_status": obj.get("status") or {},
            "pods": [_pod_view(p) for p in pods],
            "k8s_resources": {"kind": obj["kind"], "name": obj["metadata"]["name"], "namespace": namespace,
                              "pods": [p["metadata"]["name"] for p in pods]},
            "metrics": self._metrics(namespace, job_name, spec.get("kind")),
        })
        if spec.get("kind") in ("inference", "notebook"):
            port = (spec.get("service") or {}).get("port") or (8000 if spec.get("kind") == "inference" else 8888)
            out["endpoint"] = "http://%s.%s.svc:%s" % (job_name, namespace, port)
        if events or out["status"] == "pending":
            out["events"] = self._events(namespace, [obj["metadata"]["name"]] + [p["metadata"]["name"] for p in pods])
        out["pending_reason"] = explain_pending(self.client, out, spec, pods, out["events"]) if out["status"] == "pending" else None
        if not events:
            out.pop("events", None)
        return out

    def _events(self, namespace, object_names):
        wanted = set(object_names)
        evs = [e for e in self.client.list("Event", namespace) if (e.get("involvedObject") or {}).get("name") in wanted]
        evs.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
        return [{"type": e.get("type"), "reason": e.get("reason"), "message": e.get("message"),
                 "object": "%s/%s" % ((e.get("involvedObject") or {}).get("kind"), (e.get("involvedObject") or {}).get("name")),
                 "count": e.get("count"), "last_timestamp": e.get("lastTimestamp") or e.get("eventTime")} for e in evs]

    def _metrics(self, namespace, job_name, kind=None):
        """CPU and memory use of the job's pods from metrics.k8s.io (metrics-server), GPU figures from DCGM
        through the custom metrics API (prometheus-adapter); each None with the reason when not served."""
        selector = "%s=%s" % (names.LABEL_JOB, job_name)
        out = {"available": False, "source": None, "cpu_usage": None, "memory_usage": None, "pods": {}}
        try:
            items = self.client.list("PodMetrics", namespace, label_selector=selector)
        except KubeRequestError as exc:
            if exc.status not in (404, 503):
                raise
            out["reason"] = "metrics.k8s.io is not served by this cluster (HTTP %s)" % exc.status
            items = None
        if items is not None:
            pods, cpu, mem = {}, 0.0, 0.0
            for item in items:
                pod_cpu = sum(status.quantity(c.get("usage", {}).get("cpu", "0")) for c in item.get("containers") or [])
                pod_mem = sum(status.quantity(c.get("usage", {}).get("memory", "0")) for c in item.get("containers") or [])
                pods[item["metadata"]["name"]] = {"cpu": round(pod_cpu, 3), "memory": status.fmt_mem(pod_mem)}
                cpu += pod_cpu
                mem += pod_mem
            out.update({"available": True, "source": "metrics.k8s.io", "cpu_usage": round(cpu, 3), "memory_usage": status.fmt_mem(mem),
                        "pods": pods})
        out.update(gpu_metrics.job_gpu_metrics(self.client, namespace, selector, inference=kind == "inference"))
        return out

    def logs(self, name, tail=100, keyword=None, pod=None, container=None, follow_seconds=0):
        """The job's log lines (``tail`` per pod, filtered by ``keyword``); with ``follow_seconds`` every pod's
        log is followed (streamed) for that long, all pods at once, and what arrived meanwhile is included."""
        obj = self.find(name)
        namespace = obj["metadata"].get("namespace")
        job_name = status.labels_of(obj).get(names.LABEL_JOB) or obj["metadata"]["name"]
        pod_names = [p["metadata"]["name"] for p in self._pods(namespace, job_name)]
        if pod:
            if pod not in pod_names:
                raise GpuctlError("pod '%s' is not a pod of job '%s' (pods: %s)" % (pod, job_name, ", ".join(pod_names) or "none"))
            pod_names = [pod]
        if not pod_names:
            raise GpuctlError("job '%s' has no pods yet (status: %s)" % (job_name, status.workload_status(obj)))
        pattern = re.compile(re.escape(keyword), re.I) if keyword else None
        lines, per_pod, errors = [], {}, {}

        def read(pod_name):
            try:
                if follow_seconds:
                    return self.client.follow_logs(pod_name, namespace, follow_seconds, tail=tail, container=container), None
                return self.client.logs(pod_name, namespace, tail=tail, container=container), None
            except KubeRequestError as exc:
                return None, exc.msg
        for pod_name, (text, error) in zip(pod_names, bounded_map(read, pod_names, MAX_FOLLOWED_PODS)):
            if error is not None:
                errors[pod_name] = error
                continue
            got = [line for line in text.splitlines() if not pattern or pattern.search(line)]
            per_pod[pod_name] = got
            lines.extend(("[%s] %s" % (pod_name, line)) if len(pod_names) > 1 else line for line in got)
        if errors and not per_pod:
            raise GpuctlError("could not read logs of job '%s': %s" % (job_name, "; ".join("%s: %s" % kv for kv in errors.items())))
        last = None
        for line in reversed(lines):
            match = re.search(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\dZ?", line)
            if match:
                last = match.group(0)
                break
        return {"job_id": status.labels_of(obj).get(names.LABEL_JOB_ID), "name": job_name, "pods": pod_names, "logs": lines,
                "pod_logs": per_pod, "pod_errors": errors, "last_timestamp": last, "followed_seconds": follow_seconds or 0}


IMAGE_PULL_REASONS = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull")


def _image_pull_problem(pods):
    for pod in pods:
        for cs in (pod.get("status") or {}).get("containerStatuses") or []:
            waiting = (cs.get("state") or {}).get("waiting") or {}
            if waiting.get("reason") in IMAGE_PULL_REASONS:
                return pod["metadata"]["name"], cs.get("image"), waiting
    return None


def _gpus_per_pod(spec):
    res = spec.get("resources") or {}
    gpu = res.get("gpu") or 0
    return gpu // (res.get("nodes") or 1) if spec.get("kind") == "training" else gpu


def _pool_capacity(client, pool, gpu_type):
    """Per node of the pool: total and free GPUs, type; and which jobs hold the pool's GPUs."""
    nodes = client.list("Node", label_selector="%s=%s" % (names.LABEL_POOL, pool)) if pool else client.list("Node")
    pods = status.pods_by_node(client.list("Pod", None, field_selector=ACTIVE_PODS))
    rows, holders = [], {}
    for node in nodes:
        name = node["metadata"]["name"]
        node_pods = [p for p in pods.get(name, []) if (p.get("status") or {}).get("phase") == "Running" or (p.get("spec") or {}).get("nodeName")]
        used = sum(status.pod_gpus(p) for p in node_pods)
        for pod in node_pods:
            labels = status.labels_of(pod)
            key = "%s/%s" % (pod["metadata"].get("namespace"), labels.get(names.LABEL_JOB) or pod["metadata"]["name"])
            holders[key] = holders.get(key, 0) + status.pod_gpus(pod)
        rows.append({"node": name, "gpu_type": status.node_gpu_type(node), "gpu_total": status.node_gpu_total(node),
                     "gpu_free": max(0, status.node_gpu_total(node) - used), "status": status.node_status(node)})
    return rows, dict((k, v) for k, v in holders.items() if v)


def explain_pending(client, job, spec, pods, events):
    """Why a job is pending, in one sentence, with the evidence (seed: "why is my job pending?").

    Checked in this order: an image the kubelet cannot pull; the pool's GPUs all taken (by which jobs,
    paused ones included); no node of the pool with enough free GPUs of the type (the closest node and
    what it lacks); otherwise the scheduler's own FailedScheduling message.
    """
    pulled = _image_pull_problem(pods)
    if pulled:
        pod, image, waiting = pulled
        sentence = "pod %s cannot pull image %s (%s): %s" % (pod, image, waiting.get("reason"), waiting.get("message") or "no message")
        return {"reason": "ImagePull", "sentence": sentence, "evidence": {"pod": pod, "image": image, "waiting": waiting}}
    failed = [e for e in events if e.get("reason") == "FailedScheduling"]
    scheduler = failed[-1]["message"] if failed else None
    unscheduled = [p for p in pods if not (p.get("spec") or {}).get("nodeName")]
    if pods and not unscheduled and not scheduler:
        return {"reason": "Starting", "sentence": "every pod is scheduled; the containers are starting", "evidence": {}}
    pool, gpu_type = job.get("pool"), (spec.get("resources") or {}).get("gpu-type")
    per_pod = _gpus_per_pod(spec)
    evidence = {"scheduler": scheduler, "gpus_per_pod": per_pod, "pool": pool, "gpu_type": gpu_type}
    if per_pod:
        rows, holders = _pool_capacity(client, pool, gpu_type)
        reserved = {}
        if pool:
            for workload in pool_workloads(client, pool):
                held = status.paused_reservation(workload)
                if held:
                    reserved["%s/%s" % (workload["metadata"].get("namespace"), workload["metadata"]["name"])] = held
        total = sum(r["gpu_total"] for r in rows)
        free = sum(r["gpu_free"] for r in rows) - sum(reserved.values())
        evidence.update({"nodes": rows, "gpu_total": total, "gpu_free": max(0, free), "used_by": holders, "reserved_by": reserved})
        where = "pool '%s'" % pool if pool else "the cluster"
        if free < per_pod:
            users = ", ".join("%s (%d)" % kv for kv in sorted(holders.items()))
            paused = ", ".join("%s (%d, paused)" % kv for kv in sorted(reserved.items()))
            return {"reason": "PoolFull", "evidence": evidence,
                    "sentence": "%s has %d of its %d GPUs free and a pod needs %d: they are used by %s"
                                % (where, max(0, free), total, per_pod, "; ".join(x for x in (users, paused) if x) or "no gpuctl job")}
        fitting = [r for r in rows if r["status"] == "active" and (not gpu_type or r["gpu_type"] == gpu_type)]
        if not any(r["gpu_free"] >= per_pod for r in fitting):
            candidates = sorted(rows, key=lambda r: (r["status"] == "active", not gpu_type or r["gpu_type"] == gpu_type, r["gpu_free"]),
                                reverse=True)
            if not candidates:
                return {"reason": "NoNodes", "evidence": evidence, "sentence": "%s has no nodes" % where}
            best = candidates[0]
            lacks = []
            if best["gpu_free"] < per_pod:
                lacks.append("%d more free GPU(s) (has %d, a pod needs %d)" % (per_pod - best["gpu_free"], best["gpu_free"], per_pod))
            if gpu_type and best["gpu_type"] != gpu_type:
                lacks.append("GPU type %s (has %s)" % (gpu_type, best["gpu_type"] or "no type label"))
            if best["status"] != "active":
                lacks.append("to be schedulable (it is %s)" % best["status"])
            evidence["closest_node"] = best["node"]
            return {"reason": "NoNodeFits", "evidence": evidence,
                    "sentence": "no node in %s has %d free GPU(s)%s; the closest, %s, lacks %s"
                                % (where, per_pod, " of type %s" % gpu_type if gpu_type else "", best["node"], " and ".join(lacks))}
    if scheduler:
        return {"reason": "FailedScheduling", "sentence": "the scheduler says: %s" % scheduler, "evidence": evidence}
    return {"reason": "Unknown", "sentence": "no pod has been created yet and no event says why", "evidence": evidence}


def _pod_view(pod):
    pod_status = pod.get("status") or {}
    containers = pod_status.get("containerStatuses") or []
    return {"name": pod["metadata"]["name"], "phase": pod_status.get("phase"), "node": (pod.get("spec") or {}).get("nodeName"),
            "ready": all(cs.get("ready") for cs in containers or [{}]),
            "restarts": sum(cs.get("restartCount", 0) for cs in containers),
            "started_at": pod_status.get("startTime"), "gpu": status.pod_gpus(pod)}


class PoolReader(object):
    """gpuctl get pools / describe pool."""

    def __init__(self, client, namespace=names.DEFAULT_POOL_NAMESPACE, gpu_type_label=names.GPU_TYPE_LABEL):
        self.client = client
        self.namespace = namespace
        self.gpu_type_label = gpu_type_label

    def _snapshot(self):
        configmaps = self.client.list("ConfigMap", self.namespace, label_selector="%s=pool" % names.LABEL_TYPE)
        nodes = self.client.list("Node")
        pods = status.pods_by_node(self.client.list("Pod", None, field_selector=ACTIVE_PODS))
        return configmaps, nodes, pods

    def _reserved(self):
        """{pool: {namespace/name: GPUs}} held by paused jobs (their pods are gone; the GPUs stay theirs)."""
        out = {}
        for kind in WORKLOAD_KINDS:
            for obj in self.client.list(kind, None, label_selector="%s,%s" % (names.LABEL_POOL, names.LABEL_JOB)):
                obj.setdefault("kind", kind)
                gpus = status.paused_reservation(obj)
                if gpus:
                    out.setdefault(status.labels_of(obj)[names.LABEL_POOL], {})[
                        "%s/%s" % (obj["metadata"].get("namespace"), obj["metadata"]["name"])] = gpus
        return out

    def _summary(self, pool_spec, nodes, pods_by_node, detail=False, reserved=None):
        name = pool_spec["pool"]["name"]
        members = [n for n in nodes if status.labels_of(n).get(names.LABEL_POOL) == name]
        total = used = ready = 0
        types = {}
        for node in members:
            node_total = status.node_gpu_total(node)
            total += node_total
            used += sum(status.pod_gpus(p) for p in pods_by_node.get(node["metadata"]["name"], []))
            gpu_type = status.node_gpu_type(node, self.gpu_type_label)
            if gpu_type:
                types[gpu_type] = types.get(gpu_type, 0) + node_total
            if status.node_status(node) == "active":
                ready += 1
        held = (reserved or {}).get(name) or {}
        used += sum(held.values())
        out = {"name": name, "description": pool_spec["pool"].get("description") or "",
               "gpu_total": total, "gpu_used": used, "gpu_free": max(0, total - used),
               "gpu_reserved": sum(held.values()), "reserved_by": held,
               "gpu_type": sorted(types), "quota": pool_spec.get("quota") or {},
               "allowed_gpu_types": pool_spec.get("gpuType"), "exclusive": bool(pool_spec.get("exclusive")),
               "node_count": len(members), "status": "active" if ready else ("inactive" if members else "empty")}
        if detail:
            out["gpu_type"] = types
            out["nodes"] = sorted(n["metadata"]["name"] for n in members)
            out["declared_nodes"] = pool_spec.get("nodes") or {}
        return out

    def list(self):
        configmaps, nodes, pods = self._snapshot()
        reserved = self._reserved()
        items = []
        for configmap in configmaps:
            try:
                pool_spec = json.loads((configmap.get("data") or {}).get("spec") or "{}")
            except ValueError:
                continue
            if isinstance(pool_spec, dict) and isinstance(pool_spec.get("pool"), dict) and pool_spec["pool"].get("name"):
                items.append(self._summary(pool_spec, nodes, pods, reserved=reserved))
        items.sort(key=lambda i: i["name"])
        return {"total": len(items), "items": items}

    def describe(self, name):
        pool_spec = load_pool(self.client, name, self.namespace)
        if pool_spec is None:
            raise GpuctlError("pool '%s' not found (no ConfigMap %s/%s)" % (name, self.namespace, names.pool_configmap_name(name)),
                              status=404)
        nodes, pods = self._snapshot()[1:]
        out = self._summary(pool_spec, nodes, pods, detail=True, reserved=self._reserved())
        jobs = []
        for kind in WORKLOAD_KINDS:
            for obj in self.client.list(kind, None, label_selector="%s=%s,%s" % (names.LABEL_POOL, name, names.LABEL_JOB)):
                obj.setdefault("kind", kind)
                summary = status.job_summary(obj)
                jobs.append({"job_id": summary["job_id"], "name": summary["name"], "namespace": summary["namespace"],
                             "kind": summary["kind"], "status": summary["status"], "gpu": summary["gpu"]})
        out["jobs"] = sorted(jobs, key=lambda j: (j["namespace"] or "", j["name"]))
        return out


class NodeReader(object):
    """gpuctl get nodes / describe node / get gpu-type --all."""

    def __init__(self, client, gpu_type_label=names.GPU_TYPE_LABEL, dcgm_selector=gpu_metrics.DCGM_EXPORTER_SELECTOR,
                 dcgm_port=gpu_metrics.DCGM_EXPORTER_PORT):
        self.client = client
        self.gpu_type_label = gpu_type_label
        self.dcgm = (dcgm_selector, dcgm_port)

    def _gpus(self, node, node_pods, figures):
        """The per-GPU entries of a node with DCGM figures (None and the reason where there are none)."""
        detail = status.node_detail(node, node_pods, self.gpu_type_label)["gpu_detail"]
        gpus, reason = figures
        return gpu_metrics.fill_gpu_detail(detail, gpus, reason)

    def list(self, pool=None, gpu_type=None, status_filter=None, label_key=None, page=1, page_size=20, gpu_detail=False):
        selector = []
        if pool:
            selector.append("%s=%s" % (names.LABEL_POOL, pool))
        if gpu_type:
            # the seed writes --gpu-type nvidia.com/a100-80g; the label value is a100-80g
            gpu_type = gpu_type[len("nvidia.com/"):] if gpu_type.startswith("nvidia.com/") else gpu_type
            selector.append("%s=%s" % (self.gpu_type_label, gpu_type))
        nodes = self.client.list("Node", label_selector=",".join(selector) or None)
        pods = status.pods_by_node(self.client.list("Pod", None, field_selector=ACTIVE_PODS))
        items = [status.node_summary(n, pods.get(n["metadata"]["name"], []), self.gpu_type_label) for n in nodes]
        if label_key:
            for item, node in zip(items, nodes):
                item["label_key"] = label_key
                item["label_value"] = status.labels_of(node).get(label_key)
        if status_filter:
            items = [i for i in items if i["status"] == status_filter]
        items.sort(key=lambda i: i["node_name"])
        out = _page(items, page, page_size)
        if gpu_detail:  # only the page shown: one proxy read per node
            by_name = dict((n["metadata"]["name"], n) for n in nodes)
            figures = gpu_metrics.node_gpu_detail(self.client, [i["node_name"] for i in out["items"]], *self.dcgm)
            for item in out["items"]:
                item["gpu_count"] = item["gpu_total"]
                item["gpus"] = self._gpus(by_name[item["node_name"]], pods.get(item["node_name"], []), figures[item["node_name"]])
        return out

    def describe(self, name, gpu_detail=False):
        node = self.client.get("Node", name)
        if node is None:
            raise GpuctlError("node '%s' not found (HTTP 404)" % name, status=404)
        pods = [p for p in self.client.list("Pod", None, field_selector="spec.nodeName=%s" % name) if status.pod_active(p)]
        out = status.node_detail(node, pods, self.gpu_type_label)
        figures = gpu_metrics.node_gpu_detail(self.client, [name], *self.dcgm)[name] if gpu_detail else \
            (None, "not read: set gpu_detail: true for DCGM figures")
        out["gpu_detail"] = gpu_metrics.fill_gpu_detail(out["gpu_detail"], *figures)
        return out

    def gpu_labels(self):
        """Every node's GPU-related labels and bound pools (seed: gpuctl get gpu-type --all)."""
        items = []
        for node in sorted(self.client.list("Node"), key=lambda n: n["metadata"]["name"]):
            labels = status.labels_of(node)
            gpu = [{"key": k, "value": v} for k, v in sorted(labels.items())
                   if k == self.gpu_type_label or "gpu" in k.lower() and k != names.LABEL_POOL]
            items.append({"node_name": node["metadata"]["name"], "gpu_labels": gpu,
                          "bound_pools": [labels[names.LABEL_POOL]] if labels.get(names.LABEL_POOL) else []})
        return {"total": len(items), "items": items}
