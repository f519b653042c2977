# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One service per module: validate the options, plan, execute, shape the result.

Each ``run()`` returns the module's result dict or raises a GpufleetError, which
``common.errors.run_module`` turns into ``fail_json``. Options and specs are validated
before the client is built, so nothing is sent for invalid input. The client is built in
check mode from ``module.check_mode``: every would-be write is then a server-side dry run.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.common.diff import Diff
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import planner
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError, SpecError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.jobs import JobManager
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.labels import NodeLabeler
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.pools import PoolManager
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.readers import JobReader, NodeReader, PoolReader

MAX_FOLLOW_SECONDS = 3600
PREFETCH_FROM = 3  # jobs per task from which one list per kind beats a GET per object


def _public(result):
    return dict((k, v) for k, v in result.items() if not k.startswith("_"))


class _Service(object):
    def __init__(self, module):
        self.module = module
        self.params = module.params

    def client(self):
        return connection.client_from_params(self.params, check_mode=self.module.check_mode)


MAX_WAIT_TIMEOUT = 7 * 24 * 3600  # a bound, so a huge number is refused rather than waited on


class JobService(_Service):
    """gpuctl_job: submit, update, pause, resume and delete jobs."""

    def run(self):
        params = self.params
        validation.check_options([
            ("name", "with state=present give spec or src (name alone can only delete, pause or resume a job)"
             if params["name"] and params["state"] == "present" else None),
            ("name", validation.label_value_problem(params["name"]) if params["name"] else None),
            ("namespace", validation.namespace_problem(params["namespace"])),
            ("pool_namespace", validation.namespace_problem(params["pool_namespace"])),
            ("wait_timeout", None if 0 <= params["wait_timeout"] <= MAX_WAIT_TIMEOUT
             else "must be from 0 to %d seconds (7 days)" % MAX_WAIT_TIMEOUT),
        ])
        specs = [] if params["name"] else validation.load_specs(params)
        pools = [label or "spec" for label, spec in specs if spec["kind"] == "resource"]
        if pools:
            raise SpecError([("%s: kind" % label, "'resource' is a pool; use gpufleet.ops.gpuctl_pool") for label in pools])
        validation.job_names_unique([spec for dummy, spec in specs])
        manager = JobManager(self.client(), params["namespace"], params["pool_namespace"])
        results = self._by_name(manager) if params["name"] else self._by_spec(manager, specs)
        if params["wait"] and params["state"] in ("present", "resumed"):
            for result in results:
                manager.wait(result, params["wait_for"], params["wait_timeout"])
        for warning in manager.warnings:
            self.module.warn(warning)
        out = dict(changed=any(r["changed"] for r in results), jobs=[_public(r) for r in results])
        if results:
            out["job_id"], out["status"] = results[0]["job_id"], results[0]["status"]
        if self.module._diff:
            diff = Diff()
            for result in results:
                planner.diff_of(result.get("_changes") or [], diff)
            out["diff"] = diff.result()
        return out

    def _by_name(self, manager):
        params = self.params
        if params["state"] == "absent":
            return [manager.absent(params["name"], force=params["force"])]
        return [manager.set_paused_by_name(params["name"], params["state"] == "paused")]

    def _by_spec(self, manager, specs):
        params = self.params
        if params["state"] == "absent":
            return [manager.absent(spec["job"]["name"], kind=spec["kind"], force=params["force"]) for dummy, spec in specs]
        if len(specs) >= PREFETCH_FROM:
            manager.prefetch()
        # plan every job (reads, quota checks) before the first write
        plans = [manager.plan(spec, params["state"], force=params["force"], label=label) for label, spec in specs]
        return [manager.apply(planned) for planned in plans]


