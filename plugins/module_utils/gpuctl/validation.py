# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validate what the user gives gpuctl: specs (kinds training, inference, notebook, resource) and options.

Every problem of a spec is reported as ``(path, reason)`` where path is the YAML path of
the field (``resources.gpu``, ``storage.workdirs[1].path``). All problems of a document
are collected and raised together as one SpecError; problems of module options are an
OptionError naming the option. Nothing here talks to a cluster, so nothing is written
before validation completes.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.gpufleet.ops.plugins.module_utils.common.quantity import parse_quantity
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import OptionError, SpecError

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False

SPEC_VERSION = "v0.1"
KINDS = ("training", "inference", "notebook", "resource")
PRIORITIES = ("high", "medium", "low")
DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
DURATION = re.compile(r"^([0-9]+)(ms|s|m|h)?$")
TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}")
MAX_NAME = 52
MAX_DEPTH = 32  # a spec is a few levels deep; deeper input is refused before anything recurses over it
MAX_INT = 2 ** 31 - 1  # Kubernetes' int32 fields
MAX_QUANTITY_TEXT = 64
MAX_CPU = 100000  # CPUs per pod
MAX_MEMORY = 2 ** 50  # 1Pi per pod
MAX_GPU_MEMORY = 2 ** 40  # 1Ti of one GPU's memory


def _p(path, key):
    if isinstance(key, int):
        return "%s[%d]" % (path, key)
    return "%s.%s" % (path, key) if path else str(key)


