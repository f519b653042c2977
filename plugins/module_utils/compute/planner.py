# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a run would change: one code path for check mode and real runs.

The same functions build the planned record (from the record read at the start,
for the result, ``changed`` and ``--diff``) and the written one (from the latest
stored record, inside the registry's write transaction), so a concurrent run that
changed other fields of the node meanwhile keeps its changes.

``changed`` semantics: a node is changed when a configuration field, a secret or
its ``docker_status`` changes. Bookkeeping from a probe (``checked_at``,
``docker_error``, ``engine``) is refreshed on every real run but never makes a
node changed by itself.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import datetime
import re

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import client
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.secrets import MASK, SECRET_FIELDS
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.validation import CONFIG_FIELDS, CREATE_DEFAULTS


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def diff_view(record, secret_changes=()):
    """What ``--diff`` shows: configuration and status, secrets masked."""
    if record is None:
        return {}
    out = dict((k, record.get(k)) for k in ("name",) + CONFIG_FIELDS)
    out["docker_status"] = record.get("docker_status")
    secrets = record.get("secrets") or {}
    for field in SECRET_FIELDS:
        if secrets.get(field):
            out[field] = MASK + (" (new value)" if field in secret_changes else "")
    return out


def _fmt_mem(nbytes):
    gib = float(nbytes) / (1024 ** 3)
    text = ("%.1f" % gib).rstrip("0").rstrip(".")
    return "%s GiB" % text


def _number(text):
    match = re.search(r"(\d+(?:\.\d+)?)", str(text))
    return float(match.group(1)) if match else None


def apply_probe(record, result, user_given=(), warn=None):
    """Put a ProbeResult into ``record`` (in place). Returns True if docker_status changed.

    When connected, ``cpu`` and ``memory`` are filled from the engine unless
    the user set them; a user value that disagrees with the engine is kept
    and reported through ``warn``.
    """
    old_status = record.get("docker_status")
    record["docker_status"] = result.status
    record["docker_error"] = result.error
    record["checked_at"] = utcnow()
    if result.status == client.CONNECTED:
        record["engine"] = result.engine
        auto = set(record.get("auto_fields") or [])
        facts = {}
        if result.engine.get("ncpu"):
            facts["cpu"] = str(result.engine["ncpu"])
        if result.engine.get("mem_total"):
            facts["memory"] = _fmt_mem(result.engine["mem_total"])
        for field, value in facts.items():
            if field in user_given:
                auto.discard(field)
                mine = _number(record.get(field)) if record.get(field) else None
                theirs = _number(value)
                if warn and mine is not None and theirs and abs(mine - theirs) > 0.1 * theirs:
                    warn("node %r: %s is set to %r but the Docker engine reports %s; keeping your value"
                         % (record.get("name"), field, record.get(field), value))
            elif not record.get(field) or field in auto:
                record[field] = value
                auto.add(field)
        record["auto_fields"] = sorted(auto)
    return old_status != result.status


def merge_config(base, node_input, tokens, removed, now):
    """``base`` (stored record or None) with the user's fields and secret changes applied.

    ``tokens``: ``{secret field: ciphertext}`` to store; ``removed``: secret fields to drop.
    Returns ``(record, config_changed)``; ``base`` is not modified.
    """
    new = copy.deepcopy(base) if base else dict(CREATE_DEFAULTS, name=node_input.name, created_at=now)
    for field, value in node_input.given.items():
        new[field] = None if value == "" else value
    secrets = dict(new.get("secrets") or {})
    secrets.update(tokens)
    for field in removed:
        secrets.pop(field, None)
    new["secrets"] = secrets
    changed = base is None or bool(tokens) or any(base.get("secrets", {}).get(f) for f in removed) or any(
        base.get(f) != new.get(f) for f in CONFIG_FIELDS)
    if changed:
        new["updated_at"] = now
    return new, changed


class NodePlan(object):
    """The planned record of one ``compute_node`` run and why it is (not) a change."""

    def __init__(self, current, new, config_changed, status_changed, secret_changes):
        self.current = current
        self.new = new
        self.config_changed = config_changed
        self.status_changed = status_changed
        self.secret_changes = secret_changes

    @property
    def changed(self):
        return self.config_changed or self.status_changed


def status_write(result):
    """The write of a probe result: applied to the latest stored record (a concurrent edit is kept)."""
    def mutate(latest):
        if latest is None:
            return None  # deleted meanwhile: do not resurrect it
        record = copy.deepcopy(latest)
        apply_probe(record, result)
        return record
    return mutate


def plan_status(records, results):
    """Records with fresh probe results applied (copies) and the names whose status changed."""
    planned, changed = [], []
    for record in records:
        record = copy.deepcopy(record)
        if apply_probe(record, results[record["name"]]):
            changed.append(record["name"])
        planned.append(record)
    return planned, changed
