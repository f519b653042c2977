# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where compute-node records live: the storage interface and its SQLite backend.

``NodeRegistry`` is the whole storage interface the services use:

- records are plain JSON-able dicts keyed by node name; secrets inside them are
  already ciphertext (see ``secrets.py``), so a backend never sees plain secrets;
- ``update(name, mutate)`` is the only record write: read, ``mutate`` and write in
  ONE transaction, so concurrent writers of one node never lose each other's
  fields. Callers do slow work (Docker probes) before ``update``, never inside;
- a backend opened ``read_only`` (check mode, info modules, the inventory) never
  creates, changes or initialises anything and refuses ``update``;
- ``meta_setdefault`` / ``meta_get`` keep per-registry settings (the KDF salt).

``SQLiteRegistry`` is the default backend. ``PostgresRegistry``
(``registry_postgres.py``, ``postgresql://``) subclasses ``NodeRegistry`` with the
same guarantees for controllers sharing one registry; ``open_backend`` picks the
backend by the location's URL scheme.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import random
import sqlite3
import time

from ansible.module_utils.six.moves.urllib.parse import quote

from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError, RegistryMissing

DEFAULT_REGISTRY = "~/.local/share/gpufleet/registry.db"


class NodeRegistry(object):
    """Storage interface. Every method is atomic on its own."""

    def get(self, name):
        """Return the record called ``name`` or None."""
        raise NotImplementedError

    def list(self):
        """Return all records, sorted by name."""
        raise NotImplementedError

    def update(self, name, mutate):
        """Atomically replace the record ``name`` with ``mutate(current)``.

        ``current`` is the stored record or None. ``mutate`` returns the new
        record, None to delete it, or ``current`` itself (the same object) to
        leave it untouched. Returns what ``mutate`` returned.
        """
        raise NotImplementedError

    def delete(self, name):
        """Delete ``name``; return True when it existed."""
        raise NotImplementedError

    def meta_setdefault(self, key, value):
        """Store ``value`` under ``key`` unless a value is there; return the stored one.

        Read-only: nothing is stored; the value is kept in memory for this object.
        """
        raise NotImplementedError

    def meta_get(self, key):
        """The value stored under ``key``, or None."""
        raise NotImplementedError

    def close(self):
        pass


def _is_busy(exc):
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class SQLiteRegistry(NodeRegistry):
    """SQLite file with WAL journaling; safe for many concurrent writers.

    Every write is ``BEGIN IMMEDIATE`` (the write lock is taken before the read
    of a read-modify-write, so no update is lost), SQLite's own busy timeout
    waits for other writers, and a jittered retry covers the cases where SQLite
    reports "locked" without waiting (WAL set-up, schema creation).
    """

    BUSY_TIMEOUT_MS = 30000
    RETRY_DEADLINE_S = 60.0

    def __init__(self, path, read_only=False):
        """``read_only`` (check mode): never create, change or initialise anything on disk.

        A registry that does not exist yet is then an empty in-memory database; one
        that exists is opened with SQLite's ``mode=ro``, so the file cannot change.
        """
        self.path = os.path.abspath(os.path.expanduser(path))
        self.read_only = read_only
        self._meta_snapshot = None
        target, uri = self.path, False
        if read_only and not os.path.exists(self.path):
            target = ":memory:"
        elif read_only:
            target, uri = "file:%s?mode=ro" % quote(self.path), True
        else:
            parent = os.path.dirname(self.path)
            try:
                if not os.path.isdir(parent):
                    os.makedirs(parent, 0o700)
                if not os.path.exists(self.path):
                    fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
                    os.close(fd)
            except OSError as exc:
                raise ComputeError("cannot create the registry file %s: %s" % (self.path, exc), field="registry")
        try:
            self._conn = sqlite3.connect(target, timeout=self.BUSY_TIMEOUT_MS / 1000.0,
                                         isolation_level=None, check_same_thread=False, uri=uri)
        except sqlite3.Error as exc:
            raise ComputeError("cannot open the registry %s: %s" % (self.path, exc), field="registry")
        if target == ":memory:" or not read_only:
            self._retry(self._init_schema)
        else:
            self._conn.execute("PRAGMA busy_timeout=%d" % self.BUSY_TIMEOUT_MS)
            self._retry(self._check_schema)
        self._pending_meta = {}

    # -- plumbing -----------------------------------------------------------
    def _retry(self, func, *args):
        deadline = time.time() + self.RETRY_DEADLINE_S
        delay = 0.01
        while True:
            try:
                return func(*args)
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or time.time() > deadline:
                    raise ComputeError("registry %s: %s" % (self.path, exc), field="registry")
                try:
                    self._conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                time.sleep(delay + random.random() * delay)
                delay = min(delay * 2, 0.5)
            except sqlite3.DatabaseError as exc:
                raise ComputeError("registry %s is not a usable SQLite database: %s" % (self.path, exc),
                                   field="registry")

    def _check_schema(self):
        names = set(r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'"))
        if not set(("nodes", "meta")) <= names:
            # an empty file (created but never initialised): read it as empty
            self._conn.close()
            self._conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            self._init_schema()

    def _init_schema(self):
        conn = self._conn
        conn.execute("PRAGMA busy_timeout=%d" % self.BUSY_TIMEOUT_MS)
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS nodes (name TEXT PRIMARY KEY, data TEXT NOT NULL,"
                         " updated REAL NOT NULL)")
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise

    # -- interface ------------------------------------------------------------
    def get(self, name):
        def _get():
            row = self._conn.execute("SELECT data FROM nodes WHERE name = ?", (name,)).fetchone()
            return json.loads(row[0]) if row else None
        return self._retry(_get)

    def list(self):
        def _list():
            rows = self._conn.execute("SELECT data FROM nodes ORDER BY name").fetchall()
            return [json.loads(r[0]) for r in rows]
        return self._retry(_list)

    def update(self, name, mutate):
        if self.read_only:
            raise ComputeError("internal error: write to a registry opened read-only (check mode)",
                               field="registry")

        def _update():
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT data FROM nodes WHERE name = ?", (name,)).fetchone()
                current = json.loads(row[0]) if row else None
                new = mutate(current)
                if new is None:
                    if current is not None:
                        conn.execute("DELETE FROM nodes WHERE name = ?", (name,))
                elif new is not current:
                    conn.execute("INSERT OR REPLACE INTO nodes (name, data, updated) VALUES (?, ?, ?)",
                                 (name, json.dumps(new, sort_keys=True), time.time()))
                conn.execute("COMMIT")
                return new
            except BaseException:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                raise
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
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (key, value))
                stored = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]
                conn.execute("COMMIT")
                return stored
            except BaseException:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
                raise
        return self._retry(_meta)

    def meta_get(self, key):
        if self.read_only:
            # One snapshot of all settings per read-only handle (see PostgresRegistry.meta_get):
            # the first writer stores the salt and the key check in two transactions.
            if self._meta_snapshot is None:
                self._meta_snapshot = self._retry(
                    lambda: dict(self._conn.execute("SELECT key, value FROM meta").fetchall()))
            return self._meta_snapshot.get(key)

        def _get():
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            return row[0] if row else None
        return self._retry(_get)

    def close(self):
        if not self.read_only:
            self._fold_wal()
        try:
            self._conn.close()
        except sqlite3.Error:
            pass

    def _fold_wal(self):
        """Copy the write-ahead log into the database and empty it, if no one else is using it.

        A module run closes its writer while its read-only handle is still open, and a read-only
        handle never checkpoints: the log grew by about 24 KB per save and every later save got
        slower (17 ms after 1,000 saves, 0.8 ms at first). Never waits: on a busy registry it
        does what it can and the next writer tries again.
        """
        try:
            self._conn.execute("PRAGMA busy_timeout=0")
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except sqlite3.Error:
            pass


