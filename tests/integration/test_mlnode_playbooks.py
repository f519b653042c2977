"""mlnode / mlnode_info through real ansible-playbook runs against the Admin API
simulator, once per release profile (tests/support/gonka_sim.py: aug2025 = v0.2.0,
v0.2.5 .. v0.2.8, v0.2.9 .. v0.2.11, v0.2.12 .. v0.2.13, v0.2.14), each built from
that release's code.

Every test asserts what a user sees (task result, failure message) and what
the server saw (the simulator's request log and state).
"""
import os
import time

import pytest

from tests.support.ansible_run import run_playbook
from tests.support import gonka_sim

PLAYBOOK = os.path.join(os.path.dirname(__file__), "playbooks", "mlnode_task.yml")
QWEN32 = "Qwen/Qwen3-32B-FP8"
QWEN235 = gonka_sim.QWEN235
UNAPPROVED = "not-approved/Model-1B"


@pytest.fixture(scope="module")
def server():
    sim = gonka_sim.start("current")
    yield sim
    sim.stop()


@pytest.fixture(params=gonka_sim.PROFILE_NAMES)
def sim(request, server):
    server.reset(release=request.param)
    if request.param == "v0.2.9":
        # ENFORCED_MODEL_ID=none, as an operator who registers other models sets it; the
        # enforced default (every node gets Qwen3-235B) has its own test below.
        server.state.enforced_model = None
    return server


def release(sim):
    return sim.profile.name


def drops_unapproved(sim):
    return release(sim) in ("v0.2.12", "v0.2.14")


def node(nid, host="10.0.0.%d", **extra):
    num = int("".join(c for c in nid if c.isdigit()) or 1)
    body = {"id": nid, "host": host % num if "%d" in host else host, "models": {QWEN32: {"args": []}}}
    body.update(extra)
    return body


def run(sim, module="mlnode", check=False, diff=False, env=None, **args):
    args.setdefault("admin_url", sim.url)
    res = run_playbook(PLAYBOOK, extra_vars={"module_name": module, "module_args": args},
                       check=check, diff=diff, env=env)
    assert res.rc == 0, res.stdout[-3000:] + res.stderr[-3000:]
    return res.task(module)


def writes(sim):
    return [r for r in sim.requests if r["method"] != "GET"]


def registered(sim):
    return dict((nid, item) for nid, item in sim.snapshot()["nodes"].items()) if isinstance(
        sim.snapshot()["nodes"], dict) else dict((i["node"]["id"], i) for i in sim.snapshot()["nodes"])


def clear_log(sim):
    with sim.state.lock:
        del sim.state.requests[:]


# -- declarative list: create, idempotence, check mode, diff -------------------

def test_batch_create_then_rerun_sends_one_read(sim):
    nodes = [node("n%d" % i) for i in range(1, 6)]
    first = run(sim, nodes=nodes)
    assert first["changed"] is True
    assert [n["actions"] for n in first["nodes"]] == [["create"]] * 5
    assert [(r["method"], r["path"]) for r in sim.requests] == [
        ("GET", "/admin/v1/nodes"), ("POST", "/admin/v1/nodes/batch")]
    assert sorted(registered(sim)) == ["n1", "n2", "n3", "n4", "n5"]

    clear_log(sim)
    second = run(sim, nodes=nodes)
    assert second["changed"] is False
    assert second["api_requests"] == 1
    assert [(r["method"], r["path"]) for r in sim.requests] == [("GET", "/admin/v1/nodes")]


def test_check_mode_sends_no_write_and_predicts(sim):
    run(sim, nodes=[node("n1"), node("n2")])
    clear_log(sim)
    res = run(sim, check=True, diff=True, nodes=[
        node("n1", max_concurrent=800),     # update
        node("n2", state="disabled"),       # disable
        node("n3"),                         # create
        {"id": "n4", "state": "absent"},    # nothing to delete
    ])
    assert res["changed"] is True
    assert writes(sim) == []
    actions = dict((n["id"], n["actions"]) for n in res["nodes"])
    assert actions == {"n1": ["update"], "n2": ["disable"], "n3": ["create"], "n4": []}
    assert res["diff"]["before"]["n1"]["max_concurrent"] == 500
    assert res["diff"]["after"]["n1"]["max_concurrent"] == 800
    assert res["diff"]["after"]["n2"]["enabled"] is False
    assert res["diff"]["before"]["n3"] is None
    assert registered(sim)["n1"]["node"]["max_concurrent"] == 500


