# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ML node definitions: validate what the user wrote and build the exact body the
Admin API gets. Nothing is sent before every node has passed.

Every error names the node (``nodes[2] (id: node3)``) and the field.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.module_utils.six import string_types, integer_types
from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import GpufleetError
from ansible_collections.gpufleet.ops.plugins.module_utils.common.urls import redact_url
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.presets import (
    PresetError, layout_from_hardware, normalize_layout, preset_args,
)

STATES = ("present", "absent", "enabled", "disabled")
DEFAULTS = {"inference_port": 5050, "poc_port": 8080, "max_concurrent": 500}
# Concurrent requests one ML node may take; far above any GPU layout, far below Go's int range.
MAX_CONCURRENT = 100000
NODE_FIELDS = ("id", "host", "inference_port", "poc_port", "max_concurrent", "models", "hardware",
               "inference_segment", "poc_segment", "gpu_layout", "state")
# v0.2.15+: with model_override these flags belong to the server, not to args.
OVERRIDE_FORBIDDEN_ARGS = ("--model", "--revision", "--served-model-name")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$")
_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$|^\[?[0-9a-fA-F:]+\]?$")
_HEX40 = re.compile(r"^[0-9a-f]{40}$")


# Every release builds http://<host>:<port>/<version><segment> itself (broker's
# InferenceNode URL builders), so a scheme in ``host`` can never work.
RUNPOD_PROXY_HINT = (
    "the Admin API builds http://<host>:<port>/v3.0.8... for every node, on every release, so an https:// "
    "host (such as RunPod's https://<pod>-<port>.proxy.runpod.net) can never be reached. Run an nginx proxy "
    "on a host the network node reaches, have it strip /v3.0.8/ and proxy_pass to the https URL "
    "(proxy_ssl_server_name on), and register that proxy's host and ports instead (docs/mlnode.md, RunPod)")


class NodeSpecError(GpufleetError, ValueError):
    """Bad input, found before anything was sent."""


def _where(index, node_id):
    if index is None:
        return "" if node_id is None else "node %s: " % node_id
    if node_id is None:
        return "nodes[%d]: " % index
    return "nodes[%d] (id: %s): " % (index, node_id)


def normalize_host(host, where=""):
    """Return (host to send, note or None).

    Seed examples write ``http://10.0.0.21``; the Admin API adds the scheme
    itself, so plain ``http://`` is stripped (and the note says so). ``https://``
    is refused: no release can reach it (RUNPOD_PROXY_HINT).
    """
    if not isinstance(host, string_types) or not host.strip():
        raise NodeSpecError("%shost must be a non-empty string (an IP, a DNS name, a container name or a URL)" % where)
    host = host.strip()
    if "://" not in host:
        if ":" in host and not host.startswith("[") and host.count(":") == 1:
            raise NodeSpecError("%shost %r carries a port; give the ports as inference_port and poc_port" % (where, host))
        if not _HOST_RE.match(host):
            raise NodeSpecError("%shost %r is not a valid IP address or DNS name" % (where, host))
        return host, None
    shown = redact_url(host)  # a URL's user:password is never echoed
    try:
        parts = urlsplit(host)
        hostname = parts.hostname
    except ValueError as exc:
        raise NodeSpecError("%shost %r is not a valid URL (%s)" % (where, shown, exc))
    if parts.scheme == "https":
        raise NodeSpecError("%shost %r is refused: %s" % (where, shown, RUNPOD_PROXY_HINT))
    if parts.scheme != "http" or not hostname:
        raise NodeSpecError("%shost %r: only http:// and https:// URLs are recognised (and https:// cannot be "
                            "reached); give an IP address or DNS name" % (where, shown))
    try:
        port = parts.port
    except ValueError:
        port = "invalid"
    if port is not None:
        raise NodeSpecError("%shost %r carries a port; give the ports as inference_port and poc_port" % (where, shown))
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise NodeSpecError("%shost %r carries a path; put path prefixes in inference_segment / poc_segment" % (where, shown))
    return hostname, "sent host %r: the http:// scheme was dropped because the Admin API adds it" % hostname


