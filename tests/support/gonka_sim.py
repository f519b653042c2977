#!/usr/bin/env python
"""Simulator of a Gonka network node's Admin API (port 9200) for tests.

Standard library only.  Two behaviours are modelled, chosen by ``release``:

* ``"old"``     - the August 2025 main branch;
* ``"current"`` - the v0.2.5 .. v0.2.15 release line.

See /work/shared/reference/gonka.md for the facts this follows (the docs are
wrong in places; the code is what real hosts run).

Python API::

    from gonka_sim import start
    with start(release="current") as sim:
        sim.url             # "http://127.0.0.1:41234"
        sim.state           # live SimState (hold sim.state.lock to mutate)
        sim.snapshot()      # same dict as GET /_sim/state

Script::

    python tests/support/gonka_sim.py --release current --port 9200 \
        [--host 127.0.0.1] [--pidfile F]

Control API (JSON in and out), never logged and never faulted:

    GET    /_sim/requests         request log of non-/_sim calls
    DELETE /_sim/requests         clear the log
    POST   /_sim/reset            clear nodes, log, faults, duplicates; approved
                                  models and participants back to defaults;
                                  optional body {"release": "old"|"current"}
    GET    /_sim/state            {"release","approved_models","nodes","duplicates",...}
    PUT    /_sim/release          body "old"|"current" or {"release": ...}
    PUT    /_sim/approved_models  body ["model", ...]
    PUT    /_sim/participants     body [participant, ...]
    PUT    /_sim/nodes            body [{"node": {...}, "state": {...}} | node, ...]
    POST   /_sim/faults           body {"method","path","times","status","body","delay","drop"}
                                  ("path" is a regex searched in the URL path,
                                  "method" null = any, "times" default 1, null =
                                  unlimited; status -> answer it, state unchanged;
                                  delay -> sleep first; drop -> close, no answer)
    GET    /_sim/faults           the pending fault rules
    DELETE /_sim/faults           clear fault rules
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

RELEASES = ("old", "current")

DEFAULT_APPROVED_MODELS = [
    "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8",
    "Qwen/Qwen3-32B-FP8",
    "MiniMaxAI/MiniMax-M2.7",
    "moonshotai/Kimi-K2.6",
    "deepseek-ai/DeepSeek-V4-Flash-0731",
]

DEFAULT_PARTICIPANTS = [
    {
        "index": "gonka1simparticipant0000000000000000000000",
        "inference_url": "http://127.0.0.1:8000",
        "weight": 10,
        "models": ["Qwen/Qwen3-32B-FP8"],
    }
]

NOT_FOUND = {"message": "Not Found"}
NOT_ALLOWED = {"message": "Method Not Allowed"}

# Go type names used in the json bind error texts.
_GO_TYPES = {"id": "string", "host": "string", "inference_segment": "string",
             "poc_segment": "string", "version": "string", "inference_port": "int",
             "poc_port": "int", "max_concurrent": "int", "node_num": "uint64",
             "models": "map[string]apiconfig.ModelConfig",
             "hardware": "[]apiconfig.Hardware"}


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_kind(value) -> str:
    """Name of a JSON value's kind, as Go's encoding/json words it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class ValidationError(Exception):
    """A node body that does not pass validation.

    ``bind`` holds Go's json bind error text when the problem is a JSON type
    mismatch (what the older release answers); ``str(exc)`` is the field
    message that the current release's validation gives."""

    def __init__(self, message: str, bind: str | None = None):
        super().__init__(message)
        self.bind = bind


