#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-ins for the Gonka containers (stdlib only), baked into the test images.

    standin.py api        Admin API simulator on 9200 + PoC callback on 9100
    standin.py chain      chain node: RPC /status on 26657, p2p listener on 26656
    standin.py proxy      public proxy: /health on 80
    standin.py explorer   explorer: / on 5173
    standin.py mlnode     ML node API on 8080 (/api/v1/state, /health, ...) + vLLM-like 5000
    standin.py idle       tmkms: does nothing until stopped
    standin.py upstream   a plain echo server on $PORTS (RunPod proxy upstream in tests)

Extra arguments (the real images' commands, e.g. ``uvicorn api.app:app``) are ignored.
Every answer carries ``X-Standin: <role>`` and the port, so tests can see who answered.
"""
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"state": "STOPPED", "callbacks": 0}


def make_handler(role, port, routes):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # keep container logs short
            sys.stderr.write("%s:%d %s\n" % (role, port, fmt % args))

        def _answer(self, method):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = routes(method, self.path.split("?")[0], body, self.headers)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Standin", role)
            self.send_header("X-Standin-Port", str(port))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self._answer("GET")

        def do_POST(self):
            self._answer("POST")

        def do_PUT(self):
            self._answer("PUT")

        def do_DELETE(self):
            self._answer("DELETE")
    return Handler


def serve(role, port, routes, host="0.0.0.0"):
    server = ThreadingHTTPServer((host, port), make_handler(role, port, routes))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def health_only(method, path, body, headers):
    if path in ("/health", "/healthz", "/"):
        return 200, {"status": "ok"}
    return 404, {"error": "not found: %s" % path}


def callback_routes(method, path, body, headers):
    if path == "/health":
        return 200, {"status": "ok"}
    STATE["callbacks"] += 1
    return 200, {"received": STATE["callbacks"]}


def chain_routes(method, path, body, headers):
    if path == "/status":
        return 200, {"result": {"sync_info": {"catching_up": False, "latest_block_height": "1"}}}
    return health_only(method, path, body, headers)


def mlnode_routes(method, path, body, headers):
    if path == "/health":
        return 200, {"status": "OK"}
    if path == "/api/v1/state":
        return 200, {"state": STATE["state"]}
    if method == "POST" and path == "/api/v1/stop":
        STATE["state"] = "STOPPED"
        return 200, {"status": "OK"}
    if method == "POST" and path == "/api/v1/inference/up":
        STATE["state"] = "INFERENCE"
        return 200, {"status": "OK"}
    if method == "POST" and path == "/api/v1/inference/down":
        STATE["state"] = "STOPPED"
        return 200, {"status": "OK"}
    if path.startswith("/api/v1/pow") or path.startswith("/api/v1/train"):
        return 200, {"status": "OK"}
    return 404, {"error": "not found: %s" % path}


def vllm_routes(method, path, body, headers):
    if path == "/health":
        return 200, {}
    if path == "/v1/models":
        return 200, {"object": "list", "data": []}
    return 404, {"error": "not found: %s" % path}


def echo_routes(method, path, body, headers):
    return 200, {"path": path, "host": headers.get("Host"), "method": method}


def main(argv):
    role = argv[1] if len(argv) > 1 else "idle"
    if role == "api":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import gonka_sim  # noqa: E402 - the repository's Admin API simulator, copied next to this file
        gonka_sim.start(os.environ.get("GONKA_SIM_RELEASE", "current"), "0.0.0.0", 9200)
        serve(role, 9100, callback_routes)
    elif role == "chain":
        serve(role, 26657, chain_routes)
        serve(role, 26656, health_only)
    elif role == "proxy":
        serve(role, 80, health_only)
    elif role == "explorer":
        serve(role, 5173, health_only)
    elif role == "mlnode":
        serve(role, 8080, mlnode_routes)
        serve(role, 5000, vllm_routes)
    elif role == "upstream":
        for port in os.environ.get("PORTS", "8080").split(","):
            serve(role, int(port), echo_routes, os.environ.get("BIND", "0.0.0.0"))
    elif role != "idle":
        sys.stderr.write("unknown role %r\n" % role)
        return 2
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    sys.stderr.write("standin %s ready\n" % role)
    done.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
