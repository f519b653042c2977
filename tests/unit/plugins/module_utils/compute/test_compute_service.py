# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import threading
import time

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import client as P
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import open_backend
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.service import (
    ComputeNodeInfoService, ComputeNodeProbeService, ComputeNodeService)
from ansible_collections.gpufleet.ops.plugins.modules import compute_node

ENGINE = {"ncpu": 16, "mem_total": 64 * 1024 ** 3, "docker_version": "26.1.3", "gpu_runtimes": ["nvidia"]}


class FakeModule(object):
    """What the services use of AnsibleModule: params, check_mode, _diff and warn()."""

    def __init__(self, params, check_mode=False, diff=True):
        self.params = params
        self.check_mode = check_mode
        self._diff = diff
        self.warned = []

    def warn(self, msg):
        self.warned.append(msg)


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

    def many(self, endpoints, timeout, max_workers):
        return dict((name, self(ep, timeout)) for name, ep in endpoints.items())


class RegistryView(object):
    """The registry file as another process sees it (read-only, opened per call)."""

    def __init__(self, path):
        self.path = path

    def get(self, name):
        reg = open_backend(self.path, read_only=True)
        try:
            return reg.get(name)
        finally:
            reg.close()

    def meta_get(self, key):
        reg = open_backend(self.path, read_only=True)
        try:
            return reg.meta_get(key)
        finally:
            reg.close()


def node_params(registry=None, **kw):
    """compute_node's options with their defaults, as AnsibleModule would hand them over."""
    out = dict((k, v.get("default")) for k, v in compute_node.argument_spec().items())
    out["registry"] = registry
    out.update(kw)
    return out


@pytest.fixture()
def reg(tmp_path):
    return RegistryView(str(tmp_path / "r.db"))


# A secret no Fernet token (urlsafe base64) can contain by chance: it has characters outside that alphabet.
SSH_PASSWORD = "ssh-pass#w0rd!"
SSH_PASSWORD_2 = "ssh-pass#w0rd!2"


class Svc(object):
    """compute_node's service over one registry file, with a fake probe, as the old tests used it."""

    def __init__(self, reg, fake, check=False, key=None):
        self.reg, self.fake, self.check, self.key = reg, fake, check, key
        self.warnings = []

    def _run(self, cls, params):
        service = cls(FakeModule(params, check_mode=self.check), probe_func=self.fake,
                      containers_func=self.fake.running, probe_many_func=self.fake.many)
        try:
            return service.run()
        finally:
            self.warnings.extend(service.warnings)

    def present(self, params):
        params = dict(params, registry=self.reg.path, registry_key=self.key, timeout=1)
        return self._run(ComputeNodeService, params)

    def absent(self, params):
        return self.present(params)

    def info(self, filters, do_probe=False):
        params = dict(name=filters.get("names"), region=filters.get("region"), listed=filters.get("listed"),
                      gpu_name=filters.get("gpu_name"), docker_status=filters.get("docker_status"),
                      probe=do_probe, max_workers=16, timeout=1, registry=self.reg.path, registry_key=self.key)
        return self._run(ComputeNodeInfoService, params)

    def probe_all(self, **filters):
        params = dict(name=None, region=None, listed=None, gpu_name=None, docker_status=None, max_workers=16,
                      timeout=1, registry=self.reg.path, registry_key=self.key)
        params.update(filters)
        return self._run(ComputeNodeProbeService, params)


def service(reg, fake, check=False, key=None):
    return Svc(reg, fake, check, key)


def params(**kw):
    return node_params(**kw)


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
    assert not os.path.exists(reg.path)
    service(reg, FakeProbe()).present(params(name="n", region="x"))
    res = service(reg, FakeProbe(), check=True).absent(params(name="n", state="absent"))
    assert res["changed"] and reg.get("n") is not None


def test_partial_update_keeps_fields_and_empty_string_clears(reg):
    svc = service(reg, FakeProbe())
    svc.present(params(name="n", region="x", remark="r", ssh_port=2222))
    res = svc.present(params(name="n", remark=""))
    assert res["node"]["region"] == "x" and res["node"]["remark"] is None and res["node"]["ssh_port"] == 2222


def test_secrets_need_key_are_encrypted_and_compared(reg):
    # issue 8 defect 4: the secret used to be "pw", which a random Fernet token contains about once in 12 runs
    with pytest.raises(ComputeError) as exc:
        service(reg, FakeProbe()).present(params(name="n", ssh_password=SSH_PASSWORD))
    assert exc.value.field == "ssh_password" and "registry_key" in str(exc.value)
    res = service(reg, FakeProbe(), key="k").present(params(name="n", ssh_password=SSH_PASSWORD))
    assert res["changed"] and res["node"]["has_ssh_password"] and SSH_PASSWORD not in str(res)
    assert SSH_PASSWORD not in str(reg.get("n"))
    assert service(reg, FakeProbe(), key="k").present(params(name="n", ssh_password=SSH_PASSWORD))["changed"] is False
    res = service(reg, FakeProbe(), key="k").present(params(name="n", ssh_password=SSH_PASSWORD_2))
    assert res["changed"] and res["diff"]["after"]["ssh_password"] == "******** (new value)"


def test_secret_marker_cannot_occur_in_a_token():
    import base64
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")
    assert set(SSH_PASSWORD) - alphabet
    assert base64.urlsafe_b64decode(base64.urlsafe_b64encode(b"x"))  # the alphabet is Fernet's


