# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Executes what the planner decided: ``MlnodeService`` (module mlnode) and
``MlnodeInfoService`` (module mlnode_info), each ``Service(module).run()`` -> result dict.

Errors are raised as ``GpufleetError`` subclasses; ``common.errors.run_module``
turns them into the module's one ``fail_json``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import re

from ansible_collections.gpufleet.ops.plugins.module_utils.common.diff import Diff
from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import GpufleetError
from ansible_collections.gpufleet.ops.plugins.module_utils.common.urls import redact_url
from ansible_collections.gpufleet.ops.plugins.module_utils.common.workers import bounded_map
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka import governance
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.client import GonkaApiError
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.connection import check_http_url, client_from_params
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.participants import find_participant, participants_url
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.planner import plan
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.presets import PresetError, merged_presets
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.records import (
    by_id, carries_model_override, config_diff, flatten, is_enabled,
)
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.validation import parse_nodes

_BATCH_ERROR_RE = re.compile(r"node\[(\d+)\]\s*\(id:\s*([^)]*)\)\s*:\s*(.*)$")
NODE_OPTIONS = ("id", "host", "inference_port", "poc_port", "max_concurrent", "models", "hardware",
                "gpu_layout", "inference_segment", "poc_segment", "state")
MAX_PARALLEL = 64
AUTO_FULL_LIMIT = 100  # results=auto: a full per-node list up to this many nodes
LATE_BATCH_GRACE = 10  # seconds: at most this long is waited for a timed-out batch to land
ENFORCED_DEFAULT = "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8"
OVERRIDE_IGNORED = ("model_override is not stored by this Admin API (no release up to v0.2.14 knows the field; "
                    "it is dropped without an error). It is sent with creates and updates but not compared, so "
                    "runs stay idempotent; the ML node serves the model named by the key")


