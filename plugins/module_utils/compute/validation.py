# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a compute-node record holds, and the checks every input passes before anything is written.

``validate_node_params`` looks at the options alone (it reads PEM files named by
them, nothing else), so a run with bad input fails before the registry is even
opened. ``validate_endpoint`` checks the record as it would be stored (stored
values merged with the options). Errors name the option and never quote the
value of a secret (``client_key``, ``ssh_password``) in any form.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import math
import os
import re
import ssl

from ansible.module_utils.six import string_types

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import client
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.secrets import SECRET_FIELDS

# Configuration fields stored in a record (secrets are kept apart, encrypted).
CONFIG_FIELDS = ("region", "cpu", "memory", "system_disk", "data_disk", "public_ip", "private_ip",
                 "ssh_port", "ssh_user", "gpu_name", "gpu_count", "gpu_memory_gb", "hami_core_dir",
                 "hami_core_commit", "docker_host", "tls", "ca_cert", "client_cert", "allow_insecure", "listed",
                 "remark")
CREATE_DEFAULTS = {"ssh_port": 22, "tls": True, "listed": True, "allow_insecure": False}
PEM_FIELDS = {"ca_cert": "CERTIFICATE", "client_cert": "CERTIFICATE", "client_key": "PRIVATE KEY"}
# The record field ``ca_cert`` is set by the option ``ca_path`` (alias ``ca_cert``).
OPTION_FOR_FIELD = {"ca_cert": "ca_path"}
INT_RANGES = {"ssh_port": (1, 65535), "gpu_count": (0, 1024), "gpu_memory_gb": (0, 16384)}
MAX_TIMEOUT = 300.0
MAX_WORKERS = 1024


def public_record(record):
    """The record without secrets (what modules and the inventory show)."""
    out = dict((k, None) for k in CONFIG_FIELDS)
    out.update((k, v) for k, v in record.items() if k != "secrets")
    secrets = record.get("secrets") or {}
    for field in SECRET_FIELDS:
        out["has_" + field] = bool(secrets.get(field))
    out.setdefault("docker_status", client.UNKNOWN)
    return out


def option_name(params, field):
    """The option name the user wrote for a record field (``ca_cert`` or ``ca_path``)."""
    option = OPTION_FOR_FIELD.get(field, field)
    if option != field and params.get(field) is None:
        return option
    return field


def check_timeout(value, field="timeout"):
    """Seconds for one Docker connection test: more than 0, at most MAX_TIMEOUT."""
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ComputeError("must be a number of seconds between 0 and %g, got %r" % (MAX_TIMEOUT, value),
                           field=field)
    if isinstance(value, bool) or math.isnan(seconds) or not 0 < seconds <= MAX_TIMEOUT:
        raise ComputeError("must be more than 0 and at most %g seconds, got %r" % (MAX_TIMEOUT, value),
                           field=field)
    return seconds


def check_max_workers(value, field="max_workers"):
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_WORKERS:
        raise ComputeError("must be between 1 and %d, got %r" % (MAX_WORKERS, value), field=field)
    return value


def _parse_certificates(text, field):
    """Refuse PEM text whose certificate does not parse (``ssl`` reads it as a trust anchor)."""
    try:
        ssl.create_default_context().load_verify_locations(cadata=text)
    except (ssl.SSLError, ValueError) as exc:
        raise ComputeError("is not a usable PEM certificate (%s)" % (getattr(exc, "reason", None) or exc),
                           field=field)


def load_pem(value, field, option=None):
    """PEM text, or a path to a PEM file on the host running the module -> the PEM text.

    ``field`` is the record field (it decides the PEM type); ``option`` the name the user
    wrote. A secret's value is never quoted; another value only when it looks like a path.
    """
    option = option or field
    if value is None or value == "":
        return value
    secret = field in SECRET_FIELDS
    text = value
    if "-----BEGIN" not in value:
        shown = "" if secret or "\n" in value or len(value) > 512 else ": %r" % value
        path = os.path.expanduser(value)
        try:
            is_file = os.path.isfile(path)
        except (TypeError, ValueError):  # an embedded NUL byte
            is_file = False
        if not is_file:
            raise ComputeError("is neither PEM text nor a readable file%s%s" % (
                shown, " (the value is secret and not shown)" if secret else ""), field=option)
        try:
            with open(path, "r") as handle:
                text = handle.read()
        except (IOError, OSError, UnicodeDecodeError) as exc:
            raise ComputeError("cannot read %s: %s" % (path, getattr(exc, "strerror", None) or exc.__class__.__name__),
                               field=option)
    if ("-----BEGIN" not in text) or (PEM_FIELDS[field] not in text):
        raise ComputeError("does not contain a PEM %s" % PEM_FIELDS[field].lower(), field=option)
    if PEM_FIELDS[field] == "CERTIFICATE":
        _parse_certificates(text, option)
    return text.strip() + "\n"


