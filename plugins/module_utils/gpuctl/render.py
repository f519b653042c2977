# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Turn a validated gpuctl spec into Kubernetes manifests. Pure functions, no cluster.

training  -> PriorityClass (if priority) + Indexed Job (torchrun/DeepSpeed env), plus a headless Service
             when the job spans several pods (the pods find rank 0 by DNS; one pod talks to itself)
inference -> PriorityClass + Deployment + Service + HorizontalPodAutoscaler (DCGM metrics)
notebook  -> PriorityClass + Deployment + Service
resource  -> ConfigMap holding the pool definition (node labels are applied by gpuctl_pool)
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import json
import re

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import names
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.validation import gpu_share_limits, parse_spec

MASTER_PORT = 29500
SINGLE_POD_MASTER = "127.0.0.1"
PRIORITY_VALUES = {"high": 100000, "medium": 50000, "low": 10000}
DCGM_GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL"
# GPU memory used in % (seed: 显存利用率): used / (used + free) framebuffer, a custom metric that the
# prometheus-adapter rule of roles/gpuctl_cluster defines from DCGM_FI_DEV_FB_USED and DCGM_FI_DEV_FB_FREE
# (DCGM_FI_DEV_MEM_COPY_UTIL, used before, is memory bandwidth, not memory used)
DCGM_MEM_UTIL = "gpuctl_gpu_memory_used_percent"
MODEL_CACHE_ROOT = "/var/lib/gpuctl/model-cache"


def job_id(name, namespace):
    digest = hashlib.sha1(("%s/%s" % (namespace, name)).encode("utf-8")).hexdigest()[:5]
    return "%s-%s" % (name, digest)


def spec_name(spec):
    return spec["pool"]["name"] if spec["kind"] == "resource" else spec["job"]["name"]


def _labels(spec, namespace):
    name = spec["job"]["name"]
    labels = {names.LABEL_MANAGED_BY: names.MANAGED_BY, names.LABEL_JOB: name, names.LABEL_JOB_ID: job_id(name, namespace), names.LABEL_KIND: spec["kind"]}
    pool = (spec.get("resources") or {}).get("pool")
    if pool:
        labels[names.LABEL_POOL] = pool
    return labels


def _annotations(spec):
    ann = {names.ANNOTATION_SPEC: json.dumps(spec, sort_keys=True, separators=(",", ":"))}
    desc = spec["job"].get("description")
    if desc:
        ann[names.ANNOTATION_DESCRIPTION] = desc
    return ann


def _meta(spec, namespace, name=None, with_spec=True):
    meta = {"name": name or spec["job"]["name"], "namespace": namespace, "labels": _labels(spec, namespace)}
    if with_spec:
        meta["annotations"] = _annotations(spec)
    return meta


def _resources_block(res, gpus_per_pod):
    limits, requests = {}, {}
    if res.get("cpu") is not None:
        requests["cpu"] = limits["cpu"] = res["cpu"]
    if res.get("memory") is not None:
        requests["memory"] = limits["memory"] = res["memory"]
    if gpus_per_pod:
        limits[names.GPU_RESOURCE] = str(gpus_per_pod)
        share = gpu_share_limits(res.get("gpu_share"))
        if "memory_mib" in share:
            limits[names.HAMI_MEMORY] = str(share["memory_mib"])
        if "cores" in share:
            limits[names.HAMI_CORES] = str(share["cores"])
    out = {}
    if limits:
        out["limits"] = limits
    if requests:
        out["requests"] = requests
    return out


def _volumes(spec, name):
    volumes, mounts = [], []
    for i, wd in enumerate((spec.get("storage") or {}).get("workdirs") or []):
        vol = "workdir-%d" % i
        if wd.get("pvc"):
            volumes.append({"name": vol, "persistentVolumeClaim": {"claimName": wd["pvc"], "readOnly": bool(wd.get("read_only"))}})
        else:
            host = wd.get("host_path") or wd["path"]
            looks_like_file = bool(re.search(r"\.[A-Za-z0-9]{1,8}$", host.rsplit("/", 1)[-1]))
            volumes.append({"name": vol, "hostPath": {"path": host, "type": "File" if looks_like_file else "DirectoryOrCreate"}})
        mount = {"name": vol, "mountPath": wd["path"]}
        if wd.get("sub_path"):
            mount["subPath"] = wd["sub_path"]
        if wd.get("read_only"):
            mount["readOnly"] = True
        mounts.append(mount)
    model = spec.get("model") or {}
    if model.get("cache"):
        key = re.sub(r"[^A-Za-z0-9_.-]", "-", "%s-%s" % (model.get("name") or name, model.get("version") or "latest"))
        volumes.append({"name": "model-cache", "hostPath": {"path": "%s/%s" % (MODEL_CACHE_ROOT, key), "type": "DirectoryOrCreate"}})
        mounts.append({"name": "model-cache", "mountPath": "/model-cache"})
    return volumes, mounts


