# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The PostgreSQL backend of the node registry (``postgresql://user@host:5432/db``).

Same guarantees as ``SQLiteRegistry`` (see ``registry.py``), for many controllers
(AWX / Automation Platform execution nodes) sharing one registry:

- ``update`` is ``SELECT ... FOR UPDATE`` of the one row, ``mutate`` and the write in
  one READ COMMITTED transaction: concurrent writers of a node queue on the row lock
  instead of losing each other's fields. A first insert races through
  ``INSERT ... ON CONFLICT DO NOTHING``; the loser starts again and then finds the row.
  Serialization failures and deadlocks (never expected: one row per transaction) are
  retried with jitter until a deadline, so callers never see a lock error.
- Read-only handles (check mode, info modules, the inventory) set
  ``default_transaction_read_only`` for the session and open READ ONLY transactions:
  the server itself refuses any write. They never create tables.
- Schema versioning: ``gpufleet_schema_version`` holds the version; ``MIGRATIONS``
  brings an older registry up to ``SCHEMA_VERSION`` under an advisory lock, and a
  registry written by a newer release is refused rather than misread.
- The password never appears in a message: locations are shown through
  ``common.urls.redact_url`` and error texts are scrubbed of it.

The driver is psycopg 3, optional: only a ``postgresql://`` registry needs it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import random
import time
import traceback

from ansible.module_utils.basic import missing_required_lib
from ansible.module_utils.six.moves.urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ansible_collections.gpufleet.ops.plugins.module_utils.common.urls import redact_url
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError, RegistryMissing
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import NodeRegistry

PSYCOPG_IMPORT_ERROR = None
try:
    import psycopg
    from psycopg import errors as pg_errors
except ImportError:  # pragma: no cover - reported through missing_required_lib
    PSYCOPG_IMPORT_ERROR = traceback.format_exc()
    psycopg = pg_errors = None

SCHEMES = ("postgresql", "postgres")
SCHEMA_VERSION = 1
# One advisory lock key for schema set-up and migrations ("gpufleet" in ASCII, truncated).
SCHEMA_LOCK_KEY = 0x6770666C6565
# version -> statements that bring a registry from version-1 to version.
MIGRATIONS = {
    1: [
        "CREATE TABLE IF NOT EXISTS gpufleet_nodes (name TEXT PRIMARY KEY, data TEXT NOT NULL,"
        " updated TIMESTAMPTZ NOT NULL DEFAULT now())",
        "CREATE TABLE IF NOT EXISTS gpufleet_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
}
# SQLSTATEs worth a retry: serialization failure, deadlock, lock not available.
RETRY_SQLSTATES = ("40001", "40P01", "55P03")


def is_postgres_location(location):
    return isinstance(location, str) and location.split("://", 1)[0].lower() in SCHEMES and "://" in location


def shown_location(location):
    """The location as it may be shown: no user:password, no ``password=`` parameter."""
    shown = redact_url(location)
    try:
        parts = urlsplit(shown)
    except ValueError:
        return shown
    if parts.query:
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "password"]
        shown = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
    return shown