def test_diff_shows_before_and_after_in_human_output(sim):
    run(sim, id="n1", host="10.0.0.1", models={QWEN32: {"args": []}})
    res = run_playbook(PLAYBOOK, diff=True, json_output=False, extra_vars={
        "module_name": "mlnode",
        "module_args": {"admin_url": sim.url, "id": "n1", "host": "10.0.0.1", "max_concurrent": 900,
                        "models": {QWEN32: {"args": []}}}})
    assert res.rc == 0
    assert '-        "max_concurrent": 500' in res.stdout
    assert '+        "max_concurrent": 900' in res.stdout


# -- update, admin state ------------------------------------------------------

def test_update_keeps_a_disabled_node_disabled_on_both_releases(sim):
    run(sim, nodes=[node("n1", state="disabled")])
    clear_log(sim)
    res = run(sim, id="n1", host="10.0.0.1", max_concurrent=700, models={QWEN32: {"args": ["--max-model-len", "8192"]}})
    assert res["changed"] is True and res["actions"] == ["update"]
    state = registered(sim)["n1"]
    assert state["node"]["max_concurrent"] == 700
    assert state["state"]["admin_state"]["enabled"] is False
    paths = [(r["method"], r["path"]) for r in writes(sim)]
    if release(sim) == "aug2025":
        # The Aug 2025 release re-enables on update: the module must notice and disable again.
        assert paths == [("POST", "/admin/v1/nodes"), ("POST", "/admin/v1/nodes/n1/disable")]
    else:
        assert paths == [("POST", "/admin/v1/nodes")]
    assert run(sim, id="n1", host="10.0.0.1", max_concurrent=700,
               models={QWEN32: {"args": ["--max-model-len", "8192"]}})["changed"] is False


def test_update_sends_back_hardware_the_user_did_not_manage(sim):
    run(sim, id="n1", host="10.0.0.1", models={QWEN32: {"args": []}}, hardware=[{"type": "H100", "count": 8}])
    res = run(sim, id="n1", host="10.0.0.1", max_concurrent=600, models={QWEN32: {"args": []}})
    assert res["changed"] is True
    assert registered(sim)["n1"]["node"]["hardware"] == [{"type": "H100", "count": 8}]


def test_enable_disable_and_absent(sim):
    run(sim, id="n1", host="10.0.0.1", models=[QWEN32])
    res = run(sim, id="n1", state="disabled")
    assert res["changed"] is True and res["node"]["enabled"] is False
    assert run(sim, id="n1", state="disabled")["changed"] is False
    res = run(sim, id="n1", state="enabled")
    assert res["changed"] is True and res["node"]["enabled"] is True
    clear_log(sim)
    res = run(sim, id="n1", state="absent")
    assert res["changed"] is True and res["node"] is None
    assert [(r["method"], r["path"]) for r in writes(sim)] == [("DELETE", "/admin/v1/nodes/n1")]
    clear_log(sim)
    assert run(sim, id="n1", state="absent")["changed"] is False
    assert writes(sim) == []


def test_disabling_an_unregistered_node_without_config_fails_clearly(sim):
    res = run(sim, id="ghost", state="disabled")
    assert res["failed"] is True
    assert "ghost is not registered" in res["msg"]
    assert writes(sim) == []


# -- exclusive ----------------------------------------------------------------

def test_exclusive_deletes_unlisted_nodes_and_refuses_to_wipe(sim):
    run(sim, nodes=[node("n1"), node("n2"), node("n3")])
    res = run(sim, exclusive=True, nodes=[node("n1")])
    assert res["changed"] is True
    assert sorted(registered(sim)) == ["n1"]
    deleted = sorted(n["id"] for n in res["nodes"] if n["actions"] == ["delete"])
    assert deleted == ["n2", "n3"]
    clear_log(sim)
    res = run(sim, exclusive=True, nodes=[{"id": "n1", "state": "absent"}])
    assert res["failed"] is True and "refusing" in res["msg"]
    res = run(sim, exclusive=True, nodes=[])
    assert res["failed"] is True and "refusing" in res["msg"]
    assert writes(sim) == [] and sorted(registered(sim)) == ["n1"]


