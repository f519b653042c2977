# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Submit, pause, resume, delete and inspect gpuctl jobs on a cluster."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import re
import time

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import apply as A
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render as R
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import status as S
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import ApiError, GpuctlError, SpecError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.pools import load_pool

try:
    import yaml
except ImportError:  # pragma: no cover
    yaml = None

WORKLOAD_KINDS = ("Job", "Deployment")
OWNED_KINDS = ("Job", "Deployment", "Service", "HorizontalPodAutoscaler")


class JobManager(object):
    def __init__(self, client, namespace="default", pool_namespace="gpuctl-system", check_mode=False):
        self.client = client
        self.namespace = namespace
        self.pool_namespace = pool_namespace
        self.check_mode = check_mode
        self._pools = {}
        self._pool_counts = {}
        self._known = {}
        self.warnings = []
        self._namespace_checked = False
        self._cache = None
        self._planned_pcs = set()

    def prefetch(self):
        """List this namespace's gpuctl objects once (4 requests) instead of several GETs per job.

        Worth it when a task handles many jobs. Objects of the same name that gpuctl did not create are
        not listed; creating over them fails with the server's 409 AlreadyExists.
        """
        self._cache = {}
        for kind in OWNED_KINDS:
            for obj in self.client.list(kind, self.namespace, label_selector=R.L_JOB):
                obj.setdefault("kind", kind)
                self._cache[A.ref(obj)] = obj

    # ------------------------------------------------------------ quota
    def _pool(self, name):
        if name not in self._pools:
            self._pools[name] = load_pool(self.client, name, self.pool_namespace)
        return self._pools[name]

    def _jobs_in_pool(self, pool):
        if pool not in self._pool_counts:
            names = set()
            for kind in WORKLOAD_KINDS:
                for obj in self.client.list(kind, None, label_selector="%s=%s,%s" % (R.L_POOL, pool, R.L_JOB)):
                    if S.workload_status(obj) not in ("succeeded", "failed"):
                        names.add((obj["metadata"].get("namespace"), obj["metadata"]["name"]))
            self._pool_counts[pool] = names
        return self._pool_counts[pool]

    def check_quota(self, spec, label=None):
        pool = (spec.get("resources") or {}).get("pool")
        if not pool:
            return
        pool_def = self._pool(pool)
        if pool_def is None and self.check_mode:
            # an earlier task of the same check-mode run may be the one creating the pool
            self.warnings.append("%sresources.pool: pool '%s' does not exist (yet); a real run fails unless it is created first"
                                 % ("%s: " % label if label else "", pool))
            return
        existing = 0
        if pool_def is not None and (pool_def.get("quota") or {}).get("maxJobs") is not None:
            others = self._jobs_in_pool(pool) - {(self.namespace, spec["job"]["name"])}
            existing = len(others)
        R.check_quota(spec, pool_def, existing, path_prefix=label)

    def _count_new(self, spec):
        pool = (spec.get("resources") or {}).get("pool")
        if pool and pool in self._pool_counts:
            self._pool_counts[pool].add((self.namespace, spec["job"]["name"]))

    # ------------------------------------------------------------ lookups
    def _get(self, manifest):
        meta = manifest["metadata"]
        if manifest["kind"] == "PriorityClass" and meta["name"] in self._known:
            return self._known[meta["name"]]
        if self._cache is not None and manifest["kind"] in OWNED_KINDS:
            return self._cache.get(A.ref(manifest))
        live = self.client.get(manifest["kind"], meta["name"], meta.get("namespace"))
        if manifest["kind"] == "PriorityClass":
            self._known[meta["name"]] = live  # also "absent": planned once, created by the first job's apply
        return live

    def find(self, name):
        """The live workload (Job or Deployment) of job ``name`` or job id, or None."""
        for kind in WORKLOAD_KINDS:
            obj = self.client.get(kind, name, self.namespace)
            if obj is not None and S.labels_of(obj).get(R.L_MANAGED) == R.MANAGED_BY:
                return obj
        for kind in WORKLOAD_KINDS:
            found = self.client.list(kind, self.namespace, label_selector="%s=%s" % (R.L_JOB_ID, name))
            if found:
                return found[0]
        return None

    # ------------------------------------------------------------ state changes
    def _ensure_namespace(self):
        """Create the jobs' namespace once per task when it is missing (engineers should not need to)."""
        if self._namespace_checked:
            return []
        self._namespace_checked = True
        if self.client.get("Namespace", self.namespace) is not None:
            return []
        change = A.Change("create", {"apiVersion": "v1", "kind": "Namespace",
                                     "metadata": {"name": self.namespace, "labels": {R.L_MANAGED: R.MANAGED_BY}}}, None)
        A.execute(self.client, change, self.check_mode)
        return [change]

    def _desired(self, manifests, lives, state):
        """Adjust rendered manifests for pause/resume; never fight an HPA or a paused deployment."""
        out = []
        for manifest in manifests:
            desired = copy.deepcopy(manifest)
            live = lives.get(A.ref(manifest))
            if desired["kind"] == "Job":
                if state == "paused":
                    desired["spec"]["suspend"] = True
                elif state == "resumed":
                    desired["spec"]["suspend"] = False
            elif desired["kind"] == "Deployment":
                ann = desired["metadata"].setdefault("annotations", {})
                live_ann = ((live or {}).get("metadata") or {}).get("annotations") or {}
                has_hpa = any(m["kind"] == "HorizontalPodAutoscaler" for m in manifests)
                if state == "paused":
                    if live_ann.get(R.A_PAUSED):
                        ann[R.A_PAUSED] = live_ann[R.A_PAUSED]
                    else:
                        before = (live or {}).get("spec", {}).get("replicas", desired["spec"]["replicas"])
                        ann[R.A_PAUSED] = str(before or desired["spec"]["replicas"] or 1)
                    desired["spec"]["replicas"] = 0
                elif state == "resumed":
                    saved = live_ann.get(R.A_PAUSED)
                    if saved:
                        desired["spec"]["replicas"] = int(saved)
                    ann[R.A_PAUSED] = None
                    if live and not saved and has_hpa:
                        desired["spec"].pop("replicas")
                else:
                    if live_ann.get(R.A_PAUSED) or (live and has_hpa):
                        desired["spec"].pop("replicas")
            out.append(desired)
        return out

    def _stale(self, name, keep):
        """Objects of this job no longer rendered (e.g. autoscaling switched off)."""
        stale = []
        if self._cache is not None:
            owned = [o for o in self._cache.values() if S.labels_of(o).get(R.L_JOB) == name]
        else:
            owned = []
            for kind in OWNED_KINDS:
                for obj in self.client.list(kind, self.namespace, label_selector="%s=%s" % (R.L_JOB, name)):
                    obj.setdefault("kind", kind)
                    owned.append(obj)
        for obj in owned:
            if A.ref(obj) not in keep and S.labels_of(obj).get(R.L_MANAGED) == R.MANAGED_BY:
                stale.append(A.Change("delete", None, obj))
        return stale

    def ensure(self, spec, state="present", force=False, label=None):
        """Bring one job to ``state`` (present, paused, resumed). Returns a result dict."""
        return self.apply(self.plan(spec, state, force, label))

    def plan(self, spec, state="present", force=False, label=None):
        """Read, validate against quotas and plan one job without writing anything.

        Plan every job of a task first, then apply: an impossible request in the last
        document fails before the first one is sent.
        """
        if spec["kind"] == "resource":
            raise SpecError([("kind", "'resource' specs are pools; use gpufleet.ops.gpuctl_pool")], prefix=label)
        name = spec["job"]["name"]
        manifests = R.render(spec, self.namespace, validated=True)
        workload_ref = [A.ref(m) for m in manifests if m["kind"] in WORKLOAD_KINDS][0]
        lives = {}
        for manifest in manifests:
            lives[A.ref(manifest)] = self._get(manifest)
        exists = lives[workload_ref] is not None
        if not exists and state == "present" or not exists and state == "paused":
            self.check_quota(spec, label)
        elif not exists and state == "resumed":
            raise GpuctlError("cannot resume job '%s' in namespace %s: it does not exist" % (name, self.namespace))
        desired = self._desired(manifests, lives, state)
        changes = []
        for manifest in desired:
            live = lives[A.ref(manifest)]
            if manifest["kind"] == "PriorityClass":
                pc_name = manifest["metadata"]["name"]
                if live is not None or pc_name in self._planned_pcs:
                    changes.append(A.Change("none", manifest, live or manifest))  # shared by many jobs: create only
                    continue
                self._planned_pcs.add(pc_name)
            changes.append(A.plan(manifest, live, force=force))
        if exists:
            changes.extend(self._stale(name, set(lives)))
        if not exists:
            self._count_new(spec)
        return {"spec": spec, "state": state, "force": force, "name": name, "exists": exists, "changes": changes,
                "desired": desired, "manifests": manifests, "workload_ref": workload_ref}

    def apply(self, planned):
        """Execute a plan from ``plan`` (nothing is written in check mode)."""
        spec, state, force, name = planned["spec"], planned["state"], planned["force"], planned["name"]
        exists, changes, workload_ref = planned["exists"], planned["changes"], planned["workload_ref"]
        desired, manifests = planned["desired"], planned["manifests"]
        done = self._ensure_namespace() if not exists else []
        result_objs = {}
        for change in changes:
            obj = A.execute(self.client, change, self.check_mode, grace_period=0 if force else None)
            if change.desired is not None and change.desired["kind"] == "PriorityClass" and obj is not None:
                self._known[change.desired["metadata"]["name"]] = obj
            result_objs[change.ref] = obj
        changes = done + changes
        changed = any(c.changed for c in changes)
        workload = result_objs.get(workload_ref) or desired[[A.ref(m) for m in manifests].index(workload_ref)]
        summary = S.job_summary(workload)
        if self.check_mode and not exists:
            summary["status"] = "paused" if state == "paused" else "pending"
        return {"job_id": R.job_id(name, self.namespace), "name": name, "kind": spec["kind"], "namespace": self.namespace,
                "pool": (spec.get("resources") or {}).get("pool"), "status": summary["status"], "changed": changed,
                "created_at": summary["created_at"],
                "actions": dict((c.ref, c.action) for c in changes),
                "message": _message(spec, state, changed, exists),
                "_changes": changes, "_workload_ref": workload_ref}

    def absent(self, name, kind=None, force=False):
        """Delete every object of job ``name`` (or job id). ``force`` deletes with grace period 0."""
        changes = []
        workload = self.find(name)
        if workload is not None:
            name = S.labels_of(workload).get(R.L_JOB) or name
        for k in OWNED_KINDS:
            for obj in self.client.list(k, self.namespace, label_selector="%s=%s" % (R.L_JOB, name)):
                obj.setdefault("kind", k)
                if S.labels_of(obj).get(R.L_MANAGED) == R.MANAGED_BY:
                    changes.append(A.Change("delete", None, obj))
        if force and changes:
            # the garbage collector would give pods their own grace period; --force means now
            for pod in self.client.list("Pod", self.namespace, label_selector="%s=%s" % (R.L_JOB, name)):
                pod.setdefault("kind", "Pod")
                changes.append(A.Change("delete", None, pod))
        for change in changes:
            A.execute(self.client, change, self.check_mode, grace_period=0 if force else None)
        changed = bool(changes)
        return {"job_id": R.job_id(name, self.namespace), "name": name, "namespace": self.namespace,
                "kind": S.labels_of(workload).get(R.L_KIND) if workload else kind,
                "status": "terminating" if changed else "absent", "changed": changed,
                "actions": dict((c.ref, "delete") for c in changes),
                "message": ("job deleted%s" % (" immediately (grace period 0)" if force else "")) if changed else "job does not exist",
                "_changes": changes}

    def set_paused_by_name(self, name, paused):
        """Pause or resume an existing job found by name or job id (no spec needed)."""
        workload = self.find(name)
        if workload is None:
            raise GpuctlError("job '%s' not found in namespace %s" % (name, self.namespace))
        spec = S.stored_spec(workload)
        if not spec:
            raise GpuctlError("%s has no gpuctl spec annotation (%s); it was not created by gpuctl" % (A.ref(workload), R.A_SPEC))
        return self.ensure(spec, "paused" if paused else "resumed")

    # ------------------------------------------------------------ waiting
    def wait(self, result, wait_for="ready", timeout=300, sleep=1.0):
        """Poll until the job is running/ready (or completed). Raises on failure or timeout."""
        if self.check_mode:
            return result
        kind, name = result["_workload_ref"].split("/")[0], result["name"]
        deadline = time.time() + timeout
        last = None
        while True:
            obj = self.client.get(kind, name, self.namespace)
            if obj is None:
                raise GpuctlError("%s disappeared while waiting" % result["_workload_ref"])
            status = S.workload_status(obj)
            last = status
            if status == "failed":
                raise GpuctlError("job '%s' failed while waiting: %s" % (name, _conditions_text(obj)), job_id=result["job_id"], status=status)
            if status == "succeeded" or status == "paused":
                break
            if status == "running" and _fully_ready(obj) and (wait_for == "ready" or kind != "Job"):
                break
            if time.time() >= deadline:
                raise GpuctlError("timed out after %ss waiting for job '%s' to be %s (status: %s)" % (timeout, name, wait_for, status),
                                  job_id=result["job_id"], status=status)
            time.sleep(sleep)
        result["status"] = last
        return result


