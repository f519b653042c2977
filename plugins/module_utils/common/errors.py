# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The error root of the collection and its single conversion to ``fail_json``.

Each domain (gonka, compute, gpuctl) raises subclasses of ``GpufleetError``; its
client raises ``RequestError`` (method, URL, HTTP status, the server's own words).
Modules never format errors themselves: ``run_module`` calls the service and turns
any ``GpufleetError`` into one ``fail_json`` outside the ``except`` block, so Ansible
attaches no traceback to a message meant for the user.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.common.urls import redact_url, url_passwords


class GpufleetError(Exception):
    """A failure with a message meant for the user.

    ``field`` is the option or field path that was wrong (``nodes[2].gpu_layout``),
    ``details`` are extra keys for the failed task's result.
    """

    def __init__(self, msg, field=None, **details):
        super(GpufleetError, self).__init__(msg)
        self.msg = msg
        self.field = field
        self.details = details

    def __str__(self):
        if self.field:
            return "%s: %s" % (self.field, self.msg)
        return self.msg

    def to_result(self):
        out = dict(self.details)
        out["msg"] = str(self)
        if self.field:
            out["field"] = self.field
        return out


class ValidationError(GpufleetError):
    """Bad input, found before anything was sent. ``errors`` is a list of (path, reason)."""

    def __init__(self, errors, what="invalid input"):
        self.errors = list(errors)
        msg = "%s: %s" % (what, "; ".join("%s: %s" % (p or "<root>", r) for p, r in self.errors))
        super(ValidationError, self).__init__(msg, errors=[dict(path=p, reason=r) for p, r in self.errors])


class RequestError(GpufleetError):
    """A request that did not succeed. ``status`` is None when no HTTP answer came.

    The URL is shown without credentials (``http://user:pass@host`` -> ``http://host``).
    """

    def __init__(self, method, url, status=None, server_message=None, reason=None, body=None):
        self.method = method
        self.url = redact_url(url)
        self.status = status
        self.server_message = server_message
        self.reason = reason
        self.body = body
        super(RequestError, self).__init__(self.describe(), status=status, server_message=server_message,
                                           request="%s %s" % (method, self.url))

    def describe(self):
        where = "%s %s" % (self.method, self.url)
        if self.status is None:
            return "%s: no answer (%s)" % (where, self.reason)
        if self.server_message:
            return "%s: HTTP %s: %s" % (where, self.status, self.server_message)
        return "%s: HTTP %s" % (where, self.status)


def run_module(module, service):
    """Call ``service()``; exit with its result dict, or fail with the error's own words.

    A password written into any URL option (``admin_url``, ``registry``, ...) is masked like a
    ``no_log`` value wherever Ansible prints the result: module_args, messages, warnings.
    """
    module.no_log_values.update(url_passwords(module.params))
    try:
        result = service()
    except GpufleetError as exc:
        failure = exc.to_result()
    else:
        module.exit_json(**result)
        return
    module.fail_json(**failure)