# -- host forms and presets -----------------------------------------------------

def test_host_forms_are_reported_as_sent(sim):
    res = run(sim, nodes=[node("n1", host="http://10.0.0.21")])
    sent = dict((n["id"], n["requests"][0]["body"]["host"]) for n in res["nodes"])
    assert sent == {"n1": "10.0.0.21"}
    assert registered(sim)["n1"]["node"]["host"] == "10.0.0.21"


def test_https_host_is_refused_before_any_request(sim):
    """Every release builds http://<host>:<port>/...: an https host can never be reached (issue 10)."""
    res = run(sim, nodes=[node("n1"), node("n2", host="https://e6rbg7z3qyr7a4-8080.proxy.runpod.net",
                                           inference_port=5000)])
    assert res["failed"] is True
    assert "nodes[1] (id: n2): host 'https://e6rbg7z3qyr7a4-8080.proxy.runpod.net' is refused" in res["msg"]
    assert "proxy_pass" in res["msg"]
    assert sim.requests == []


def test_presets_fill_args_and_explicit_args_win(sim):
    res = run(sim, nodes=[
        node("n1", gpu_layout="8x3080", models=[QWEN32]),
        node("n2", hardware=[{"type": "H100", "count": 8}], models=[QWEN235]),
        node("n3", gpu_layout="8x4090", models={QWEN32: {"args": ["--max-model-len", "4096"]}}),
        node("n4", gpu_layout="2xH200", models=["MiniMaxAI/MiniMax-M2.7"],
             vllm_presets=None),
    ], vllm_presets={"MiniMaxAI/MiniMax-M2.7": {"2xH200": ["--tensor-parallel-size", "2", "--max-num-seqs", "64"]}})
    assert res["changed"] is True, res
    nodes = registered(sim)
    assert nodes["n1"]["node"]["models"][QWEN32]["args"] == [
        "--tensor-parallel-size", "4", "--pipeline-parallel-size", "2"]
    assert nodes["n2"]["node"]["models"][QWEN235]["args"] == ["--tensor-parallel-size", "4"]
    assert nodes["n3"]["node"]["models"][QWEN32]["args"] == ["--max-model-len", "4096"]
    assert nodes["n4"]["node"]["models"]["MiniMaxAI/MiniMax-M2.7"]["args"][-1] == "64"


# -- bad input: nothing is sent --------------------------------------------------

@pytest.mark.parametrize("nodes, expected", [
    ([node("n1"), node("n1", host="10.0.0.9")], "nodes[1] (id: n1): duplicate id, already given at nodes[0]"),
    ([{"id": "n1", "models": [QWEN32]}], "nodes[0] (id: n1): missing required field(s) for state=present: host"),
    ([node("n1", inference_port="fifty")], "nodes[0] (id: n1): inference_port must be an integer port"),
    ([node("n1", poc_port=70000)], "poc_port must be between 1 and 65535"),
    ([node("n1", host="10.0.0.1:5050")], "carries a port"),
    ([node("a/b")], "nodes[0] (id: a/b): id may hold"),
    ([node("n1", models={QWEN32: {"args": "--tp 4"}})], "models['Qwen/Qwen3-32B-FP8'].args must be a list"),
    ([node("n1", gpu_layout="8xB300", models=[QWEN32])], "no vLLM preset for model 'Qwen/Qwen3-32B-FP8' on GPU layout '8xB300'"),
    ([node("n1", colour="red")], "nodes[0] (id: n1): unknown field(s) colour"),
    ([{"host": "10.0.0.1", "models": [QWEN32]}], "nodes[0]: id is required"),
])
def test_bad_input_fails_before_any_request(sim, nodes, expected):
    res = run(sim, nodes=nodes)
    assert res["failed"] is True
    assert expected in res["msg"], res["msg"]
    assert sim.requests == []
    assert "Traceback" not in str(res)