def test_insecure_plain_tcp(reg):
    with pytest.raises(ComputeError) as exc:
        service(reg, FakeProbe()).present(params(name="n", docker_host="tcp://10.1.2.3:2375", tls=False))
    assert exc.value.field == "docker_host" and "allow_insecure" in str(exc.value)
    fake = FakeProbe()
    svc = service(reg, fake)
    svc.present(params(name="n", docker_host="tcp://10.1.2.3:2375", tls=False, allow_insecure=True))
    assert any("plain TCP" in w for w in svc.warnings) and fake.calls == 1
    svc.present(params(name="lo", docker_host="tcp://127.0.0.1:2375", tls=False))


@pytest.mark.parametrize("host", ["tcp://127.attacker.example:2375", "tcp://127.0.0.1.nip.io:2375",
                                  "tcp://localhost.attacker.example:2375", "http://127.evil:2375"])
def test_plain_tcp_guard_uses_the_parsed_address(reg, host):
    # issue 16 item 2: "127." as a prefix of a DNS name is not loopback
    fake = FakeProbe()
    with pytest.raises(ComputeError) as exc:
        service(reg, fake).present(params(name="n", docker_host=host, tls=False))
    assert exc.value.field == "docker_host" and "allow_insecure" in str(exc.value)
    assert fake.calls == 0 and reg.get("n") is None


@pytest.mark.parametrize("host", ["tcp://127.0.0.1:2375", "tcp://127.1.2.3:2375", "tcp://[::1]:2375",
                                  "tcp://localhost:2375", "unix:///var/run/docker.sock"])
def test_loopback_plain_tcp_needs_no_opt_in(reg, host):
    svc = service(reg, FakeProbe())
    assert svc.present(params(name="n", docker_host=host, tls=False))["node"]["docker_status"] == "connected"
    assert not any("plain TCP" in w for w in svc.warnings)


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


def test_info_probe_is_live_and_stores_nothing(reg):
    # issue 8: an _info module never writes and never reports changed
    service(reg, FakeProbe(P.FAILED, "refused")).present(params(name="a", docker_host="tcp://127.0.0.1:1"))
    stored = reg.get("a")
    res = service(reg, FakeProbe()).info({}, do_probe=True)
    assert res["changed"] is False and res["changed_nodes"] == ["a"]
    assert res["nodes"][0]["docker_status"] == "connected"
    assert reg.get("a") == stored


def test_info_on_a_missing_registry_creates_nothing(tmp_path):
    reg = RegistryView(str(tmp_path / "none" / "r.db"))
    assert service(reg, FakeProbe()).info({}, do_probe=True)["nodes"] == []
    assert not (tmp_path / "none").exists()


def test_probe_module_records_status_and_check_mode_writes_nothing(reg):
    service(reg, FakeProbe(P.FAILED, "refused")).present(params(name="a", docker_host="tcp://127.0.0.1:1"))
    service(reg, FakeProbe(P.FAILED, "refused")).present(params(name="b", region="other"))
    stored = reg.get("a")
    checked = service(reg, FakeProbe(), check=True).probe_all()
    assert checked["changed"] is True and checked["changed_nodes"] == ["a"] and reg.get("a") == stored
    real = service(reg, FakeProbe()).probe_all()
    assert real["changed"] is True and reg.get("a")["docker_status"] == "connected"
    assert real["summary"] == {"connected": 1, "failed": 0, "unknown": 1}
    again = service(reg, FakeProbe()).probe_all()
    assert again["changed"] is False and again["changed_nodes"] == []
    assert [n["name"] for n in service(reg, FakeProbe()).probe_all(region="other")["nodes"]] == ["b"]


def test_concurrent_updates_of_one_node_lose_nothing(reg):
    # issue 16 item 4: runs changing different fields of one node, each probing a silent endpoint
    service(reg, FakeProbe(P.FAILED, "refused")).present(params(name="n", docker_host="tcp://127.0.0.1:1"))

    class SlowProbe(FakeProbe):
        def __call__(self, endpoint, timeout):
            time.sleep(0.3)
            return P.ProbeResult(P.FAILED, "timeout: no answer within 1s")

    fields = dict(region="r", cpu="c", memory="m", system_disk="s", data_disk="d", ssh_user="u", gpu_name="g",
                  remark="x", hami_core_dir="/h", public_ip="203.0.113.7", private_ip="10.0.0.7", ssh_port=2200,
                  gpu_count=4, gpu_memory_gb=80)
    errors = []

    def one(field):
        try:
            service(reg, SlowProbe()).present(params(name="n", **{field: fields[field]}))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(f,)) for f in fields]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    record = reg.get("n")
    assert dict((f, record.get(f)) for f in fields) == fields


@pytest.mark.parametrize("field,value,msg", [
    ("ssh_port", 70000, "between 1 and 65535"),
    ("gpu_count", -1, "must be between 0 and"),
    ("ca_cert", "not a pem and not a file", "neither PEM text nor a readable file"),
    ("docker_host", "ssh://x", "unsupported scheme"),
    ("private_ip", "10.0.0.300", "is not an IP address"),
    ("hami_core_dir", "HAMi-core/build", "must be an absolute path"),
])
def test_validation_names_the_field(reg, field, value, msg):
    with pytest.raises(ComputeError) as exc:
        service(reg, FakeProbe()).present(params(name="n", **{field: value}))
    assert exc.value.field == field and msg in str(exc.value)
    assert not os.path.exists(reg.path)
