# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rendering: seed examples become manifests that validate against the Kubernetes schemas."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import kubernetes_validate
import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import SpecError

FIXTURES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "gpuctl"))
K8S_VERSION = kubernetes_validate.latest_version()
SEED_FILES = ["training-job.yaml", "inference-service.yaml", "notebook-job.yaml", "train-pool.yaml"]


def specs(name):
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return validation.parse_documents(validation.load_documents(handle.read(), name), name)


def by_kind(manifests):
    out = {}
    for m in manifests:
        out.setdefault(m["kind"], m)
    return out


def env_of(container):
    return dict((e["name"], e.get("value", e.get("valueFrom"))) for e in container["env"])


def validate(manifest):
    kubernetes_validate.validate(manifest, K8S_VERSION, strict=True)


@pytest.mark.parametrize("name", SEED_FILES)
def test_seed_examples_validate_against_kubernetes_schema(name):
    count = 0
    for spec in specs(name):
        for manifest in render.render(spec, "ml", validated=True):
            validate(manifest)
            count += 1
    assert count >= 1


def test_validator_really_rejects_bad_manifests():
    manifest = render.render(specs("training-job.yaml")[0], validated=True)[-1]
    manifest["spec"]["parallelism"] = "four"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(manifest)
    manifest["spec"]["parallelism"] = 1
    manifest["spec"]["bogus"] = 1
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(manifest)


def test_single_pod_training_needs_no_service():
    """Issue 14: a one-pod job reaches rank 0 on itself; the headless Service only serves multi-pod DNS."""
    out = by_kind(render.render(specs("training-job.yaml")[0], "ml", validated=True))
    assert set(out) == {"PriorityClass", "Job"}
    pod = out["Job"]["spec"]["template"]["spec"]
    assert "subdomain" not in pod
    env = env_of(pod["containers"][0])
    assert env["MASTER_ADDR"] == env["PET_MASTER_ADDR"] == "127.0.0.1"
    assert env["WORLD_SIZE"] == "4" and env["NNODES"] == "1" and env["NPROC_PER_NODE"] == "4"
    for manifest in out.values():
        validate(manifest)


def test_training_is_distributed_indexed_job():
    spec = specs("training-job.yaml")[0]
    spec["resources"]["nodes"] = 2
    out = by_kind(render.render(spec, "ml", validated=True))
    assert set(out) == {"PriorityClass", "Service", "Job"}
    job = out["Job"]
    assert job["spec"]["completionMode"] == "Indexed"
    assert job["spec"]["parallelism"] == job["spec"]["completions"] == 2
    pod = job["spec"]["template"]["spec"]
    assert pod["subdomain"] == out["Service"]["metadata"]["name"] == "qwen2-7b-llamafactory-sft"
    assert out["Service"]["spec"]["clusterIP"] == "None"
    container = pod["containers"][0]
    env = env_of(container)
    assert env["MASTER_ADDR"] == "qwen2-7b-llamafactory-sft-0.qwen2-7b-llamafactory-sft.ml.svc"
    assert env["MASTER_PORT"] == "29500"
    assert env["WORLD_SIZE"] == "4" and env["NNODES"] == "2" and env["NPROC_PER_NODE"] == "2"
    assert "job-completion-index" in env["NODE_RANK"]["fieldRef"]["fieldPath"]
    assert env["GPUCTL_GLOBAL_BATCH_SIZE"] == "32"
    assert env["NVIDIA_FLASH_ATTENTION"] == "1"
    limits = container["resources"]["limits"]
    assert limits["nvidia.com/gpu"] == "2"
    assert limits["nvidia.com/gpumem"] == "2048"
    assert limits["cpu"] == "32" and limits["memory"] == "128Gi"
    assert pod["nodeSelector"] == {"gpuctl/pool": "training-pool"}
    assert pod["priorityClassName"] == "gpuctl-high"
    assert pod["imagePullSecrets"] == [{"name": "my-secret"}]
    assert container["command"][0] == "llama-factory-cli"
    mounts = dict((m["mountPath"], m["name"]) for m in container["volumeMounts"])
    assert set(mounts) == {"/datasets/alpaca-qwen.json", "/models/qwen2-7b", "/cache/models", "/output/qwen2-sft", "/output/qwen2-sft/checkpoints"}
    vols = dict((v["name"], v) for v in pod["volumes"])
    assert vols[mounts["/datasets/alpaca-qwen.json"]]["hostPath"]["type"] == "File"
    assert vols[mounts["/models/qwen2-7b"]]["hostPath"]["type"] == "DirectoryOrCreate"
    assert out["PriorityClass"]["value"] == render.PRIORITY_VALUES["high"]