class NodeInput(object):
    """The validated options of one ``compute_node`` run.

    ``given``: record fields the user set (``""`` clears one); ``secrets``: plain secret
    values (``""`` removes one), kept in memory only until they are encrypted.
    """

    def __init__(self, name, given, secrets):
        self.name = name
        self.given = given
        self.secrets = secrets


def validate_node_params(params):
    """Check every option of ``compute_node``; return a NodeInput. Touches no registry."""
    name = params.get("name")
    if not isinstance(name, string_types) or not name.strip():
        raise ComputeError("must not be empty", field="name")
    if params.get("timeout") is not None:
        check_timeout(params["timeout"])
    if params.get("state", "present") == "absent":
        return NodeInput(name, {}, {})
    given = {}
    for field in CONFIG_FIELDS:
        option = OPTION_FOR_FIELD.get(field, field)
        value = params.get(option)
        if value is None:
            value = params.get(field)
        if value is not None:
            given[field] = value
    for field in PEM_FIELDS:
        if field in given:
            given[field] = load_pem(given[field], field, option_name(params, field))
    secrets = dict((k, params.get(k)) for k in SECRET_FIELDS if params.get(k) is not None)
    if secrets.get("client_key"):
        secrets["client_key"] = load_pem(secrets["client_key"], "client_key")
    for field, (low, high) in INT_RANGES.items():
        if field in given and not low <= given[field] <= high:
            raise ComputeError("must be between %d and %d, got %s" % (low, high, given[field]), field=field,
                               node=name)
    for field in ("public_ip", "private_ip"):
        if given.get(field):
            try:
                ipaddress.ip_address(u"%s" % given[field])
            except ValueError:
                raise ComputeError("is not an IP address: %r" % given[field], field=field, node=name)
    if given.get("hami_core_dir") and not given["hami_core_dir"].startswith("/"):
        raise ComputeError("must be an absolute path on the node, e.g. /root/HAMi-core/build, got %r"
                           % given["hami_core_dir"], field="hami_core_dir", node=name)
    if given.get("hami_core_commit") and not re.match(r"^[0-9a-f]{7,40}$", given["hami_core_commit"]):
        raise ComputeError("must be a git commit (7 to 40 lowercase hex digits), got %r" % given["hami_core_commit"],
                           field="hami_core_commit", node=name)
    if given.get("docker_host"):
        try:
            client.parse_docker_host(given["docker_host"])
        except client.EndpointError as exc:
            raise ComputeError(exc.msg, field="docker_host", node=name)
    return NodeInput(name, given, secrets)


def validate_endpoint(record, warn):
    """Check the Docker endpoint of a record as it would be stored; ``warn`` gets warnings."""
    host = record.get("docker_host")
    name = record["name"]
    if host:
        try:
            kind, _h, _p, _path = client.parse_docker_host(host)
        except client.EndpointError as exc:
            raise ComputeError(exc.msg, field="docker_host", node=name)
        if kind not in ("unix", "https") and not record.get("tls") and not client.is_loopback(host):
            if not record.get("allow_insecure"):
                raise ComputeError("tls is false: %s would carry Docker API traffic (root on that host) "
                                   "unencrypted and unauthenticated; set allow_insecure: true to allow it"
                                   % host, field="docker_host", node=name)
            warn("node %r: Docker API over plain TCP to %s (allow_insecure: true); anyone on the "
                 "network can control that engine" % (name, host))
    has_key = bool((record.get("secrets") or {}).get("client_key"))
    if record.get("client_cert") and not has_key:
        raise ComputeError("client_cert is set but client_key is not", field="client_key", node=name)
    if has_key and not record.get("client_cert"):
        raise ComputeError("client_key is set but client_cert is not", field="client_cert", node=name)
