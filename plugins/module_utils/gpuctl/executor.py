# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Carry out planned changes: the one place gpuctl writes to the cluster.

The client decides whether a write is real or a server-side dry run (check mode), so this
code is the same for both; the server's answer is kept on the Change for ``--diff``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError

DELETE_TIMEOUT = 60  # seconds a recreate waits for the old object to be gone


def execute(client, change, grace_period=None, delete_timeout=DELETE_TIMEOUT, poll=0.5):
    """Perform ``change``; returns the object afterwards (None when deleted) and records it on the change."""
    if not change.changed:
        return change.live
    obj = change.desired if change.desired is not None else change.live
    kind, meta = obj["kind"], obj["metadata"]
    name, namespace = meta["name"], meta.get("namespace")
    if change.action == "create":
        answer = client.create(change.desired)
    elif change.action == "patch":
        answer = client.patch(kind, name, change.desired, namespace=namespace)
    elif change.action == "recreate":
        client.delete(kind, name, namespace=namespace, grace_period=grace_period, propagation="Foreground")
        _wait_until_gone(client, change.ref, kind, name, namespace, delete_timeout, poll)
        answer = client.create(change.desired)
    elif change.action == "delete":
        client.delete(kind, name, namespace=namespace, grace_period=grace_period, propagation="Background")
        answer = None
    else:
        raise GpuctlError("unknown action %s" % change.action)
    change.answer, change.executed = answer, True
    return answer


def _wait_until_gone(client, ref, kind, name, namespace, timeout, poll):
    """A recreate must not create over the old object: the server would answer 409 AlreadyExists."""
    deadline = time.time() + timeout
    while True:
        live = client.get(kind, name, namespace)
        if live is None:
            return
        if time.time() >= deadline:
            holders = ", ".join((live.get("metadata") or {}).get("finalizers") or []) or "none listed"
            raise GpuctlError("timed out after %ss waiting for %s to be deleted before recreating it (finalizers: %s); "
                              "it is being deleted, so run the task again once it is gone" % (timeout, ref, holders),
                              object=ref)
        time.sleep(poll)
