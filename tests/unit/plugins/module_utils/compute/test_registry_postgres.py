# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The PostgreSQL backend's parts that need no server (the server: tests/integration/test_registry_postgres.py),
and the migration service on two SQLite registries."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
from ansible.module_utils.basic import env_fallback

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import connection as C
from ansible_collections.gpufleet.ops.plugins.module_utils.compute import registry as R
from ansible_collections.gpufleet.ops.plugins.module_utils.compute import registry_postgres as P
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.migration import RegistryMigrateService

SECRET = "pg-Unit-Secret-0b7d"


def test_password_option_is_no_log_with_env_fallbacks():
    spec = C.registry_spec()["registry_password"]
    assert spec["no_log"] is True
    assert spec["fallback"] == (env_fallback, ["GPUFLEET_REGISTRY_PASSWORD", "PGPASSWORD"])


@pytest.mark.parametrize("location,shown", [
    ("postgresql://u:%s@db:5432/reg" % SECRET, "postgresql://db:5432/reg"),
    ("postgres://u@db/reg?sslmode=require&password=%s" % SECRET, "postgres://db/reg?sslmode=require"),
    ("postgresql://db/reg", "postgresql://db/reg"),
])
def test_locations_are_shown_without_credentials(location, shown):
    assert P.is_postgres_location(location)
    assert P.shown_location(location) == shown
    assert R.location_shown(location) == shown


def test_other_locations_are_not_postgres():
    assert not P.is_postgres_location("/var/lib/registry.db")
    assert not P.is_postgres_location("sqlite:///x.db")
    assert not P.is_postgres_location("postgresql-ish")


def test_open_backend_routes_postgresql_urls(monkeypatch):
    seen = {}

    class Fake(object):
        def __init__(self, location, password=None, read_only=False, must_exist=False):
            seen.update(location=location, password=password, read_only=read_only, must_exist=must_exist)

    monkeypatch.setattr(P, "PostgresRegistry", Fake)
    R.open_backend("postgresql://u@h/db", read_only=True, must_exist=True, password=SECRET)
    assert seen == {"location": "postgresql://u@h/db", "password": SECRET, "read_only": True, "must_exist": True}


def test_missing_driver_is_reported_with_missing_required_lib(monkeypatch):
    monkeypatch.setattr(P, "PSYCOPG_IMPORT_ERROR", "Traceback: no module named psycopg")
    with pytest.raises(ComputeError) as exc:
        C.open_registry("postgresql://u@127.0.0.1:1/db", password=SECRET)
    assert exc.value.field == "registry"
    assert "Failed to import the required Python library (psycopg" in str(exc.value)
    assert SECRET not in str(exc.value)


def test_errors_are_scrubbed_of_the_password():
    reg = P.PostgresRegistry.__new__(P.PostgresRegistry)
    reg.location = "postgresql://u:%s@h/db" % SECRET
    reg.shown = P.shown_location(reg.location)
    reg._password = SECRET
    err = reg._error("cannot connect", Exception("bad %s in %s" % (SECRET, reg.location)))
    assert SECRET not in str(err) and "postgresql://h/db" in str(err) and err.field == "registry"


def test_read_only_handle_refuses_update():
    reg = P.PostgresRegistry.__new__(P.PostgresRegistry)
    reg.read_only = True
    with pytest.raises(ComputeError) as exc:
        reg.update("n", lambda cur: {"name": "n"})
    assert "read-only" in str(exc.value)


def test_migrations_are_numbered_from_one_up_to_the_schema_version():
    assert sorted(P.MIGRATIONS) == list(range(1, P.SCHEMA_VERSION + 1))


# -- the migration service (backend-neutral; SQLite to SQLite here) --------------------
class FakeModule(object):
    def __init__(self, params, check_mode=False):
        self.params = dict(dict(registry_password=None, source_password=None, registry_key=None,
                                conflict="keep"), **params)
        self.check_mode = check_mode
        self._diff = True


def _seed(path, key="k", names=("a", "b")):
    with C.open_registry(str(path), key=key, read_only=False, must_exist=False) as conn:
        for name in names:
            token = conn.box.encrypt("secret-" + name)
            conn.registry.update(name, lambda cur, n=name, t=token: {"name": n, "secrets": {"ssh_password": t}})


