# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""HTTP client for a Gonka network node's Admin API (``/admin/v1/``).

Only this file speaks HTTP. It retries what is safe to retry (reads and
idempotent writes after a connection failure, a timeout or a 502/503/504),
with bounded exponential backoff, and turns every failure into one
``GonkaApiError`` that carries the method, URL, HTTP status and the server's
own message.

Check mode is enforced here: a client built with ``read_only=True`` refuses every
write request by construction (``CheckModeWriteRefused``), so no code path can
send one in check mode.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import socket
import ssl
import threading
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.six.moves.urllib.parse import quote, unquote, urlsplit
# The standard library opener, not ansible.module_utils.urls: that one imports
# cryptography (about a fifth of a small module call's start-up) for features unused here.
from ansible.module_utils.six.moves.urllib.request import (
    HTTPBasicAuthHandler, HTTPPasswordMgrWithDefaultRealm, HTTPSHandler, Request, build_opener,
)

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import GpufleetError, RequestError
from ansible_collections.gpufleet.ops.plugins.module_utils.common.tls import load_system_trust_store
from ansible_collections.gpufleet.ops.plugins.module_utils.common.urls import redact_url

try:
    from http.client import HTTPException
except ImportError:  # pragma: no cover - Python 2 is not supported by the collection
    HTTPException = Exception

RETRYABLE_STATUS = frozenset((502, 503, 504))
READ_METHODS = frozenset(("GET", "HEAD"))
ADMIN_PREFIX = "/admin/v1"


class GonkaApiError(RequestError):
    """A request to the Admin API (or a public Gonka API) that did not succeed."""


class CheckModeWriteRefused(GpufleetError):
    """A write attempted through a read-only (check mode) client: a bug, never sent."""

    def __init__(self, method, url):
        super(CheckModeWriteRefused, self).__init__(
            "internal error: %s %s attempted in check mode; refused, nothing was sent" % (method, redact_url(url)))


def server_message(payload):
    """The human part of an error body, in every form the releases answer with.

    ``{"error": "..."}`` (echo's HTTPError, every release); ``{"error": {"message": "..."}}``
    (Aug 2025, a body that is not valid JSON: echo's own error object); and the batch
    form ``{"error": {"error": "all nodes failed validation", "errors": [...]}}``.
    """
    if isinstance(payload, dict):
        err = payload.get("error", payload.get("message"))
        if isinstance(err, dict):
            head = err.get("error") or err.get("message") or ""
            if isinstance(head, dict):
                head = server_message(head) or ""
            errors = err.get("errors") or []
            text = "; ".join([str(head)] + [str(e) for e in errors]).strip("; ")
            return text or str(err)[:500]
        if err is not None:
            return str(err)
    if payload is None:
        return None
    return str(payload)[:500]


def _server_of(url):
    """``scheme://host:port`` of ``url``: what "down" applies to."""
    parts = urlsplit(url)
    return "%s://%s" % (parts.scheme, parts.netloc)


def _refused(exc):
    """Connection refused: nothing listens, so later requests cannot fare better this run."""
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, ConnectionRefusedError) or "refused" in str(reason).lower()


