# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real parts for the compute-node tests: TLS material, a real dockerd, dead endpoints.

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
import datetime
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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


# -- certificates ------------------------------------------------------------
def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _cert(subject_cn, key, issuer_cert, issuer_key, ca=False, server=False, client=False,
          not_before=None, not_after=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
    builder = (x509.CertificateBuilder()
               .subject_name(name)
               .issuer_name(issuer_cert.subject if issuer_cert is not None else name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before or now - datetime.timedelta(minutes=5))
               .not_valid_after(not_after or now + datetime.timedelta(days=2)))
    builder = builder.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    if ca:
        builder = builder.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                                        critical=True)
    if server:
        import ipaddress
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if client:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


class TLSMaterial(object):
    """A CA, a server cert for 127.0.0.1/localhost, good and bad client certs, a foreign CA."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        ca_key = _key()
        ca = _cert("gpufleet test CA", ca_key, None, None, ca=True)
        other_key = _key()
        other = _cert("some other CA", other_key, None, None, ca=True)
        srv_key = _key()
        srv = _cert("localhost", srv_key, ca, ca_key, server=True)
        cli_key = _key()
        cli = _cert("client", cli_key, ca, ca_key, client=True)
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=10)
        exp_key = _key()
        exp = _cert("expired client", exp_key, ca, ca_key, client=True, not_before=past,
                    not_after=past + datetime.timedelta(days=1))
        foreign_key = _key()
        foreign = _cert("foreign client", foreign_key, other, other_key, client=True)
        self.pem = {
            "ca": _pem_cert(ca), "other_ca": _pem_cert(other),
            "server_cert": _pem_cert(srv), "server_key": _pem_key(srv_key),
            "client_cert": _pem_cert(cli), "client_key": _pem_key(cli_key),
            "expired_cert": _pem_cert(exp), "expired_key": _pem_key(exp_key),
            "foreign_cert": _pem_cert(foreign), "foreign_key": _pem_key(foreign_key),
        }
        self.path = {}
        for name, text in self.pem.items():
            path = os.path.join(directory, name + ".pem")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            self.path[name] = path


# -- dead endpoints --------------------------------------------------------------
def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class BlackHole(object):
    """A 127.0.0.1 listener whose connections complete and then never get an answer."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = self.sock.getsockname()[1]
        self.held = []
        self._stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _addr = self.sock.accept()
                self.held.append(conn)  # keep it open, never read or write
            except socket.timeout:
                continue
            except OSError:
                return

    def close(self):
        self._stop = True
        for conn in self.held:
            conn.close()
        self.sock.close()


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


# -- many fake Docker engines (unit tests and bench/compute_probe_bench.py) -------------
FAKE_VERSION = {"Version": "26.1.3", "ApiVersion": "1.45", "Os": "linux"}
FAKE_INFO = {"NCPU": 64, "MemTotal": 540000000000, "OperatingSystem": "Ubuntu 22.04.4 LTS", "OSType": "linux",
             "KernelVersion": "5.15.0", "Architecture": "x86_64", "Name": "fake", "ServerVersion": "26.1.3",
             "Runtimes": {"nvidia": {"path": "nvidia-container-runtime"}, "runc": {"path": "runc"}},
             "DefaultRuntime": "runc", "ContainersRunning": 0}


def serve_fake_fleet(ports, tls_dir, ready):
    """Serve a Docker-like TLS API (client cert required) on ``ports`` 127.0.0.1 listeners.

    ``ports`` is a count; ``ready(list_of_ports)`` is called once all listen.
    Runs an asyncio loop forever (call it in a thread or a child process).
    """
    import asyncio
    import resource
    import ssl
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < min(hard, ports + 4096):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, ports + 4096), hard))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(tls_dir, "server_cert.pem"), os.path.join(tls_dir, "server_key.pem"))
    ctx.load_verify_locations(os.path.join(tls_dir, "ca.pem"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    bodies = {"/_ping": b"OK", "/version": json.dumps(FAKE_VERSION).encode(),
              "/info": json.dumps(FAKE_INFO).encode(), "/containers/json": b"[]"}

    async def handle(reader, writer):
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                path = line.split(b" ")[1].decode() if b" " in line else "/"
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                path = re.sub(r"^/v[0-9.]+/", "/", path.split("?")[0])
                body = bodies.get(path)
                status = b"200 OK" if body is not None else b"404 Not Found"
                body = body if body is not None else b'{"message":"page not found"}'
                ctype = b"text/plain" if path == "/_ping" else b"application/json"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype + b"\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\nApi-Version: 1.45\r\n\r\n" + body)
                await writer.drain()
        except Exception:  # noqa: BLE001 - a client that goes away is normal
            pass
        finally:
            writer.close()

    async def main():
        servers = []
        for dummy in range(ports):
            servers.append(await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx, backlog=128))
        ready([s.sockets[0].getsockname()[1] for s in servers])
        await asyncio.Event().wait()

    asyncio.run(main())


class FakeFleet(object):
    """serve_fake_fleet in a child process; ``ports`` lists its listeners."""

    def __init__(self, count, tls_dir):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", str(count), tls_dir],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("fake fleet did not start")
        self.ports = json.loads(line)

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


if __name__ == "__main__":
    import sys as _sys
    if len(_sys.argv) == 4 and _sys.argv[1] == "serve":
        def _ready(ports):
            print(json.dumps(ports), flush=True)
        serve_fake_fleet(int(_sys.argv[2]), _sys.argv[3], _ready)