def test_migration_plan_check_mode_then_idempotent_copy(tmp_path):
    source, dest = tmp_path / "src.db", tmp_path / "dst.db"
    _seed(source)
    params = {"source": str(source), "registry": str(dest)}
    planned = RegistryMigrateService(FakeModule(params, check_mode=True)).run()
    assert planned["changed"] and planned["created"] == ["a", "b"] and not dest.exists()
    assert planned["diff"]["after"] == {"nodes": ["a", "b"]}
    done = RegistryMigrateService(FakeModule(params)).run()
    assert done["created"] == ["a", "b"] and not done["reencrypted"]
    again = RegistryMigrateService(FakeModule(params)).run()
    assert not again["changed"] and again["unchanged"] == ["a", "b"]
    with C.open_registry(str(dest), key="k") as conn:
        assert conn.box.decrypt(conn.registry.get("b")["secrets"]["ssh_password"]) == "secret-b"


def test_migration_keeps_or_overwrites_a_differing_record(tmp_path):
    source, dest = tmp_path / "src.db", tmp_path / "dst.db"
    _seed(source)
    params = {"source": str(source), "registry": str(dest)}
    RegistryMigrateService(FakeModule(params)).run()
    with C.open_registry(str(dest), read_only=False) as conn:
        conn.registry.update("a", lambda cur: dict(cur, docker_status="connected"))
    kept = RegistryMigrateService(FakeModule(params)).run()
    assert not kept["changed"] and kept["kept"] == ["a"]
    over = RegistryMigrateService(FakeModule(dict(params, conflict="overwrite"))).run()
    assert over["changed"] and over["updated"] == ["a"]
    with C.open_registry(str(dest)) as conn:
        assert "docker_status" not in conn.registry.get("a")


def test_migration_reencrypts_for_a_destination_with_another_salt(tmp_path):
    source, dest = tmp_path / "src.db", tmp_path / "dst.db"
    _seed(source)
    _seed(dest, names=("z",))  # its own salt
    params = {"source": str(source), "registry": str(dest)}
    with pytest.raises(ComputeError) as exc:
        RegistryMigrateService(FakeModule(params)).run()
    assert exc.value.field == "registry_key"
    done = RegistryMigrateService(FakeModule(dict(params, registry_key="k"))).run()
    assert done["reencrypted"] and done["created"] == ["a", "b"]
    with C.open_registry(str(dest), key="k") as conn:
        assert conn.box.decrypt(conn.registry.get("a")["secrets"]["ssh_password"]) == "secret-a"
    again = RegistryMigrateService(FakeModule(dict(params, registry_key="k"))).run()
    assert not again["changed"] and again["unchanged"] == ["a", "b"]


def test_migration_needs_an_existing_source(tmp_path):
    with pytest.raises(ComputeError) as exc:
        RegistryMigrateService(FakeModule({"source": str(tmp_path / "none.db"),
                                           "registry": str(tmp_path / "d.db")})).run()
    assert exc.value.field == "registry" and "does not exist" in str(exc.value)


def test_read_only_handle_reads_the_key_settings_as_one_snapshot(tmp_path):
    """A first writer stores the salt and the key check in two transactions; a reader between the
    two reads used to pair "no salt" with that writer's key check: "registry_key does not match".
    (Found by the PostgreSQL test of two controllers with 20 forks; the same holds for SQLite.)"""
    from ansible_collections.gpufleet.ops.plugins.module_utils.compute.secrets import SecretBox
    path = str(tmp_path / "r.db")
    R.open_backend(path).close()  # tables, no settings yet
    reader, writer = R.open_backend(path, read_only=True), R.open_backend(path)
    fired = []
    original = reader.meta_get

    def meta_get_then_first_writer(key):
        value = original(key)
        if key == "kdf_salt" and not fired:
            fired.append(SecretBox(writer, "k"))  # the first writer lands between the two reads
        return value
    reader.meta_get = meta_get_then_first_writer
    SecretBox(reader, "k")  # used to raise "registry_key does not match"
    assert fired and writer.meta_get("key_check")
    reader.close()
    writer.close()
