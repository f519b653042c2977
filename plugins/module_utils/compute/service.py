# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compute modules' work, one service per module: ``Service(module).run()`` -> result dict.

Every run follows the same order: validate the options (nothing opened yet), read
the registry read-only, probe (outside any transaction), plan, and only then, when
something is to be written and it is not check mode, open the registry for writing
and apply the plan to the latest stored record in one transaction per node.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import client, planner, validation
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import open_registry_from_params
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError


class _Service(object):
    """What the three services share: the module, warnings, the probe functions and endpoints."""

    def __init__(self, module, probe_func=None, containers_func=None, probe_many_func=None):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.warnings = []
        self.probe = probe_func or client.probe
        self.running_containers = containers_func or client.running_containers
        self.probe_many = probe_many_func or client.probe_many
        self.box = None

    def warn(self, msg):
        self.warnings.append(msg)
        self.module.warn(msg)

    def endpoint_for(self, record, plain_secrets=None):
        """Endpoint for a record, or (None, reason) when it cannot be tested."""
        if not record.get("docker_host"):
            return None, "no docker_host: the connection cannot be tested"
        if not record.get("tls", True) and not client.is_loopback(record["docker_host"]) \
                and not record.get("allow_insecure"):
            return None, "plain TCP to a non-loopback address needs allow_insecure: true"
        key = (plain_secrets or {}).get("client_key")
        token = (record.get("secrets") or {}).get("client_key")
        if key is None and token:
            if self.box is None:
                return None, "the client key is encrypted and no registry_key was given"
            key = self.box.decrypt(token, field="client_key", node=record.get("name"))
        return client.Endpoint(record["docker_host"], tls=record.get("tls", True),
                               ca_cert=record.get("ca_cert"), client_cert=record.get("client_cert"),
                               client_key=key), None

    def probe_records(self, records, timeout, max_workers):
        """``{name: ProbeResult}`` for stored records, probed concurrently.

        Nodes whose last recorded test failed go first: a black hole holds a worker for the
        whole timeout, and started early its wait overlaps with the others' TLS handshakes.
        """
        endpoints, results = {}, {}
        ordered = sorted(records, key=lambda rec: rec.get("docker_status") != client.FAILED)
        for rec in ordered:
            try:
                endpoint, reason = self.endpoint_for(rec)
            except ComputeError as exc:
                endpoint, reason = None, exc.msg
            if endpoint is None:
                results[rec["name"]] = client.ProbeResult(client.UNKNOWN, reason)
            else:
                endpoints[rec["name"]] = endpoint
        results.update(self.probe_many(endpoints, timeout, max_workers))
        return results

    def select(self, records):
        """The stored records the module's filters select."""
        names = self.params.get("name") or []
        out = []
        for record in records:
            if names and record.get("name") not in names:
                continue
            if any(self.params.get(f) is not None and record.get(f) != self.params[f] for f in ("region", "gpu_name")):
                continue
            listed = self.params.get("listed")
            if listed is not None and bool(record.get("listed", True)) != listed:
                continue
            out.append(record)
        return out

    @staticmethod
    def listing(records, changed_names, wanted_status=None):
        """The result keys of the info and probe modules."""
        if wanted_status:
            records = [r for r in records if r.get("docker_status", client.UNKNOWN) == wanted_status]
        nodes = [validation.public_record(r) for r in records]
        summary = dict((s, 0) for s in client.STATUSES)
        for node in nodes:
            summary[node["docker_status"]] = summary.get(node["docker_status"], 0) + 1
        return {"nodes": nodes, "summary": summary, "changed_nodes": changed_names,
                "failed_nodes": [dict(name=n["name"], docker_host=n.get("docker_host"),
                                      docker_error=n.get("docker_error"))
                                 for n in nodes if n["docker_status"] == client.FAILED]}


