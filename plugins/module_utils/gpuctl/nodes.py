# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Node labels and node GPU inventory."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render as R
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import status as S
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import ApiError, GpuctlError

LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")
DNS_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def validate_label_key(key):
    """Return None or the reason why ``key`` is not a valid Kubernetes label key."""
    if not key:
        return "must not be empty"
    prefix, dummy, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS_SUB.match(prefix)):
        return "prefix '%s' must be a DNS-1123 subdomain" % prefix
    if len(name) > 63 or not LABEL_NAME.match(name):
        return "name part '%s' must be 1-63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric" % name
    return None


def validate_label_value(value):
    if len(value) > 63 or not LABEL_VALUE.match(value):
        return "must be at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric"
    return None


def set_node_labels(client, node, labels, check_mode=False):
    """Merge-patch labels (None removes) guarded by the node's resourceVersion (409 on a race)."""
    if check_mode:
        return node
    patch = {"metadata": {"labels": labels, "resourceVersion": node["metadata"].get("resourceVersion")}}
    return client.patch("Node", node["metadata"]["name"], patch)


class NodeLabeler(object):
    """The seed's label/get label/delete label verbs over many nodes, per-node results."""

    def __init__(self, client, check_mode=False):
        self.client = client
        self.check_mode = check_mode

    def run(self, nodes, key, value=None, state="present", overwrite=False):
        success, failures, results = [], [], []
        for name in nodes:
            entry = {"node_name": name, "key": key, "changed": False}
            try:
                node = self.client.get("Node", name)
                if node is None:
                    raise _NodeFail("NodeNotFound", "node %s not found (HTTP 404)" % name)
                current = S.labels_of(node).get(key)
                entry["previous_value"] = current
                if state == "query":
                    if current is None:
                        raise _NodeFail("LabelNotFound", "node %s has no label with key %s" % (name, key))
                    entry["value"] = current
                elif state == "present":
                    if current is not None and current != value and not overwrite:
                        raise _NodeFail("LabelConflict", "node %s already has label %s=%s; set overwrite: true to replace it"
                                        % (name, key, current))
                    entry["value"] = value
                    if current != value:
                        set_node_labels(self.client, node, {key: value}, self.check_mode)
                        entry["changed"] = True
                else:
                    entry["value"] = None
                    if current is not None:
                        set_node_labels(self.client, node, {key: None}, self.check_mode)
                        entry["changed"] = True
                success.append(name)
            except _NodeFail as exc:
                entry.update(error=exc.code, message=exc.message)
                failures.append({"node_name": name, "error": exc.code, "message": exc.message})
            except ApiError as exc:
                code = "Conflict" if exc.status == 409 else "ApiError"
                entry.update(error=code, message=exc.msg)
                failures.append({"node_name": name, "error": code, "message": exc.msg, "status": exc.status})
            results.append(entry)
        return {"success": success, "failures": failures, "results": results,
                "changed": any(r["changed"] for r in results)}


class _NodeFail(Exception):
    def __init__(self, code, message):
        super(_NodeFail, self).__init__(message)
        self.code, self.message = code, message


class NodeInfo(object):
    def __init__(self, client, gpu_type_label=R.GPU_TYPE_LABEL):
        self.client = client
        self.gpu_type_label = gpu_type_label

    def _pods(self):
        return S.pods_by_node(self.client.list("Pod", None, field_selector="status.phase!=Succeeded,status.phase!=Failed"))

    def list(self, pool=None, gpu_type=None, status=None, label_key=None, page=1, page_size=20):
        selector = []
        if pool:
            selector.append("%s=%s" % (R.L_POOL, pool))
        if gpu_type:
            # the seed writes --gpu-type nvidia.com/a100-80g; the label value is a100-80g
            gpu_type = gpu_type.split("/", 1)[1] if gpu_type.startswith("nvidia.com/") else gpu_type
            selector.append("%s=%s" % (self.gpu_type_label, gpu_type))
        nodes = self.client.list("Node", label_selector=",".join(selector) or None)
        pods = self._pods()
        items = [S.node_summary(n, pods.get(n["metadata"]["name"], []), self.gpu_type_label) for n in nodes]
        if label_key:
            for item, node in zip(items, nodes):
                item["label_key"] = label_key
                item["label_value"] = S.labels_of(node).get(label_key)
        if status:
            items = [i for i in items if i["status"] == status]
        items.sort(key=lambda i: i["node_name"])
        start = (page - 1) * page_size
        return {"total": len(items), "page": page, "page_size": page_size, "items": items[start:start + page_size]}

    def describe(self, name):
        node = self.client.get("Node", name)
        if node is None:
            raise GpuctlError("node '%s' not found (HTTP 404)" % name, status=404)
        pods = self.client.list("Pod", None, field_selector="spec.nodeName=%s" % name)
        active = [p for p in pods if S.pod_active(p)]
        return S.node_detail(node, active, self.gpu_type_label)

    def gpu_labels(self):
        """Every node's GPU-related labels and bound pools (seed: gpuctl get gpu-type --all)."""
        items = []
        for node in sorted(self.client.list("Node"), key=lambda n: n["metadata"]["name"]):
            labels = S.labels_of(node)
            gpu = [{"key": k, "value": v} for k, v in sorted(labels.items())
                   if k == self.gpu_type_label or "gpu" in k.lower() and k != R.L_POOL]
            items.append({"node_name": node["metadata"]["name"], "gpu_labels": gpu,
                          "bound_pools": [labels[R.L_POOL]] if labels.get(R.L_POOL) else []})
        return {"total": len(items), "items": items}
