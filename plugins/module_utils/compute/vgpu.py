# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vGPU services: ``VgpuContainerService(module).run()`` and ``VgpuContainerInfoService``.

Order of a ``vgpu_container`` run: validate the options (nothing opened), read the
node record (registry read-only: these modules never write it), refuse what the
node cannot give, inspect the container, plan, and only then write to the engine.
Before a container is (re)created the node's ``hami_core_dir`` is checked for
``libvgpu.so`` through Docker: a container with the same mounts is created, never
started, its paths are stat'ed through the archive API, and it is removed.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import os

from ansible_collections.gpufleet.ops.plugins.module_utils.common.diff import Diff
from ansible_collections.gpufleet.ops.plugins.module_utils.common.workers import bounded_map
from ansible_collections.gpufleet.ops.plugins.module_utils.compute import client, validation
from ansible_collections.gpufleet.ops.plugins.module_utils.compute import vgpu_planner as planner
from ansible_collections.gpufleet.ops.plugins.module_utils.compute import vgpu_validation
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.connection import open_registry_from_params
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.service import _Service
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.vgpu_client import VgpuDockerClient

GO_MODE_DIR = 1 << 31  # os.ModeDir in the engine's path stat
NO_GPU_DRIVER = "could not select device driver"


class _VgpuService(_Service):
    """Opening a node's engine from its record."""

    client_class = VgpuDockerClient

    def engine(self, record, timeout):
        endpoint, reason = self.endpoint_for(record)
        if endpoint is None:
            raise ComputeError("node %r cannot be reached: %s" % (record["name"], reason), field="compute_node",
                               node=record["name"])
        return self.client_class(endpoint, timeout, check_mode=self.check_mode)


class VgpuContainerService(_VgpuService):
    """``vgpu_container``: one container with a vGPU slice on one registered node."""

    def run(self):
        spec = vgpu_validation.validate_params(self.params)
        timeout = validation.check_timeout(self.params.get("timeout", 5.0))
        with open_registry_from_params(self.params, check_mode=True) as conn:
            self.box = conn.box
            record = conn.registry.get(spec.node)
        if record is None:
            raise ComputeError("no compute node named %r in the registry" % spec.node, field="compute_node")
        vgpu_validation.check_against_node(spec, record, self.warn)
        docker = self.engine(record, timeout)
        try:
            result = self.converge(docker, spec, record)
        finally:
            docker.close()
        if not getattr(self.module, "_diff", False):
            result.pop("diff", None)
        return result

    def converge(self, docker, spec, record):
        current = docker.inspect(spec.name)
        if current is not None and not planner.is_managed(current):
            raise ComputeError("a container named %r exists on node %r and was not created by vgpu_container; "
                               "choose another name or remove it" % (spec.name, record["name"]), field="name",
                               node=record["name"])
        before = planner.view(current)
        diff, actions = Diff(), []
        if spec.state == "absent":
            if current is not None:
                actions.append("removed")
                if not self.check_mode:
                    docker.remove(current["Id"])
            diff.add(spec.name, planner.diff_view(before), None)
            return self.result(actions, None, diff)
        if spec.defines_container:
            body = planner.container_body(spec, record)
            if current is None or planner.current_hash(current) != body["Labels"][planner.LABEL_HASH]:
                self.check_library(docker, spec, record, current)
                actions.append("recreated" if current is not None else "created")
                if not self.check_mode:
                    if current is not None:
                        docker.remove(current["Id"])
                    current = {"Id": docker.create(spec.name, body), "State": {"Running": False}}
                else:
                    current = None
                    after = planner.planned_view(spec, record, body)
        elif current is None:
            raise ComputeError("no container named %r on node %r: give image (and the vGPU size) to create it"
                               % (spec.name, record["name"]), field="image", node=record["name"])
        running = bool(((current or {}).get("State") or {}).get("Running"))
        if spec.state == "started" and not running:
            actions.append("started")
            if current is not None and not self.check_mode:
                self.start(docker, current["Id"], record)
        elif spec.state == "stopped" and running:
            actions.append("stopped")
            if not self.check_mode:
                docker.stop(current["Id"])
        if current is not None:
            after = planner.view(docker.inspect(current["Id"]) if not self.check_mode or not actions else current)
            if self.check_mode and after is not None and ("started" in actions or "stopped" in actions):
                after = dict(after, running="started" in actions)
        elif self.check_mode:
            after["running"] = spec.state == "started"
        diff.add(spec.name, planner.diff_view(before), planner.diff_view(after))
        return self.result(actions, after, diff)

    @staticmethod
    def result(actions, container, diff):
        return {"changed": bool(actions), "actions": actions, "container": container,
                "diff": dict(diff.result(), before_header="vgpu container", after_header="vgpu container")}

    def start(self, docker, ident, record):
        try:
            docker.start(ident)
        except client.DockerAPIError as exc:
            if exc.server_message and NO_GPU_DRIVER in exc.server_message:
                raise client.DockerAPIError(exc.method, exc.url, exc.status, "%s (the engine of node %r has no "
                                            "NVIDIA device driver: install the NVIDIA Container Toolkit there; "
                                            "the container was created and stays stopped)"
                                            % (exc.server_message, record["name"]))
            raise

    def check_library(self, docker, spec, record, current):
        """Refuse a node whose hami_core_dir holds no libvgpu.so (or that lacks /tmp/vgpulock)."""
        node, directory = record["name"], record["hami_core_dir"]
        if self.check_mode:
            # A check container is a write: in check mode only an existing container can be looked into.
            if current is not None and any(m.get("Source") == directory for m in current.get("Mounts") or []):
                self.require_library(docker, current["Id"], node, directory)
            else:
                self.warn("check mode: %s on node %r is not checked for libvgpu.so (that needs a short-lived "
                          "container)" % (directory, node))
            return
        try:
            # A name of its own per run: concurrent runs, or a run that died, never collide.
            name = "gpufleet-vgpu-check-%s-%s" % (spec.name, binascii.hexlify(os.urandom(4)).decode("ascii"))
            ident = docker.create(name, planner.check_body(spec, record))
        except client.DockerAPIError as exc:
            message = exc.server_message or ""
            if "bind source path does not exist" in message:
                missing = message.rsplit(":", 1)[-1].strip()
                if missing == planner.LOCK_DIR:
                    raise ComputeError("node %r has no %s: run the gpufleet.ops.hami_core role there (it creates "
                                       "it with mode 0777)" % (node, planner.LOCK_DIR), field="compute_node",
                                       node=node)
                raise ComputeError("%s does not exist on node %r" % (directory, node),
                                   field="compute_node.hami_core_dir", node=node)
            if exc.status == 404 and "image" in message.lower():
                field = "check_image" if self.params.get("check_image") else "image"
                raise ComputeError("image %r is not on node %r (%s); pull it there first: this module does not "
                                   "pull images" % (spec.check_image, node, message), field=field, node=node)
            raise
        try:
            self.require_library(docker, ident, node, directory)
            lock = docker.stat_path(ident, planner.LOCK_DIR)
            if lock and lock.get("mode") is not None and lock["mode"] & 0o777 != 0o777:
                self.warn("node %r: %s has mode %o, not 0777: processes of other users cannot take HAMi-core's "
                          "lock" % (node, planner.LOCK_DIR, lock["mode"] & 0o777))
        finally:
            docker.remove(ident)

    @staticmethod
    def require_library(docker, ident, node, directory):
        stat = docker.stat_path(ident, planner.LIB_PATH)
        if stat is None:
            raise ComputeError("%s on node %r holds no libvgpu.so: run the gpufleet.ops.hami_core role there"
                               % (directory, node), field="compute_node.hami_core_dir", node=node)
        if stat.get("mode", 0) & GO_MODE_DIR:
            raise ComputeError("%s/libvgpu.so on node %r is a directory" % (directory, node),
                               field="compute_node.hami_core_dir", node=node)


