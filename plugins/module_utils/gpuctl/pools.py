# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource pools: a ConfigMap per pool holds the definition and quota; membership is the
node label ``gpuctl/pool=<name>``."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import apply as A
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render as R
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import status as S
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError, SpecError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.nodes import set_node_labels


def load_pool(client, name, namespace):
    """The parsed pool spec stored in the cluster, or None when the pool does not exist."""
    cm = client.get("ConfigMap", R.pool_configmap_name(name), namespace)
    if cm is None:
        return None
    try:
        return json.loads((cm.get("data") or {}).get("spec") or "{}") or {"kind": "resource", "pool": {"name": name}}
    except ValueError:
        raise GpuctlError("ConfigMap %s/%s holds an unreadable pool definition" % (namespace, R.pool_configmap_name(name)))


class PoolManager(object):
    def __init__(self, client, namespace="gpuctl-system", check_mode=False):
        self.client = client
        self.namespace = namespace
        self.check_mode = check_mode
        self._claimed = {}
        self._namespace_checked = False

    def _ensure_namespace(self):
        if self._namespace_checked:
            return []
        self._namespace_checked = True
        if self.client.get("Namespace", self.namespace) is None:
            change = A.Change("create", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": self.namespace,
                                                                                               "labels": {R.L_MANAGED: R.MANAGED_BY}}}, None)
            A.execute(self.client, change, self.check_mode)
            return [change]
        return []

    def _nodes(self, names, path):
        nodes, errors = {}, []
        for name in names:
            node = self.client.get("Node", name)
            if node is None:
                errors.append(("%s.%s" % (path, name), "node not found in the cluster (HTTP 404)"))
            else:
                nodes[name] = node
        if errors:
            raise SpecError(errors)
        return nodes

    def _label_changes(self, pool, wanted, nodes, path):
        """Plan label patches for ``wanted``: {node: {label: value}}. Conflicting pool membership fails."""
        errors, plans = [], []
        for name, labels in sorted(wanted.items()):
            current = S.labels_of(nodes[name])
            other = current.get(R.L_POOL)
            if other and other != pool:
                errors.append(("%s.%s" % (path, name), "node is already in pool '%s' (label %s=%s); remove it from that pool first"
                               % (other, R.L_POOL, other)))
                continue
            patch = dict((k, v) for k, v in labels.items() if current.get(k) != v)
            if patch:
                plans.append((name, patch))
        if errors:
            raise SpecError(errors)
        return plans

    def ensure(self, spec, label=None):
        return self.apply(self.plan(spec, label))

    def plan(self, spec, label=None):
        """Check the nodes (exist, not in another pool, not claimed by another pool of this task); no writes."""
        name = spec["pool"]["name"]
        try:
            nodes = self._nodes(sorted(spec.get("nodes") or {}), "nodes")
            wanted = {}
            for node, conf in (spec.get("nodes") or {}).items():
                wanted[node] = {R.L_POOL: name}
                if (conf or {}).get("gpu-type"):
                    wanted[node][R.GPU_TYPE_LABEL] = conf["gpu-type"]
            claimed = [("nodes.%s" % node, "node is also claimed by pool '%s' earlier in this task; a node belongs to one pool"
                        % self._claimed[node]) for node in sorted(wanted) if self._claimed.get(node, name) != name]
            if claimed:
                raise SpecError(claimed)
            plans = self._label_changes(name, wanted, nodes, "nodes")
        except SpecError as exc:
            raise exc.with_prefix(label) if label else exc
        for node in wanted:
            self._claimed[node] = name
        manifest = R.render(spec, self.namespace, validated=True)[0]
        live = self.client.get("ConfigMap", manifest["metadata"]["name"], self.namespace)
        return {"spec": spec, "name": name, "nodes": nodes, "label_plans": plans, "live": live, "change": A.plan(manifest, live)}

    def apply(self, planned):
        spec, name, nodes, plans, live = planned["spec"], planned["name"], planned["nodes"], planned["label_plans"], planned["live"]
        changes = self._ensure_namespace()
        change = planned["change"]
        A.execute(self.client, change, self.check_mode)
        changes.append(change)
        node_results = self._apply_labels(plans, nodes)
        changed = any(c.changed for c in changes) or bool(plans)
        return {"name": name, "changed": changed, "status": "created" if live is None else ("updated" if changed else "unchanged"),
                "nodes_labelled": [plan[0] for plan in plans], "nodes": sorted(spec.get("nodes") or {}),
                "_changes": changes, "_node_diff": node_results}

    def _apply_labels(self, plans, nodes):
        diff = []
        for name, patch in plans:
            before = dict((k, S.labels_of(nodes[name]).get(k)) for k in patch)
            set_node_labels(self.client, nodes[name], patch, self.check_mode)
            diff.append((name, before, patch))
        return diff

    def add_nodes(self, name, names):
        if load_pool(self.client, name, self.namespace) is None:
            raise SpecError([("name", "pool '%s' does not exist" % name)])
        nodes = self._nodes(names, "add_nodes")
        plans = self._label_changes(name, dict((n, {R.L_POOL: name}) for n in names), nodes, "add_nodes")
        return self._apply_labels(plans, nodes)

    def remove_nodes(self, name, names):
        nodes = self._nodes(names, "remove_nodes")
        plans = []
        for node in names:
            current = S.labels_of(nodes[node]).get(R.L_POOL)
            if current == name:
                plans.append((node, {R.L_POOL: None}))
        return self._apply_labels(plans, nodes)

    def absent(self, name, unlabel_nodes=True, force=False):
        active = []
        for kind in ("Job", "Deployment"):
            for obj in self.client.list(kind, None, label_selector="%s=%s,%s" % (R.L_POOL, name, R.L_JOB)):
                if S.workload_status(obj) not in ("succeeded", "failed"):
                    active.append("%s/%s" % (obj["metadata"].get("namespace"), obj["metadata"]["name"]))
        if active and not force:
            raise GpuctlError("pool '%s' still has %d active job(s): %s; delete them first or set force: true"
                              % (name, len(active), ", ".join(sorted(active))))
        changes = []
        live = self.client.get("ConfigMap", R.pool_configmap_name(name), self.namespace)
        if live is not None:
            live.setdefault("kind", "ConfigMap")
            change = A.Change("delete", None, live)
            A.execute(self.client, change, self.check_mode)
            changes.append(change)
        node_diff = []
        if unlabel_nodes:
            members = self.client.list("Node", label_selector="%s=%s" % (R.L_POOL, name))
            node_diff = self._apply_labels([(n["metadata"]["name"], {R.L_POOL: None}) for n in members],
                                           dict((n["metadata"]["name"], n) for n in members))
        return {"name": name, "changed": bool(changes or node_diff), "status": "deleted" if (changes or node_diff) else "absent",
                "nodes_unlabelled": [entry[0] for entry in node_diff], "_changes": changes, "_node_diff": node_diff}


