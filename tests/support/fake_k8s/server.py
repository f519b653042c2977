# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A small, stateful, *honest* fake Kubernetes API server for tests.

It speaks enough of the real API for the official ``kubernetes`` Python client and
kubernetes.core's dynamic client: discovery, create/get/list/replace/patch/delete for
a fixed set of resources, label and field selectors, list paging (limit/continue),
resourceVersion with 409 conflicts, 404s, 422 for immutable Job templates, dryRun,
Job suspend, pod logs (tailLines, sinceSeconds, follow streamed with chunked encoding),
nodes, metrics.k8s.io PodMetrics, custom.metrics.k8s.io v1beta1/v1beta2 as prometheus-adapter
serves it, and the pod proxy to dcgm-exporter pods. It simulates a scheduler (node selectors,
NoSchedule taints vs tolerations, free ``nvidia.com/gpu``), a kubelet that cannot pull
``unpullable`` images, and Job and Deployment controllers.

What it does not implement answers loudly: unknown paths 404 with a message naming
fake_k8s (and are recorded in ``unhandled``), watch / exec / deletecollection /
server-side apply answer 501. Patches are applied by the fake's own engines
(``patches.py``: RFC 7386 merge patch, Kubernetes strategic merge patch with merge
keys and directives, RFC 6902 JSON patch), never by the client's code. ``dryRun=All``
validates and computes the result of a write and persists nothing; other dryRun values
are refused as the API server refuses them. Deletions are immediate unless the object
has finalizers: then it gets ``deletionTimestamp`` and stays until an update removes the
last finalizer (no new finalizer may be added meanwhile). Grace periods are recorded in
``deletions``, not simulated. ``fail_next`` makes the next requests of a method fail.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import datetime
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.support.fake_k8s.patches import PatchError, json_merge_patch, strategic_merge_patch

GPU = "nvidia.com/gpu"

# (group, version, plural) -> (kind, namespaced, verbs, subresources)
RESOURCES = {
    ("", "v1", "namespaces"): ("Namespace", False, ()),
    ("", "v1", "nodes"): ("Node", False, ("status",)),
    ("", "v1", "pods"): ("Pod", True, ("status", "log")),
    ("", "v1", "services"): ("Service", True, ("status",)),
    ("", "v1", "configmaps"): ("ConfigMap", True, ()),
    ("", "v1", "events"): ("Event", True, ()),
    ("apps", "v1", "deployments"): ("Deployment", True, ("status", "scale")),
    ("batch", "v1", "jobs"): ("Job", True, ("status",)),
    ("autoscaling", "v2", "horizontalpodautoscalers"): ("HorizontalPodAutoscaler", True, ("status",)),
    ("scheduling.k8s.io", "v1", "priorityclasses"): ("PriorityClass", False, ()),
    ("metrics.k8s.io", "v1beta1", "pods"): ("PodMetrics", True, ()),
}
VERBS = ["create", "delete", "get", "list", "patch", "update"]


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class HttpError(Exception):
    def __init__(self, code, reason, message):
        super(HttpError, self).__init__(message)
        self.code, self.reason, self.message = code, reason, message


