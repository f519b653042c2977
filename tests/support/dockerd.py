# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real, private dockerd for the integration tests (TLS material: tests/support/tls.py).

``test_daemon()`` starts ONE private dockerd per test process (cached; stopped
at exit) with TLS on 127.0.0.1, its own bridge (created with ``ip link``),
data-root, exec-root, pidfile and unix socket, and no iptables changes, so it
never touches another daemon's docker0. A busybox-static rootfs is imported
as ``gpufleet-test:1`` (there is no registry) and one container runs.

When a part is missing the tests skip locally but FAIL when CI=true.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import atexit
import io
import json
import os
import random
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time

import pytest

from tests.support.tls import TLSMaterial, free_port

DOCKER_CLI = shutil.which("docker") or "/usr/local/bin/docker"


def need(condition, why):
    """Skip locally, fail in CI, when a real part is missing."""
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("required test part missing (CI=true): %s" % why)
    pytest.skip(why)


def wait_for_dockerd(daemon, seconds):
    """Wait until a test daemon (``proc``, ``sock``, ``cli()``, ``tail()``) answers; raise with its log."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if daemon.proc.poll() is not None:
            raise RuntimeError("dockerd exited: %s" % daemon.tail())
        if os.path.exists(daemon.sock) and daemon.cli("version", timeout=10).returncode == 0:
            return
        time.sleep(0.3)
    raise RuntimeError("dockerd did not answer within %ds: %s" % (seconds, daemon.tail()))


# -- the daemon --------------------------------------------------------------------
def _busybox_tar():
    busybox = shutil.which("busybox")
    if not busybox:
        return None
    out = subprocess.run(["file", "-L", busybox], capture_output=True, text=True, check=False).stdout \
        if shutil.which("file") else "statically linked"
    if "statically linked" not in out and "static-pie" not in out:
        return None
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in ("bin", "tmp", "proc", "sys", "dev", "etc"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        tar.add(busybox, arcname="bin/busybox")
        for applet in ("sh", "sleep", "true"):
            info = tarfile.TarInfo("bin/" + applet)
            info.type = tarfile.SYMTYPE
            info.linkname = "busybox"
            tar.addfile(info)
    return buf.getvalue()


class Dockerd(object):
    IMAGE = "gpufleet-test:1"

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="gfd-", dir="/tmp")
        os.chmod(self.root, 0o711)
        self.tls = TLSMaterial(os.path.join(self.root, "tls"))
        self.sock = os.path.join(self.root, "d.sock")
        self.port = free_port()
        self.bridge = "gfc%04x" % random.randint(0, 0xffff)
        self.subnet = "10.%d.%d" % (200 + random.randint(0, 49), random.randint(0, 254))
        self.proc = None
        self.log_path = os.path.join(self.root, "dockerd.log")
        self.docker_host = "tcp://127.0.0.1:%d" % self.port
        self.container = None

    def cli(self, *args, **kw):
        return subprocess.run([DOCKER_CLI, "-H", "unix://" + self.sock] + list(args), capture_output=True,
                              timeout=kw.get("timeout", 60), input=kw.get("input"), check=False)

    def start(self):
        def ip(*args):
            subprocess.run(["ip"] + list(args), check=True, capture_output=True, timeout=10)
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", self.subnet + ".1/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        config = os.path.join(self.root, "daemon.json")
        with open(config, "w") as handle:
            json.dump({}, handle)
        t = self.tls.path
        cmd = ["dockerd", "--config-file", config,
               "--data-root", os.path.join(self.root, "data"), "--exec-root", os.path.join(self.root, "exec"),
               "--pidfile", os.path.join(self.root, "dockerd.pid"),
               "-H", "unix://" + self.sock, "-H", "tcp://127.0.0.1:%d" % self.port,
               "--tlsverify", "--tlscacert", t["ca"], "--tlscert", t["server_cert"], "--tlskey", t["server_key"],
               "--bridge", self.bridge, "--iptables=false", "--ip-masq=false", "--ip-forward=false"]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_dockerd(self, 40)
        tar = _busybox_tar()
        if tar is not None:
            res = self.cli("import", "-", self.IMAGE, input=tar)
            if res.returncode == 0:
                res = self.cli("run", "-d", "--network", "none", "--name", "gf-sleeper", self.IMAGE,
                               "/bin/sleep", "3600")
                if res.returncode == 0:
                    self.container = "gf-sleeper"
        return self

    def tail(self):
        try:
            with open(self.log_path, "rb") as handle:
                return handle.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            if self.container:
                self.cli("rm", "-f", self.container, timeout=20)
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False, timeout=10)
        subprocess.run(["umount", "-R", os.path.join(self.root, "data")], capture_output=True, check=False,
                       timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


_DAEMON = {}


def test_daemon():
    """The process-wide test dockerd (started on first use, stopped at exit)."""
    need(shutil.which("dockerd") is not None, "dockerd not installed (apt-get install -y docker.io)")
    need(os.path.exists(DOCKER_CLI), "docker CLI not installed")
    need(os.geteuid() == 0, "dockerd needs root")
    need(shutil.which("ip") is not None, "iproute2 'ip' missing")
    if "d" not in _DAEMON:
        daemon = Dockerd()
        atexit.register(daemon.stop)
        try:
            daemon.start()
        except Exception as exc:  # noqa: BLE001
            _DAEMON["d"] = exc
        else:
            _DAEMON["d"] = daemon
    daemon = _DAEMON["d"]
    if isinstance(daemon, Exception):
        need(False, "test dockerd could not start: %s" % daemon)
    return daemon


test_daemon.__test__ = False
