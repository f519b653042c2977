# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options shared by every module that talks to a Gonka Admin API
    # (plugins/module_utils/gonka/connection.py, CONNECTION_SPEC).
    DOCUMENTATION = r'''
options:
  admin_url:
    description:
      - Base URL of the network node's Admin API, without the C(/admin/v1) path.
        C(host:port) without a scheme is read as C(http://host:port).
      - Only C(http://) and C(https://) with a port between 1 and 65535 are accepted.
      - The Admin API listens on port 9200 of the network node; keep it off public interfaces.
      - If not set, the environment variable E(GONKA_ADMIN_API_URL) is used.
    type: str
    default: http://localhost:9200
  timeout:
    description:
      - Seconds to wait for each HTTP answer, between 1 and 3600.
      - If not set, the environment variable E(GONKA_ADMIN_API_TIMEOUT) is used.
    type: int
    default: 30
    aliases: [request_timeout]
  retries:
    description:
      - How many times a request that is safe to repeat is retried after a connection failure,
        a timeout or an HTTP 502, 503 or 504, with exponential backoff starting at 0.5 s (0 to 10).
      - The batch endpoint is never replayed; after a failed batch the module reads the node list
        and finishes node by node.
    type: int
    default: 3
  validate_certs:
    description:
      - Verify the TLS certificate when O(admin_url) or a public API URL is C(https://).
      - If not set, the environment variable E(GONKA_ADMIN_API_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signed the Admin API's certificate, used instead of the system bundle.
        A file that does not load as PEM is refused before any request.
      - Without it, the system trust store (OpenSSL's compiled-in paths) is used;
        E(SSL_CERT_FILE) and E(SSL_CERT_DIR) are ignored.
      - If not set, the environment variable E(GONKA_ADMIN_API_CA_PATH) is used.
    type: path
    aliases: [ca_cert]
'''

    # The same contract for the inventory plugin, which reads the options through
    # Ansible's config system (env: entries) and passes them to client_from_params().
    PLUGIN = r'''
options:
  admin_url:
    description:
      - Base URL of the network node's Admin API, without the C(/admin/v1) path.
    type: str
    default: http://localhost:9200
    env:
      - name: GONKA_ADMIN_API_URL
  timeout:
    description:
      - Seconds to wait for each HTTP answer, between 1 and 3600.
    type: int
    default: 30
    aliases: [request_timeout]
    env:
      - name: GONKA_ADMIN_API_TIMEOUT
  retries:
    description:
      - Retries of a read after a connection failure, a timeout or an HTTP 502, 503 or 504 (0 to 10).
    type: int
    default: 3
  validate_certs:
    description:
      - Verify the TLS certificate of an C(https://) Admin API.
    type: bool
    default: true
    env:
      - name: GONKA_ADMIN_API_VALIDATE_CERTS
  ca_path:
    description:
      - PEM file of the CA that signed the Admin API's certificate.
    type: path
    aliases: [ca_cert]
    env:
      - name: GONKA_ADMIN_API_CA_PATH
'''
