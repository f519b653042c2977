import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.records import config_diff, flatten
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.validation import (
    NodeSpecError, normalize_host, parse_node, parse_nodes,
)
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.presets import merged_presets

Q = "Qwen/Qwen3-32B-FP8"


def test_seed_example_body_is_sent_unchanged():
    node = parse_node({"id": "node1", "host": "10.0.0.21", "inference_port": 5050, "poc_port": 8080,
                       "max_concurrent": 500, "models": {Q: {"args": []}}})
    assert node.body == {"id": "node1", "host": "10.0.0.21", "inference_port": 5050, "poc_port": 8080,
                         "max_concurrent": 500, "models": {Q: {"args": []}}}
    assert node.state == "present" and node.wants_enabled is None


@pytest.mark.parametrize("host, sent, noted", [
    ("10.0.0.21", "10.0.0.21", False),
    ("mlnode-308", "mlnode-308", False),
    ("http://10.0.0.21", "10.0.0.21", True),
    ("http://10.0.0.21/", "10.0.0.21", True),
    ("fd00::21", "fd00::21", False),
])
def test_host_forms(host, sent, noted):
    got, note = normalize_host(host)
    assert got == sent and bool(note) == noted


def test_https_host_is_refused_with_the_runpod_proxy_pattern():
    """Issue 10: every release builds http://<host>:<port>/..., so https:// can never be reached."""
    with pytest.raises(NodeSpecError) as err:
        normalize_host("https://e6rbg7z3qyr7a4-8080.proxy.runpod.net", "nodes[1] (id: n2): ")
    text = str(err.value)
    assert text.startswith("nodes[1] (id: n2): host 'https://e6rbg7z3qyr7a4-8080.proxy.runpod.net' is refused")
    assert "proxy_pass" in text and "RunPod" in text


@pytest.mark.parametrize("host, message", [
    ("http://[::1", "not a valid URL"),
    ("10.0.0.21:5050", "carries a port"),
    ("http://10.0.0.21:5050", "carries a port"),
    ("http://10.0.0.21/v3.0.8", "carries a path"),
    ("ftp://x", "only http:// and https://"),
    ("bad host", "not a valid IP address or DNS name"),
    ("", "non-empty string"),
])
def test_host_rejections(host, message):
    with pytest.raises(NodeSpecError, match=message):
        normalize_host(host)


def test_args_numbers_become_strings_and_bools_are_refused():
    node = parse_node({"id": "a", "host": "h", "models": {Q: {"args": ["--tensor-parallel-size", 4]}}})
    assert node.body["models"][Q]["args"] == ["--tensor-parallel-size", "4"]
    with pytest.raises(NodeSpecError, match=r"args\[1\] must be a string"):
        parse_node({"id": "a", "host": "h", "models": {Q: {"args": ["--x", True]}}})


def test_model_override_rules():
    ok = parse_node({"id": "a", "host": "h", "models": {Q: {"args": [], "model_override": {
        "hf_repo": "Qwen/Qwen3-32B-FP8", "hf_commit": "a" * 40}}}})
    assert ok.body["models"][Q]["model_override"]["hf_commit"] == "a" * 40
    with pytest.raises(NodeSpecError, match="40-character"):
        parse_node({"id": "a", "host": "h", "models": {Q: {"model_override": {"hf_repo": "x", "hf_commit": "abc"}}}})
    with pytest.raises(NodeSpecError, match="--revision=main not allowed"):
        parse_node({"id": "a", "host": "h", "models": {Q: {"args": ["--revision=main"], "model_override": {
            "hf_repo": "x", "hf_commit": "b" * 40}}}})


def test_presets_from_layout_and_explicit_empty_args_win():
    presets = merged_presets()
    by_layout = parse_node({"id": "a", "host": "h", "gpu_layout": "8x4090", "models": [Q]}, presets=presets)
    assert by_layout.body["models"][Q]["args"] == ["--tensor-parallel-size", "4"]
    explicit = parse_node({"id": "a", "host": "h", "gpu_layout": "8x4090", "models": {Q: {"args": []}}}, presets=presets)
    assert explicit.body["models"][Q]["args"] == []
    assert "gpu_layout" not in by_layout.body


def test_states_without_config():
    assert parse_node({"id": "a", "state": "absent"}).body is None
    disabled = parse_node({"id": "a", "state": "disabled"})
    assert disabled.body is None and disabled.wants_enabled is False
    with pytest.raises(NodeSpecError, match="state must be one of"):
        parse_node({"id": "a", "state": "gone"})


def test_error_paths_name_index_and_id():
    with pytest.raises(NodeSpecError) as err:
        parse_nodes([{"id": "a", "host": "h", "models": [Q]}, {"id": "b", "host": "h", "models": [Q], "max_concurrent": 0}])
    assert str(err.value).startswith("nodes[1] (id: b): max_concurrent must be a positive integer")
    with pytest.raises(NodeSpecError, match=r"^nodes\[0\]: must be a mapping"):
        parse_nodes(["node1"])


def test_config_diff_only_compares_managed_fields():
    server = {"id": "a", "host": "h", "inference_port": 5050, "poc_port": 8080, "max_concurrent": 500,
              "models": {Q: {"args": []}}, "hardware": [{"type": "H100", "count": 1}], "node_num": 3,
              "inference_segment": "", "poc_segment": "", "version": "v1"}
    same = parse_node({"id": "a", "host": "h", "models": {Q: {"args": []}}}).body
    assert config_diff(same, server) == []
    changed = parse_node({"id": "a", "host": "h2", "max_concurrent": 600, "models": {Q: {"args": ["--x"]}}}).body
    assert sorted(config_diff(changed, server)) == ["host", "max_concurrent", "models"]
    seg = parse_node({"id": "a", "host": "h", "inference_segment": "", "models": {Q: {"args": []}}}).body
    assert config_diff(seg, dict(server, inference_segment=None)) == []


def test_flatten_wrapped_item():
    flat = flatten({"node": {"id": "a"}, "state": {"admin_state": {"enabled": False}, "current_status": "INFERENCE"}})
    assert flat["enabled"] is False and flat["current_status"] == "INFERENCE" and flat["id"] == "a"