# -- governance ------------------------------------------------------------------

def test_unapproved_model_against_an_authoritative_list_sends_nothing(sim):
    res = run(sim, approved_models=[QWEN32], nodes=[node("n1"), node("n2", models=[UNAPPROVED])])
    assert res["failed"] is True
    assert "nothing was sent" in res["msg"] and "nodes[1] (id: n2)" in res["msg"] and UNAPPROVED in res["msg"]
    assert sim.requests == []


def test_live_governance_list_is_used_and_checked(sim):
    res = run(sim, governance_url=sim.url, nodes=[node("n1", models=[UNAPPROVED])])
    assert res["failed"] is True and "/v1/governance/models" in res["msg"]
    assert [r["path"] for r in sim.requests] == ["/v1/governance/models"]


def test_unreachable_governance_falls_back_to_the_dated_bundled_list(sim):
    res = run(sim, governance_url="http://127.0.0.1:9", retries=0, nodes=[node("n1")])
    assert res["changed"] is True
    assert any("bundled list of 2026-08" in w for w in res["warnings"])


@pytest.mark.parametrize("count", [1, 3])
def test_server_refusing_a_model_is_reported_per_node(sim, count):
    """aug2025: 500 (single) or a silent omission (batch); v0.2.5 .. v0.2.11: 400 / 206;
    v0.2.12+: a silent drop. Every form names the model."""
    with sim.state.lock:
        sim.state.approved_models = set([QWEN32])
    nodes = [node("n%d" % i, models={QWEN32: {"args": []}, UNAPPROVED: {"args": []}} if i == 1 else [QWEN32])
             for i in range(1, count + 1)]
    res = run(sim, model_check="off", nodes=nodes)
    assert res["failed"] is True
    assert "1 of %d ML node(s) failed" % count in res["msg"]
    assert "n1" in res["msg"] and UNAPPROVED in res["msg"]
    ok = [n for n in res["nodes"] if not n["failed"]]
    assert len(ok) == count - 1 and all(n["changed"] for n in ok)
    bad = [n for n in res["nodes"] if n["failed"]][0]
    assert bad["id"] == "n1"
    if drops_unapproved(sim):
        # Registered with the approved model only; the module says so instead of reporting success.
        assert "dropped model(s) %s" % UNAPPROVED in bad["msg"]
        assert list(registered(sim)["n1"]["node"]["models"]) == [QWEN32]
        return
    if release(sim) == "aug2025":
        assert "HTTP 500" in bad["msg"] and "error creating new node" in bad["msg"]
    else:
        assert "not valid governance models" in bad["msg"]
    assert "likely cause: model(s) %s are not in the approved list" % UNAPPROVED in bad["msg"]
    assert "n1" not in registered(sim)


def test_aug2025_500_names_the_models_outside_the_approved_list_in_use(server):
    server.reset("aug2025")
    with server.state.lock:
        server.state.approved_models = [QWEN32]
    res = run(server, model_check="warn", approved_models=[QWEN32, "other/Model"],
              id="n1", host="10.0.0.1", models={QWEN32: {"args": []}, UNAPPROVED: {"args": []}})
    assert res["failed"] is True
    assert "HTTP 500: error creating new node; likely cause: model(s) %s are not in the approved list from " \
        "approved_models option" % UNAPPROVED in res["msg"]


def test_enforced_model_on_v0_2_9_is_reported(server):
    server.reset("v0.2.9")  # ENFORCED_MODEL_ID unset: the default Qwen3-235B is enforced
    res = run(server, id="n1", host="10.0.0.1", models=[QWEN32])
    assert res["failed"] is True
    assert "replaced model(s) %s with %s" % (QWEN32, QWEN235) in res["msg"]
    assert "ENFORCED_MODEL_ID=none" in res["msg"]
    res = run(server, id="n2", host="10.0.0.2", gpu_layout="8xH100", models=[QWEN235])
    assert res["changed"] is True and res.get("failed") is not True


