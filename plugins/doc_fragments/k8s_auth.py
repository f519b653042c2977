# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Kubernetes connection options (gpufleet.ops.k8s_auth), one contract for the gpuctl modules and the inventory plugin.

    The argument spec is plugins/module_utils/gpuctl/connection.py; DOCUMENTATION is for modules
    (environment fallbacks in the spec), PLUGIN for the inventory plugin (C(env:) entries).
    """

    DOCUMENTATION = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file.
      - When neither O(kubeconfig), O(context) nor O(host) is set, the in-cluster configuration is tried,
        then the kubeconfig the C(kubernetes) library finds (E(KUBECONFIG), else C(~/.kube/config)).
      - Falls back to the E(K8S_AUTH_KUBECONFIG) environment variable.
    type: path
  context:
    description:
      - The kubeconfig context to use.
      - Falls back to E(K8S_AUTH_CONTEXT).
    type: str
  host:
    description:
      - URL of the Kubernetes API server, for example V(https://k8s.example.com:6443).
      - Overrides the server of the kubeconfig when both are given.
      - Falls back to E(K8S_AUTH_HOST).
    type: str
  api_key:
    description:
      - Bearer token used to authenticate with the API server.
      - Falls back to E(K8S_AUTH_API_KEY).
    type: str
  validate_certs:
    description:
      - Whether to verify the API server's TLS certificate. Unset keeps the kubeconfig's choice (verify by default).
      - Falls back to E(K8S_AUTH_VERIFY_SSL).
    type: bool
    aliases: [verify_ssl]
  ca_path:
    description:
      - Path to a CA certificate bundle used to verify the API server.
      - Falls back to E(K8S_AUTH_SSL_CA_CERT).
      - O(ca_cert) is the kubernetes.core spelling.
    type: path
    aliases: [ca_cert, ssl_ca_cert]
  client_cert:
    description:
      - Path to a client certificate for TLS client authentication.
      - Falls back to E(K8S_AUTH_CERT_FILE).
    type: path
    aliases: [cert_file]
  client_key:
    description:
      - Path to the key of O(client_cert).
      - Falls back to E(K8S_AUTH_KEY_FILE).
    type: path
    aliases: [key_file]
  timeout:
    description:
      - Timeout in seconds of each HTTP request to the API server, from 1 to 3600.
    type: int
    default: 30
    aliases: [request_timeout]
  retries:
    description:
      - How many times a request is sent again after a connection failure or an HTTP 429
        (and, for reads, HTTP 502, 503 or 504), with exponential backoff from 0.25 s. From 0 to 10.
      - Writes are repeated only when the server cannot have acted on them (no connection, HTTP 429).
    type: int
    default: 3
requirements:
  - kubernetes (Python library)
  - PyYAML
notes:
  - All gpuctl modules belong to the action group C(gpufleet.ops.gpuctl), so connection options can be set
    once with C(module_defaults) and C(group/gpufleet.ops.gpuctl).
  - In check mode every write is sent as a server-side dry run (C(dryRun=All)); the API server validates it and
    answers with what it would store, and nothing is persisted.
"""

    # The same options for the inventory plugin: values come from the plugin's configuration or the environment.
    PLUGIN = r"""
options:
  kubeconfig:
    description:
      - Path to a kubeconfig file. Unset, the in-cluster configuration is tried, then E(KUBECONFIG) or C(~/.kube/config).
    type: path
    env:
      - name: K8S_AUTH_KUBECONFIG
  context:
    description:
      - The kubeconfig context to use.
    type: str
    env:
      - name: K8S_AUTH_CONTEXT
  host:
    description:
      - URL of the Kubernetes API server; overrides the kubeconfig's server.
    type: str
    env:
      - name: K8S_AUTH_HOST
  api_key:
    description:
      - Bearer token used to authenticate with the API server.
    type: str
    env:
      - name: K8S_AUTH_API_KEY
  validate_certs:
    description:
      - Whether to verify the API server's TLS certificate.
    type: bool
    aliases: [verify_ssl]
    env:
      - name: K8S_AUTH_VERIFY_SSL
  ca_path:
    description:
      - Path to a CA certificate bundle used to verify the API server.
    type: path
    aliases: [ca_cert, ssl_ca_cert]
    env:
      - name: K8S_AUTH_SSL_CA_CERT
  client_cert:
    description:
      - Path to a client certificate for TLS client authentication.
    type: path
    aliases: [cert_file]
    env:
      - name: K8S_AUTH_CERT_FILE
  client_key:
    description:
      - Path to the key of O(client_cert).
    type: path
    aliases: [key_file]
    env:
      - name: K8S_AUTH_KEY_FILE
  timeout:
    description:
      - Timeout in seconds of each HTTP request to the API server.
    type: int
    default: 30
    aliases: [request_timeout]
  retries:
    description:
      - How many times a failed request that is safe to repeat is sent again.
    type: int
    default: 3
"""
