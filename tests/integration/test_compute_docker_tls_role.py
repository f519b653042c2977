# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The docker_tls role against a local test daemon config dir, then a real dockerd using its output.

The role runs with docker_tls_manage_service=false (no systemd here). The "unit" is
simulated by docker_tls_dockerd_path/_args: ``dockerd -H fd:// --config-file <daemon.json>``,
the packaged unit's flags. The test starts dockerd exactly as systemd would on the next
restart: the drop-in's ExecStart when the role wrote one, else the unit's own, so
every TLS setting and every host comes from what the role rendered (issue 8 defect 5).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import random
import shlex
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

from tests.support.ansible_run import REPO_ROOT, run_playbook
from tests.support.dockerd import DOCKER_CLI, need
from tests.support.tls import free_port

PLAYBOOK = os.path.join(REPO_ROOT, "playbooks", "docker_tls.yml")


@pytest.fixture(scope="module")
def env():
    need(shutil.which("dockerd") is not None, "dockerd not installed (apt-get install -y docker.io)")
    need(os.geteuid() == 0, "dockerd needs root")
    root = tempfile.mkdtemp(prefix="gft-", dir="/tmp")
    bridge = "gft%04x" % random.randint(0, 0xffff)
    subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], check=True, timeout=10)
    subprocess.run(["ip", "addr", "add", "10.%d.%d.1/24" % (200 + random.randint(0, 49), random.randint(0, 254)),
                    "dev", bridge], check=True, timeout=10)
    subprocess.run(["ip", "link", "set", bridge, "up"], check=True, timeout=10)
    sock = os.path.join(root, "d.sock")
    daemon_json = os.path.join(root, "etc-docker", "daemon.json")
    os.makedirs(os.path.dirname(daemon_json))
    with open(daemon_json, "w") as handle:
        json.dump({"data-root": os.path.join(root, "data"), "exec-root": os.path.join(root, "exec"),
                   "pidfile": os.path.join(root, "d.pid"), "bridge": bridge, "iptables": False,
                   "ip-masq": False, "ip-forward": False, "log-level": "warn",
                   "hosts": ["fd://", "unix://" + sock]}, handle)
    state = {"root": root, "sock": sock, "daemon_json": daemon_json, "port": free_port(), "proc": None,
             "tls_dir": os.path.join(root, "etc-docker", "tls"), "fetch": os.path.join(root, "fetched"),
             "registry": os.path.join(root, "registry.db"),
             "dropin": os.path.join(root, "systemd", "docker.service.d", "gpufleet-tls.conf")}
    # what the packaged docker.service runs (Debian/Ubuntu: dockerd -H fd:// --containerd=...)
    state["unit_args"] = "-H fd:// --config-file %s" % daemon_json
    yield state
    proc = state["proc"]
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    subprocess.run(["ip", "link", "del", bridge], check=False, timeout=10)
    shutil.rmtree(root, ignore_errors=True)


def apply(env, check=False, expect_rc=0, **extra):
    extra_vars = {"docker_tls_hosts": "localhost", "docker_tls_become": False,
                  "docker_tls_dir": env["tls_dir"], "docker_tls_daemon_json": env["daemon_json"],
                  "docker_tls_listen_address": "127.0.0.1", "docker_tls_port": env["port"],
                  "docker_tls_local_socket": "unix://" + env["sock"], "docker_tls_manage_service": False,
                  "docker_tls_fetch_dir": env["fetch"], "docker_tls_verify": False,
                  "docker_tls_node_address": "127.0.0.1",
                  "docker_tls_systemd_dropin": env["dropin"], "docker_tls_dockerd_path": shutil.which("dockerd"),
                  "docker_tls_dockerd_args": env["unit_args"],
                  "gpufleet_registry": env["registry"], "gpufleet_registry_key": "role-test-key"}
    extra_vars.update(extra)
    res = run_playbook(PLAYBOOK, extra_vars=extra_vars, timeout=300, check=check)
    assert (res.rc == 0) == (expect_rc == 0), (res.stdout[-4000:], res.stderr[-2000:])
    return res


def next_restart_command(env):
    """dockerd's command line as systemd runs it on the next restart: the drop-in wins over the unit."""
    if os.path.exists(env["dropin"]):
        lines = [line for line in open(env["dropin"]).read().splitlines() if line.startswith("ExecStart=")]
        assert lines[0] == "ExecStart=", lines  # the unit's own ExecStart is reset first
        return shlex.split(lines[-1][len("ExecStart="):])
    return [shutil.which("dockerd")] + shlex.split(env["unit_args"])


def start_dockerd(env, cmd, log_name):
    log = open(os.path.join(env["root"], log_name), "wb")
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True), log.name


def find_task(res, suffix):
    names = []
    for play in res.data.get("plays", []):
        for task in play.get("tasks", []):
            names.append(task["task"]["name"])
            if task["task"]["name"].endswith(suffix):
                return task["hosts"]["localhost"]
    raise AssertionError("no task %r in %s" % (suffix, names))


def changed_tasks(res):
    return [t["task"]["name"] for play in res.data.get("plays", []) for t in play.get("tasks", [])
            if t["hosts"].get("localhost", {}).get("changed")]


