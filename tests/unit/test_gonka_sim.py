"""Tests for tests/support/gonka_sim.py: every profile against the behaviour read in its release's code."""
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


@pytest.fixture(params=gonka_sim.PROFILE_NAMES)
def api(request, server):
    server.reset(request.param)
    c = Client(server.url)
    c.release = request.param
    c.profile = gonka_sim.PROFILES[request.param]
    if request.param == "v0.2.9":
        server.state.enforced_model = None  # ENFORCED_MODEL_ID=none; the enforced default has its own test
    return c


@pytest.fixture
def profile_of(server):
    def use(name):
        server.reset(name)
        return Client(server.url)
    return use


def by_id(items):
    return dict((i["node"]["id"], i) for i in items)


# -- names --------------------------------------------------------------------------------

def test_release_names_and_aliases():
    assert gonka_sim.profile_name("old") == "aug2025" and gonka_sim.profile_name("current") == "v0.2.14"
    assert gonka_sim.profile_name("v0.2.7") == "v0.2.5" and gonka_sim.profile_name("v0.2.11") == "v0.2.9"
    assert gonka_sim.profile_name("v0.2.13") == "v0.2.12"
    with pytest.raises(ValueError):
        gonka_sim.profile_name("v9")
    for profile in gonka_sim.PROFILES.values():
        assert len(profile.commit) == 40


# -- listing and registration ----------------------------------------------------

def test_list_is_wrapped_with_state_fields_per_release(api):
    assert api.nodes() == []
    for nid, host in (("b", "h1"), ("a", "h2")):
        assert api.call("POST", "/admin/v1/nodes", node(nid, host))[0] == 200
    items = by_id(api.nodes())
    assert [items[i]["node"]["node_num"] for i in ("b", "a")] == [1, 2]
    n, st = items["b"]["node"], items["b"]["state"]
    assert n["inference_segment"] == "" and n["poc_segment"] == ""
    assert n["hardware"] is None                                   # Go nil slice
    assert ("version" in n) is (api.release == "aug2025")          # removed by v0.2.4
    assert n["models"] == {QWEN: {"args": []}}
    # RegisterNode's fresh state (broker/node_admin_commands.go)
    assert st["intended_status"] == "UNKNOWN" and st["current_status"] == "UNKNOWN"
    assert st["poc_intended_status"] == st["poc_current_status"] == "IDLE"
    assert st["admin_state"] == {"enabled": True, "epoch": 0}
    assert st["lock_count"] == 0 and st["failure_reason"] == ""
    assert st["epoch_models"] == {} and st["epoch_ml_nodes"] == {}
    assert st["status_timestamp"].endswith("Z")
    assert "training_task" not in st and "deployment_update_pending" not in st  # omitempty / no release has it
    assert ("ml_node_version" in st) is (api.release in ("v0.2.12", "v0.2.14"))
    assert ("preserved_models" in st) is (api.release in ("v0.2.12", "v0.2.14"))
    assert ("poc_validation_inference" in st) is (api.release == "v0.2.14")


def test_list_order_is_random(api):
    for i in range(12):
        api.call("POST", "/admin/v1/nodes", node("n%02d" % i, "h%d" % i))
    orders = set(tuple(i["node"]["id"] for i in api.nodes()) for dummy in range(8))
    assert len(orders) > 1


def test_post_answers_the_config_without_node_num(api):
    status, out = api.call("POST", "/admin/v1/nodes",
                           node(hardware=[{"type": "H100", "count": 8}],
                                models={QWEN: {"args": [], "model_override": {"hf_repo": "x", "hf_commit": "a" * 40}}}))
    assert status == 200
    assert out["id"] == "node1" and "node_num" not in out
    assert out["hardware"] == [{"type": "H100", "count": 8}]
    assert out["models"] == {QWEN: {"args": []}}                 # model_override dropped: unknown to ModelConfig
    assert ("version" in out) is (api.release == "aug2025")
    status, out = api.call("POST", "/admin/v1/nodes", node("n2", "h2"))
    assert out["hardware"] is None


