# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""VgpuContainerService's decisions against an in-memory engine (the real one: tests/integration)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import client, vgpu
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import open_backend

LIB_DIR = "/root/HAMi-core/build"


class Engine(object):
    """Containers by name; ``files`` are the node's paths the archive API can stat."""

    def __init__(self, files=(LIB_DIR + "/libvgpu.so", "/tmp/vgpulock"), no_gpu_driver=False):
        self.containers = {}
        self.files = set(files)
        self.writes = []
        self.no_gpu_driver = no_gpu_driver


class FakeDocker(object):
    engine = None

    def __init__(self, endpoint, timeout, check_mode=False):
        self.check_mode = check_mode

    def _write(self, what):
        if self.check_mode:
            raise AssertionError("write in check mode: %s" % what)
        self.engine.writes.append(what)

    def inspect(self, name):
        for ident, item in self.engine.containers.items():
            if name in (ident, item["Name"].lstrip("/")):
                return copy.deepcopy(item)
        return None

    def create(self, name, body):
        self._write("create " + name)
        ident = "id-%d" % len(self.engine.writes)
        mounts = [{"Source": m["Source"], "Destination": m["Target"], "RW": not m["ReadOnly"]}
                  for m in body["HostConfig"]["Mounts"]]
        self.engine.containers[ident] = {"Id": ident, "Name": "/" + name, "Config": dict(body, Labels=body["Labels"]),
                                         "HostConfig": body["HostConfig"], "Mounts": mounts,
                                         "State": {"Status": "created", "Running": False}}
        return ident

    def start(self, ident):
        self._write("start " + ident)
        if self.engine.no_gpu_driver:
            raise client.DockerAPIError("POST", "https://node/containers/%s/start" % ident, 500,
                                        'could not select device driver "nvidia" with capabilities: [[gpu]]')
        self.engine.containers[ident]["State"] = {"Status": "running", "Running": True}

    def stop(self, ident, seconds=10):
        self._write("stop " + ident)
        self.engine.containers[ident]["State"] = {"Status": "exited", "Running": False}

    def remove(self, ident):
        self._write("remove " + ident)
        self.engine.containers.pop(ident, None)

    def stat_path(self, ident, path):
        item = self.engine.containers[ident]
        for mount in item["Mounts"]:
            if path.startswith(mount["Destination"]):
                host = mount["Source"] + path[len(mount["Destination"]):]
                return {"mode": 0o777 | (1 << 31 if host == "/tmp/vgpulock" else 0)} if host in self.engine.files \
                    else None
        return None

    def close(self):
        pass


class Module(object):
    def __init__(self, params, check_mode=False):
        self.params = params
        self.check_mode = check_mode
        self._diff = True
        self.warnings = []

    def warn(self, msg):
        self.warnings.append(msg)


@pytest.fixture()
def registry(tmp_path):
    path = str(tmp_path / "registry.db")
    backend = open_backend(path)
    for name, extra in (("gpu-a", {"hami_core_dir": LIB_DIR}), ("bare", {})):
        record = dict(name=name, docker_host="tcp://127.0.0.1:2376", tls=True, gpu_count=2, gpu_memory_gb=24, **extra)
        backend.update(name, lambda current, record=record: record)
    backend.close()
    return path


def run(registry, engine, check_mode=False, **params):
    args = dict(compute_node="gpu-a", name="t1", image="img:1", command=None, env=None, gpus=1, gpu_memory="8g",
                gpu_cores=None, state="present", check_image=None, registry=registry, registry_key=None, timeout=5)
    args.update(params)
    module = Module(args, check_mode)
    service = vgpu.VgpuContainerService(module)
    FakeDocker.engine = engine
    service.client_class = FakeDocker
    return service.run(), module.warnings


def run_result(registry, engine, check_mode=False, **params):
    return run(registry, engine, check_mode, **params)[0]


def test_create_then_no_change_then_recreate_then_absent(registry):
    engine = Engine()
    first = run_result(registry, engine)
    assert first["actions"] == ["created"] and first["changed"] is True
    assert [w.split(" ")[0] for w in engine.writes] == ["create", "remove", "create"]  # check container, then t1
    assert list(engine.containers) == [first["container"]["id"]]
    again = run_result(registry, engine)
    assert again["changed"] is False and again["actions"] == []
    changed = run_result(registry, engine, gpu_memory="4g")
    assert changed["actions"] == ["recreated"] and changed["container"]["limits"]["gpu_memory_mib"] == 4096
    assert changed["diff"]["before"]["t1"]["limits"]["gpu_memory_mib"] == 8192
    gone = run_result(registry, engine, state="absent", image=None, gpu_memory=None, gpus=None)
    assert gone["actions"] == ["removed"] and gone["container"] is None and not engine.containers


def test_check_mode_plans_without_writing_and_warns_about_the_library(registry):
    engine = Engine()
    planned, warnings = run(registry, engine, check_mode=True, state="started")
    assert planned["actions"] == ["created", "started"] and planned["container"]["running"] is True
    assert planned["container"]["id"] is None and engine.writes == []
    assert any("not checked for libvgpu.so" in w for w in warnings)
    run(registry, engine)
    created = list(engine.containers)
    writes = list(engine.writes)
    planned, warnings = run(registry, engine, check_mode=True, gpu_memory="4g")
    assert planned["actions"] == ["recreated"] and engine.writes == writes and list(engine.containers) == created
    assert warnings == []  # the existing container mounts hami_core_dir: looked into, read-only
    engine.files.discard(LIB_DIR + "/libvgpu.so")
    with pytest.raises(ComputeError) as info:
        run(registry, engine, check_mode=True, gpu_memory="4g")
    assert info.value.field == "compute_node.hami_core_dir"


def test_started_and_stopped(registry):
    engine = Engine()
    started = run_result(registry, engine, state="started")
    assert started["actions"] == ["created", "started"] and started["container"]["running"] is True
    assert run(registry, engine, state="started")[0]["changed"] is False
    stopped = run_result(registry, engine, state="stopped", image=None, gpu_memory=None, gpus=None)
    assert stopped["actions"] == ["stopped"] and stopped["container"]["running"] is False
    with pytest.raises(ComputeError) as info:
        run(registry, engine, name="other", state="stopped", image=None, gpu_memory=None, gpus=None)
    assert info.value.field == "image"


def test_refusals_from_the_node(registry):
    with pytest.raises(ComputeError) as info:
        run(registry, Engine(files=()))
    assert info.value.field == "compute_node.hami_core_dir" and "holds no libvgpu.so" in info.value.msg
    with pytest.raises(ComputeError) as info:
        run(registry, Engine(), compute_node="bare")
    assert info.value.field == "compute_node" and "no hami_core_dir" in info.value.msg
    engine = Engine()
    engine.containers["x"] = {"Id": "x", "Name": "/t1", "Config": {"Labels": {}}, "State": {}}
    with pytest.raises(ComputeError) as info:
        run(registry, engine)
    assert info.value.field == "name" and engine.writes == []


def test_no_nvidia_driver_says_so(registry):
    engine = Engine(no_gpu_driver=True)
    with pytest.raises(client.DockerAPIError) as info:
        run(registry, engine, state="started")
    assert "could not select device driver" in info.value.msg and "NVIDIA Container Toolkit" in info.value.msg
    assert len(engine.containers) == 1  # created, stays stopped
