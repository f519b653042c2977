# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Admin API client on the standard library's opener (issue 14 item 4): credentials in the
URL still answer a Basic challenge and are never sent in the URL; the modules import no
cryptography."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.client import AdminClient
from tests.support.ansible_run import ensure_collection_link


class _Handler(BaseHTTPRequestHandler):
    seen = []

    def do_GET(self):
        auth = self.headers.get("Authorization")
        self.seen.append((self.path, auth))
        if auth != "Basic " + base64.b64encode(b"admin:p@ss word").decode():
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="admin"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_url_credentials_answer_a_basic_challenge():
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = AdminClient("http://admin:p%%40ss%%20word@127.0.0.1:%d" % server.server_address[1], retries=0)
        assert client.list_nodes() == []
    finally:
        server.shutdown()
        server.server_close()
    assert [auth for path, auth in _Handler.seen] == [None, "Basic " + base64.b64encode(b"admin:p@ss word").decode()]
    assert all(path == "/admin/v1/nodes" for path, auth in _Handler.seen)


def test_modules_import_no_cryptography():
    code = ("import sys, json; import ansible_collections.gpufleet.ops.plugins.modules.mlnode_info, "
            "ansible_collections.gpufleet.ops.plugins.modules.mlnode; "
            "print(json.dumps(sorted(set(m.split('.')[0] for m in sys.modules) & {'cryptography', 'kubernetes', 'yaml'})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ensure_collection_link())
    assert json.loads(out.stdout) == []