def sqlite_path(location):
    """The file of a SQLite location (a path or ``sqlite:///path``); None for another scheme."""
    location = location or DEFAULT_REGISTRY
    if "://" not in location:
        return location
    scheme, rest = location.split("://", 1)
    return rest if scheme == "sqlite" else None


def open_backend(location=None, read_only=False, must_exist=False, password=None):
    """Open the backend named by ``location``: a path or ``sqlite:///path`` (None: the default file),
    or ``postgresql://user@host:port/db`` (``password``: the database password, if any).

    ``read_only=True`` guarantees no write to the storage. ``must_exist=True`` raises
    ``RegistryMissing`` instead of reading a registry that is not there as empty.
    """
    location = location or DEFAULT_REGISTRY
    path = sqlite_path(location)
    if path is None:
        from ansible_collections.gpufleet.ops.plugins.module_utils.compute import registry_postgres
        if registry_postgres.is_postgres_location(location):
            return registry_postgres.PostgresRegistry(location, password=password, read_only=read_only,
                                                      must_exist=must_exist)
        raise ComputeError("unsupported registry scheme %r (supported: a file path, sqlite:///path, "
                           "postgresql://user@host:port/db)" % location.split("://", 1)[0], field="registry")
    if must_exist and not os.path.exists(os.path.expanduser(path)):
        raise RegistryMissing("the registry %s does not exist" % os.path.expanduser(path), field="registry")
    return SQLiteRegistry(path, read_only=read_only)


def location_shown(location):
    """A registry location as messages may show it (never with a password)."""
    from ansible_collections.gpufleet.ops.plugins.module_utils.compute import registry_postgres
    location = location or DEFAULT_REGISTRY
    return registry_postgres.shown_location(location) if "://" in location else location
