# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """The compute-node registry connection (``compute/connection.py`` REGISTRY_SPEC)."""

    DOCUMENTATION = r'''
options:
  registry:
    description:
      - Where compute-node records are stored, on the host that runs the module (normally the controller).
      - A file path or C(sqlite:///path). The file is created with mode C(0600) in a C(0700) directory,
        by the first write; a run that writes nothing (check mode, an info module, bad input) creates nothing.
      - Or a PostgreSQL database, C(postgresql://user@host:5432/db) (libpq URI parameters such as
        C(sslmode) are passed on), for several controllers or AWX execution nodes sharing one registry.
        The database must exist; its tables (C(gpufleet_nodes), C(gpufleet_meta),
        C(gpufleet_schema_version)) are created by the first write and migrated in place by later releases.
        Check mode and info modules use read-only transactions. Put the password in O(registry_password),
        not in the URL; the location is never shown with a password.
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
  registry_password:
    description:
      - Password of the PostgreSQL user of a C(postgresql://) O(registry). Never logged or shown.
      - Falls back to the environment variables E(GPUFLEET_REGISTRY_PASSWORD) and E(PGPASSWORD) (which
        libpq also reads, as it reads C(~/.pgpass)). Ignored for a SQLite registry.
    type: str
    version_added: 0.1.0
requirements:
  - cryptography (only when O(registry_key) is used)
  - psycopg >= 3.1 (only for a C(postgresql://) registry)
'''

    # The same options for the inventory plugin, where Ansible reads the environment itself.
    PLUGIN = r'''
options:
  registry:
    description:
      - The compute-node registry to read (a file path, C(sqlite:///path) or
        C(postgresql://user@host:5432/db)). It is opened read-only (PostgreSQL - read-only transactions);
        nothing is created or changed. A registry that does not exist is an empty source with a warning.
      - The password of a PostgreSQL registry comes from E(PGPASSWORD) or C(~/.pgpass) (libpq reads them).
      - C(~/.local/share/gpufleet/registry.db) when neither this option nor E(GPUFLEET_REGISTRY) is set.
    type: str
    env:
      - name: GPUFLEET_REGISTRY
  registry_key:
    description:
      - Passphrase of the registry's encrypted secrets; only needed to decrypt them (never to list nodes).
    type: str
    env:
      - name: GPUFLEET_REGISTRY_KEY
'''
