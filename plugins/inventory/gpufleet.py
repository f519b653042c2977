# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: gpufleet
short_description: GPU hosts from the compute-node registry, Gonka Admin APIs and Kubernetes
version_added: 0.1.0
description:
  - Builds an inventory of GPU hosts from up to three sources, read concurrently
    (a bounded thread pool), and caches the raw data keyed by a digest of the identity each
    source resolves to (registry file, Admin API URLs with their credentials, Kubernetes server and
    credentials), so a cache entry is never served to another account.
  - Each source connects with the options, environment variables and checks of the modules of its
    backend (the same argument specification) - the registry as M(gpufleet.ops.compute_node_info),
    each Admin API as M(gpufleet.ops.mlnode_info), the cluster as M(gpufleet.ops.gpu_node_info).
  - C(registry) gives one host per compute node of the gpufleet.ops registry
    (M(gpufleet.ops.compute_node)) with C(ansible_host), C(ansible_port), C(ansible_user) and a
    C(gpufleet_compute) dict without secrets. Groups C(gpufleet_compute_nodes),
    C(region_<region>), C(gpu_<gpu_name>) and C(docker_<docker_status>).
  - C(gonka) gives one host per ML node registered on each listed network node, with
    C(gonka_admin_url) (without credentials) and C(gonka_mlnode) in the exact node format of
    M(gpufleet.ops.mlnode), so C(playbooks/mlnodes.yml) and the mlnode module can use them directly.
    Groups C(gonka_mlnodes), C(gonka_mlnodes_enabled), C(gonka_mlnodes_disabled) and C(gonka_model_<model>).
  - C(kubernetes) gives one host per cluster node with GPU totals, used and free, the GPU type
    and the gpuctl pool. Groups C(k8s_nodes), C(gpuctl_pool_<pool>) and C(gpu_type_<type>).
  - Secrets (SSH passwords, TLS private keys, tokens, passwords in URLs) never become host variables.
  - Reading an inventory writes nothing to any source; the registry is opened read-only.
author:
  - gpufleet.ops maintainers (@gpufleet)
requirements:
  - kubernetes (only for the kubernetes source)
extends_documentation_fragment:
  - constructed
  - inventory_cache