class JobInfoService(_Service):
    """gpuctl_job_info: list jobs, describe one, read its logs."""

    def run(self):
        params = self.params
        validation.check_options(validation.paging_problems(params) + [
            ("tail", None if params["tail"] >= 0 else "must be >= 0"),
            ("follow_seconds", None if 0 <= params["follow_seconds"] <= MAX_FOLLOW_SECONDS else "must be 0 to %d seconds" % MAX_FOLLOW_SECONDS),
            ("follow_seconds", "needs logs: true" if params["follow_seconds"] and not params["logs"] else None),
            ("logs", "needs name (which job's logs)" if params["logs"] and not params["name"] else None),
            ("name", validation.label_value_problem(params["name"]) if params["name"] else None),
            ("namespace", validation.namespace_problem(params["namespace"]) if params["namespace"] else None),
            ("pool", validation.pool_name_problem(params["pool"]) if params["pool"] else None),
        ])
        reader = JobReader(self.client(), params["namespace"])
        if params["name"] and params["logs"]:
            return dict(changed=False, **reader.logs(params["name"], params["tail"], params["keyword"], params["pod"], params["container"],
                                                     params["follow_seconds"]))
        if params["name"]:
            return dict(changed=False, job=reader.describe(params["name"], params["events"]))
        return dict(changed=False, **reader.list(params["kind"], params["pool"], params["status"], params["page"], params["page_size"]))


class PoolService(_Service):
    """gpuctl_pool: create, update and delete pools; add and remove nodes."""

    def run(self):
        params = self.params
        node_options = [("%s[%d]" % (option, i), validation.node_name_problem(node))
                        for option in ("add_nodes", "remove_nodes") for i, node in enumerate(params[option] or [])]
        validation.check_options(node_options + [
            ("name", validation.pool_name_problem(params["name"]) if params["name"] else None),
            ("name", "with name and state=present, give add_nodes or remove_nodes (or use spec/src)"
             if params["name"] and params["state"] == "present" and not (params["add_nodes"] or params["remove_nodes"]) else None),
            ("namespace", validation.namespace_problem(params["namespace"])),
        ])
        specs = [] if params["name"] else validation.load_specs(params)
        jobs = [(label or "spec", spec["kind"]) for label, spec in specs if spec["kind"] != "resource"]
        if jobs:
            raise SpecError([("%s: kind" % label, "'%s' is a job; use gpufleet.ops.gpuctl_job" % kind) for label, kind in jobs])
        validation.job_names_unique([spec for dummy, spec in specs])
        manager = PoolManager(self.client(), params["namespace"])
        results = [self._by_name(manager)] if params["name"] else self._by_spec(manager, specs)
        out = dict(changed=any(r["changed"] for r in results), pools=[_public(r) for r in results])
        if self.module._diff:
            diff = Diff()
            for result in results:
                planner.diff_of(result.get("_changes") or [], diff)
            _add_node_labels(diff, [entry for r in results for entry in r.get("_node_diff") or []])
            out["diff"] = diff.result()
        return out

    def _by_name(self, manager):
        params = self.params
        if params["state"] == "absent":
            return manager.absent(params["name"], params["unlabel_nodes"], params["force"])
        entries = []
        if params["add_nodes"]:
            entries += manager.add_nodes(params["name"], params["add_nodes"])
        if params["remove_nodes"]:
            entries += manager.remove_nodes(params["name"], params["remove_nodes"])
        return {"name": params["name"], "changed": bool(entries), "status": "updated" if entries else "unchanged",
                "nodes_labelled": [e[0] for e in entries if any(v is not None for v in e[2].values())],
                "nodes_unlabelled": [e[0] for e in entries if e[2] and all(v is None for v in e[2].values())],
                "_node_diff": entries}

    def _by_spec(self, manager, specs):
        params = self.params
        if params["state"] == "absent":
            return [manager.absent(spec["pool"]["name"], params["unlabel_nodes"], params["force"]) for dummy, spec in specs]
        # check every pool's nodes before the first write
        lines = validation.spec_node_lines(params)
        plans = [manager.plan(spec, label, lines.get(label)) for label, spec in specs]
        return [manager.apply(planned) for planned in plans]


