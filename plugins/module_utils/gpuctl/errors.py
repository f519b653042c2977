# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpuctl's errors: subclasses of the collection's root, turned into fail_json by run_module.

The Kubernetes client's own error (method, URL, HTTP status, server message) is
client.KubeRequestError.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import GpufleetError, ValidationError


class GpuctlError(GpufleetError):
    """A gpuctl failure with a message meant for the user."""

    def __init__(self, msg, field=None, **details):
        super(GpuctlError, self).__init__(msg, field=field, **details)


def _join(prefix, path):
    if not prefix:
        return path
    if not path:
        return prefix
    return "%s: %s" % (prefix, path)


class SpecError(ValidationError):
    """A gpuctl spec (the user's YAML) is invalid. errors is a list of (path, reason).

    prefix names the document (train.yaml#2, spec[1]) and is put before each path.
    """

    def __init__(self, errors, prefix=None):
        super(SpecError, self).__init__([(_join(prefix, p), r) for p, r in errors], what="invalid gpuctl spec")

    def with_prefix(self, prefix):
        return SpecError(self.errors, prefix=prefix)


class OptionError(ValidationError):
    """A module option is invalid (not the spec): reported as such, with the option's name."""

    def __init__(self, errors):
        super(OptionError, self).__init__(errors, what="invalid options")
