# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compute_node / compute_node_info / compute_node_probe through real ansible-playbook against a real dockerd."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import sqlite3
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))

from tests.support.ansible_run import run_playbook
from tests.support.dockerd import test_daemon
from tests.support.tls import BlackHole, free_port

PB = os.path.join(HERE, "playbooks", "compute")
KEY = "integration-registry-key"
PASSWORD = "s3cr3t-ssh-passw0rd"


@pytest.fixture(scope="module")
def daemon():
    return test_daemon()


@pytest.fixture()
def registry(tmp_path):
    return str(tmp_path / "registry.db")


def node_run(cases, check=False, diff=False, verbosity=0, env=None, ignore_errors=False):
    res = run_playbook(os.path.join(PB, "node.yml"), check=check, diff=diff, verbosity=verbosity, env=env,
                       extra_vars={"node_cases": cases, "node_ignore_errors": ignore_errors})
    return res


def single_run(args, **kw):
    return run_playbook(os.path.join(PB, "single.yml"), extra_vars={"node_args": args}, **kw)


def results(res):
    return res.task("Compute node")["results"]


def info_run(args, check=False, env=None):
    res = run_playbook(os.path.join(PB, "info.yml"), extra_vars={"info_args": args}, check=check, env=env)
    assert res.rc == 0, res.stdout[-3000:]
    return res.task("Compute node info")


def probe_run(args, check=False, env=None):
    res = run_playbook(os.path.join(PB, "probe.yml"), extra_vars={"probe_args": args}, check=check, env=env)
    assert res.rc == 0, res.stdout[-3000:]
    return res.task("Compute node probe")


def good_node(daemon, registry, name="gpu-01", **extra):
    t = daemon.tls.path
    args = dict(name=name, registry=registry, registry_key=KEY, region="test", public_ip="203.0.113.10",
                private_ip="10.0.0.5", ssh_user="root", ssh_password=PASSWORD, gpu_name="NVIDIA RTX 3090",
                gpu_count=8, gpu_memory_gb=24, hami_core_dir="/root/HAMi-core/build",
                docker_host=daemon.docker_host, ca_cert=t["ca"], client_cert=t["client_cert"],
                client_key=t["client_key"], timeout=5)
    args.update(extra)
    return args


def registry_bytes(registry):
    data = b""
    for path in glob.glob(registry + "*"):
        with open(path, "rb") as handle:
            data += handle.read()
    return data


def test_connected_idempotent_check_diff_and_no_secret_leaks(daemon, registry):
    args = good_node(daemon, registry)
    first = single_run(args, diff=True, verbosity=4)
    assert first.rc == 0, first.stdout[-3000:]
    res = first.task("Compute node")
    node = res["node"]
    assert res["changed"] is True
    assert node["docker_status"] == "connected", node
    assert node["docker_error"] is None
    assert node["engine"]["ncpu"] >= 1 and node["engine"]["docker_version"]
    assert node["cpu"] == str(node["engine"]["ncpu"]) and "GiB" in node["memory"]
    assert sorted(node["auto_fields"]) == ["cpu", "memory"]
    assert node["has_client_key"] and node["has_ssh_password"]
    assert node["ssh_port"] == 22 and node["tls"] is True and node["listed"] is True
    assert res["diff"]["after"]["ssh_password"].startswith("********")
    key_text = daemon.tls.pem["client_key"]
    key_body = key_text.splitlines()[1]
    everything = first.stdout + first.stderr
    assert PASSWORD not in everything and key_body not in everything and KEY not in everything
    raw = registry_bytes(registry)
    assert PASSWORD.encode() not in raw and key_body.encode() not in raw
    assert os.stat(registry).st_mode & 0o777 == 0o600

    # second run: nothing changes (the probe alone is not a change)
    second = results(node_run([args]))[0]
    assert second["changed"] is False, second.get("diff")
    assert second["node"]["docker_status"] == "connected"

    # check mode: would change, writes nothing
    before = registry_bytes(registry)
    checked = results(node_run([dict(args, remark="new remark", ssh_password="other")], check=True, diff=True))[0]
    assert checked["changed"] is True
    assert checked["diff"]["before"]["remark"] is None and checked["diff"]["after"]["remark"] == "new remark"
    assert checked["diff"]["after"]["ssh_password"] == "******** (new value)"
    conn = sqlite3.connect(registry)
    data = conn.execute("SELECT data FROM nodes WHERE name='gpu-01'").fetchone()[0]
    conn.close()
    assert "new remark" not in data
    assert len(before) > 0