class PostgresRegistry(NodeRegistry):
    """One psycopg connection (autocommit; explicit transactions) to a PostgreSQL registry."""

    CONNECT_TIMEOUT_S = 10
    RETRY_DEADLINE_S = 120.0

    def __init__(self, location, password=None, read_only=False, must_exist=False):
        if PSYCOPG_IMPORT_ERROR:
            raise ComputeError(missing_required_lib("psycopg (version 3, for a postgresql:// registry)"),
                               field="registry")
        self.location = location
        self.shown = shown_location(location)
        self.read_only = read_only
        self._password = password
        self._pending_meta = {}
        self._meta_snapshot = None
        self._empty = False
        options = "-c default_transaction_read_only=on" if read_only else None
        try:
            self._conn = psycopg.connect(location, password=password or None, autocommit=True,
                                         connect_timeout=self.CONNECT_TIMEOUT_S, options=options,
                                         application_name="gpufleet.ops")
        except psycopg.OperationalError as exc:
            if "does not exist" in str(exc) and "database" in str(exc):
                raise RegistryMissing("the registry database %s does not exist" % self.shown, field="registry")
            raise self._error("cannot connect", exc)
        except psycopg.Error as exc:
            raise self._error("cannot connect", exc)
        self._conn.read_only = read_only
        try:
            version = self._retry(self._schema_version)
            if version is None:
                if must_exist:
                    raise RegistryMissing("the registry %s has no gpufleet tables (never written)" % self.shown,
                                          field="registry")
                if read_only:
                    self._empty = True  # read as empty; a real run creates the tables
                else:
                    self._retry(self._migrate)
            elif version > SCHEMA_VERSION:
                raise ComputeError("the registry %s has schema version %d, written by a newer release of "
                                   "gpufleet.ops (this one knows up to %d)" % (self.shown, version, SCHEMA_VERSION),
                                   field="registry")
            elif version < SCHEMA_VERSION:
                if read_only:
                    raise ComputeError("the registry %s has schema version %d; a run that writes migrates it to "
                                       "%d" % (self.shown, version, SCHEMA_VERSION), field="registry")
                self._retry(self._migrate)
        except BaseException:
            self.close()
            raise

    # -- plumbing -----------------------------------------------------------
    def _error(self, what, exc):
        text = str(exc).strip()
        if self._password:
            text = text.replace(self._password, "********")
        if self.location != self.shown:
            text = text.replace(self.location, self.shown)
        return ComputeError("registry %s: %s: %s" % (self.shown, what, text), field="registry")

    def _retry(self, func, *args):
        deadline = time.time() + self.RETRY_DEADLINE_S
        delay = 0.005
        while True:
            try:
                return func(*args)
            except psycopg.Error as exc:
                sqlstate = getattr(exc, "sqlstate", None)
                if sqlstate not in RETRY_SQLSTATES or time.time() > deadline:
                    if isinstance(exc, pg_errors.ReadOnlySqlTransaction):
                        raise ComputeError("internal error: write to a registry opened read-only (check mode)",
                                           field="registry")
                    raise self._error("database error", exc)
            except _InsertRace:
                pass
            time.sleep(delay + random.random() * delay)
            delay = min(delay * 2, 0.25)

    def _schema_version(self):
        with self._conn.transaction():
            found = self._conn.execute("SELECT to_regclass('gpufleet_schema_version')").fetchone()[0]
            if found is None:
                return None
            row = self._conn.execute("SELECT max(version) FROM gpufleet_schema_version").fetchone()
            return row[0] if row and row[0] is not None else 0

    def _migrate(self):
        with self._conn.transaction():
            # Serialises concurrent first writers and migrations; released at commit.
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
            self._conn.execute("CREATE TABLE IF NOT EXISTS gpufleet_schema_version (version INTEGER PRIMARY KEY,"
                               " applied TIMESTAMPTZ NOT NULL DEFAULT now())")
            row = self._conn.execute("SELECT max(version) FROM gpufleet_schema_version").fetchone()
            current = row[0] or 0
            for version in sorted(v for v in MIGRATIONS if v > current):
                for statement in MIGRATIONS[version]:
                    self._conn.execute(statement)
                self._conn.execute("INSERT INTO gpufleet_schema_version (version) VALUES (%s)", (version,))

    # -- interface ------------------------------------------------------------
    def schema_version(self):
        """The stored schema version (0 for a registry never written)."""
        return 0 if self._empty else self._retry(self._schema_version)

    def get(self, name):
        if self._empty:
            return None

        def _get():
            row = self._conn.execute("SELECT data FROM gpufleet_nodes WHERE name = %s", (name,)).fetchone()
            return json.loads(row[0]) if row else None
        return self._retry(_get)

    def list(self):
        if self._empty:
            return []

        def _list():
            rows = self._conn.execute("SELECT data FROM gpufleet_nodes ORDER BY name").fetchall()
            return [json.loads(r[0]) for r in rows]
        return self._retry(_list)

    def update(self, name, mutate):
        if self.read_only:
            raise ComputeError("internal error: write to a registry opened read-only (check mode)",
                               field="registry")

        def _update():
            with self._conn.transaction():
                row = self._conn.execute("SELECT data FROM gpufleet_nodes WHERE name = %s FOR UPDATE",
                                         (name,)).fetchone()
                current = json.loads(row[0]) if row else None
                new = mutate(current)
                if new is None:
                    if current is not None:
                        self._conn.execute("DELETE FROM gpufleet_nodes WHERE name = %s", (name,))
                elif new is not current:
                    data = json.dumps(new, sort_keys=True)
                    if row is None:
                        cur = self._conn.execute("INSERT INTO gpufleet_nodes (name, data) VALUES (%s, %s)"
                                                 " ON CONFLICT (name) DO NOTHING", (name, data))
                        if cur.rowcount != 1:
                            raise _InsertRace()  # rolls back; the next try locks the winner's row
                    else:
                        self._conn.execute("UPDATE gpufleet_nodes SET data = %s, updated = now() WHERE name = %s",
                                           (data, name))
                return new
        return self._retry(_update)

    def delete(self, name):
        existed = []
        self.update(name, lambda cur: existed.append(cur is not None))
        return bool(existed and existed[0])

    def meta_setdefault(self, key, value):
        if self.read_only:
            stored = self.meta_get(key)
            if stored is None:
                stored = self._pending_meta.setdefault(key, value)
            return stored

        def _meta():
            with self._conn.transaction():
                self._conn.execute("INSERT INTO gpufleet_meta (key, value) VALUES (%s, %s) ON CONFLICT (key) DO NOTHING",
                                   (key, value))
                return self._conn.execute("SELECT value FROM gpufleet_meta WHERE key = %s", (key,)).fetchone()[0]
        return self._retry(_meta)

    def meta_get(self, key):
        if self._empty:
            return None
        if self.read_only:
            # One snapshot of all settings per read-only handle: the salt and the key check are
            # written one after the other by the first writer, and reading them in two statements
            # could pair "no salt yet" with that writer's key check (a false "wrong registry_key").
            if self._meta_snapshot is None:
                self._meta_snapshot = self._retry(
                    lambda: dict(self._conn.execute("SELECT key, value FROM gpufleet_meta").fetchall()))
            return self._meta_snapshot.get(key)

        def _get():
            row = self._conn.execute("SELECT value FROM gpufleet_meta WHERE key = %s", (key,)).fetchone()
            return row[0] if row else None
        return self._retry(_get)

    def close(self):
        conn = getattr(self, "_conn", None)
        if conn is not None:
            try:
                conn.close()
            except Exception:  # closing a broken connection: nothing to report
                pass


class _InsertRace(Exception):
    """Another writer inserted the row between our SELECT FOR UPDATE and INSERT."""
