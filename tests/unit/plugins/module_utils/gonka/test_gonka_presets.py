import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.presets import (
    BUNDLED_MODELS, BUNDLED_PRESETS, PresetError, layout_from_hardware, merged_presets, normalize_layout, preset_args,
)


@pytest.mark.parametrize("raw, expected", [
    ("8xH100", "8xH100"), ("8 x h100", "8xH100"), ("8X4090", "8x4090"), ("1×H200", "1xH200"),
    ("8x RTX 4090", "8x4090"), ("4xNVIDIA A100", "4xA100"), ("2*b200", "2xB200"),
])
def test_normalize_layout(raw, expected):
    assert normalize_layout(raw) == expected


@pytest.mark.parametrize("raw", ["H100", "0xH100", "x4090", "", "8x", "eight x H100"])
def test_normalize_layout_rejects(raw):
    with pytest.raises(PresetError, match="not of the form"):
        normalize_layout(raw)


def test_seed_presets():
    presets = merged_presets()
    assert preset_args("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8", "8xH200", presets) == ["--tensor-parallel-size", "4"]
    assert preset_args("Qwen/Qwen3-32B-FP8", "1xH100", presets) == []
    assert preset_args("Qwen/Qwen3-32B-FP8", "8x 4090", presets) == ["--tensor-parallel-size", "4"]
    assert preset_args("Qwen/Qwen3-32B-FP8", "8x3080", presets) == [
        "--tensor-parallel-size", "4", "--pipeline-parallel-size", "2"]
    assert preset_args("Qwen/Qwen2.5-7B-Instruct", "1xA10", presets) == [
        "--quantization", "fp8", "--gpu-memory-utilization", "0.9"]
    assert preset_args("moonshotai/Kimi-K2.6", "4xB200", presets)[-1] == "--enable-expert-parallel"


def test_missing_preset_names_what_exists():
    with pytest.raises(PresetError) as err:
        preset_args("Qwen/Qwen3-32B-FP8", "2xL4", merged_presets())
    assert "'2xL4'" in str(err.value) and "1xH100, 8x3080, 8x4090" in str(err.value)
    with pytest.raises(PresetError, match="no vLLM preset for model 'acme/x'"):
        preset_args("acme/x", "1xH100", merged_presets())


def test_user_presets_override_and_extend_without_touching_bundled():
    merged = merged_presets({"Qwen/Qwen3-32B-FP8": {"8 x 4090": ["--tensor-parallel-size", "8"]},
                             "acme/new": {"*": ["--enforce-eager"]}})
    assert preset_args("Qwen/Qwen3-32B-FP8", "8x4090", merged) == ["--tensor-parallel-size", "8"]
    assert preset_args("acme/new", "3xL40S", merged) == ["--enforce-eager"]
    assert BUNDLED_PRESETS["Qwen/Qwen3-32B-FP8"]["8x4090"] == ["--tensor-parallel-size", "4"]


@pytest.mark.parametrize("bad", [{"m": ["--x"]}, {"m": {"8xH100": "--x"}}, {"m": {"8xH100": [4]}}])
def test_user_presets_validated(bad):
    with pytest.raises(PresetError):
        merged_presets(bad)


def test_layout_from_hardware():
    assert layout_from_hardware([{"type": "H100", "count": 8}]) == "8xH100"
    assert layout_from_hardware([{"type": "H100", "count": 4}, {"type": "H100", "count": 4}]) == "8xH100"
    assert layout_from_hardware([{"type": "H100", "count": 4}, {"type": "A100", "count": 4}]) is None
    assert layout_from_hardware([]) is None


def test_bundled_model_list_is_current_not_the_seed_list():
    assert "MiniMaxAI/MiniMax-M2.7" in BUNDLED_MODELS
    assert "Qwen/QwQ-32B" not in BUNDLED_MODELS
