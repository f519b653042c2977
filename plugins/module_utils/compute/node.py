# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Compute-node logic shared by ``compute_node`` and ``compute_node_info``.

Importable and testable without Ansible's module machinery: the service takes
a registry, an optional SecretBox and a probe function, and returns plain
dicts. One code path decides "would change" for check mode and real runs;
writes happen only in ``_write`` and never in check mode.

Change semantics (documented in the modules): a node is ``changed`` when one of
its configuration fields, a secret, or its ``docker_status`` changes.
Bookkeeping from a probe (``checked_at``, ``docker_error``, ``engine`` facts)
is refreshed on every real run but never makes a node ``changed`` by itself.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import datetime
import ipaddress
import os
import re

from ansible.module_utils.basic import env_fallback

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import probe as probe_mod
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.secrets import MASK, SECRET_FIELDS

REGISTRY_ARGS = dict(
    registry=dict(type="str", fallback=(env_fallback, ["GPUFLEET_REGISTRY"])),
    registry_key=dict(type="str", no_log=True, fallback=(env_fallback, ["GPUFLEET_REGISTRY_KEY"])),
    timeout=dict(type="float", default=5.0),
)

NODE_ARGS = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    region=dict(type="str"),
    cpu=dict(type="str"),
    memory=dict(type="str"),
    system_disk=dict(type="str"),
    data_disk=dict(type="str"),
    public_ip=dict(type="str"),
    private_ip=dict(type="str"),
    ssh_port=dict(type="int"),
    ssh_user=dict(type="str"),
    ssh_password=dict(type="str", no_log=True),
    gpu_name=dict(type="str"),
    gpu_count=dict(type="int"),
    gpu_memory_gb=dict(type="int"),
    hami_core_dir=dict(type="str"),
    docker_host=dict(type="str"),
    tls=dict(type="bool"),
    ca_cert=dict(type="str"),
    client_cert=dict(type="str"),
    client_key=dict(type="str", no_log=True),
    allow_insecure=dict(type="bool"),
    listed=dict(type="bool"),
    remark=dict(type="str"),
    force=dict(type="bool", default=False),
)

# Configuration fields stored in a record (secrets are kept apart).
CONFIG_FIELDS = ("region", "cpu", "memory", "system_disk", "data_disk", "public_ip", "private_ip",
                 "ssh_port", "ssh_user", "gpu_name", "gpu_count", "gpu_memory_gb", "hami_core_dir",
                 "docker_host", "tls", "ca_cert", "client_cert", "allow_insecure", "listed", "remark")
CREATE_DEFAULTS = {"ssh_port": 22, "tls": True, "listed": True, "allow_insecure": False}
BOOL_OR_INT = ("ssh_port", "gpu_count", "gpu_memory_gb", "tls", "listed", "allow_insecure")
PEM_FIELDS = {"ca_cert": "CERTIFICATE", "client_cert": "CERTIFICATE", "client_key": "PRIVATE KEY"}
BOOKKEEPING = ("checked_at", "docker_error", "engine", "created_at", "updated_at", "auto_fields")
STATUSES = (probe_mod.CONNECTED, probe_mod.FAILED, probe_mod.UNKNOWN)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_pem(value, field):
    """Accept PEM text or a path to a PEM file on the host running the module."""
    if value is None or value == "":
        return value
    text = value
    if "-----BEGIN" not in value:
        path = os.path.expanduser(value)
        if not os.path.isfile(path):
            raise ComputeError("is neither PEM text nor a readable file: %r" % value, field=field)
        try:
            with open(path, "r") as handle:
                text = handle.read()
        except (IOError, OSError, UnicodeDecodeError) as exc:
            raise ComputeError("cannot read %s: %s" % (path, getattr(exc, "strerror", exc)), field=field)
    if ("-----BEGIN" not in text) or (PEM_FIELDS[field] not in text):
        raise ComputeError("does not contain a PEM %s" % PEM_FIELDS[field].lower(), field=field)
    return text.strip() + "\n"