def _add_node_labels(diff, entries):
    """Label changes per node, merged when one node changes in several steps."""
    before, after = {}, {}
    for name, old, new in entries:
        before.setdefault(name, {}).update(old)
        after.setdefault(name, {}).update(new)
    for name in before:
        diff.add("Node/%s" % name, {"metadata": {"labels": before[name]}}, {"metadata": {"labels": after[name]}})


class PoolInfoService(_Service):
    """gpuctl_pool_info: list pools, describe one."""

    def run(self):
        params = self.params
        validation.check_options([("name", validation.pool_name_problem(params["name"]) if params["name"] else None),
                                  ("namespace", validation.namespace_problem(params["namespace"])),
                                  ("gpu_type_label", validation.label_key_problem(params["gpu_type_label"]))])
        reader = PoolReader(self.client(), params["namespace"], params["gpu_type_label"])
        if params["name"]:
            return dict(changed=False, pool=reader.describe(params["name"]))
        return dict(changed=False, **reader.list())


class NodeLabelService(_Service):
    """node_label: set, delete or read one label on many nodes."""

    def run(self):
        params = self.params
        validation.check_options(
            [("key", validation.label_key_problem(params["key"])),
             ("value", validation.label_value_problem(params["value"]) if params["state"] == "present" else None),
             ("nodes", None if params["nodes"] else "must name at least one node")]
            + [("nodes[%d]" % i, validation.node_name_problem(node)) for i, node in enumerate(params["nodes"])])
        out = NodeLabeler(self.client()).run(params["nodes"], params["key"], params["value"], params["state"], params["overwrite"])
        if params["state"] == "query":
            out["changed"] = False
            if len(params["nodes"]) == 1 and out["success"]:
                out["value"] = out["results"][0]["value"]
        if self.module._diff and params["state"] != "query":
            diff = Diff()
            for res in out["results"]:
                if res.get("changed"):
                    diff.add("Node/%s" % res["node_name"], {params["key"]: res.get("previous_value")}, {params["key"]: res.get("value")})
            out["diff"] = diff.result()
        if out["failures"]:
            reasons = "; ".join("%s: %s" % (f["node_name"], f["message"]) for f in out["failures"])
            raise GpuctlError("%d of %d node(s) failed: %s" % (len(out["failures"]), len(params["nodes"]), reasons), **out)
        return out


def _gpu_type_value(gpu_type):
    """The seed writes --gpu-type nvidia.com/a100-80g; the label value is a100-80g."""
    return gpu_type.split("/", 1)[1] if gpu_type.startswith("nvidia.com/") else gpu_type


class GpuNodeInfoService(_Service):
    """gpu_node_info: list nodes with GPUs and pools, describe one, or list GPU labels."""

    def run(self):
        params = self.params
        validation.check_options(validation.paging_problems(params) + [
            ("name", validation.node_name_problem(params["name"]) if params["name"] else None),
            ("pool", validation.pool_name_problem(params["pool"]) if params["pool"] else None),
            ("gpu_type", validation.label_value_problem(_gpu_type_value(params["gpu_type"])) if params["gpu_type"] else None),
            ("label_key", validation.label_key_problem(params["label_key"]) if params["label_key"] else None),
            ("gpu_type_label", validation.label_key_problem(params["gpu_type_label"])),
            ("dcgm_exporter_selector", validation.selector_problem(params["dcgm_exporter_selector"])),
            ("dcgm_exporter_port", None if 1 <= params["dcgm_exporter_port"] <= 65535 else "must be a port (1-65535)"),
        ])
        reader = NodeReader(self.client(), params["gpu_type_label"], params["dcgm_exporter_selector"], params["dcgm_exporter_port"])
        if params["name"]:
            return dict(changed=False, node=reader.describe(params["name"], params["gpu_detail"]))
        if params["gpu_labels"]:
            return dict(changed=False, **reader.gpu_labels())
        return dict(changed=False, **reader.list(params["pool"], params["gpu_type"], params["status"], params["label_key"],
                                                 params["page"], params["page_size"], params["gpu_detail"]))
