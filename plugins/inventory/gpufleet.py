# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
name: gpufleet
short_description: GPU hosts from the compute-node registry, Gonka Admin APIs and Kubernetes
version_added: 0.1.0
description:
  - Builds an inventory of GPU hosts from up to three sources, read concurrently
    (a bounded thread pool), and caches the raw data keyed by the sources and the
    identity of the credentials used.
  - C(registry) gives one host per compute node of the gpufleet.ops registry
    (gpufleet.ops.compute_node) with C(ansible_host), C(ansible_port), C(ansible_user) and a
    C(gpufleet_compute) dict without secrets. Groups C(gpufleet_compute_nodes),
    C(region_<region>), C(gpu_<gpu_name>) and C(docker_<docker_status>).
  - C(gonka) gives one host per ML node registered on each listed network node, with
    C(gonka_admin_url) and C(gonka_mlnode) in the exact node format of gpufleet.ops.mlnode, so
    C(playbooks/mlnodes.yml) and the mlnode module can use them directly. Groups C(gonka_mlnodes),
    C(gonka_mlnodes_enabled), C(gonka_mlnodes_disabled) and C(gonka_model_<model>).
  - C(kubernetes) gives one host per cluster node with GPU totals, used and free, the GPU type
    and the gpuctl pool. Groups C(k8s_nodes), C(gpuctl_pool_<pool>) and C(gpu_type_<type>).
  - Secrets (SSH passwords, TLS private keys, tokens) never become host variables.
author:
  - gpufleet.ops maintainers (@gpufleet)
