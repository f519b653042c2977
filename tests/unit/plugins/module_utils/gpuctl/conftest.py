# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the gpuctl unit tests: a fake API server with three GPU nodes, clients, the seed's specs."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.pools import PoolManager

from tests.support import fake_k8s

FIXTURES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "gpuctl"))


def load_seed(name, index=0):
    """Document ``index`` of a seed fixture, parsed and validated."""
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return validation.parse_spec(validation.load_documents(handle.read(), name)[index])


@pytest.fixture
def seed():
    return load_seed


@pytest.fixture
def server():
    srv = fake_k8s.start()
    for i in range(3):
        srv.add_node("gpu-%d" % i, gpus=8, gpu_type="a100-80g")
    yield srv
    srv.stop()


@pytest.fixture
def client(server):
    return connection.client_from_params({"host": server.url, "retries": 0})


@pytest.fixture
def dry_client(server):
    """The client a module builds in check mode: every write a server-side dry run."""
    return connection.client_from_params({"host": server.url, "retries": 0}, check_mode=True)


@pytest.fixture
def make_pool(client):
    def make(name="training-pool", nodes=("gpu-0", "gpu-1"), quota=None):
        spec = validation.parse_spec({"kind": "resource", "pool": {"name": name}, "nodes": list(nodes), "quota": quota or {}})
        return PoolManager(client).ensure(spec)
    return make
