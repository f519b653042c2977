# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Decide what would change: compare desired manifests with live objects.

One code path for check mode and real runs: ``plan`` picks the action (create, patch,
recreate, delete or nothing) and ``Change`` carries the before/after views for ``--diff``.
``executor.execute`` carries a Change out (as a server-side dry run in check mode) and
records the server's answer, which then is the "after" view.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

from ansible_collections.gpufleet.ops.plugins.module_utils.common.diff import Diff
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError

VOLATILE_META = ("managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink")


def is_subset(desired, live):
    """True when every field in ``desired`` has the same value in ``live``.

    ``None`` in desired means "must be absent". Lists must have the same length
    and match item by item (server-added defaults inside dict items are ignored).
    """
    if desired is None:
        return live is None
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return False
        return all(is_subset(v, live.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(live, list) or len(desired) != len(live):
            return False
        return all(is_subset(d, v) for d, v in zip(desired, live))
    if isinstance(desired, (int, float)) and not isinstance(desired, bool) and isinstance(live, str):
        return str(desired) == live
    return desired == live


def prune_like(live, desired):
    """The part of ``live`` that ``desired`` talks about (for readable diffs)."""
    if isinstance(desired, dict) and isinstance(live, dict):
        return dict((k, prune_like(live[k], v)) for k, v in desired.items() if k in live)
    if isinstance(desired, list) and isinstance(live, list):
        return [prune_like(lv, dv) if i < len(desired) else lv for i, (lv, dv) in enumerate(zip(live, desired + [None] * len(live)))]
    return copy.deepcopy(live)


def merged(before, desired):
    """JSON merge patch (RFC 7386) of ``desired`` onto ``before``: the prediction when no answer is known."""
    if isinstance(desired, dict):
        out = copy.deepcopy(before) if isinstance(before, dict) else {}
        for k, v in desired.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = merged(out.get(k), v)
        return out
    return copy.deepcopy(desired)


def ref(manifest):
    meta = manifest["metadata"]
    if meta.get("namespace"):
        return "%s/%s/%s" % (manifest["kind"], meta["namespace"], meta["name"])
    return "%s/%s" % (manifest["kind"], meta["name"])


class Change(object):
    """One planned change: action is create | patch | recreate | delete | none."""

    def __init__(self, action, desired, live):
        self.action = action
        self.desired = desired
        self.live = live
        self.answer = None  # the server's answer once executed (a dry run's in check mode)
        self.executed = False

    @property
    def ref(self):
        return ref(self.desired if self.desired is not None else self.live)

    @property
    def changed(self):
        return self.action != "none"

    def before(self):
        if self.live is None:
            return None
        if self.desired is None:
            return strip_live(self.live)
        return prune_like(strip_live(self.live), self.desired)

    def after(self):
        if self.action == "delete":
            return None
        if self.desired is None:
            return self.before()
        if self.executed and isinstance(self.answer, dict):
            return prune_like(strip_live(self.answer), self.desired)
        return merged(self.before() or {}, self.desired)


def strip_live(obj):
    obj = copy.deepcopy(obj)
    meta = obj.get("metadata") or {}
    for key in VOLATILE_META:
        meta.pop(key, None)
    obj.pop("status", None)
    return obj


def plan(desired, live, force=False):
    if live is None:
        return Change("create", desired, None)
    if is_subset(desired, live):
        return Change("none", desired, live)
    if desired["kind"] == "Job" and not is_subset((desired.get("spec") or {}).get("template"), live.get("spec", {}).get("template")):
        if not force:
            raise GpuctlError("%s exists with a different pod template; a Job's template is immutable in Kubernetes. "
                              "Delete the job first (state: absent) or set force: true to delete and recreate it" % ref(desired))
        return Change("recreate", desired, live)
    return Change("patch", desired, live)


def diff_of(changes, diff=None):
    """The ``--diff`` views of ``changes`` (added to ``diff`` when given), keyed by ``Kind/namespace/name``."""
    diff = diff if diff is not None else Diff()
    for change in changes:
        if change.changed:
            diff.add(change.ref, change.before(), change.after())
    return diff