class Reconciler(object):
    """Carries out NodePlans against the Admin API with as few requests as the answers need.

    New ids go in one ``POST nodes/batch`` (existing ids never do: v0.2.5+ fails
    their duplicate check, Aug 2025 re-registers them). Existing ids are updated one
    by one with ``POST nodes``, ``parallel`` at a time. The answers are checked, not
    trusted: a node missing from a batch answer, or a model the server dropped, is
    a failure for that node.
    """

    def __init__(self, client, parallel=8, approved=None, with_override=True):
        self.client = client
        self.parallel = max(1, parallel)
        self.approved = approved            # governance.ApprovedModels or None (model_check=off)
        self.with_override = with_override
        self.override_ignored = False       # set when an answer dropped model_override
        self.late_batch = False             # a batch timed out: the server may apply it later

    # -- helpers ---------------------------------------------------------
    def _each(self, func, items):
        """Run ``func`` on every item, ``parallel`` at a time (the work is HTTP waits)."""
        bounded_map(func, items, self.parallel)

    def _path(self, *parts):
        return self.client.admin_url(*parts)[len(self.client.base_url):]

    def _check_models(self, p, sent_body, answer):
        """v0.2.12+ drops unapproved models and still answers 200; every release up
        to v0.2.14 drops ``model_override`` the same way."""
        if not isinstance(answer, dict):
            return
        answered = answer.get("models") or {}
        if any((conf or {}).get("model_override") and not (answered.get(name) or {}).get("model_override")
               for name, conf in sent_body["models"].items()):
            self.override_ignored = True
        returned = set(answered.keys())
        dropped = sorted(set(sent_body["models"]) - returned)
        added = sorted(returned - set(sent_body["models"]))
        if added:
            # v0.2.9 .. v0.2.11 (broker/enforced_model.go): a node without ENFORCED_MODEL_ID
            # gets that model instead of its own, silently.
            p.fail("%s: the server replaced model(s) %s with %s (the Admin API enforces a model: v0.2.9 to "
                   "v0.2.11 register every node with ENFORCED_MODEL_ID, by default %s, unless the api "
                   "container sets ENFORCED_MODEL_ID=none); the node is registered with %s"
                   % (p.desired.label, ", ".join(dropped), ", ".join(added), ENFORCED_DEFAULT, ", ".join(added)))
        elif dropped:
            kept = ", ".join(sorted(returned)) or "no models"
            p.fail("%s: the server dropped model(s) %s without an error (not governance-approved on this chain; "
                   "v0.2.12 and later drop such models and register the rest); the node is registered with %s"
                   % (p.desired.label, ", ".join(dropped), kept))

    def _register_one(self, p, body):
        path = self._path("nodes")
        try:
            answer = self.client.register(body)
        except GonkaApiError as exc:
            p.record("POST", path, body, status=exc.status)
            p.fail("%s: %s%s" % (p.desired.label, exc, self._likely_cause(exc, body)))
            return None
        p.record("POST", path, body, status=200)
        p.wrote = True
        self._check_models(p, body, answer)
        if isinstance(answer, dict):
            # The answer is the stored config: no node_num, which only GET nodes shows.
            node = dict((p.current or {}).get("node") or {})
            node.update(answer)
            p.edit_result()["node"] = node
        return answer

    def _likely_cause(self, exc_or_text, body):
        """Name the models outside the approved list when the server refused the node for its
        models without naming them: Aug 2025's bare 500 ``error creating new node`` and
        v0.2.5 .. v0.2.11's 400 ``one or more models are not valid governance models``."""
        text = exc_or_text if isinstance(exc_or_text, str) else (exc_or_text.server_message or "")
        if "error creating new node" not in text and "not valid governance models" not in text:
            return ""
        models = sorted(body.get("models") or {})
        approved = self.approved or governance.bundled()
        outside = [m for m in models if m not in approved.models]
        if outside:
            return ("; likely cause: model(s) %s are not in the approved list from %s (this Admin API release "
                    "refuses a node with a model outside the chain's governance list without naming it)"
                    % (", ".join(outside), approved.source))
        return ("; likely cause: a model the chain's governance does not approve (this Admin API release does "
                "not name it); models sent: %s" % ", ".join(models))

    # -- steps -----------------------------------------------------------
    def _delete(self, p):
        path = self._path("nodes", p.id)
        try:
            deleted = self.client.delete(p.id)
        except GonkaApiError as exc:
            p.record("DELETE", path, status=exc.status)
            p.fail("node %s: %s" % (p.id, exc))
            return
        p.record("DELETE", path, status=200, answer=deleted)
        p.wrote = deleted
        if not deleted:
            # Gone between our read and the delete: the wanted state holds, nothing changed.
            p.actions = []
            p.note("the server answered false: the node was already gone")

    def _create_batch(self, plans):
        if len(plans) == 1:
            self._register_one(plans[0], plans[0].desired.body)
            return
        bodies = [p.desired.body for p in plans]
        path = self._path("nodes", "batch")
        try:
            status, answer = self.client.batch_register(bodies)
        except GonkaApiError as exc:
            if exc.status is not None and exc.status < 500 and not isinstance(exc.body, dict):
                for p in plans:
                    p.record("POST", path, p.desired.body, status=exc.status, batch_size=len(plans))
                    p.fail("%s: %s" % (p.desired.label, exc))
                return
            if exc.status == 400 and isinstance(exc.body, dict):
                status, answer = 400, exc.body
            else:
                # No trustworthy answer (a 5xx, a timeout, a dropped connection): a batch
                # is not safe to replay, so look at what registered and finish one by one.
                for p in plans:
                    p.record("POST", path, p.desired.body, status=exc.status, batch_size=len(plans),
                             outcome="unknown: %s" % (exc.reason or exc.server_message))
                # A batch that timed out may still be applied later (and Aug 2025 re-registers,
                # resetting the admin state): check again once it had time to land.
                self.late_batch = self.late_batch or "timed out" in str(exc.reason or "")
                self._recover_batch(plans)
                return
        answered = {}
        if isinstance(answer, list):
            registered = answer
        elif isinstance(answer, dict):
            registered = answer.get("nodes") or []
        else:
            registered = []  # a JSON null: nothing registered
        for item in registered:
            if isinstance(item, dict) and "id" in item:
                answered[item["id"]] = item
        errors = {}
        for text in _batch_errors(answer):
            match = _BATCH_ERROR_RE.search(text)
            if match:
                errors[match.group(2).strip()] = match.group(3).strip()
        silent = []
        for p in plans:
            p.record("POST", path, p.desired.body, status=status, batch_size=len(plans))
            if p.id in answered:
                p.wrote = True
                p.edit_result()["node"] = answered[p.id]
                self._check_models(p, p.desired.body, answered[p.id])
            elif p.id in errors:
                cause = self._likely_cause(errors[p.id], p.desired.body)
                p.fail("%s: refused by POST %s (HTTP %s): %s%s" % (p.desired.label, path, status, errors[p.id], cause))
            else:
                silent.append(p)
        # The Aug 2025 release drops failed nodes without a word; ask again one by one
        # to register them or get the server's own reason.
        self._each(lambda p: self._register_one(p, p.desired.body), silent)
        for p in silent:
            p.note("missing from the batch answer; registered with POST nodes instead")

    def _recover_batch(self, plans):
        try:
            now = by_id(self.client.list_nodes())
        except GonkaApiError as exc:
            for p in plans:
                p.fail("%s: the batch request failed and the node list could not be read to check it: %s"
                       % (p.desired.label, exc))
            return
        todo = []
        for p in plans:
            have = now.get(p.id)
            if have is not None and not config_diff(p.desired.body, have["node"], self.with_override):
                p.result_item = copy.deepcopy(have)
                p.wrote = True
                self._check_models(p, p.desired.body, have["node"])
            else:
                todo.append(p)
        self._each(lambda p: self._register_one(p, p.desired.body), todo)

    def _update(self, p):
        body = copy.deepcopy(p.desired.body)
        if "hardware" not in body and p.current["node"].get("hardware"):
            # The current release clears hardware on an update that omits it.
            body["hardware"] = copy.deepcopy(p.current["node"]["hardware"])
        self._register_one(p, body)

    def _set_enabled(self, p, enabled):
        verb = "enable" if enabled else "disable"
        path = self._path("nodes", p.id, verb)
        try:
            self.client.set_enabled(p.id, enabled)
        except GonkaApiError as exc:
            p.record("POST", path, status=exc.status)
            p.fail("node %s: %s" % (p.id, exc))
            return
        p.record("POST", path, status=200)
        p.wrote = True
        if p.result_item:
            p.edit_result().setdefault("state", {}).setdefault("admin_state", {})["enabled"] = enabled

    def _restore_admin_state(self, updated):
        """After updates, disabled nodes must stay disabled (Aug 2025 resets them)."""
        must_stay_off = [p for p in updated if p.error is None and "disable" not in p.actions and "enable" not in p.actions
                         and not is_enabled(p.current)]
        if not must_stay_off:
            return
        try:
            now = by_id(self.client.list_nodes())
        except GonkaApiError as exc:
            for p in must_stay_off:
                p.fail("node %s: updated, but its admin state could not be re-read: %s" % (p.id, exc))
            return
        reset = [p for p in must_stay_off if p.id in now and is_enabled(now[p.id])]
        for p in reset:
            p.note("the server reset the admin state on update; disabled it again", warn=True)
        self._each(lambda p: self._set_enabled(p, False), reset)

    def apply(self, plans):
        """Carry out the plans; every failure stays on its node."""
        live = [p for p in plans if p.error is None and p.actions]
        self._each(self._delete, [p for p in live if "delete" in p.actions])
        creates = [p for p in live if "create" in p.actions]
        if creates:
            self._create_batch(creates)
        updates = [p for p in live if "update" in p.actions]
        self._each(self._update, updates)
        self._restore_admin_state(updates)
        toggles = [p for p in live if p.error is None and ("enable" in p.actions or "disable" in p.actions)]
        self._each(lambda p: self._set_enabled(p, "enable" in p.actions), toggles)
        if self.late_batch:
            self._settle_late_batch(creates)
        return plans

    def _settle_late_batch(self, plans):
        """After a batch timed out and the nodes were registered one by one, wait as long again
        as the server already had, read back and reconcile once more: a late batch must not
        leave a node re-enabled (Aug 2025 resets the admin state) or with an older config."""
        self.client.sleep(min(self.client.timeout, LATE_BATCH_GRACE))
        try:
            now = by_id(self.client.list_nodes())
        except GonkaApiError as exc:
            for p in plans:
                if p.error is None:
                    p.fail("%s: registered, but the node list could not be re-read after the late batch: %s"
                           % (p.desired.label, exc))
            return
        for p in plans:
            have = now.get(p.id)
            if p.error is not None or have is None:
                continue
            if config_diff(p.desired.body, have["node"], self.with_override):
                p.note("the timed-out batch landed late and changed the node; registered it again", warn=True)
                p.current = have
                self._register_one(p, p.desired.body)
            want = p.desired.wants_enabled
            if want is None:
                want = True  # a new node starts enabled; a late batch cannot have disabled it
            if p.error is None and is_enabled(have) != want:
                p.note("the timed-out batch landed late and reset the admin state; set it again", warn=True)
                self._set_enabled(p, want)


