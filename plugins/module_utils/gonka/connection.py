# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How to reach an Admin API: the options every Gonka module (and the inventory
plugin) shares, documented by the ``gpufleet.ops.gonka`` doc fragment, and the
one function that turns them into a client."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ssl

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.six import string_types
from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import ValidationError
from ansible_collections.gpufleet.ops.plugins.module_utils.common.urls import redact_url
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.client import AdminClient, ssl_context

DEFAULT_ADMIN_URL = "http://localhost:9200"
MAX_TIMEOUT = 3600
MAX_RETRIES = 10

# Environment variables are read by Ansible through these fallbacks, never by code.
CONNECTION_SPEC = dict(
    admin_url=dict(type="str", default=DEFAULT_ADMIN_URL, fallback=(env_fallback, ["GONKA_ADMIN_API_URL"])),
    timeout=dict(type="int", default=30, aliases=["request_timeout"],
                 fallback=(env_fallback, ["GONKA_ADMIN_API_TIMEOUT"])),
    retries=dict(type="int", default=3),
    validate_certs=dict(type="bool", default=True, fallback=(env_fallback, ["GONKA_ADMIN_API_VALIDATE_CERTS"])),
    ca_path=dict(type="path", aliases=["ca_cert"], fallback=(env_fallback, ["GONKA_ADMIN_API_CA_PATH"])),
)


def connection_spec():
    """A copy of the connection options, for a module to extend."""
    return dict((name, dict(option)) for name, option in CONNECTION_SPEC.items())


def check_http_url(url, field):
    """``url`` as an http(s) base URL, or ValidationError naming ``field``.

    ``host:port`` without a scheme is read as ``http://host:port``. Ports outside
    1..65535 and other schemes are refused: urllib would otherwise wrap the port
    number or resolve the scheme as a host name.
    """
    if not isinstance(url, string_types) or not url.strip():
        raise ValidationError([(field, "must be a URL such as http://localhost:9200")])
    url = url.strip()
    if "://" not in url:
        url = "http://" + url
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise ValidationError([(field, "%s is not a valid URL (%s)" % (shown, exc))])
    try:
        port = parts.port
    except ValueError:  # out of range or not a number
        port = -1
    if parts.scheme not in ("http", "https"):
        raise ValidationError([(field, "%s: only http:// and https:// are supported, got %s://"
                                % (shown, parts.scheme))])
    if not parts.hostname:
        raise ValidationError([(field, "%s has no host name" % shown)])
    if port is not None and not 1 <= port <= 65535:
        raise ValidationError([(field, "%s: port must be between 1 and 65535" % shown)])
    return url.rstrip("/")


def client_from_params(params, check_mode=False):
    """An AdminClient from the connection options (a module's ``params`` or the
    inventory plugin's options, same names). ``check_mode=True`` gives a client
    that refuses every write. Raises ValidationError for bad values."""
    url = check_http_url(params.get("admin_url") or DEFAULT_ADMIN_URL, "admin_url")
    timeout = params.get("timeout")
    timeout = 30 if timeout is None else timeout
    retries = params.get("retries")
    retries = 3 if retries is None else retries
    errors = []
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_TIMEOUT:
        errors.append(("timeout", "must be between 1 and %d seconds, got %r" % (MAX_TIMEOUT, timeout)))
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= MAX_RETRIES:
        errors.append(("retries", "must be between 0 and %d, got %r" % (MAX_RETRIES, retries)))
    if errors:
        raise ValidationError(errors, what="invalid connection options")
    validate_certs = True if params.get("validate_certs") is None else bool(params.get("validate_certs"))
    ca_path = params.get("ca_path")
    if ca_path:
        try:
            ssl_context(validate_certs, ca_path)
        except (ssl.SSLError, OSError, ValueError) as exc:
            raise ValidationError([("ca_path", "%s is not a readable PEM CA bundle (%s)" % (ca_path, exc))],
                                  what="invalid connection options")
    return AdminClient(url, timeout=timeout, retries=retries, validate_certs=validate_certs,
                       ca_path=ca_path, read_only=check_mode)
