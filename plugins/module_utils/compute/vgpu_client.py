# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reads and writes of the Docker Engine API for vGPU containers, on compute's transport.

``VgpuDockerClient`` is ``client.DockerClient`` (TLS that trusts exactly the node's CA,
never ``REQUESTS_CA_BUNDLE``) with every HTTP method. Each request gets the whole
``timeout`` (not one deadline for the run). Check mode is enforced here: a client
built with ``check_mode=True`` refuses every method but ``GET`` and ``HEAD``, so a
module cannot write to a node by forgetting a check.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json
import time

from ansible.module_utils.six.moves.urllib.parse import quote, urlencode

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import client
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError

READS = ("GET", "HEAD")


class VgpuDockerClient(client.DockerClient):
    """A keep-alive connection to one engine; writes refused in check mode."""

    def __init__(self, endpoint, timeout=5.0, check_mode=False):
        super(VgpuDockerClient, self).__init__(endpoint, timeout)
        self.check_mode = check_mode

    def request(self, method, path, body=None, query=None, missing_ok=False):
        """Send one request; return ``(status, decoded JSON or None, headers)``.

        Any status >= 400 raises ``client.DockerAPIError`` with the engine's own message,
        except 404 with ``missing_ok`` (returned as ``(404, None, headers)``).
        """
        if method not in READS and self.check_mode:
            raise ComputeError("internal error: %s %s was attempted in check mode" % (method, path),
                               field="check_mode")
        if query:
            path = "%s?%s" % (path, urlencode(query))
        self.deadline = time.time() + self.timeout
        data = json.dumps(body).encode("utf-8") if body is not None else None
        headers = {"Host": "docker", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        if self.conn.sock is not None:
            self.conn.sock.settimeout(self._remaining())
        else:
            self.conn.timeout = self._remaining()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            resp = self.conn.getresponse()
            raw = resp.read()
        except Exception as exc:  # the transport failed: one reason, as the probe words it
            self.close()
            raise client.DockerAPIError(method, self.base_url + path, None,
                                        reason=client._classify(exc, self.timeout))
        if resp.status == 404 and missing_ok:
            return 404, None, resp.getheaders()
        if resp.status >= 400:
            detail = raw[:500].decode("utf-8", "replace").strip()
            try:
                detail = json.loads(detail).get("message", detail)
            except (ValueError, AttributeError):
                pass
            raise client.DockerAPIError(method, self.base_url + path, resp.status, detail or None)
        decoded = None
        if raw:
            try:
                decoded = json.loads(raw.decode("utf-8"))
            except ValueError:
                decoded = None
        return resp.status, decoded, resp.getheaders()

    # -- the calls the vGPU services make ----------------------------------------------
    def inspect(self, name):
        return self.request("GET", "/containers/%s/json" % quote(name, safe=""), missing_ok=True)[1]

    def list_containers(self, label):
        filters = json.dumps({"label": [label]})
        return self.request("GET", "/containers/json", query={"all": "1", "filters": filters})[1] or []

    def create(self, name, body):
        return self.request("POST", "/containers/create", body=body, query={"name": name})[1]["Id"]

    def start(self, ident):
        self.request("POST", "/containers/%s/start" % quote(ident, safe=""))

    def stop(self, ident, seconds=10):
        self.request("POST", "/containers/%s/stop" % quote(ident, safe=""), query={"t": str(seconds)})

    def remove(self, ident):
        self.request("DELETE", "/containers/%s" % quote(ident, safe=""), query={"force": "1", "v": "1"},
                     missing_ok=True)

    def stat_path(self, ident, path):
        """``{name, size, mode, ...}`` of a path inside a container (running or not), or None."""
        status, _data, headers = self.request("HEAD", "/containers/%s/archive" % quote(ident, safe=""),
                                              query={"path": path}, missing_ok=True)
        if status == 404:
            return None
        for key, value in headers:
            if key.lower() == "x-docker-container-path-stat":
                return json.loads(base64.b64decode(value).decode("utf-8"))
        return {}
