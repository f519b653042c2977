# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The write side of pools: a ConfigMap per pool holds the definition and quota; membership is
the node label ``gpuctl/pool=<name>``."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.common.workers import bounded_map
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import names
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import planner
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import readers
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import status
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError, OptionError, SpecError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.executor import execute
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.labels import PARALLEL_READS, set_node_labels


def pool_taint(pool):
    return {"key": names.LABEL_POOL, "value": pool, "effect": "NoSchedule"}


def taints_with(node, pool):
    """The node's taints with exactly gpuctl's pool taint for ``pool`` (None: without one); None when unchanged."""
    current = list((node.get("spec") or {}).get("taints") or [])
    kept = [t for t in current if t.get("key") != names.LABEL_POOL]
    wanted = kept + ([pool_taint(pool)] if pool else [])
    return None if wanted == current else wanted


def _where(label, line):
    source = (label or "spec").rsplit("#", 1)[0]
    return "%s line %d" % (source, line) if line else (label or "spec")


def _claim_conflict(node, first, second):
    """Why a node cannot be in two pools of one task, and exactly which lines to change.

    A node is in one pool: membership is one label (gpuctl/pool=<name>) that jobs select with a
    nodeSelector, and a node has one GPU type (the seed's own file gives node1 A100-100G in one pool
    and 4090-24G in the other; both cannot be true).
    """
    pool, label, line, gpu_type = first
    dummy, label2, line2, gpu_type2 = second
    return ("node is also claimed by pool '%s' earlier in this task (%s%s); a node belongs to one pool and has one GPU type: "
            "change %s (%s of pool '%s'%s) to a node of its own, or remove %s from %s"
            % (pool, _where(label, line), ", gpu-type %s" % gpu_type if gpu_type else "",
               _where(label2, line2), node, second[0], ", gpu-type %s" % gpu_type2 if gpu_type2 else "",
               node, _where(label, line)))