class PoolInfo(object):
    def __init__(self, client, namespace="gpuctl-system", gpu_type_label=R.GPU_TYPE_LABEL):
        self.client = client
        self.namespace = namespace
        self.gpu_type_label = gpu_type_label

    def _snapshot(self):
        cms = self.client.list("ConfigMap", self.namespace, label_selector="%s=pool" % R.L_TYPE)
        nodes = self.client.list("Node")
        pods = S.pods_by_node(self.client.list("Pod", None, field_selector="status.phase!=Succeeded,status.phase!=Failed"))
        return cms, nodes, pods

    def _summary(self, pool_spec, nodes, pods_by_node, detail=False):
        name = pool_spec["pool"]["name"]
        members = [n for n in nodes if S.labels_of(n).get(R.L_POOL) == name]
        total = used = 0
        types = {}
        ready = 0
        for node in members:
            node_total = S.node_gpu_total(node)
            total += node_total
            used += sum(S.pod_gpus(p) for p in pods_by_node.get(node["metadata"]["name"], []))
            gtype = S.node_gpu_type(node, self.gpu_type_label)
            if gtype:
                types[gtype] = types.get(gtype, 0) + node_total
            if S.node_status(node) == "active":
                ready += 1
        out = {"name": name, "description": pool_spec["pool"].get("description") or "",
               "gpu_total": total, "gpu_used": used, "gpu_free": max(0, total - used),
               "gpu_type": sorted(types), "quota": pool_spec.get("quota") or {},
               "node_count": len(members), "status": "active" if ready else ("inactive" if members else "empty")}
        if detail:
            out["gpu_type"] = types
            out["nodes"] = sorted(n["metadata"]["name"] for n in members)
            out["declared_nodes"] = pool_spec.get("nodes") or {}
        return out

    def list(self):
        cms, nodes, pods = self._snapshot()
        items = []
        for cm in cms:
            try:
                pool_spec = json.loads((cm.get("data") or {}).get("spec") or "{}")
            except ValueError:
                continue
            if pool_spec.get("pool"):
                items.append(self._summary(pool_spec, nodes, pods))
        items.sort(key=lambda i: i["name"])
        return {"total": len(items), "items": items}

    def describe(self, name):
        pool_spec = load_pool(self.client, name, self.namespace)
        if pool_spec is None:
            raise GpuctlError("pool '%s' not found (no ConfigMap %s/%s)" % (name, self.namespace, R.pool_configmap_name(name)), status=404)
        nodes, pods = self._snapshot()[1:]
        out = self._summary(pool_spec, nodes, pods, detail=True)
        jobs = []
        for kind in ("Job", "Deployment"):
            for obj in self.client.list(kind, None, label_selector="%s=%s,%s" % (R.L_POOL, name, R.L_JOB)):
                obj.setdefault("kind", kind)
                summary = S.job_summary(obj)
                jobs.append({"job_id": summary["job_id"], "name": summary["name"], "namespace": summary["namespace"],
                             "kind": summary["kind"], "status": summary["status"], "gpu": summary["gpu"]})
        out["jobs"] = sorted(jobs, key=lambda j: (j["namespace"] or "", j["name"]))
        return out