def _batch_errors(answer):
    if not isinstance(answer, dict):
        return []
    errors = answer.get("errors")
    if errors is None and isinstance(answer.get("error"), dict):
        errors = answer["error"].get("errors")
    return [str(e) for e in (errors or [])]


def wanted_nodes(params):
    """The list form of the input; defaults of the single-node options apply to list entries."""
    if params["nodes"] is not None:
        entries = []
        for raw in params["nodes"]:
            entry = dict((k, v) for k, v in raw.items() if v is not None)
            for key in ("inference_port", "poc_port", "max_concurrent", "state"):
                entry.setdefault(key, params[key])
            entries.append(entry)
        return entries
    return [dict((k, params[k]) for k in NODE_OPTIONS if params[k] is not None)]


def results_mode(option, count):
    """What ``nodes`` in the result holds: ``auto`` is ``full`` up to AUTO_FULL_LIMIT nodes,
    ``changed`` beyond (a full entry carries the node and every request body: about 1 KB,
    10 MB at 10,000 nodes, most of the run's time spent serializing it)."""
    if option == "auto":
        return "full" if count <= AUTO_FULL_LIMIT else "changed"
    return option


def counts(plans):
    """How many nodes the task covered, changed, failed, and per action."""
    out = dict(total=len(plans), changed=0, unchanged=0, failed=0,
               created=0, updated=0, deleted=0, enabled=0, disabled=0)
    for p in plans:
        if p.failed:
            out["failed"] += 1
        if p.changed:
            out["changed"] += 1
        elif not p.failed:
            out["unchanged"] += 1
        if p.failed:
            continue  # per-action counts cover the nodes that did not fail
        for action in p.actions:
            out[action + "d"] += 1
    return out


