# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What would change: one pure function (``plan``) decides every node's actions
from the wanted nodes and one ``GET nodes`` answer, for check mode and real runs
alike. The service carries the plan out; check mode stops after planning.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.records import (
    by_id, comparable, config_diff, flatten, is_enabled,
)


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
        # The node after the task. Shared with ``current`` until something changes it
        # (``edit_result``): at 10,000 unchanged nodes a copy each costs more than the run.
        self.result_item = current if current else None

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

    def edit_result(self):
        """``result_item``, copied from ``current`` first if it is still shared with it."""
        if self.result_item is not None and self.result_item is self.current:
            self.result_item = copy.deepcopy(self.current)
        return self.result_item

    @property
    def failed(self):
        return self.error is not None

    def view_before(self):
        return _view(self.current)

    def view_after(self):
        return _view(self.result_item)

    def as_result(self, full=True):
        """The node's entry in the result; ``full=False`` leaves out ``node`` and ``requests``
        (the compact form the ``results`` option gives for large lists)."""
        result = {
            "id": self.id,
            "actions": list(self.actions),
            "changed": self.changed,
            "failed": self.error is not None,
        }
        if full:
            result["node"] = flatten(self.result_item) if self.result_item else None
            result["requests"] = self.requests
        if self.changed_fields:
            result["changed_fields"] = list(self.changed_fields)
        if self.error is not None:
            result["msg"] = self.error
        if self.notes:
            result["notes"] = list(self.notes)
        return result


def _view(item):
    """A diff-friendly view: the managed fields plus the admin state."""
    if not item:
        return None
    view = comparable(item.get("node") or {})
    view.pop("id", None)
    view["enabled"] = bool(((item.get("state") or {}).get("admin_state") or {}).get("enabled", True))
    return view


def _fresh_state(enabled=True):
    return {"admin_state": {"enabled": enabled, "epoch": 0}, "current_status": None, "intended_status": None}


def plan(desired_nodes, current_items, exclusive=False, with_override=True):
    """Compute a NodePlan per node; no I/O. ``current_items`` is list_nodes()'s answer.

    ``with_override=False``: the server shows no sign of storing ``model_override``
    (releases up to v0.2.14 drop it), so it is not compared; it is still sent with
    any create or update.
    """
    current = by_id(current_items)
    plans = []
    for want in desired_nodes:
        have = current.get(want.id)
        p = NodePlan(want.id, want, have)
        if want.note:
            p.note(want.note)
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
                    p.edit_result()["state"]["admin_state"]["enabled"] = False
        else:
            was_enabled = is_enabled(have)
            if want.body is not None:
                p.changed_fields = config_diff(want.body, have["node"], with_override)
                if p.changed_fields:
                    p.actions.append("update")
                    node = copy.deepcopy(have["node"])
                    node.update(copy.deepcopy(want.body))
                    p.edit_result()["node"] = node
            target = want.wants_enabled
            if target is not None and target != was_enabled:
                p.actions.append("enable" if target else "disable")
                p.edit_result().setdefault("state", {}).setdefault("admin_state", {})["enabled"] = target
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