@pytest.mark.parametrize("field,value,text", [
    ("id", "", "node id is required and cannot be empty"),
    ("host", "", "host is required and cannot be empty"),
    ("inference_port", 0, "inference_port must be between 1 and 65535, got 0"),
    ("poc_port", 70000, "poc_port must be between 1 and 65535, got 70000"),
    ("max_concurrent", 0, "max_concurrent must be greater than 0, got 0"),
    ("models", {}, "at least one model must be specified"),
])
def test_validation(api, field, value, text):
    status, out = api.call("POST", "/admin/v1/nodes", node(**{field: value}))
    if api.release == "aug2025":
        # v0.2.0 validates nothing: only the governance check can refuse
        assert status == 200
        return
    assert status == 400
    assert out["error"] == "failed to create node: validation failed: " + text
    assert api.nodes() == []


def test_validation_errors_are_all_joined(api):
    if api.release == "aug2025":
        return
    status, out = api.call("POST", "/admin/v1/nodes", node(host="", max_concurrent=0))
    assert out["error"] == ("failed to create node: validation failed: host is required and cannot be empty; "
                            "max_concurrent must be greater than 0, got 0")


def test_wrong_type_and_non_json_bodies(api):
    status, out = api.call("POST", "/admin/v1/nodes", node(max_concurrent="x"))
    assert status == 400
    message = "Unmarshal type error: expected=int, got=string, field=max_concurrent"
    if api.release == "aug2025":
        # NewHTTPError(400, err) with err an *echo.HTTPError: the message is an object
        assert set(out["error"]) == {"message"} and out["error"]["message"].startswith(message)
    else:
        assert out["error"].startswith("invalid request body: code=400, message=" + message)
        assert "internal=json: cannot unmarshal string into Go struct field InferenceNodeConfig.max_concurrent" \
            " of type int" in out["error"]
    status, out = api.call("POST", "/admin/v1/nodes", raw="not json")
    assert status == 400
    text = out["error"]["message"] if api.release == "aug2025" else out["error"]
    assert "Syntax error: offset=1, error=invalid character 'n' looking for beginning of value" in text
    status, out = api.call("POST", "/admin/v1/nodes", raw='{"id": "x"')
    text = out["error"]["message"] if api.release == "aug2025" else out["error"]
    assert status == 400 and "unexpected EOF" in text


def test_create_with_unapproved_model(api):
    status, out = api.call("POST", "/admin/v1/nodes",
                           node(models={QWEN: {"args": []}, BAD: {"args": []}}))
    if api.release == "aug2025":
        assert (status, out) == (500, {"error": "error creating new node"})
        assert api.nodes() == []
    elif api.release in ("v0.2.5", "v0.2.9"):
        assert (status, out) == (400, {"error": "failed to create node: one or more models are not valid "
                                                "governance models. Check logs for details."})
        assert api.nodes() == []
    else:
        assert status == 200 and list(out["models"]) == [QWEN]
        assert list(api.nodes()[0]["node"]["models"]) == [QWEN]


def test_no_valid_models_and_duplicate_host_port(api):
    status, out = api.call("POST", "/admin/v1/nodes", node(models={BAD: {"args": []}}))
    if api.release in ("v0.2.12", "v0.2.14"):
        assert (status, out) == (400, {"error": "failed to create node: node node1 has no governance-valid models"})
    assert api.call("POST", "/admin/v1/nodes", node("a"))[0] == 200
    status, out = api.call("POST", "/admin/v1/nodes", node("b", pp=9999))
    if api.release == "aug2025":
        assert status == 200  # no duplicate check
        return
    assert status == 400
    assert out["error"] == ("failed to create node: validation failed: duplicate inference host+port combination: "
                            "10.0.0.21:5050 (already used by node 'a')")
    status, out = api.call("POST", "/admin/v1/nodes", node("c"))
    assert out["error"].endswith("duplicate inference host+port combination: 10.0.0.21:5050 (already used by "
                                 "node 'a'); duplicate PoC host+port combination: 10.0.0.21:8080 (already used "
                                 "by node 'a')")
    assert api.call("POST", "/admin/v1/nodes", node("d", host="10.0.0.99"))[0] == 200