class ComputeNodeService(_Service):
    """``compute_node``: create, update or delete one record; every save tests the connection."""

    def run(self):
        node_input = validation.validate_node_params(self.params)
        timeout = validation.check_timeout(self.params.get("timeout", 5.0))
        with open_registry_from_params(self.params, self.check_mode, read_only=True) as conn:
            self.box = conn.box
            if self.params.get("state", "present") == "absent":
                result = self.absent(conn, node_input.name, timeout)
            else:
                result = self.present(conn, node_input, timeout)
        if not getattr(self.module, "_diff", False):
            result.pop("diff", None)
        return result

    def _need_box(self, field, node):
        if self.box is None:
            raise ComputeError("secrets are stored encrypted: set registry_key (or the environment "
                               "variable GPUFLEET_REGISTRY_KEY) to store or use it", field=field, node=node)
        return self.box

    def _secret_changes(self, current, node_input):
        """(fields to encrypt and store, fields to remove): a value equal to the stored one is no change."""
        stored = (current or {}).get("secrets") or {}
        store, removed = [], []
        for field, value in node_input.secrets.items():
            if value == "":
                if stored.get(field):
                    removed.append(field)
                continue
            box = self._need_box(field, node_input.name)
            if stored.get(field) and box.decrypt(stored[field], field=field, node=node_input.name) == value:
                continue
            store.append(field)
        return store, removed

    def plan(self, conn, node_input, timeout):
        name = node_input.name
        current = conn.registry.get(name)
        store, removed = self._secret_changes(current, node_input)
        tokens = dict((f, self.box.encrypt(node_input.secrets[f])) for f in store)
        now = planner.utcnow()
        new, config_changed = planner.merge_config(current, node_input, tokens, removed, now)
        validation.validate_endpoint(new, self.warn)
        endpoint, reason = self.endpoint_for(new, plain_secrets=node_input.secrets)
        result = client.ProbeResult(client.UNKNOWN, reason) if endpoint is None else self.probe(endpoint, timeout)
        status_changed = planner.apply_probe(new, result, user_given=set(node_input.given), warn=self.warn)
        if result.status == client.FAILED:
            self.warn("node %r: Docker connection to %s failed: %s" % (name, new.get("docker_host"), result.error))
        return planner.NodePlan(current, new, config_changed, status_changed, store + removed), result, store, removed

    def present(self, conn, node_input, timeout):
        plan, result, store, removed = self.plan(conn, node_input, timeout)
        if not self.check_mode:
            self.write(conn, node_input, result, store, removed)
        name = node_input.name
        return {
            "changed": plan.changed,
            "node": validation.public_record(plan.new),
            "diff": {"before": planner.diff_view(plan.current), "after": planner.diff_view(plan.new, plan.secret_changes),
                     "before_header": "compute node %s" % name, "after_header": "compute node %s" % name},
        }

    @staticmethod
    def write(conn, node_input, result, store, removed):
        """Apply the options and the probe to the LATEST stored record, in one transaction."""
        writer = conn.writer()
        try:
            tokens = dict((f, writer.box.encrypt(node_input.secrets[f])) for f in store)

            def mutate(latest):
                record, dummy = planner.merge_config(latest, node_input, tokens, removed, planner.utcnow())
                planner.apply_probe(record, result, user_given=set(node_input.given))
                return record
            writer.registry.update(node_input.name, mutate)
        finally:
            if writer is not conn:
                writer.close()

    def absent(self, conn, name, timeout):
        current = conn.registry.get(name)
        if current is None:
            return {"changed": False, "node": None, "diff": {"before": {}, "after": {}}}
        if current.get("docker_host") and not self.params.get("force"):
            endpoint, reason = self.endpoint_for(current)
            names, error = (None, reason) if endpoint is None else self.running_containers(endpoint, timeout)
            if names:
                shown = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
                raise ComputeError("still runs %d container(s) (%s); stop them first or set force: true to "
                                   "delete the record anyway" % (len(names), shown), node=name)
            if names is None:
                self.warn("node %r: could not check for running containers (%s); deleting the record anyway"
                          % (name, error))
        if not self.check_mode:
            writer = conn.writer()
            try:
                writer.registry.delete(name)
            finally:
                writer.close()
        return {"changed": True, "node": validation.public_record(current),
                "diff": {"before": planner.diff_view(current), "after": {},
                         "before_header": "compute node %s" % name, "after_header": "compute node %s" % name}}


class ComputeNodeInfoService(_Service):
    """``compute_node_info``: list records; ``probe: true`` tests them live. Never writes, never changed."""

    def run(self):
        timeout = validation.check_timeout(self.params.get("timeout", 5.0))
        max_workers = validation.check_max_workers(self.params.get("max_workers", 128))
        with open_registry_from_params(self.params, check_mode=True) as conn:
            self.box = conn.box
            records = self.select(conn.registry.list())
            changed_names = []
            if self.params.get("probe"):
                records, changed_names = planner.plan_status(records, self.probe_records(records, timeout, max_workers))
        result = self.listing(records, changed_names, self.params.get("docker_status"))
        result["changed"] = False
        return result


class ComputeNodeProbeService(_Service):
    """``compute_node_probe``: test the selected nodes and record their status (the 30-second monitor)."""

    def run(self):
        timeout = validation.check_timeout(self.params.get("timeout", 5.0))
        max_workers = validation.check_max_workers(self.params.get("max_workers", 128))
        with open_registry_from_params(self.params, self.check_mode, read_only=True) as conn:
            self.box = conn.box
            stored = self.select(conn.registry.list())
            results = self.probe_records(stored, timeout, max_workers)
            records, changed_names = planner.plan_status(stored, results)
            if records and not self.check_mode:
                writer = conn.writer()
                try:
                    for record in records:
                        writer.registry.update(record["name"], planner.status_write(results[record["name"]]))
                finally:
                    writer.close()
        result = self.listing(records, changed_names, self.params.get("docker_status"))
        result["changed"] = bool(changed_names)
        return result