def test_labels_and_job_id_are_stable():
    spec = specs("training-job.yaml")[0]
    first = render.render(spec, "ml", validated=True)
    again = render.render(spec, "ml", validated=True)
    assert first == again
    labels = by_kind(first)["Job"]["metadata"]["labels"]
    assert labels["gpuctl/job-id"] == render.job_id("qwen2-7b-llamafactory-sft", "ml")
    assert labels["gpuctl/pool"] == "training-pool" and labels["gpuctl/kind"] == "training"
    stored = json.loads(by_kind(first)["Job"]["metadata"]["annotations"]["gpuctl/spec"])
    assert stored == json.loads(json.dumps(spec))
    assert render.job_id("a", "ns1") != render.job_id("a", "ns2")


def test_inference_deployment_service_hpa():
    out = by_kind(render.render(specs("inference-service.yaml")[0], "ml", validated=True))
    assert set(out) == {"PriorityClass", "Deployment", "Service", "HorizontalPodAutoscaler"}
    dep = out["Deployment"]
    assert dep["spec"]["replicas"] == 2
    pod = dep["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"gpuctl/pool": "inference-pool", "nvidia.com/gpu-type": "a10-24g"}
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"] == {"path": "/health", "port": 8000}
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["args"][:2] == ["--model", "llama3-8b"]
    assert container["resources"]["limits"]["nvidia.com/gpucores"] == "100"
    env = env_of(container)
    assert env["MODEL_NAME"] == "llama3-8b" and env["MODEL_CACHE_DIR"] == "/model-cache"
    assert any(v["name"] == "model-cache" for v in pod["volumes"])
    hpa = out["HorizontalPodAutoscaler"]["spec"]
    assert hpa["minReplicas"] == 1 and hpa["maxReplicas"] == 10
    metrics = dict((m["pods"]["metric"]["name"], m["pods"]["target"]["averageValue"]) for m in hpa["metrics"])
    # issue 13: targetMemoryUtilization is GPU memory used (FB used / (used + free), the adapter rule's metric),
    # no longer DCGM_FI_DEV_MEM_COPY_UTIL (memory bandwidth)
    assert metrics == {"DCGM_FI_DEV_GPU_UTIL": "70", "gpuctl_gpu_memory_used_percent": "85"}
    assert hpa["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 60
    assert hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    assert out["Service"]["spec"]["ports"][0]["port"] == 8000


def test_inference_without_autoscaling_has_no_hpa():
    spec = specs("inference-service.yaml")[0]
    spec["autoscaling"]["enabled"] = False
    assert "HorizontalPodAutoscaler" not in by_kind(render.render(spec, validated=True))


def test_notebook_targets_the_port_in_its_command():
    out = by_kind(render.render(specs("notebook-job.yaml")[0], "ml", validated=True))
    assert set(out) == {"Deployment", "Service"}
    port = out["Service"]["spec"]["ports"][0]
    assert port["port"] == 8000 and port["targetPort"] == 8888
    container = out["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert container["workingDir"] == "/home/jovyan/work"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"


def test_pool_configmap():
    pool = specs("train-pool.yaml")[0]
    (cm,) = render.render(pool, "gpuctl-system", validated=True)
    assert cm["kind"] == "ConfigMap" and cm["metadata"]["name"] == "gpuctl-pool-train-pool"
    assert json.loads(cm["data"]["spec"])["pool"]["name"] == "train-pool"


def test_render_validates_unparsed_input():
    with pytest.raises(SpecError):
        render.render({"kind": "training", "job": {"name": "x"}, "environment": {"image": "i"}, "resources": {"gpu": -1}})


@pytest.mark.parametrize("gpu, pool_quota, existing, error_path", [
    (4, {"maxGpuPerJob": 8, "maxJobs": 10}, 0, None),
    (9, {"maxGpuPerJob": 8}, 0, "resources.gpu"),
    (1, {"maxJobs": 2}, 2, "resources.pool"),
])
def test_quota(gpu, pool_quota, existing, error_path):
    spec = specs("training-job.yaml")[0]
    spec["resources"]["gpu"] = gpu
    pool = {"kind": "resource", "pool": {"name": "training-pool"}, "quota": pool_quota}
    if error_path is None:
        validation.check_quota(spec, pool, existing)
        return
    with pytest.raises(SpecError) as info:
        validation.check_quota(spec, pool, existing)
    assert info.value.errors[0][0] == error_path


def test_quota_pool_missing():
    with pytest.raises(SpecError) as info:
        validation.check_quota(specs("training-job.yaml")[0], None)
    assert info.value.errors == [("resources.pool", "pool 'training-pool' does not exist")]


def test_minimal_specs_validate():
    for doc in ({"kind": "training", "job": {"name": "t"}, "environment": {"image": "busybox"}},
                {"kind": "inference", "job": {"name": "i"}, "environment": {"image": "busybox"}},
                {"kind": "notebook", "job": {"name": "n"}, "environment": {"image": "busybox"}},
                {"kind": "resource", "pool": {"name": "p"}}):
        for manifest in render.render(doc):
            validate(manifest)
