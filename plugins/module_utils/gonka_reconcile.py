# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bring the Admin API's ML nodes to the wanted state with as few requests as
the answer needs, and the same result on both API releases.

One ``GET nodes`` reads everything. New ids go in one ``POST nodes/batch``
(existing ids never do: the current release re-registers or rejects them).
Existing ids are updated one by one with ``POST nodes``, in parallel. After an
update a disabled node is checked once more, because the Aug 2025 release
resets the admin state on update. The server's answers are checked, not
trusted: a node missing from a batch answer, or a model the server silently
dropped, is a failure for that node.

The plan is computed by one function for check mode and real runs alike.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import re
import threading
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka_api import GonkaApiError
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka_nodes import comparable, config_diff, flatten

_BATCH_ERROR_RE = re.compile(r"node\[(\d+)\]\s*\(id:\s*([^)]*)\)\s*:\s*(.*)$")


class NodePlan(object):
    """What happens to one node: ``actions`` in order, plus before/after views."""

    def __init__(self, node_id, desired=None, current=None):
        self.id = node_id
        self.desired = desired          # DesiredNode or None (exclusive-mode deletion)
        self.current = current          # {"node", "state"} from the server, or None
        self.actions = []               # create, update, delete, enable, disable
        self.changed_fields = []
        self.requests = []
        self.error = None
        self.notes = []
        self.warnings = []              # notes the user must see as Ansible warnings
        self.result_item = copy.deepcopy(current) if current else None

    # Set once a write succeeded: a node that failed later in its steps still changed.
    wrote = False

    @property
    def changed(self):
        if self.error is None:
            return bool(self.actions)
        return self.wrote

    def record(self, method, path, body=None, status=None, **extra):
        entry = {"method": method, "path": path}
        if body is not None:
            entry["body"] = body
        if status is not None:
            entry["status"] = status
        entry.update(extra)
        self.requests.append(entry)

    def note(self, text, warn=False):
        self.notes.append(text)
        if warn:
            self.warnings.append(text)

    def fail(self, message):
        if self.error is None:
            self.error = message

    def view_before(self):
        return _view(self.current)

    def view_after(self):
        return _view(self.result_item)

    def as_result(self):
        node = flatten(self.result_item) if self.result_item else None
        result = {
            "id": self.id,
            "actions": list(self.actions),
            "changed": self.changed,
            "failed": self.error is not None,
            "node": node,
            "requests": self.requests,
        }
        if self.changed_fields:
            result["changed_fields"] = list(self.changed_fields)
        if self.error is not None:
            result["msg"] = self.error
        if self.notes:
            result["notes"] = list(self.notes)
        return result


def by_id(items):
    """``list_nodes()``'s answer keyed by node id."""
    return dict(((item.get("node") or {}).get("id"), item) for item in items)


def _view(item):
    """A diff-friendly view: the managed fields plus the admin state."""
    if not item:
        return None
    view = comparable(item.get("node") or {})
    view.pop("id", None)
    view["enabled"] = bool(((item.get("state") or {}).get("admin_state") or {}).get("enabled", True))
    return view


def _enabled(item):
    return bool(((item.get("state") or {}).get("admin_state") or {}).get("enabled", True))


def _fresh_state(enabled=True):
    return {"admin_state": {"enabled": enabled, "epoch": 0}, "current_status": None, "intended_status": None}


