# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one exception type of the compute-node backend.

Modules turn it into ``fail_json`` in exactly one place; ``field`` names the
option or record field that was wrong so the message says where.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ComputeError(Exception):
    def __init__(self, msg, field=None, node=None):
        super(ComputeError, self).__init__(msg)
        self.msg = msg
        self.field = field
        self.node = node

    def __str__(self):
        where = []
        if self.node:
            where.append("node %r" % self.node)
        if self.field:
            where.append("field %r" % self.field)
        if where:
            return "%s: %s" % (", ".join(where), self.msg)
        return self.msg