def _tname(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


def _short(value):
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "an integer of %d bits" % value.bit_length()  # repr of a huge int is slow, or refused by Python
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        text = "<%s>" % type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def nesting_problem(doc, limit=MAX_DEPTH):
    """None, or (path, reason) for the first place ``doc`` nests deeper than ``limit`` levels.

    Iterative, so it cannot itself run out of stack; the path names the mapping keys above the spot.
    """
    stack = [(doc, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > limit:
            return path, "is nested more than %d levels deep" % limit
        if isinstance(value, dict):
            stack.extend((v, _p(path, k if isinstance(k, (str, int)) else str(k)), depth + 1) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((v, path, depth + 1) for v in value)
    return None


class _TooBig(ValueError):
    pass


def _bounded_quantity(value, maximum):
    """parse_quantity with the text length and the result bounded. Raises _TooBig or ValueError."""
    if isinstance(value, int) and value.bit_length() > 64:
        raise _TooBig(value)
    text = str(value)
    if len(text) > MAX_QUANTITY_TEXT:
        raise _TooBig(value)
    amount = parse_quantity(text)
    if not amount <= maximum:  # also true for NaN and infinity
        raise _TooBig(value)
    return amount


class _Ctx(object):
    def __init__(self):
        self.errors = []

    def err(self, path, reason):
        self.errors.append((path, reason))


# ---------------------------------------------------------------- field checkers
# Each checker: (ctx, value, path) -> normalised value, or None after ctx.err().

def t_str(nonempty=True, pattern=None, pattern_msg=None, max_len=None):
    def check(ctx, value, path):
        if not isinstance(value, str):
            ctx.err(path, "must be a string, got %s %s" % (_tname(value), _short(value)))
            return None
        if nonempty and not value.strip():
            ctx.err(path, "must not be empty")
            return None
        if max_len and len(value) > max_len:
            ctx.err(path, "must be at most %d characters (got %d)" % (max_len, len(value)))
            return None
        if pattern is not None and not pattern.match(value):
            ctx.err(path, "%s (got %s)" % (pattern_msg, _short(value)))
            return None
        return value
    return check


def t_name():
    return t_str(pattern=DNS1035, max_len=MAX_NAME,
                 pattern_msg="must be a lower-case DNS-1035 name: letters, digits and '-', starting with a letter")


def t_scalar_str():
    """A string; integers and numbers are accepted and kept as their text."""
    def check(ctx, value, path):
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            ctx.err(path, "must be a string, got %s %s" % (_tname(value), _short(value)))
            return None
        return str(value)
    return check


def t_int(minimum=None, maximum=MAX_INT):
    def check(ctx, value, path):
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                ctx.err(path, "must be an integer, got %s %s" % (_tname(value), _short(value)))
                return None
        if minimum is not None and value < minimum:
            ctx.err(path, "must be >= %d (got %s)" % (minimum, value if value.bit_length() <= 64 else _short(value)))
            return None
        if maximum is not None and value > maximum:
            ctx.err(path, "must be <= %d (got %s)" % (maximum, value if value.bit_length() <= 64 else _short(value)))
            return None
        return value
    return check


def t_bool():
    def check(ctx, value, path):
        if not isinstance(value, bool):
            ctx.err(path, "must be true or false, got %s %s" % (_tname(value), _short(value)))
            return None
        return value
    return check


def t_enum(choices):
    def check(ctx, value, path):
        if not isinstance(value, str) or value not in choices:
            ctx.err(path, "must be one of %s (got %s)" % (", ".join(choices), _short(value)))
            return None
        return value
    return check


def t_cpu():
    def check(ctx, value, path):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            ctx.err(path, "must be a CPU count (8, 0.5) or quantity ('500m'), got %s %s" % (_tname(value), _short(value)))
            return None
        try:
            amount = _bounded_quantity(value, MAX_CPU)
        except _TooBig:
            ctx.err(path, "must be at most %d CPUs (got %s)" % (MAX_CPU, _short(value)))
            return None
        except ValueError:
            ctx.err(path, "must be a CPU count (8, 0.5) or quantity ('500m'), got %s" % _short(value))
            return None
        text = str(value)
        if amount <= 0:
            ctx.err(path, "must be greater than 0 (got %s)" % text)
            return None
        return text
    return check


def t_memory():
    def check(ctx, value, path):
        if not isinstance(value, str):
            ctx.err(path, "must be a memory quantity with a unit such as '32Gi', got %s %s" % (_tname(value), _short(value)))
            return None
        try:
            amount = _bounded_quantity(value, MAX_MEMORY)
        except _TooBig:
            ctx.err(path, "must be at most 1Pi (got %s)" % _short(value))
            return None
        except ValueError:
            ctx.err(path, "must be a memory quantity such as '32Gi' or '512Mi' (got %s)" % _short(value))
            return None
        if amount < 2 ** 20:
            ctx.err(path, "must be at least 1Mi (got %s)" % value)
            return None
        return value
    return check


def t_duration():
    """'30s', '5m', '1h', '250ms' or an integer number of seconds -> int seconds."""
    def check(ctx, value, path):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            ctx.err(path, "must be a duration such as '30s', '5m' or a number of seconds, got %s %s" % (_tname(value), _short(value)))
            return None
        if isinstance(value, int):
            if value < 0 or value > MAX_INT:
                ctx.err(path, "must be from 0 to %d seconds (got %s)" % (MAX_INT, _short(value)))
                return None
            return value
        match = DURATION.match(value.strip())
        if not match:
            ctx.err(path, "must be a duration such as '30s', '5m' or '1h' (got %s)" % _short(value))
            return None
        amount, unit = int(match.group(1)[:12]), match.group(2) or "s"
        seconds = {"ms": amount // 1000, "s": amount, "m": amount * 60, "h": amount * 3600}[unit]
        if len(match.group(1)) > 12 or seconds > MAX_INT:
            ctx.err(path, "must be at most %d seconds (got %s)" % (MAX_INT, _short(value)))
            return None
        return seconds
    return check


def t_gpu_share():
    """HAMi GPU sharing: a memory quantity ('2Gi') -> gpumem MiB, or a fraction (0, 1] -> gpucores %."""
    def check(ctx, value, path):
        if isinstance(value, bool):
            ctx.err(path, "must be a GPU memory quantity such as '2Gi' or a GPU fraction in (0, 1], got boolean")
            return None
        if isinstance(value, (int, float)):
            if not 0 < value <= 1:
                ctx.err(path, "a number means a fraction of one GPU and must be in (0, 1] (got %s); "
                              "use a quantity such as '2Gi' for GPU memory" % _short(value))
                return None
            # HAMi takes whole percent of the SMs, and 0 means no limit at all.
            if value < 0.01:
                ctx.err(path, "a GPU fraction must be at least 0.01 (1%% of the SMs; HAMi reads 0 as no limit), "
                              "got %s" % _short(value))
                return None
            return value
        if isinstance(value, str):
            try:
                amount = _bounded_quantity(value, MAX_GPU_MEMORY)
            except _TooBig:
                ctx.err(path, "must be at most 1Ti of GPU memory (got %s)" % _short(value))
                return None
            except ValueError:
                ctx.err(path, "must be a GPU memory quantity such as '2Gi' or a GPU fraction in (0, 1] (got %s)" % _short(value))
                return None
            if not re.search(r"[KMGTPE]i?$", value):
                ctx.err(path, "a GPU memory share needs a unit such as 'Gi' or 'Mi' (got %s)" % _short(value))
                return None
            mib = int(amount // 2 ** 20)
            if mib < 1:
                ctx.err(path, "must be at least 1Mi of GPU memory (got %s)" % value)
                return None
            return value
        ctx.err(path, "must be a GPU memory quantity such as '2Gi' or a GPU fraction in (0, 1], got %s" % _tname(value))
        return None
    return check


def gpu_share_limits(value):
    """A validated gpu_share -> {'memory_mib': N} or {'cores': percent} (HAMi)."""
    if value is None:
        return {}
    if isinstance(value, (int, float)):
        return {"cores": int(round(value * 100))}
    return {"memory_mib": int(parse_quantity(value) // 2 ** 20)}


def t_list(item, min_items=0, max_items=None):
    def check(ctx, value, path):
        if not isinstance(value, list):
            ctx.err(path, "must be a list, got %s %s" % (_tname(value), _short(value)))
            return None
        if len(value) < min_items:
            ctx.err(path, "must have at least %d item(s)" % min_items)
            return None
        if max_items is not None and len(value) > max_items:
            ctx.err(path, "must have at most %d items (got %d)" % (max_items, len(value)))
            return None
        return [item(ctx, v, _p(path, i)) for i, v in enumerate(value)]
    return check


def t_command():
    """A list of strings; a single string is accepted as a one-element list."""
    inner = t_list(t_scalar_str(), min_items=1)

    def check(ctx, value, path):
        if isinstance(value, str):
            return [value]
        return inner(ctx, value, path)
    return check


def t_obj(fields, required=(), allow_null=False):
    """A mapping with known keys. ``fields`` maps key -> checker. Unknown keys are errors."""
    def check(ctx, value, path):
        if value is None and allow_null:
            value = {}
        if not isinstance(value, dict):
            ctx.err(path, "must be a mapping, got %s %s" % (_tname(value), _short(value)))
            return None
        out = {}
        for key, val in value.items():
            sub = _p(path, key)
            if not isinstance(key, str):
                ctx.err(sub, "keys must be strings")
                continue
            if key not in fields:
                hint = _suggest(key, fields)
                ctx.err(sub, "unknown field%s; allowed: %s" % (
                    " (did you mean '%s'?)" % hint if hint else "", ", ".join(sorted(fields))))
                continue
            if val is None and key not in required:
                continue
            out[key] = fields[key](ctx, val, sub)
        for key in required:
            if key not in value or value[key] is None:
                if key not in value:
                    ctx.err(_p(path, key), "is required")
                else:
                    ctx.err(_p(path, key), "is required and must not be null")
        return out
    return check


def _suggest(key, fields):
    norm = key.replace("-", "").replace("_", "").lower()
    for cand in fields:
        if cand.replace("-", "").replace("_", "").lower() == norm:
            return cand
    best, best_d = None, 3
    for cand in fields:
        dist = _lev(key.lower(), cand.lower())
        if dist < best_d:
            best, best_d = cand, dist
    return best


def _lev(a, b):
    if abs(len(a) - len(b)) > 3:
        return 99
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def t_env():
    item = t_obj({"name": t_str(pattern=ENV_NAME, pattern_msg="must be a valid environment variable name"),
                  "value": t_str(nonempty=False)}, required=("name",))

    def check_item(ctx, value, path):
        if isinstance(value, dict) and isinstance(value.get("value"), (int, float)) and not isinstance(value.get("value"), bool):
            ctx.err(_p(path, "value"), "must be a string; quote it (value: \"%s\")" % value["value"])
            return None
        return item(ctx, value, path)
    return t_list(check_item)


def t_abs_path():
    def check(ctx, value, path):
        value = t_str()(ctx, value, path)
        if value is None:
            return None
        if not value.startswith("/"):
            ctx.err(path, "must be an absolute path (got %s)" % _short(value))
            return None
        return value.rstrip("/") or "/"
    return check


def t_nodes():
    """Pool nodes: a mapping name -> {gpu-type} (as in the seed) or a list of names."""
    node_obj = t_obj({"gpu-type": t_str(pattern=LABEL_VALUE, max_len=63,
                                        pattern_msg="must be a valid label value")}, allow_null=True)
    node_name = t_str(pattern=DNS1123_SUB, max_len=253, pattern_msg="must be a valid node name (DNS-1123 subdomain)")

    def check(ctx, value, path):
        if isinstance(value, list):
            names = t_list(node_name)(ctx, value, path) or []
            return dict((n, {}) for n in names if n)
        if not isinstance(value, dict):
            ctx.err(path, "must be a mapping of node name -> {gpu-type: ...} or a list of node names, got %s" % _tname(value))
            return None
        out = {}
        for name, val in value.items():
            sub = _p(path, str(name))
            if not isinstance(name, str):
                ctx.err(sub, "node names must be strings; quote it ('%s')" % _short(name))
                continue
            if node_name(ctx, name, sub) is None:
                continue
            out[name] = node_obj(ctx, val, sub) or {}
        return out
    return check


# ---------------------------------------------------------------- schemas

def _job_block(extra=None):
    fields = {"name": t_name(), "description": t_str(nonempty=False), "priority": t_enum(PRIORITIES)}
    fields.update(extra or {})
    return t_obj(fields, required=("name",))


def _environment(with_args=True):
    fields = {"image": t_str(), "imagePullSecret": t_str(pattern=DNS1123_SUB, max_len=253,
                                                         pattern_msg="must be a Secret name (DNS-1123 subdomain)"),
              "command": t_command(), "env": t_env()}
    if with_args:
        fields["args"] = t_list(t_scalar_str())
    return t_obj(fields, required=("image",))


def _resources(training=False):
    fields = {"pool": t_str(pattern=DNS1123, max_len=MAX_NAME, pattern_msg="must be a pool name (DNS-1123 label)"),
              "gpu": t_int(minimum=0, maximum=1024), "cpu": t_cpu(), "memory": t_memory(),
              "gpu_share": t_gpu_share(),
              "gpu-type": t_str(pattern=LABEL_VALUE, max_len=63, pattern_msg="must be a valid label value")}
    if training:
        fields["nodes"] = t_int(minimum=1, maximum=256)
    return t_obj(fields)


def _storage():
    pvc = t_str(pattern=DNS1123_SUB, max_len=253, pattern_msg="must be a PersistentVolumeClaim name")
    workdir = t_obj({"path": t_abs_path(), "pvc": pvc,
                     "host_path": t_abs_path(), "sub_path": t_str(), "read_only": t_bool()},
                    required=("path",))
    return t_obj({"workdirs": t_list(workdir, max_items=64)})


def _top(kind_fields):
    fields = {"kind": t_enum(KINDS), "version": t_enum((SPEC_VERSION,))}
    fields.update(kind_fields)
    return fields


SCHEMAS = {
    "training": (_top({
        "job": _job_block({"epochs": t_int(minimum=1), "batch_size": t_int(minimum=1)}),
        "environment": _environment(),
        "resources": _resources(training=True),
        "storage": _storage(),
    }), ("kind", "job", "environment")),
    "inference": (_top({
        "job": _job_block(),
        "model": t_obj({"source": t_str(), "name": t_str(), "version": t_scalar_str(),
                        "format": t_str(), "cache": t_bool()}),
        "environment": _environment(),
        "service": t_obj({"replicas": t_int(minimum=0, maximum=1000), "port": t_int(minimum=1, maximum=65535),
                          "health_check": t_str(pattern=re.compile(r"^/"), pattern_msg="must be an HTTP path starting with '/'"),
                          "timeout": t_duration(), "request_limit": t_int(minimum=1)}),
        "resources": _resources(),
        "autoscaling": t_obj({"enabled": t_bool(), "minReplicas": t_int(minimum=1, maximum=1000),
                              "maxReplicas": t_int(minimum=1, maximum=1000),
                              "targetGPUUtilization": t_int(minimum=1, maximum=100),
                              "targetMemoryUtilization": t_int(minimum=1, maximum=100),
                              "scaleUpDelay": t_duration(), "scaleDownDelay": t_duration()}),
        "storage": _storage(),
    }), ("kind", "job", "environment")),
    "notebook": (_top({
        "job": _job_block(),
        "environment": _environment(),
        "service": t_obj({"port": t_int(minimum=1, maximum=65535)}),
        "resources": _resources(),
        "storage": _storage(),
    }), ("kind", "job", "environment")),
    "resource": (_top({
        "pool": t_obj({"name": t_str(pattern=DNS1123, max_len=MAX_NAME, pattern_msg="must be a pool name (DNS-1123 label)"),
                       "description": t_str(nonempty=False)}, required=("name",)),
        "nodes": t_nodes(),
        "quota": t_obj({"maxJobs": t_int(minimum=1), "maxGpuPerJob": t_int(minimum=0)}),
        # seed 7.2.2 POST /pools: the GPU types the pool admits
        "gpuType": t_list(t_str(pattern=LABEL_VALUE, max_len=63, pattern_msg="must be a valid label value"), min_items=1, max_items=64),
        # isolation: taint the pool's nodes so only pool jobs (which tolerate it) land there
        "exclusive": t_bool(),
        "taintNodes": t_bool(),
    }), ("kind", "pool")),
}


def _pool_checks(ctx, spec):
    allowed = spec.get("gpuType")
    if allowed:
        for node, conf in sorted((spec.get("nodes") or {}).items()):
            declared = (conf or {}).get("gpu-type")
            if declared and declared not in allowed:
                ctx.err("nodes.%s.gpu-type" % node, "'%s' is not in this pool's gpuType (%s)" % (declared, ", ".join(allowed)))


def pool_taints_nodes(pool_def):
    """Whether a pool taints its nodes: taintNodes when given, else exclusive."""
    pool_def = pool_def or {}
    return bool(pool_def.get("taintNodes", pool_def.get("exclusive")))


def _cross_checks(ctx, kind, spec):
    if kind == "resource":
        _pool_checks(ctx, spec)
        return
    res = spec.get("resources") or {}
    gpu = res.get("gpu")
    if kind == "training" and gpu is not None and res.get("nodes"):
        if gpu and gpu % res["nodes"]:
            ctx.err("resources.nodes", "resources.gpu (%d) must divide evenly over %d node(s)" % (gpu, res["nodes"]))
    if res.get("gpu_share") and not gpu:
        ctx.err("resources.gpu_share", "needs resources.gpu >= 1 (a share is a slice of a GPU)")
    auto = spec.get("autoscaling") or {}
    if auto.get("minReplicas") and auto.get("maxReplicas") and auto["minReplicas"] > auto["maxReplicas"]:
        ctx.err("autoscaling.minReplicas", "must be <= autoscaling.maxReplicas (%d > %d)" % (auto["minReplicas"], auto["maxReplicas"]))
    if auto.get("enabled") and not (auto.get("targetGPUUtilization") or auto.get("targetMemoryUtilization")):
        ctx.err("autoscaling", "enabled autoscaling needs targetGPUUtilization or targetMemoryUtilization")
    workdirs = (spec.get("storage") or {}).get("workdirs") or []
    seen = {}
    for i, wd in enumerate(workdirs):
        if wd and wd.get("path"):
            if wd["path"] in seen:
                ctx.err("storage.workdirs[%d].path" % i, "duplicates storage.workdirs[%d].path (%s)" % (seen[wd["path"]], wd["path"]))
            seen[wd["path"]] = i
    env = (spec.get("environment") or {}).get("env") or []
    names = {}
    for i, item in enumerate(env):
        if item and item.get("name"):
            if item["name"] in names:
                ctx.err("environment.env[%d].name" % i, "duplicates environment.env[%d].name (%s)" % (names[item["name"]], item["name"]))
            names[item["name"]] = i


def _lookup(spec, dotted):
    cur = spec
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur if isinstance(cur, (str, int, float)) and not isinstance(cur, bool) else None


def _interpolate(ctx, spec):
    """Resolve '{{model.name}}' style references in command and args against the spec."""
    env = spec.get("environment") or {}
    for key in ("command", "args"):
        items = env.get(key)
        if not items:
            continue
        for i, item in enumerate(items):
            if not isinstance(item, str):
                continue

            def repl(match, path="environment.%s[%d]" % (key, i)):
                value = _lookup(spec, match.group(1))
                if value is None:
                    ctx.err(path, "references {{%s}}, which is not a field of this spec" % match.group(1))
                    return match.group(0)
                return str(value)
            items[i] = TEMPLATE.sub(repl, item)


def parse_spec(data, prefix=None):
    """Validate one spec document (a dict); return the normalised spec.

    Raises SpecError listing every problem with its YAML path.
    """
    ctx = _Ctx()
    if not isinstance(data, dict):
        raise SpecError([("", "a gpuctl spec must be a mapping with 'kind', got %s" % _tname(data))], prefix=prefix)
    too_deep = nesting_problem(data)
    if too_deep:
        raise SpecError([too_deep], prefix=prefix)
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in SCHEMAS:
        raise SpecError([("kind", "must be one of %s (got %s)" % (", ".join(KINDS), _short(kind)) if "kind" in data
                          else "is required (one of %s)" % ", ".join(KINDS))], prefix=prefix)
    fields, required = SCHEMAS[kind]
    out = t_obj(fields, required=required)(ctx, data, "")
    if not ctx.errors:
        out.setdefault("version", SPEC_VERSION)
        _cross_checks(ctx, kind, out)
        _interpolate(ctx, out)
    if ctx.errors:
        raise SpecError(ctx.errors, prefix=prefix)
    return out


def load_documents(text, source="<spec>"):
    """Parse YAML text (one or several documents) into a list of dicts. Errors name the line."""
    if not HAS_YAML:  # pragma: no cover
        raise SpecError([("", "PyYAML is required to read gpuctl specs")], prefix=source)
    if _flow_depth(text) > MAX_DEPTH:  # PyYAML would recurse once per level, slowly, into a RecursionError
        raise SpecError([("", "is not valid here: nested more than %d levels deep" % MAX_DEPTH)], prefix=source)
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = " at line %d column %d" % (mark.line + 1, mark.column + 1) if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError([("", "is not valid YAML%s: %s" % (where, problem))], prefix=source)
    except RecursionError:
        raise SpecError([("", "is not valid YAML: nested too deeply")], prefix=source)
    except Exception as exc:  # pylint: disable=broad-except
        # PyYAML's constructors raise whatever their conversion raises for a tag on text of another
        # type (!!timestamp foo: AttributeError, !!int '': IndexError); none of it is the user's traceback
        raise SpecError([("", "is not valid YAML: a value cannot be read as its tag says (%s)" % type(exc).__name__)], prefix=source)
    if not docs:
        raise SpecError([("", "contains no YAML documents")], prefix=source)
    return docs


def node_lines(text, source):
    """{"<source>#<doc>": {node: line}}: where each pool document declares its nodes (for errors that say
    which lines to change). Empty when the text does not compose (parsing reports that)."""
    out = {}
    try:
        docs = list(yaml.compose_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    except Exception:  # pylint: disable=broad-except
        return out
    docs = [d for d in docs if d is not None]
    for i, doc in enumerate(docs):
        if not isinstance(doc, yaml.MappingNode):
            continue
        for key, value in doc.value:
            if getattr(key, "value", None) == "nodes" and isinstance(value, yaml.MappingNode):
                out["%s#%d" % (source, i + 1)] = dict((str(k.value), k.start_mark.line + 1) for k, dummy in value.value)
            elif getattr(key, "value", None) == "nodes" and isinstance(value, yaml.SequenceNode):
                out["%s#%d" % (source, i + 1)] = dict((str(item.value), item.start_mark.line + 1) for item in value.value
                                                      if isinstance(item, yaml.ScalarNode))
    return out


def spec_node_lines(params, src_key="src"):
    """node_lines of every readable ``src`` file (labels as load_specs makes them)."""
    out = {}
    for path in params.get(src_key) or []:
        try:
            with open(path, "r", encoding="utf-8") as handle:
                out.update(node_lines(handle.read(), os.path.basename(path)))
        except (IOError, OSError, UnicodeDecodeError):
            continue
    return out


def _flow_depth(text):
    """The deepest nesting of YAML flow collections ([ and {) outside quotes, roughly."""
    depth = deepest = 0
    quote = None
    for char in text:
        if quote:
            if char == quote:
                quote = None
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "\n":
            quote = None
    return deepest


def parse_documents(docs, source=None):
    """Validate several documents; errors are prefixed with the source and document index."""
    out, errors = [], []
    for i, doc in enumerate(docs):
        label = "%s#%d" % (source, i + 1) if source else ("spec[%d]" % i if len(docs) > 1 else None)
        try:
            out.append(parse_spec(doc, prefix=label))
        except SpecError as exc:
            errors.extend(exc.errors)
    if errors:
        raise SpecError(errors)
    return out


def job_names_unique(specs):
    seen = set()
    for spec in specs:
        key = (spec["kind"] == "resource", spec["pool"]["name"] if spec["kind"] == "resource" else spec["job"]["name"])
        if key in seen:
            raise SpecError([("job.name" if not key[0] else "pool.name", "'%s' is defined twice in this task" % key[1])])
        seen.add(key)


def check_quota(spec, pool_def, existing_jobs=0, path_prefix=None):
    """Enforce a pool's quota on a job spec. pool_def: parsed resource spec or None (pool missing)."""
    res = spec.get("resources") or {}
    pool = res.get("pool")
    if not pool:
        return
    errors = []
    if pool_def is None:
        errors.append(("resources.pool", "pool '%s' does not exist" % pool))
    else:
        quota = pool_def.get("quota") or {}
        gpu = res.get("gpu") or 0
        if quota.get("maxGpuPerJob") is not None and gpu > quota["maxGpuPerJob"]:
            errors.append(("resources.gpu", "%d GPUs exceed pool '%s' quota maxGpuPerJob=%d" % (gpu, pool, quota["maxGpuPerJob"])))
        if quota.get("maxJobs") is not None and existing_jobs >= quota["maxJobs"]:
            errors.append(("resources.pool", "pool '%s' already runs %d job(s), its quota maxJobs=%d (paused jobs count: they keep "
                           "their GPUs)" % (pool, existing_jobs, quota["maxJobs"])))
        allowed = pool_def.get("gpuType")
        if allowed and res.get("gpu-type") and res["gpu-type"] not in allowed:
            errors.append(("resources.gpu-type", "'%s' is not allowed in pool '%s' (gpuType: %s)" % (res["gpu-type"], pool, ", ".join(allowed))))
    if errors:
        raise SpecError(errors, prefix=path_prefix)


# ---------------------------------------------------------------- specs from module options

def load_specs(params, spec_key="spec", src_key="src"):
    """Documents from ``spec`` (a dict or list of dicts) and ``src`` (YAML files, several documents each).

    Returns [(label, parsed_spec)]; labels name the origin (``src.yaml#2``) for error paths.
    Every document is checked before this returns.
    """
    out, errors = [], []
    raw = params.get(spec_key)
    if raw is not None:
        docs = raw if isinstance(raw, list) else [raw]
        for i, doc in enumerate(docs):
            label = "spec[%d]" % i if isinstance(raw, list) else None
            try:
                out.append((label, parse_spec(doc, prefix=label)))
            except SpecError as exc:
                errors.extend(exc.errors)
    for path in params.get(src_key) or []:
        if not os.path.isfile(path):
            errors.append((path, "file not found"))
            continue
        try:
            with open(path, "r", encoding="utf-8") as handle:
                text = handle.read()
        except (IOError, OSError, UnicodeDecodeError) as exc:
            errors.append((path, "cannot read: %s" % exc))
            continue
        try:
            docs = load_documents(text, os.path.basename(path))
        except SpecError as exc:
            errors.extend(exc.errors)
            continue
        for i, doc in enumerate(docs):
            label = "%s#%d" % (os.path.basename(path), i + 1)
            try:
                out.append((label, parse_spec(doc, prefix=label)))
            except SpecError as exc:
                errors.extend(exc.errors)
    if errors:
        raise SpecError(errors)
    return out


# ---------------------------------------------------------------- module options

LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$")


def label_key_problem(key):
    """None, or why ``key`` is not a valid Kubernetes label key."""
    if not key:
        return "must not be empty"
    prefix, dummy, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS1123_SUB.match(prefix)):
        return "prefix '%s' must be a DNS-1123 subdomain" % prefix
    if len(name) > 63 or not LABEL_NAME.match(name):
        return "name part '%s' must be 1-63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric" % name
    return None


def label_value_problem(value):
    """None, or why ``value`` is not a valid Kubernetes label value."""
    if len(value) > 63 or not LABEL_VALUE.match(value):
        return "must be at most 63 characters of [A-Za-z0-9-_.], starting and ending alphanumeric"
    return None


def pool_name_problem(name):
    """None, or why ``name`` is not a pool name (a DNS-1123 label, no selector syntax)."""
    if not isinstance(name, str) or len(name) > MAX_NAME or not DNS1123.match(name):
        return "must be a pool name (DNS-1123 label: lower-case letters, digits and '-', at most %d characters), got %r" % (MAX_NAME, name)
    return None


def namespace_problem(name):
    """None, or why ``name`` is not a namespace name (a DNS-1123 label)."""
    if not isinstance(name, str) or len(name) > 63 or not DNS1123.match(name):
        return "must be a namespace name (DNS-1123 label: lower-case letters, digits and '-', at most 63 characters), got %r" % (name,)
    return None


def node_name_problem(name):
    if not isinstance(name, str) or len(name) > 253 or not DNS1123_SUB.match(name):
        return "must be a node name (DNS-1123 subdomain), got %r" % (name,)
    return None


def selector_problem(selector):
    """A label selector of equality terms (key=value, comma separated), each part checked as a label."""
    terms = [t.strip() for t in (selector or "").split(",")]
    if not selector or not all(terms):
        return "must be a label selector such as app.kubernetes.io/name=dcgm-exporter"
    for term in terms:
        key, sep, value = term.partition("=")
        problem = label_key_problem(key.strip()) or (label_value_problem(value.strip().lstrip("=")) if sep else None)
        if problem:
            return "%s: %s" % (term, problem)
    return None


def check_options(checks):
    """Raise one OptionError for every (option, problem) whose problem is not None."""
    errors = [(option, problem) for option, problem in checks if problem]
    if errors:
        raise OptionError(errors)


def paging_problems(params):
    return [("page", None if params["page"] >= 1 else "must be >= 1"),
            ("page_size", None if 1 <= params["page_size"] <= 10000 else "must be from 1 to 10000")]
