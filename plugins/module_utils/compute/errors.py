# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compute domain's error for everything that is not a request: bad input,
registry trouble, a refused delete. Requests to a Docker engine fail with
client.DockerAPIError; both reach the user through common.errors.run_module.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import GpufleetError


class ComputeError(GpufleetError):
    """field is the option or record field that was wrong, node the record's name.

    Messages never quote the value of a secret option (client_key, ssh_password,
    registry_key) in any form.
    """

    def __init__(self, msg, field=None, node=None):
        details = {"node": node} if node else {}
        super(ComputeError, self).__init__(msg, field=field, **details)
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


class RegistryMissing(ComputeError):
    """A registry opened with must_exist=True is not there (the inventory warns and reads nothing)."""