def _args_list(args, where, model):
    if not isinstance(args, list):
        raise NodeSpecError("%smodels[%r].args must be a list of strings, got %s" % (where, model, type(args).__name__))
    out = []
    for i, arg in enumerate(args):
        if isinstance(arg, bool) or not isinstance(arg, string_types + integer_types + (float,)):
            raise NodeSpecError("%smodels[%r].args[%d] must be a string, got %s" % (where, model, i, type(arg).__name__))
        out.append(str(arg))
    return out


def _models(raw, where, layout, presets):
    if isinstance(raw, list):  # shorthand: a list of model names, args from presets
        if not all(isinstance(m, string_types) for m in raw):
            raise NodeSpecError("%smodels as a list must hold model names (strings)" % where)
        raw = dict((m, {}) for m in raw)
    if not isinstance(raw, dict) or not raw:
        raise NodeSpecError("%smodels must be a non-empty mapping of model name to {args: [...]}" % where)
    models = {}
    for name, conf in raw.items():
        if not isinstance(name, string_types) or not name.strip():
            raise NodeSpecError("%smodels: model names must be non-empty strings" % where)
        if conf is None:
            conf = {}
        if not isinstance(conf, dict):
            raise NodeSpecError("%smodels[%r] must be a mapping such as {args: [...]}" % (where, name))
        unknown = sorted(set(conf) - set(("args", "model_override")))
        if unknown:
            raise NodeSpecError("%smodels[%r]: unknown key(s) %s (allowed: args, model_override)" % (where, name, ", ".join(unknown)))
        entry = {}
        if conf.get("args") is not None:
            entry["args"] = _args_list(conf["args"], where, name)  # explicit args always win
        elif layout is not None:
            try:
                entry["args"] = preset_args(name, layout, presets)
            except PresetError as exc:
                raise NodeSpecError("%s%s" % (where, exc))
        else:
            entry["args"] = []
        override = conf.get("model_override")
        if override is not None:
            if not isinstance(override, dict) or not isinstance(override.get("hf_repo"), string_types):
                raise NodeSpecError("%smodels[%r].model_override needs hf_repo (string) and hf_commit (40 hex)" % (where, name))
            if not _HEX40.match(str(override.get("hf_commit", ""))):
                raise NodeSpecError("%smodels[%r].model_override.hf_commit must be a 40-character lower-case hex commit" % (where, name))
            bad = [a for a in entry["args"] if a.split("=", 1)[0] in OVERRIDE_FORBIDDEN_ARGS]
            if bad:
                raise NodeSpecError("%smodels[%r]: %s not allowed in args together with model_override" % (where, name, ", ".join(bad)))
            entry["model_override"] = {"hf_repo": override["hf_repo"], "hf_commit": override["hf_commit"]}
        models[name.strip()] = entry
    return models


def _port(value, where, field):
    if isinstance(value, bool) or not isinstance(value, integer_types):
        if isinstance(value, string_types) and value.isdigit():
            value = int(value)
        else:
            raise NodeSpecError("%s%s must be an integer port, got %r" % (where, field, value))
    if not 1 <= value <= 65535:
        raise NodeSpecError("%s%s must be between 1 and 65535, got %d" % (where, field, value))
    return value


def _hardware(raw, where):
    if not isinstance(raw, list):
        raise NodeSpecError("%shardware must be a list of {type, count}" % where)
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("type"), string_types):
            raise NodeSpecError("%shardware[%d] must be {type: <GPU name>, count: <int>}" % (where, i))
        count = item.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, integer_types) or count < 1:
            raise NodeSpecError("%shardware[%d].count must be a positive integer" % (where, i))
        out.append({"type": item["type"], "count": count})
    return out


class DesiredNode(object):
    """One node as the user wants it: ``body`` is exactly what a register sends."""

    def __init__(self, node_id, state, body, note=None, index=None):
        self.id = node_id
        self.state = state
        self.body = body
        self.note = note
        self.index = index

    @property
    def wants_registered(self):
        return self.state != "absent"

    @property
    def wants_enabled(self):
        return {"enabled": True, "disabled": False}.get(self.state)

    @property
    def label(self):
        return _where(self.index, self.id).rstrip(": ")


