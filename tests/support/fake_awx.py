# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The part of the AWX REST API that ``awx.awx.credential_type`` uses, on 127.0.0.1.

``/api/v2/credential_types/``: list with ``?name=`` / ``?or__id=&or__name=`` filters
(``count`` and ``results``, as AWX pages), ``POST`` to create, ``GET`` / ``PATCH`` /
``DELETE`` of ``/api/v2/credential_types/<id>/``. Bearer-token authentication only.
Every request is logged with its JSON body, so a test sees exactly what reached AWX.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

TOKEN = "fake-awx-token-3e1f"
BASE = "/api/v2/credential_types/"


class FakeAwx(object):
    def __init__(self):
        self.types = {}
        self.requests = []
        self.lock = threading.Lock()
        self._next = 1
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body=None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-API-Product-Name", "AWX")
                self.send_header("X-API-Product-Version", "24.6.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"null") if length else None
                parts = urlsplit(self.path)
                with fake.lock:
                    fake.requests.append({"method": self.command, "path": parts.path, "body": body})
                    if self.headers.get("Authorization") != "Bearer " + TOKEN:
                        return self._send(401, {"detail": "Authentication credentials were not provided."})
                    return self._send(*fake.route(self.command, parts.path, parse_qs(parts.query), body))

            do_GET = do_POST = do_PATCH = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def route(self, method, path, query, body):
        if path == BASE and method == "GET":
            names = query.get("name", []) + query.get("or__name", [])
            ids = [int(i) for i in query.get("or__id", [])]
            found = [t for t in self.types.values() if (not names and not ids) or t["name"] in names or t["id"] in ids]
            return 200, {"count": len(found), "next": None, "previous": None, "results": found}
        if path == BASE and method == "POST":
            if any(t["name"] == body.get("name") for t in self.types.values()):
                return 400, {"name": ["Credential type with this name already exists."]}
            item = dict(body, id=self._next, url="%s%d/" % (BASE, self._next), managed=False)
            self.types[self._next] = item
            self._next += 1
            return 201, item
        if path.startswith(BASE):
            try:
                ident = int(path[len(BASE):].strip("/"))
            except ValueError:
                return 404, {"detail": "Not found."}
            if ident not in self.types:
                return 404, {"detail": "Not found."}
            if method == "GET":
                return 200, self.types[ident]
            if method == "PATCH":
                self.types[ident].update(body)
                return 200, self.types[ident]
            if method == "DELETE":
                del self.types[ident]
                return 204, None
        return 404, {"detail": "Not found."}

    def writes(self):
        return [r for r in self.requests if r["method"] != "GET"]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
