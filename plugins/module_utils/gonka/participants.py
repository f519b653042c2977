# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Find a host among the current epoch's participants (public API, port 8000)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

PARTICIPANTS_PATH = "/v1/epochs/current/participants"


def participants_url(base):
    base = base.rstrip("/")
    return base if base.endswith(PARTICIPANTS_PATH) else base + PARTICIPANTS_PATH


def _participants(payload):
    """The participant list, wherever the answer keeps it."""
    if isinstance(payload, list):
        return payload
    if not isinstance(payload, dict):
        return []
    active = payload.get("active_participants", payload)
    if isinstance(active, dict):
        return active.get("participants") or []
    return active if isinstance(active, list) else []


def _same_url(a, b):
    return a.rstrip("/").lower() == b.rstrip("/").lower()


def find_participant(payload, wanted):
    """Match ``wanted`` against each participant's address (``index``/``address``) or ``inference_url``."""
    epoch = None
    if isinstance(payload, dict):
        epoch = (payload.get("active_participants") or {}).get("epoch_group_id") if isinstance(
            payload.get("active_participants"), dict) else payload.get("epoch_group_id")
    plist = _participants(payload)
    for entry in plist:
        if not isinstance(entry, dict):
            continue
        if wanted in (entry.get("index"), entry.get("address")) or (
                entry.get("inference_url") and _same_url(entry["inference_url"], wanted)):
            return {"found": True, "epoch_group_id": epoch, "entry": entry, "participants": len(plist)}
    return {"found": False, "epoch_group_id": epoch, "entry": None, "participants": len(plist)}
