# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Probing many endpoints at once (issue 14): one SSL context per certificate set even when
hundreds of probes start together, the open-file limit respected, last-failed nodes first."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import resource
import threading

from ansible_collections.gpufleet.ops.plugins.module_utils.common.workers import bounded_map
from ansible_collections.gpufleet.ops.plugins.module_utils.compute import client


def test_context_is_built_once_when_many_probes_start_together(monkeypatch):
    built = []
    gate = threading.Event()

    def slow_build(endpoint):
        built.append(endpoint)
        gate.wait(0.2)  # the first build is still running while the others ask
        return object()
    monkeypatch.setattr(client, "build_ssl_context", slow_build)
    cache = client.ContextCache()
    endpoint = client.Endpoint("tcp://127.0.0.1:2376", tls=True, ca_cert="ca")
    contexts = bounded_map(lambda dummy: cache.get(endpoint), range(32), 32)
    assert len(built) == 1 and len(set(map(id, contexts))) == 1


def test_workers_fit_the_open_file_limit(monkeypatch):
    limits = {"soft": 256, "hard": 256}
    monkeypatch.setattr(resource, "getrlimit", lambda what: (limits["soft"], limits["hard"]))

    def setrlimit(what, value):
        limits["soft"] = value[0]
    monkeypatch.setattr(resource, "setrlimit", setrlimit)
    assert client.workers_for_open_files(1000) == (256 - client.FDS_RESERVED) // client.FDS_PER_PROBE
    limits.update(soft=1024, hard=65536)
    assert client.workers_for_open_files(1000) == 1000 and limits["soft"] >= 2064
    assert client.workers_for_open_files(10) == 10


def test_probe_many_keeps_every_key(monkeypatch):
    monkeypatch.setattr(client, "probe", lambda endpoint, timeout, containers, contexts: endpoint.docker_host)
    endpoints = dict(("n%d" % i, client.Endpoint("tcp://10.0.0.%d:2376" % i)) for i in range(50))
    results = client.probe_many(endpoints, 1.0)
    assert results == dict((k, e.docker_host) for k, e in endpoints.items())


def test_last_failed_nodes_are_probed_first():
    from ansible_collections.gpufleet.ops.plugins.module_utils.compute.service import _Service

    class Module(object):
        params = {}
        check_mode = False

        def warn(self, msg):
            pass
    order = []

    def probe_many(endpoints, timeout, workers):
        order.extend(endpoints)
        return dict((k, client.ProbeResult(client.CONNECTED)) for k in endpoints)
    service = _Service(Module(), probe_many_func=probe_many)
    records = [{"name": "a", "docker_host": "tcp://10.0.0.1:2376", "docker_status": "connected"},
               {"name": "b", "docker_host": "tcp://10.0.0.2:2376", "docker_status": "failed"},
               {"name": "c", "docker_host": "tcp://10.0.0.3:2376"}]
    assert sorted(service.probe_records(records, 1.0, 8)) == ["a", "b", "c"]
    assert order == ["b", "a", "c"]


def test_probes_start_together(monkeypatch):
    started = []
    monkeypatch.setattr(client, "probe", lambda endpoint, timeout, containers, contexts: started.append(
        threading.current_thread().name) or endpoint.docker_host)
    gate_waits = []
    real_wait = client.StartTogether.wait

    def wait(self):
        gate_waits.append(self._go.is_set())
        real_wait(self)
    monkeypatch.setattr(client.StartTogether, "wait", wait)
    endpoints = dict(("n%d" % i, client.Endpoint("tcp://10.0.0.%d:2376" % i)) for i in range(40))
    assert len(client.probe_many(endpoints, 1.0, max_workers=10)) == 40
    assert len(started) == 40 and len(set(started)) == 10
    assert gate_waits[:9] == [False] * 9  # the first workers waited for the others' threads
    gate = client.StartTogether(1)
    gate.wait()  # one worker never waits