def public_record(record):
    """The record without secrets (what modules return)."""
    out = dict((k, None) for k in CONFIG_FIELDS)
    out.update((k, v) for k, v in record.items() if k != "secrets")
    secrets = record.get("secrets") or {}
    for field in SECRET_FIELDS:
        out["has_" + field] = bool(secrets.get(field))
    out.setdefault("docker_status", probe_mod.UNKNOWN)
    return out


def diff_view(record, secret_changes=()):
    """What ``--diff`` shows: configuration and status, secrets masked."""
    if record is None:
        return {}
    out = dict((k, record.get(k)) for k in ("name",) + CONFIG_FIELDS)
    out["docker_status"] = record.get("docker_status")
    secrets = record.get("secrets") or {}
    for field in SECRET_FIELDS:
        if secrets.get(field):
            out[field] = MASK + (" (new value)" if field in secret_changes else "")
    return out


def _fmt_mem(nbytes):
    gib = float(nbytes) / (1024 ** 3)
    text = ("%.1f" % gib).rstrip("0").rstrip(".")
    return "%s GiB" % text


def _number(text):
    match = re.search(r"(\d+(?:\.\d+)?)", str(text))
    return float(match.group(1)) if match else None


def apply_probe(record, result, user_given=(), warn=None):
    """Put a ProbeResult into ``record`` (in place). Returns True if docker_status changed.

    When connected, ``cpu`` and ``memory`` are filled from the engine unless
    the user set them; a user value that disagrees with the engine is kept
    and reported through ``warn``.
    """
    old_status = record.get("docker_status")
    record["docker_status"] = result.status
    record["docker_error"] = result.error
    record["checked_at"] = utcnow()
    if result.status == probe_mod.CONNECTED:
        record["engine"] = result.engine
        auto = set(record.get("auto_fields") or [])
        facts = {}
        if result.engine.get("ncpu"):
            facts["cpu"] = str(result.engine["ncpu"])
        if result.engine.get("mem_total"):
            facts["memory"] = _fmt_mem(result.engine["mem_total"])
        for field, value in facts.items():
            if field in user_given:
                auto.discard(field)
                mine = _number(record.get(field)) if record.get(field) else None
                theirs = _number(value)
                if warn and mine is not None and theirs and abs(mine - theirs) > 0.1 * theirs:
                    warn("node %r: %s is set to %r but the Docker engine reports %s; keeping your value"
                         % (record.get("name"), field, record.get(field), value))
            elif not record.get(field) or field in auto:
                record[field] = value
                auto.add(field)
        record["auto_fields"] = sorted(auto)
    return old_status != result.status


