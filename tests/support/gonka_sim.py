#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Simulator of a Gonka network node's Admin API (port 9200), one profile per
release line, each built from the upstream Go source at the release commit.

Standard library only, one self-contained file: the deploy stand-in image copies
it next to its own script.

Profiles (the code is the authority; file paths are under ``decentralized-api/``
of github.com/gonka-ai/gonka, commits as carried by kaitakuai/gonka):

=========  =====================  ===========================================
profile    releases               source commit
=========  =====================  ===========================================
aug2025    v0.2.0 (Aug 2025)      f653fa57057b66b590e3d2d2f7f9d577f1514439
v0.2.5     v0.2.5 .. v0.2.8       0becc23a89afae323f07a4bebe9ce289212db738
v0.2.9     v0.2.9 .. v0.2.11      bd1fd5083af80e4c8b50596becd15b042c36f0d7
v0.2.12    v0.2.12 .. v0.2.13     d8b8e9073d1a420d344d3ecc33ef23957f4142b1
v0.2.14    v0.2.14                ee730031decedd2428aa56c65084ae5ab33d9192
=========  =====================  ===========================================

The v0.2.9 profile enforces a model as the real api container does: ENFORCED_MODEL_ID
(default Qwen/Qwen3-235B-A22B-Instruct-2507-FP8; ``none`` turns it off) and
ENFORCED_MODEL_ARGS are read from the environment, or set with PUT /_sim/enforced_model.