def _env(spec, extra):
    env = [{"name": "GPUCTL_JOB_NAME", "value": spec["job"]["name"]}, {"name": "GPUCTL_KIND", "value": spec["kind"]}]
    env.extend(extra)
    env.extend({"name": e["name"], "value": e.get("value", "")} for e in (spec["environment"].get("env") or []))
    return env


def _pod_spec(spec, container, volumes, pool_taint=False):
    res = spec.get("resources") or {}
    pod = {"containers": [container]}
    selector = {}
    if res.get("pool"):
        selector[names.LABEL_POOL] = res["pool"]
    if res.get("gpu-type"):
        selector[names.GPU_TYPE_LABEL] = res["gpu-type"]
    if selector:
        pod["nodeSelector"] = selector
    if spec["environment"].get("imagePullSecret"):
        pod["imagePullSecrets"] = [{"name": spec["environment"]["imagePullSecret"]}]
    if spec["job"].get("priority"):
        pod["priorityClassName"] = names.priority_class_name(spec["job"]["priority"])
    if volumes:
        pod["volumes"] = volumes
    tolerations = []
    if res.get("gpu"):
        tolerations.append({"key": names.GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"})
    if pool_taint and res.get("pool"):
        # the pool taints its nodes (exclusive pools): its own jobs tolerate exactly that taint
        tolerations.append({"key": names.LABEL_POOL, "operator": "Equal", "value": res["pool"], "effect": "NoSchedule"})
    if tolerations:
        pod["tolerations"] = tolerations
    return pod


def _container(spec, name, env, mounts, gpus_per_pod, ports=None):
    envb = spec["environment"]
    container = {"name": name, "image": envb["image"], "env": env,
                 "resources": _resources_block(spec.get("resources") or {}, gpus_per_pod)}
    if envb.get("command"):
        container["command"] = list(envb["command"])
    if envb.get("args"):
        container["args"] = list(envb["args"])
    if mounts:
        container["volumeMounts"] = mounts
    if ports:
        container["ports"] = ports
    return container


def priority_class(priority):
    """The cluster-wide PriorityClass of a job.priority (also created by role gpuctl_cluster)."""
    return _priority_class(priority)


def _priority_class(priority):
    return {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": names.priority_class_name(priority), "labels": {names.LABEL_MANAGED_BY: names.MANAGED_BY}},
            "value": PRIORITY_VALUES[priority], "globalDefault": False,
            "preemptionPolicy": "PreemptLowerPriority",
            "description": "gpuctl priority '%s'" % priority}


def render_training(spec, namespace, headless_service=None, pool_taint=False):
    """``headless_service``: None decides by pod count; True keeps the Service of a job created before
    one-pod jobs went without it (its Job template is immutable and still names the Service)."""
    name = spec["job"]["name"]
    res = spec.get("resources") or {}
    gpu = res.get("gpu") or 0
    nodes = res.get("nodes") or 1
    per_pod = gpu // nodes if gpu else 0
    procs = per_pod or 1
    world = procs * nodes
    # one pod: rank 0 is the pod itself, no DNS name (and so no Service) is needed
    distributed = nodes > 1 if headless_service is None else headless_service
    master = "%s-0.%s.%s.svc" % (name, name, namespace) if distributed else SINGLE_POD_MASTER
    rank_ref = {"fieldRef": {"fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}
    dist = [
        {"name": "MASTER_ADDR", "value": master}, {"name": "MASTER_PORT", "value": str(MASTER_PORT)},
        {"name": "WORLD_SIZE", "value": str(world)}, {"name": "NNODES", "value": str(nodes)},
        {"name": "NPROC_PER_NODE", "value": str(procs)}, {"name": "NODE_RANK", "valueFrom": rank_ref},
        {"name": "PET_MASTER_ADDR", "value": master}, {"name": "PET_MASTER_PORT", "value": str(MASTER_PORT)},
        {"name": "PET_NNODES", "value": str(nodes)}, {"name": "PET_NPROC_PER_NODE", "value": str(procs)},
        {"name": "PET_NODE_RANK", "valueFrom": rank_ref},
    ]
    job = spec["job"]
    if job.get("epochs"):
        dist.append({"name": "GPUCTL_EPOCHS", "value": str(job["epochs"])})
    if job.get("batch_size"):
        dist.append({"name": "GPUCTL_BATCH_SIZE", "value": str(job["batch_size"])})
        dist.append({"name": "GPUCTL_GLOBAL_BATCH_SIZE", "value": str(job["batch_size"] * world)})
    volumes, mounts = _volumes(spec, name)
    container = _container(spec, "trainer", _env(spec, dist), mounts, per_pod,
                           ports=[{"name": "master", "containerPort": MASTER_PORT, "protocol": "TCP"}])
    pod = _pod_spec(spec, container, volumes, pool_taint)
    pod["restartPolicy"] = "Never"
    if distributed:
        pod["subdomain"] = name
    labels = _labels(spec, namespace)
    out = []
    if job.get("priority"):
        out.append(_priority_class(job["priority"]))
    if distributed:
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": _meta(spec, namespace, with_spec=False),
                    "spec": {"clusterIP": "None", "publishNotReadyAddresses": True, "selector": {names.LABEL_JOB: name},
                             "ports": [{"name": "master", "port": MASTER_PORT, "targetPort": MASTER_PORT, "protocol": "TCP"}]}})
    out.append({"apiVersion": "batch/v1", "kind": "Job", "metadata": _meta(spec, namespace),
                "spec": {"completionMode": "Indexed", "completions": nodes, "parallelism": nodes,
                         "backoffLimit": 0,
                         "template": {"metadata": {"labels": labels}, "spec": pod}}})
    return out


def _health_probes(container, port, path):
    probe = {"httpGet": {"path": path, "port": port}, "periodSeconds": 10, "timeoutSeconds": 5}
    container["readinessProbe"] = dict(probe, initialDelaySeconds=10, failureThreshold=3)
    container["livenessProbe"] = dict(probe, initialDelaySeconds=60, failureThreshold=6,
                                      httpGet=dict(probe["httpGet"]))
    container["readinessProbe"]["httpGet"] = dict(probe["httpGet"])


def _command_port(command):
    for item in command or []:
        match = re.match(r"^--(?:port|ServerApp\.port|NotebookApp\.port)=(\d+)$", item)
        if match:
            return int(match.group(1))
    return None


def _deployment(spec, namespace, replicas, container, pod):
    name = spec["job"]["name"]
    labels = _labels(spec, namespace)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(spec, namespace),
            "spec": {"replicas": replicas, "selector": {"matchLabels": {names.LABEL_JOB: name}},
                     "template": {"metadata": {"labels": labels}, "spec": pod}}}


def _service(spec, namespace, port, target):
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(spec, namespace, with_spec=False),
            "spec": {"type": "ClusterIP", "selector": {names.LABEL_JOB: spec["job"]["name"]},
                     "ports": [{"name": "http", "port": port, "targetPort": target, "protocol": "TCP"}]}}