def test_failures_have_reasons_and_respect_timeout(daemon, registry):
    t = daemon.tls.path
    hole = BlackHole()
    try:
        cases = [
            good_node(daemon, registry, "wrong-ca", ca_cert=t["other_ca"]),
            good_node(daemon, registry, "expired-client", client_cert=t["expired_cert"],
                      client_key=t["expired_key"]),
            good_node(daemon, registry, "foreign-client", client_cert=t["foreign_cert"],
                      client_key=t["foreign_key"]),
            good_node(daemon, registry, "closed-port", docker_host="tcp://127.0.0.1:%d" % free_port()),
            good_node(daemon, registry, "black-hole", docker_host="tcp://127.0.0.1:%d" % hole.port, timeout=2),
            good_node(daemon, registry, "plain-to-tls", tls=False),
            dict(name="no-endpoint", registry=registry),
        ]
        start = time.time()
        res = node_run(cases)
        elapsed = time.time() - start
    finally:
        hole.close()
    assert res.rc == 0, res.stdout[-3000:]
    by_name = dict((r["item"]["name"], r["node"]) for r in results(res))
    assert by_name["wrong-ca"]["docker_status"] == "failed"
    assert "wrong CA" in by_name["wrong-ca"]["docker_error"]
    assert "expired" in by_name["expired-client"]["docker_error"]
    assert "not by the node's CA" in by_name["foreign-client"]["docker_error"]
    assert by_name["closed-port"]["docker_error"] == "connection refused"
    assert by_name["black-hole"]["docker_error"].startswith("timeout")
    assert "set tls: true" in by_name["plain-to-tls"]["docker_error"]
    assert by_name["no-endpoint"]["docker_status"] == "unknown"
    assert all(n["docker_status"] == "failed" for k, n in by_name.items() if k != "no-endpoint")
    assert elapsed < 30

    # the monitor's view: probe all again, filters, nothing changed
    info = probe_run({"registry": registry, "registry_key": KEY, "timeout": 2})
    assert info["changed"] is False
    assert info["summary"] == {"connected": 0, "failed": 6, "unknown": 1}
    assert sorted(f["name"] for f in info["failed_nodes"])[0] == "black-hole"
    unknown = info_run({"registry": registry, "docker_status": "unknown"})
    assert [n["name"] for n in unknown["nodes"]] == ["no-endpoint"]


def test_env_ca_bundles_are_ignored(daemon, registry):
    env = {"REQUESTS_CA_BUNDLE": daemon.tls.path["ca"], "CURL_CA_BUNDLE": daemon.tls.path["ca"],
           "SSL_CERT_FILE": daemon.tls.path["ca"]}
    res = node_run([good_node(daemon, registry, "env-wrong-ca", ca_cert=daemon.tls.path["other_ca"]),
                    good_node(daemon, registry, "env-good")], env=env)
    by_name = dict((r["item"]["name"], r["node"]) for r in results(res))
    assert by_name["env-wrong-ca"]["docker_status"] == "failed"
    assert by_name["env-good"]["docker_status"] == "connected"