class PoolManager(object):
    def __init__(self, client, namespace=names.DEFAULT_POOL_NAMESPACE):
        self.client = client
        self.namespace = namespace
        self._claimed = {}  # node -> (pool, label, line, gpu-type) of the first claim in this task
        self._namespace_checked = False

    def _namespace_changes(self):
        if self._namespace_checked:
            return []
        self._namespace_checked = True
        if self.client.get("Namespace", self.namespace) is not None:
            return []
        change = planner.Change("create", {"apiVersion": "v1", "kind": "Namespace",
                                           "metadata": {"name": self.namespace, "labels": {names.LABEL_MANAGED_BY: names.MANAGED_BY}}},
                                None)
        execute(self.client, change)
        return [change]

    def _nodes(self, node_names, path, error=SpecError):
        """The live nodes; ``error`` is SpecError for a spec's nodes, OptionError for add_nodes/remove_nodes."""
        nodes, errors = {}, []
        found = bounded_map(lambda name: self.client.get("Node", name), node_names, PARALLEL_READS)
        for name, node in zip(node_names, found):
            if node is None:
                errors.append(("%s.%s" % (path, name), "node not found in the cluster (HTTP 404)"))
            else:
                nodes[name] = node
        if errors:
            raise error(errors)
        return nodes

    def _label_changes(self, pool, wanted, nodes, path, error=SpecError):
        """Plan label patches for ``wanted``: {node: {label: value}}. Conflicting pool membership fails."""
        errors, plans = [], []
        for name, labels in sorted(wanted.items()):
            current = status.labels_of(nodes[name])
            other = current.get(names.LABEL_POOL)
            if other and other != pool:
                errors.append(("%s.%s" % (path, name), "node is already in pool '%s' (label %s=%s); remove it from that pool first"
                               % (other, names.LABEL_POOL, other)))
                continue
            patch = dict((k, v) for k, v in labels.items() if current.get(k) != v)
            if patch:
                plans.append((name, patch))
        if errors:
            raise error(errors)
        return plans

    @staticmethod
    def _claim(pool, label, lines, declared, node):
        """(pool, document label, line, gpu-type) of a node's claim, for conflict messages."""
        return pool, label, (lines or {}).get(node), (declared[node] or {}).get("gpu-type")

    def _with_taints(self, plans, wanted, nodes, taint_pool):
        """Add each node's taint change (exclusive pools taint their nodes, others untaint them) to its label plan."""
        by_node = dict((name, [patch, None]) for name, patch in plans)
        for node in sorted(wanted):
            taints = taints_with(nodes[node], taint_pool)
            if taints is not None:
                by_node.setdefault(node, [{}, None])[1] = taints
        return [(name, patch, taints) for name, (patch, taints) in sorted(by_node.items())]

    def plan(self, spec, label=None, lines=None):
        """Check the nodes (exist, not in another pool, not claimed by another pool of this task); no writes.

        ``lines``: {node: line} where this document declares its nodes, so a conflict names the lines to change.
        """
        name = spec["pool"]["name"]
        declared = spec.get("nodes") or {}
        try:
            nodes = self._nodes(sorted(declared), "nodes")
            wanted = {}
            for node, conf in declared.items():
                wanted[node] = {names.LABEL_POOL: name}
                if (conf or {}).get("gpu-type"):
                    wanted[node][names.GPU_TYPE_LABEL] = conf["gpu-type"]
            claimed = [("nodes.%s" % node, _claim_conflict(node, self._claimed[node], self._claim(name, label, lines, declared, node)))
                       for node in sorted(wanted) if self._claimed.get(node, (name,))[0] != name]
            if claimed:
                raise SpecError(claimed)
            plans = self._label_changes(name, wanted, nodes, "nodes")
            plans = self._with_taints(plans, wanted, nodes, name if validation.pool_taints_nodes(spec) else None)
        except SpecError as exc:
            raise exc.with_prefix(label) if label else exc
        for node in wanted:
            self._claimed[node] = self._claim(name, label, lines, declared, node)
        manifest = render.render(spec, self.namespace, validated=True)[0]
        live = self.client.get("ConfigMap", manifest["metadata"]["name"], self.namespace)
        return {"spec": spec, "name": name, "nodes": nodes, "label_plans": plans, "live": live, "change": planner.plan(manifest, live)}

    def apply(self, planned):
        changes = self._namespace_changes()
        change = planned["change"]
        execute(self.client, change)
        changes.append(change)
        node_diff = self._apply_labels(planned["label_plans"], planned["nodes"])
        changed = any(c.changed for c in changes) or bool(planned["label_plans"])
        return {"name": planned["name"], "changed": changed,
                "status": "created" if planned["live"] is None else ("updated" if changed else "unchanged"),
                "nodes_labelled": [plan[0] for plan in planned["label_plans"]], "nodes": sorted(planned["spec"].get("nodes") or {}),
                "nodes_tainted": [plan[0] for plan in planned["label_plans"] if len(plan) > 2 and plan[2] is not None],
                "_changes": changes, "_node_diff": node_diff}

    def ensure(self, spec, label=None):
        return self.apply(self.plan(spec, label))

    def _apply_labels(self, plans, nodes):
        """Plans are (node, label patch[, new taints]); one patch per node."""
        diff = []
        for plan in plans:
            name, patch, taints = (tuple(plan) + (None,))[:3]
            before = dict((k, status.labels_of(nodes[name]).get(k)) for k in patch)
            set_node_labels(self.client, nodes[name], patch, taints)
            diff.append((name, before, patch))
        return diff

    def add_nodes(self, name, node_names):
        pool_def = readers.load_pool(self.client, name, self.namespace)
        if pool_def is None:
            raise OptionError([("name", "pool '%s' does not exist" % name)])
        nodes = self._nodes(node_names, "add_nodes", OptionError)
        wanted = dict((n, {names.LABEL_POOL: name}) for n in node_names)
        plans = self._label_changes(name, wanted, nodes, "add_nodes", OptionError)
        plans = self._with_taints(plans, wanted, nodes, name if validation.pool_taints_nodes(pool_def) else None)
        return self._apply_labels(plans, nodes)

    def remove_nodes(self, name, node_names):
        nodes = self._nodes(node_names, "remove_nodes", OptionError)
        plans = [(node, {names.LABEL_POOL: None}, taints_with(nodes[node], None)) for node in node_names
                 if status.labels_of(nodes[node]).get(names.LABEL_POOL) == name]
        return self._apply_labels(plans, nodes)

    def absent(self, name, unlabel_nodes=True, force=False):
        active = sorted("%s/%s" % job for job in readers.active_jobs_in_pool(self.client, name))
        if active and not force:
            raise GpuctlError("pool '%s' still has %d active job(s): %s; delete them first or set force: true"
                              % (name, len(active), ", ".join(active)))
        changes = []
        live = self.client.get("ConfigMap", names.pool_configmap_name(name), self.namespace)
        if live is not None:
            live.setdefault("kind", "ConfigMap")
            change = planner.Change("delete", None, live)
            execute(self.client, change)
            changes.append(change)
        node_diff = []
        if unlabel_nodes:
            members = self.client.list("Node", label_selector="%s=%s" % (names.LABEL_POOL, name))
            node_diff = self._apply_labels([(n["metadata"]["name"], {names.LABEL_POOL: None}, taints_with(n, None)) for n in members],
                                           dict((n["metadata"]["name"], n) for n in members))
        return {"name": name, "changed": bool(changes or node_diff), "status": "deleted" if (changes or node_diff) else "absent",
                "nodes_unlabelled": [entry[0] for entry in node_diff], "_changes": changes, "_node_diff": node_diff}