requirements:
  - kubernetes (only for the kubernetes source)
  - cryptography (only when the registry was written with a registry key)
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
      - The compute-node registry to read, as gpufleet.ops.compute_node's O(registry); V(false) skips it.
      - C(true) reads the default location or E(GPUFLEET_REGISTRY).
    type: raw
    default: false
  include_unlisted:
    description: Also include registry nodes with C(listed=false).
    type: bool
    default: false
  gonka:
    description:
      - Network nodes whose Admin API lists ML nodes, each C({admin_url, name}).
        C(name) (default the URL's host) is added to every ML node as C(gonka_network_node).
    type: list
    elements: dict
    default: []
  kubernetes:
    description:
      - Read the nodes of a Kubernetes cluster. A dict with the connection options of
        gpufleet.ops.gpu_node_info (C(kubeconfig), C(context), C(host), C(api_key),
        C(validate_certs), C(ca_cert)); C({}) uses the default kubeconfig.
      - Not set skips the source.
    type: dict
  timeout:
    description: Seconds to wait for each HTTP answer.
    type: int
    default: 15
  workers:
    description: How many sources and Admin APIs are read at once.
    type: int
    default: 8
'''

EXAMPLES = r'''
# fleet.gpufleet.yml
plugin: gpufleet.ops.gpufleet
registry: true
gonka:
  - admin_url: http://10.0.0.2:9200
    name: network-node-1
kubernetes:
  kubeconfig: ~/.kube/config
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
import re
from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka_api import AdminClient
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka_nodes import flatten

SECRET_KEYS = ("ssh_password", "client_key", "registry_key", "api_key", "password", "token")
MLNODE_FIELDS = ("id", "host", "inference_port", "poc_port", "max_concurrent", "models", "hardware",
                 "inference_segment", "poc_segment")


def _safe_name(text):
    return re.sub(r"[^A-Za-z0-9_]", "_", str(text)).strip("_").lower() or "unknown"


def _without_secrets(record):
    return dict((k, v) for k, v in record.items() if k not in SECRET_KEYS and not k.startswith("_"))


def _bare_host(host):
    return re.sub(r"^https?://", "", str(host or "")).rstrip("/")


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "gpufleet.ops.gpufleet"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(("gpufleet.yml", "gpufleet.yaml"))

    # -- fetching (raw data only, so the cache holds what the sources said) -------------
    def _fetch_registry(self):
        from ansible_collections.gpufleet.ops.plugins.module_utils.compute.node import public_record
        from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import open_registry
        location = self.get_option("registry")
        registry = open_registry(None if location is True else location)
        try:
            # public_record drops the encrypted secrets; _without_secrets is a second guard.
            return [_without_secrets(public_record(r)) for r in registry.list()]
        finally:
            registry.close()

    def _fetch_gonka(self, source):
        client = AdminClient(source["admin_url"], timeout=self.get_option("timeout"), retries=1)
        return [flatten(item) for item in client.list_nodes()]

    def _fetch_kubernetes(self):
        from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import status as S
        from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.kube import KubeClient
        params = dict(self.get_option("kubernetes") or {})
        params.setdefault("request_timeout", self.get_option("timeout"))
        client = KubeClient(params)
        nodes = client.list("Node")
        pods = S.pods_by_node(client.list("Pod", None, field_selector="status.phase!=Succeeded,status.phase!=Failed"))
        out = []
        for node in nodes:
            summary = S.node_summary(node, pods.get(node["metadata"]["name"], []))
            addresses = dict((a.get("type"), a.get("address")) for a in (node.get("status") or {}).get("addresses") or [])
            summary["address"] = addresses.get("InternalIP") or addresses.get("ExternalIP") or addresses.get("Hostname")
            summary["labels"] = node["metadata"].get("labels") or {}
            out.append(summary)
        return out

    def _fetch_all(self):
        jobs = {}
        if self.get_option("registry") not in (False, None, "", "false"):
            jobs["registry"] = self._fetch_registry
        for index, source in enumerate(self.get_option("gonka") or []):
            if not isinstance(source, dict) or not source.get("admin_url"):
                raise AnsibleParserError("gonka[%d]: each entry needs admin_url" % index)
            jobs["gonka:%d" % index] = (lambda s=source: self._fetch_gonka(s))
        if self.get_option("kubernetes") is not None:
            jobs["kubernetes"] = self._fetch_kubernetes
        data = {}
        with ThreadPoolExecutor(max_workers=max(1, min(self.get_option("workers"), len(jobs) or 1))) as pool:
            futures = dict((key, pool.submit(func)) for key, func in jobs.items())
            for key, future in futures.items():
                try:
                    data[key] = future.result()
                except Exception as exc:  # each source has its own error type: name the source that failed
                    raise AnsibleParserError("gpufleet inventory, source %s: %s" % (key, to_native(exc)))
        return data

    def _cache_identity(self, path):
        """Sources and who we are to them: a cache entry never serves another credential."""
        ident = {"registry": self.get_option("registry"), "gonka": self.get_option("gonka"),
                 "kubernetes": self.get_option("kubernetes"), "unlisted": self.get_option("include_unlisted")}
        digest = hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:16]
        return "%s_%s" % (self.get_cache_key(path), digest)

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

    def _build(self, data):
        for record in data.get("registry", []):
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

        for index, source in enumerate(self.get_option("gonka") or []):
            network_node = source.get("name") or _bare_host(source["admin_url"]).split(":")[0]
            for node in data.get("gonka:%d" % index, []):
                mlnode = dict((k, copy.deepcopy(node[k])) for k in MLNODE_FIELDS if node.get(k) not in (None, ""))
                mlnode["state"] = "enabled" if node.get("enabled") else "disabled"
                hostvars = {"gpufleet_source": "gonka", "ansible_host": _bare_host(node.get("host")),
                            "gonka_admin_url": source["admin_url"], "gonka_network_node": network_node,
                            "gonka_mlnode": mlnode, "gonka_mlnode_enabled": bool(node.get("enabled")),
                            "gonka_mlnode_status": node.get("current_status")}
                groups = ["gonka_mlnodes", "gonka_mlnodes_%s" % ("enabled" if node.get("enabled") else "disabled")]
                groups += ["gonka_model_%s" % _safe_name(m) for m in sorted(node.get("models") or {})]
                self._add(node["id"], hostvars, groups)

        for node in data.get("kubernetes", []):
            hostvars = {"gpufleet_source": "kubernetes", "ansible_host": node.get("address") or node["node_name"],
                        "k8s_node_name": node["node_name"], "k8s_node_status": node["status"],
                        "k8s_labels": node["labels"], "gpu_total": node["gpu_total"], "gpu_used": node["gpu_used"],
                        "gpu_free": node["gpu_free"], "gpu_type": node["gpu_type"], "gpuctl_pools": node["bound_pools"]}
            groups = ["k8s_nodes"] + ["gpuctl_pool_%s" % _safe_name(p) for p in node["bound_pools"]]
            if node.get("gpu_type"):
                groups.append("gpu_type_%s" % _safe_name(node["gpu_type"]))
            self._add(node["node_name"], hostvars, groups)

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        key = self._cache_identity(path)
        use_cache = self.get_option("cache") and cache
        data = None
        if use_cache:
            try:
                data = copy.deepcopy(self._cache[key])
            except KeyError:
                data = None
        if data is None:
            data = self._fetch_all()
            if self.get_option("cache"):
                self._cache[key] = copy.deepcopy(data)
        # Constructed options run on every parse, cache hit or not.
        self._build(data)