def status_body(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


def json_patch(target, ops):
    doc = copy.deepcopy(target)
    for op in ops:
        parts = [p.replace("~1", "/").replace("~0", "~") for p in op["path"].split("/")[1:]]
        parent = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        last = parts[-1]
        kind = op["op"]
        if kind == "test":
            cur = parent[int(last)] if isinstance(parent, list) else parent.get(last)
            if cur != op.get("value"):
                raise HttpError(422, "Invalid", "json patch test failed at %s" % op["path"])
        elif kind in ("add", "replace"):
            if isinstance(parent, list):
                idx = len(parent) if last == "-" else int(last)
                if kind == "add":
                    parent.insert(idx, op["value"])
                else:
                    parent[idx] = op["value"]
            else:
                if kind == "replace" and last not in parent:
                    raise HttpError(422, "Invalid", "json patch replace: missing path %s" % op["path"])
                parent[last] = op["value"]
        elif kind == "remove":
            if isinstance(parent, list):
                parent.pop(int(last))
            else:
                if last not in parent:
                    raise HttpError(422, "Invalid", "json patch remove: missing path %s" % op["path"])
                del parent[last]
        else:
            raise HttpError(501, "NotImplemented", "fake_k8s: json patch op %r is not implemented" % kind)
    return doc


SEL_RE = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s*(==|=|!=|\s+in\s+|\s+notin\s+)?\s*(.*?)\s*$")


def _split_selector(text):
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return parts


def label_matcher(text):
    tests = []
    for term in _split_selector(text or ""):
        term = term.strip()
        if term.startswith("!"):
            key = term[1:].strip()
            tests.append(lambda lab, k=key: k not in lab)
            continue
        match = SEL_RE.match(term)
        if not match:
            raise HttpError(400, "BadRequest", "unable to parse requirement: %r" % term)
        key, op, val = match.group(1), (match.group(2) or "").strip(), match.group(3)
        if not op:
            tests.append(lambda lab, k=key: k in lab)
        elif op in ("=", "=="):
            tests.append(lambda lab, k=key, v=val: lab.get(k) == v)
        elif op == "!=":
            tests.append(lambda lab, k=key, v=val: lab.get(k) != v)
        else:
            vals = set(x.strip() for x in val.strip("()").split(","))
            if op == "in":
                tests.append(lambda lab, k=key, vs=vals: lab.get(k) in vs)
            else:
                tests.append(lambda lab, k=key, vs=vals: lab.get(k) not in vs)
    return lambda labels: all(t(labels or {}) for t in tests)


FIELDS = {
    "metadata.name": lambda o: o["metadata"].get("name"),
    "metadata.namespace": lambda o: o["metadata"].get("namespace"),
    "spec.nodeName": lambda o: (o.get("spec") or {}).get("nodeName", ""),
    "status.phase": lambda o: (o.get("status") or {}).get("phase"),
    "involvedObject.name": lambda o: (o.get("involvedObject") or {}).get("name"),
    "involvedObject.kind": lambda o: (o.get("involvedObject") or {}).get("kind"),
}


def field_matcher(text):
    tests = []
    for term in [t for t in (text or "").split(",") if t.strip()]:
        neg = "!=" in term
        key, dummy, val = term.partition("!=" if neg else "=")
        key = key.strip()
        val = val.lstrip("=").strip()
        if key not in FIELDS:
            raise HttpError(400, "BadRequest", 'field label not supported: "%s"' % key)
        getter = FIELDS[key]
        tests.append(lambda o, g=getter, v=val, n=neg: (g(o) != v) if n else (g(o) == v))
    return lambda obj: all(t(obj) for t in tests)


LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def _name_problem(kind, name):
    """Object names as the API server validates them: most kinds a DNS-1123 subdomain, some a label."""
    if kind == "Service":
        ok, what = len(name) <= 63 and DNS_1035_LABEL.match(name), "a DNS-1035 label"
    elif kind == "Namespace":
        ok, what = len(name) <= 63 and DNS_LABEL.match(name), "a lowercase RFC 1123 label"
    else:
        ok, what = len(name) <= 253 and DNS_SUBDOMAIN.match(name), "a lowercase RFC 1123 subdomain"
    return None if ok else "metadata.name: Invalid value: \"%s\": must be %s" % (name, what)


def _validate_metadata(kind, meta):
    """What the API server's ObjectMeta validation refuses with 422: names, label keys and values, finalizer names."""
    name = meta.get("name")
    problem = _name_problem(kind, name) if isinstance(name, str) and name else None
    if problem:
        raise HttpError(422, "Invalid", '%s "%s" is invalid: %s' % (kind, name, problem))
    for key, val in (meta.get("labels") or {}).items():
        prefix, dummy, label = key.rpartition("/")
        if (prefix and (len(prefix) > 253 or not DNS_SUBDOMAIN.match(prefix))) or len(label) > 63 or not LABEL_NAME.match(label):
            raise HttpError(422, "Invalid", '%s "%s" is invalid: metadata.labels: Invalid value: "%s": name part must consist of '
                            "alphanumeric characters, '-', '_' or '.'" % (kind, name, key))
        if not isinstance(val, str) or len(val) > 63 or not LABEL_VALUE.match(val):
            raise HttpError(422, "Invalid", '%s "%s" is invalid: metadata.labels: Invalid value: "%s"' % (kind, name, val))
    for finalizer in meta.get("finalizers") or []:
        if not isinstance(finalizer, str) or "/" not in finalizer and finalizer not in ("orphan", "foregroundDeletion", "kubernetes"):
            raise HttpError(422, "Invalid", '%s "%s" is invalid: metadata.finalizers: Invalid value: "%s": '
                            "name is neither a standard finalizer name nor is it fully qualified" % (kind, name, finalizer))


def tolerates(tolerations, taint):
    """Whether a pod's tolerations tolerate a taint, as documented in
    https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/ (an empty key with
    Exists tolerates everything; an empty effect matches every effect; Equal compares the value)."""
    for tol in tolerations or []:
        if tol.get("effect") and tol["effect"] != taint.get("effect"):
            continue
        if tol.get("operator", "Equal") == "Exists":
            if not tol.get("key") or tol["key"] == taint.get("key"):
                return True
        elif tol.get("key") == taint.get("key") and (tol.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def _without_status(obj):
    return dict((k, v) for k, v in obj.items() if k != "status")


def parse_quantity(text):
    units = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    text = str(text)
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[:-len(unit)]) * units[unit]
    return float(text)


class FakeCluster(object):
    """The state and the simulated controllers. All public methods take the lock."""

    def __init__(self, version="v1.33.0"):
        self.lock = threading.RLock()
        self.objects = {}
        self.rv = 1000
        self.version = version
        self.requests = []
        self.unhandled = []
        self.deletions = []
        self.pod_logs = {}
        self.pod_log_times = {}
        self.follow_limit = 30.0  # seconds a followed log stays open at most (the container "runs" that long)
        self.pod_usage = {}
        self.unpullable = {}  # image -> the registry's error, for pods that stay in ErrImagePull
        # custom.metrics.k8s.io as prometheus-adapter serves it: None = no adapter (APIService absent, 404);
        # else {(resource plural, namespace or "", object name): {metric name: value}}
        self.custom_metrics = None
        self.exporter_metrics = {}  # pod name -> Prometheus text a dcgm-exporter pod serves on :9400/metrics
        self.counter = 0
        self.token = None
        self.faults = []
        for ns in ("default", "kube-system", "gpuctl-system"):
            self._store(("", "v1", "namespaces"), None,
                        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}, "spec": {}, "status": {"phase": "Active"}})

    # ------------------------------------------------------------ storage
    def _next_rv(self):
        self.rv += 1
        return str(self.rv)

    def _key(self, res, ns, name):
        return (res[2], ns or "", name)

    def _store(self, res, ns, obj):
        meta = obj.setdefault("metadata", {})
        meta.setdefault("uid", hashlib.sha1(("%s/%s/%s/%d" % (res[2], ns, meta["name"], self.rv)).encode()).hexdigest()[:8] + "-fake")
        meta.setdefault("creationTimestamp", _now())
        meta["resourceVersion"] = self._next_rv()
        if ns:
            meta["namespace"] = ns
        self.objects[self._key(res, ns, meta["name"])] = obj
        return obj

    def get(self, plural, ns, name):
        with self.lock:
            obj = self.objects.get((plural, ns or "", name))
            return copy.deepcopy(obj)

    def list(self, plural, ns=None):
        with self.lock:
            return [copy.deepcopy(o) for (p, n, dummy_name), o in sorted(self.objects.items()) if p == plural and (ns is None or n == ns)]

    # ------------------------------------------------------------ test helpers
    def add_node(self, name, gpus=8, gpu_type=None, labels=None, cpu="64", memory="256Gi", ready=True, unschedulable=False):
        with self.lock:
            lab = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
            if gpu_type:
                lab["nvidia.com/gpu-type"] = gpu_type
            lab.update(labels or {})
            alloc = {"cpu": cpu, "memory": memory, "pods": "110"}
            if gpus:
                alloc[GPU] = str(gpus)
            node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": lab},
                    "spec": {"unschedulable": True} if unschedulable else {},
                    "status": {"capacity": dict(alloc), "allocatable": dict(alloc),
                               "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                               "reason": "KubeletReady" if ready else "KubeletNotReady",
                                               "lastHeartbeatTime": _now(), "lastTransitionTime": _now()}],
                               "nodeInfo": {"kernelVersion": "5.15.0-fake", "osImage": "Ubuntu 22.04 LTS (fake)",
                                            "kubeletVersion": self.version, "containerRuntimeVersion": "containerd://1.7"}}}
            self._store(("", "v1", "nodes"), None, node)
            self._reconcile_all()

    def complete_job(self, ns, name, failed=False):
        with self.lock:
            job = self.objects[("jobs", ns, name)]
            for pod in self._owned_pods(ns, job):
                pod["status"]["phase"] = "Failed" if failed else "Succeeded"
                pod["status"]["conditions"] = [{"type": "Ready", "status": "False"}]
                pod["metadata"]["resourceVersion"] = self._next_rv()
            self._reconcile_job(ns, job)

    def enable_custom_metrics(self):
        """Register the custom metrics API (prometheus-adapter's APIService) with no series yet."""
        with self.lock:
            if self.custom_metrics is None:
                self.custom_metrics = {}

    def set_custom_metric(self, plural, ns, name, metric, value):
        """A value the adapter would compute for one object (pods or nodes), e.g. DCGM_FI_DEV_GPU_UTIL of a pod."""
        with self.lock:
            self.enable_custom_metrics()
            self.custom_metrics.setdefault((plural, ns or "", name), {})[metric] = str(value)

    def add_dcgm_exporter(self, node, gpus, namespace="gpu-operator", model="NVIDIA A100-SXM4-80GB"):
        """A dcgm-exporter pod on ``node`` (as its Helm chart labels it) whose /metrics serves ``gpus``:
        [{"util": 89, "fb_used": 72000, "fb_free": 9920, "pod": "", "namespace": ""}], FB in MiB as DCGM reports."""
        with self.lock:
            if ("namespaces", "", namespace) not in self.objects:
                self._store(("", "v1", "namespaces"), None, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace},
                                                             "spec": {}, "status": {"phase": "Active"}})
            name = "dcgm-exporter-%s" % node
            pod = {"apiVersion": "v1", "kind": "Pod",
                   "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/name": "dcgm-exporter"}},
                   "spec": {"nodeName": node, "containers": [{"name": "exporter", "image": "nvcr.io/nvidia/k8s/dcgm-exporter",
                                                              "ports": [{"name": "metrics", "containerPort": 9400}]}]},
                   "status": {"phase": "Running", "podIP": "10.244.9.%d" % (len(self.exporter_metrics) + 2)}}
            self._store(("", "v1", "pods"), namespace, pod)
            lines = []
            for field, help_text in (("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %)."),
                                     ("DCGM_FI_DEV_FB_USED", "Framebuffer memory used (in MiB)."),
                                     ("DCGM_FI_DEV_FB_FREE", "Framebuffer memory free (in MiB).")):
                lines += ["# HELP %s %s" % (field, help_text), "# TYPE %s gauge" % field]
                key = {"DCGM_FI_DEV_GPU_UTIL": "util", "DCGM_FI_DEV_FB_USED": "fb_used", "DCGM_FI_DEV_FB_FREE": "fb_free"}[field]
                for i, gpu in enumerate(gpus):
                    if gpu.get(key) is None:
                        continue
                    lines.append('%s{gpu="%d",UUID="GPU-%08x-fake",pci_bus_id="00000000:%02X:00.0",device="nvidia%d",modelName="%s",'
                                 'Hostname="%s",DCGM_FI_DRIVER_VERSION="550.90.07",container="%s",namespace="%s",pod="%s"} %s'
                                 % (field, i, i, i + 1, i, model, node, gpu.get("container", ""), gpu.get("namespace", ""),
                                    gpu.get("pod", ""), gpu[key]))
            self.exporter_metrics[name] = "\n".join(lines) + "\n"
            return name

    def set_pod_logs(self, pod, lines):
        with self.lock:
            self.pod_logs[pod] = list(lines)
            self.pod_log_times[pod] = [time.time()] * len(self.pod_logs[pod])

    def append_pod_logs(self, pod, lines):
        """The container writes more lines: a follower (follow=true) receives them."""
        with self.lock:
            self.pod_logs.setdefault(pod, []).extend(lines)
            self.pod_log_times.setdefault(pod, []).extend([time.time()] * len(lines))

    def count_requests(self, since=0):
        with self.lock:
            return len(self.requests) - since

    def persisted_writes(self):
        """Requests that could have changed the cluster: every non-GET that was not a dry run."""
        with self.lock:
            return [r for r in self.requests if r[0] != "GET" and "dryRun=All" not in r[1]]

    def fail_next(self, method, code, count=1):
        """Answer the next ``count`` ``method`` requests with HTTP ``code`` (503: a busy API server)."""
        with self.lock:
            self.faults.append([method, code, count])

    # ------------------------------------------------------------ simulated controllers
    def _event(self, ns, obj, reason, message, etype="Normal"):
        self.counter += 1
        name = "%s.%x" % (obj["metadata"]["name"], self.counter)
        ev = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": name, "namespace": ns},
              "involvedObject": {"kind": obj["kind"], "name": obj["metadata"]["name"], "namespace": ns, "uid": obj["metadata"].get("uid")},
              "reason": reason, "message": message, "type": etype, "count": 1,
              "firstTimestamp": _now(), "lastTimestamp": _now(), "source": {"component": "fake_k8s"}}
        self._store(("", "v1", "events"), ns, ev)

    def _owned_pods(self, ns, owner):
        uid = owner["metadata"]["uid"]
        return [o for (p, n, dummy_name), o in sorted(self.objects.items()) if p == "pods" and n == ns
                and any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences", []))]

    def _gpu_request(self, pod):
        total = 0
        for c in pod["spec"].get("containers", []):
            lim = (c.get("resources") or {}).get("limits") or {}
            total += int(parse_quantity(lim.get(GPU, 0)))
        return total

    def _gpu_used(self, node):
        return sum(self._gpu_request(o) for (p, dummy_ns, dummy_name), o in self.objects.items() if p == "pods"
                   and o["spec"].get("nodeName") == node and o["status"].get("phase") in ("Pending", "Running"))

    def _schedule(self, ns, pod):
        want = self._gpu_request(pod)
        selector = pod["spec"].get("nodeSelector") or {}
        nodes = [o for (p, dummy_ns, dummy_name), o in sorted(self.objects.items()) if p == "nodes"]
        reasons = []
        for node in nodes:
            labels = node["metadata"].get("labels") or {}
            if any(labels.get(k) != v for k, v in selector.items()):
                reasons.append("node(s) didn't match Pod's node affinity/selector")
                continue
            if node["spec"].get("unschedulable") or not any(c["type"] == "Ready" and c["status"] == "True" for c in node["status"]["conditions"]):
                reasons.append("node(s) were unschedulable or not ready")
                continue
            untolerated = [t for t in node["spec"].get("taints") or [] if t.get("effect") in ("NoSchedule", "NoExecute")
                           and not tolerates(pod["spec"].get("tolerations"), t)]
            if untolerated:
                taint = untolerated[0]
                reasons.append("node(s) had untolerated taint {%s: %s}" % (taint.get("key"), taint.get("value", "")))
                continue
            free = int(parse_quantity(node["status"]["allocatable"].get(GPU, 0))) - self._gpu_used(node["metadata"]["name"])
            if want > free:
                reasons.append("Insufficient nvidia.com/gpu")
                continue
            pod["spec"]["nodeName"] = node["metadata"]["name"]
            bad = [c for c in pod["spec"]["containers"] if c.get("image") in self.unpullable]
            if bad:
                # the kubelet's answer to an image it cannot pull: the pod stays Pending with the container
                # waiting in ErrImagePull, and a Warning event "Failed" (reason strings as kubelet's images package)
                msg = 'Failed to pull image "%s": %s' % (bad[0]["image"], self.unpullable[bad[0]["image"]])
                pod["status"].update({"phase": "Pending", "hostIP": "10.0.0.1",
                                      "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}],
                                      "containerStatuses": [{"name": c["name"], "ready": False, "restartCount": 0, "image": c.get("image"),
                                                             "state": {"waiting": {"reason": "ErrImagePull", "message": msg}}
                                                             if c in bad else {"running": {"startedAt": _now()}}}
                                                            for c in pod["spec"]["containers"]]})
                self._event(ns, pod, "Scheduled", "Successfully assigned %s/%s to %s" % (ns, pod["metadata"]["name"], node["metadata"]["name"]))
                self._event(ns, pod, "Failed", msg, "Warning")
                return
            pod["status"].update({"phase": "Running", "startTime": _now(), "hostIP": "10.0.0.1", "podIP": "10.244.0.%d" % (self.counter % 250 + 2),
                                  "conditions": [{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "True"}],
                                  "containerStatuses": [{"name": c["name"], "ready": True, "restartCount": 0, "image": c.get("image"),
                                                         "state": {"running": {"startedAt": _now()}}} for c in pod["spec"]["containers"]]})
            self._event(ns, pod, "Scheduled", "Successfully assigned %s/%s to %s" % (ns, pod["metadata"]["name"], node["metadata"]["name"]))
            return
        msg = "0/%d nodes are available: %s." % (len(nodes), ", ".join(sorted(set(reasons))) or "no nodes")
        pod["status"].update({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": msg}]})
        self._event(ns, pod, "FailedScheduling", msg, "Warning")

    def _make_pod(self, ns, owner, template, name, extra_labels=None, extra_ann=None):
        tmpl = copy.deepcopy(template)
        meta = tmpl.get("metadata") or {}
        labels = dict(meta.get("labels") or {})
        labels.update(extra_labels or {})
        ann = dict(meta.get("annotations") or {})
        ann.update(extra_ann or {})
        pod = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": ns, "labels": labels, "annotations": ann,
                            "ownerReferences": [{"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": owner["metadata"]["name"],
                                                 "uid": owner["metadata"]["uid"], "controller": True}]},
               "spec": tmpl.get("spec") or {}, "status": {"phase": "Pending"}}
        self._schedule(ns, pod)
        self._store(("", "v1", "pods"), ns, pod)
        return pod

    def _delete_pods(self, ns, pods):
        for pod in pods:
            self.objects.pop(("pods", ns, pod["metadata"]["name"]), None)

    def _reconcile_job(self, ns, job):
        spec, status = job["spec"], job.setdefault("status", {})
        conds = [c for c in status.get("conditions", []) if c["type"] in ("Complete", "Failed")]
        pods = self._owned_pods(ns, job)
        done = bool(conds)
        parallelism = spec.get("parallelism", 1)
        completions = spec.get("completions", parallelism)
        if spec.get("suspend"):
            self._delete_pods(ns, [p for p in pods if p["status"]["phase"] in ("Pending", "Running")])
            pods = self._owned_pods(ns, job)
            if not any(c["type"] == "Suspended" for c in status.get("conditions", [])):
                self._event(ns, job, "Suspended", "Job suspended")
            conds = conds + [{"type": "Suspended", "status": "True", "reason": "JobSuspended", "lastTransitionTime": _now()}]
        elif not done:
            have = set(p["metadata"]["annotations"].get("batch.kubernetes.io/job-completion-index") for p in pods)
            for idx in range(min(parallelism, completions)):
                if str(idx) not in have:
                    self.counter += 1
                    pod = self._make_pod(ns, job, spec["template"], "%s-%d-%05x" % (job["metadata"]["name"], idx, self.counter & 0xfffff),
                                         {"job-name": job["metadata"]["name"], "batch.kubernetes.io/job-completion-index": str(idx),
                                          "controller-uid": job["metadata"]["uid"]},
                                         {"batch.kubernetes.io/job-completion-index": str(idx)})
                    self._event(ns, job, "SuccessfulCreate", "Created pod: %s" % pod["metadata"]["name"])
            pods = self._owned_pods(ns, job)
            status.setdefault("startTime", _now())
        succeeded = sum(1 for p in pods if p["status"]["phase"] == "Succeeded")
        failed = sum(1 for p in pods if p["status"]["phase"] == "Failed")
        active = sum(1 for p in pods if p["status"]["phase"] in ("Pending", "Running"))
        ready = sum(1 for p in pods if p["status"]["phase"] == "Running")
        if not done and failed > spec.get("backoffLimit", 6):
            conds = [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                      "message": "Job has reached the specified backoff limit", "lastTransitionTime": _now()}]
            self._event(ns, job, "BackoffLimitExceeded", "Job has reached the specified backoff limit", "Warning")
        elif not done and succeeded >= completions:
            conds = [{"type": "Complete", "status": "True", "lastTransitionTime": _now()}]
            status["completionTime"] = _now()
            self._event(ns, job, "Completed", "Job completed")
        status.update({"active": active, "ready": ready, "succeeded": succeeded, "failed": failed})
        if conds:
            status["conditions"] = conds
        else:
            status.pop("conditions", None)

    def _reconcile_deployment(self, ns, dep):
        spec = dep["spec"]
        want = spec.get("replicas", 1)
        tmpl_hash = hashlib.sha1(json.dumps(spec.get("template"), sort_keys=True).encode()).hexdigest()[:10]
        pods = self._owned_pods(ns, dep)
        stale = [p for p in pods if p["metadata"]["labels"].get("pod-template-hash") != tmpl_hash]
        self._delete_pods(ns, stale)
        pods = [p for p in pods if p not in stale]
        if len(pods) > want:
            self._delete_pods(ns, pods[want:])
            pods = pods[:want]
        while len(pods) < want:
            self.counter += 1
            pods.append(self._make_pod(ns, dep, spec["template"], "%s-%s-%05x" % (dep["metadata"]["name"], tmpl_hash, self.counter & 0xfffff),
                                       {"pod-template-hash": tmpl_hash}))
        ready = sum(1 for p in pods if p["status"]["phase"] == "Running")
        dep["status"] = {"observedGeneration": dep["metadata"].get("generation", 1), "replicas": len(pods), "updatedReplicas": len(pods),
                         "readyReplicas": ready, "availableReplicas": ready, "unavailableReplicas": len(pods) - ready,
                         "conditions": [{"type": "Available", "status": "True" if ready >= want else "False",
                                         "reason": "MinimumReplicasAvailable" if ready >= want else "MinimumReplicasUnavailable"}]}

    def _reconcile_all(self):
        for (plural, ns, dummy), obj in sorted(self.objects.items()):
            if plural == "pods" and obj["status"].get("phase") == "Pending" and not obj["spec"].get("nodeName"):
                self._schedule(ns, obj)
        for (plural, ns, dummy), obj in sorted(self.objects.items()):
            if plural == "jobs":
                self._reconcile_job(ns, obj)
            elif plural == "deployments":
                self._reconcile_deployment(ns, obj)

    # ------------------------------------------------------------ API verbs
    def discovery(self, path):
        if path == "/version":
            major, minor = self.version.lstrip("v").split(".")[:2]
            return {"major": major, "minor": minor, "gitVersion": self.version, "platform": "linux/amd64"}
        if path == "/api":
            return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
        if path == "/apis":
            groups = {}
            for (g, v, dummy) in RESOURCES:
                if g:
                    groups.setdefault(g, set()).add(v)
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
                {"name": g, "versions": [{"groupVersion": "%s/%s" % (g, v), "version": v} for v in sorted(vs)],
                 "preferredVersion": {"groupVersion": "%s/%s" % (g, sorted(vs)[0]), "version": sorted(vs)[0]}} for g, vs in sorted(groups.items())]}
        match = re.match(r"^/(?:api/(v1)|apis/([^/]+)/([^/]+))$", path)
        if match:
            group, version = (match.group(2) or ""), (match.group(1) or match.group(3))
            items = []
            for (g, v, plural), (kind, namespaced, subs) in sorted(RESOURCES.items()):
                if g == group and v == version:
                    items.append({"name": plural, "singularName": kind.lower(), "namespaced": namespaced, "kind": kind, "verbs": VERBS, "shortNames": []})
                    for sub in subs:
                        items.append({"name": "%s/%s" % (plural, sub), "singularName": "", "namespaced": namespaced,
                                      "kind": "Scale" if sub == "scale" else kind, "verbs": ["get"] if sub == "log" else ["get", "patch", "update"]})
            if not items:
                raise HttpError(404, "NotFound", "fake_k8s: no API group/version %s" % path)
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": ("%s/%s" % (group, version)) if group else version, "resources": items}
        return None

    def route(self, path):
        match = re.match(r"^/(?:api/(v1)|apis/([^/]+)/([^/]+))/(.*)$", path)
        if not match:
            return None
        group, version = (match.group(2) or ""), (match.group(1) or match.group(3))
        segs = [s for s in match.group(4).split("/") if s]
        ns = None
        if len(segs) >= 3 and segs[0] == "namespaces":
            cand = (group, version, segs[2])
            if cand in RESOURCES and RESOURCES[cand][1]:
                ns, segs = segs[1], segs[2:]
        if not segs:
            return None
        res = (group, version, segs[0])
        if res not in RESOURCES:
            return None
        if RESOURCES[res][1] is False and ns:
            return None
        name = segs[1] if len(segs) > 1 else None
        sub = segs[2] if len(segs) > 2 else None
        if len(segs) > 3:
            return None
        return res, ns, name, sub

    def handle(self, method, path, query, body, ctype):
        with self.lock:
            for fault in self.faults:
                if fault[0] == method and fault[2] > 0:
                    fault[2] -= 1
                    raise HttpError(fault[1], "ServiceUnavailable" if fault[1] == 503 else "InternalError",
                                    "fake_k8s: injected fault (HTTP %d)" % fault[1])
            if path.startswith("/apis/custom.metrics.k8s.io"):
                return 200, self._custom_metrics(method, path, query)
            proxied = re.match(r"^/api/v1/namespaces/([^/]+)/pods/([^/]+)/proxy(/.*)?$", path)
            if proxied:
                return 200, self._pod_proxy(method, proxied.group(1), proxied.group(2), proxied.group(3) or "/")
            disc = self.discovery(path) if method == "GET" else None
            if disc is not None:
                return 200, disc
            routed = self.route(path)
            if routed is None:
                self.unhandled.append("%s %s" % (method, path))
                raise HttpError(404, "NotFound", "fake_k8s: the server could not find the requested resource (%s %s is not implemented)" % (method, path))
            res, ns, name, sub = routed
            kind, namespaced, subs = RESOURCES[res]
            if query.get("watch") in ("true", "1"):
                raise HttpError(501, "NotImplemented", "fake_k8s does not implement watch")
            if sub and sub not in subs:
                self.unhandled.append("%s %s" % (method, path))
                raise HttpError(404, "NotFound", "fake_k8s: subresource %s/%s is not implemented" % (res[2], sub))
            if namespaced and ns and res[2] != "namespaces" and ("namespaces", "", ns) not in self.objects and method in ("POST",):
                raise HttpError(404, "NotFound", 'namespaces "%s" not found' % ns)
            if "dryRun" in query and query["dryRun"] != "All":
                raise HttpError(400, "BadRequest", 'Invalid dry run value: dryRun: Unsupported value: "%s": supported values: "All"'
                                % query["dryRun"])
            dry = query.get("dryRun") == "All"
            if res[0] == "metrics.k8s.io":
                if method != "GET":
                    raise HttpError(405, "MethodNotAllowed", "metrics.k8s.io is read-only")
                return 200, self._pod_metrics(ns, name, query)
            if name is None:
                if method == "GET":
                    return 200, self._list(res, ns, query)
                if method == "POST":
                    return self._create(res, ns, body, dry)
                if method == "DELETE":
                    raise HttpError(501, "NotImplemented", "fake_k8s does not implement deletecollection")
                raise HttpError(405, "MethodNotAllowed", "method %s not allowed on a collection" % method)
            key = (res[2], ns or "", name)
            obj = self.objects.get(key)
            if obj is None:
                group_res = res[2] if not res[0] else "%s.%s" % (res[2], res[0])
                raise HttpError(404, "NotFound", '%s "%s" not found' % (group_res, name))
            if sub == "log":
                if method != "GET":
                    raise HttpError(405, "MethodNotAllowed", "log is read-only")
                return 200, self._logs(obj, query)
            if sub == "scale":
                return self._scale(res, ns, obj, method, body, ctype, dry)
            if method == "GET":
                return 200, obj
            if method == "DELETE":
                return self._delete(res, ns, obj, query, body, dry)
            if method in ("PUT", "PATCH"):
                return self._update(res, ns, obj, method, body, ctype, dry, sub)
            raise HttpError(405, "MethodNotAllowed", "method %s not allowed" % method)

    def _list(self, res, ns, query):
        kind = RESOURCES[res][0]
        lmatch = label_matcher(query.get("labelSelector"))
        fmatch = field_matcher(query.get("fieldSelector"))
        items = [o for (p, n, dummy), o in sorted(self.objects.items())
                 if p == res[2] and (ns is None or n == ns) and lmatch(o["metadata"].get("labels")) and fmatch(o)]
        meta = {"resourceVersion": str(self.rv)}
        limit = int(query.get("limit") or 0)
        start = int(query.get("continue") or 0)
        if limit:
            page = items[start:start + limit]
            if start + limit < len(items):
                meta["continue"] = str(start + limit)
                meta["remainingItemCount"] = len(items) - start - limit
            items = page
        api_version = "%s/%s" % (res[0], res[1]) if res[0] else res[1]
        out = []
        for o in items:
            o = copy.deepcopy(o)
            o.setdefault("apiVersion", api_version)
            o.setdefault("kind", kind)
            out.append(o)
        return {"kind": kind + "List", "apiVersion": api_version, "metadata": meta, "items": out}

    def _check_body(self, res, ns, body, name=None):
        if not isinstance(body, dict):
            raise HttpError(400, "BadRequest", "request body must be a JSON object")
        kind = RESOURCES[res][0]
        api_version = "%s/%s" % (res[0], res[1]) if res[0] else res[1]
        if body.get("kind") not in (None, kind) or body.get("apiVersion") not in (None, api_version):
            raise HttpError(400, "BadRequest", "the body's kind/apiVersion %s/%s does not match %s %s"
                            % (body.get("apiVersion"), body.get("kind"), api_version, kind))
        meta = body.get("metadata") or {}
        if not meta.get("name") and not meta.get("generateName"):
            raise HttpError(422, "Invalid", "%s is invalid: metadata.name: Required value: name or generateName is required" % kind)
        if ns and meta.get("namespace") not in (None, ns):
            raise HttpError(400, "BadRequest", "the namespace of the provided object does not match the namespace sent on the request")
        _validate_metadata(kind, meta)
        body["apiVersion"], body["kind"] = api_version, kind

    def _create(self, res, ns, body, dry):
        self._check_body(res, ns, body)
        meta = body["metadata"]
        if not meta.get("name"):
            self.counter += 1
            meta["name"] = "%s%05x" % (meta["generateName"], self.counter)
        existing = self.objects.get((res[2], ns or "", meta["name"]))
        if existing is not None:
            group_res = res[2] if not res[0] else "%s.%s" % (res[2], res[0])
            being_deleted = "object is being deleted: " if existing["metadata"].get("deletionTimestamp") else ""
            raise HttpError(409, "AlreadyExists", '%s%s "%s" already exists' % (being_deleted, group_res, meta["name"]))
        obj = copy.deepcopy(body)
        obj["metadata"]["generation"] = 1
        obj.setdefault("status", {})
        if res[2] == "deployments":
            obj["spec"].setdefault("replicas", 1)
        if dry:  # the API server fills what it would store, except resourceVersion
            obj["metadata"].setdefault("uid", hashlib.sha1(("dry/%s/%s/%d" % (res[2], meta["name"], self.rv)).encode()).hexdigest()[:8] + "-dry")
            obj["metadata"].setdefault("creationTimestamp", _now())
            if ns:
                obj["metadata"]["namespace"] = ns
            return 201, obj
        self._store(res, ns, obj)
        self._after_write(res, ns, obj)
        return 201, obj

    def _after_write(self, res, ns, obj):
        if res[2] == "jobs":
            if not obj["spec"].get("suspend"):
                pass
            self._reconcile_job(ns, obj)
        elif res[2] == "deployments":
            self._reconcile_deployment(ns, obj)
        elif res[2] == "nodes":
            self._reconcile_all()

    def _update(self, res, ns, obj, method, body, ctype, dry, sub=None):
        ctype = (ctype or "").split(";")[0].strip()
        if method == "PUT":
            self._check_body(res, ns, body)
            new = copy.deepcopy(body)
        elif ctype in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            if not isinstance(body, dict):
                raise HttpError(400, "BadRequest", "merge patch body must be a JSON object")
            try:
                if ctype == "application/merge-patch+json":
                    new = json_merge_patch(obj, body)
                else:
                    new = strategic_merge_patch(obj, body, RESOURCES[res][0])
            except PatchError as exc:
                raise HttpError(400, "BadRequest", str(exc))
        elif ctype == "application/json-patch+json":
            if not isinstance(body, list):
                raise HttpError(400, "BadRequest", "json patch body must be a list")
            new = json_patch(obj, body)
        elif ctype == "application/apply-patch+yaml":
            raise HttpError(501, "NotImplemented", "fake_k8s does not implement server-side apply")
        else:
            raise HttpError(415, "UnsupportedMediaType", "the body of the request was in an unknown format - accepted media types include: "
                            "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json")
        want_rv = ((body if isinstance(body, dict) else {}).get("metadata") or {}).get("resourceVersion")
        if want_rv and want_rv != obj["metadata"]["resourceVersion"]:
            group_res = res[2] if not res[0] else "%s.%s" % (res[2], res[0])
            raise HttpError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has been modified; '
                            'please apply your changes to the latest version and try again' % (group_res, obj["metadata"]["name"]))
        for immutable in ("name", "namespace", "uid", "creationTimestamp"):
            if new.get("metadata", {}).get(immutable) != obj["metadata"].get(immutable) and immutable in obj["metadata"]:
                if immutable in ("uid", "creationTimestamp") and method == "PUT" and immutable not in new.get("metadata", {}):
                    new["metadata"][immutable] = obj["metadata"][immutable]
                    continue
                raise HttpError(422, "Invalid", "metadata.%s: field is immutable" % immutable)
        if sub == "status":
            new = dict(obj, status=new.get("status", {}))
        else:
            new["status"] = obj.get("status", {})
        new.setdefault("metadata", {})
        _validate_metadata(RESOURCES[res][0], new["metadata"])
        if obj["metadata"].get("deletionTimestamp"):
            new["metadata"]["deletionTimestamp"] = obj["metadata"]["deletionTimestamp"]
            added = set(new["metadata"].get("finalizers") or []) - set(obj["metadata"].get("finalizers") or [])
            if added:
                raise HttpError(422, "Invalid", '%s "%s" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added '
                                "if the object is being deleted, found new finalizers %s" % (RESOURCES[res][0], obj["metadata"]["name"],
                                                                                             sorted(added)))
        if res[2] == "jobs" and new["spec"].get("template") != obj["spec"].get("template"):
            raise HttpError(422, "Invalid", 'Job.batch "%s" is invalid: spec.template: Invalid value: field is immutable' % obj["metadata"]["name"])
        if res[2] in ("jobs", "deployments") and new["spec"].get("selector") != obj["spec"].get("selector"):
            raise HttpError(422, "Invalid", "spec.selector: Invalid value: field is immutable")
        old_cmp = dict(_without_status(obj), metadata=dict((k, v) for k, v in obj["metadata"].items() if k != "resourceVersion"))
        new_cmp = dict(_without_status(new), metadata=dict((k, v) for k, v in new["metadata"].items() if k != "resourceVersion"))
        if old_cmp == new_cmp and sub != "status":
            return 200, obj
        if dry:
            return 200, new
        new["metadata"]["resourceVersion"] = obj["metadata"]["resourceVersion"]
        if new.get("spec") != obj.get("spec"):
            new["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
        new["metadata"]["resourceVersion"] = self._next_rv()
        self.objects[(res[2], ns or "", obj["metadata"]["name"])] = new
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            self._remove(res, ns, new, "Background")  # the last finalizer is gone: the deletion completes
            return 200, new
        self._after_write(res, ns, new)
        return 200, new

    def _scale(self, res, ns, obj, method, body, ctype, dry):
        if method == "GET":
            return 200, {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": {"name": obj["metadata"]["name"], "namespace": ns},
                         "spec": {"replicas": obj["spec"].get("replicas", 1)}, "status": {"replicas": obj["status"].get("replicas", 0)}}
        if method == "PATCH":
            replicas = ((body or {}).get("spec") or {}).get("replicas")
            if not isinstance(replicas, int) or replicas < 0:
                raise HttpError(422, "Invalid", "spec.replicas: must be a non-negative integer")
            return self._update(res, ns, obj, "PATCH", {"spec": {"replicas": replicas}}, "application/merge-patch+json", dry)
        raise HttpError(501, "NotImplemented", "fake_k8s: %s on scale is not implemented" % method)

    def _delete(self, res, ns, obj, query, body, dry):
        body = body if isinstance(body, dict) else {}
        grace = query.get("gracePeriodSeconds", body.get("gracePeriodSeconds"))
        policy = query.get("propagationPolicy", body.get("propagationPolicy"))
        if dry:
            return 200, obj
        name = obj["metadata"]["name"]
        self.deletions.append({"resource": res[2], "namespace": ns, "name": name,
                               "gracePeriodSeconds": None if grace is None else int(grace), "propagationPolicy": policy})
        if obj["metadata"].get("finalizers"):
            # finalizers hold the object: it is marked and stays until they are removed
            obj["metadata"].setdefault("deletionTimestamp", _now())
            obj["metadata"]["deletionGracePeriodSeconds"] = 0 if grace is None else int(grace)
            obj["metadata"]["resourceVersion"] = self._next_rv()
            return 200, copy.deepcopy(obj)
        self._remove(res, ns, obj, policy)
        gone = copy.deepcopy(obj)
        gone["metadata"]["deletionTimestamp"] = _now()
        return 200, gone

    def _remove(self, res, ns, obj, policy):
        del self.objects[(res[2], ns or "", obj["metadata"]["name"])]
        if res[2] in ("jobs", "deployments"):
            # batch/v1 Jobs orphan their pods unless a propagation policy says otherwise
            if policy in ("Background", "Foreground") or (res[2] == "deployments" and policy != "Orphan"):
                self._delete_pods(ns, self._owned_pods(ns, obj))
        if res[2] in ("pods", "nodes"):
            self._reconcile_all()

    def _pod_metrics(self, ns, name, query):
        """metrics.k8s.io/v1beta1 PodMetrics as metrics-server serves it (k8s.io/metrics, resource metrics API:
        https://github.com/kubernetes/design-proposals-archive/blob/main/instrumentation/resource-metrics-api.md):
        read-only, list or one pod, labelSelector. Usage is computed for running pods (cpu = half the request,
        memory = half the request, or set_pod_usage)."""
        lmatch = label_matcher(query.get("labelSelector"))
        items = []
        for (plural, pns, pname), pod in sorted(self.objects.items()):
            if plural != "pods" or (ns and pns != ns) or (name and pname != name) or pod["status"].get("phase") != "Running":
                continue
            if not lmatch(pod["metadata"].get("labels")):
                continue
            containers = []
            for c in pod["spec"].get("containers", []):
                req = (c.get("resources") or {}).get("requests") or {}
                usage = self.pod_usage.get(pname) or {"cpu": "%dm" % int(parse_quantity(req.get("cpu", "0.1")) * 500),
                                                      "memory": "%dKi" % int(parse_quantity(req.get("memory", "128Mi")) / 2048)}
                containers.append({"name": c["name"], "usage": dict(usage)})
            items.append({"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
                          "metadata": {"name": pname, "namespace": pns, "labels": pod["metadata"].get("labels", {})},
                          "timestamp": _now(), "window": "30s", "containers": containers})
        if name:
            if not items:
                raise HttpError(404, "NotFound", 'podmetrics.metrics.k8s.io "%s" not found' % name)
            return items[0]
        return {"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1", "metadata": {}, "items": items}

    def _custom_metrics(self, method, path, query):
        """custom.metrics.k8s.io as prometheus-adapter serves it (k8s.io/metrics, custom-metrics-api design;
        https://github.com/kubernetes/design-proposals-archive/blob/main/instrumentation/custom-metrics-api.md):
        GET /apis/custom.metrics.k8s.io/{v1beta1|v1beta2}/[namespaces/{ns}/]{resource}/{name|*}/{metric}
        with labelSelector for '*'. Answers MetricValueList (v1beta1 items carry metricName, v1beta2 metric.name).
        No adapter registered: 404 like the aggregator; a metric with no series: 404 as the adapter says it."""
        if self.custom_metrics is None:
            raise HttpError(404, "NotFound", "the server could not find the requested resource")
        match = re.match(r"^/apis/custom\.metrics\.k8s\.io/(v1beta1|v1beta2)(?:/namespaces/([^/]+))?/([^/]+)/([^/]+)/([^/]+)$", path)
        version_only = re.match(r"^/apis/custom\.metrics\.k8s\.io/(v1beta1|v1beta2)/?$", path)
        if method != "GET":
            raise HttpError(405, "MethodNotAllowed", "the custom metrics API is read-only")
        if version_only:
            names_seen = sorted(set((plural, metric) for (plural, dummy_ns, dummy), vals in self.custom_metrics.items() for metric in vals))
            return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "custom.metrics.k8s.io/%s" % version_only.group(1),
                    "resources": [{"name": "%s/%s" % pm, "singularName": "", "namespaced": pm[0] != "nodes", "kind": "MetricValueList",
                                   "verbs": ["get"]} for pm in names_seen]}
        if not match:
            raise HttpError(404, "NotFound", "the server could not find the requested resource")
        version, ns, plural, name, metric = match.groups()
        lmatch = label_matcher(query.get("labelSelector"))
        items = []
        known = False
        for (obj_plural, obj_ns, obj_name), values in sorted(self.custom_metrics.items()):
            if obj_plural != plural or metric not in values:
                continue
            known = True
            if (ns or "") != obj_ns or (name != "*" and name != obj_name):
                continue
            obj = self.objects.get((plural, obj_ns, obj_name))
            if obj is None or (name == "*" and not lmatch(obj["metadata"].get("labels"))):
                continue
            kind = RESOURCES.get(("", "v1", plural), ("Object",))[0]
            item = {"describedObject": {"kind": kind, "namespace": obj_ns or None, "name": obj_name, "apiVersion": "/v1"},
                    "timestamp": _now(), "windowSeconds": 60, "value": values[metric]}
            if version == "v1beta1":
                item["metricName"] = metric
            else:
                item["metric"] = {"name": metric}
            items.append(item)
        if not known or (name != "*" and not items):
            what = plural if name == "*" else "%s %s" % (plural, name)
            raise HttpError(404, "NotFound", "the server could not find the metric %s for %s" % (metric, what))
        return {"kind": "MetricValueList", "apiVersion": "custom.metrics.k8s.io/%s" % version, "metadata": {}, "items": items}

    def _pod_proxy(self, method, ns, target, sub_path):
        """GET /api/v1/namespaces/{ns}/pods/{name}[:port]/proxy/{path} (the API reference's "connect GET requests to
        proxy of Pod"): the API server forwards to the pod's port; here only dcgm-exporter's :9400/metrics answers."""
        if method != "GET":
            raise HttpError(405, "MethodNotAllowed", "fake_k8s: only GET is proxied")
        name, dummy, port = target.partition(":")
        pod = self.objects.get(("pods", ns, name))
        if pod is None:
            raise HttpError(404, "NotFound", 'pods "%s" not found' % name)
        if pod["status"].get("phase") != "Running" or not pod["status"].get("podIP"):
            raise HttpError(503, "ServiceUnavailable", 'pod "%s" is not running' % name)
        text = self.exporter_metrics.get(name)
        if text is None or (port or "80") != "9400" or sub_path != "/metrics":
            raise HttpError(503, "ServiceUnavailable", "error trying to reach service: dial tcp %s:%s: connect: connection refused"
                            % (pod["status"]["podIP"], port or "80"))
        return text

    def _logs(self, pod, query):
        """GET pods/{name}/log (PodLogOptions: container, follow, tailLines, sinceSeconds, sinceTime), validated as
        the API server validates PodLogOptions
        (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#get-read-log-of-the-specified-pod):
        tailLines >= 0, sinceSeconds >= 1, not both sinceSeconds and sinceTime (422 otherwise)."""
        name = pod["metadata"]["name"]
        container = query.get("container")
        names = [c["name"] for c in pod["spec"].get("containers", [])]
        problems = []
        for field, minimum, what in (("tailLines", 0, "must be greater than or equal to 0"), ("sinceSeconds", 1, "must be greater than 0")):
            if field in query:
                try:
                    ok = int(query[field]) >= minimum
                except ValueError:
                    raise HttpError(400, "BadRequest", 'strconv.ParseInt: parsing "%s": invalid syntax' % query[field])
                if not ok:
                    problems.append("%s: Invalid value: %s: %s" % (field, query[field], what))
        if "sinceSeconds" in query and "sinceTime" in query:
            problems.append("sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified")
        if problems:
            raise HttpError(422, "Invalid", 'PodLogOptions "%s" is invalid: %s' % (name, ", ".join(problems)))
        if container and container not in names:
            raise HttpError(400, "BadRequest", "container %s is not valid for pod %s" % (container, name))
        if pod["status"].get("phase") == "Pending":
            raise HttpError(400, "BadRequest", 'container "%s" in pod "%s" is waiting to start: ContainerCreating' % (names[0] if names else "", name))
        lines = self._log_lines(pod, query)
        if query.get("follow") in ("true", "1"):
            return LogStream(self, name, lines, len(self.pod_logs.get(name) or []))
        return "".join(line + "\n" for line in lines)

    def _log_lines(self, pod, query):
        name = pod["metadata"]["name"]
        lines = self.pod_logs.get(name)
        times = self.pod_log_times.get(name)
        if lines is None:
            idx = pod["metadata"].get("annotations", {}).get("batch.kubernetes.io/job-completion-index", "0")
            lines = ["2026-01-01T00:00:00Z [INFO] %s started on %s" % (name, pod["spec"].get("nodeName")),
                     "2026-01-01T00:00:01Z [INFO] rank %s: Starting training..." % idx,
                     "2026-01-01T00:00:30Z [INFO] Epoch 1/3, Step 100, Loss: 0.87",
                     "2026-01-01T00:01:00Z [WARN] gradient overflow, skipping step",
                     "2026-01-01T00:01:30Z [INFO] Epoch 1/3, Step 200, Loss: 0.65"]
            times = [0.0] * len(lines)  # written when the pod started, long ago
        if "sinceSeconds" in query:
            cutoff = time.time() - int(query["sinceSeconds"])
            lines = [line for line, when in zip(lines, times or [0.0] * len(lines)) if when >= cutoff]
        tail = query.get("tailLines")
        if tail is not None:
            lines = lines[-int(tail):] if int(tail) > 0 else []
        return list(lines)


