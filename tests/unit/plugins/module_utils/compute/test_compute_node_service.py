# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import probe as P
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.node import NODE_ARGS, ComputeNodeService
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import open_registry
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.secrets import SecretBox

ENGINE = {"ncpu": 16, "mem_total": 64 * 1024 ** 3, "docker_version": "26.1.3", "gpu_runtimes": ["nvidia"]}


class FakeProbe(object):
    def __init__(self, status=P.CONNECTED, error=None, containers=()):
        self.status, self.error, self.containers, self.calls = status, error, list(containers), 0

    def __call__(self, endpoint, timeout):
        self.calls += 1
        return P.ProbeResult(self.status, self.error, ENGINE if self.status == P.CONNECTED else {})

    def running(self, endpoint, timeout):
        if self.status != P.CONNECTED:
            return None, self.error
        return self.containers, None


def params(**kw):
    out = dict((k, v.get("default")) for k, v in NODE_ARGS.items())
    out.update(kw)
    return out


@pytest.fixture()
def reg(tmp_path):
    return open_registry(str(tmp_path / "r.db"))


def service(reg, fake, check=False, box=None):
    return ComputeNodeService(reg, box, timeout=1, check_mode=check, probe_func=fake,
                              containers_func=fake.running)


def test_create_fills_engine_facts_then_idempotent(reg):
    fake = FakeProbe()
    res = service(reg, fake).present(params(name="n", docker_host="tcp://127.0.0.1:1"))
    assert res["changed"] and res["node"]["cpu"] == "16" and res["node"]["memory"] == "64 GiB"
    assert res["node"]["auto_fields"] == ["cpu", "memory"]
    again = service(reg, fake).present(params(name="n", docker_host="tcp://127.0.0.1:1"))
    assert again["changed"] is False and again["diff"]["before"] == again["diff"]["after"]


def test_user_value_kept_with_warning(reg):
    svc = service(reg, FakeProbe())
    res = svc.present(params(name="n", cpu="8", docker_host="tcp://127.0.0.1:1"))
    assert res["node"]["cpu"] == "8" and res["node"]["auto_fields"] == ["memory"]
    assert any("cpu is set to '8' but the Docker engine reports 16" in w for w in svc.warnings)


def test_status_change_is_a_change_reason_change_is_not(reg):
    args = params(name="n", docker_host="tcp://127.0.0.1:1")
    service(reg, FakeProbe(P.FAILED, "connection refused")).present(args)
    res = service(reg, FakeProbe(P.FAILED, "timeout")).present(args)
    assert res["changed"] is False and res["node"]["docker_error"] == "timeout"
    assert service(reg, FakeProbe()).present(args)["changed"] is True


def test_check_mode_writes_nothing(reg):
    res = service(reg, FakeProbe(), check=True).present(params(name="n", region="x"))
    assert res["changed"] and reg.get("n") is None
    service(reg, FakeProbe()).present(params(name="n", region="x"))
    res = service(reg, FakeProbe(), check=True).absent(params(name="n", state="absent"))
    assert res["changed"] and reg.get("n") is not None


def test_partial_update_keeps_fields_and_empty_string_clears(reg):
    svc = service(reg, FakeProbe())
    svc.present(params(name="n", region="x", remark="r", ssh_port=2222))
    res = svc.present(params(name="n", remark=""))
    assert res["node"]["region"] == "x" and res["node"]["remark"] is None and res["node"]["ssh_port"] == 2222


def test_secrets_need_key_are_encrypted_and_compared(reg):
    with pytest.raises(ComputeError) as exc:
        service(reg, FakeProbe()).present(params(name="n", ssh_password="pw"))
    assert exc.value.field == "ssh_password" and "registry_key" in str(exc.value)
    box = SecretBox(reg, "k")
    res = service(reg, FakeProbe(), box=box).present(params(name="n", ssh_password="pw"))
    assert res["changed"] and res["node"]["has_ssh_password"] and "pw" not in str(res)
    assert "pw" not in str(reg.get("n"))
    assert service(reg, FakeProbe(), box=box).present(params(name="n", ssh_password="pw"))["changed"] is False
    res = service(reg, FakeProbe(), box=box).present(params(name="n", ssh_password="pw2"))
    assert res["changed"] and res["diff"]["after"]["ssh_password"] == "******** (new value)"


def test_insecure_plain_tcp(reg):
    with pytest.raises(ComputeError) as exc:
        service(reg, FakeProbe()).present(params(name="n", docker_host="tcp://10.1.2.3:2375", tls=False))
    assert exc.value.field == "docker_host" and "allow_insecure" in str(exc.value)
    fake = FakeProbe()
    svc = service(reg, fake)
    svc.present(params(name="n", docker_host="tcp://10.1.2.3:2375", tls=False, allow_insecure=True))
    assert any("plain TCP" in w for w in svc.warnings) and fake.calls == 1
    svc.present(params(name="lo", docker_host="tcp://127.0.0.1:2375", tls=False))


def test_delete_guard(reg):
    svc = service(reg, FakeProbe(containers=["a", "b"]))
    svc.present(params(name="n", docker_host="tcp://127.0.0.1:1"))
    with pytest.raises(ComputeError) as exc:
        svc.absent(params(name="n", state="absent"))
    assert "still runs 2 container(s) (a, b)" in str(exc.value)
    assert svc.absent(params(name="n", state="absent", force=True))["changed"]
    assert svc.absent(params(name="n", state="absent"))["changed"] is False
    down = service(reg, FakeProbe(P.FAILED, "connection refused"))
    down.present(params(name="m", docker_host="tcp://127.0.0.1:1"))
    assert down.absent(params(name="m", state="absent"))["changed"]
    assert any("could not check for running containers" in w for w in down.warnings)


def test_info_filters_and_probe(reg):
    svc = service(reg, FakeProbe(P.FAILED, "refused"))
    svc.present(params(name="a", region="x", gpu_name="A100", docker_host="tcp://127.0.0.1:1"))
    svc.present(params(name="b", region="y", listed=False))
    assert [n["name"] for n in svc.info({"region": "x"})["nodes"]] == ["a"]
    assert [n["name"] for n in svc.info({"listed": False})["nodes"]] == ["b"]
    assert [n["name"] for n in svc.info({"gpu_name": "A100"})["nodes"]] == ["a"]
    assert [n["name"] for n in svc.info({"names": ["b"]})["nodes"]] == ["b"]
    res = svc.info({}, do_probe=False)
    assert res["summary"] == {"connected": 0, "failed": 1, "unknown": 1} and not res["changed"]


@pytest.mark.parametrize("field,value,msg", [
    ("ssh_port", 70000, "between 1 and 65535"),
    ("gpu_count", -1, "must not be negative"),
    ("ca_cert", "not a pem and not a file", "neither PEM text nor a readable file"),
    ("docker_host", "ssh://x", "unsupported scheme"),
    ("private_ip", "10.0.0.300", "is not an IP address"),
    ("hami_core_dir", "HAMi-core/build", "must be an absolute path"),
])
def test_validation_names_the_field(reg, field, value, msg):
    with pytest.raises(ComputeError) as exc:
        service(reg, FakeProbe()).present(params(name="n", **{field: value}))
    assert exc.value.field == field and msg in str(exc.value)