def test_enforced_model_replaces_models_on_v0_2_9(profile_of):
    cur = profile_of("v0.2.9")
    status, out = cur.call("POST", "/admin/v1/nodes", node())
    assert status == 200
    assert out["models"] == {gonka_sim.QWEN235: {"args": ["--tensor-parallel-size", "4", "--max-model-len", "240000"]}}
    assert cur.call("POST", "/admin/v1/nodes", node("k", "h9", models={gonka_sim.QWEN235: {"args": ["--x"]}}))[1][
        "models"] == {gonka_sim.QWEN235: {"args": ["--x"]}}
    assert cur.call("PUT", "/_sim/enforced_model", None) == (200, None)
    assert cur.call("POST", "/admin/v1/nodes", node("n2", "h2"))[1]["models"] == {QWEN: {"args": []}}


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
    assert status == 200 and out["max_concurrent"] == 800 and "node_num" not in out
    [item] = api.nodes()
    assert item["node"]["max_concurrent"] == 800
    assert item["node"]["hardware"] is None          # replaced by the body, which omitted it
    if api.release == "aug2025":
        # a second RegisterNode: fresh state (enabled), a new node_num, a duplicate config entry
        assert item["state"]["admin_state"]["enabled"] is True and item["node"]["node_num"] == 2
        assert api.state()["duplicates"] == {"node1": 1}
    else:
        assert item["state"]["admin_state"]["enabled"] is False and item["node"]["node_num"] == 1
        assert api.state()["duplicates"] == {}


def test_update_with_unapproved_model_changes_nothing(api):
    api.call("POST", "/admin/v1/nodes", node())
    api.call("POST", "/admin/v1/nodes/node1/disable")
    status, out = api.call("POST", "/admin/v1/nodes",
                           node(max_concurrent=9, models={QWEN: {"args": []}, BAD: {"args": []}}))
    assert status == 500
    if api.release == "aug2025":
        assert out == {"error": "error creating new node"}
    else:
        assert out == {"error": "failed to update node: model %s is not a valid governance model" % BAD}
    [item] = api.nodes()
    assert item["node"]["max_concurrent"] == 500
    assert item["state"]["admin_state"]["enabled"] is False


def test_update_invalid_is_500_duplicates_checked_excluding_itself(api):
    if api.release == "aug2025":
        return
    api.call("POST", "/admin/v1/nodes", node())
    api.call("POST", "/admin/v1/nodes", node("b", "10.0.0.22"))
    status, out = api.call("POST", "/admin/v1/nodes", node(max_concurrent=0))
    assert status == 500
    assert out["error"] == "failed to update node: validation failed: max_concurrent must be greater than 0, got 0"
    status, out = api.call("POST", "/admin/v1/nodes", node("b"))
    assert status == 500 and "duplicate inference host+port combination: 10.0.0.21:5050 (already used by " \
        "node 'node1')" in out["error"]
    assert api.call("POST", "/admin/v1/nodes", node(max_concurrent=7))[0] == 200


def test_put_node(api):
    api.call("POST", "/admin/v1/nodes", node())
    status, out = api.call("PUT", "/admin/v1/nodes/other-id", node(max_concurrent=42))
    if api.release == "aug2025":
        assert (status, out) == (405, {"error": "Method Not Allowed"})
        assert api.nodes()[0]["node"]["max_concurrent"] == 500
    else:
        assert status == 200 and out["id"] == "node1"  # the path id is ignored
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
    if api.release == "aug2025":
        assert status == 201 and [n["id"] for n in out] == ["a", "c"]  # c: no validation at all
        status, out = api.call("POST", "/admin/v1/nodes/batch", items[1:2])
        assert (status, out) == (201, None)
        assert sorted(by_id(api.nodes())) == ["a", "c"]
        return
    assert status == 206
    assert [n["id"] for n in out["nodes"]] == ["a"]
    assert len(out["errors"]) == 2
    if api.release in ("v0.2.12", "v0.2.14"):
        assert out["errors"][0] == ("node[1] (id: b): code=400, message=failed to create node: node b has no "
                                    "governance-valid models")
    else:
        assert out["errors"][0] == ("node[1] (id: b): code=400, message=failed to create node: one or more models "
                                    "are not valid governance models. Check logs for details.")
    assert out["errors"][1] == ("node[2] (id: c): code=400, message=failed to create node: validation failed: "
                                "max_concurrent must be greater than 0, got 0")
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
    if api.release == "aug2025":
        assert status == 201 and api.nodes()[0]["state"]["admin_state"]["enabled"]
        assert api.state()["duplicates"] == {"a": 1}
    else:
        # RegisterNode's duplicate check does not exclude the node itself
        assert status == 400
        assert "duplicate inference host+port combination: h1:5050 (already used by node 'a')" in \
            out["error"]["errors"][0]
        assert api.nodes()[0]["state"]["admin_state"]["enabled"] is False
        assert api.state()["duplicates"] == {}
    # different host: re-registered with fresh state and a new node_num, config entry appended
    api.call("POST", "/admin/v1/nodes/a/disable")
    status, out = api.call("POST", "/admin/v1/nodes/batch", [node("a", "h9")])
    assert status == 201 and out[0]["host"] == "h9"
    [item] = api.nodes()
    assert item["node"]["host"] == "h9" and item["state"]["admin_state"]["enabled"]
    assert item["node"]["node_num"] == (3 if api.release == "aug2025" else 2)
    assert api.state()["duplicates"] == ({"a": 2} if api.release == "aug2025" else {"a": 1})
    # DELETE rebuilds the config from the broker's nodes: the duplicates are gone
    assert api.call("DELETE", "/admin/v1/nodes/a") == (200, True)
    assert api.state()["duplicates"] == {} and api.state()["config_nodes"] == []


