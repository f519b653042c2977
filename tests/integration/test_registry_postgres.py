# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compute registry on a real PostgreSQL server (tests/support/postgres.py).

The modules through ansible-playbook (password from the option and from PGPASSWORD, never
shown), check mode as read-only transactions, the SQLite -> PostgreSQL migration module,
schema versioning, and 2 controllers x 20 forks x 50 writes into one registry.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import multiprocessing
import os
import tempfile
import time

import pytest

from tests.support import postgres
from tests.support.ansible_run import run_playbook

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_PB = os.path.join(HERE, "playbooks", "compute", "node.yml")
INFO_PB = os.path.join(HERE, "playbooks", "compute", "info.yml")
MIGRATE_PB = os.path.join(HERE, "playbooks", "compute", "registry_migrate.yml")
KEY = "registry-Key-4d1e"
SSH_SECRET = "ssh-Secret-91b2c7"

CONTROLLERS, FORKS, WRITES, SHARED_NODES = 2, 20, 50, 5


@pytest.fixture(scope="module")
def pg():
    return postgres.test_server()


def _shown(res):
    """What the modules returned and Ansible printed, without the test's own loop items (they hold the inputs)."""
    data = json.loads(json.dumps(res.data))
    for play in data.get("plays", []):
        for task in play.get("tasks", []):
            for host in task["hosts"].values():
                for item in host.get("results", []):
                    item.pop("item", None)
    return [json.dumps(data), res.stderr]


def _no_secret(*texts):
    for text in texts:
        for secret in (postgres.PASSWORD, KEY, SSH_SECRET):
            assert secret not in text, "secret shown: %s" % secret