class LogStream(object):
    """A followed log: what there is now, then each line the container writes, until the pod stops running,
    ``follow_limit`` passes or the client hangs up (chunked transfer encoding, as the API server streams)."""

    def __init__(self, cluster, pod, lines, offset):
        self.cluster, self.pod, self.lines, self.offset = cluster, pod, lines, offset

    def chunks(self):
        if self.lines:
            yield "".join(line + "\n" for line in self.lines)
        deadline = time.time() + self.cluster.follow_limit
        while time.time() < deadline:
            time.sleep(0.05)
            with self.cluster.lock:
                pods = [o for (p, dummy_ns, n), o in self.cluster.objects.items() if p == "pods" and n == self.pod]
                new = (self.cluster.pod_logs.get(self.pod) or [])[self.offset:]
                self.offset += len(new)
            if new:
                yield "".join(line + "\n" for line in new)
            if not pods or pods[0]["status"].get("phase") != "Running":
                return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # silence
        pass

    def _do(self, method):
        cluster = self.server.cluster
        url = urlsplit(self.path)
        query = dict((k, v[-1]) for k, v in parse_qs(url.query).items())
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        ctype = self.headers.get("Content-Type", "")
        try:
            if cluster.token and self.headers.get("Authorization") != "Bearer %s" % cluster.token:
                raise HttpError(401, "Unauthorized", "Unauthorized")
            body = None
            if raw:
                if "yaml" in ctype and "apply-patch" not in ctype:
                    raise HttpError(415, "UnsupportedMediaType", "fake_k8s accepts JSON bodies only")
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError as exc:
                    if "apply-patch" not in ctype:
                        raise HttpError(400, "BadRequest", "invalid JSON body: %s" % exc)
            code, out = cluster.handle(method, url.path, query, body, ctype)
        except HttpError as exc:
            code, out = exc.code, status_body(exc.code, exc.reason, exc.message)
        except Exception as exc:  # a bug in the fake: say so loudly
            code, out = 500, status_body(500, "InternalError", "fake_k8s internal error: %r" % exc)
        with cluster.lock:
            cluster.requests.append((method, self.path, code))
        if isinstance(out, LogStream):
            self._stream(out)
            return
        if isinstance(out, str):
            data, otype = out.encode("utf-8"), "text/plain"
        else:
            data, otype = json.dumps(out).encode("utf-8"), "application/json"
        self.send_response(code)
        self.send_header("Content-Type", otype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, stream):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for text in stream.chunks():
                data = text.encode("utf-8")
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the follower hung up (its time was up)

    def do_GET(self):
        self._do("GET")

    def do_POST(self):
        self._do("POST")

    def do_PUT(self):
        self._do("PUT")

    def do_PATCH(self):
        self._do("PATCH")

    def do_DELETE(self):
        self._do("DELETE")


class FakeServer(object):
    def __init__(self, token=None, version="v1.33.0"):
        self.cluster = FakeCluster(version=version)
        self.cluster.token = token
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.cluster = self.cluster
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def __getattr__(self, name):
        return getattr(self.cluster, name)