def _diff(plans):
    """before/after of every node with an action; a side where the node does not exist is null."""
    diff = Diff()
    touched = [p for p in plans if p.actions]
    for p in touched:
        diff.add(p.id, p.view_before(), p.view_after())
    result = diff.result()
    for p in touched:
        result["before"].setdefault(p.id, None)
        result["after"].setdefault(p.id, None)
    return result


class MlnodeService(object):
    """Module mlnode: validate everything, read once, plan, apply (not in check mode), report."""

    def __init__(self, module):
        self.module = module
        self.params = module.params

    def _validate(self):
        params = self.params
        if params["exclusive"] and params["nodes"] is None:
            raise GpufleetError("exclusive=true needs the full list in nodes", field="exclusive")
        if not 1 <= params["parallel"] <= MAX_PARALLEL:
            raise GpufleetError("parallel must be between 1 and %d, got %d" % (MAX_PARALLEL, params["parallel"]),
                                field="parallel")
        try:
            presets = merged_presets(params["vllm_presets"])
        except PresetError as exc:
            raise GpufleetError(str(exc), field="vllm_presets")
        try:
            desired = parse_nodes(wanted_nodes(params), presets=presets, indexed=params["nodes"] is not None)
        except PresetError as exc:
            raise GpufleetError(str(exc))
        if params["exclusive"] and not any(d.wants_registered for d in desired):
            raise GpufleetError("exclusive=true with no node left registered would delete every ML node on %s; "
                                "refusing. Delete nodes by listing them with state=absent instead."
                                % redact_url(self.client.base_url))
        for option in ("governance_url",):
            if params[option]:
                check_http_url(params[option], option)
        return desired

    def run(self):
        params = self.params
        self.client = client_from_params(params, self.module.check_mode)
        desired = self._validate()
        client = self.client
        result = dict(changed=False)
        approved = None
        registering = [d for d in desired if d.body is not None]
        if registering and params["model_check"] != "off":
            approved = governance.resolve(client, params["approved_models"], params["governance_url"])
            if approved.warning:
                self.module.warn(approved.warning)
            errors, warnings = governance.check(registering, approved, params["model_check"])
            for text in warnings:
                self.module.warn(text)
            result["approved_models"] = approved.as_dict()
            if errors:
                raise GpufleetError("nothing was sent: " + "; ".join(errors), api_requests=client.request_count,
                                    **result)
        try:
            current = client.list_nodes()
        except GonkaApiError as exc:
            raise GpufleetError("could not read the ML node list: %s" % exc, api_requests=client.request_count)

        with_override = carries_model_override(current)
        wants_override = any(m.get("model_override") for d in registering for m in d.body["models"].values())
        plans = plan(desired, current, exclusive=params["exclusive"], with_override=with_override)
        reconciler = Reconciler(client, parallel=params["parallel"], approved=approved, with_override=with_override)
        if not self.module.check_mode:
            reconciler.apply(plans)
        if wants_override and (not with_override or reconciler.override_ignored):
            self.module.warn(OVERRIDE_IGNORED)

        result["changed"] = any(p.changed for p in plans)
        result["counts"] = counts(plans)
        result["api_requests"] = client.request_count
        if self.module._diff:
            result["diff"] = _diff(plans)
        for p in plans:
            for text in p.warnings:
                self.module.warn("node %s: %s" % (p.id, text))
        if params["nodes"] is None:
            only = plans[0].as_result()
            result.update(node=only["node"], actions=only["actions"], requests=only["requests"])
            if only.get("notes"):
                result["notes"] = only["notes"]
        else:
            mode = results_mode(params["results"], len(plans))
            result["results"] = mode
            result["nodes"] = [p.as_result(full=mode == "full") for p in plans
                               if mode == "full" or p.failed or (mode == "changed" and p.changed)]
        failed = [p for p in plans if p.failed]
        if failed:
            raise GpufleetError("%d of %d ML node(s) failed: %s" % (
                len(failed), len(plans), " | ".join(p.error for p in failed)), **result)
        return result


