# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Spec parsing and validation: the seed's examples, and errors with YAML field paths."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import os

import pytest
import yaml

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import SpecError

FIXTURES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "gpuctl"))


def fixture(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


def load(name):
    return validation.load_documents(fixture(name), name)


def errors_of(doc):
    with pytest.raises(SpecError) as info:
        validation.parse_spec(doc)
    return dict(info.value.errors)


@pytest.fixture
def training():
    return load("training-job.yaml")[0]


def test_seed_training_parses(training):
    spec = validation.parse_spec(training)
    assert spec["kind"] == "training"
    assert spec["job"]["name"] == "qwen2-7b-llamafactory-sft"
    assert spec["resources"]["gpu"] == 4
    assert spec["resources"]["gpu_share"] == "2Gi"
    assert validation.gpu_share_limits(spec["resources"]["gpu_share"]) == {"memory_mib": 2048}
    assert spec["resources"]["cpu"] == "32"
    assert len(spec["storage"]["workdirs"]) == 5


def test_seed_inference_parses_and_interpolates():
    spec = validation.parse_spec(load("inference-service.yaml")[0])
    assert spec["environment"]["args"][1] == "llama3-8b"  # {{model.name}}
    assert spec["service"]["timeout"] == 30
    assert spec["autoscaling"]["scaleDownDelay"] == 300
    assert validation.gpu_share_limits(spec["resources"]["gpu_share"]) == {"cores": 100}
    assert spec["model"]["version"] == "v1.0"


def test_seed_notebook_parses():
    spec = validation.parse_spec(load("notebook-job.yaml")[0])
    assert spec["service"]["port"] == 8000
    assert spec["storage"]["workdirs"] == [{"path": "/home/jovyan/work"}]


def test_seed_pool_file_has_two_documents():
    specs = validation.parse_documents(load("train-pool.yaml"), "train-pool.yaml")
    assert [s["pool"]["name"] for s in specs] == ["train-pool", "inference-pool"]
    assert specs[0]["nodes"] == {"node1": {"gpu-type": "A100-100G"}, "node2": {"gpu-type": "A800-20G"}}


@pytest.mark.parametrize("name, line, what", [
    ("notebook-job.verbatim.txt", 9, "'`'"),
    ("train-pool.verbatim.txt", 7, "'\\t'"),
])
def test_seed_verbatim_yaml_errors_name_the_line(name, line, what):
    with pytest.raises(SpecError) as info:
        load(name)
    msg = info.value.msg
    assert "line %d" % line in msg and what in msg and name in msg


def test_unknown_field_with_suggestion(training):
    training["resources"]["gpus"] = 2
    errs = errors_of(training)
    assert "resources.gpus" in errs
    assert "did you mean 'gpu'" in errs["resources.gpus"]


def test_misspelt_hyphen_underscore(training):
    training["resources"]["gpu_type"] = "a100"
    errs = errors_of(training)
    assert "did you mean 'gpu-type'" in errs["resources.gpu_type"]


def test_negative_gpu(training):
    training["resources"]["gpu"] = -1
    assert errors_of(training) == {"resources.gpu": "must be >= 0 (got -1)"}


@pytest.mark.parametrize("path, value, fragment", [
    (("resources", "gpu"), "four", "must be an integer"),
    (("resources", "gpu"), True, "must be an integer"),
    (("resources", "memory"), 128, "must be a memory quantity"),
    (("resources", "memory"), "128GB", "must be a memory quantity"),
    (("resources", "cpu"), "lots", "CPU count"),
    (("resources", "cpu"), 0, "greater than 0"),
    (("resources", "gpu_share"), 3, "fraction of one GPU"),
    (("resources", "gpu_share"), "2", "needs a unit"),
    (("job", "name"), "Qwen_2", "DNS-1035"),
    (("job", "name"), "x" * 60, "at most 52"),
    (("job", "priority"), "urgent", "one of high, medium, low"),
    (("job", "epochs"), 0, ">= 1"),
    (("environment", "image"), "", "must not be empty"),
    (("environment", "command"), [1, {"a": 1}], "must be a string"),
    (("environment", "imagePullSecret"), "My Secret", "Secret name"),
    (("storage", "workdirs"), "/data", "must be a list"),
])
def test_wrong_types_give_path(training, path, value, fragment):
    doc = copy.deepcopy(training)
    doc[path[0]][path[1]] = value
    errs = errors_of(doc)
    key = ".".join(path)
    matches = [k for k in errs if k.startswith(key)]
    assert matches, errs
    assert any(fragment in errs[k] for k in matches), errs


def test_env_value_must_be_string(training):
    training["environment"]["env"][0]["value"] = 1
    errs = errors_of(training)
    assert "environment.env[0].value" in errs
    assert "quote it" in errs["environment.env[0].value"]


def test_workdir_relative_and_duplicate(training):
    training["storage"]["workdirs"][1]["path"] = "models"
    training["storage"]["workdirs"].append({"path": "/cache/models"})
    errs = errors_of(training)
    assert "absolute path" in errs["storage.workdirs[1].path"]


def test_duplicate_workdir_path(training):
    training["storage"]["workdirs"].append({"path": "/cache/models/"})
    errs = errors_of(training)
    assert "duplicates storage.workdirs[2].path" in errs["storage.workdirs[5].path"]


def test_missing_required_fields():
    errs = errors_of({"kind": "training", "job": {}, "environment": {}})
    assert errs["job.name"] == "is required"
    assert errs["environment.image"] == "is required"


def test_missing_kind_and_unknown_kind():
    assert "is required" in errors_of({"job": {"name": "a"}})["kind"]
    assert "must be one of" in errors_of({"kind": "trainning"})["kind"]


def test_version_must_be_v01(training):
    training["version"] = 0.1
    assert "v0.1" in errors_of(training)["version"]


def test_all_errors_are_collected(training):
    training["resources"]["gpu"] = -1
    training["job"]["priority"] = "top"
    training["extra"] = 1
    errs = errors_of(training)
    assert set(errs) == {"resources.gpu", "job.priority", "extra"}


def test_nodes_must_divide_gpus(training):
    training["resources"]["nodes"] = 3
    assert "divide evenly" in errors_of(training)["resources.nodes"]


def test_gpu_share_without_gpu(training):
    training["resources"]["gpu"] = 0
    assert "needs resources.gpu" in errors_of(training)["resources.gpu_share"]


def test_autoscaling_min_above_max():
    doc = load("inference-service.yaml")[0]
    doc["autoscaling"]["minReplicas"] = 20
    assert "must be <= autoscaling.maxReplicas" in errors_of(doc)["autoscaling.minReplicas"]


def test_bad_duration():
    doc = load("inference-service.yaml")[0]
    doc["autoscaling"]["scaleUpDelay"] = "soon"
    assert "duration" in errors_of(doc)["autoscaling.scaleUpDelay"]


def test_template_reference_must_exist():
    doc = load("inference-service.yaml")[0]
    doc["environment"]["args"][1] = "{{model.nam}}"
    assert "model.nam" in errors_of(doc)["environment.args[1]"]


def test_pool_nodes_list_and_bad_node():
    spec = validation.parse_spec({"kind": "resource", "pool": {"name": "p"}, "nodes": ["n1", "n2"]})
    assert spec["nodes"] == {"n1": {}, "n2": {}}
    errs = errors_of({"kind": "resource", "pool": {"name": "p"}, "nodes": {"Node_1": None, "n2": {"gpu": 1}}})
    assert "nodes.Node_1" in errs and "nodes.n2.gpu" in errs


def test_parse_documents_prefixes_source_and_index():
    docs = load("train-pool.yaml")
    docs[1]["pool"]["name"] = "Bad Pool"
    with pytest.raises(SpecError) as info:
        validation.parse_documents(docs, "train-pool.yaml")
    assert info.value.errors[0][0] == "train-pool.yaml#2: pool.name"


def test_non_mapping_documents():
    with pytest.raises(SpecError) as info:
        validation.parse_spec(["kind", "training"])
    assert "must be a mapping" in info.value.msg
    with pytest.raises(SpecError):
        validation.load_documents("", "empty.yaml")


def test_job_names_unique(training):
    spec = validation.parse_spec(training)
    with pytest.raises(SpecError) as info:
        validation.job_names_unique([spec, spec])
    assert "defined twice" in info.value.msg


@pytest.mark.parametrize("name", ["training-job.yaml", "inference-service.yaml", "notebook-job.yaml", "train-pool.yaml"])
def test_normalised_spec_parses_to_itself(name):
    for doc in load(name):
        once = validation.parse_spec(doc)
        assert validation.parse_spec(copy.deepcopy(once)) == once


def test_yaml_dump_roundtrip_of_seed(training):
    # what a user writes, re-serialised, parses to the same spec
    again = yaml.safe_load(yaml.safe_dump(training))
    assert validation.parse_spec(again) == validation.parse_spec(training)
