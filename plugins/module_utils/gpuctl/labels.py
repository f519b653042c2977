# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The write side of node labels: the seed's label / get label / delete label verbs over many nodes.

Every node is read and checked first; labels are written only when no node failed that check,
so a task that fails has changed nothing (a write the server refuses midway is still reported
per node).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.common.workers import bounded_map
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import status
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.client import KubeRequestError

PARALLEL_READS = 8  # node GETs in flight at once when checking many nodes


def set_node_labels(client, node, labels, taints=None):
    """Merge-patch labels (None removes) guarded by the node's resourceVersion (409 on a race).

    ``taints``: the node's whole new ``spec.taints`` list (a merge patch replaces lists), or None to leave them.
    """
    patch = {"metadata": {"labels": labels, "resourceVersion": node["metadata"].get("resourceVersion")}}
    if taints is not None:
        patch["spec"] = {"taints": taints}
    return client.patch("Node", node["metadata"]["name"], patch)


class NodeLabeler(object):
    """Per-node results: ``success``, ``failures`` (with the seed's error codes) and ``results``."""

    def __init__(self, client):
        self.client = client

    def run(self, nodes, key, value=None, state="present", overwrite=False):
        planned = bounded_map(lambda name: self._plan(name, key, value, state, overwrite), nodes, PARALLEL_READS)
        refused = [entry for entry, node in planned if entry.get("error")]
        for entry, node in planned:
            if not entry.pop("_write", False) or entry.get("error"):
                continue
            if refused:
                entry["message"] = "not written: %d other node(s) failed, so no node was changed" % len(refused)
                continue
            try:
                set_node_labels(self.client, node, {key: entry["value"]})
                entry["changed"] = True
            except KubeRequestError as exc:
                entry.update(error="Conflict" if exc.status == 409 else "ApiError", message=exc.msg, status=exc.status)
        results = [entry for entry, node in planned]
        failures = [dict((k, entry[k]) for k in ("node_name", "error", "message", "status") if k in entry)
                    for entry in results if entry.get("error")]
        nothing_written = refused and state != "query"
        success = [] if nothing_written else [entry["node_name"] for entry in results if not entry.get("error")]
        return {"success": success, "failures": failures, "results": results, "changed": any(r["changed"] for r in results)}

    def _plan(self, name, key, value, state, overwrite):
        """(result entry, live node); the entry says whether a write is needed (``_write``) or why not."""
        entry = {"node_name": name, "key": key, "changed": False}
        try:
            node = self.client.get("Node", name)
        except KubeRequestError as exc:
            entry.update(error="ApiError", message=exc.msg, status=exc.status)
            return entry, None
        if node is None:
            entry.update(error="NodeNotFound", message="node %s not found (HTTP 404)" % name)
            return entry, None
        current = status.labels_of(node).get(key)
        entry["previous_value"] = current
        if state == "query":
            if current is None:
                entry.update(error="LabelNotFound", message="node %s has no label with key %s" % (name, key))
            entry["value"] = current
        elif state == "present":
            if current is not None and current != value and not overwrite:
                entry.update(error="LabelConflict", message="node %s already has label %s=%s; set overwrite: true to replace it"
                             % (name, key, current))
            entry["value"] = value
            entry["_write"] = current != value
        else:
            entry["value"] = None
            entry["_write"] = current is not None
        return entry, node