class MlnodeInfoService(object):
    """Module mlnode_info: reads only (its client refuses writes), never reports a change."""

    # (option, result key, client method, release that added the endpoint)
    OPERATOR_READS = (
        ("upgrade_status", "upgrade_status", "upgrade_status", "GET nodes/upgrade-status", "v0.2.4"),
        ("version", "version_status", "version_status", "POST nodes/version-status", "v0.2.4"),
        ("setup_report", "setup_report", "setup_report", "GET setup/report", "v0.2.4"),
    )

    def __init__(self, module):
        self.module = module
        self.params = module.params

    def run(self):
        params = self.params
        client = client_from_params(params, check_mode=True)
        if params["participant"]:
            check_http_url(params["participants_url"], "participants_url")
        try:
            items = client.list_nodes()
        except GonkaApiError as exc:
            raise GpufleetError("could not read the ML node list: %s" % exc, api_requests=client.request_count)
        notes = []
        # Every release lists nodes in Go map order (random): sort for a stable result.
        nodes = sorted((flatten(item) for item in items), key=lambda n: str(n.get("id")))
        if nodes and not any("ml_node_version" in (n.get("state") or {}) for n in nodes):
            notes.append("ml_node_version: not reported by this Admin API release (the node state carries it "
                         "from v0.2.12); null for every node")
        for n in nodes:
            n["ml_node_version"] = (n.get("state") or {}).get("ml_node_version")
        if params["id"] is not None:
            nodes = [n for n in nodes if n.get("id") == params["id"]]
        result = dict(changed=False, nodes=nodes)
        for option, key, method, endpoint, since in self.OPERATOR_READS:
            if not params[option]:
                continue
            call = getattr(client, method)
            try:
                result[key] = call(params[option]) if option == "version" else call()
            except GonkaApiError as exc:
                if exc.status in (404, 405):
                    result[key] = None
                    notes.append("%s: not offered by this Admin API release (%s answered HTTP %s; releases from "
                                 "%s have it)" % (key, endpoint, exc.status, since))
                    continue
                raise GpufleetError("could not read %s: %s" % (endpoint, exc), api_requests=client.request_count,
                                    **result)
        if params["participant"]:
            url = participants_url(params["participants_url"])
            try:
                payload = client.get_json(url)
            except GonkaApiError as exc:
                raise GpufleetError("could not read the current epoch's participants: %s" % exc,
                                    api_requests=client.request_count, **result)
            result["participant"] = find_participant(payload, params["participant"])
        if notes:
            result["notes"] = notes
        result["api_requests"] = client.request_count
        return result