def test_info_probe_detects_status_change_and_check_mode(daemon, registry):
    assert node_run([good_node(daemon, registry, "flip")]).rc == 0
    # break the record behind the module's back: point it at a closed port
    conn = sqlite3.connect(registry)
    import json
    data = json.loads(conn.execute("SELECT data FROM nodes WHERE name='flip'").fetchone()[0])
    data["docker_host"] = "tcp://127.0.0.1:%d" % free_port()
    conn.execute("UPDATE nodes SET data=? WHERE name='flip'", (json.dumps(data),))
    conn.commit()
    conn.close()
    # compute_node_info probes live, stores nothing and never reports changed (issue 8)
    live = info_run({"registry": registry, "registry_key": KEY, "probe": True})
    assert live["changed"] is False and live["changed_nodes"] == ["flip"]
    assert live["nodes"][0]["docker_status"] == "failed"
    assert info_run({"registry": registry})["nodes"][0]["docker_status"] == "connected"
    # compute_node_probe records the status (the 30-second monitor)
    checked = probe_run({"registry": registry, "registry_key": KEY}, check=True)
    assert checked["changed"] is True and checked["changed_nodes"] == ["flip"]
    still = info_run({"registry": registry})
    assert still["nodes"][0]["docker_status"] == "connected"  # check mode wrote nothing
    real = probe_run({"registry": registry, "registry_key": KEY})
    assert real["changed"] is True and real["nodes"][0]["docker_status"] == "failed"
    assert info_run({"registry": registry})["nodes"][0]["docker_status"] == "failed"
    assert probe_run({"registry": registry, "registry_key": KEY})["changed"] is False
    no_key = info_run({"registry": registry, "probe": True})
    assert no_key["nodes"][0]["docker_status"] == "unknown"
    assert "registry_key" in no_key["nodes"][0]["docker_error"]


def test_delete_refused_while_containers_run(daemon, registry):
    if not daemon.container:
        from tests.support.dockerd import need  # pylint: disable=import-outside-toplevel
        need(False, "no test container (busybox-static missing: apt-get install -y busybox-static)")
    assert node_run([good_node(daemon, registry, "busy")]).rc == 0
    refused = node_run([dict(name="busy", registry=registry, registry_key=KEY, state="absent")],
                       ignore_errors=True)
    res = results(refused)[0]
    assert res["failed"] is True
    assert "still runs 1 container(s) (gf-sleeper)" in res["msg"] and "force: true" in res["msg"]
    assert "Traceback" not in refused.stdout
    checked = results(node_run([dict(name="busy", registry=registry, registry_key=KEY, state="absent",
                                     force=True)], check=True))[0]
    assert checked["changed"] is True
    gone = results(node_run([dict(name="busy", registry=registry, registry_key=KEY, state="absent",
                                  force=True)] * 2))
    assert [r["changed"] for r in gone] == [True, False]


def test_bad_input_fails_clearly(daemon, registry):
    res = node_run([
        dict(name="insecure", registry=registry, docker_host="tcp://192.0.2.10:2375", tls=False),
        dict(name="no-key", registry=registry, ssh_password="x"),
        dict(name="bad-pem", registry=registry, ca_cert="/nonexistent/ca.pem"),
        dict(name="bad-host", registry=registry, docker_host="ssh://root@h"),
    ], ignore_errors=True)
    msgs = dict((r["item"]["name"], r["msg"]) for r in results(res))
    assert "allow_insecure" in msgs["insecure"] and "docker_host" in msgs["insecure"]
    assert "registry_key" in msgs["no-key"] and "ssh_password" in msgs["no-key"]
    assert "ca_cert" in msgs["bad-pem"] and "/nonexistent/ca.pem" in msgs["bad-pem"]
    assert "unsupported scheme" in msgs["bad-host"]
    wrong_key = node_run([good_node(daemon, registry, "k1")])
    assert wrong_key.rc == 0
    res = node_run([good_node(daemon, registry, "k1", registry_key="another key")], ignore_errors=True)
    assert "registry_key does not match" in results(res)[0]["msg"]
    assert "Traceback" not in res.stdout


def test_check_mode_on_a_new_registry_creates_nothing(daemon, tmp_path):
    registry = str(tmp_path / "new" / "registry.db")
    res = node_run([good_node(daemon, registry, "fresh")], check=True, diff=True)
    assert res.rc == 0, res.stdout[-3000:]
    out = results(res)[0]
    assert out["changed"] is True and out["node"]["docker_status"] == "connected"
    assert not os.path.exists(os.path.dirname(registry))
    info = info_run({"registry": registry, "probe": True}, check=True)
    assert info["nodes"] == [] and not os.path.exists(os.path.dirname(registry))
