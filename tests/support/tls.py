# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS material and 127.0.0.1 sockets for the compute tests: no dockerd here.

``TLSMaterial`` writes a CA, a server certificate for 127.0.0.1/localhost and
good, expired and foreign client certificates. ``BlackHole`` accepts and never
answers; ``FakeFleet`` serves a Docker-like TLS API on many ports from a child
process (unit tests and bench/compute_probe_bench.py).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json
import os
import re
import socket
import subprocess
import sys
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


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


# -- many fake Docker engines ------------------------------------------------------------
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
