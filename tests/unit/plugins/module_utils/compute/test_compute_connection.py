# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible.module_utils.basic import env_fallback

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import connection as C
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError, RegistryMissing
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import open_backend
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.secrets import SecretBox


def test_specs_carry_env_fallbacks_and_spellings():
    assert C.REGISTRY_SPEC["registry"]["fallback"] == (env_fallback, ["GPUFLEET_REGISTRY"])
    assert C.REGISTRY_SPEC["registry_key"]["fallback"] == (env_fallback, ["GPUFLEET_REGISTRY_KEY"])
    assert C.REGISTRY_SPEC["registry_key"]["no_log"] and C.DOCKER_SPEC["client_key"]["no_log"]
    assert C.DOCKER_SPEC["ca_path"]["aliases"] == ["ca_cert"]
    assert C.DOCKER_SPEC["timeout"]["aliases"] == ["request_timeout"]
    spec = C.docker_spec()
    spec["timeout"]["default"] = 1
    assert C.DOCKER_SPEC["timeout"]["default"] == C.DEFAULT_TIMEOUT  # callers get copies


def test_open_registry_for_the_inventory(tmp_path):
    missing = tmp_path / "none" / "reg.db"
    with pytest.raises(RegistryMissing) as exc:
        C.open_registry(str(missing))
    assert exc.value.field == "registry" and str(missing) in str(exc.value)
    assert not missing.parent.exists()
    path = tmp_path / "reg.db"
    rw = open_backend(str(path))
    box = SecretBox(rw, "k")
    rw.update("a", lambda cur: {"name": "a", "secrets": {"client_key": box.encrypt("KEY")}})
    rw.close()
    before = path.read_bytes()
    with C.open_registry("sqlite://" + str(path)) as conn:
        records = conn.public_records()
        with pytest.raises(ComputeError):
            conn.registry.update("b", lambda cur: {"name": "b"})
    assert records[0]["name"] == "a" and records[0]["has_client_key"] is True and "secrets" not in records[0]
    assert path.read_bytes() == before
    with C.open_registry(str(path), key="k") as conn:
        assert conn.box.decrypt(conn.registry.get("a")["secrets"]["client_key"]) == "KEY"


def test_check_mode_connection_refuses_to_write(tmp_path):
    params = {"registry": str(tmp_path / "r.db"), "registry_key": None}
    with C.open_registry_from_params(params, check_mode=True) as conn:
        assert conn.registry.list() == []
        with pytest.raises(ComputeError):
            conn.writer()
    assert not (tmp_path / "r.db").exists()


def test_writer_keeps_the_salt_of_the_plan(tmp_path):
    params = {"registry": str(tmp_path / "r.db"), "registry_key": "k"}
    with C.open_registry_from_params(params, read_only=True) as conn:
        token = conn.box.encrypt("plan")  # the salt only exists in memory so far
        assert not (tmp_path / "r.db").exists()
        writer = conn.writer()
        try:
            assert writer.box.decrypt(token) == "plan"
            assert writer.registry.meta_get("kdf_salt")
        finally:
            writer.close()
