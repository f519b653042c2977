"""Tests for tests/support/gonka_sim.py, the Gonka Admin API simulator."""
from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from tests.support import gonka_sim


QWEN = "Qwen/Qwen3-32B-FP8"
KIMI = "moonshotai/Kimi-K2.6"
BAD = "not/approved-model"


def node(nid="node1", host="10.0.0.21", ip=5050, pp=8080, models=None, **extra):
    body = {"id": nid, "host": host, "inference_port": ip, "poc_port": pp,
            "max_concurrent": 500,
            "models": models if models is not None else {QWEN: {"args": []}}}
    body.update(extra)
    return body


class Client:
    def __init__(self, url):
        self.url = url

    def call(self, method, path, body=None, raw=None, timeout=5):
        data = raw.encode() if raw is not None else (
            json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def nodes(self):
        status, out = self.call("GET", "/admin/v1/nodes")
        assert status == 200
        return out

    def state(self):
        return self.call("GET", "/_sim/state")[1]


@pytest.fixture(scope="module")
def server():
    with gonka_sim.start() as sim:
        yield sim


@pytest.fixture(params=["old", "current"])
def api(request, server):
    server.reset(request.param)
    c = Client(server.url)
    c.release = request.param
    return c


@pytest.fixture
def cur(server):
    server.reset("current")
    return Client(server.url)


@pytest.fixture
def old(server):
    server.reset("old")
    return Client(server.url)


# -- listing and registration ----------------------------------------------------

def test_list_is_wrapped_in_registration_order(api):
    assert api.nodes() == []
    for nid, host in (("b", "h1"), ("a", "h2")):
        assert api.call("POST", "/admin/v1/nodes", node(nid, host))[0] == 200
    items = api.nodes()
    assert [i["node"]["id"] for i in items] == ["b", "a"]
    assert [i["node"]["node_num"] for i in items] == [1, 2]
    n, st = items[0]["node"], items[0]["state"]
    assert n["inference_segment"] == "" and n["poc_segment"] == ""
    assert n["hardware"] == [] and n["version"] == ""
    assert n["models"] == {QWEN: {"args": []}}
    assert st["intended_status"] == "INFERENCE" and st["current_status"] == "UNKNOWN"
    assert st["poc_intended_status"] == st["poc_current_status"] == "IDLE"
    assert st["admin_state"] == {"enabled": True, "epoch": 0}
    assert st["lock_count"] == 0 and st["failure_reason"] == ""
    assert st["epoch_models"] == {} and st["epoch_ml_nodes"] == {}
    assert st["status_timestamp"].endswith("Z")
    extra = {"ml_node_version", "preserved_models", "deployment_update_pending"}
    assert extra <= set(st) if api.release == "current" else not extra & set(st)


def test_post_returns_node(api):
    status, out = api.call("POST", "/admin/v1/nodes",
                           node(hardware=[{"type": "H100", "count": 8}]))
    assert status == 200
    assert out["id"] == "node1" and out["node_num"] == 1
    assert out["hardware"] == [{"type": "H100", "count": 8}]


@pytest.mark.parametrize("field,value", [
    ("id", ""), ("host", ""), ("inference_port", 0), ("poc_port", 70000),
    ("max_concurrent", 0), ("models", {}), ("inference_port", "5050"),
    ("models", {QWEN: {"args": [4]}}),
])
def test_validation(api, field, value):
    status, out = api.call("POST", "/admin/v1/nodes", node(**{field: value}))
    assert status == 400
    assert field in out["error"]
    if api.release == "current":
        assert out["error"].startswith("failed to create node: validation failed: ")
    assert api.nodes() == []


def test_wrong_type_and_non_json_bodies(api):
    status, out = api.call("POST", "/admin/v1/nodes", node(max_concurrent="x"))
    assert status == 400
    if api.release == "old":
        assert out["error"].startswith("json: cannot unmarshal string into Go struct field")
    status, out = api.call("POST", "/admin/v1/nodes", raw="not json")
    assert status == 400 and "invalid character" in out["error"]


def test_create_with_unapproved_model(api):
    status, out = api.call("POST", "/admin/v1/nodes",
                           node(models={QWEN: {"args": []}, BAD: {"args": []}}))
    if api.release == "old":
        assert (status, out) == (500, {"error": "error creating new node"})
        assert api.nodes() == []
    else:
        assert status == 200 and list(out["models"]) == [QWEN]
        assert list(api.nodes()[0]["node"]["models"]) == [QWEN]


def test_current_create_no_valid_models_and_port_clash(cur):
    status, out = cur.call("POST", "/admin/v1/nodes", node(models={BAD: {"args": []}}))
    assert (status, out) == (400, {"error": "failed to create node: node node1 has no "
                                            "governance-valid models"})
    assert cur.call("POST", "/admin/v1/nodes", node("a"))[0] == 200
    status, out = cur.call("POST", "/admin/v1/nodes", node("b", pp=9999))
    assert status == 400
    assert out["error"].startswith("failed to create node: validation failed: host:port")
    assert out["error"].endswith("already used by node a")
    assert cur.call("POST", "/admin/v1/nodes", node("c", host="10.0.0.99"))[0] == 200


def test_approved_models_settable(api):
    assert api.call("PUT", "/_sim/approved_models", [BAD])[0] == 200
    assert api.state()["approved_models"] == [BAD]
    dummy, gov = api.call("GET", "/v1/governance/models")
    assert [m["id"] for m in gov["models"]] == [BAD]
    status, dummy = api.call("POST", "/admin/v1/nodes", node(models={BAD: {"args": []}}))
    assert status == 200


def test_governance_and_participants(api):
    status, gov = api.call("GET", "/v1/governance/models")
    assert status == 200
    assert {m["id"] for m in gov["models"]} == set(gonka_sim.DEFAULT_APPROVED_MODELS)
    m = gov["models"][0]
    assert m["units_of_compute_per_token"] == "100" and m["hf_repo"] == m["id"]
    assert len(m["hf_commit"]) == 40 and int(m["hf_commit"], 16) >= 0
    parts = [{"index": "gonka1abc", "inference_url": "http://x:8000", "weight": 7,
              "models": [QWEN]}]
    assert api.call("PUT", "/_sim/participants", parts)[0] == 200
    status, out = api.call("GET", "/v1/epochs/current/participants")
    assert status == 200
    assert out["active_participants"]["participants"] == parts
    assert out["active_participants"]["epoch_group_id"] == 42
    assert "block" in out


# -- upsert ------------------------------------------------------------------------

def test_upsert_existing_id(api):
    api.call("POST", "/admin/v1/nodes", node(hardware=[{"type": "H100", "count": 8}]))
    assert api.call("POST", "/admin/v1/nodes/node1/disable")[0] == 200
    status, out = api.call("POST", "/admin/v1/nodes", node(max_concurrent=800))
    assert status == 200 and out["max_concurrent"] == 800 and out["node_num"] == 1
    [item] = api.nodes()
    assert item["node"]["max_concurrent"] == 800
    assert item["node"]["hardware"] == []
    # old: state reset (enabled again); current: state kept (still disabled)
    assert item["state"]["admin_state"]["enabled"] is (api.release == "old")


def test_update_with_unapproved_model_changes_nothing(api):
    api.call("POST", "/admin/v1/nodes", node())
    api.call("POST", "/admin/v1/nodes/node1/disable")
    status, out = api.call("POST", "/admin/v1/nodes",
                           node(max_concurrent=9, models={QWEN: {"args": []}, BAD: {"args": []}}))
    assert status == 500
    if api.release == "current":
        assert out["error"].startswith("failed to update node: ")
    [item] = api.nodes()
    assert item["node"]["max_concurrent"] == 500
    assert item["state"]["admin_state"]["enabled"] is False


def test_current_update_invalid_is_500(cur):
    cur.call("POST", "/admin/v1/nodes", node())
    status, out = cur.call("POST", "/admin/v1/nodes", node(max_concurrent=0))
    assert status == 500
    assert out["error"].startswith("failed to update node: validation failed: max_concurrent")


def test_put_node(api):
    api.call("POST", "/admin/v1/nodes", node())
    status, out = api.call("PUT", "/admin/v1/nodes/other-id", node(max_concurrent=42))
    if api.release == "old":
        assert (status, out) == (405, {"message": "Method Not Allowed"})
        assert api.nodes()[0]["node"]["max_concurrent"] == 500
    else:
        assert status == 200 and out["id"] == "node1"
        assert [i["node"]["id"] for i in api.nodes()] == ["node1"]
        assert api.nodes()[0]["node"]["max_concurrent"] == 42


# -- batch ---------------------------------------------------------------------------

def test_batch_all_ok(api):
    status, out = api.call("POST", "/admin/v1/nodes/batch",
                           [node("a", "h1"), node("b", "h2")])
    assert status == 201 and [n["id"] for n in out] == ["a", "b"]
    assert api.call("POST", "/admin/v1/nodes/batch", [])[1] is None


def test_batch_failures(api):
    items = [node("a", "h1"), node("b", "h2", models={BAD: {"args": []}}),
             node("c", "h3", max_concurrent=0)]
    status, out = api.call("POST", "/admin/v1/nodes/batch", items)
    if api.release == "old":
        assert status == 201 and [n["id"] for n in out] == ["a"]
        status, out = api.call("POST", "/admin/v1/nodes/batch", items[1:])
        assert (status, out) == (201, None)
    else:
        assert status == 206
        assert [n["id"] for n in out["nodes"]] == ["a"]
        assert len(out["errors"]) == 2
        assert out["errors"][0].startswith("node[1] (id: b): code=400, message=")
        assert "no governance-valid models" in out["errors"][0]
        assert out["errors"][1].startswith("node[2] (id: c): code=400, message=")
        status, out = api.call("POST", "/admin/v1/nodes/batch", items[1:])
        assert status == 400
        assert out["error"]["error"] == "all nodes failed validation"
        assert len(out["error"]["errors"]) == 2
    assert [i["node"]["id"] for i in api.nodes()] == ["a"]


def test_batch_existing_ids(api):
    api.call("POST", "/admin/v1/nodes", node("a", "h1"))
    api.call("POST", "/admin/v1/nodes/a/disable")
    # same host and ports
    status, out = api.call("POST", "/admin/v1/nodes/batch", [node("a", "h1")])
    if api.release == "old":
        assert status == 201 and api.nodes()[0]["state"]["admin_state"]["enabled"]
    else:
        assert status == 400
        assert "host:port h1:5050 already used by node a" in out["error"]["errors"][0]
        assert api.nodes()[0]["state"]["admin_state"]["enabled"] is False
        assert api.state()["duplicates"] == {}
    # different host: re-registered with fresh state, counted as duplicate (current)
    api.call("POST", "/admin/v1/nodes/a/disable")
    status, out = api.call("POST", "/admin/v1/nodes/batch", [node("a", "h9")])
    assert status == 201 and out[0]["host"] == "h9"
    [item] = api.nodes()
    assert item["node"]["host"] == "h9" and item["state"]["admin_state"]["enabled"]
    assert api.state()["duplicates"] == ({} if api.release == "old" else {"a": 1})


def test_batch_not_a_list(api):
    status, out = api.call("POST", "/admin/v1/nodes/batch", node())
    assert status == 400 and "cannot unmarshal object" in out["error"]


def test_large_batch_is_fast(api):
    items = [node("n%d" % i, "10.1.%d.%d" % (i // 250, i % 250)) for i in range(500)]
    t0 = time.monotonic()
    status, out = api.call("POST", "/admin/v1/nodes/batch", items)
    assert status == 201 and len(out) == 500
    assert len(api.nodes()) == 500
    for dummy in range(100):
        api.call("GET", "/v1/governance/models")
    assert time.monotonic() - t0 < 5


# -- delete, enable, disable -----------------------------------------------------

def test_delete(api):
    api.call("POST", "/admin/v1/nodes", node())
    assert api.call("DELETE", "/admin/v1/nodes/node1") == (200, True)
    assert api.call("DELETE", "/admin/v1/nodes/node1") == (200, False)
    assert api.nodes() == []


def test_enable_disable(api):
    api.call("POST", "/admin/v1/nodes", node())
    assert api.call("POST", "/admin/v1/nodes/node1/disable") == (
        200, {"message": "node disabled successfully", "node_id": "node1"})
    assert api.nodes()[0]["state"]["admin_state"]["enabled"] is False
    assert api.call("POST", "/admin/v1/nodes/node1/enable") == (
        200, {"message": "node enabled successfully", "node_id": "node1"})
    assert api.nodes()[0]["state"]["admin_state"]["enabled"] is True
    for action in ("enable", "disable"):
        assert api.call("POST", "/admin/v1/nodes/ghost/" + action) == (
            404, {"error": "node not found: ghost"})


def test_unknown_path_and_method(api):
    status, out = api.call("GET", "/admin/v1/nope")
    assert status == 404 and isinstance(out, dict)
    assert api.call("DELETE", "/admin/v1/nodes")[0] == 405
    assert api.call("GET", "/admin/v1/nodes/node1/enable")[0] == 405
    assert api.call("GET", "/_sim/nope")[0] == 404


# -- control API: seeds, log, faults, reset -----------------------------------------

def test_seed_nodes(api):
    seeds = [{"node": node("s1"), "state": {"admin_state": {"enabled": False}}},
             node("s2", "h2")]
    status, out = api.call("PUT", "/_sim/nodes", seeds)
    assert status == 200
    items = api.nodes()
    assert [i["node"]["id"] for i in items] == ["s1", "s2"]
    assert items[0]["state"]["admin_state"] == {"enabled": False, "epoch": 0}
    assert items[1]["node"]["node_num"] == 2
    assert api.call("POST", "/admin/v1/nodes", node("s3", "h3"))[1]["node_num"] == 3


def test_request_log(api):
    api.call("POST", "/admin/v1/nodes", node())
    api.call("POST", "/admin/v1/nodes", raw="garbage")
    api.call("GET", "/admin/v1/nodes?x=1")
    api.call("GET", "/_sim/state")
    log = api.call("GET", "/_sim/requests")[1]
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("POST", "/admin/v1/nodes", 200), ("POST", "/admin/v1/nodes", 400),
        ("GET", "/admin/v1/nodes", 200)]
    assert log[0]["body"]["id"] == "node1"
    assert log[1]["body"] == "garbage" and log[2]["body"] is None
    assert api.call("DELETE", "/_sim/requests")[0] == 200
    assert api.call("GET", "/_sim/requests")[1] == []


def test_fault_status(api):
    api.call("POST", "/_sim/faults", {"method": "POST", "path": "^/admin/v1/nodes$",
                                      "times": 2, "status": 503, "body": {"error": "busy"}})
    assert api.call("GET", "/admin/v1/nodes")[0] == 200  # method does not match
    for dummy in range(2):
        assert api.call("POST", "/admin/v1/nodes", node()) == (503, {"error": "busy"})
    assert api.nodes() == []
    assert api.call("POST", "/admin/v1/nodes", node())[0] == 200
    log = api.call("GET", "/_sim/requests")[1]
    assert [r["status"] for r in log if r["method"] == "POST"] == [503, 503, 200]


def test_fault_drop(api):
    api.call("POST", "/_sim/faults", {"path": "/admin/v1/nodes", "drop": True})
    with pytest.raises((http.client.RemoteDisconnected, urllib.error.URLError,
                        ConnectionError)):
        api.call("POST", "/admin/v1/nodes", node())
    assert api.nodes() == []
    log = api.call("GET", "/_sim/requests")[1]
    assert log[0]["status"] == "dropped"


def test_fault_delay_and_clear(api):
    api.call("POST", "/_sim/faults", {"path": "nodes", "delay": 0.3})
    t0 = time.monotonic()
    assert api.call("POST", "/admin/v1/nodes", node())[0] == 200
    assert time.monotonic() - t0 >= 0.3
    assert len(api.nodes()) == 1
    api.call("POST", "/_sim/faults", {"path": ".", "status": 500, "times": 5})
    assert len(api.call("GET", "/_sim/faults")[1]) == 1
    assert api.call("DELETE", "/_sim/faults")[0] == 200
    assert api.call("GET", "/admin/v1/nodes")[0] == 200


def test_reset_switches_release(api):
    api.call("POST", "/admin/v1/nodes", node())
    api.call("POST", "/_sim/faults", {"path": ".", "status": 500})
    other = "old" if api.release == "current" else "current"
    status, out = api.call("POST", "/_sim/reset", {"release": other})
    assert status == 200 and out["release"] == other
    assert out["nodes"] == [] and out["faults"] == [] and out["duplicates"] == {}
    assert api.call("GET", "/_sim/requests")[1] == []
    assert api.call("POST", "/_sim/reset")[1]["release"] == other
    assert api.call("POST", "/_sim/reset", {"release": "bogus"})[0] == 400


def test_python_api_context_manager():
    with gonka_sim.start(release="old") as sim:
        assert sim.url.startswith("http://127.0.0.1:")
        assert sim.state.release == "old"
        Client(sim.url).call("POST", "/admin/v1/nodes", node())
        assert sim.snapshot()["nodes"][0]["node"]["id"] == "node1"
        assert len(sim.requests) == 1
    with pytest.raises(OSError):
        urllib.request.urlopen(sim.url + "/admin/v1/nodes", timeout=1)


def test_script_mode(tmp_path):
    pidfile = tmp_path / "sim.pid"
    proc = subprocess.Popen([sys.executable, gonka_sim.__file__, "--release", "old",
                             "--port", "0", "--pidfile", str(pidfile)],
                            stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.split()[-1]
        assert int(pidfile.read_text()) == proc.pid
        assert Client(url).state()["release"] == "old"
    finally:
        proc.terminate()
        assert proc.wait(5) == 0
    assert not pidfile.exists()