Old names stay accepted: ``old`` = aug2025, ``current`` = v0.2.14 (the newest
release read; mainnet's v0.2.15 source was not available). Any ``v0.2.N`` of a
line maps to its profile (``v0.2.7`` -> v0.2.5).

Python API::

    from tests.support import gonka_sim
    with gonka_sim.start("v0.2.12") as sim:
        sim.url             # "http://127.0.0.1:41234"
        sim.state           # live SimState (hold sim.state.lock to mutate)
        sim.snapshot()      # same dict as GET /_sim/state

Script::

    python tests/support/gonka_sim.py --release v0.2.14 --host 127.0.0.1 --port 9200 [--pidfile F]

Control API (JSON in and out), never logged and never faulted:

    GET    /_sim/requests         request log of non-/_sim calls
    DELETE /_sim/requests         clear the log
    POST   /_sim/reset            clear everything; optional body {"release": NAME}
    GET    /_sim/state            {"release","profile","approved_models","nodes",
                                   "config_nodes","duplicates",...}
    PUT    /_sim/release          body NAME or {"release": NAME}
    PUT    /_sim/approved_models  body ["model", ...]
    PUT    /_sim/enforced_model   body null (off, ENFORCED_MODEL_ID=none) or
                                  {"id": model, "args": [...]} (v0.2.9 profile)
    PUT    /_sim/participants     body [participant, ...]
    PUT    /_sim/nodes            body [{"node": {...}, "state": {...}} | node, ...]
    PUT    /_sim/upgrade          body {"plan_version": "v3.0.9", "alive_versions": [...]}
    PUT    /_sim/mlnode_health    body {"<node id>": false, ...}
    POST   /_sim/faults           body {"method","path","times","status","body","delay","drop"}
    GET    /_sim/faults           the pending fault rules
    DELETE /_sim/faults           clear fault rules
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import random
import re
import signal
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

QWEN235 = "Qwen/Qwen3-235B-A22B-Instruct-2507-FP8"
DEFAULT_APPROVED_MODELS = [
    QWEN235,
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

# The chain's ML node version (not the image tag): every release builds
# http://<host>:<port>/<version><segment> with it (broker Node.*UrlWithVersion).
CHAIN_MLNODE_VERSION = "v3.0.8"


class Profile:
    """What one release line does, read from its source (see each attribute's comment)."""

    def __init__(self, name, releases, commit, **facts):
        self.name = name
        self.releases = releases
        self.commit = commit
        # apiconfig/config.go InferenceNodeConfig and broker/broker.go Node carry
        # `version` only in v0.2.0 (removed by v0.2.4).
        self.version_field = facts.get("version_field", False)
        # internal/server/admin/node_handlers.go: v0.2.0 has no validation and no
        # UpdateNode; POST nodes always re-registers (RegisterNode, new node_num,
        # fresh state) and appends the node to the config again.
        self.upsert = facts.get("upsert", True)
        # broker/node_admin_commands.go RegisterNode, a model outside the governance list:
        # "500" (v0.2.0: nil node -> errors.New("error creating new node") -> 500),
        # "400" (v0.2.5-v0.2.11: "one or more models are not valid governance models"),
        # "drop" (v0.2.12+: delete(c.Node.Models, id); 400 only when none is left).
        self.unapproved = facts.get("unapproved", "400")
        # middleware/error_handler.go TransparentErrorHandler + echo Bind: v0.2.0 wraps the
        # bind error (an *echo.HTTPError) in NewHTTPError(400, err) -> {"error": {"message": ...}};
        # v0.2.5+ formats it: "invalid request body: code=400, message=..., internal=...".
        self.bind_error_object = facts.get("bind_error_object", False)
        # broker/enforced_model.go (v0.2.9 .. v0.2.11): EnforceModel replaces the models of a
        # node that lacks ENFORCED_MODEL_ID (default Qwen3-235B, TP 4, max-model-len 240000).
        self.enforced_model = facts.get("enforced_model")
        # broker/broker.go NodeState fields beyond the v0.2.0 set.
        self.state_extra = facts.get("state_extra", {})
        # server.go routes beyond v0.2.0's: PUT nodes/:id, upgrade-status, version-status,
        # setup/report, config, export/db (all v0.2.4+).
        self.v024_routes = facts.get("v024_routes", True)
        # setup_report.go: feegrant_allowance check from v0.2.12.
        self.feegrant_check = facts.get("feegrant_check", False)

    def describe(self):
        return {"profile": self.name, "releases": self.releases, "commit": self.commit}


PROFILES = {
    "aug2025": Profile("aug2025", "v0.2.0 (Aug 2025)", "f653fa57057b66b590e3d2d2f7f9d577f1514439",
                       version_field=True, upsert=False, unapproved="500", bind_error_object=True,
                       v024_routes=False),
    "v0.2.5": Profile("v0.2.5", "v0.2.5 .. v0.2.8", "0becc23a89afae323f07a4bebe9ce289212db738"),
    "v0.2.9": Profile("v0.2.9", "v0.2.9 .. v0.2.11", "bd1fd5083af80e4c8b50596becd15b042c36f0d7",
                      enforced_model=(QWEN235, ["--tensor-parallel-size", "4", "--max-model-len", "240000"])),
    "v0.2.12": Profile("v0.2.12", "v0.2.12 .. v0.2.13", "d8b8e9073d1a420d344d3ecc33ef23957f4142b1",
                       unapproved="drop", feegrant_check=True,
                       state_extra={"ml_node_version": "", "preserved_models": None}),
    "v0.2.14": Profile("v0.2.14", "v0.2.14", "ee730031decedd2428aa56c65084ae5ab33d9192",
                       unapproved="drop", feegrant_check=True,
                       state_extra={"ml_node_version": "", "poc_validation_inference": False,
                                    "preserved_models": None}),
}
PROFILE_NAMES = tuple(PROFILES)
ALIASES = {"old": "aug2025", "v0.2.0": "aug2025", "current": "v0.2.14",
           "v0.2.6": "v0.2.5", "v0.2.7": "v0.2.5", "v0.2.8": "v0.2.5",
           "v0.2.10": "v0.2.9", "v0.2.11": "v0.2.9", "v0.2.13": "v0.2.12"}
RELEASES = PROFILE_NAMES + tuple(ALIASES)


def profile_name(release):
    """The profile a release name (profile, alias or v0.2.N) stands for; ValueError if none."""
    name = ALIASES.get(release, release)
    if name not in PROFILES:
        raise ValueError("release must be one of %s" % ", ".join(RELEASES))
    return name


def _now():
    return datetime.now(timezone.utc)


def _go_time(when):
    """Go's time.Time JSON form (RFC 3339 with nanoseconds)."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


# -- echo's Bind of an InferenceNodeConfig (encoding/json semantics) -----------------

class BindError(Exception):
    """What echo's DefaultBinder returns: ``message`` (the HTTPError's) and ``internal``."""

    def __init__(self, message, internal):
        super().__init__(message)
        self.message = message
        self.internal = internal


def _json_kind(value):
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


def _offset(raw, field):
    """Byte offset just after ``"field": <value>`` in ``raw`` (where Go stops), best effort."""
    match = re.search(r'"%s"\s*:\s*' % re.escape(field), raw)
    if not match:
        return len(raw)
    try:
        end = json.JSONDecoder().raw_decode(raw, match.end())[1]
    except ValueError:
        return len(raw)
    return end


def _type_error(raw, gotype, value, field, struct="InferenceNodeConfig"):
    got = _json_kind(value)
    if isinstance(value, float) or (gotype in ("int", "uint32") and got == "number"):
        got = "number %s" % json.dumps(value)
    message = "Unmarshal type error: expected=%s, got=%s, field=%s, offset=%d" % (
        gotype, got, field, _offset(raw, field.split(".")[-1]) if field else 1)
    where = "Go struct field %s.%s" % (struct, field) if field else "Go value"
    internal = "json: cannot unmarshal %s into %s of type %s" % (got.split(" ")[0], where, gotype)
    return BindError(message, internal)


def _decode(raw):
    """``json.Decoder.Decode``: the first value of the body; trailing data is not read."""
    text = raw.lstrip()
    if not text:
        raise BindError("EOF", "EOF")
    try:
        return json.JSONDecoder().raw_decode(text)[0]
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()):
            raise BindError("unexpected EOF", "unexpected EOF")
        char = text[exc.pos]
        detail = "invalid character %r looking for beginning of value" % char
        raise BindError("Syntax error: offset=%d, error=%s" % (exc.pos + 1, detail), detail)


def bind_config(value, raw, profile):
    """An ``apiconfig.InferenceNodeConfig`` decoded from ``value``: every field zero-filled,
    unknown keys (such as ``model_override``) dropped, JSON null leaving the zero value."""
    if not isinstance(value, dict):
        raise _type_error(raw, "apiconfig.InferenceNodeConfig", value, "")
    cfg = {"host": "", "inference_segment": "", "inference_port": 0, "poc_segment": "", "poc_port": 0,
           "models": None, "id": "", "max_concurrent": 0, "hardware": None}
    if profile.version_field:
        cfg["version"] = ""
    first_error = None
    for key, item in value.items():
        if key not in cfg or item is None:
            continue
        try:
            cfg[key] = _bind_field(key, item, raw)
        except BindError as exc:
            first_error = first_error or exc  # Go keeps decoding and reports the first error
    if first_error:
        raise first_error
    return cfg


def _bind_field(key, item, raw):
    if key in ("host", "inference_segment", "poc_segment", "id", "version"):
        if not isinstance(item, str):
            raise _type_error(raw, "string", item, key)
        return item
    if key in ("inference_port", "poc_port", "max_concurrent"):
        if isinstance(item, bool) or not isinstance(item, int):
            raise _type_error(raw, "int", item, key)
        return item
    if key == "models":
        if not isinstance(item, dict):
            raise _type_error(raw, "map[string]apiconfig.ModelConfig", item, key)
        models = {}
        for name, conf in item.items():
            if conf is None:
                models[name] = {"args": None}
                continue
            if not isinstance(conf, dict):
                raise _type_error(raw, "apiconfig.ModelConfig", conf, "models." + name)
            args = conf.get("args")
            if args is not None and not isinstance(args, list):
                raise _type_error(raw, "[]string", args, "models.args", "ModelConfig")
            for arg in args or []:
                if not isinstance(arg, str):
                    raise _type_error(raw, "string", arg, "models.args", "ModelConfig")
            models[name] = {"args": list(args) if args is not None else None}
        return models
    if key == "hardware":
        if not isinstance(item, list):
            raise _type_error(raw, "[]apiconfig.Hardware", item, key)
        out = []
        for hw in item:
            if not isinstance(hw, dict):
                raise _type_error(raw, "apiconfig.Hardware", hw, key)
            gpu, count = hw.get("type", ""), hw.get("count", 0)
            if gpu is not None and not isinstance(gpu, str):
                raise _type_error(raw, "string", gpu, "hardware.type", "Hardware")
            if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
                raise _type_error(raw, "uint32", count, "hardware.count", "Hardware")
            out.append({"type": gpu or "", "count": count or 0})
        return out
    raise AssertionError(key)  # pragma: no cover


def validate_basic(cfg):
    """apiconfig.ValidateInferenceNodeBasic (v0.2.5+): every problem, in this order."""
    errors = []
    if not cfg["id"].strip():
        errors.append("node id is required and cannot be empty")
    if not cfg["host"].strip():
        errors.append("host is required and cannot be empty")
    if not 0 < cfg["inference_port"] <= 65535:
        errors.append("inference_port must be between 1 and 65535, got %d" % cfg["inference_port"])
    if not 0 < cfg["poc_port"] <= 65535:
        errors.append("poc_port must be between 1 and 65535, got %d" % cfg["poc_port"])
    if cfg["max_concurrent"] <= 0:
        errors.append("max_concurrent must be greater than 0, got %d" % cfg["max_concurrent"])
    if not cfg["models"]:
        errors.append("at least one model must be specified")
    return errors


class HTTPError(Exception):
    """echo.NewHTTPError(status, message): answered as {"error": message}."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message

    def go_error(self):
        """echo's HTTPError.Error() (no internal error set)."""
        return "code=%d, message=%s" % (self.status, self.message)


# -- the simulated api container --------------------------------------------------------

class SimState:
    """Everything the simulator holds. Mutate only while holding ``lock``."""

    def __init__(self, release="current"):
        self.lock = threading.RLock()
        self.release = release
        self.reset(release)

    @property
    def profile(self):
        return PROFILES[profile_name(self.release)]

    def reset(self, release=None):
        with self.lock:
            if release is not None:
                profile_name(release)  # ValueError for an unknown name
                self.release = release
            self.approved_models = list(DEFAULT_APPROVED_MODELS)
            self.enforced_model = self._enforced_from_env(self.profile.enforced_model)
            self.participants = copy.deepcopy(DEFAULT_PARTICIPANTS)
            self.epoch_group_id = 42
            self.epoch = 0
            self.nodes = {}            # broker.nodes: id -> {"node", "state"} (a Go map: no order)
            self.config_nodes = []     # the api's config Nodes list (what setup/report reads)
            self.max_node_num = 0      # broker.curMaxNodesNum
            self.upgrade_plan_version = ""
            self.alive_versions = {CHAIN_MLNODE_VERSION}
            self.mlnode_health = {}
            self.requests = []
            self.faults = []
            self.shuffle = random.Random()

    @staticmethod
    def _enforced_from_env(default):
        """getEnforcedModel (broker/enforced_model.go): ENFORCED_MODEL_ID (``none``/``disabled``
        turn it off) and ENFORCED_MODEL_ARGS, as the api container reads them."""
        if default is None:
            return None
        model = os.environ.get("ENFORCED_MODEL_ID") or default[0]
        if model in ("none", "disabled"):
            return None
        args = os.environ.get("ENFORCED_MODEL_ARGS")
        return (model, args.split() if args else list(default[1]))

    # -- helpers -------------------------------------------------------------------
    def fresh_state(self):
        """RegisterNode's initial NodeState (broker/node_admin_commands.go)."""
        state = {
            "intended_status": "UNKNOWN",
            "current_status": "UNKNOWN",
            "poc_intended_status": "IDLE",
            "poc_current_status": "IDLE",
            "lock_count": 0,
            "failure_reason": "",
            "status_timestamp": _go_time(_now()),
            "admin_state": {"enabled": True, "epoch": self.epoch},
            "epoch_models": {},
            "epoch_ml_nodes": {},
        }
        state.update(copy.deepcopy(self.profile.state_extra))
        return state

    def broker_node(self, cfg, node_num):
        """broker.Node built from a config (``models`` become ModelArgs, ``version`` v0.2.0 only)."""
        node = {
            "host": cfg["host"], "inference_segment": cfg["inference_segment"],
            "inference_port": cfg["inference_port"], "poc_segment": cfg["poc_segment"],
            "poc_port": cfg["poc_port"],
            "models": None if cfg["models"] is None else dict(
                (m, {"args": copy.deepcopy(c["args"])}) for m, c in cfg["models"].items()),
            "id": cfg["id"], "max_concurrent": cfg["max_concurrent"], "node_num": node_num,
            "hardware": copy.deepcopy(cfg["hardware"]),
        }
        if self.profile.version_field:
            node["version"] = cfg.get("version", "")
        return node

    def config_from_node(self, node):
        """syncNodesWithConfig: the config entry rebuilt from a broker node (no version)."""
        keys = ("host", "inference_segment", "inference_port", "poc_segment", "poc_port", "models", "id",
                "max_concurrent", "hardware")
        cfg = dict((k, copy.deepcopy(node[k])) for k in keys)
        if self.profile.version_field:
            cfg["version"] = ""
        return cfg

    def sync_config(self):
        """syncNodesWithConfig (after DELETE and update): config = broker nodes, duplicates gone."""
        self.config_nodes = [self.config_from_node(e["node"]) for e in self.nodes.values()]

    def duplicates(self):
        counts = {}
        for cfg in self.config_nodes:
            counts[cfg["id"]] = counts.get(cfg["id"], 0) + 1
        return dict((nid, n - 1) for nid, n in counts.items() if n > 1)

    def snapshot(self):
        with self.lock:
            return copy.deepcopy({
                "release": self.release,
                "profile": self.profile.describe(),
                "approved_models": list(self.approved_models),
                "enforced_model": self.enforced_model,
                "nodes": list(self.nodes.values()),
                "config_nodes": self.config_nodes,
                "duplicates": self.duplicates(),
                "participants": self.participants,
                "faults": self.faults,
            })

    def seed_nodes(self, seeds):
        """Replace all nodes with ``seeds`` (no validation, defaults filled), as if loaded
        from node-config.json at start-up."""
        with self.lock:
            self.nodes, self.config_nodes = {}, []
            for seed in seeds:
                if isinstance(seed.get("node"), dict):
                    given_node, given_state = seed["node"], copy.deepcopy(seed.get("state") or {})
                else:
                    given_node, given_state = seed, {}
                base = {"host": "", "inference_segment": "", "inference_port": 5050, "poc_segment": "",
                        "poc_port": 8080, "models": {}, "id": "", "max_concurrent": 500, "hardware": None,
                        "version": ""}
                base.update(copy.deepcopy(given_node))
                num = base.pop("node_num", None)
                if num is None:
                    self.max_node_num += 1
                    num = self.max_node_num
                self.max_node_num = max(self.max_node_num, num)
                node = self.broker_node(base, num)
                state = self.fresh_state()
                state["admin_state"].update(given_state.pop("admin_state", {}) or {})
                state.update(given_state)
                self.nodes[node["id"]] = {"node": node, "state": state}
                self.config_nodes.append(self.config_from_node(node))

    def _governance_filter(self, cfg):
        return [m for m in (cfg["models"] or {}) if m not in self.approved_models]

    def _enforce_model(self, cfg):
        """broker/enforced_model.go EnforceModel (v0.2.9 .. v0.2.11)."""
        if self.enforced_model and self.enforced_model[0] not in (cfg["models"] or {}):
            cfg["models"] = {self.enforced_model[0]: {"args": list(self.enforced_model[1])}}

    def _duplicates(self, cfg, exclude):
        """validateInferenceNode's duplicate checks (Go map order: the first found)."""
        errors = []
        for label, field in (("inference", "inference_port"), ("PoC", "poc_port")):
            for other_id, entry in self.nodes.items():
                if exclude and other_id == exclude:
                    continue
                if entry["node"]["host"] == cfg["host"] and entry["node"][field] == cfg[field]:
                    errors.append("duplicate %s host+port combination: %s:%d (already used by node '%s')"
                                  % (label, cfg["host"], cfg[field], other_id))
                    break
        return errors

    def _register(self, cfg):
        """broker RegisterNode: (config answered) or raises HTTPError as addNode words it."""
        profile = self.profile
        if profile.upsert:  # v0.2.5+
            if profile.enforced_model is not None:
                self._enforce_model(cfg)
            errors = validate_basic(cfg) + self._duplicates(cfg, exclude="")
            if errors:
                raise HTTPError(400, "failed to create node: validation failed: " + "; ".join(errors))
        bad = self._governance_filter(cfg)
        if bad and profile.unapproved == "500":
            raise HTTPError(500, "error creating new node")
        if bad and profile.unapproved == "400":
            raise HTTPError(400, "failed to create node: one or more models are not valid governance "
                                 "models. Check logs for details.")
        for model in bad:
            del cfg["models"][model]
        if profile.unapproved == "drop" and not cfg["models"]:
            raise HTTPError(400, "failed to create node: node %s has no governance-valid models" % cfg["id"])
        self.max_node_num += 1
        self.nodes[cfg["id"]] = {"node": self.broker_node(cfg, self.max_node_num), "state": self.fresh_state()}
        # addNode: append(configManager.GetNodes(), *node) -- a second entry for a re-registered id
        self.config_nodes.append(copy.deepcopy(cfg))
        return cfg

    def _update(self, cfg):
        """broker UpdateNode (v0.2.5+): config replaced, node_num and state kept."""
        existing = self.nodes[cfg["id"]]
        if self.profile.enforced_model is not None:
            self._enforce_model(cfg)
        errors = validate_basic(cfg) + self._duplicates(cfg, exclude=cfg["id"])
        if errors:
            raise HTTPError(500, "failed to update node: validation failed: " + "; ".join(errors))
        bad = self._governance_filter(cfg)
        if bad:
            raise HTTPError(500, "failed to update node: model %s is not a valid governance model" % bad[0])
        existing["node"] = self.broker_node(cfg, existing["node"]["node_num"])
        self.sync_config()
        return cfg

    # -- Admin API operations: each returns (status, body) -------------------------------
    def bind_error(self, exc):
        """How a failed Bind is answered on this release."""
        if self.profile.bind_error_object:
            return 400, {"error": {"message": exc.message}}
        return 400, {"error": "invalid request body: code=400, message=%s, internal=%s" % (exc.message, exc.internal)}

    def upsert(self, body, raw=None):
        """POST /admin/v1/nodes (and PUT /admin/v1/nodes/:id from v0.2.4: the path id is ignored)."""
        with self.lock:
            raw = json.dumps(body) if raw is None else raw
            try:
                cfg = bind_config(body, raw, self.profile) if body is not None else bind_config({}, raw, self.profile)
            except BindError as exc:
                return self.bind_error(exc)
            try:
                if self.profile.upsert and cfg["id"] in self.nodes:
                    return 200, copy.deepcopy(self._update(cfg))
                return 200, copy.deepcopy(self._register(cfg))
            except HTTPError as exc:
                return exc.status, {"error": exc.message}

    def batch(self, body, raw=None):
        """POST /admin/v1/nodes/batch: RegisterNode for every entry, existing ids too."""
        with self.lock:
            raw = json.dumps(body) if raw is None else raw
            if body is None:
                body = []
            if not isinstance(body, list):
                return self.bind_error(_type_error(raw, "[]apiconfig.InferenceNodeConfig", body, ""))
            try:
                configs = [bind_config(item, raw, self.profile) for item in body]
            except BindError as exc:
                return self.bind_error(exc)
            out, errors = [], []
            for index, cfg in enumerate(configs):
                try:
                    out.append(copy.deepcopy(self._register(cfg)))
                except HTTPError as exc:
                    errors.append("node[%d] (id: %s): %s" % (index, cfg["id"], exc.go_error()))
            if not self.profile.upsert or not errors:
                return 201, (out or None)  # v0.2.0 leaves failures out without a word
            if not out:
                return 400, {"error": {"error": "all nodes failed validation", "errors": errors}}
            return 206, {"nodes": out, "errors": errors}

    def delete(self, node_id):
        """DELETE nodes/:id: bare true / false, then the config is rebuilt from the broker."""
        with self.lock:
            found = self.nodes.pop(node_id, None) is not None
            self.sync_config()
            return 200, found

    def set_enabled(self, node_id, enabled):
        with self.lock:
            entry = self.nodes.get(node_id)
            if entry is None:
                return 404, {"error": "node not found: %s" % node_id}
            entry["state"]["admin_state"] = {"enabled": enabled, "epoch": self.epoch}
            return 200, {"message": "node %s successfully" % ("enabled" if enabled else "disabled"),
                         "node_id": node_id}

    def list_nodes(self):
        """GET nodes: ranges over a Go map, so the order changes from call to call."""
        with self.lock:
            items = copy.deepcopy(list(self.nodes.values()))
            self.shuffle.shuffle(items)
            return 200, items

    def _version_reports(self, version):
        """Broker.CheckVersionHealth: one {is_alive, error?} per node id."""
        reports = {}
        for node_id, entry in self.nodes.items():
            node = entry["node"]
            if version in self.alive_versions:
                reports[node_id] = {"is_alive": True}
            else:
                url = "http://%s:%d/%s%s/api/v1/state" % (node["host"], node["poc_port"], version,
                                                          node["poc_segment"])
                reports[node_id] = {"is_alive": False, "error": "Get \"%s\": 404 Not Found" % url}
        return reports

    def upgrade_status(self):
        with self.lock:
            if not self.upgrade_plan_version:
                return 200, {"message": "No upgrade plan active"}
            return 200, self._version_reports(self.upgrade_plan_version)

    def version_status(self, body, parsed):
        with self.lock:
            if not parsed and body is not None or (body is not None and not isinstance(body, dict)):
                return 400, {"error": "Invalid request body"}
            version = (body or {}).get("version")
            if not isinstance(version, str) and version is not None:
                return 400, {"error": "Invalid request body"}
            if not version:
                return 400, {"error": "Version field is required"}
            return 200, self._version_reports(version)

    def setup_report(self):
        """GET setup/report (setup_report.go): key, permission and chain checks, then one
        mlnode_<id> check per config entry, a summary, and a one-minute cache window."""
        with self.lock:
            now = _now()
            checks = [{"id": cid, "status": "PASS", "message": msg} for cid, msg in (
                ("cold_key_configured", "Cold key is configured"),
                ("cold_key_not_in_keyring", "Cold key is not stored in the keyring"),
                ("warm_key_in_keyring", "Warm key found in keyring"),
                ("warm_key_address_match", "Warm key address matches"),
                ("permissions_granted", "All required permissions granted"))]
            if self.profile.feegrant_check:
                checks.append({"id": "feegrant_allowance", "status": "PASS", "message": "Fee grant allowance present"})
            checks += [{"id": cid, "status": "PASS", "message": msg} for cid, msg in (
                ("consensus_key_match", "Consensus key matches"),
                ("active_in_epoch", "Participant is active in the current epoch"),
                ("validator_in_set", "Validator is in the consensus validator set"),
                ("missed_requests_threshold", "Missed requests below threshold"))]
            issues, recommendations = [], []
            for cfg in self.config_nodes:
                healthy = self.mlnode_health.get(cfg["id"], True)
                check = {"id": "mlnode_%s" % cfg["id"], "status": "PASS" if healthy else "FAIL",
                         "message": "MLNode is healthy" if healthy else
                         "MLNode health check failed: Get \"http://%s:%d/%s%s/health\": connection refused" % (
                             cfg["host"], cfg["poc_port"], CHAIN_MLNODE_VERSION, cfg["poc_segment"]),
                         "details": {"id": cfg["id"], "host": cfg["host"], "models": sorted(cfg["models"] or {}),
                                     "gpus": []}}
                checks.append(check)
                if healthy:
                    issues.append("No GPUs detected on MLNode '%s'" % cfg["id"])
                else:
                    issues.append(check["message"])
                    recommendations.append("Check MLNode '%s' is running and accessible at %s" % (cfg["id"], cfg["host"]))
            checks.append({"id": "block_sync", "status": "PASS", "message": "Node is synced"})
            failed = sum(1 for c in checks if c["status"] == "FAIL")
            return 200, {
                "experimental": True, "generated_at": _go_time(now),
                "cached_until": _go_time(now + timedelta(minutes=1)),
                "overall_status": "FAIL" if failed else "PASS", "checks": checks,
                "summary": {"total_checks": len(checks), "passed_checks": len(checks) - failed,
                            "failed_checks": failed, "unavailable_checks": 0, "issues": issues,
                            "recommendations": recommendations},
            }

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

    # -- faults ----------------------------------------------------------------------------
    def take_fault(self, method, path):
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


# -- routing: echo's router per release (server.go) --------------------------------------

def _routes(profile):
    """(method, pattern) pairs of /admin/v1/ the release registers; ``:id`` is a parameter."""
    routes = [("POST", "nodes"), ("POST", "nodes/batch"), ("GET", "nodes"), ("DELETE", "nodes/:id"),
              ("POST", "nodes/:id/enable"), ("POST", "nodes/:id/disable"), ("POST", "models"),
              ("POST", "tx/send"), ("POST", "bls/request"), ("GET", "unit-of-compute-price-proposal"),
              ("POST", "unit-of-compute-price-proposal")]
    if profile.v024_routes:
        routes += [("PUT", "nodes/:id"), ("GET", "nodes/upgrade-status"), ("POST", "nodes/version-status"),
                   ("GET", "export/db"), ("GET", "config"), ("POST", "claim-reward/recover"),
                   ("GET", "setup/report"), ("POST", "bridge/block")]
    return routes


def _match(pattern, path):
    parts, want = path.split("/"), pattern.split("/")
    if len(parts) != len(want):
        return None
    params = {}
    for got, exp in zip(parts, want):
        if exp.startswith(":"):
            if not got:
                return None
            params[exp[1:]] = unquote(got)
        elif got != exp:
            return None
    return params


def route(profile, method, sub):
    """(pattern, params) of the handler echo picks, or (None, 404|405). Static routes are
    tried before parameter routes; a static route without the method falls back to a
    parameter route that has it (echo v4's router backtracks)."""
    routes = _routes(profile)
    patterns = sorted(set(r[1] for r in routes), key=lambda p: ":" in p)
    allowed = False
    for pattern in patterns:
        params = _match(pattern, sub)
        if params is None:
            continue
        if (method, pattern) in routes:
            return pattern, params
        allowed = True
    return None, 405 if allowed else 404


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GonkaSim/2.0"
    sim = None  # SimState, set on the subclass made per server

    def log_message(self, format, *args):  # noqa: A002 - silent
        pass

    def address_string(self):  # no reverse DNS
        return self.client_address[0]

    def _send(self, status, body):
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

    def _node_body(self, raw, body, parsed):
        """The decoded body, or raises BindError as echo's Bind would."""
        if not raw.strip():
            return None  # ContentLength 0: Bind leaves the zero value
        if not parsed:
            return _decode(raw)
        return body

    def _route(self, method, path, raw, body, parsed):
        sim = self.sim
        if path == "/v1/governance/models":
            return sim.governance_models() if method == "GET" else (405, {"error": "Method Not Allowed"})
        if path == "/v1/epochs/current/participants":
            return sim.current_participants() if method == "GET" else (405, {"error": "Method Not Allowed"})
        if not path.startswith("/admin/v1/"):
            return 404, {"error": "Not Found"}
        pattern, params = route(sim.profile, method, path[len("/admin/v1/"):])
        if pattern is None:
            return params, {"error": "Not Found" if params == 404 else "Method Not Allowed"}
        try:
            if pattern == "nodes" and method == "POST" or pattern == "nodes/:id" and method == "PUT":
                return sim.upsert(self._node_body(raw, body, parsed), raw)
            if pattern == "nodes/batch":
                return sim.batch(self._node_body(raw, body, parsed), raw)
        except BindError as exc:
            return sim.bind_error(exc)
        if pattern == "nodes":
            return sim.list_nodes()
        if pattern == "nodes/:id":
            return sim.delete(params["id"])
        if pattern in ("nodes/:id/enable", "nodes/:id/disable"):
            return sim.set_enabled(params["id"], pattern.endswith("enable"))
        if pattern == "nodes/upgrade-status":
            return sim.upgrade_status()
        if pattern == "nodes/version-status":
            return sim.version_status(body, parsed)
        if pattern == "setup/report":
            return sim.setup_report()
        return 501, {"error": "not simulated: %s /admin/v1/%s" % (method, pattern)}

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
                profile_name(release)
                with sim.lock:
                    sim.release = release
                return 200, sim.snapshot()
            elif name == "approved_models" and method == "PUT":
                if not isinstance(body, list) or not all(isinstance(m, str) for m in body):
                    return 400, {"error": "body must be a list of model ids"}
                with sim.lock:
                    sim.approved_models = list(dict.fromkeys(body))
                return 200, sim.approved_models
            elif name == "enforced_model" and method == "PUT":
                with sim.lock:
                    sim.enforced_model = None if not body else (body["id"], list(body.get("args") or []))
                return 200, sim.snapshot()["enforced_model"]
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
            elif name == "upgrade" and method == "PUT":
                with sim.lock:
                    sim.upgrade_plan_version = (body or {}).get("plan_version", "")
                    if "alive_versions" in (body or {}):
                        sim.alive_versions = set(body["alive_versions"])
                return 200, True
            elif name == "mlnode_health" and method == "PUT":
                with sim.lock:
                    sim.mlnode_health.update(body or {})
                return 200, True
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
                return 404, {"error": "Not Found"}
            return 405, {"error": "Method Not Allowed"}
        except (ValueError, KeyError, TypeError, re.error) as exc:
            return 400, {"error": str(exc)}


class Simulator:
    """A running simulator: ``url``, ``state``, ``stop()``; a context manager."""

    def __init__(self, release="current", host="127.0.0.1", port=0):
        self.state = SimState(release)
        handler = type("BoundHandler", (Handler,), {"sim": self.state})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.host, self.port = self.server.server_address[:2]
        self.url = "http://%s:%d" % (self.host, self.port)
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="gonka-sim", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._thread is not None:
            self.server.shutdown()
            self._thread.join(5)
            self._thread = None
        self.server.server_close()

    # conveniences mirroring the control API
    def reset(self, release=None):
        self.state.reset(release)

    def snapshot(self):
        return self.state.snapshot()

    @property
    def profile(self):
        return self.state.profile

    @property
    def requests(self):
        with self.state.lock:
            return copy.deepcopy(self.state.requests)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start(release="current", host="127.0.0.1", port=0):
    """Start a simulator of ``release`` (a profile, an alias or a v0.2.N) in a background thread."""
    return Simulator(release, host, port).start()


def main(argv=None):
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
    print("profile %s (%s, upstream commit %s)" % (sim.profile.name, sim.profile.releases, sim.profile.commit),
          flush=True)
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
