# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The write side of node labels: the seed's label / get label / delete label verbs over many nodes."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import status
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.client import KubeRequestError


def set_node_labels(client, node, labels):
    """Merge-patch labels (None removes) guarded by the node's resourceVersion (409 on a race)."""
    patch = {"metadata": {"labels": labels, "resourceVersion": node["metadata"].get("resourceVersion")}}
    return client.patch("Node", node["metadata"]["name"], patch)


class NodeLabeler(object):
    """Per-node results: ``success``, ``failures`` (with the seed's error codes) and ``results``."""

    def __init__(self, client):
        self.client = client

    def run(self, nodes, key, value=None, state="present", overwrite=False):
        success, failures, results = [], [], []
        for name in nodes:
            entry = {"node_name": name, "key": key, "changed": False}
            try:
                node = self.client.get("Node", name)
                if node is None:
                    raise _NodeFailure("NodeNotFound", "node %s not found (HTTP 404)" % name)
                current = status.labels_of(node).get(key)
                entry["previous_value"] = current
                if state == "query":
                    if current is None:
                        raise _NodeFailure("LabelNotFound", "node %s has no label with key %s" % (name, key))
                    entry["value"] = current
                elif state == "present":
                    if current is not None and current != value and not overwrite:
                        raise _NodeFailure("LabelConflict", "node %s already has label %s=%s; set overwrite: true to replace it"
                                           % (name, key, current))
                    entry["value"] = value
                    if current != value:
                        set_node_labels(self.client, node, {key: value})
                        entry["changed"] = True
                else:
                    entry["value"] = None
                    if current is not None:
                        set_node_labels(self.client, node, {key: None})
                        entry["changed"] = True
                success.append(name)
            except _NodeFailure as exc:
                entry.update(error=exc.code, message=exc.message)
                failures.append({"node_name": name, "error": exc.code, "message": exc.message})
            except KubeRequestError as exc:
                code = "Conflict" if exc.status == 409 else "ApiError"
                entry.update(error=code, message=exc.msg)
                failures.append({"node_name": name, "error": code, "message": exc.msg, "status": exc.status})
            results.append(entry)
        return {"success": success, "failures": failures, "results": results,
                "changed": any(r["changed"] for r in results)}


class _NodeFailure(Exception):
    def __init__(self, code, message):
        super(_NodeFailure, self).__init__(message)
        self.code, self.message = code, message
