#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stand-ins for the Gonka containers (stdlib only), baked into the test images.

Each stand-in holds the role to the contract of the real image, read from the upstream
source (gonka-ai/gonka, readable in the fork kaitakuai/gonka) at the release commits
v0.2.14 = ee730031decedd2428aa56c65084ae5ab33d9192 and v0.2.5 = 0becc23a89afae323f07a4bebe9ce289212db738.
It reads only the variables the real image reads; what a test needs to steer or observe
goes through files in the mounted volumes (``/root/.inference``, ``/root/.dapi``) or the
``/_standin/`` routes, which no real image has and no role calls.

    standin.py api        decentralized-api (the ``api`` image)
    standin.py chain      inferenced (the ``node`` image)
    standin.py mlnode     the ML node (its version from the image's STANDIN_VERSION)
    standin.py proxy      public proxy: /health on 80
    standin.py explorer   explorer: / on 5173
    standin.py idle       tmkms, versiond, bridge, proxy-ssl: do nothing until stopped
    standin.py upstream   a plain echo server on $PORTS

Extra arguments (the real images' commands, e.g. ``uvicorn api.app:app``) are ignored.
Every answer carries ``X-Standin: <role>`` and the port, so tests can see who answered.
"""
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"state": "STOPPED", "batches": [], "sent": []}
CHAIN_MLNODE_VERSION = "v3.0.8"  # the segment the api puts in front of ML node URLs (every release)


def make_handler(role, routes):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # keep container logs short
            sys.stderr.write("%s %s\n" % (role, fmt % args))

        def _answer(self, method):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, payload = routes(method, self.path.split("?")[0], body, self.headers)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Standin", role)
            self.send_header("X-Standin-Port", str(self.server.server_address[1]))
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
    server = ThreadingHTTPServer((host, port), make_handler(role, routes))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def post_json(url, body, timeout=10):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def health_only(method, path, body, headers):
    if path in ("/health", "/healthz", "/"):
        return 200, {"status": "ok"}
    return 404, {"error": "Not Found"}


def echo_routes(method, path, body, headers):
    return 200, {"path": path, "host": headers.get("Host"), "method": method}


def fail(message):
    """init-docker.sh's way out: the message, exit status 1 (the container stops)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
    sys.exit(1)


def version_tuple(text):
    return tuple(int(x) for x in re.findall(r"\d+", text or "0")[:3])


# -- chain node ----------------------------------------------------------------------------
# inference-chain/scripts/init-docker.sh @ee730031: `need` of KEY_NAME, SEED_NODE_RPC_URL,
# SEED_NODE_P2P_URL, P2P_EXTERNAL_ADDRESS; state sync configured once (first run, flag
# $STATE_DIR/.node_initialized) from SYNC_WITH_SNAPSHOTS (default false), RPC_SERVER_URL_1/2
# (needed when true) and TRUSTED_BLOCK_PERIOD (default 2); snapshot settings (defaults 10 / 5),
# REST_API_ACTIVE and CONFIG_* on every start. RPC on 26657 (laddr tcp://0.0.0.0:26657), p2p 26656.
def chain_main():
    env = os.environ
    for name in ("KEY_NAME", "SEED_NODE_RPC_URL", "SEED_NODE_P2P_URL", "P2P_EXTERNAL_ADDRESS"):
        if not env.get(name):
            fail("ERROR: Environment variable %s is required" % name)
    state_dir = env.get("STATE_DIR", "/root/.inference")
    os.makedirs(state_dir, exist_ok=True)
    record_path = os.path.join(state_dir, "standin-chain.json")
    record = {}
    if os.path.exists(record_path):
        with open(record_path) as handle:
            record = json.load(handle)
    if not os.path.exists(os.path.join(state_dir, ".node_initialized")):
        statesync = env.get("SYNC_WITH_SNAPSHOTS", "false") == "true"
        if statesync:
            for name in ("RPC_SERVER_URL_1", "RPC_SERVER_URL_2"):
                if not env.get(name):
                    fail("ERROR: Environment variable %s is required" % name)
        record["first_run"] = {
            "seed_rpc": env["SEED_NODE_RPC_URL"], "seed_p2p": env["SEED_NODE_P2P_URL"],
            "statesync_enable": statesync,
            "statesync_rpc_servers": [env.get("RPC_SERVER_URL_1"), env.get("RPC_SERVER_URL_2")] if statesync else [],
            "trusted_block_period": int(env.get("TRUSTED_BLOCK_PERIOD", "2")) if statesync else None,
        }
        open(os.path.join(state_dir, ".node_initialized"), "w").close()
    record["every_start"] = {
        "p2p_external_address": env["P2P_EXTERNAL_ADDRESS"],
        "snapshot_interval": int(env.get("SNAPSHOT_INTERVAL", "10")),
        "snapshot_keep_recent": int(env.get("SNAPSHOT_KEEP_RECENT", "5")),
        "rest_api_active": env.get("REST_API_ACTIVE") == "true",
        "config": {k[len("CONFIG_"):].replace("__", "."): v for k, v in env.items() if k.startswith("CONFIG_")},
    }
    with open(record_path, "w") as handle:
        json.dump(record, handle, indent=2)
    # Test knob (a file, not an environment variable): how long the node reports catching_up.
    sync_seconds = 2.0
    knob = os.path.join(state_dir, "standin-sync-seconds")
    if os.path.exists(knob):
        with open(knob) as handle:
            sync_seconds = float(handle.read().strip() or 0)
    started = time.monotonic()

    def rpc(method, path, body, headers):
        if path == "/status":
            elapsed = time.monotonic() - started
            return 200, {"jsonrpc": "2.0", "id": -1, "result": {"node_info": {"network": "gonka-mainnet"}, "sync_info": {
                "latest_block_height": str(100 + int(elapsed * 10)), "catching_up": elapsed < sync_seconds}}}
        return health_only(method, path, body, headers)
    serve("chain", 26657, rpc)
    serve("chain", 26656, health_only)


# -- api -----------------------------------------------------------------------------------
# decentralized-api/scripts/init-docker.sh @ee730031 (checks, in order: KEY_NAME, ACCOUNT_PUBKEY
# (without it the key is looked up in the keyring, which the role never creates: exit 1),
# DAPI_API__POC_CALLBACK_URL, DAPI_API__PUBLIC_URL); apiconfig/config_manager.go readConfig:
# koanf env provider for DAPI_* (DAPI_A__B -> a.b) plus KEY_NAME, ACCOUNT_PUBKEY, KEYRING_BACKEND,
# KEYRING_PASSWORD, and NODE_CONFIG_PATH (LoadNodeConfig: merged ONCE, flag in the .dapi database).
# main.go: servers on api.public_server_port, api.ml_server_port, api.admin_server_port (":0", a
# random port, when unset); the admin server after the chain answers, the participant is read and
# registered (here: after the chain's RPC says it is in sync). ML server routes
# (internal/server/mlnode/server.go): v0.2.8+ POST /v2/poc-batches/:model_id/generated, before
# POST /v1/poc-batches/generated.
def api_main():
    env = os.environ
    if not env.get("KEY_NAME"):
        fail("Error: KEY_NAME is required.")
    if not env.get("ACCOUNT_PUBKEY"):
        fail("Error: Key '%s' not found and ACCOUNT_PUBKEY not provided" % env["KEY_NAME"])
    if not env.get("DAPI_API__POC_CALLBACK_URL"):
        fail("Error: DAPI_API__POC_CALLBACK_URL is required.")
    if not env.get("DAPI_API__PUBLIC_URL"):
        fail("Error: DAPI_API__PUBLIC_URL is required.")
    config = {"api.poc_callback_url": "http://localhost:8080", "chain_node.url": "http://node:26657"}  # config-prod.yaml
    config.update({k[len("DAPI_"):].lower().replace("__", "."): v for k, v in env.items() if k.startswith("DAPI_")})
    release = env.get("STANDIN_RELEASE", "0.2.14")  # the image's own release (baked into the stand-in image)
    v2 = version_tuple(release) >= (0, 2, 8)
    dapi = "/root/.dapi"
    os.makedirs(dapi, exist_ok=True)
    with open(os.path.join(dapi, "standin-api.json"), "w") as handle:
        json.dump({"config": {k: v for k, v in config.items() if "password" not in k},
                   "env_read": sorted(k for k in env if k.startswith("DAPI_") or k in (
                       "KEY_NAME", "ACCOUNT_PUBKEY", "KEYRING_BACKEND", "KEYRING_PASSWORD", "NODE_CONFIG_PATH"))},
                  handle, indent=2)

    def port(key):
        return int(config.get(key) or 0)

    sim_holder = {}

    def ml_routes(method, path, body, headers):
        if method == "POST" and (path == "/v1/poc-batches/generated" and not v2
                                 or v2 and re.match(r"^/v2/poc-batches/[^/]+/generated$", path)):
            try:
                batch = json.loads(body or b"{}")
            except ValueError:
                return 400, {"error": "invalid request body"}
            if not batch.get("artifacts") and not batch.get("nonces"):
                return 400, {"error": "unknown node_num"}
            STATE["batches"].append({"path": path, "batch": batch})
            return 200, {}
        if method == "GET" and path == "/versions":
            return 200, {"versions": []}
        if path == "/_standin/batches":
            return 200, STATE["batches"]
        if method == "POST" and path == "/_standin/poc":
            return 200, start_poc(sim_holder.get("sim"))
        return 404, {"error": "Not Found"}

    def start_poc(sim):
        """What the broker does at a PoC stage: tell every node to generate, with the callback URL."""
        if sim is None:
            return {"error": "admin server not up"}
        callback = config["api.poc_callback_url"].rstrip("/")
        out = {}
        nodes = [entry["node"] for entry in sim.snapshot()["nodes"]]
        for num, node in enumerate(nodes, 1):
            model = next(iter(node.get("models") or {"model": {}}))
            base = "http://%s:%s/%s%s" % (node["host"], node["poc_port"], CHAIN_MLNODE_VERSION, node.get("poc_segment") or "")
            if v2:
                url = base + "/api/v1/inference/pow/init/generate"
                cb = "%s/v2/poc-batches/%s" % (callback, urllib.parse.quote(model, safe=""))
            else:
                url = base + "/api/v1/pow/init/generate"
                cb = callback + "/v1/poc-batches"
            body = {"block_hash": "00ff", "block_height": 1000, "public_key": env["ACCOUNT_PUBKEY"],
                    "node_id": node.get("node_num", num), "node_count": len(nodes),
                    "params": {"model": model, "seq_len": 256}, "url": cb}
            try:
                status, text = post_json(url, body)
                out[node["id"]] = {"url": url, "status": status, "body": text[:300]}
            except Exception as err:  # noqa: BLE001 - reported to the test as the api would log it
                out[node["id"]] = {"url": url, "status": 0, "error": str(err)}
        return out

    public = serve("api", port("api.public_server_port"), health_only)
    ml = serve("api", port("api.ml_server_port"), ml_routes)
    sys.stderr.write("public server on :%d, ml server on :%d\n" % (public.server_address[1], ml.server_address[1]))

    def admin_after_chain():
        url = config["chain_node.url"].rstrip("/") + "/status"
        while True:
            try:
                if not get_json(url)["result"]["sync_info"]["catching_up"]:
                    break
                sys.stderr.write("waiting for the chain to sync (%s)\n" % url)
            except Exception as err:  # noqa: BLE001 - the chain is not up yet
                sys.stderr.write("waiting for the chain node %s: %s\n" % (url, err))
            time.sleep(1)
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import gonka_sim  # noqa: E402 - the repository's Admin API simulator, copied next to this file
        sim = gonka_sim.start("v" + release if "v" + release in gonka_sim.RELEASES else "current", "0.0.0.0",
                              port("api.admin_server_port"))
        saved = os.path.join(dapi, "standin-nodes.json")
        merged = os.path.join(dapi, "standin-node-config-merged")
        if os.path.exists(saved):
            with open(saved) as handle:
                sim.state.seed_nodes(json.load(handle))
        elif not os.path.exists(merged) and env.get("NODE_CONFIG_PATH") and os.path.exists(env["NODE_CONFIG_PATH"]):
            with open(env["NODE_CONFIG_PATH"]) as handle:
                sim.state.seed_nodes(json.load(handle) or [])
        open(merged, "w").close()
        sim_holder["sim"] = sim
        sys.stderr.write("admin server on :%d\n" % sim.port)
        while True:  # the real api keeps its nodes in its database: survive restarts
            with open(saved + ".tmp", "w") as handle:
                json.dump(list(sim.snapshot()["nodes"]), handle)
            os.replace(saved + ".tmp", saved)
            time.sleep(0.5)
    threading.Thread(target=admin_after_chain, daemon=True).start()


# -- ML node -------------------------------------------------------------------------------
# mlnode/packages/api/src/api (app.py, routes.py, health.py, models/routes.py, gpu/routes.py,
# inference/routes.py, inference/pow_v2_routes.py) per version: /api/v1/state, /stop,
# /inference/up|down and /pow/* in every version; /health, /livez, /readyz, /api/v1/models/*,
# /api/v1/gpu/* from 3.0.10 (added in v0.2.4 = aa85699a); PoC v2 /api/v1/inference/pow/* from
# 3.0.12 (added in v0.2.8 = f038d984). Batches go to `<url>/generated` (pow sender, vLLM PoC v2).
def mlnode_main():
    version = version_tuple(os.environ.get("STANDIN_VERSION", "3.0.14"))

    def send_batches(url, body, v2):
        batch = ({"block_height": body.get("block_height"), "public_key": body.get("public_key"),
                  "node_id": body.get("node_id"), "artifacts": [{"nonce": 1, "vector_b64": "AAAA"}]} if v2 else
                 {"block_height": body.get("block_height"), "block_hash": body.get("block_hash"),
                  "public_key": body.get("public_key"), "node_id": body.get("node_id"), "nonces": [1], "dist": [0.1]})
        try:
            status, text = post_json(url.rstrip("/") + "/generated", batch)
        except Exception as err:  # noqa: BLE001 - the real sender logs and retries
            status, text = 0, str(err)
        STATE["sent"].append({"url": url + "/generated", "status": status, "answer": text[:200]})
        sys.stderr.write("sent PoC batch to %s/generated: %s %s\n" % (url, status, text[:200]))

    def routes(method, path, body, headers):
        data = json.loads(body or b"{}") if body else {}
        if path == "/api/v1/state":
            return 200, {"state": STATE["state"]}
        if version >= (3, 0, 10):
            if path in ("/health", "/livez"):
                return 200, {"status": "OK"}
            if path == "/readyz":
                return 200, {"ready": True}
            if path in ("/api/v1/models/list", "/api/v1/models/space", "/api/v1/gpu/devices", "/api/v1/gpu/driver"):
                return 200, {"models": [], "devices": [], "driver": {}}
            if method == "POST" and path in ("/api/v1/models/status", "/api/v1/models/download"):
                return 200, {"status": "OK"}
        if method == "POST" and path == "/api/v1/stop":
            STATE["state"] = "STOPPED"
            return 200, {"status": "OK"}
        if method == "POST" and path == "/api/v1/inference/up":
            STATE["state"] = "INFERENCE"
            return 200, {"status": "OK"}
        if method == "POST" and path == "/api/v1/inference/down":
            STATE["state"] = "STOPPED"
            return 200, {"status": "OK"}
        v2_init = version >= (3, 0, 12) and path == "/api/v1/inference/pow/init/generate"
        if method == "POST" and (v2_init or path == "/api/v1/pow/init/generate"):
            if not data.get("url"):
                return 422, {"detail": "url required"}
            STATE["state"] = "POW"
            threading.Thread(target=send_batches, args=(data["url"], data, v2_init), daemon=True).start()
            return 200, {"status": "OK"}
        if path == "/_standin/sent":
            return 200, STATE["sent"]
        return 404, {"detail": "Not Found"}

    def vllm(method, path, body, headers):
        if path == "/health":
            return 200, {}
        if path == "/v1/models":
            return 200, {"object": "list", "data": []}
        return 404, {"detail": "Not Found"}
    serve("mlnode", 8080, routes)
    serve("mlnode", 5000, vllm)


def main(argv):
    role = argv[1] if len(argv) > 1 else "idle"
    if role == "api":
        api_main()
    elif role == "chain":
        chain_main()
    elif role == "proxy":
        serve(role, 80, health_only)
    elif role == "explorer":
        serve(role, 5173, health_only)
    elif role == "mlnode":
        mlnode_main()
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
