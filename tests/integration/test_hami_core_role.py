# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hami_core role's build path through real ansible-playbook, git, cmake and gcc (no GPU, no CUDA).

A small CMake project stands in for HAMi-core in a local git repository: target ``vgpu`` builds
``libvgpu.so`` from the hooked symbol names and, like upstream's CMakeLists at 8f3a89c, compiles
with ``-fvisibility=hidden`` unless the build type is Debug (only ``dlsym`` stays exported).
A script named nvcc stands in for the CUDA toolkit. The real HAMi-core build needs CUDA and NVML
headers and libraries; tests/gpu/hami_check.sh does it on a GPU machine.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shutil
import subprocess

import pytest

from tests.support.ansible_run import run_playbook
from tests.support.dockerd import need

HERE = os.path.dirname(os.path.abspath(__file__))
PB = os.path.join(HERE, "playbooks", "vgpu", "hami_core_role.yml")
NODE_PB = os.path.join(HERE, "playbooks", "compute", "single.yml")
SYMBOLS = ["cuInit", "cuGetProcAddress", "cuGetProcAddress_v2", "cuMemAlloc_v2", "cuMemFree_v2", "cuMemGetInfo_v2",
           "cuLaunchKernel", "cuDeviceTotalMem_v2", "nvmlInit_v2", "nvmlDeviceGetMemoryInfo",
           "nvmlDeviceGetMemoryInfo_v2"]
CMAKE = """cmake_minimum_required(VERSION 3.10)
project(libvgpu C)
execute_process(COMMAND sleep 2)
if (CMAKE_BUILD_TYPE STREQUAL Debug)
    set(FLAGS -fPIC -g)
else()
    set(FLAGS -fPIC -fvisibility=hidden)
endif()
add_library(vgpu SHARED hooks.c)
target_compile_options(vgpu PUBLIC ${FLAGS})
set_target_properties(vgpu PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
"""


def git(cwd, *args):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"] + list(args), cwd=cwd,
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def upstream(tmp_path_factory):
    for tool in ("git", "cmake", "make", "gcc", "nm"):
        need(shutil.which(tool) is not None, "%s is not installed" % tool)
    root = tmp_path_factory.mktemp("hami-role")
    repo = root / "HAMi-core.git"
    repo.mkdir()
    git(str(repo), "init", "-q")
    (repo / "CMakeLists.txt").write_text(CMAKE)
    hooks = "__attribute__((visibility(\"default\"))) int dlsym(void) { return 0; }\n" + "".join(
        "int %s(void) { return 0; }\n" % name for name in SYMBOLS)
    (repo / "hooks.c").write_text(hooks)
    git(str(repo), "add", ".")
    git(str(repo), "commit", "-q", "-m", "stand-in")
    commit = git(str(repo), "rev-parse", "HEAD")
    (repo / "hooks.c").write_text(hooks + "int broken(void) { return undeclared_name; }\n")
    git(str(repo), "commit", "-q", "-am", "does not compile")
    broken = git(str(repo), "rev-parse", "HEAD")
    cuda = root / "cuda" / "bin"
    cuda.mkdir(parents=True)
    (cuda / "nvcc").write_text("#!/bin/sh\necho 'stand-in nvcc'\n")
    (cuda / "nvcc").chmod(0o755)
    driver = root / "version"
    driver.write_text("NVRM version: NVIDIA UNIX x86_64 Kernel Module  570.86.15 (stand-in)\n")
    return {"root": root, "broken": broken, "vars": {
        "hami_core_repo": str(repo), "hami_core_commit": commit, "hami_core_src_dir": str(root / "src"),
        "hami_core_dir": str(root / "HAMi-core" / "build"), "hami_core_cuda_home": str(root / "cuda"),
        "hami_core_driver_version_file": str(driver), "hami_core_lock_dir": str(root / "vgpulock")}}


def apply(role_vars):
    return run_playbook(PB, extra_vars={"role_vars": role_vars})