def parse_node(raw, index=None, default_state="present", presets=None):
    """Validate one user-written node dict and return a DesiredNode."""
    if not isinstance(raw, dict):
        raise NodeSpecError("%smust be a mapping, got %s" % (_where(index, None), type(raw).__name__))
    node_id = raw.get("id")
    if not isinstance(node_id, string_types) or not node_id:
        raise NodeSpecError("%sid is required and must be a non-empty string" % _where(index, None))
    where = _where(index, node_id)
    if "/" in node_id or not _ID_RE.match(node_id):
        raise NodeSpecError("%sid may hold letters, digits and . _ : @ - (it becomes part of the URL path "
                            "/admin/v1/nodes/<id>, and a path id that differs from the body id is ignored by the server)" % where)
    unknown = sorted(k for k in raw if k not in NODE_FIELDS and raw[k] is not None)
    if unknown:
        raise NodeSpecError("%sunknown field(s) %s (allowed: %s)" % (where, ", ".join(unknown), ", ".join(NODE_FIELDS)))
    state = raw.get("state") or default_state
    if state not in STATES:
        raise NodeSpecError("%sstate must be one of %s, got %r" % (where, ", ".join(STATES), state))
    has_config = any(raw.get(k) is not None for k in ("host", "models"))
    if state == "absent" or (state in ("enabled", "disabled") and not has_config):
        return DesiredNode(node_id, state, None, index=index)
    missing = [k for k in ("host", "models") if raw.get(k) is None]
    if missing:
        raise NodeSpecError("%smissing required field(s) for state=%s: %s" % (where, state, ", ".join(missing)))
    host, note = normalize_host(raw["host"], where)
    body = {"id": node_id, "host": host}
    for field in ("inference_port", "poc_port"):
        body[field] = _port(raw[field] if raw.get(field) is not None else DEFAULTS[field], where, field)
    max_conc = raw.get("max_concurrent", DEFAULTS["max_concurrent"])
    if max_conc is None:
        max_conc = DEFAULTS["max_concurrent"]
    if isinstance(max_conc, bool) or not isinstance(max_conc, integer_types) or max_conc < 1:
        raise NodeSpecError("%smax_concurrent must be a positive integer, got %r" % (where, max_conc))
    if max_conc > MAX_CONCURRENT:
        raise NodeSpecError("%smax_concurrent must be between 1 and %d, got %d" % (where, MAX_CONCURRENT, max_conc))
    body["max_concurrent"] = max_conc
    if raw.get("hardware") is not None:
        body["hardware"] = _hardware(raw["hardware"], where)
    layout = raw.get("gpu_layout")
    try:
        if layout is not None:
            layout = normalize_layout(layout)
        elif body.get("hardware"):
            layout = layout_from_hardware(body["hardware"])
    except PresetError as exc:
        raise NodeSpecError("%s%s" % (where, exc))
    body["models"] = _models(raw["models"], where, layout, presets or {})
    for field in ("inference_segment", "poc_segment"):
        seg = raw.get(field)
        if seg is not None:
            if not isinstance(seg, string_types) or (seg and not seg.startswith("/")):
                raise NodeSpecError("%s%s must be a path prefix such as '/v3.0.8' (or '')" % (where, field))
            body[field] = seg
    return DesiredNode(node_id, state, body, note=note, index=index)


def parse_nodes(raw_nodes, presets=None, indexed=True):
    """Validate a whole list; duplicate ids are an error, nothing is sent.

    ``indexed=False`` (single-node mode) leaves ``nodes[i]`` out of messages.
    """
    desired = []
    seen = {}
    for index, raw in enumerate(raw_nodes):
        node = parse_node(raw, index=index if indexed else None, presets=presets)
        if node.id in seen:
            raise NodeSpecError("nodes[%d] (id: %s): duplicate id, already given at nodes[%d]" % (index, node.id, seen[node.id]))
        seen[node.id] = index
        desired.append(node)
    return desired
