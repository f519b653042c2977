"""Issue 16 for the Gonka client and reconciler: TLS trust from the options only, a server
known down fails the rest at once, bad connection values refused before any request."""
import ssl
import time

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import ValidationError
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.client import GonkaApiError
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.connection import client_from_params
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.planner import plan
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.service import Reconciler
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.validation import NodeSpecError, parse_nodes
from tests.support import gonka_sim
from tests.support.tls import TLSMaterial

Q = "Qwen/Qwen3-32B-FP8"


@pytest.fixture
def https_sim(tmp_path):
    tls = TLSMaterial(str(tmp_path / "tls"))
    sim = gonka_sim.Simulator("v0.2.14")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls.path["server_cert"], tls.path["server_key"])
    sim.server.socket = ctx.wrap_socket(sim.server.socket, server_side=True)
    sim.url = "https://127.0.0.1:%d" % sim.port
    sim.start()
    yield sim, tls
    sim.stop()


def test_ssl_cert_file_from_the_environment_is_not_trusted(https_sim, monkeypatch):
    """Item 11: only ca_path decides; SSL_CERT_FILE must not make the module trust a server."""
    sim, tls = https_sim
    monkeypatch.setenv("SSL_CERT_FILE", tls.path["ca"])
    client = client_from_params({"admin_url": sim.url, "retries": 0})
    with pytest.raises(GonkaApiError) as err:
        client.list_nodes()
    assert "CERTIFICATE_VERIFY_FAILED" in str(err.value) or "certificate verify failed" in str(err.value)
    trusted = client_from_params({"admin_url": sim.url, "retries": 0, "ca_path": tls.path["ca"]})
    assert trusted.list_nodes() == []


def test_broken_ca_pem_is_refused_before_any_request(tmp_path):
    bad = tmp_path / "ca.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    with pytest.raises(ValidationError) as err:
        client_from_params({"admin_url": "https://127.0.0.1:9", "ca_path": str(bad)})
    assert err.value.errors[0][0] == "ca_path" and "not a readable PEM CA bundle" in str(err.value)


def test_max_concurrent_beyond_range_is_refused():
    with pytest.raises(NodeSpecError, match=r"max_concurrent must be between 1 and 100000, got 100000000000000000000"):
        parse_nodes([{"id": "a", "host": "h", "models": [Q], "max_concurrent": 10 ** 20}])


def test_server_known_down_fails_the_rest_at_once():
    """Item 7: after connection refused (with retries), the other nodes fail without retrying each."""
    sim = gonka_sim.start("v0.2.14")
    bodies = [{"id": "n%02d" % i, "host": "10.0.%d.1" % i, "models": [Q]} for i in range(40)]
    client = client_from_params({"admin_url": sim.url, "retries": 2})
    client.sleep = lambda seconds: None
    desired = parse_nodes(bodies)
    for want in desired:
        assert sim.state.upsert(want.body)[0] == 200
    current = client.list_nodes()
    sim.stop()
    changed = parse_nodes([dict(b, max_concurrent=7) for b in bodies])
    plans = plan(changed, current)
    before = client.request_count
    started = time.monotonic()
    Reconciler(client, parallel=4).apply(plans)
    assert time.monotonic() - started < 5
    assert all(p.error for p in plans)
    assert all(p.error.startswith("nodes[%d] (id: %s): " % (i, p.id)) for i, p in enumerate(plans))
    sent = client.request_count - before
    assert sent <= 4 * 3, sent                      # at most the in-flight ones retried
    assert sum("the Admin API is down" in p.error for p in plans) >= 40 - 4


def test_down_is_per_server():
    """A governance API that refuses connections does not mark the Admin API down."""
    sim = gonka_sim.start("v0.2.14")
    try:
        client = client_from_params({"admin_url": sim.url, "retries": 0})
        with pytest.raises(GonkaApiError):
            client.get_json("http://127.0.0.1:9/v1/governance/models")
        assert client.list_nodes() == []
    finally:
        sim.stop()
