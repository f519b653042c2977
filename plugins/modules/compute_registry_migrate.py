#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: compute_registry_migrate
short_description: Copy the compute-node registry into another registry (SQLite to PostgreSQL)
version_added: 0.1.0
description:
  - Copies every record of the O(source) registry into O(registry), typically a SQLite file into
    a PostgreSQL database shared by several controllers or AWX execution nodes.
  - Idempotent. A record that is not in O(registry) is created; one that is there and equal is left
    alone; one that differs is kept as it is in O(registry) unless O(conflict=overwrite).
  - Encrypted secrets move as ciphertext with the registry's key derivation salt, so the same
    O(registry_key) opens them afterwards. When O(registry) already has secrets under another salt,
    O(registry_key) is needed and the secrets are re-encrypted.
  - The source is opened read-only and never changed. In check mode the destination is only read
    (PostgreSQL - read-only transactions) and the result lists what would move.
author:
  - gpufleet.ops maintainers (@gpufleet)
extends_documentation_fragment:
  - gpufleet.ops.attributes.actiongroup_compute
  - gpufleet.ops.compute_registry
options:
  source:
    description:
      - The registry to copy from - a file path, C(sqlite:///path) or C(postgresql://user@host:port/db).
      - It must exist.
    type: str
    required: true
  source_password:
    description: Password of a PostgreSQL O(source) (libpq also reads E(PGPASSWORD) and C(~/.pgpass)).
    type: str
  conflict:
    description:
      - What to do with a record that exists in both registries with different contents.
      - V(keep) leaves the destination's record (it may be newer, for example a status the monitor wrote).
      - V(overwrite) replaces it with the source's record.
    type: str
    choices: [keep, overwrite]
    default: keep
attributes:
  check_mode:
    support: full
    description: Reads both registries and reports what would move; nothing is created in the destination.
  diff_mode:
    support: full
    description: Shows the destination's node names before and after.
  idempotent:
    support: full
    description: A second run with the same registries reports no change.
notes:
  - Run it once from the controller that holds the SQLite file, then point O(registry) (or
    E(GPUFLEET_REGISTRY)) of every job at the PostgreSQL registry.
'''

EXAMPLES = r'''
- name: Move the controller's SQLite registry into the shared PostgreSQL registry
  gpufleet.ops.compute_registry_migrate:
    source: ~/.local/share/gpufleet/registry.db
    registry: postgresql://gpufleet@db.example.com:5432/gpufleet?sslmode=verify-full
    registry_password: "{{ vault_registry_db_password }}"

- name: Show what would move, without writing
  gpufleet.ops.compute_registry_migrate:
    source: /srv/gpufleet/registry.db
    registry: postgresql://gpufleet@db.example.com:5432/gpufleet
  check_mode: true
  register: would_move
'''

RETURN = r'''
created:
  description: Records copied (in check mode - that would be copied) because the destination lacked them.
  returned: always
  type: list
  elements: str
  sample: [gpu-bj-07]
updated:
  description: Records replaced in the destination (O(conflict=overwrite) only).
  returned: always
  type: list
  elements: str
  sample: []
unchanged:
  description: Records equal in both registries.
  returned: always
  type: list
  elements: str
  sample: [gpu-bj-08]
kept:
  description: Records that differ and were left as they are in the destination (O(conflict=keep)).
  returned: always
  type: list
  elements: str
  sample: []
reencrypted:
  description: Whether secrets were re-encrypted for the destination's salt.
  returned: always
  type: bool
  sample: false
source:
  description: The source registry, shown without a password.
  returned: always
  type: str
  sample: /root/.local/share/gpufleet/registry.db
registry:
  description: The destination registry, shown without a password.
  returned: always
  type: str
  sample: postgresql://db.example.com:5432/gpufleet
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import run_module
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import registry_spec
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.migration import RegistryMigrateService


def argument_spec():
    spec = dict(
        source=dict(type="str", required=True),
        source_password=dict(type="str", no_log=True),
        conflict=dict(type="str", choices=["keep", "overwrite"], default="keep"),
    )
    spec.update(registry_spec())
    return spec


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    run_module(module, RegistryMigrateService(module).run)


if __name__ == "__main__":
    main()