def test_model_override_ignored_by_the_server_warns_once_and_stays_idempotent(sim):
    override = {"hf_repo": QWEN32, "hf_commit": "a" * 40}
    nodes = [node("n1", models={QWEN32: {"args": [], "model_override": override}}),
             node("n2", models={QWEN32: {"args": [], "model_override": override}})]
    first = run(sim, nodes=nodes)
    assert first["changed"] is True and not first.get("failed"), first
    warned = [w for w in first["warnings"] if "model_override" in w]
    assert len(warned) == 1 and "not compared" in warned[0]
    sent = [r for r in sim.requests if r["method"] == "POST"][0]["body"]
    assert sent[0]["models"][QWEN32]["model_override"] == override  # sent as given
    clear_log(sim)
    second = run(sim, nodes=nodes)
    assert second["changed"] is False, second
    assert writes(sim) == []
    assert len([w for w in second.get("warnings", []) if "model_override" in w]) == 1


def test_delete_answered_with_the_node_json_counts_as_deleted(sim):
    run(sim, id="n1", host="10.0.0.1", models=[QWEN32])
    add_fault(sim, method="DELETE", path="^/admin/v1/nodes/n1$", status=200,
              body={"id": "n1", "host": "10.0.0.1", "models": {QWEN32: {"args": []}}})
    res = run(sim, id="n1", state="absent")
    assert res["changed"] is True and res["actions"] == ["delete"]
    assert res["requests"][0]["answer"] is True


def test_partial_batch_reports_the_failed_node(sim):
    run(sim, id="n9", host="10.0.0.50", models=[QWEN32])
    # n2 reuses n9's host:port: v0.2.5+ refuse it (206), Aug 2025 accepts it.
    res = run(sim, nodes=[node("n1"), node("n2", host="10.0.0.50")])
    if release(sim) != "aug2025":
        assert res["failed"] is True
        assert "nodes[1] (id: n2)" in res["msg"] and "HTTP 206" in res["msg"]
        assert "duplicate inference host+port combination: 10.0.0.50:5050 (already used by node 'n9')" in res["msg"]
        assert sorted(registered(sim)) == ["n1", "n9"]
    else:
        assert res["changed"] is True and sorted(registered(sim)) == ["n1", "n2", "n9"]


# -- faults ------------------------------------------------------------------------

def add_fault(sim, **rule):
    with sim.state.lock:
        rule.setdefault("times", 1)
        sim.state.faults.append(dict({"method": None, "status": None, "body": None, "delay": 0, "drop": False}, **rule))


def test_transient_503_is_retried(sim):
    add_fault(sim, method="GET", path="^/admin/v1/nodes$", status=503, times=2)
    res = run(sim, id="n1", host="10.0.0.1", models=[QWEN32])
    assert res["changed"] is True and res["api_requests"] == 4


def test_persistent_5xx_fails_with_status_and_server_message(sim):
    add_fault(sim, method="GET", path="^/admin/v1/nodes$", status=503, times=None,
              body={"error": "api container is starting"})
    res = run(sim, id="n1", host="10.0.0.1", models=[QWEN32], retries=2)
    assert res["failed"] is True
    assert "GET %s/admin/v1/nodes: HTTP 503: api container is starting" % sim.url in res["msg"]
    assert res["api_requests"] == 3


def test_unreachable_admin_api(sim):
    res = run(sim, admin_url="http://127.0.0.1:9", id="n1", host="10.0.0.1", models=[QWEN32], retries=1)
    assert res["failed"] is True
    assert "could not read the ML node list: GET http://127.0.0.1:9/admin/v1/nodes: no answer" in res["msg"]
    assert "refused" in res["msg"].lower()


def test_timeout_names_the_request(sim):
    add_fault(sim, method="GET", path="^/admin/v1/nodes$", delay=3, times=None)
    res = run(sim, id="n1", host="10.0.0.1", models=[QWEN32], timeout=1, retries=0)
    assert res["failed"] is True
    assert "timed out after 1s" in res["msg"]


def test_dropped_batch_connection_is_recovered_without_replaying(sim):
    add_fault(sim, method="POST", path="^/admin/v1/nodes/batch$", drop=True)
    res = run(sim, nodes=[node("n1"), node("n2"), node("n3")])
    assert res["changed"] is True, res["msg"] if res.get("failed") else res
    assert sorted(registered(sim)) == ["n1", "n2", "n3"]
    batch_posts = [r for r in sim.requests if r["path"] == "/admin/v1/nodes/batch"]
    assert len(batch_posts) == 1  # never replayed
    assert all(n["node"]["id"] == n["id"] for n in res["nodes"])