def validate_node(body) -> None:
    """Raise ValidationError when ``body`` is not an acceptable node config."""
    if not isinstance(body, dict):
        raise ValidationError(
            "node must be a JSON object",
            bind="json: cannot unmarshal %s into Go value of type "
                 "apiconfig.InferenceNodeConfig" % _json_kind(body))
    # Type checks first (bind errors).
    for field, gotype in _GO_TYPES.items():
        if field not in body or body[field] is None:
            continue
        v = body[field]
        ok = {"string": isinstance(v, str), "int": _is_int(v),
              "uint64": _is_int(v) and v >= 0}.get(gotype)
        if ok is None:
            ok = isinstance(v, dict) if gotype.startswith("map") else isinstance(v, list)
        if not ok:
            raise ValidationError(
                "%s must be of type %s, got %s" % (field, gotype, _json_kind(v)),
                bind="json: cannot unmarshal %s into Go struct field "
                     "InferenceNodeConfig.%s of type %s" % (_json_kind(v), field, gotype))
    # Value checks.
    for field in ("id", "host"):
        if not body.get(field):
            raise ValidationError("%s is required" % field)
    for field in ("inference_port", "poc_port"):
        v = body.get(field)
        if v is None or not 1 <= v <= 65535:
            raise ValidationError("%s must be between 1 and 65535, got %s" % (field, v))
    mc = body.get("max_concurrent")
    if mc is None or mc < 1:
        raise ValidationError("max_concurrent must be at least 1, got %s" % mc)
    models = body.get("models")
    if not models:
        raise ValidationError("models must not be empty")
    for name, cfg in models.items():
        if not name:
            raise ValidationError("models: model id must not be empty")
        if not isinstance(cfg, dict):
            raise ValidationError("models[%s] must be an object" % name)
        args = cfg.get("args", [])
        if args is not None and (not isinstance(args, list)
                                 or not all(isinstance(a, str) for a in args)):
            raise ValidationError("models[%s].args must be a list of strings" % name)
    for i, hw in enumerate(body.get("hardware") or []):
        if (not isinstance(hw, dict) or not isinstance(hw.get("type", ""), str)
                or not _is_int(hw.get("count", 0))):
            raise ValidationError("hardware[%d] must be {type: string, count: int}" % i)


def make_node(body: dict, node_num: int) -> dict:
    """A stored node config built from a validated body."""
    models = {}
    for name, cfg in body["models"].items():
        entry = copy.deepcopy(cfg)
        entry["args"] = list(cfg.get("args") or [])
        models[name] = entry
    return {
        "id": body["id"],
        "host": body["host"],
        "inference_segment": body.get("inference_segment") or "",
        "inference_port": body["inference_port"],
        "poc_segment": body.get("poc_segment") or "",
        "poc_port": body["poc_port"],
        "models": models,
        "max_concurrent": body["max_concurrent"],
        "node_num": node_num,
        "hardware": copy.deepcopy(body.get("hardware") or []),
        "version": body.get("version") or "",
    }


def _endpoints(node: dict) -> set:
    return {(node["host"], node["inference_port"]), (node["host"], node["poc_port"])}