def task_results(res, name):
    """Results of a role task (shown as ``<role> : <name>``)."""
    found = []
    for play in res.data.get("plays", []):
        for task in play.get("tasks", []):
            if task["task"]["name"] == name or task["task"]["name"].endswith(" : " + name):
                found.append(task["hosts"]["localhost"])
    return found


def test_build_install_idempotent_and_release_refused(upstream):
    role_vars = upstream["vars"]
    first = apply(role_vars)
    assert first.rc == 0, first.stdout[-4000:]
    waited = task_results(first, "Wait for the build (each retry is one poll; the log is on the host)")[0]
    assert waited["finished"] and waited["rc"] == 0 and waited["attempts"] >= 2  # polled while it ran
    shown = task_results(first, "Say where the build log is")[0]["msg"]
    assert "tail -f %s/gpufleet-build.log" % role_vars["hami_core_src_dir"] in shown
    with open(os.path.join(role_vars["hami_core_src_dir"], "gpufleet-build.log")) as handle:
        log = handle.read()
    assert "gpufleet: build finished" in log and "CMAKE_BUILD_TYPE" not in log
    lib = os.path.join(role_vars["hami_core_dir"], "libvgpu.so")
    assert os.stat(lib).st_mode & 0o777 == 0o755
    assert oct(os.stat(role_vars["hami_core_lock_dir"]).st_mode & 0o777) == oct(0o777)
    with open(os.path.join(role_vars["hami_core_dir"], ".gpufleet-hami-core.json")) as handle:
        marker = json.load(handle)
    assert marker["commit"] == role_vars["hami_core_commit"] and marker["build_type"] == "Debug"
    assert first.stats["localhost"]["changed"] > 0

    again = apply(role_vars)
    assert again.rc == 0, again.stdout[-4000:]
    assert again.stats["localhost"]["changed"] == 0
    assert task_results(again, "Build HAMi-core from source")[0].get("skipped") is True

    release = apply(dict(role_vars, hami_core_build_type="Release", hami_core_dir=str(upstream["root"] / "rel")))
    assert release.rc != 0
    assert "does not export cuInit, cuGetProcAddress" in release.stdout
    assert "only dlsym" in release.stdout


def test_missing_cmake_and_cuda_are_named(upstream):
    res = run_playbook(PB, extra_vars={"role_vars": dict(upstream["vars"], hami_core_cuda_home="/nonexistent/cuda",
                                                         hami_core_dir=str(upstream["root"] / "nocuda"))})
    assert res.rc != 0
    assert "missing nvcc" in res.stdout and "The CUDA toolkit is not at /nonexistent/cuda" in res.stdout


def test_failed_build_shows_the_end_of_its_log(upstream):
    res = apply(dict(upstream["vars"], hami_core_commit=upstream["broken"],
                     hami_core_src_dir=str(upstream["root"] / "src2"), hami_core_dir=str(upstream["root"] / "broken")))
    assert res.rc != 0
    assert "the HAMi-core build failed (rc 2)" in res.stdout and "undeclared_name" in res.stdout
    assert not os.path.exists(str(upstream["root"] / "broken" / "libvgpu.so"))


def test_records_dir_and_commit_on_the_compute_node(upstream):
    registry = str(upstream["root"] / "registry.db")
    made = run_playbook(NODE_PB, extra_vars={"node_args": {"name": "gpu-role", "registry": registry}})
    assert made.rc == 0, made.stdout[-3000:]
    role_vars = dict(upstream["vars"], hami_core_record=True, hami_core_registry=registry)
    res = apply(role_vars)
    assert res.rc == 0, res.stdout[-4000:]
    conn = __import__("sqlite3").connect(registry)
    data = json.loads(conn.execute("SELECT data FROM nodes WHERE name='gpu-role'").fetchone()[0])
    conn.close()
    assert data["hami_core_dir"] == role_vars["hami_core_dir"]
    assert data["hami_core_commit"] == role_vars["hami_core_commit"]
    again = apply(role_vars)
    assert again.rc == 0 and again.stats["localhost"]["changed"] == 0
