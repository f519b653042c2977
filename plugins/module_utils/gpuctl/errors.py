# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exception types for gpuctl. Modules turn these into fail_json in one place."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class GpuctlError(Exception):
    """Any gpuctl failure with a message meant for the user."""

    def __init__(self, msg, **details):
        super(GpuctlError, self).__init__(msg)
        self.msg = msg
        self.details = details

    def to_result(self):
        out = dict(msg=self.msg)
        out.update(self.details)
        return out


class SpecError(GpuctlError):
    """A gpuctl spec is invalid. ``errors`` is a list of (path, reason)."""

    def __init__(self, errors, prefix=None):
        self.errors = [(self._join(prefix, p), r) for p, r in errors]
        msg = "invalid gpuctl spec: " + "; ".join("%s: %s" % (p or "<root>", r) for p, r in self.errors)
        super(SpecError, self).__init__(
            msg, errors=[dict(path=p, reason=r) for p, r in self.errors])

    @staticmethod
    def _join(prefix, path):
        if not prefix:
            return path
        if not path:
            return prefix
        return "%s: %s" % (prefix, path)

    def with_prefix(self, prefix):
        return SpecError(self.errors, prefix=prefix)


class ApiError(GpuctlError):
    """The Kubernetes API answered with an error status."""

    def __init__(self, status, method, path, message, reason=None):
        self.status = status
        self.method = method
        self.path = path
        self.server_message = message
        self.reason = reason
        msg = "HTTP %s %s on %s %s: %s" % (status, reason or "", method, path, message)
        super(ApiError, self).__init__(msg, status=status, reason=reason, server_message=message,
                                       request="%s %s" % (method, path))