def serial(path):
    out = subprocess.run(["openssl", "x509", "-noout", "-serial", "-in", path], capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_role_end_to_end(env):
    # 0. check mode on a fresh host: succeeds, reports changes, writes nothing
    original = open(env["daemon_json"]).read()
    res = apply(env, check=True)
    assert res.stats["localhost"]["changed"] >= 1
    assert not os.path.exists(env["tls_dir"]) and not os.path.exists(env["fetch"])
    assert open(env["daemon_json"]).read() == original

    # 1. first apply: CA, certs, merged daemon.json, fetched material
    apply(env)
    merged = json.load(open(env["daemon_json"]))
    assert merged["log-level"] == "warn" and merged["bridge"].startswith("gft")  # other keys kept
    assert merged["tls"] is True and merged["tlsverify"] is True
    assert merged["tlscacert"] == env["tls_dir"] + "/ca.pem"
    assert "fd://" not in merged["hosts"]
    assert merged["hosts"] == ["unix://" + env["sock"], "tcp://127.0.0.1:%d" % env["port"]]
    for key in ("ca-key.pem", "server-key.pem", "client-key.pem"):
        assert os.stat(os.path.join(env["tls_dir"], key)).st_mode & 0o777 == 0o600
    fetched = os.path.join(env["fetch"], "localhost")
    assert sorted(os.listdir(fetched)) == ["ca.pem", "cert.pem", "key.pem"]
    assert os.stat(os.path.join(fetched, "key.pem")).st_mode & 0o777 == 0o600
    assert os.stat(fetched).st_mode & 0o777 == 0o700

    # 2. a real dockerd started as the next restart of the unit would start it (issue 8 defect 5):
    #    the unit's own -H fd:// with the merged daemon.json cannot start; the drop-in's command can.
    proc, log_name = start_dockerd(env, [shutil.which("dockerd")] + shlex.split(env["unit_args"]), "unit.log")
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError("dockerd with -H fd:// and hosts in daemon.json started; it must refuse")
    assert "specified both as a flag and in the configuration file" in open(log_name).read()
    cmd = next_restart_command(env)
    assert "-H" not in cmd and not any(arg.startswith("--host") for arg in cmd), cmd
    env["proc"], log_name = start_dockerd(env, cmd, "dockerd.log")
    deadline = time.time() + 40
    while time.time() < deadline:
        assert env["proc"].poll() is None, open(log_name).read()[-2000:]
        if os.path.exists(env["sock"]) and subprocess.run(
                [DOCKER_CLI, "-H", "unix://" + env["sock"], "version"], capture_output=True, timeout=10,
                check=False).returncode == 0:
            break
        time.sleep(0.3)

    # 3. second apply with verification and registration: the role itself changes nothing
    res = apply(env, docker_tls_verify=True, docker_tls_register_node=True)
    assert changed_tasks(res) == ["Register the node in the compute-node registry"], changed_tasks(res)
    node = res.task("Register the node in the compute-node registry")
    assert node["changed"] is True and node["node"]["docker_status"] == "connected", node["node"]
    ping = find_task(res, "Verify the TLS endpoint with the client certificate")
    assert ping["status"] == 200 and ping["content"] == "OK"

    # 4. third apply: fully idempotent
    res = apply(env, docker_tls_verify=True, docker_tls_register_node=True)
    assert res.stats["localhost"]["changed"] == 0, changed_tasks(res)

    # 5. renewal: certificates that expire within renew_days are re-issued, the CA is kept
    names = ("ca.pem", "server-cert.pem", "client-cert.pem")
    before = dict((n, serial(os.path.join(env["tls_dir"], n))) for n in names)
    res = apply(env, docker_tls_renew_days=900)
    after = dict((n, serial(os.path.join(env["tls_dir"], n))) for n in before)
    assert after["ca.pem"] == before["ca.pem"]
    assert after["server-cert.pem"] != before["server-cert.pem"]
    assert after["client-cert.pem"] != before["client-cert.pem"]
    assert res.stats["localhost"]["changed"] >= 2


def test_without_dropin_the_role_refuses_and_changes_nothing(tmp_path):
    need(shutil.which("dockerd") is not None, "dockerd not installed (apt-get install -y docker.io)")
    daemon_json = tmp_path / "daemon.json"
    daemon_json.write_text('{"hosts": ["fd://"]}')
    env = {"root": str(tmp_path), "sock": str(tmp_path / "d.sock"), "daemon_json": str(daemon_json),
           "port": free_port(), "tls_dir": str(tmp_path / "tls"), "fetch": str(tmp_path / "fetched"),
           "registry": str(tmp_path / "registry.db"), "dropin": str(tmp_path / "dropin.conf"),
           "unit_args": "-H fd:// --containerd=/run/containerd/containerd.sock"}
    res = apply(env, expect_rc=2, docker_tls_dropin=False)
    assert "specified both as a flag and in the configuration file" in res.stdout
    assert daemon_json.read_text() == '{"hosts": ["fd://"]}' and not os.path.exists(env["dropin"])
    assert not os.path.exists(env["tls_dir"])


def test_dropin_removes_fd_host_flag():
    res = run_playbook(os.path.join(HERE, "playbooks", "compute", "dropin_cmdline.yml"))
    assert res.rc == 0, res.stdout[-3000:]
    assert res.stats["localhost"]["failures"] == 0