class ComputeNodeService(object):
    def __init__(self, registry, box=None, timeout=5.0, check_mode=False, warn=None,
                 probe_func=None, containers_func=None):
        self.registry = registry
        self.box = box
        self.timeout = timeout
        self.check_mode = check_mode
        self.warnings = []
        self._warn = warn
        self.probe = probe_func or probe_mod.probe
        self.running_containers = containers_func or probe_mod.running_containers

    def warn(self, msg):
        self.warnings.append(msg)
        if self._warn:
            self._warn(msg)

    # -- helpers ----------------------------------------------------------------
    def _need_box(self, field, node):
        if self.box is None:
            raise ComputeError("secrets are stored encrypted: set registry_key (or the environment "
                               "variable GPUFLEET_REGISTRY_KEY) to store or use it", field=field, node=node)
        return self.box

    def endpoint_for(self, record, plain_secrets=None):
        """Endpoint for a record, or (None, reason) when it cannot be tested."""
        if not record.get("docker_host"):
            return None, "no docker_host: the connection cannot be tested"
        if not record.get("tls", True) and not probe_mod.is_loopback(record["docker_host"]) \
                and not record.get("allow_insecure"):
            return None, "plain TCP to a non-loopback address needs allow_insecure: true"
        key = (plain_secrets or {}).get("client_key")
        token = (record.get("secrets") or {}).get("client_key")
        if key is None and token:
            if self.box is None:
                return None, "the client key is encrypted and no registry_key was given"
            key = self.box.decrypt(token, field="client_key", node=record.get("name"))
        return probe_mod.Endpoint(record["docker_host"], tls=record.get("tls", True),
                                  ca_cert=record.get("ca_cert"), client_cert=record.get("client_cert"),
                                  client_key=key), None

    def validate_endpoint(self, record):
        host = record.get("docker_host")
        if not host:
            return
        try:
            kind, _h, _p, _path = probe_mod.parse_docker_host(host)
        except probe_mod.EndpointError as exc:
            raise ComputeError(str(exc), field="docker_host", node=record["name"])
        if kind != "unix" and not record.get("tls") and kind != "https" and not probe_mod.is_loopback(host):
            if not record.get("allow_insecure"):
                raise ComputeError("tls is false: %s would carry Docker API traffic (root on that host) "
                                   "unencrypted and unauthenticated; set allow_insecure: true to allow it"
                                   % host, field="docker_host", node=record["name"])
            self.warn("node %r: Docker API over plain TCP to %s (allow_insecure: true); anyone on the "
                      "network can control that engine" % (record["name"], host))
        certs = [f for f in ("client_cert",) if record.get(f)]
        has_key = bool((record.get("secrets") or {}).get("client_key"))
        if certs and not has_key:
            raise ComputeError("client_cert is set but client_key is not", field="client_key",
                               node=record["name"])
        if has_key and not certs:
            raise ComputeError("client_key is set but client_cert is not", field="client_cert",
                               node=record["name"])

    # -- compute_node ---------------------------------------------------------------
    def present(self, params):
        name = params["name"]
        if not name or not name.strip():
            raise ComputeError("must not be empty", field="name")
        given = dict((k, params.get(k)) for k in CONFIG_FIELDS if params.get(k) is not None)
        for field in PEM_FIELDS:
            if field in given:
                given[field] = load_pem(given[field], field)
        secrets_in = dict((k, params.get(k)) for k in SECRET_FIELDS if params.get(k) is not None)
        if "client_key" in secrets_in:
            secrets_in["client_key"] = load_pem(secrets_in["client_key"], "client_key")
        for field in ("ssh_port",):
            if field in given and not 0 < given[field] < 65536:
                raise ComputeError("must be between 1 and 65535, got %s" % given[field], field=field, node=name)
        for field in ("gpu_count", "gpu_memory_gb"):
            if field in given and given[field] < 0:
                raise ComputeError("must not be negative, got %s" % given[field], field=field, node=name)
        for field in ("public_ip", "private_ip"):
            if given.get(field):
                try:
                    ipaddress.ip_address(u"%s" % given[field])
                except ValueError:
                    raise ComputeError("is not an IP address: %r" % given[field], field=field, node=name)
        if given.get("hami_core_dir") and not given["hami_core_dir"].startswith("/"):
            raise ComputeError("must be an absolute path on the node, e.g. /root/HAMi-core/build, got %r"
                               % given["hami_core_dir"], field="hami_core_dir", node=name)

        current = self.registry.get(name)
        new = copy.deepcopy(current) if current else dict(CREATE_DEFAULTS, name=name)
        for field, value in given.items():
            new[field] = None if value == "" else value
        new_secrets = dict(new.get("secrets") or {})
        secret_changes = []
        for field, value in secrets_in.items():
            old_token = new_secrets.get(field)
            if value == "":
                if old_token:
                    new_secrets.pop(field)
                    secret_changes.append(field)
                continue
            box = self._need_box(field, name)
            if old_token and box.decrypt(old_token, field=field, node=name) == value:
                continue
            new_secrets[field] = box.encrypt(value)
            secret_changes.append(field)
        new["secrets"] = new_secrets
        self.validate_endpoint(new)

        endpoint, reason = self.endpoint_for(new, plain_secrets=secrets_in)
        if endpoint is None:
            result = probe_mod.ProbeResult(probe_mod.UNKNOWN, reason)
        else:
            result = self.probe(endpoint, self.timeout)
        status_changed = apply_probe(new, result, user_given=set(given), warn=self.warn)
        if result.status == probe_mod.FAILED:
            self.warn("node %r: Docker connection to %s failed: %s" % (name, new.get("docker_host"), result.error))

        config_changed = current is None or any(
            (current.get(f) != new.get(f)) for f in CONFIG_FIELDS) or bool(secret_changes)
        changed = config_changed or status_changed
        now = utcnow()
        if current is None:
            new["created_at"] = now
        if config_changed:
            new["updated_at"] = now
        if not self.check_mode:
            self.registry.update(name, lambda cur: self._merge_for_write(cur, new, current))
        return {
            "changed": changed,
            "node": public_record(new),
            "diff": {"before": diff_view(current), "after": diff_view(new, secret_changes),
                     "before_header": "compute node %s" % name, "after_header": "compute node %s" % name},
        }

    @staticmethod
    def _merge_for_write(latest, new, read):
        """Write ``new``; keep created_at of a record someone created meanwhile."""
        if latest is not None and read is None:
            new["created_at"] = latest.get("created_at", new.get("created_at"))
        return new

    def absent(self, params):
        name = params["name"]
        current = self.registry.get(name)
        if current is None:
            return {"changed": False, "node": None, "diff": {"before": {}, "after": {}}}
        if current.get("docker_host") and not params.get("force"):
            endpoint, reason = self.endpoint_for(current)
            names, error = (None, reason) if endpoint is None else self.running_containers(endpoint, self.timeout)
            if names:
                shown = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
                raise ComputeError("still runs %d container(s) (%s); stop them first or set force: true to "
                                   "delete the record anyway" % (len(names), shown), node=name)
            if names is None:
                self.warn("node %r: could not check for running containers (%s); deleting the record anyway"
                          % (name, error))
        if not self.check_mode:
            self.registry.delete(name)
        return {"changed": True, "node": public_record(current),
                "diff": {"before": diff_view(current), "after": {},
                         "before_header": "compute node %s" % name, "after_header": "compute node %s" % name}}

    # -- compute_node_info ------------------------------------------------------------
    @staticmethod
    def matches(record, filters):
        for field in ("region", "gpu_name"):
            if filters.get(field) is not None and record.get(field) != filters[field]:
                return False
        if filters.get("listed") is not None and bool(record.get("listed", True)) != filters["listed"]:
            return False
        if filters.get("names") and record.get("name") not in filters["names"]:
            return False
        return True

    def info(self, filters, do_probe=False, max_workers=128):
        records = [r for r in self.registry.list() if self.matches(r, filters)]
        changed_names = []
        if do_probe:
            endpoints, results = {}, {}
            for rec in records:
                try:
                    endpoint, reason = self.endpoint_for(rec)
                except ComputeError as exc:
                    endpoint, reason = None, str(exc)
                if endpoint is None:
                    results[rec["name"]] = probe_mod.ProbeResult(probe_mod.UNKNOWN, reason)
                else:
                    endpoints[rec["name"]] = endpoint
            results.update(probe_mod.probe_many(endpoints, self.timeout, max_workers))
            for rec in records:
                result = results[rec["name"]]
                if apply_probe(rec, result):
                    changed_names.append(rec["name"])
                if not self.check_mode:
                    self.registry.update(rec["name"], lambda cur, res=result: self._status_write(cur, res))
        wanted = filters.get("docker_status")
        if wanted:
            records = [r for r in records if r.get("docker_status", probe_mod.UNKNOWN) == wanted]
        nodes = [public_record(r) for r in records]
        summary = dict((s, 0) for s in STATUSES)
        for node in nodes:
            summary[node["docker_status"]] = summary.get(node["docker_status"], 0) + 1
        return {"changed": bool(changed_names), "nodes": nodes, "summary": summary,
                "changed_nodes": changed_names,
                "failed_nodes": [dict(name=n["name"], docker_host=n.get("docker_host"),
                                      docker_error=n.get("docker_error"))
                                 for n in nodes if n["docker_status"] == probe_mod.FAILED]}

    @staticmethod
    def _status_write(latest, result):
        """Apply a probe to the latest stored record (a concurrent edit is not lost)."""
        if latest is None:
            return None  # deleted meanwhile: do not resurrect it
        record = copy.deepcopy(latest)
        apply_probe(record, result)
        return record
