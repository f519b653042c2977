# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Digests of files that are part of an identity (CA, client certificate, key)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib


def file_digest(path):
    """SHA-256 of the file's content, ``None`` without a path, ``unreadable:<path>`` if it cannot be read.

    A CA file is part of whom we trust: its content, not only its name, keys a cache.
    """
    if not path:
        return None
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except (IOError, OSError):
        return "unreadable:%s" % path