def _decode(raw):
    if raw is None:
        return None
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def ssl_context(validate_certs=True, ca_path=None):
    """The TLS context for https URLs: ``ca_path`` when given, else the system trust store
    from OpenSSL's compiled-in paths. SSL_CERT_FILE / SSL_CERT_DIR in the environment are
    ignored, so only the task's options decide whom the module trusts.
    Raises ssl.SSLError / OSError for a CA file that cannot be loaded."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if not validate_certs:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if ca_path:
        ctx.load_verify_locations(cafile=ca_path)
        return ctx
    return load_system_trust_store(ctx)


class Response(object):
    def __init__(self, status, data):
        self.status = status
        self.data = data


class AdminClient(object):
    """Admin API calls. ``sleep`` is injectable so tests do not wait."""

    def __init__(self, base_url, timeout=30, retries=3, backoff=0.5, validate_certs=True,
                 ca_path=None, read_only=False, sleep=time.sleep):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.read_only = read_only
        self.request_count = 0
        self._count_lock = threading.Lock()  # the reconciler calls from a thread pool
        self.down = {}  # server (scheme://host:port) -> why: it refused connections after every retry
        # user:password in a URL answers the server's Basic challenge (as ansible.module_utils.urls
        # did); the URL sent, and every URL shown, is without them.
        self._passwords = HTTPPasswordMgrWithDefaultRealm()
        self._opener = build_opener(HTTPSHandler(context=ssl_context(validate_certs, ca_path)),
                                    HTTPBasicAuthHandler(self._passwords))

    # -- transport -----------------------------------------------------
    def call(self, method, url, body=None, retry=True, ok=(200, 201), reads_only=False):
        """One logical request; returns Response for any status in ``ok``.

        ``reads_only=True`` marks a POST that changes nothing on the server
        (``nodes/version-status``), so a read-only client may send it.
        """
        if self.read_only and method not in READ_METHODS and not reads_only:
            raise CheckModeWriteRefused(method, url)
        data = None
        headers = {"Accept": "application/json"}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        server = _server_of(url)
        if server in self.down:
            # Known down: fail at once instead of each remaining node retrying on its own.
            raise GonkaApiError(method, url, reason="not sent, the Admin API is down (%s)" % self.down[server])
        attempts = (self.retries + 1) if retry else 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            with self._count_lock:
                self.request_count += 1
            try:
                resp = self._opener.open(Request(self._without_credentials(url), data=data, headers=headers,
                                                 method=method), timeout=self.timeout)
                status = resp.getcode()
                payload = _decode(resp.read())
            except HTTPError as exc:
                status = exc.code
                try:
                    payload = _decode(exc.read())
                except Exception:  # the body of an error answer may be cut off
                    payload = None
            except (URLError, socket.timeout, TimeoutError, HTTPException, ConnectionError, OSError) as exc:
                reason = getattr(exc, "reason", None) or exc
                if isinstance(reason, (socket.timeout, TimeoutError)) or "timed out" in str(reason):
                    reason = "timed out after %ss" % self.timeout
                if last:
                    if _refused(exc):
                        self.down[server] = "%s %s: %s" % (method, redact_url(url), reason)
                    raise GonkaApiError(method, url, reason=str(reason))
                self.sleep(self.backoff * (2 ** attempt))
                continue
            if status in ok:
                return Response(status, payload)
            if status in RETRYABLE_STATUS and not last:
                self.sleep(self.backoff * (2 ** attempt))
                continue
            raise GonkaApiError(method, url, status=status, server_message=server_message(payload), body=payload)
        raise AssertionError("unreachable")  # pragma: no cover

    def _without_credentials(self, url):
        """``url`` to send: its user:password, if any, go to the Basic auth handler instead."""
        if "@" not in url:
            return url
        parts = urlsplit(url)
        if parts.username is None:
            return url
        bare = redact_url(url)
        self._passwords.add_password(None, bare, unquote(parts.username), unquote(parts.password or ""))
        return bare

    def admin_url(self, *parts):
        return self.base_url + ADMIN_PREFIX + "/" + "/".join(quote(str(p), safe="") for p in parts)

    # -- Admin API -----------------------------------------------------
    def list_nodes(self):
        """All registered nodes as ``[{"node": {...}, "state": {...}}]`` (both releases)."""
        resp = self.call("GET", self.admin_url("nodes"))
        data = resp.data
        if data is None:
            return []
        if not isinstance(data, list):
            raise GonkaApiError("GET", self.admin_url("nodes"), status=resp.status,
                                server_message="expected a JSON array, got %s" % type(data).__name__)
        # Accept both the wrapped form real servers send and the bare form the docs show.
        return [item if isinstance(item, dict) and "node" in item else {"node": item, "state": {}}
                for item in data]

    def register(self, node):
        """POST nodes: create, or update an existing id. Safe to retry (an upsert)."""
        return self.call("POST", self.admin_url("nodes"), body=node).data

    def batch_register(self, nodes):
        """POST nodes/batch. Never retried: on the current release a replayed batch
        fails for ids that registered the first time. Returns (status, data)."""
        resp = self.call("POST", self.admin_url("nodes", "batch"), body=nodes, retry=False, ok=(200, 201, 206))
        return resp.status, resp.data

    def delete(self, node_id):
        """DELETE nodes/:id. True when deleted, False when the id was unknown.

        Every release answers a bare ``true``/``false``; the seed documents show the
        deleted node's JSON instead, which counts as deleted too.
        """
        data = self.call("DELETE", self.admin_url("nodes", node_id)).data
        if isinstance(data, dict):
            return (data.get("node") or data).get("id", node_id) == node_id
        return data is True

    def set_enabled(self, node_id, enabled):
        return self.call("POST", self.admin_url("nodes", node_id, "enable" if enabled else "disable")).data

    def get_json(self, url):
        return self.call("GET", url).data

    # -- operator endpoints (v0.2.4 and later; 404/405 on older releases) -----------
    def upgrade_status(self):
        """GET nodes/upgrade-status: ``{"message": ...}`` or ``{node_id: {is_alive, error}}``."""
        return self.get_json(self.admin_url("nodes", "upgrade-status"))

    def version_status(self, version):
        """POST nodes/version-status: whether each node answers under ``/<version>/``. Reads only."""
        return self.call("POST", self.admin_url("nodes", "version-status"), body={"version": version},
                         reads_only=True).data

    def setup_report(self):
        """GET setup/report: ``{overall_status, checks, summary, ...}``."""
        return self.get_json(self.admin_url("setup", "report"))
