"""AdminClient against the simulator: retries, error text, both list shapes."""
import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.client import AdminClient, GonkaApiError, server_message
from tests.support import gonka_sim


@pytest.fixture
def sim():
    s = gonka_sim.start("current")
    yield s
    s.stop()


def fault(sim, **rule):
    with sim.state.lock:
        sim.state.faults.append(dict({"method": None, "status": None, "body": None, "delay": 0, "drop": False,
                                      "times": 1}, **rule))


def client(sim, **kw):
    sleeps = []
    c = AdminClient(sim.url, sleep=sleeps.append, **kw)
    return c, sleeps


def test_retries_with_backoff_then_succeeds(sim):
    fault(sim, path="^/admin/v1/nodes$", status=503, times=2)
    c, sleeps = client(sim)
    assert c.list_nodes() == []
    assert sleeps == [0.5, 1.0] and c.request_count == 3


def test_500_is_not_retried(sim):
    fault(sim, path="^/admin/v1/nodes$", status=500, times=5, body={"error": "boom"})
    c, sleeps = client(sim)
    with pytest.raises(GonkaApiError) as err:
        c.list_nodes()
    assert err.value.status == 500 and err.value.server_message == "boom" and sleeps == []


def test_dropped_connection_retried_for_upsert_not_for_batch(sim):
    fault(sim, method="POST", path="^/admin/v1/nodes$", drop=True)
    c, dummy = client(sim)
    body = {"id": "a", "host": "h", "inference_port": 1, "poc_port": 2, "max_concurrent": 1,
            "models": {"Qwen/Qwen3-32B-FP8": {"args": []}}}
    assert c.register(body)["id"] == "a" and c.request_count == 2
    fault(sim, method="POST", path="batch", drop=True)
    with pytest.raises(GonkaApiError) as err:
        c.batch_register([dict(body, id="b", host="h2")])
    assert err.value.status is None and c.request_count == 3


def test_delete_reads_true_false(sim):
    c, dummy = client(sim)
    assert c.delete("nope") is False


def test_ids_are_quoted_in_paths(sim):
    c, dummy = client(sim)
    assert c.admin_url("nodes", "a b", "enable").endswith("/admin/v1/nodes/a%20b/enable")


def test_server_message_shapes():
    assert server_message({"error": "x"}) == "x"
    assert server_message({"error": {"error": "all nodes failed validation", "errors": ["node[0] (id: a): bad"]}}) == \
        "all nodes failed validation; node[0] (id: a): bad"
    assert server_message({"message": "Method Not Allowed"}) == "Method Not Allowed"
    assert server_message(None) is None


@pytest.mark.parametrize("release", gonka_sim.PROFILE_NAMES)
def test_server_message_of_a_bad_json_body_on_every_release(release):
    """Aug 2025 answers a bind error as {"error": {"message": ...}}; it used to become ""."""
    import json
    import urllib.error
    import urllib.request
    with gonka_sim.start(release) as s:
        req = urllib.request.Request(s.url + "/admin/v1/nodes", data=b"not json", method="POST",
                                     headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=5)
        payload = json.loads(err.value.read())
    text = server_message(payload)
    assert "Syntax error: offset=1, error=invalid character 'n' looking for beginning of value" in text
    assert isinstance(payload["error"], dict) is (release == "aug2025")


def test_delete_counts_a_node_json_answer_as_deleted(sim):
    fault(sim, method="DELETE", path="^/admin/v1/nodes/a$", status=200, body={"id": "a", "host": "h"})
    c, dummy = client(sim)
    assert c.delete("a") is True
    fault(sim, method="DELETE", path="^/admin/v1/nodes/b$", status=200, body={"node": {"id": "b"}, "state": {}})
    assert c.delete("b") is True