class VgpuContainerInfoService(_VgpuService):
    """``vgpu_container_info``: the vGPU containers of one node or of every node. Never writes."""

    def run(self):
        timeout = validation.check_timeout(self.params.get("timeout", 5.0))
        max_workers = validation.check_max_workers(self.params.get("max_workers", 16))
        wanted = self.params.get("compute_node")
        with open_registry_from_params(self.params, check_mode=True) as conn:
            self.box = conn.box
            records = conn.registry.list()
        if wanted:
            records = [r for r in records if r["name"] == wanted]
            if not records:
                raise ComputeError("no compute node named %r in the registry" % wanted, field="compute_node")
        else:
            records = [r for r in records if r.get("docker_host")]
        self.check_mode = True  # reads only, whatever the run
        listed = bounded_map(lambda record: self.node_listing(record, timeout), records, max_workers)
        containers, nodes = [], []
        for node, found in listed:
            nodes.append(node)
            containers.extend(found)
        names = self.params.get("name") or []
        if names:
            containers = [c for c in containers if c["name"] in names]
        return {"changed": False, "containers": containers, "nodes": nodes}

    def node_listing(self, record, timeout):
        node = {"name": record["name"], "hami_core_dir": record.get("hami_core_dir"),
                "hami_core_commit": record.get("hami_core_commit"), "gpu_count": record.get("gpu_count"),
                "gpu_memory_gb": record.get("gpu_memory_gb"), "error": None, "containers": 0}
        try:
            docker = self.engine(record, timeout)
        except ComputeError as exc:
            node["error"] = exc.msg
            return node, []
        found = []
        try:
            for item in docker.list_containers("%s=true" % planner.LABEL_MANAGED):
                view = planner.view(docker.inspect(item["Id"]))
                if view is not None:
                    view["node"] = record["name"]
                    found.append(view)
        except (client.DockerAPIError, ComputeError) as exc:
            node["error"] = exc.msg
        finally:
            docker.close()
        found.sort(key=lambda c: c["name"])
        node["containers"] = len(found)
        return node, found
