# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""compute_node's argument handling: the real AnsibleModule, main() run in-process.

No Docker engine is contacted: endpoints are refused before a probe, or point at a
closed 127.0.0.1 port.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible_collections.gpufleet.ops.plugins.modules import compute_node, compute_node_info, compute_node_probe
from tests.support.module_runner import run_main
from tests.support.tls import TLSMaterial, free_port

# A client key body without its BEGIN/END lines (issue 16 item 1).
KEY_LINES = ["MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSECRETLINEONEabc",
             "hRANCAAQSECRETLINETWOxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyz",
             "SECRETLINETHREE0123456789"]


@pytest.fixture()
def registry(tmp_path):
    return str(tmp_path / "sub" / "registry.db")


def test_spec_spellings_and_no_single_letter_aliases():
    spec = compute_node.argument_spec()
    assert spec["ca_path"]["aliases"] == ["ca_cert"]
    assert spec["timeout"]["aliases"] == ["request_timeout"]
    assert spec["client_key"]["no_log"] and spec["ssh_password"]["no_log"] and spec["registry_key"]["no_log"]
    for name, option in spec.items():
        assert all(len(alias) > 1 for alias in option.get("aliases", [])), name


def test_name_is_required(registry):
    kind, res = run_main(compute_node, {"registry": registry})
    assert kind == "fail" and "name" in res["msg"]


def test_aliases_ca_cert_and_request_timeout(registry, tmp_path):
    kind, res = run_main(compute_node, {"name": "n", "registry": registry, "ca_cert": str(tmp_path / "no.pem"),
                                        "request_timeout": 2})
    assert kind == "fail" and "'ca_cert'" in res["msg"] and str(tmp_path / "no.pem") in res["msg"]
    kind, res = run_main(compute_node, {"name": "n", "registry": registry, "ca_path": str(tmp_path / "no.pem")})
    assert kind == "fail" and "'ca_path'" in res["msg"]


def test_env_fallback_for_the_registry(tmp_path):
    path = str(tmp_path / "env.db")
    kind, res = run_main(compute_node, {"name": "n", "region": "x"}, env={"GPUFLEET_REGISTRY": path})
    assert kind == "exit" and res["changed"] is True and os.path.exists(path)


def test_create_then_idempotent_without_docker(registry):
    kind, first = run_main(compute_node, {"name": "n", "registry": registry, "region": "x"}, diff=True)
    assert kind == "exit" and first["changed"] is True and first["node"]["docker_status"] == "unknown"
    assert first["diff"]["after"]["region"] == "x"
    kind, second = run_main(compute_node, {"name": "n", "registry": registry, "region": "x"})
    assert kind == "exit" and second["changed"] is False and "diff" not in second


def test_client_key_is_never_quoted_in_an_error(registry, tmp_path):
    # issue 16 item 1: a key without BEGIN/END lines was echoed with %r (escaped newlines beat no_log)
    tls = TLSMaterial(str(tmp_path / "tls"))
    args = {"name": "n", "registry": registry, "registry_key": "k", "docker_host": "tcp://127.0.0.1:2376",
            "client_cert": tls.pem["client_cert"], "client_key": "\n".join(KEY_LINES)}
    kind, res = run_main(compute_node, args)
    assert kind == "fail" and "client_key" in res["msg"]
    text = json.dumps(res) + repr(res)
    for line in KEY_LINES:
        assert line not in text
        assert line[10:40] not in text


def test_plain_tcp_guard_is_not_fooled_by_a_127_name(registry):
    # issue 16 item 2
    kind, res = run_main(compute_node, {"name": "n", "registry": registry, "tls": False,
                                        "docker_host": "tcp://127.attacker.example:2375"})
    assert kind == "fail" and "allow_insecure" in res["msg"] and "docker_host" in res["msg"]
    assert not os.path.exists(registry)


@pytest.mark.parametrize("args,field,words", [
    # issue 16 item 8: tracebacks from malformed URLs
    ({"docker_host": "http://[::1"}, "docker_host", "not a valid URL"),
    ({"docker_host": "tcp://[::1:2376"}, "docker_host", "not a valid URL"),
    # issue 16 item 10: values taken silently
    ({"docker_host": "tcp://127.0.0.1:99999"}, "docker_host", "between 1 and 65535"),
    ({"timeout": -1}, "timeout", "more than 0"),
    ({"timeout": 1e9}, "timeout", "at most 300"),
    ({"ca_path": "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n"}, "ca_path",
     "not a usable PEM certificate"),
    ({"ssh_port": 0}, "ssh_port", "between 1 and 65535"),
    ({"gpu_count": 10 ** 9}, "gpu_count", "between 0 and 1024"),
])
def test_bad_input_fails_naming_the_field_without_traceback(registry, args, field, words):
    kind, res = run_main(compute_node, dict({"name": "n", "registry": registry, "registry_key": "k"}, **args))
    assert kind == "fail", res
    assert field in res["msg"] and words in res["msg"], res["msg"]
    assert "exception" not in res and "Traceback" not in res["msg"]
    # issue 16 item 6: nothing written, not even the registry file or its salt
    assert not os.path.exists(os.path.dirname(registry))


