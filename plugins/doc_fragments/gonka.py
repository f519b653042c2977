# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options shared by every module that talks to a Gonka Admin API.
    DOCUMENTATION = r'''
options:
  admin_url:
    description:
      - Base URL of the network node's Admin API, without the C(/admin/v1) path.
      - The Admin API listens on port 9200 of the network node; keep it off public interfaces.
      - If not set, the environment variable E(GONKA_ADMIN_API_URL) is used.
    type: str
    default: http://localhost:9200
  timeout:
    description:
      - Seconds to wait for each HTTP answer.
    type: int
    default: 30
  retries:
    description:
      - How many times a request that is safe to repeat is retried after a connection failure,
        a timeout or an HTTP 502, 503 or 504, with exponential backoff starting at 0.5 s.
      - The batch endpoint is never replayed; after a failed batch the module reads the node list
        and finishes node by node.
    type: int
    default: 3
  validate_certs:
    description:
      - Verify the TLS certificate when O(admin_url) or a public API URL is C(https://).
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA that signed the Admin API's certificate, used instead of the system bundle.
    type: path
'''