def test_modules_on_postgres_password_option_and_pgpassword(pg):
    url = pg.new_database()
    case = dict(name="gpu-a", registry=url, registry_password=postgres.PASSWORD, registry_key=KEY,
                region="eu", ssh_password=SSH_SECRET, gpu_count=8)
    # check mode against a database with no tables: read-only, nothing created
    res = run_playbook(NODE_PB, extra_vars={"node_cases": [case]}, check=True, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    assert res.task("Compute node")["results"][0]["changed"] is True
    assert pg.psql("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'gpufleet_%%'",
                   database=url.rsplit("/", 1)[1]) == "0"
    _no_secret(*_shown(res))
    # real run: tables created, record written; a second identical run changes nothing
    for expect_changed in (True, False):
        res = run_playbook(NODE_PB, extra_vars={"node_cases": [case]})
        assert res.rc == 0, res.stdout[-3000:]
        assert res.task("Compute node")["results"][0]["changed"] is expect_changed
        _no_secret(*_shown(res))
    # the password from PGPASSWORD (as an AWX credential injects it); secrets stay ciphertext
    res = run_playbook(INFO_PB, extra_vars={"info_args": {"registry": url}}, env={"PGPASSWORD": postgres.PASSWORD})
    assert res.rc == 0, res.stdout[-3000:]
    node = res.task("Compute node info")["nodes"][0]
    assert node["name"] == "gpu-a" and node["has_ssh_password"] and node["gpu_count"] == 8
    stored = pg.psql("SELECT data FROM gpufleet_nodes", database=url.rsplit("/", 1)[1])
    assert SSH_SECRET not in stored and json.loads(stored)["secrets"]["ssh_password"].startswith("gAAAA")
    assert pg.psql("SELECT max(version) FROM gpufleet_schema_version", database=url.rsplit("/", 1)[1]) == "1"


def test_errors_never_show_the_password(pg):
    url = pg.new_database()
    cases = [dict(name="x", registry=url, registry_password="wrong-" + postgres.PASSWORD),
             dict(name="x", registry=url.rsplit("/", 1)[0] + "/no_such_db", registry_password=postgres.PASSWORD)]
    res = run_playbook(NODE_PB, extra_vars={"node_cases": cases, "node_ignore_errors": True}, verbosity=3)
    results = res.task("Compute node")["results"]
    assert all(r.get("failed") for r in results), res.stdout[-3000:]
    assert "password authentication failed" in results[0]["msg"]
    assert "does not exist" in results[1]["msg"]
    assert "127.0.0.1:%d" % pg.port in results[0]["msg"]
    _no_secret(*_shown(res))


def test_schema_versioning_refuses_a_newer_registry_and_migrates_an_older(pg):
    from ansible_collections.gpufleet.ops.plugins.module_utils.compute import registry_postgres as rp
    from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
    url = pg.new_database()
    db = url.rsplit("/", 1)[1]
    reg = rp.PostgresRegistry(url, password=postgres.PASSWORD)
    reg.update("n", lambda cur: {"name": "n"})
    reg.close()
    pg.psql("INSERT INTO gpufleet_schema_version (version) VALUES (99)", database=db)
    with pytest.raises(ComputeError) as exc:
        rp.PostgresRegistry(url, password=postgres.PASSWORD, read_only=True)
    assert "schema version 99" in str(exc.value) and "newer release" in str(exc.value)
    pg.psql("DELETE FROM gpufleet_schema_version WHERE version = 99", database=db)
    # an older registry (version 0: only the version table) is migrated by a writer, not by a reader
    pg.psql("DELETE FROM gpufleet_schema_version", database=db)
    with pytest.raises(ComputeError) as exc:
        rp.PostgresRegistry(url, password=postgres.PASSWORD, read_only=True)
    assert "a run that writes migrates it" in str(exc.value)
    reg = rp.PostgresRegistry(url, password=postgres.PASSWORD)
    assert reg.schema_version() == rp.SCHEMA_VERSION and reg.get("n") == {"name": "n"}
    reg.close()


def test_migration_from_sqlite_is_idempotent_and_check_mode_shows_what_would_move(pg, tmp_path):
    sqlite = str(tmp_path / "registry.db")
    seed = [dict(name="m-%d" % i, registry=sqlite, registry_key=KEY, ssh_password=SSH_SECRET, gpu_count=i)
            for i in range(3)]
    assert run_playbook(NODE_PB, extra_vars={"node_cases": seed}).rc == 0
    url = pg.new_database()
    args = dict(source=sqlite, registry=url, registry_password=postgres.PASSWORD)
    res = run_playbook(MIGRATE_PB, extra_vars={"migrate_args": args}, check=True, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    out = res.task("Migrate the registry")
    assert out["changed"] and out["created"] == ["m-0", "m-1", "m-2"] and out["updated"] == []
    assert pg.psql("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'gpufleet_%%'",
                   database=url.rsplit("/", 1)[1]) == "0"
    res = run_playbook(MIGRATE_PB, extra_vars={"migrate_args": args})
    out = res.task("Migrate the registry")
    assert out["changed"] and out["created"] == ["m-0", "m-1", "m-2"], res.stdout[-3000:]
    res = run_playbook(MIGRATE_PB, extra_vars={"migrate_args": args})
    out = res.task("Migrate the registry")
    assert not out["changed"] and out["unchanged"] == ["m-0", "m-1", "m-2"], res.stdout[-3000:]
    _no_secret(*_shown(res))
    # the moved secrets decrypt with the same registry_key on PostgreSQL
    from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import open_registry
    with open_registry(url, key=KEY, password=postgres.PASSWORD) as conn:
        record = conn.registry.get("m-2")
        assert conn.box.decrypt(record["secrets"]["ssh_password"]) == SSH_SECRET and record["gpu_count"] == 2


def test_two_ansible_controllers_with_twenty_forks_write_one_fresh_registry(pg, tmp_path):
    """2 ansible-playbook runs at once, forks=20 each, on a registry with no tables yet: the schema
    creation, the key salt and the per-field merges race through the real module."""
    from concurrent.futures import ThreadPoolExecutor
    url = pg.new_database()
    inventory = tmp_path / "hosts"
    inventory.write_text("".join("h%02d ansible_connection=local\n" % i for i in range(FORKS)))
    playbook = os.path.join(HERE, "playbooks", "compute", "pg_fleet_writes.yml")

    def controller(name):
        return run_playbook(playbook, inventory=str(inventory), timeout=600,
                            extra_vars={"controller": name, "registry": url, "registry_key": KEY,
                                        "ssh_secret": SSH_SECRET},
                            env={"ANSIBLE_FORKS": str(FORKS), "PGPASSWORD": postgres.PASSWORD})

    started = time.time()
    with ThreadPoolExecutor(max_workers=CONTROLLERS) as pool:
        runs = list(pool.map(controller, ["c0", "c1"]))
    elapsed = time.time() - started
    for res in runs:
        failed = [(t["task"]["name"], h, r.get("msg")) for p in res.data.get("plays", []) for t in p["tasks"]
                  for h, r in t["hosts"].items() if r.get("failed")]
        assert res.rc == 0 and not failed, (failed[:5], res.stderr[-3000:])
        assert "lock" not in json.dumps(res.data).lower()
        _no_secret(*_shown(res))
    from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import open_registry
    with open_registry(url, key=KEY, password=postgres.PASSWORD) as conn:
        records = dict((r["name"], r) for r in conn.registry.list())
        own = ["c%d-h%02d" % (c, h) for c in range(CONTROLLERS) for h in range(FORKS)]
        assert sorted(records) == sorted(own + ["shared"])
        assert all(conn.box.decrypt(records[n]["secrets"]["ssh_password"]) == SSH_SECRET for n in own)
        assert [records["c1-h%02d" % h]["gpu_count"] for h in range(FORKS)] == list(range(FORKS))
    shared = records["shared"]
    expected = dict(region="r", cpu="c", memory="m", system_disk="s", data_disk="d", ssh_user="u", gpu_name="g",
                    remark="x", hami_core_dir="/h", public_ip="203.0.113.7", private_ip="10.0.0.7", ssh_port=2200,
                    gpu_count=4, gpu_memory_gb=80)
    assert dict((f, shared.get(f)) for f in expected) == expected
    print("ansible controllers on postgres: %d module writes in %.1f s" % (CONTROLLERS * (FORKS + 14), elapsed))


# -- 2 controllers x 20 forks x 50 writes -------------------------------------------------
def _fork_writer(url, controller, fork, queue):
    """One fork: 50 writes, each appending its own token to one of a few shared records."""
    from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import open_registry_from_params
    errors, slowest = [], 0.0
    params = {"registry": url, "registry_password": postgres.PASSWORD, "registry_key": None}
    for write in range(WRITES):
        token = "c%d-f%02d-w%02d" % (controller, fork, write)
        node = "shared-%d" % ((fork + write) % SHARED_NODES)
        started = time.time()
        try:
            # as a module does it: a read-only plan, then a writer for the one transaction
            with open_registry_from_params(params, read_only=True) as conn:
                writer = conn.writer()
                try:
                    writer.registry.update(node, lambda cur, t=token, n=node: dict(
                        cur or {"name": n}, writes=(cur or {}).get("writes", []) + [t]))
                finally:
                    writer.close()
        except Exception as exc:  # every failure counts; a lock error is one
            errors.append("%s: %s" % (token, exc))
        slowest = max(slowest, time.time() - started)
    queue.put((controller, fork, errors, slowest))


def _controller(url, controller, queue):
    ctx = multiprocessing.get_context("fork")
    forks = [ctx.Process(target=_fork_writer, args=(url, controller, fork, queue)) for fork in range(FORKS)]
    for proc in forks:
        proc.start()
    for proc in forks:
        proc.join()


def test_two_controllers_twenty_forks_fifty_writes_lose_nothing(pg):
    url = pg.new_database()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    started = time.time()
    controllers = [ctx.Process(target=_controller, args=(url, c, queue)) for c in range(CONTROLLERS)]
    for proc in controllers:
        proc.start()
    reports = [queue.get(timeout=900) for dummy in range(CONTROLLERS * FORKS)]
    for proc in controllers:
        proc.join(timeout=60)
    elapsed = time.time() - started
    from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import open_registry
    with open_registry(url, password=postgres.PASSWORD) as conn:
        stored = [t for record in conn.registry.list() for t in record.get("writes", [])]
    expected = set("c%d-f%02d-w%02d" % (c, f, w) for c in range(CONTROLLERS) for f in range(FORKS)
                   for w in range(WRITES))
    errors = [e for r in reports for e in r[2]]
    lock_errors = [e for e in errors if "lock" in e.lower() or "deadlock" in e.lower() or "serializ" in e.lower()]
    lost = expected - set(stored)
    figures = {"writes": len(expected), "records_written": len(stored), "lost": len(lost),
               "duplicates": len(stored) - len(set(stored)), "errors": len(errors), "lock_errors": len(lock_errors),
               "seconds": round(elapsed, 1), "writes_per_second": round(len(expected) / elapsed, 1),
               "slowest_write_s": round(max(r[3] for r in reports), 3)}
    print("postgres concurrency:", json.dumps(figures, sort_keys=True))
    with open(os.path.join(os.environ.get("GPUFLEET_FIGURES_DIR", tempfile.gettempdir()), "gpufleet-pg-concurrency.json"), "w") as out:
        json.dump(figures, out, sort_keys=True)
    assert not errors, errors[:5]
    assert not lost and figures["duplicates"] == 0 and len(stored) == CONTROLLERS * FORKS * WRITES
