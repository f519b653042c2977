# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``--diff`` result every module returns: ``{"before": ..., "after": ...}`` keyed by object."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class Diff(object):
    """Collects before/after views of the objects a task changed (or would change).

    Views are what the user may see: callers pass masked copies, never raw secrets.
    An object that does not exist on one side is left out of that side.
    """

    def __init__(self):
        self.before = {}
        self.after = {}

    def add(self, key, before, after):
        if before == after:
            return
        if before is not None:
            self.before[key] = before
        if after is not None:
            self.after[key] = after

    def __bool__(self):
        return bool(self.before or self.after)

    __nonzero__ = __bool__

    def result(self):
        return {"before": self.before, "after": self.after}