options:
  plugin:
    description: Marks this file as a gpufleet.ops.gpufleet inventory source.
    required: true
    type: str
    choices: [gpufleet.ops.gpufleet]
  registry:
    description:
      - The compute-node registry to read, as the O(gpufleet.ops.compute_node#module:registry) option of M(gpufleet.ops.compute_node)
        (a file path, C(sqlite:///path) or C(postgresql://user@host:5432/db)); V(false) skips it.
      - V(true) reads the registry the modules use by default, E(GPUFLEET_REGISTRY), else
        C(~/.local/share/gpufleet/registry.db).
      - A PostgreSQL registry (C(postgresql://user@host:5432/db)) takes its password from
        E(GPUFLEET_REGISTRY_PASSWORD) or E(PGPASSWORD), as the modules do.
      - The registry is opened read-only, so nothing is created or changed. A registry that does not
        exist is an empty source and a warning.
    type: raw
    default: false
  include_unlisted:
    description: Also include registry nodes with C(listed=false).
    type: bool
    default: false
  gonka:
    description:
      - Network nodes whose Admin API lists ML nodes. Each entry takes the connection options of
        M(gpufleet.ops.mlnode_info), with the same environment fallbacks and checks, and C(name).
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Added to every ML node of this network node as C(gonka_network_node). Default the URL's host.
        type: str
      admin_url:
        description:
          - Base URL of the network node's Admin API. A user and password in it are used, never shown.
          - Falls back to E(GONKA_ADMIN_API_URL), then V(http://localhost:9200).
        type: str
      timeout:
        description:
          - Seconds to wait for each HTTP answer (1 to 3600). Falls back to the plugin's O(timeout),
            then E(GONKA_ADMIN_API_TIMEOUT), then V(30).
        type: int
        aliases: [request_timeout]
      retries:
        description: Retries of a read after a connection failure, a timeout or an HTTP 502, 503 or 504 (0 to 10).
        type: int
        default: 3
      validate_certs:
        description: Verify the TLS certificate of an C(https://) Admin API. Falls back to E(GONKA_ADMIN_API_VALIDATE_CERTS).
        type: bool
        default: true
      ca_path:
        description: PEM file of the CA that signed the Admin API's certificate. Falls back to E(GONKA_ADMIN_API_CA_PATH).
        type: path
        aliases: [ca_cert]
  kubernetes:
    description:
      - Read the nodes of a Kubernetes cluster. The connection options of M(gpufleet.ops.gpu_node_info),
        with the same E(K8S_AUTH_*) environment fallbacks; V({}) uses the environment, the in-cluster
        configuration or the default kubeconfig (E(KUBECONFIG), else C(~/.kube/config)).
      - Not set skips the source.
    type: dict
    suboptions:
      kubeconfig:
        description: Path to a kubeconfig file. Falls back to E(K8S_AUTH_KUBECONFIG).
        type: path
      context:
        description: The kubeconfig context to use. Falls back to E(K8S_AUTH_CONTEXT).
        type: str
      host:
        description: URL of the API server; overrides the kubeconfig's server. Falls back to E(K8S_AUTH_HOST).
        type: str
      api_key:
        description: Bearer token. Falls back to E(K8S_AUTH_API_KEY).
        type: str
      validate_certs:
        description: Verify the API server's certificate. Falls back to E(K8S_AUTH_VERIFY_SSL).
        type: bool
        aliases: [verify_ssl]
      ca_path:
        description: CA bundle that verifies the API server. Falls back to E(K8S_AUTH_SSL_CA_CERT).
        type: path
        aliases: [ca_cert, ssl_ca_cert]
      client_cert:
        description: Client certificate. Falls back to E(K8S_AUTH_CERT_FILE).
        type: path
        aliases: [cert_file]
      client_key:
        description: Key of O(kubernetes.client_cert). Falls back to E(K8S_AUTH_KEY_FILE).
        type: path
        aliases: [key_file]
      timeout:
        description: Seconds per request (1 to 3600). Falls back to the plugin's O(timeout), then V(30).
        type: int
        aliases: [request_timeout]
      retries:
        description: Retries after a connection failure or an HTTP 429, 502, 503 or 504 (0 to 10).
        type: int
        default: 3
  timeout:
    description:
      - Seconds to wait for each HTTP answer, for every source that does not set its own C(timeout).
      - Not set, each backend's own default (and environment variable) applies.
    type: int
  workers:
    description: How many sources and Admin APIs are read at once.
    type: int
    default: 8
'''

EXAMPLES = r'''
# fleet.gpufleet.yml
plugin: gpufleet.ops.gpufleet
registry: true                       # $GPUFLEET_REGISTRY or the default registry file
gonka:
  - admin_url: https://10.0.0.2:9200
    name: network-node-1
    ca_path: /etc/gpufleet/admin-ca.pem
    retries: 1
kubernetes: {}                       # K8S_AUTH_* or the default kubeconfig
keyed_groups:
  - key: gpufleet_compute.gpu_name | default(omit)
    prefix: model
compose:
  gpu_free: gpu_free | default(0)
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/gpufleet-inventory
'''

import copy
import hashlib
import json
import os
import re

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_native
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.six.moves.urllib.parse import urlsplit
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.display import Display
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.gpufleet.ops.plugins.module_utils.common.digest import file_digest
from ansible_collections.gpufleet.ops.plugins.module_utils.common.urls import redact_url
from ansible_collections.gpufleet.ops.plugins.module_utils.common.workers import bounded_map

display = Display()

SECRET_KEYS = ("ssh_password", "client_key", "registry_key", "api_key", "password", "token")
MLNODE_FIELDS = ("id", "host", "inference_port", "poc_port", "max_concurrent", "models", "hardware",
                 "inference_segment", "poc_segment")


def _safe_name(text):
    return re.sub(r"[^A-Za-z0-9_]", "_", str(text)).strip("_").lower() or "unknown"


def _without_secrets(record):
    return dict((k, v) for k, v in record.items() if k not in SECRET_KEYS and not k.startswith("_"))


def _bare_host(host):
    return re.sub(r"^https?://", "", str(host or "")).rstrip("/")


def _digest(value):
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def connection_params(spec, given, source):
    """``given`` checked against a backend's own argument spec, as a module would get it:
    aliases, types, defaults and environment fallbacks all come from the spec."""
    result = ArgumentSpecValidator(spec).validate(dict(given or {}))
    if result.error_messages:
        # Ansible words an unknown key as "<key>. Supported parameters include: ..."
        reasons = [("unsupported option %s" if isinstance(error, UnsupportedError) else "%s") % to_native(error)
                   for error in result.errors]
        raise AnsibleParserError("gpufleet inventory, source %s: %s" % (source, "; ".join(reasons)))
    return result.validated_parameters


class Source(object):
    """One thing to read: ``fetch()`` returns the raw records; ``identity`` is what keys the cache."""

    def __init__(self, key, fetch, identity):
        self.key = key
        self.fetch = fetch
        self.identity = identity


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "gpufleet.ops.gpufleet"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(("gpufleet.yml", "gpufleet.yaml"))

    # -- sources: connection options -> (fetch, identity); nothing is sent here ------------
    def _with_timeout(self, given):
        given = dict(given or {})
        if self.get_option("timeout") is not None and given.get("timeout") is None and given.get("request_timeout") is None:
            given["timeout"] = self.get_option("timeout")
        return given

    def _registry_source(self, option):
        from ansible_collections.gpufleet.ops.plugins.module_utils.compute import connection
        from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import DEFAULT_REGISTRY, sqlite_path
        spec = dict((name, option_spec) for name, option_spec in connection.registry_spec().items()
                    if name in ("registry", "registry_password"))
        params = connection_params(spec, {} if option is True else {"registry": option}, "registry")
        location = params["registry"] or DEFAULT_REGISTRY
        path = sqlite_path(location)
        where = os.path.abspath(os.path.expanduser(path)) if path else location

        def fetch():
            from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import RegistryMissing
            try:
                registry = connection.open_registry(location, read_only=True, must_exist=True,
                                                    password=params.get("registry_password"))
            except RegistryMissing as exc:
                display.warning("gpufleet inventory, source registry: %s; no compute nodes read" % to_native(exc))
                return []
            with registry:
                # public_records drops the encrypted secrets; _without_secrets is a second guard.
                return [_without_secrets(record) for record in registry.public_records()]
        return Source("registry", fetch, {"registry": where})

    def _gonka_source(self, index, entry):
        from ansible_collections.gpufleet.ops.plugins.module_utils.gonka import connection
        from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.records import flatten
        key = "gonka:%d" % index
        if not isinstance(entry, dict):
            raise AnsibleParserError("gpufleet inventory, source %s: each entry is a dict of connection options" % key)
        entry = dict(entry)
        name = entry.pop("name", None)
        params = connection_params(connection.connection_spec(), self._with_timeout(entry), key)
        try:
            client = connection.client_from_params(params, check_mode=True)  # an inventory never writes
            url = connection.check_http_url(params["admin_url"], "admin_url")
        except Exception as exc:  # the contract's ValidationError names the field
            raise AnsibleParserError("gpufleet inventory, source %s: %s" % (key, to_native(exc)))
        shown = redact_url(url)
        source = Source(key, lambda: [flatten(item) for item in client.list_nodes()],
                        {key: {"admin_url": url, "validate_certs": params.get("validate_certs"),
                               "ca": file_digest(params.get("ca_path"))}})
        source.admin_url = shown
        source.network_node = name or urlsplit(shown).hostname or _bare_host(shown)
        return source

    def _kubernetes_source(self, given):
        from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection
        params = connection_params(connection.argument_spec(), self._with_timeout(given), "kubernetes")
        try:
            identity = connection.identity(params)
            client = connection.client_from_params(params, check_mode=True)  # writes would be dry runs
        except Exception as exc:  # configuration errors name the option
            raise AnsibleParserError("gpufleet inventory, source kubernetes: %s" % to_native(exc))
        return Source("kubernetes", lambda: self._read_kubernetes(client), {"kubernetes": identity})

    @staticmethod
    def _read_kubernetes(client):
        from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import status
        nodes = client.list("Node")
        pods = status.pods_by_node(client.list("Pod", None, field_selector="status.phase!=Succeeded,status.phase!=Failed"))
        out = []
        for node in nodes:
            summary = status.node_summary(node, pods.get(node["metadata"]["name"], []))
            addresses = dict((a.get("type"), a.get("address")) for a in (node.get("status") or {}).get("addresses") or [])
            summary["address"] = addresses.get("InternalIP") or addresses.get("ExternalIP") or addresses.get("Hostname")
            summary["labels"] = node["metadata"].get("labels") or {}
            out.append(summary)
        return out

    def _sources(self):
        sources = []
        registry = self.get_option("registry")
        if registry not in (False, None, "", "false", "no"):
            sources.append(self._registry_source(True if registry in ("true", "yes") else registry))
        for index, entry in enumerate(self.get_option("gonka") or []):
            sources.append(self._gonka_source(index, entry))
        if self.get_option("kubernetes") is not None:
            sources.append(self._kubernetes_source(self.get_option("kubernetes")))
        return sources

    # -- fetching (raw data only, so the cache holds what the sources said) -------------
    def _fetch_all(self, sources):
        def read(source):
            try:
                return source.fetch(), None
            except Exception as exc:  # each backend has its own error type: name the source that failed
                return None, exc
        results = bounded_map(read, sources, self.get_option("workers"))
        data = {}
        for source, (records, error) in zip(sources, results):
            if error is not None:
                raise AnsibleParserError("gpufleet inventory, source %s: %s" % (source.key, to_native(error)))
            data[source.key] = records
        return data

    def _cache_identity(self, path, sources):
        """A digest of every source's resolved identity: a cache entry never serves another credential,
        and no URL, token or path is stored in clear."""
        ident = {"sources": [source.identity for source in sources], "unlisted": self.get_option("include_unlisted")}
        return "%s_%s" % (self.get_cache_key(path), _digest(ident)[:32])

    # -- building ---------------------------------------------------------------------
    def _add(self, name, hostvars, groups):
        host = self.inventory.add_host(name)
        for key, value in hostvars.items():
            self.inventory.set_variable(host, key, wrap_var(value))
        for group in groups:
            group = self.inventory.add_group(group)
            self.inventory.add_child(group, host)
        strict = self.get_option("strict")
        variables = self.inventory.get_host(host).get_vars()
        self._set_composite_vars(self.get_option("compose"), variables, host, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), variables, host, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), variables, host, strict=strict)

    def _build_registry(self, records):
        for record in records:
            if not record.get("listed", True) and not self.get_option("include_unlisted"):
                continue
            hostvars = {"gpufleet_source": "registry", "gpufleet_compute": record,
                        "ansible_host": record.get("public_ip") or record.get("private_ip") or record["name"]}
            if record.get("ssh_port"):
                hostvars["ansible_port"] = record["ssh_port"]
            if record.get("ssh_user"):
                hostvars["ansible_user"] = record["ssh_user"]
            groups = ["gpufleet_compute_nodes"]
            for prefix, key in (("region", "region"), ("gpu", "gpu_name"), ("docker", "docker_status")):
                if record.get(key):
                    groups.append("%s_%s" % (prefix, _safe_name(record[key])))
            self._add(record["name"], hostvars, groups)

    def _build_gonka(self, source, nodes):
        for node in nodes:
            mlnode = dict((k, copy.deepcopy(node[k])) for k in MLNODE_FIELDS if node.get(k) not in (None, ""))
            mlnode["state"] = "enabled" if node.get("enabled") else "disabled"
            hostvars = {"gpufleet_source": "gonka", "ansible_host": _bare_host(node.get("host")),
                        "gonka_admin_url": source.admin_url, "gonka_network_node": source.network_node,
                        "gonka_mlnode": mlnode, "gonka_mlnode_enabled": bool(node.get("enabled")),
                        "gonka_mlnode_status": node.get("current_status")}
            groups = ["gonka_mlnodes", "gonka_mlnodes_%s" % ("enabled" if node.get("enabled") else "disabled")]
            groups += ["gonka_model_%s" % _safe_name(m) for m in sorted(node.get("models") or {})]
            self._add(node["id"], hostvars, groups)

    def _build_kubernetes(self, nodes):
        for node in nodes:
            hostvars = {"gpufleet_source": "kubernetes", "ansible_host": node.get("address") or node["node_name"],
                        "k8s_node_name": node["node_name"], "k8s_node_status": node["status"],
                        "k8s_labels": node["labels"], "gpu_total": node["gpu_total"], "gpu_used": node["gpu_used"],
                        "gpu_free": node["gpu_free"], "gpu_type": node["gpu_type"], "gpuctl_pools": node["bound_pools"]}
            groups = ["k8s_nodes"] + ["gpuctl_pool_%s" % _safe_name(p) for p in node["bound_pools"]]
            if node.get("gpu_type"):
                groups.append("gpu_type_%s" % _safe_name(node["gpu_type"]))
            self._add(node["node_name"], hostvars, groups)

    def _build(self, sources, data):
        for source in sources:
            records = data.get(source.key) or []
            if source.key == "registry":
                self._build_registry(records)
            elif source.key == "kubernetes":
                self._build_kubernetes(records)
            else:
                self._build_gonka(source, records)

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        sources = self._sources()
        key = self._cache_identity(path, sources)
        data = None
        if self.get_option("cache") and cache:
            try:
                data = copy.deepcopy(self._cache[key])
            except KeyError:
                data = None
        if data is None:
            data = self._fetch_all(sources)
            if self.get_option("cache"):
                self._cache[key] = copy.deepcopy(data)
        # Constructed options run on every parse, cache hit or not.
        self._build(sources, data)
