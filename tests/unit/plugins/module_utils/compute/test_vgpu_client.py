# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The vGPU Docker client: writes refused in check mode, before any byte is sent."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import client
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.vgpu_client import VgpuDockerClient


class NoSend(object):
    sock = None
    timeout = None

    def request(self, *args, **kwargs):
        raise AssertionError("a request was sent")

    def close(self):
        pass


def make(check_mode):
    docker = VgpuDockerClient(client.Endpoint("tcp://127.0.0.1:1", tls=False), 1.0, check_mode=check_mode)
    docker.conn = NoSend()
    return docker


@pytest.mark.parametrize("call", [lambda d: d.create("x", {}), lambda d: d.start("x"), lambda d: d.stop("x"),
                                  lambda d: d.remove("x"), lambda d: d.request("PUT", "/x")])
def test_check_mode_refuses_every_write_before_sending(call):
    with pytest.raises(ComputeError) as info:
        call(make(True))
    assert "check mode" in info.value.msg


def test_reads_are_sent_in_check_mode():
    for call in (lambda d: d.inspect("x"), lambda d: d.stat_path("x", "/libvgpu/build/libvgpu.so")):
        with pytest.raises(client.DockerAPIError) as info:
            call(make(True))
        assert "a request was sent" in info.value.msg


def test_transport_failure_is_a_docker_api_error_without_status():
    docker = VgpuDockerClient(client.Endpoint("tcp://127.0.0.1:1", tls=False), 1.0)
    with pytest.raises(client.DockerAPIError) as info:
        docker.inspect("x")
    assert info.value.status is None and "connection refused" in info.value.msg