def test_failed_update_never_reports_success(sim):
    run(sim, nodes=[node("n1"), node("n2")])
    add_fault(sim, method="POST", path="^/admin/v1/nodes$", status=500, times=None,
              body={"error": "failed to update node: disk full"})
    res = run(sim, nodes=[node("n1", max_concurrent=42), node("n2", max_concurrent=43)])
    assert res["failed"] is True
    assert "2 of 2 ML node(s) failed" in res["msg"] and "disk full" in res["msg"]
    assert all(n["changed"] is False for n in res["nodes"])
    assert res["changed"] is False


# -- mlnode_info, module_defaults, env --------------------------------------------

def test_info_lists_nodes_with_state_and_filters_by_id(sim):
    run(sim, nodes=[node("n1"), node("n2", state="disabled")])
    res = run(sim, module="mlnode_info")
    assert [(n["id"], n["enabled"]) for n in res["nodes"]] == [("n1", True), ("n2", False)]
    assert all("current_status" in n and n["models"] == {QWEN32: {"args": []}} for n in res["nodes"])
    assert [n["id"] for n in run(sim, module="mlnode_info", id="n2")["nodes"]] == ["n2"]
    assert run(sim, module="mlnode_info", id="nope")["nodes"] == []


def test_info_checks_epoch_participants(sim):
    with sim.state.lock:
        sim.state.participants = [{"index": "gonka1abc", "inference_url": "http://203.0.113.7:8000", "weight": 7}]
    found = run(sim, module="mlnode_info", participants_url=sim.url, participant="http://203.0.113.7:8000/")
    assert found["participant"]["found"] is True and found["participant"]["entry"]["weight"] == 7
    missing = run(sim, module="mlnode_info", participants_url=sim.url, participant="gonka1zzz")
    assert missing["participant"]["found"] is False


def test_info_operator_reads_where_the_release_has_them(sim):
    run(sim, nodes=[node("n1")])
    with sim.state.lock:
        sim.state.upgrade_plan_version = "v3.0.9"
        sim.state.mlnode_health["n1"] = False
    clear_log(sim)
    res = run(sim, module="mlnode_info", upgrade_status=True, version="v3.0.8", setup_report=True)
    assert res["changed"] is False
    assert [r["path"] for r in writes(sim)] == ["/admin/v1/nodes/version-status"]  # a POST that only reads
    node1 = res["nodes"][0]
    if release(sim) in ("v0.2.12", "v0.2.14"):
        assert node1["ml_node_version"] == ""
    else:
        assert node1["ml_node_version"] is None
        assert any(n.startswith("ml_node_version: not reported") for n in res["notes"])
    if release(sim) == "aug2025":
        assert res["upgrade_status"] is None and res["version_status"] is None and res["setup_report"] is None
        assert any("GET setup/report answered HTTP 404" in n for n in res["notes"])
        assert any("GET nodes/upgrade-status answered HTTP 405" in n for n in res["notes"])
        return
    assert res["upgrade_status"]["n1"]["is_alive"] is False
    assert res["version_status"] == {"n1": {"is_alive": True}}
    report = res["setup_report"]
    assert report["overall_status"] == "FAIL"
    assert [c["status"] for c in report["checks"] if c["id"] == "mlnode_n1"] == ["FAIL"]


def test_info_in_check_mode_reads_version_status(sim):
    run(sim, nodes=[node("n1")])
    clear_log(sim)
    res = run(sim, module="mlnode_info", check=True, version="v3.0.8")
    assert res.get("failed") is not True and res["changed"] is False
    assert [r["path"] for r in sim.requests] == ["/admin/v1/nodes", "/admin/v1/nodes/version-status"]