def render_inference(spec, namespace, pool_taint=False):
    name = spec["job"]["name"]
    res = spec.get("resources") or {}
    svc = spec.get("service") or {}
    port = svc.get("port") or 8000
    model = spec.get("model") or {}
    extra = []
    for key in ("source", "name", "version", "format"):
        if model.get(key) is not None:
            extra.append({"name": "MODEL_%s" % key.upper(), "value": str(model[key])})
    if model.get("cache"):
        extra += [{"name": "MODEL_CACHE_DIR", "value": "/model-cache"}, {"name": "HF_HOME", "value": "/model-cache"}]
    if svc.get("timeout") is not None:
        extra.append({"name": "GPUCTL_REQUEST_TIMEOUT_SECONDS", "value": str(svc["timeout"])})
    if svc.get("request_limit") is not None:
        extra.append({"name": "GPUCTL_REQUEST_LIMIT_PER_SECOND", "value": str(svc["request_limit"])})
    extra.append({"name": "PORT", "value": str(port)})
    volumes, mounts = _volumes(spec, name)
    container = _container(spec, "server", _env(spec, extra), mounts, res.get("gpu") or 0,
                           ports=[{"name": "http", "containerPort": port, "protocol": "TCP"}])
    if svc.get("health_check"):
        _health_probes(container, port, svc["health_check"])
    pod = _pod_spec(spec, container, volumes, pool_taint)
    auto = spec.get("autoscaling") or {}
    replicas = svc.get("replicas", 1)
    out = []
    if spec["job"].get("priority"):
        out.append(_priority_class(spec["job"]["priority"]))
    out.append(_deployment(spec, namespace, replicas, container, pod))
    out.append(_service(spec, namespace, port, port))
    if auto.get("enabled"):
        metrics = []
        if auto.get("targetGPUUtilization"):
            metrics.append({"type": "Pods", "pods": {"metric": {"name": DCGM_GPU_UTIL},
                                                     "target": {"type": "AverageValue", "averageValue": str(auto["targetGPUUtilization"])}}})
        if auto.get("targetMemoryUtilization"):
            metrics.append({"type": "Pods", "pods": {"metric": {"name": DCGM_MEM_UTIL},
                                                     "target": {"type": "AverageValue", "averageValue": str(auto["targetMemoryUtilization"])}}})
        min_r = auto.get("minReplicas", 1)
        hpa = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": _meta(spec, namespace, with_spec=False),
               "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
                        "minReplicas": min_r, "maxReplicas": auto.get("maxReplicas", max(min_r, replicas or 1)),
                        "metrics": metrics}}
        behavior = {}
        if auto.get("scaleUpDelay") is not None:
            behavior["scaleUp"] = {"stabilizationWindowSeconds": min(auto["scaleUpDelay"], 3600)}
        if auto.get("scaleDownDelay") is not None:
            behavior["scaleDown"] = {"stabilizationWindowSeconds": min(auto["scaleDownDelay"], 3600)}
        if behavior:
            hpa["spec"]["behavior"] = behavior
        out.append(hpa)
    return out


