# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``compute_registry_migrate``: copy every record of one registry into another (SQLite -> PostgreSQL).

Plan first from read-only handles of both registries (check mode stops there and shows
what would move), then write each record in its own ``update`` transaction that looks at
the LATEST destination record again, so a rerun or a concurrent writer is never
overwritten by accident.

Secrets stay ciphertext when both registries share the key derivation salt (or the
destination has none yet: the source's salt and key check are copied with the records).
When the destination already derives its key from another salt, ``registry_key``
decrypts each secret with the source's salt and encrypts it with the destination's.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import RegistryConnection
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import location_shown
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.secrets import SecretBox

META_KEYS = ("kdf_salt", "key_check")


class RegistryMigrateService(object):
    """One run of the module: ``run()`` returns the result dict."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode

    def run(self):
        params = self.params
        if (params["source"] or "") == (params.get("registry") or ""):
            raise ComputeError("source and registry are the same registry", field="source")
        with RegistryConnection(params["source"], read_only=True, must_exist=True,
                                password=params.get("source_password")) as source, \
                RegistryConnection(params.get("registry"), read_only=True, must_exist=False,
                                   check_mode=self.check_mode, password=params.get("registry_password")) as dest:
            records = source.registry.list()
            src_meta = dict((k, source.registry.meta_get(k)) for k in META_KEYS)
            dst_salt = dest.registry.meta_get("kdf_salt")
            reencrypt = bool(dst_salt and src_meta["kdf_salt"] and dst_salt != src_meta["kdf_salt"]
                             and any(r.get("secrets") for r in records))
            source_box = self._box(source.registry) if reencrypt else None
            plan = self.plan(records, dest.registry, source_box)
            if not self.check_mode and (plan["created"] or plan["updated"]):
                self.write(records, plan, dest, src_meta, source_box)
        result = dict(changed=bool(plan["created"] or plan["updated"]), source=location_shown(params["source"]),
                      registry=location_shown(params.get("registry")), reencrypted=reencrypt, **plan)
        if getattr(self.module, "_diff", False):
            result["diff"] = {"before": {"nodes": plan["before"]},
                              "after": {"nodes": sorted(set(plan["before"]) | set(plan["created"]))},
                              "before_header": result["registry"], "after_header": result["registry"]}
        del result["before"]
        return result

    def _box(self, registry):
        if not self.params.get("registry_key"):
            raise ComputeError("the destination encrypts secrets with another salt: set registry_key (or "
                               "GPUFLEET_REGISTRY_KEY) to re-encrypt the moved secrets", field="registry_key")
        return SecretBox(registry, self.params["registry_key"])

    @staticmethod
    def _comparable(record, box):
        """The record with its secrets in plain text when they must be compared across salts."""
        if box is None or not record or not record.get("secrets"):
            return record
        out = dict(record)
        out["secrets"] = dict((f, box.decrypt(t, field=f, node=record.get("name")))
                              for f, t in record["secrets"].items())
        return out

    def plan(self, records, dest_registry, source_box):
        overwrite = self.params.get("conflict") == "overwrite"
        dest_box = self._box(dest_registry) if source_box is not None else None
        plan = dict(created=[], updated=[], unchanged=[], kept=[],
                    before=sorted(r["name"] for r in dest_registry.list()))
        for record in records:
            name = record["name"]
            current = dest_registry.get(name)
            if current is None:
                plan["created"].append(name)
            elif self._comparable(current, dest_box) == self._comparable(record, source_box):
                plan["unchanged"].append(name)
            else:
                plan["updated" if overwrite else "kept"].append(name)
        return plan

    def write(self, records, plan, dest, src_meta, source_box):
        writer = dest.writer()
        try:
            if source_box is None:
                for key in META_KEYS:
                    if src_meta[key] is not None:
                        if writer.registry.meta_setdefault(key, src_meta[key]) != src_meta[key]:
                            raise ComputeError("the destination got another key salt while migrating; run again",
                                               field="registry")
                dest_box = None
            else:
                dest_box = SecretBox(writer.registry, self.params["registry_key"])
            wanted = set(plan["created"]) | set(plan["updated"])
            overwrite = self.params.get("conflict") == "overwrite"
            for record in records:
                if record["name"] not in wanted:
                    continue
                new = dict(record)
                if dest_box is not None and record.get("secrets"):
                    plain = self._comparable(record, source_box)["secrets"]
                    new["secrets"] = dict((f, dest_box.encrypt(v)) for f, v in plain.items())
                writer.registry.update(record["name"], _copy_into(new, overwrite))
        finally:
            if writer is not dest:
                writer.close()


def _copy_into(new, overwrite):
    """The ``update`` mutation of one moved record, decided again on the latest destination record."""
    def mutate(latest):
        if latest is None or overwrite:
            return new
        return latest  # someone wrote it since the plan: theirs stays
    return mutate
