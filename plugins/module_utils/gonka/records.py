# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading the Admin API's node records (``{"node": {...}, "state": {...}}``):
the user-managed view of a node, and the flat form modules and inventory return."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def by_id(items):
    """``list_nodes()``'s answer keyed by node id."""
    return dict(((item.get("node") or {}).get("id"), item) for item in items)


def is_enabled(item):
    """The admin state of a ``{"node", "state"}`` record (a fresh node is enabled)."""
    return bool(((item.get("state") or {}).get("admin_state") or {}).get("enabled", True))


def carries_model_override(items):
    """Whether any node the server lists stores ``model_override`` (no release up to
    v0.2.14 knows the field, so their answers never carry it)."""
    for item in items:
        for conf in ((item.get("node") or {}).get("models") or {}).values():
            if isinstance(conf, dict) and "model_override" in conf:
                return True
    return False


def comparable(node, with_override=True):
    """The parts of a server-side node that a DesiredNode body can set."""
    out = {}
    for key in ("id", "host", "inference_port", "poc_port", "max_concurrent", "inference_segment", "poc_segment"):
        if key in node:
            out[key] = node[key]
    models = {}
    for name, conf in (node.get("models") or {}).items():
        entry = {"args": [str(a) for a in ((conf or {}).get("args") or [])]}
        if with_override and (conf or {}).get("model_override"):
            entry["model_override"] = dict((k, conf["model_override"].get(k)) for k in ("hf_repo", "hf_commit"))
        models[name] = entry
    out["models"] = models
    out["hardware"] = [{"type": h.get("type"), "count": h.get("count")} for h in (node.get("hardware") or [])]
    return out


def config_diff(desired_body, current_node, with_override=True):
    """Field names whose desired value differs from the server's (only fields the user manages).

    ``with_override=False`` leaves ``model_override`` out on both sides, for servers
    that drop it without a word.
    """
    current = comparable(current_node, with_override)
    changed = []
    for key, value in desired_body.items():
        if key == "models" and not with_override:
            value = without_override(value)
        have = current.get(key)
        if key in ("inference_segment", "poc_segment"):
            have = have or ""
        if have != value:
            changed.append(key)
    return changed


def flatten(item):
    """``{"node": {...}, "state": {...}}`` -> the node fields + enabled + current_status."""
    # Shallow copies: the record's nested values are only read, and the result is
    # serialized right after (deep copies of 10,000 records cost seconds).
    node = dict(item.get("node") or {})
    state = item.get("state") or {}
    admin = state.get("admin_state") or {}
    node["enabled"] = bool(admin.get("enabled", True))
    node["current_status"] = state.get("current_status")
    node["intended_status"] = state.get("intended_status")
    node["state"] = dict(state)
    return node


def without_override(models):
    """``models`` with every ``model_override`` removed."""
    return dict((name, dict((k, v) for k, v in (conf or {}).items() if k != "model_override"))
                for name, conf in (models or {}).items())