class SimState:
    """Everything the simulator holds.  Mutate only while holding ``lock``."""

    def __init__(self, release: str = "current"):
        if release not in RELEASES:
            raise ValueError("release must be one of %s" % (RELEASES,))
        self.lock = threading.RLock()
        self.release = release
        self.reset()

    def reset(self, release: str | None = None) -> None:
        with self.lock:
            if release is not None:
                if release not in RELEASES:
                    raise ValueError("release must be one of %s" % (RELEASES,))
                self.release = release
            self.approved_models = list(DEFAULT_APPROVED_MODELS)
            self.participants = copy.deepcopy(DEFAULT_PARTICIPANTS)
            self.epoch_group_id = 42
            self.nodes: dict[str, dict] = {}   # id -> {"node", "state"}, in order
            self.next_node_num = 1
            self.duplicates: dict[str, int] = {}
            self.requests: list[dict] = []
            self.faults: list[dict] = []

    # -- helpers -----------------------------------------------------------
    def fresh_state(self) -> dict:
        st = {
            "intended_status": "INFERENCE",
            "current_status": "UNKNOWN",
            "poc_intended_status": "IDLE",
            "poc_current_status": "IDLE",
            "lock_count": 0,
            "failure_reason": "",
            "status_timestamp": _now(),
            "admin_state": {"enabled": True, "epoch": 0},
            "epoch_models": {},
            "epoch_ml_nodes": {},
        }
        if self.release == "current":
            st.update({"ml_node_version": "", "preserved_models": None,
                       "deployment_update_pending": False})
        return st

    def alloc_num(self) -> int:
        n = self.next_node_num
        self.next_node_num += 1
        return n

    def conflict(self, node: dict, exclude: str) -> str | None:
        """Message when another node already uses one of node's host:ports."""
        mine = _endpoints(node)
        for other_id, entry in self.nodes.items():
            if other_id == exclude:
                continue
            both = mine & _endpoints(entry["node"])
            if both:
                host, port = sorted(both)[0]
                return "host:port %s:%d already used by node %s" % (host, port, other_id)
        return None

    def snapshot(self) -> dict:
        with self.lock:
            return copy.deepcopy({
                "release": self.release,
                "approved_models": self.approved_models,
                "nodes": list(self.nodes.values()),
                "duplicates": self.duplicates,
                "participants": self.participants,
                "faults": self.faults,
            })

    def seed_nodes(self, seeds: list) -> None:
        """Replace all nodes with ``seeds`` (no validation, defaults filled)."""
        with self.lock:
            self.nodes = {}
            for seed in seeds:
                if "node" in seed and isinstance(seed["node"], dict):
                    given_node, given_state = seed["node"], seed.get("state") or {}
                else:
                    given_node, given_state = seed, {}
                node = {"id": "", "host": "", "inference_segment": "", "inference_port": 5050,
                        "poc_segment": "", "poc_port": 8080, "models": {},
                        "max_concurrent": 500, "node_num": None, "hardware": [], "version": ""}
                node.update(copy.deepcopy(given_node))
                if node["node_num"] is None:
                    node["node_num"] = self.alloc_num()
                else:
                    self.next_node_num = max(self.next_node_num, node["node_num"] + 1)
                state = self.fresh_state()
                given_state = copy.deepcopy(given_state)
                state["admin_state"].update(given_state.pop("admin_state", {}) or {})
                state.update(given_state)
                self.nodes[node["id"]] = {"node": node, "state": state}

    # -- Admin API operations: each returns (status, body) ------------------
    def upsert(self, body) -> tuple[int, object]:
        """POST /admin/v1/nodes (and PUT /admin/v1/nodes/:id in current)."""
        with self.lock:
            if self.release == "old":
                return self._upsert_old(body)
            return self._upsert_current(body)

    def _upsert_old(self, body):
        try:
            validate_node(body)
        except ValidationError as exc:
            return 400, {"error": exc.bind or str(exc)}
        approved = set(self.approved_models)
        if any(m not in approved for m in body["models"]):
            return 500, {"error": "error creating new node"}
        old = self.nodes.get(body["id"])
        num = old["node"]["node_num"] if old else self.alloc_num()
        node = make_node(body, num)
        self.nodes[node["id"]] = {"node": node, "state": self.fresh_state()}
        return 200, copy.deepcopy(node)

    def _upsert_current(self, body):
        existing = isinstance(body, dict) and isinstance(body.get("id"), str) \
            and body.get("id") in self.nodes
        prefix = "failed to update node: " if existing else "failed to create node: "
        fail = 500 if existing else 400
        try:
            validate_node(body)
        except ValidationError as exc:
            if not isinstance(body, dict):
                return 400, {"error": exc.bind}
            return fail, {"error": prefix + "validation failed: " + str(exc)}
        approved = set(self.approved_models)
        if existing:
            bad = [m for m in body["models"] if m not in approved]
            if bad:
                return 500, {"error": prefix + "model %s is not a valid governance model"
                             % bad[0]}
            entry = self.nodes[body["id"]]
            node = make_node(body, entry["node"]["node_num"])
            msg = self.conflict(node, exclude=node["id"])
            if msg:
                return 500, {"error": prefix + "validation failed: " + msg}
            entry["node"] = node            # state (admin state included) kept
            return 200, copy.deepcopy(node)
        status, result = self._register_new_current(body)
        if status != 200:
            return status, {"error": prefix + result}
        return 200, copy.deepcopy(result)

    def _register_new_current(self, body, replace: bool = False):
        """Filter models, check host:ports, register.  (200, node) or (400, msg)."""
        approved = set(self.approved_models)
        filtered = dict(body)
        filtered["models"] = {m: c for m, c in body["models"].items() if m in approved}
        if not filtered["models"]:
            return 400, "node %s has no governance-valid models" % body["id"]
        old = self.nodes.get(body["id"]) if replace else None
        node = make_node(filtered, old["node"]["node_num"] if old else 0)
        msg = self.conflict(node, exclude=body["id"] if replace else None)
        if msg:
            return 400, "validation failed: " + msg
        if not old:
            node["node_num"] = self.alloc_num()
        self.nodes[node["id"]] = {"node": node, "state": self.fresh_state()}
        return 200, node

    def batch(self, body) -> tuple[int, object]:
        """POST /admin/v1/nodes/batch."""
        with self.lock:
            if not isinstance(body, list):
                return 400, {"error": "json: cannot unmarshal %s into Go value of type "
                                      "[]apiconfig.InferenceNodeConfig" % _json_kind(body)}
            if self.release == "old":
                return self._batch_old(body)
            return self._batch_current(body)

    def _batch_old(self, body):
        registered = []
        for item in body:
            status, result = self._upsert_old(item)
            if status == 200:
                registered.append(result)
        return 201, (registered or None)

    def _batch_current(self, body):
        nodes, errors = [], []
        for i, item in enumerate(body):
            nid = item.get("id") if isinstance(item, dict) else None
            nid = nid if isinstance(nid, str) else ""
            try:
                validate_node(item)
            except ValidationError as exc:
                errors.append("node[%d] (id: %s): code=400, message=failed to create node: "
                              "validation failed: %s" % (i, nid, exc))
                continue
            old = self.nodes.get(nid)
            if old and all(old["node"][k] == item[k]
                           for k in ("host", "inference_port", "poc_port")):
                errors.append("node[%d] (id: %s): code=400, message=failed to create node: "
                              "validation failed: host:port %s:%d already used by node %s"
                              % (i, nid, item["host"], item["inference_port"], nid))
                continue
            status, result = self._register_new_current(item, replace=bool(old))
            if status != 200:
                errors.append("node[%d] (id: %s): code=%d, message=failed to create node: %s"
                              % (i, nid, status, result))
                continue
            if old:
                self.duplicates[nid] = self.duplicates.get(nid, 0) + 1
            nodes.append(copy.deepcopy(result))
        if not errors:
            return 201, (nodes or None)
        if not nodes:
            return 400, {"error": {"error": "all nodes failed validation", "errors": errors}}
        return 206, {"nodes": nodes, "errors": errors}

    def delete(self, node_id: str):
        with self.lock:
            return 200, self.nodes.pop(node_id, None) is not None

    def set_enabled(self, node_id: str, enabled: bool):
        with self.lock:
            entry = self.nodes.get(node_id)
            if entry is None:
                return 404, {"error": "node not found: %s" % node_id}
            entry["state"]["admin_state"]["enabled"] = enabled
            word = "enabled" if enabled else "disabled"
            return 200, {"message": "node %s successfully" % word, "node_id": node_id}

    def list_nodes(self):
        with self.lock:
            return 200, copy.deepcopy(list(self.nodes.values()))

    def governance_models(self):
        with self.lock:
            return 200, {"models": [
                {"id": m, "units_of_compute_per_token": "100", "hf_repo": m,
                 "hf_commit": hashlib.sha1(m.encode()).hexdigest()}
                for m in self.approved_models]}

    def current_participants(self):
        with self.lock:
            return 200, {
                "active_participants": {
                    "participants": copy.deepcopy(self.participants),
                    "epoch_group_id": self.epoch_group_id,
                    "poc_start_block_height": 1000,
                    "created_at_block_height": 1010,
                },
                "addresses": [p.get("index", "") for p in self.participants],
                "block": [],
            }

    # -- faults --------------------------------------------------------------
    def take_fault(self, method: str, path: str) -> dict | None:
        """The first matching fault rule, with one of its uses consumed."""
        with self.lock:
            for rule in self.faults:
                if rule["method"] and rule["method"].upper() != method:
                    continue
                if not re.search(rule["path"], path):
                    continue
                if rule["times"] is not None:
                    rule["times"] -= 1
                    if rule["times"] <= 0:
                        self.faults.remove(rule)
                return dict(rule)
        return None