def _fully_ready(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if obj["kind"] == "Job":
        return (status.get("ready") or 0) >= (spec.get("parallelism") or 1)
    return (status.get("availableReplicas") or 0) >= (spec.get("replicas") or 0)


def _conditions_text(obj):
    conds = (obj.get("status") or {}).get("conditions") or []
    parts = []
    for cond in conds:
        why = ": ".join(x for x in (cond.get("reason"), cond.get("message")) if x)
        parts.append("%s=%s%s" % (cond.get("type"), cond.get("status"), " (%s)" % why if why else ""))
    return "; ".join(parts) or "no conditions"


def _message(spec, state, changed, existed):
    pool = (spec.get("resources") or {}).get("pool")
    where = " to pool %s" % pool if pool else ""
    if not changed:
        return "job is already %s" % state
    if state == "paused":
        return "job paused; its definition is kept"
    if state == "resumed":
        return "job resumed"
    return ("job updated" if existed else "job submitted%s" % where)


# ------------------------------------------------------------ info
class JobInfo(object):
    def __init__(self, client, namespace=None):
        self.client = client
        self.namespace = namespace

    def _pods(self, namespace, name):
        return self.client.list("Pod", namespace, label_selector="%s=%s" % (R.L_JOB, name))

    def list(self, kind=None, pool=None, status=None, page=1, page_size=20):
        selector = [R.L_JOB, "%s=%s" % (R.L_MANAGED, R.MANAGED_BY)]
        if kind:
            selector.append("%s=%s" % (R.L_KIND, kind))
        if pool:
            selector.append("%s=%s" % (R.L_POOL, pool))
        workloads = []
        for k in WORKLOAD_KINDS:
            workloads.extend(self.client.list(k, self.namespace, label_selector=",".join(selector)))
        pods = self.client.list("Pod", self.namespace, label_selector=R.L_JOB)
        by_job = {}
        for pod in pods:
            by_job.setdefault((pod["metadata"].get("namespace"), S.labels_of(pod).get(R.L_JOB)), []).append(pod)
        items = [S.job_summary(w, by_job.get((w["metadata"].get("namespace"), S.labels_of(w).get(R.L_JOB)), [])) for w in workloads]
        if status:
            items = [i for i in items if i["status"] == status]
        items.sort(key=lambda i: (i["namespace"] or "", i["name"]))
        total = len(items)
        start = (page - 1) * page_size
        return {"total": total, "page": page, "page_size": page_size, "items": items[start:start + page_size]}

    def _find(self, name):
        if self.namespace:
            obj = JobManager(self.client, self.namespace).find(name)
            if obj is None:
                raise GpuctlError("job '%s' not found in namespace %s" % (name, self.namespace), status=404)
            return obj
        found = {}
        for kind in WORKLOAD_KINDS:
            for label in (R.L_JOB, R.L_JOB_ID):
                for obj in self.client.list(kind, None, label_selector="%s=%s" % (label, name)):
                    obj.setdefault("kind", kind)
                    found[A.ref(obj)] = obj
        if not found:
            raise GpuctlError("job '%s' not found in any namespace" % name, status=404)
        if len(found) > 1:
            raise GpuctlError("job name '%s' exists in several namespaces (%s); give namespace or the job id"
                              % (name, ", ".join(sorted(found))))
        return list(found.values())[0]

    def describe(self, name, events=True):
        obj = self._find(name)
        ns = obj["metadata"].get("namespace")
        job_name = S.labels_of(obj).get(R.L_JOB) or obj["metadata"]["name"]
        pods = self._pods(ns, job_name)
        spec = S.stored_spec(obj)
        res = spec.get("resources") or {}
        out = S.job_summary(obj, pods)
        out.update({
            "version": spec.get("version"),
            "description": (spec.get("job") or {}).get("description"),
            "yaml_content": yaml.safe_dump(spec, sort_keys=False, allow_unicode=True) if yaml and spec else None,
            "spec": spec,
            "resources": {"gpu": res.get("gpu") or 0, "gpu_type": res.get("gpu-type"), "cpu": res.get("cpu"),
                          "memory": res.get("memory"), "gpu_share": res.get("gpu_share")},
            "conditions": (obj.get("status") or {}).get("conditions") or [],
            "workload_status": obj.get("status") or {},
            "pods": [{"name": p["metadata"]["name"], "phase": (p.get("status") or {}).get("phase"),
                      "node": (p.get("spec") or {}).get("nodeName"),
                      "ready": all(cs.get("ready") for cs in (p.get("status") or {}).get("containerStatuses") or [{}]),
                      "restarts": sum(cs.get("restartCount", 0) for cs in (p.get("status") or {}).get("containerStatuses") or []),
                      "started_at": (p.get("status") or {}).get("startTime"), "gpu": S.pod_gpus(p)} for p in pods],
            "k8s_resources": {"kind": obj["kind"], "name": obj["metadata"]["name"], "namespace": ns,
                              "pods": [p["metadata"]["name"] for p in pods]},
            "metrics": self._metrics(ns, job_name),
        })
        if spec.get("kind") in ("inference", "notebook"):
            port = (spec.get("service") or {}).get("port") or (8000 if spec.get("kind") == "inference" else 8888)
            out["endpoint"] = "http://%s.%s.svc:%s" % (job_name, ns, port)
        if events:
            names = set([obj["metadata"]["name"]] + [p["metadata"]["name"] for p in pods])
            evs = [e for e in self.client.list("Event", ns) if (e.get("involvedObject") or {}).get("name") in names]
            evs.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
            out["events"] = [{"type": e.get("type"), "reason": e.get("reason"), "message": e.get("message"),
                              "object": "%s/%s" % ((e.get("involvedObject") or {}).get("kind"), (e.get("involvedObject") or {}).get("name")),
                              "count": e.get("count"), "last_timestamp": e.get("lastTimestamp") or e.get("eventTime")} for e in evs]
        return out

    def _metrics(self, namespace, job_name):
        """CPU and memory use of the job's pods from metrics.k8s.io, when the cluster serves it."""
        try:
            items = self.client.list("PodMetrics", namespace, label_selector="%s=%s" % (R.L_JOB, job_name))
        except ApiError as exc:
            if exc.status in (404, 503):
                return {"available": False, "reason": "metrics.k8s.io is not served by this cluster (HTTP %s)" % exc.status}
            raise
        pods, cpu, mem = {}, 0.0, 0.0
        for item in items:
            pcpu = sum(S.quantity(c.get("usage", {}).get("cpu", "0")) for c in item.get("containers") or [])
            pmem = sum(S.quantity(c.get("usage", {}).get("memory", "0")) for c in item.get("containers") or [])
            pods[item["metadata"]["name"]] = {"cpu": round(pcpu, 3), "memory": S.fmt_mem(pmem)}
            cpu += pcpu
            mem += pmem
        return {"available": True, "source": "metrics.k8s.io", "cpu_usage": round(cpu, 3), "memory_usage": S.fmt_mem(mem),
                "pods": pods, "gpu_utilization": None}

    def logs(self, name, tail=100, keyword=None, pod=None, container=None):
        obj = self._find(name)
        ns = obj["metadata"].get("namespace")
        job_name = S.labels_of(obj).get(R.L_JOB) or obj["metadata"]["name"]
        pods = self._pods(ns, job_name)
        names = [p["metadata"]["name"] for p in pods]
        if pod:
            if pod not in names:
                raise GpuctlError("pod '%s' is not a pod of job '%s' (pods: %s)" % (pod, job_name, ", ".join(names) or "none"))
            names = [pod]
        if not names:
            raise GpuctlError("job '%s' has no pods yet (status: %s)" % (job_name, S.workload_status(obj)))
        pattern = re.compile(re.escape(keyword), re.I) if keyword else None
        lines, per_pod, errors = [], {}, {}
        for pname in names:
            try:
                text = self.client.logs(pname, ns, tail=tail, container=container)
            except ApiError as exc:
                errors[pname] = exc.msg
                continue
            got = [line for line in text.splitlines() if not pattern or pattern.search(line)]
            per_pod[pname] = got
            lines.extend(("[%s] %s" % (pname, line)) if len(names) > 1 else line for line in got)
        if errors and not per_pod:
            raise GpuctlError("could not read logs of job '%s': %s" % (job_name, "; ".join("%s: %s" % kv for kv in errors.items())))
        last = None
        for line in reversed(lines):
            match = re.search(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\dZ?", line)
            if match:
                last = match.group(0)
                break
        return {"job_id": S.labels_of(obj).get(R.L_JOB_ID), "name": job_name, "pods": names, "logs": lines,
                "pod_logs": per_pod, "pod_errors": errors, "last_timestamp": last}
