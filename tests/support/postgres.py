# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real, private PostgreSQL server for the tests (Debian's ``postgresql`` package).

``test_server()`` starts ONE server per test process (cached; stopped at exit): ``initdb``
into a fresh temporary directory, listening on 127.0.0.1 on a free port only (no unix
socket in /var/run), password authentication (scram-sha-256) for a test user that owns a
test database. PostgreSQL refuses to run as root, so under root the data directory is
given to the ``postgres`` system user and the server runs through ``runuser``.

When a part is missing the tests skip locally but FAIL when CI=true.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

from tests.support.tls import free_port

USER = "gpufleet"
PASSWORD = "pg-Secret-7f3c1a9e"  # distinctive: tests assert it never shows up in any output


def need(condition, why):
    """Skip locally, fail in CI, when a real part is missing."""
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("required test part missing (CI=true): %s" % why)
    pytest.skip(why)


def pg_bindir():
    """The newest /usr/lib/postgresql/<major>/bin holding initdb, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else None


class PostgresServer(object):
    """One running server; ``url(db)`` gives a DSN without the password."""

    def __init__(self):
        self.bindir = pg_bindir()
        if self.bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.base = tempfile.mkdtemp(prefix="gpufleet-pg-")
        os.chmod(self.base, 0o755)
        self.data = os.path.join(self.base, "data")
        self.log = os.path.join(self.base, "server.log")
        self.port = free_port()
        self.run_as = None
        if os.geteuid() == 0:
            try:
                self.run_as = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError("running as root and there is no 'postgres' user to run the server as")
        self.proc = None
        self._start()

    def _cmd(self, args):
        if self.run_as is None:
            return args
        return ["runuser", "-u", self.run_as.pw_name, "--"] + args

    def _chown(self, path):
        if self.run_as is not None:
            os.chown(path, self.run_as.pw_uid, self.run_as.pw_gid)

    def _start(self):
        pwfile = os.path.join(self.base, "pwfile")
        with open(pwfile, "w") as handle:
            handle.write(PASSWORD + "\n")
        self._chown(self.base)
        self._chown(pwfile)
        subprocess.run(self._cmd([os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", USER,
                                  "--pwfile", pwfile, "--auth=scram-sha-256", "-E", "UTF8",
                                  "--locale=C", "--no-sync"]),
                       check=True, capture_output=True, timeout=120)
        os.unlink(pwfile)
        log = open(self.log, "w")
        self._chown(self.log)
        self.proc = subprocess.Popen(
            self._cmd([os.path.join(self.bindir, "postgres"), "-D", self.data, "-h", "127.0.0.1",
                       "-p", str(self.port), "-k", "", "-c", "max_connections=300", "-c", "fsync=off",
                       "-c", "shared_buffers=32MB"]),
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("postgres exited: %s" % self.tail())
            ready = subprocess.run([os.path.join(self.bindir, "pg_isready"), "-h", "127.0.0.1",
                                    "-p", str(self.port), "-U", USER], capture_output=True, check=False)
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("postgres did not answer within 60s: %s" % self.tail())

    def tail(self):
        try:
            with open(self.log) as handle:
                return handle.read()[-3000:]
        except OSError:
            return "(no log)"

    def url(self, database="postgres"):
        return "postgresql://%s@127.0.0.1:%d/%s" % (USER, self.port, database)

    def psql(self, sql, database="postgres"):
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        out = subprocess.run([os.path.join(self.bindir, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                              "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", database, "-c", sql],
                             capture_output=True, text=True, env=env, check=False)
        if out.returncode != 0:
            raise RuntimeError("psql %r: %s" % (sql, out.stderr))
        return out.stdout.strip()

    def new_database(self, prefix="registry"):
        """A fresh empty database owned by the test user; returns its DSN (no password in it)."""
        name = "%s_%s" % (prefix, uuid.uuid4().hex[:10])
        self.psql("CREATE DATABASE %s" % name)
        return self.url(name)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # smart shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.base, ignore_errors=True)


_SERVER = []


def test_server():
    """The process's PostgreSQL server (started on first use; skip locally / fail in CI when impossible)."""
    if _SERVER:
        return _SERVER[0]
    need(pg_bindir() is not None, "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin")
    try:
        import psycopg  # noqa: F401 pylint: disable=unused-import
    except ImportError:
        need(False, "the Python driver psycopg (3) is not installed")
    try:
        server = PostgresServer()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        need(False, "cannot start PostgreSQL: %s" % exc)
    _SERVER.append(server)
    atexit.register(server.stop)
    return server


test_server.__test__ = False  # a helper, not a test (pytest collects test_* names)