def test_batch_not_a_list(api):
    status, out = api.call("POST", "/admin/v1/nodes/batch", node())
    text = out["error"]["message"] if api.release == "aug2025" else out["error"]
    assert status == 400
    assert "Unmarshal type error: expected=[]apiconfig.InferenceNodeConfig, got=object" in text


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
    assert api.call("GET", "/admin/v1/nope") == (404, {"error": "Not Found"})
    assert api.call("DELETE", "/admin/v1/nodes") == (405, {"error": "Method Not Allowed"})
    assert api.call("GET", "/admin/v1/nodes/node1/enable")[0] == 405
    assert api.call("GET", "/_sim/nope")[0] == 404


# -- operator endpoints (v0.2.4+) ------------------------------------------------------

def test_upgrade_and_version_status(api):
    api.call("POST", "/admin/v1/nodes", node())
    status, out = api.call("GET", "/admin/v1/nodes/upgrade-status")
    if api.release == "aug2025":
        assert status == 405  # only DELETE nodes/:id matches the path
        assert api.call("POST", "/admin/v1/nodes/version-status", {"version": "v3.0.8"})[0] == 405
        assert api.call("GET", "/admin/v1/setup/report")[0] == 404
        return
    assert (status, out) == (200, {"message": "No upgrade plan active"})
    assert api.call("PUT", "/_sim/upgrade", {"plan_version": "v3.0.9"})[0] == 200
    status, out = api.call("GET", "/admin/v1/nodes/upgrade-status")
    assert status == 200 and out["node1"]["is_alive"] is False and "v3.0.9" in out["node1"]["error"]
    assert api.call("POST", "/admin/v1/nodes/version-status", {"version": "v3.0.8"}) == (
        200, {"node1": {"is_alive": True}})
    assert api.call("POST", "/admin/v1/nodes/version-status", {}) == (400, {"error": "Version field is required"})
    assert api.call("POST", "/admin/v1/nodes/version-status", raw="x") == (400, {"error": "Invalid request body"})


def test_setup_report(api):
    if api.release == "aug2025":
        return
    api.call("POST", "/admin/v1/nodes", node())
    api.call("PUT", "/_sim/mlnode_health", {"node1": False})
    status, out = api.call("GET", "/admin/v1/setup/report")
    assert status == 200 and out["overall_status"] == "FAIL"
    ids = [c["id"] for c in out["checks"]]
    assert "mlnode_node1" in ids and "block_sync" in ids
    assert ("feegrant_allowance" in ids) is (api.release in ("v0.2.12", "v0.2.14"))
    check = [c for c in out["checks"] if c["id"] == "mlnode_node1"][0]
    assert check["status"] == "FAIL" and check["details"]["host"] == "10.0.0.21"
    assert out["summary"]["failed_checks"] == 1


# -- control API: seeds, log, faults, reset -----------------------------------------

def test_seed_nodes(api):
    seeds = [{"node": node("s1"), "state": {"admin_state": {"enabled": False}}},
             node("s2", "h2")]
    status, out = api.call("PUT", "/_sim/nodes", seeds)
    assert status == 200
    items = by_id(api.nodes())
    assert sorted(items) == ["s1", "s2"]
    assert items["s1"]["state"]["admin_state"] == {"enabled": False, "epoch": 0}
    assert items["s2"]["node"]["node_num"] == 2
    assert api.call("POST", "/admin/v1/nodes", node("s3", "h3"))[0] == 200
    assert by_id(api.nodes())["s3"]["node"]["node_num"] == 3


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
    other = "aug2025" if api.release != "aug2025" else "v0.2.14"
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
