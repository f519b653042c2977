# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  registry:
    description:
      - Where compute-node records are stored, on the host that runs the module (normally the controller).
      - A file path or C(sqlite:///path). The file is created with mode C(0600) in a C(0700) directory.
      - When neither this option nor the environment variable E(GPUFLEET_REGISTRY) is set,
        C(~/.local/share/gpufleet/registry.db) is used.
      - The SQLite file uses WAL journaling and a busy timeout, so many concurrent runs can write it.
    type: str
  registry_key:
    description:
      - Passphrase that encrypts secrets (O(gpufleet.ops.compute_node#module:ssh_password),
        O(gpufleet.ops.compute_node#module:client_key)) at rest with Fernet (AES-128-CBC + HMAC-SHA256).
        The Fernet key is derived with PBKDF2-HMAC-SHA256 and a random per-registry salt.
      - Needed to store a secret and to use a stored client key when probing. Without it, nodes whose
        client key is stored are reported with C(docker_status=unknown).
      - A wrong key fails with a clear message; it is never logged.
      - Falls back to the environment variable E(GPUFLEET_REGISTRY_KEY).
    type: str
  timeout:
    description:
      - Seconds one Docker connection test may take in all (connect, TLS handshake and API calls).
    type: float
    default: 5.0
requirements:
  - cryptography (only when O(registry_key) is used)
'''