def test_failing_update_of_an_existing_registry_writes_nothing(registry):
    assert run_main(compute_node, {"name": "n", "registry": registry, "region": "x"})[0] == "exit"
    before = open(registry, "rb").read()
    kind, res = run_main(compute_node, {"name": "n", "registry": registry, "registry_key": "k",
                                        "ssh_password": "ssh-pass#w0rd!", "hami_core_dir": "relative"})
    assert kind == "fail" and "hami_core_dir" in res["msg"]
    kind, res = run_main(compute_node, {"name": "n", "registry": registry, "registry_key": "k",
                                        "tls": False, "docker_host": "tcp://192.0.2.1:2375"})
    assert kind == "fail" and "allow_insecure" in res["msg"]
    import sqlite3
    conn = sqlite3.connect("file:%s?mode=ro" % registry, uri=True)
    assert conn.execute("SELECT count(*) FROM meta").fetchone()[0] == 0  # no salt written
    conn.close()
    assert open(registry, "rb").read() == before


def test_check_mode_creates_nothing(registry):
    kind, res = run_main(compute_node, {"name": "n", "registry": registry, "registry_key": "k",
                                        "ssh_password": "ssh-pass#w0rd!",
                                        "docker_host": "tcp://127.0.0.1:%d" % free_port()}, check=True)
    assert kind == "exit" and res["changed"] is True and res["node"]["docker_status"] == "failed"
    assert res["node"]["docker_error"] == "connection refused"
    assert not os.path.exists(os.path.dirname(registry))


# -- compute_node_info and compute_node_probe ---------------------------------------------------
def seeded(registry, port):
    kind, res = run_main(compute_node, {"name": "n", "registry": registry, "tls": False,
                                        "docker_host": "tcp://127.0.0.1:%d" % port})
    assert kind == "exit" and res["node"]["docker_status"] == "failed"
    import sqlite3
    conn = sqlite3.connect(registry)
    data = json.loads(conn.execute("SELECT data FROM nodes WHERE name='n'").fetchone()[0])
    data["docker_status"] = "connected"  # as if it answered last time
    conn.execute("UPDATE nodes SET data=? WHERE name='n'", (json.dumps(data),))
    conn.commit()
    conn.close()
    return open(registry, "rb").read()


def test_info_probe_never_writes_or_reports_changed(registry):
    # issue 8: compute_node_info probe: true used to store docker_status and report changed
    before = seeded(registry, free_port())
    kind, res = run_main(compute_node_info, {"registry": registry, "probe": True, "timeout": 2})
    assert kind == "exit" and res["changed"] is False
    assert res["nodes"][0]["docker_status"] == "failed" and res["changed_nodes"] == ["n"]
    assert open(registry, "rb").read() == before
    kind, res = run_main(compute_node_info, {"registry": registry})
    assert res["nodes"][0]["docker_status"] == "connected"


def test_info_on_a_missing_registry_creates_nothing(registry):
    kind, res = run_main(compute_node_info, {"registry": registry, "registry_key": "k", "probe": True})
    assert kind == "exit" and res["nodes"] == [] and res["changed"] is False
    assert not os.path.exists(os.path.dirname(registry))


@pytest.mark.parametrize("module_name", ["compute_node_info", "compute_node_probe"])
@pytest.mark.parametrize("args,field,words", [
    ({"max_workers": 10 ** 20}, "max_workers", "between 1 and 1024"),
    ({"max_workers": 0}, "max_workers", "between 1 and 1024"),
    ({"request_timeout": -1}, "timeout", "more than 0"),
])
def test_info_and_probe_refuse_out_of_range_values(registry, module_name, args, field, words):
    module = {"compute_node_info": compute_node_info, "compute_node_probe": compute_node_probe}[module_name]
    kind, res = run_main(module, dict({"registry": registry}, **args))
    assert kind == "fail" and field in res["msg"] and words in res["msg"], res
    assert "exception" not in res


def test_probe_records_status_check_mode_writes_nothing(registry):
    before = seeded(registry, free_port())
    kind, res = run_main(compute_node_probe, {"registry": registry}, check=True)
    assert kind == "exit" and res["changed"] is True and res["changed_nodes"] == ["n"]
    assert open(registry, "rb").read() == before
    kind, res = run_main(compute_node_probe, {"registry": registry})
    assert kind == "exit" and res["changed"] is True and res["failed_nodes"][0]["name"] == "n"
    assert res["failed_nodes"][0]["docker_error"] == "connection refused"
    kind, res = run_main(compute_node_info, {"registry": registry})
    assert res["nodes"][0]["docker_status"] == "failed" and res["nodes"][0]["checked_at"]
    kind, res = run_main(compute_node_probe, {"registry": registry})
    assert kind == "exit" and res["changed"] is False


def test_probe_spec():
    spec = compute_node_probe.argument_spec()
    assert spec["timeout"]["aliases"] == ["request_timeout"] and spec["registry_key"]["no_log"]
    assert spec["registry"]["fallback"][1] == ["GPUFLEET_REGISTRY"]
