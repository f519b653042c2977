# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import time

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import client as P
from tests.support.tls import BlackHole, FakeFleet, TLSMaterial, free_port


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return TLSMaterial(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture(scope="module")
def fleet(tls):
    fleet = FakeFleet(5, tls.dir)
    yield fleet
    fleet.close()


def ep(tls, port, **kw):
    args = dict(ca_cert=tls.pem["ca"], client_cert=tls.pem["client_cert"], client_key=tls.pem["client_key"])
    args.update(kw)
    return P.Endpoint("tcp://127.0.0.1:%d" % port, True, **args)


@pytest.mark.parametrize("value,expected", [
    ("tcp://10.0.0.5:2376", ("tcp", "10.0.0.5", 2376, None)),
    ("https://node.example:2376", ("https", "node.example", 2376, None)),
    ("unix:///var/run/docker.sock", ("unix", None, None, "/var/run/docker.sock")),
    ("tcp://[::1]:2376", ("tcp", "::1", 2376, None)),
])
def test_parse_docker_host(value, expected):
    assert P.parse_docker_host(value) == expected


@pytest.mark.parametrize("value", ["ssh://root@h", "tcp://", "tcp://h:notaport", "10.0.0.5:2376",
                                   # issue 16 item 8 / 10: a traceback, a wrapped port number
                                   "http://[::1", "tcp://[::1:2376", "tcp://127.0.0.1:99999", "tcp://h:0", "",
                                   None])
def test_parse_docker_host_rejects(value):
    with pytest.raises(P.EndpointError):
        P.parse_docker_host(value)


def test_parse_docker_host_hides_credentials():
    with pytest.raises(P.EndpointError) as exc:
        P.parse_docker_host("tcp://user:hunter2@h:99999")
    assert "hunter2" not in str(exc.value) and exc.value.field == "docker_host"


def test_loopback():
    assert P.is_loopback("tcp://127.0.0.1:2375") and P.is_loopback("tcp://localhost:1")
    assert P.is_loopback("unix:///x") and not P.is_loopback("tcp://10.0.0.1:2375")
    assert P.is_loopback("tcp://127.255.0.9:2375") and P.is_loopback("tcp://[::1]:2375")
    # issue 16 item 2: decided from the parsed address, not from a text prefix
    for host in ("127.attacker.example", "127.0.0.1.nip.io", "localhost.attacker.example", "[::2]", "0.0.0.0"):
        assert not P.is_loopback("tcp://%s:2375" % host), host


def test_api_error_carries_method_url_status_and_message():
    from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import RequestError
    err = P.DockerAPIError("GET", "https://127.0.0.1:2376/info", 500, "boom")
    assert isinstance(err, RequestError)
    assert err.describe() == "GET https://127.0.0.1:2376/info: HTTP 500: boom"


def test_probe_connected_and_engine_facts(tls, fleet):
    res = P.probe(ep(tls, fleet.ports[0]), 3)
    assert res.status == P.CONNECTED, res.error
    assert res.engine["ncpu"] == 64 and res.engine["gpu_runtimes"] == ["nvidia"]
    assert res.engine["docker_version"] == "26.1.3" and res.engine["api_version"] == "1.45"


def test_probe_ignores_env_bundles(tls, fleet, monkeypatch):
    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(var, os.path.join(tls.dir, "ca.pem"))
    res = P.probe(ep(tls, fleet.ports[0], ca_cert=tls.pem["other_ca"]), 3)
    assert res.status == P.FAILED and "wrong CA" in res.error
    # without a ca_cert the system store is used, never the env bundle
    res = P.probe(ep(tls, fleet.ports[0], ca_cert=None), 3)
    assert res.status == P.FAILED and "certificate" in res.error


def test_probe_failures(tls, fleet):
    assert P.probe(P.Endpoint(None), 1).status == P.UNKNOWN
    assert P.probe(ep(tls, free_port()), 2).error == "connection refused"
    res = P.probe(ep(tls, fleet.ports[0], client_cert=tls.pem["expired_cert"], client_key=tls.pem["expired_key"]), 3)
    assert res.status == P.FAILED and "expired" in res.error
    res = P.probe(ep(tls, fleet.ports[0], client_key=tls.pem["foreign_key"]), 3)
    assert res.status == P.FAILED and "matching PEM pair" in res.error
    res = P.probe(ep(tls, fleet.ports[0], ca_cert="-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\n"), 3)
    assert res.status == P.FAILED and "ca_cert" in res.error


def test_probe_many_black_holes_bounded(tls, fleet):
    holes = [BlackHole() for dummy in range(3)]
    try:
        eps = dict(("ok%d" % i, ep(tls, port)) for i, port in enumerate(fleet.ports))
        eps.update(("hole%d" % i, ep(tls, h.port)) for i, h in enumerate(holes))
        start = time.time()
        results = P.probe_many(eps, timeout=1.0, max_workers=16)
        elapsed = time.time() - start
    finally:
        for h in holes:
            h.close()
    assert elapsed < 3.0
    assert all(results["ok%d" % i].status == P.CONNECTED for i in range(5))
    assert all(results["hole%d" % i].error.startswith("timeout") for i in range(3))


def test_running_containers(tls, fleet):
    assert P.running_containers(ep(tls, fleet.ports[1]), 3) == ([], None)
    names, error = P.running_containers(ep(tls, free_port()), 1)
    assert names is None and error == "connection refused"
