# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import threading

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import (
    NodeRegistry, SQLiteRegistry, open_backend as open_registry)
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.secrets import SecretBox, open_secret_box


def test_crud_and_file_modes(tmp_path):
    path = tmp_path / "sub" / "reg.db"
    reg = open_registry(str(path))
    assert isinstance(reg, NodeRegistry)
    assert reg.get("a") is None and reg.list() == []
    reg.update("b", lambda cur: {"name": "b", "x": 1})
    reg.update("a", lambda cur: {"name": "a"})
    assert [r["name"] for r in reg.list()] == ["a", "b"]
    assert reg.update("b", lambda cur: cur) == {"name": "b", "x": 1}
    assert reg.delete("b") is True and reg.delete("b") is False
    assert os.stat(str(path)).st_mode & 0o777 == 0o600
    assert os.stat(str(path.parent)).st_mode & 0o777 == 0o700
    reg.close()
    assert open_registry("sqlite://" + str(path)).get("a") == {"name": "a"}


def test_unsupported_scheme_and_bad_file(tmp_path):
    with pytest.raises(ComputeError) as exc:
        open_registry("mysql://db/x")  # postgresql:// is a backend now (registry_postgres)
    assert exc.value.field == "registry" and "unsupported registry scheme" in str(exc.value)
    bad = tmp_path / "junk.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ComputeError) as exc:
        SQLiteRegistry(str(bad)).list()
    assert "not a usable SQLite database" in str(exc.value)


def test_concurrent_read_modify_write_loses_nothing(tmp_path):
    path = str(tmp_path / "reg.db")
    open_registry(path).update("counter", lambda cur: {"n": 0})

    def bump():
        reg = open_registry(path)
        for dummy in range(25):
            reg.update("counter", lambda cur: {"n": cur["n"] + 1})
        reg.close()

    threads = [threading.Thread(target=bump) for dummy in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert open_registry(path).get("counter") == {"n": 200}


def test_secret_box_roundtrip_and_wrong_key(tmp_path):
    reg = open_registry(str(tmp_path / "reg.db"))
    assert open_secret_box(reg, None) is None
    box = SecretBox(reg, "passphrase")
    token = box.encrypt("hunter2")
    assert "hunter2" not in token
    assert SecretBox(reg, "passphrase").decrypt(token) == "hunter2"
    with pytest.raises(ComputeError) as exc:
        SecretBox(reg, "wrong")
    assert "registry_key does not match" in str(exc.value)
    with pytest.raises(ComputeError):
        box.decrypt("garbage", field="client_key", node="n")


def test_read_only_never_writes(tmp_path):
    missing = tmp_path / "no" / "reg.db"
    reg = open_registry(str(missing), read_only=True)
    assert reg.list() == [] and not missing.parent.exists()
    box = SecretBox(reg, "k")  # salt and check token stay in memory
    assert box.decrypt(box.encrypt("x")) == "x"
    with pytest.raises(ComputeError):
        reg.update("a", lambda cur: {"name": "a"})
    assert not missing.parent.exists()

    path = str(tmp_path / "reg.db")
    rw = open_registry(path)
    rw.update("a", lambda cur: {"name": "a"})
    rw.close()
    before = open(path, "rb").read()
    ro = open_registry(path, read_only=True)
    assert [r["name"] for r in ro.list()] == ["a"]
    SecretBox(ro, "k")
    assert ro.meta_get("kdf_salt") is None
    ro.close()
    assert open(path, "rb").read() == before


def test_service_check_mode_on_missing_registry(tmp_path):
    from ansible_collections.gpufleet.ops.plugins.module_utils.compute.service import ComputeNodeService
    from ansible_collections.gpufleet.ops.plugins.modules.compute_node import argument_spec

    class Module(object):
        check_mode, _diff = True, False

        def warn(self, msg):
            pass

    module = Module()
    module.params = dict((k, v.get("default")) for k, v in argument_spec().items())
    module.params.update(name="n", region="x", ssh_password="ssh-pass#w0rd!", registry_key="k",
                         registry=str(tmp_path / "missing.db"))
    res = ComputeNodeService(module).run()
    assert res["changed"] and res["node"]["has_ssh_password"]
    assert not (tmp_path / "missing.db").exists()