def test_admin_url_from_environment(sim):
    res = run_playbook(PLAYBOOK, env={"GONKA_ADMIN_API_URL": sim.url}, extra_vars={
        "module_name": "mlnode", "module_args": {"id": "n1", "host": "10.0.0.1", "models": [QWEN32]}})
    assert res.rc == 0 and res.task("mlnode")["changed"] is True
    assert "n1" in registered(sim)


def test_module_defaults_action_group(sim):
    res = run_playbook(os.path.join(os.path.dirname(__file__), "playbooks", "mlnode_module_defaults.yml"),
                       extra_vars={"admin_url": sim.url})
    assert res.rc == 0, res.stdout[-2000:]
    assert "md1" in registered(sim)


# -- issue 16: late batch, credentials, malformed and out-of-range values ---------

def test_late_batch_after_a_timeout_does_not_leave_a_node_reenabled(sim):
    """Item 5: the batch times out, the module registers node by node and disables n2; the
    server then applies the late batch (Aug 2025 re-registers: n2 enabled again). The module
    waits, reads back and reconciles once more before it reports."""
    add_fault(sim, method="POST", path="^/admin/v1/nodes/batch$", delay=2.5)
    res = run(sim, timeout=2, nodes=[node("n1"), node("n2", state="disabled"), node("n3")])
    assert res["changed"] is True and not res.get("failed"), res.get("msg")
    time.sleep(1)  # the late batch has certainly landed by now
    state = registered(sim)
    assert sorted(state) == ["n1", "n2", "n3"]
    assert state["n2"]["state"]["admin_state"]["enabled"] is False
    assert state["n1"]["state"]["admin_state"]["enabled"] is True
    assert len([r for r in sim.requests if r["path"] == "/admin/v1/nodes/batch"]) == 1


def test_password_in_admin_url_is_never_shown(server):
    server.reset("v0.2.14")
    url = server.url.replace("http://", "http://admin:s3cr3t-pw@")
    res = run(server, admin_url=url, exclusive=True, nodes=[])
    assert res["failed"] is True and "refusing" in res["msg"]
    assert "s3cr3t-pw" not in res["msg"]  # (Ansible's own `invocation` echoes the option as given)
    res = run(server, admin_url="http://admin:s3cr3t-pw@127.0.0.1:9", retries=0, id="n1", host="10.0.0.1",
              models=[QWEN32])
    assert res["failed"] is True and "127.0.0.1:9/admin/v1/nodes" in res["msg"]
    assert "s3cr3t-pw" not in res["msg"] and "s3cr3t-pw" not in str(res.get("request"))


@pytest.mark.parametrize("module, args, field, text", [
    ("mlnode", {"host": "http://[::1"}, "host", "not a valid URL"),
    ("mlnode", {"admin_url": "http://[::1"}, "admin_url", "not a valid URL"),
    ("mlnode", {"admin_url": "http://127.0.0.1:99999"}, "admin_url", "port must be between 1 and 65535"),
    ("mlnode", {"admin_url": "ftp://127.0.0.1"}, "admin_url", "only http:// and https://"),
    ("mlnode", {"governance_url": "http://[::1"}, "governance_url", "not a valid URL"),
    ("mlnode", {"timeout": -1}, "timeout", "between 1 and 3600"),
    ("mlnode", {"request_timeout": 0}, "timeout", "between 1 and 3600"),
    ("mlnode", {"max_concurrent": 10 ** 20}, "max_concurrent", "between 1 and 100000"),
    ("mlnode", {"parallel": 10 ** 6}, "parallel", "between 1 and 64"),
    ("mlnode_info", {"admin_url": "http://[::1"}, "admin_url", "not a valid URL"),
    ("mlnode_info", {"participant": "gonka1x", "participants_url": "http://[::1"}, "participants_url",
     "not a valid URL"),
])
def test_bad_values_are_refused_naming_the_field_before_any_request(server, module, args, field, text):
    server.reset("v0.2.14")
    call = dict(args)
    if module == "mlnode":
        call = dict({"id": "n1", "host": "10.0.0.1", "models": [QWEN32]}, **args)
    res = run(server, module=module, **call)
    assert res["failed"] is True
    assert field in res["msg"] and text in res["msg"], res["msg"]
    assert "Traceback" not in str(res) and "MODULE FAILURE" not in str(res)
    assert server.requests == []