_ADMIN_ID = re.compile(r"^/admin/v1/nodes/([^/]+)$")
_ADMIN_ACTION = re.compile(r"^/admin/v1/nodes/([^/]+)/(enable|disable)$")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GonkaSim/1.0"
    sim: SimState  # set on the subclass made per server

    def log_message(self, format, *args):  # noqa: A002 - silent
        pass

    def address_string(self):  # no reverse DNS
        return self.client_address[0]

    def _send(self, status: int, body) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read_body(self):
        """(raw text, parsed JSON or raw text or None, parse ok)."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        if not raw.strip():
            return raw, None, False
        try:
            return raw, json.loads(raw), True
        except ValueError:
            return raw, raw, False

    def _handle(self):
        path = urlsplit(self.path).path
        raw, body, parsed = self._read_body()
        if path.startswith("/_sim/") or path == "/_sim":
            status, out = self._control(path, body, parsed)
            self._send(status, out)
            return
        method = self.command
        entry = {"method": method, "path": path, "body": body, "status": None}
        fault = self.sim.take_fault(method, path)
        if fault:
            if fault.get("delay"):
                time.sleep(float(fault["delay"]))
            if fault.get("drop"):
                entry["status"] = "dropped"
                with self.sim.lock:
                    self.sim.requests.append(entry)
                self.close_connection = True
                return
            if fault.get("status"):
                status = int(fault["status"])
                out = fault.get("body")
                if out is None:
                    out = {"error": "simulated fault"}
                entry["status"] = status
                with self.sim.lock:
                    self.sim.requests.append(entry)
                self._send(status, out)
                return
        status, out = self._route(method, path, raw, body, parsed)
        entry["status"] = status
        with self.sim.lock:
            self.sim.requests.append(entry)
        self._send(status, out)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    # -- routing ---------------------------------------------------------------
    def _bind(self, raw, body, parsed):
        """The echo-style bind error for a body that is not JSON, or None."""
        if parsed:
            return None
        if not raw.strip():
            return {"error": "EOF"}
        m = re.search(r"\S", raw)
        return {"error": "invalid character %r looking for beginning of value"
                % (m.group(0) if m else "")}

    def _route(self, method, path, raw, body, parsed):
        sim = self.sim
        if path == "/admin/v1/nodes":
            if method == "GET":
                return sim.list_nodes()
            if method == "POST":
                err = self._bind(raw, body, parsed)
                return (400, err) if err else sim.upsert(body)
            return 405, NOT_ALLOWED
        if path == "/admin/v1/nodes/batch":
            if method == "POST":
                err = self._bind(raw, body, parsed)
                return (400, err) if err else sim.batch(body)
            if method == "PUT" and sim.release == "current":
                pass  # falls through to PUT /nodes/:id below, id "batch"
            else:
                return 405, NOT_ALLOWED
        m = _ADMIN_ID.match(path)
        if m:
            node_id = unquote(m.group(1))
            if method == "DELETE":
                return sim.delete(node_id)
            if method == "PUT" and sim.release == "current":
                err = self._bind(raw, body, parsed)
                return (400, err) if err else sim.upsert(body)  # path id ignored
            return 405, NOT_ALLOWED
        m = _ADMIN_ACTION.match(path)
        if m:
            if method != "POST":
                return 405, NOT_ALLOWED
            return sim.set_enabled(unquote(m.group(1)), m.group(2) == "enable")
        if path == "/v1/governance/models":
            return sim.governance_models() if method == "GET" else (405, NOT_ALLOWED)
        if path == "/v1/epochs/current/participants":
            return sim.current_participants() if method == "GET" else (405, NOT_ALLOWED)
        return 404, NOT_FOUND

    def _control(self, path, body, parsed):
        sim, method = self.sim, self.command
        name = path[len("/_sim/"):].strip("/")
        try:
            if name == "requests":
                if method == "GET":
                    with sim.lock:
                        return 200, copy.deepcopy(sim.requests)
                if method == "DELETE":
                    with sim.lock:
                        sim.requests.clear()
                    return 200, True
            elif name == "reset" and method == "POST":
                release = body.get("release") if isinstance(body, dict) else None
                sim.reset(release)
                return 200, sim.snapshot()
            elif name == "state" and method == "GET":
                return 200, sim.snapshot()
            elif name == "release" and method == "PUT":
                release = body.get("release") if isinstance(body, dict) else body
                if release not in RELEASES:
                    return 400, {"error": "release must be one of %s" % (RELEASES,)}
                with sim.lock:
                    sim.release = release
                return 200, sim.snapshot()
            elif name == "approved_models" and method == "PUT":
                if not isinstance(body, list) or not all(isinstance(m, str) for m in body):
                    return 400, {"error": "body must be a list of model ids"}
                with sim.lock:
                    sim.approved_models = list(dict.fromkeys(body))
                return 200, sim.approved_models
            elif name == "participants" and method == "PUT":
                if isinstance(body, dict):
                    with sim.lock:
                        sim.epoch_group_id = body.get("epoch_group_id", sim.epoch_group_id)
                    body = body.get("participants")
                if not isinstance(body, list):
                    return 400, {"error": "body must be a list of participants"}
                with sim.lock:
                    sim.participants = body
                return 200, body
            elif name == "nodes" and method == "PUT":
                if not isinstance(body, list) or not all(isinstance(s, dict) for s in body):
                    return 400, {"error": "body must be a list of node seeds"}
                sim.seed_nodes(body)
                return 200, sim.snapshot()["nodes"]
            elif name == "faults":
                if method == "POST":
                    if not isinstance(body, dict):
                        return 400, {"error": "body must be a fault object"}
                    rule = {
                        "method": body.get("method"),
                        "path": body.get("path") or ".*",
                        "times": body.get("times", 1),
                        "status": body.get("status"),
                        "body": body.get("body"),
                        "delay": body.get("delay") or 0,
                        "drop": bool(body.get("drop")),
                    }
                    re.compile(rule["path"])
                    with sim.lock:
                        sim.faults.append(rule)
                    return 200, rule
                if method == "GET":
                    with sim.lock:
                        return 200, copy.deepcopy(sim.faults)
                if method == "DELETE":
                    with sim.lock:
                        sim.faults.clear()
                    return 200, True
            else:
                return 404, NOT_FOUND
            return 405, NOT_ALLOWED
        except (ValueError, re.error) as exc:
            return 400, {"error": str(exc)}


class Simulator:
    """A running simulator: ``url``, ``state``, ``stop()``; a context manager."""

    def __init__(self, release: str = "current", host: str = "127.0.0.1", port: int = 0):
        self.state = SimState(release)
        handler = type("BoundHandler", (Handler,), {"sim": self.state})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.host, self.port = self.server.server_address[:2]
        self.url = "http://%s:%d" % (self.host, self.port)
        self._thread: threading.Thread | None = None

    def start(self) -> "Simulator":
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="gonka-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(5)
            self._thread = None
        self.server.server_close()

    # conveniences mirroring the control API
    def reset(self, release: str | None = None) -> None:
        self.state.reset(release)

    def snapshot(self) -> dict:
        return self.state.snapshot()

    @property
    def requests(self) -> list:
        with self.state.lock:
            return copy.deepcopy(self.state.requests)

    def __enter__(self) -> "Simulator":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start(release: str = "current", host: str = "127.0.0.1", port: int = 0) -> Simulator:
    """Start a simulator in a background thread and return it."""
    return Simulator(release, host, port).start()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Gonka network-node Admin API simulator")
    ap.add_argument("--release", choices=RELEASES, default="current")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9200)
    ap.add_argument("--pidfile")
    args = ap.parse_args(argv)
    sim = start(args.release, args.host, args.port)
    if args.pidfile:
        with open(args.pidfile, "w") as fh:
            fh.write("%d\n" % os.getpid())
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    print("listening on %s" % sim.url, flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        sim.stop()
        if args.pidfile:
            try:
                os.unlink(args.pidfile)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