def render_notebook(spec, namespace, pool_taint=False):
    name = spec["job"]["name"]
    res = spec.get("resources") or {}
    port = (spec.get("service") or {}).get("port") or 8888
    target = _command_port(spec["environment"].get("command")) or port
    volumes, mounts = _volumes(spec, name)
    extra = [{"name": "NOTEBOOK_PORT", "value": str(target)}]
    workdirs = (spec.get("storage") or {}).get("workdirs") or []
    if workdirs:
        extra.append({"name": "NOTEBOOK_WORKDIR", "value": workdirs[0]["path"]})
    container = _container(spec, "notebook", _env(spec, extra), mounts, res.get("gpu") or 0,
                           ports=[{"name": "http", "containerPort": target, "protocol": "TCP"}])
    if workdirs:
        container["workingDir"] = workdirs[0]["path"]
    pod = _pod_spec(spec, container, volumes, pool_taint)
    out = []
    if spec["job"].get("priority"):
        out.append(_priority_class(spec["job"]["priority"]))
    dep = _deployment(spec, namespace, 1, container, pod)
    dep["spec"]["strategy"] = {"type": "Recreate"}
    out.append(dep)
    out.append(_service(spec, namespace, port, target))
    return out


def render_pool(spec, namespace):
    pool = spec["pool"]
    data = {"name": pool["name"], "description": pool.get("description") or "",
            "nodes": json.dumps(spec.get("nodes") or {}, sort_keys=True),
            "quota": json.dumps(spec.get("quota") or {}, sort_keys=True),
            "spec": json.dumps(spec, sort_keys=True, separators=(",", ":"))}
    return [{"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": names.pool_configmap_name(pool["name"]), "namespace": namespace,
                          "labels": {names.LABEL_MANAGED_BY: names.MANAGED_BY, names.LABEL_TYPE: "pool", names.LABEL_POOL: pool["name"]}},
             "data": data}]


RENDERERS = {"training": render_training, "inference": render_inference,
             "notebook": render_notebook, "resource": render_pool}


def render(spec, namespace="default", validated=False, headless_service=None, pool_taint=False):
    """Validate (unless already) and render one spec; returns a list of manifests.

    ``pool_taint``: the job's pool taints its nodes (``exclusive``/``taintNodes``), so pods tolerate it.
    """
    if not validated:
        spec = parse_spec(spec)
    if spec["kind"] == "training":
        return render_training(spec, namespace, headless_service, pool_taint)
    if spec["kind"] == "resource":
        return render_pool(spec, namespace)
    return RENDERERS[spec["kind"]](spec, namespace, pool_taint)