def plan(desired_nodes, current_items, exclusive=False):
    """Compute a NodePlan per node; no I/O. ``current_items`` is list_nodes()'s answer."""
    current = by_id(current_items)
    plans = []
    for want in desired_nodes:
        have = current.get(want.id)
        p = NodePlan(want.id, want, have)
        if want.note:
            # An https host is unreachable for the Aug 2025 release: say so loudly.
            p.note(want.note, warn=want.body["host"].startswith("https://"))
        if not want.wants_registered:
            if have is not None:
                p.actions.append("delete")
                p.result_item = None
        elif have is None:
            if want.body is None:
                p.fail("%s is not registered, and state=%s without host and models cannot register it"
                       % (want.label, want.state))
            else:
                p.actions.append("create")
                p.result_item = {"node": copy.deepcopy(want.body), "state": _fresh_state()}
                if want.wants_enabled is False:
                    p.actions.append("disable")
                    p.result_item["state"]["admin_state"]["enabled"] = False
        else:
            was_enabled = _enabled(have)
            if want.body is not None:
                p.changed_fields = config_diff(want.body, have["node"])
                if p.changed_fields:
                    p.actions.append("update")
                    node = copy.deepcopy(have["node"])
                    node.update(copy.deepcopy(want.body))
                    p.result_item["node"] = node
            target = want.wants_enabled
            if target is not None and target != was_enabled:
                p.actions.append("enable" if target else "disable")
                p.result_item["state"].setdefault("admin_state", {})["enabled"] = target
        plans.append(p)
    if exclusive:
        wanted = set(d.id for d in desired_nodes)
        for node_id, have in current.items():
            if node_id not in wanted:
                p = NodePlan(node_id, None, have)
                p.actions.append("delete")
                p.result_item = None
                p.note("not in the list and exclusive=true")
                plans.append(p)
    return plans


class Reconciler(object):
    def __init__(self, client, parallel=8):
        self.client = client
        self.parallel = max(1, parallel)
        self._lock = threading.Lock()

    # -- helpers ---------------------------------------------------------
    def _each(self, func, items):
        """Run ``func`` on every item, ``parallel`` at a time (the work is HTTP waits)."""
        items = list(items)
        if len(items) <= 1 or self.parallel == 1:
            for item in items:
                func(item)
            return
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(items))) as pool:
            list(pool.map(func, items))

    def _path(self, *parts):
        return self.client.admin_url(*parts)[len(self.client.base_url):]

    @staticmethod
    def _check_models(p, sent_body, answer):
        """The current release drops unapproved models and still answers 200."""
        if not isinstance(answer, dict):
            return
        returned = set((answer.get("models") or {}).keys())
        dropped = sorted(set(sent_body["models"]) - returned)
        if dropped:
            kept = ", ".join(sorted(returned)) or "no models"
            p.fail("%s: the server dropped model(s) %s without an error (not governance-approved on this chain); "
                   "the node is registered with %s" % (p.desired.label, ", ".join(dropped), kept))

    def _register_one(self, p, body):
        path = self._path("nodes")
        try:
            answer = self.client.register(body)
        except GonkaApiError as exc:
            p.record("POST", path, body, status=exc.status)
            p.fail("%s: %s" % (p.desired.label, exc))
            return None
        p.record("POST", path, body, status=200)
        p.wrote = True
        self._check_models(p, body, answer)
        if isinstance(answer, dict):
            p.result_item["node"] = answer
        return answer

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
                p.result_item["node"] = answered[p.id]
                self._check_models(p, p.desired.body, answered[p.id])
            elif p.id in errors:
                p.fail("%s: refused by POST %s (HTTP %s): %s" % (p.desired.label, path, status, errors[p.id]))
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
            if have is not None and not config_diff(p.desired.body, have["node"]):
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
            p.result_item.setdefault("state", {}).setdefault("admin_state", {})["enabled"] = enabled

    def _restore_admin_state(self, updated):
        """After updates, disabled nodes must stay disabled (Aug 2025 resets them)."""
        must_stay_off = [p for p in updated if p.error is None and "disable" not in p.actions and "enable" not in p.actions
                         and not _enabled(p.current)]
        if not must_stay_off:
            return
        try:
            now = by_id(self.client.list_nodes())
        except GonkaApiError as exc:
            for p in must_stay_off:
                p.fail("node %s: updated, but its admin state could not be re-read: %s" % (p.id, exc))
            return
        reset = [p for p in must_stay_off if p.id in now and _enabled(now[p.id])]
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
        return plans


def _batch_errors(answer):
    if not isinstance(answer, dict):
        return []
    errors = answer.get("errors")
    if errors is None and isinstance(answer.get("error"), dict):
        errors = answer["error"].get("errors")
    return [str(e) for e in (errors or [])]
