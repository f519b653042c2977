# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vgpu_container / vgpu_container_info through real ansible-playbook against real dockerds.

There is no GPU here. Docker (20.10 .. 28) registers its ``nvidia`` device driver only when a
binary called ``nvidia-container-runtime-hook`` is on dockerd's PATH at start-up; a runtime
added with ``--add-runtime`` does not satisfy a device request ("could not select device
driver"). So the ``hooked`` daemon below gets a stand-in hook on its PATH: Docker then accepts
the device request, sets NVIDIA_VISIBLE_DEVICES and calls the hook as an OCI prestart hook,
which only records its call. What runs is therefore real Docker with real mounts and env,
minus NVIDIA's injection of devices and libraries (and libvgpu.so is a placeholder file).
The ``plain`` daemon (the shared test daemon, no hook) shows the refusal a node without the
NVIDIA Container Toolkit gives.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from tests.support.ansible_run import run_playbook
from tests.support.dockerd import Dockerd, test_daemon

HERE = os.path.dirname(os.path.abspath(__file__))
PB = os.path.join(HERE, "playbooks", "vgpu")
NODE_PB = os.path.join(HERE, "playbooks", "compute", "node.yml")
KEY = "integration-registry-key"
IMAGE = Dockerd.IMAGE
LOCK = "/tmp/vgpulock"
HOOK = """#!/bin/sh
# stand-in for NVIDIA's OCI prestart hook: record the call, read the state, succeed
echo "$* $(cat)" >> %s
"""


@pytest.fixture(scope="module")
def plain():
    return test_daemon()


@pytest.fixture(scope="module")
def hooked(plain, tmp_path_factory):
    """A private dockerd with the stand-in nvidia-container-runtime-hook on its PATH."""
    bindir = tmp_path_factory.mktemp("hookbin")
    log = str(bindir / "hook.log")
    hook = bindir / "nvidia-container-runtime-hook"
    hook.write_text(HOOK % log)
    hook.chmod(0o755)
    saved = os.environ["PATH"]
    os.environ["PATH"] = "%s:%s" % (bindir, saved)
    daemon = Dockerd()
    try:
        daemon.start()
    finally:
        os.environ["PATH"] = saved
    daemon.hook_log = log
    yield daemon
    daemon.stop()


@pytest.fixture(scope="module")
def nodes(plain, hooked, tmp_path_factory):
    """A registry with gpu-a (hooked, library present) and nodes that must be refused."""
    if not os.path.isdir(LOCK):
        os.mkdir(LOCK)
    os.chmod(LOCK, 0o777)
    root = tmp_path_factory.mktemp("vgpu")
    lib = root / "hami" / "build"
    lib.mkdir(parents=True)
    (lib / "libvgpu.so").write_bytes(b"\x7fELF placeholder")
    empty = root / "empty"
    empty.mkdir()
    registry = str(root / "registry.db")
    cases = [node(hooked, registry, "gpu-a", hami_core_dir=str(lib)),
             node(plain, registry, "gpu-plain", hami_core_dir=str(lib)),
             node(hooked, registry, "no-hami"),
             node(hooked, registry, "empty-hami", hami_core_dir=str(empty)),
             node(hooked, registry, "missing-hami", hami_core_dir=str(root / "nowhere"))]
    res = run_playbook(NODE_PB, extra_vars={"node_cases": cases})
    assert res.rc == 0, res.stdout[-3000:]
    return {"registry": registry, "lib": str(lib)}


def node(daemon, registry, name, **extra):
    t = daemon.tls.path
    args = dict(name=name, registry=registry, registry_key=KEY, gpu_count=2, gpu_memory_gb=24,
                docker_host=daemon.docker_host, ca_path=t["ca"], client_cert=t["client_cert"],
                client_key=t["client_key"], timeout=10)
    args.update(extra)
    return args


def spec(nodes, name, **extra):
    args = dict(compute_node="gpu-a", name=name, image=IMAGE, command=["/bin/sleep", "3600"], env={"EPOCHS": "3"},
                gpus=[0, 1], gpu_memory="8Gi", gpu_cores=30, state="present", registry=nodes["registry"],
                registry_key=KEY, timeout=20)
    args.update(extra)
    return args


def apply(cases, check=False, diff=False, ignore_errors=False):
    # The environment names another CA: the node's own CA must be the one trusted.
    other_ca = test_daemon().tls.path["other_ca"]
    res = run_playbook(os.path.join(PB, "container.yml"), check=check, diff=diff,
                       extra_vars={"vgpu_cases": cases, "vgpu_ignore_errors": ignore_errors},
                       env={"REQUESTS_CA_BUNDLE": other_ca, "CURL_CA_BUNDLE": other_ca, "SSL_CERT_FILE": other_ca})
    if not ignore_errors:
        assert res.rc == 0, res.stdout[-4000:]
    return res.task("Vgpu container")["results"]


def inspect(daemon, name):
    res = daemon.cli("inspect", name)
    if res.returncode != 0:
        return None
    return json.loads(res.stdout)[0]


def names(daemon):
    return sorted(daemon.cli("ps", "-a", "--format", "{{.Names}}").stdout.decode().split())


def test_present_has_exactly_hami_mounts_and_env_idempotent_check_mode_and_recreate(hooked, nodes):
    first = apply([spec(nodes, "vg-present")], diff=True)[0]
    assert first["changed"] is True and first["actions"] == ["created"]
    got = inspect(hooked, "vg-present")
    assert got["State"]["Status"] == "created"
    env = dict(item.split("=", 1) for item in got["Config"]["Env"])
    cache = env.pop("CUDA_DEVICE_MEMORY_SHARED_CACHE")
    assert cache.startswith("/tmp/cudevshr-vg-present-") and cache.endswith(".cache")
    env.pop("PATH", None)  # the image's own
    assert env == {"EPOCHS": "3", "LD_PRELOAD": "/libvgpu/build/libvgpu.so",
                   "CUDA_REDIRECT": "/libvgpu/build/libvgpu.so",
                   "CUDA_DEVICE_MEMORY_LIMIT_0": "8192m", "CUDA_DEVICE_MEMORY_LIMIT_1": "8192m",
                   "CUDA_DEVICE_SM_LIMIT": "30"}
    assert got["HostConfig"]["Mounts"] == [
        {"Type": "bind", "Source": nodes["lib"], "Target": "/libvgpu/build", "ReadOnly": True},
        {"Type": "bind", "Source": LOCK, "Target": LOCK}]
    assert sorted((m["Destination"], m["Source"], m["RW"]) for m in got["Mounts"]) == [
        ("/libvgpu/build", nodes["lib"], False), (LOCK, LOCK, True)]
    assert got["HostConfig"]["DeviceRequests"] == [
        {"Driver": "nvidia", "Count": 0, "DeviceIDs": ["0", "1"], "Capabilities": [["gpu"]], "Options": None}]
    assert got["Config"]["Cmd"] == ["/bin/sleep", "3600"]
    container = first["container"]
    assert container["id"] == got["Id"] and container["name"] == "vg-present" and container["image"] == IMAGE
    assert container["hami_env"]["CUDA_DEVICE_MEMORY_LIMIT_0"] == "8192m"
    assert container["limits"] == {"gpu_memory": "8192m", "gpu_memory_mib": 8192, "gpu_cores": 30, "gpus": [0, 1]}
    assert container["gpus"][0]["device_ids"] == ["0", "1"]
    assert first["diff"]["before"] == {} and first["diff"]["after"]["vg-present"]["running"] is False
    assert not [n for n in names(hooked) if n.startswith("gpufleet-vgpu-check-")]  # the check container is gone

    # the same spec (8Gi == 8192m == 8g; [1, 0] == [0, 1]): no change
    again = apply([spec(nodes, "vg-present", gpu_memory="8192m", gpus=[1, 0]),
                   spec(nodes, "vg-present", gpu_memory="8g")])
    assert [r["changed"] for r in again] == [False, False]
    assert inspect(hooked, "vg-present")["Id"] == got["Id"]

    # check mode: a changed spec would recreate, nothing is written
    before = names(hooked)
    checked = apply([spec(nodes, "vg-present", gpu_memory="4g"), spec(nodes, "vg-new", gpus=1)],
                    check=True, diff=True)
    assert checked[0]["changed"] is True and checked[0]["actions"] == ["recreated"]
    diff = checked[0]["diff"]
    assert diff["before"]["vg-present"]["hami_env"]["CUDA_DEVICE_MEMORY_LIMIT_0"] == "8192m"
    assert diff["after"]["vg-present"]["hami_env"]["CUDA_DEVICE_MEMORY_LIMIT_0"] == "4096m"
    assert checked[1]["actions"] == ["created"] and checked[1]["container"]["id"] is None
    assert checked[1]["container"]["hami_env"]["CUDA_DEVICE_MEMORY_LIMIT"] == "8192m"
    assert names(hooked) == before and inspect(hooked, "vg-present")["Id"] == got["Id"]
    assert inspect(hooked, "vg-present")["Config"]["Env"] == got["Config"]["Env"]

    # a changed spec recreates
    changed = apply([spec(nodes, "vg-present", gpu_memory="4g", gpus=1, gpu_cores=None)])[0]
    assert changed["actions"] == ["recreated"]
    now = inspect(hooked, "vg-present")
    assert now["Id"] != got["Id"]
    env = dict(item.split("=", 1) for item in now["Config"]["Env"])
    assert env["CUDA_DEVICE_MEMORY_LIMIT"] == "4096m" and "CUDA_DEVICE_MEMORY_LIMIT_0" not in env
    assert "CUDA_DEVICE_SM_LIMIT" not in env and env["CUDA_DEVICE_MEMORY_SHARED_CACHE"] != cache
    assert now["HostConfig"]["DeviceRequests"][0]["Count"] == 1


def test_every_refusal_names_its_field_and_writes_nothing(hooked, nodes):
    hooked.cli("create", "--name", "not-mine", IMAGE, "/bin/true")
    before = names(hooked)
    cases = [
        ("gpu_memory", spec(nodes, "r-mem", gpu_memory="25g")),
        ("gpus", spec(nodes, "r-count", gpus=3)),
        ("gpus[1]", spec(nodes, "r-index", gpus=[0, 2])),
        ("compute_node", spec(nodes, "r-nohami", compute_node="no-hami")),
        ("compute_node.hami_core_dir", spec(nodes, "r-empty", compute_node="empty-hami")),
        ("compute_node.hami_core_dir", spec(nodes, "r-missing", compute_node="missing-hami")),
        ("compute_node", spec(nodes, "r-unknown", compute_node="nobody")),
        ("gpu_memory", spec(nodes, "r-frac", gpu_memory="1.5g")),
        ("gpu_memory", spec(nodes, "r-octal", gpu_memory="08g")),
        ("gpu_memory", spec(nodes, "r-gb", gpu_memory="8GB")),
        ("gpu_memory", spec(nodes, "r-bytes", gpu_memory="8589934592")),
        ("gpu_memory", spec(nodes, "r-zero", gpu_memory="0m")),
        ("gpu_cores", spec(nodes, "r-cores", gpu_cores=101)),
        ("env.CUDA_DEVICE_MEMORY_LIMIT", spec(nodes, "r-env", env={"CUDA_DEVICE_MEMORY_LIMIT": "8Gi"})),
        ("name", spec(nodes, "not-mine")),
        ("image", spec(nodes, "r-image", image="nvcr.io/nvidia/pytorch:24.05-py3")),
        ("check_image", spec(nodes, "r-check", check_image="no-such-image:1")),
    ]
    results = apply([case for _field, case in cases], ignore_errors=True)
    for (field, case), result in zip(cases, results):
        assert result.get("failed") is True, (case["name"], result)
        assert result["field"] == field, (case["name"], result["msg"])
    by_name = dict((r["item"]["name"], r["msg"]) for r in results)
    assert "25600m is more than one GPU" in by_name["r-mem"]
    assert "octal" in by_name["r-octal"] and "fraction" in by_name["r-frac"]
    assert "holds no libvgpu.so" in by_name["r-empty"] and "does not exist" in by_name["r-missing"]
    assert "does not pull" in by_name["r-image"]
    assert names(hooked) == before
    hooked.cli("rm", "-f", "not-mine")


def test_started_with_stand_in_hook_then_stopped_absent_and_info(hooked, plain, nodes):
    started = apply([spec(nodes, "vg-run", gpus=2, state="started")])[0]
    assert started["actions"] == ["created", "started"] and started["container"]["running"] is True
    environ = hooked.cli("exec", "vg-run", "/bin/busybox", "cat", "/proc/1/environ").stdout.decode()
    assert "NVIDIA_VISIBLE_DEVICES=0,1" in environ.split("\0")
    assert "CUDA_DEVICE_MEMORY_LIMIT=8192m" in environ.split("\0")
    with open(hooked.hook_log) as handle:
        assert "prestart" in handle.read()
    probe = hooked.cli("exec", "vg-run", "/bin/sh", "-c",
                       "test -f /libvgpu/build/libvgpu.so && ! touch /libvgpu/build/x 2>/dev/null "
                       "&& touch /tmp/vgpulock/probe-vg-run && echo ok")
    assert probe.stdout.decode().strip() == "ok", probe.stderr
    os.unlink(os.path.join(LOCK, "probe-vg-run"))
    assert apply([spec(nodes, "vg-run", gpus=2, state="started")])[0]["changed"] is False

    info = run_playbook(os.path.join(PB, "info.yml"), extra_vars={"info_args": {
        "registry": nodes["registry"], "registry_key": KEY, "compute_node": "gpu-a"}})
    assert info.rc == 0, info.stdout[-3000:]
    listed = info.task("Vgpu container info")
    found = dict((c["name"], c) for c in listed["containers"])
    assert found["vg-run"]["running"] is True and found["vg-run"]["node"] == "gpu-a"
    assert found["vg-run"]["limits"]["gpu_memory_mib"] == 8192 and found["vg-run"]["limits"]["gpus"] == 2
    assert listed["nodes"][0]["name"] == "gpu-a" and listed["nodes"][0]["containers"] == len(found)
    assert listed["changed"] is False

    stopped = apply([dict(compute_node="gpu-a", name="vg-run", state="stopped", registry=nodes["registry"],
                          registry_key=KEY, timeout=30)] * 2)
    assert [r["changed"] for r in stopped] == [True, False]
    assert inspect(hooked, "vg-run")["State"]["Running"] is False
    gone = apply([dict(compute_node="gpu-a", name=n, state="absent", registry=nodes["registry"], registry_key=KEY)
                  for n in ("vg-run", "vg-run", "vg-present")])
    assert [r["changed"] for r in gone] == [True, False, True]
    assert inspect(hooked, "vg-run") is None

    # every node: gpu-plain and the refused nodes are asked too, none has a vGPU container now
    info = run_playbook(os.path.join(PB, "info.yml"), extra_vars={"info_args": {
        "registry": nodes["registry"], "registry_key": KEY}})
    listed = info.task("Vgpu container info")
    assert listed["containers"] == []
    assert sorted(n["name"] for n in listed["nodes"]) == ["empty-hami", "gpu-a", "gpu-plain", "missing-hami",
                                                          "no-hami"]
    assert all(n["error"] is None for n in listed["nodes"])

    # a node without NVIDIA's hook: Docker cannot satisfy the device request
    failed = apply([spec(nodes, "vg-plain", compute_node="gpu-plain", gpus=1, state="started")],
                   ignore_errors=True)[0]
    assert failed["failed"] is True
    assert "could not select device driver" in failed["msg"] and "NVIDIA Container Toolkit" in failed["msg"]
    assert inspect(plain, "vg-plain")["State"]["Status"] == "created"
    plain.cli("rm", "-f", "vg-plain")
