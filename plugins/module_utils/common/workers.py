# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one bounded thread pool: every domain's work here is I/O (HTTP, TLS, SQL)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from concurrent.futures import ThreadPoolExecutor


def bounded_map(func, items, max_workers):
    """``[func(item) for item in items]`` with at most ``max_workers`` threads, in order.

    One item, or one worker, runs inline: no thread for work that cannot overlap.
    An exception from ``func`` propagates (the others still finish first).
    """
    items = list(items)
    workers = max(1, min(int(max_workers), len(items)))
    if workers == 1:
        return [func(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, items))
