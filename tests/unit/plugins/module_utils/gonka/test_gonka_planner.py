"""The plan is a pure function: check mode and real runs share it."""
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.validation import parse_nodes
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.planner import plan

Q = "Qwen/Qwen3-32B-FP8"


def item(nid, enabled=True, **node):
    body = {"id": nid, "host": "h-" + nid, "inference_port": 5050, "poc_port": 8080, "max_concurrent": 500,
            "models": {Q: {"args": []}}, "hardware": [], "inference_segment": "", "poc_segment": ""}
    body.update(node)
    return {"node": body, "state": {"admin_state": {"enabled": enabled, "epoch": 3}}}


def want(*nodes):
    return parse_nodes([dict({"host": "h-" + n["id"], "models": {Q: {"args": []}}}, **n)
                        if n.get("state") not in ("absent",) and "host" not in n and n.get("config", True) else n
                        for n in nodes])


def actions(plans):
    return dict((p.id, p.actions) for p in plans)


def test_nothing_to_do():
    plans = plan(want({"id": "a"}), [item("a")])
    assert actions(plans) == {"a": []} and not any(p.changed for p in plans)


def test_create_update_toggle_delete():
    plans = plan(want({"id": "a", "max_concurrent": 9}, {"id": "b", "state": "disabled"}, {"id": "c"},
                      {"id": "d", "state": "absent"}),
                 [item("a"), item("b"), item("d")])
    assert actions(plans) == {"a": ["update"], "b": ["disable"], "c": ["create"], "d": ["delete"]}
    assert plans[0].changed_fields == ["max_concurrent"]
    assert plans[0].view_after()["max_concurrent"] == 9 and plans[0].view_before()["max_concurrent"] == 500


def test_create_disabled_plans_two_steps():
    plans = plan(want({"id": "a", "state": "disabled"}), [])
    assert actions(plans) == {"a": ["create", "disable"]}
    assert plans[0].view_after()["enabled"] is False


def test_present_leaves_admin_state_alone():
    plans = plan(want({"id": "a"}), [item("a", enabled=False)])
    assert actions(plans) == {"a": []}


def test_exclusive_adds_deletions_for_unlisted():
    plans = plan(want({"id": "a"}), [item("a"), item("z")], exclusive=True)
    assert actions(plans) == {"a": [], "z": ["delete"]}
    assert plans[1].view_after() is None


def test_enable_without_config_for_missing_node_is_an_error():
    plans = plan(parse_nodes([{"id": "x", "state": "enabled"}]), [])
    assert plans[0].error and "not registered" in plans[0].error and plans[0].changed is False
