# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The write side of jobs: submit, update, pause, resume, delete and wait for gpuctl jobs.

``plan`` reads and decides without writing; ``apply`` executes a plan. Check mode is the
client's business (every write a server-side dry run), so both paths are the same.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import time

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import names
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import planner
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import readers
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import status
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError, SpecError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.executor import DELETE_TIMEOUT, execute

OWNED_KINDS = ("Job", "Deployment", "Service", "HorizontalPodAutoscaler")


class JobManager(object):
    def __init__(self, client, namespace="default", pool_namespace=names.DEFAULT_POOL_NAMESPACE, delete_timeout=DELETE_TIMEOUT):
        self.client = client
        self.namespace = namespace
        self.pool_namespace = pool_namespace
        self.delete_timeout = delete_timeout
        self.warnings = []
        self._pools = {}
        self._pool_jobs = {}
        self._pool_reserved = {}
        self._pool_capacity = {}
        self._priority_classes = None
        self._planned_priority_classes = set()
        self._namespace_checked = False
        self._cache = None

    @property
    def dry_run(self):
        return self.client.dry_run

    def prefetch(self):
        """List this namespace's gpuctl objects once (4 requests) instead of several GETs per job.

        Worth it when a task handles many jobs. Objects of the same name that gpuctl did not create are
        not listed; creating over them fails with the server's 409 AlreadyExists.
        """
        self._cache = {}
        for kind in OWNED_KINDS:
            for obj in self.client.list(kind, self.namespace, label_selector=names.LABEL_JOB):
                obj.setdefault("kind", kind)
                self._cache[planner.ref(obj)] = obj

    # ------------------------------------------------------------ quota
    def _pool(self, name):
        if name not in self._pools:
            self._pools[name] = readers.load_pool(self.client, name, self.pool_namespace)
        return self._pools[name]

    def check_quota(self, spec, label=None):
        pool = (spec.get("resources") or {}).get("pool")
        if not pool:
            return
        pool_def = self._pool(pool)
        if pool_def is None and self.dry_run:
            # an earlier task of the same check-mode run may be the one creating the pool
            self.warnings.append("%sresources.pool: pool '%s' does not exist (yet); a real run fails unless it is created first"
                                 % ("%s: " % label if label else "", pool))
            return
        existing, reserved = 0, {}
        if pool_def is not None:
            if pool not in self._pool_jobs:
                workloads = readers.pool_workloads(self.client, pool)
                self._pool_jobs[pool] = readers.active_jobs_in_pool(self.client, pool, workloads)
                self._pool_reserved[pool] = dict(("%s/%s" % (w["metadata"].get("namespace"), w["metadata"]["name"]),
                                                  status.paused_reservation(w)) for w in workloads if status.paused_reservation(w))
            existing = len(self._pool_jobs[pool] - {(self.namespace, spec["job"]["name"])})
            reserved = self._pool_reserved[pool]
        validation.check_quota(spec, pool_def, existing, path_prefix=label)
        if reserved and (spec.get("resources") or {}).get("gpu"):
            self._check_reservations(spec, pool, reserved, label)

    def _check_reservations(self, spec, pool, reserved, label):
        """Paused jobs keep their GPUs (seed: pause "保留资源占用"): admit nothing into their place."""
        if pool not in self._pool_capacity:
            self._pool_capacity[pool] = list(readers.pool_gpu_usage(self.client, pool))
        capacity = self._pool_capacity[pool]
        total, used = capacity
        held = sum(reserved.values())
        want = spec["resources"]["gpu"] * ((spec.get("service") or {}).get("replicas", 1) if spec["kind"] == "inference" else 1)
        free = total - used - held
        if want > free:
            holders = ", ".join("%s (%d)" % item for item in sorted(reserved.items()))
            raise SpecError([("resources.gpu", "pool '%s' has %d free GPU(s) for %d requested: %d of its %d GPUs are reserved by "
                              "paused job(s) %s; resume or delete them first" % (pool, max(0, free), want, held, total, holders))],
                            prefix=label)
        capacity[1] += want  # later jobs of the same task see this one's GPUs as taken

    def _count_new(self, spec):
        pool = (spec.get("resources") or {}).get("pool")
        if pool and pool in self._pool_jobs:
            self._pool_jobs[pool].add((self.namespace, spec["job"]["name"]))

    # ------------------------------------------------------------ lookups
    def _get(self, manifest):
        meta = manifest["metadata"]
        if manifest["kind"] == "PriorityClass":
            if self._priority_classes is None:  # one list per task, however many priorities
                self._priority_classes = dict((pc["metadata"]["name"], pc) for pc in self.client.list("PriorityClass"))
            return self._priority_classes.get(meta["name"])
        if self._cache is not None and manifest["kind"] in OWNED_KINDS:
            return self._cache.get(planner.ref(manifest))
        return self.client.get(manifest["kind"], meta["name"], meta.get("namespace"))

    def find(self, name):
        """The live workload (Job or Deployment) of job ``name`` or job id, or None."""
        return readers.find_workload(self.client, self.namespace, name)

    # ------------------------------------------------------------ planning
    def _namespace_change(self):
        """Create the jobs' namespace once per task when it is missing (engineers should not need to)."""
        if self._namespace_checked:
            return []
        self._namespace_checked = True
        if self.client.get("Namespace", self.namespace) is not None:
            return []
        return [planner.Change("create", {"apiVersion": "v1", "kind": "Namespace",
                                          "metadata": {"name": self.namespace, "labels": {names.LABEL_MANAGED_BY: names.MANAGED_BY}}},
                               None)]

    def _desired(self, manifests, lives, state):
        """Adjust rendered manifests for pause/resume; never fight an HPA or a paused deployment."""
        out = []
        has_hpa = any(m["kind"] == "HorizontalPodAutoscaler" for m in manifests)
        for manifest in manifests:
            desired = copy.deepcopy(manifest)
            live = lives.get(planner.ref(manifest))
            if desired["kind"] == "Job":
                if state == "paused":
                    desired["spec"]["suspend"] = True
                elif state == "resumed":
                    desired["spec"]["suspend"] = False
            elif desired["kind"] == "Deployment":
                _deployment_replicas(desired, live, state, has_hpa)
            out.append(desired)
        return out

    def _stale(self, name, keep):
        """Objects of this job no longer rendered (e.g. autoscaling switched off)."""
        if self._cache is not None:
            owned = [o for o in self._cache.values() if status.labels_of(o).get(names.LABEL_JOB) == name]
        else:
            owned = []
            for kind in OWNED_KINDS:
                for obj in self.client.list(kind, self.namespace, label_selector="%s=%s" % (names.LABEL_JOB, name)):
                    obj.setdefault("kind", kind)
                    owned.append(obj)
        return [planner.Change("delete", None, obj) for obj in owned
                if planner.ref(obj) not in keep and status.labels_of(obj).get(names.LABEL_MANAGED_BY) == names.MANAGED_BY]

    def plan(self, spec, state="present", force=False, label=None):
        """Read, validate against quotas and plan one job without writing anything.

        Plan every job of a task first, then apply: an impossible request in the last
        document fails before the first one is sent.
        """
        if spec["kind"] == "resource":
            raise SpecError([("kind", "'resource' specs are pools; use gpufleet.ops.gpuctl_pool")], prefix=label)
        name = spec["job"]["name"]
        pool = (spec.get("resources") or {}).get("pool")
        pool_taint = bool(pool) and validation.pool_taints_nodes(self._pool(pool))
        manifests = render.render(spec, self.namespace, validated=True, pool_taint=pool_taint)
        workload_ref = [planner.ref(m) for m in manifests if m["kind"] in readers.WORKLOAD_KINDS][0]
        lives = dict((planner.ref(m), self._get(m)) for m in manifests)
        exists = lives[workload_ref] is not None
        if exists and _has_legacy_service(spec, lives[workload_ref]):
            # a one-pod Job created when every training job had a headless Service: its template names
            # the Service (immutable), so keep both rather than report drift on an untouched job
            manifests = render.render(spec, self.namespace, validated=True, headless_service=True, pool_taint=pool_taint)
            lives = dict((planner.ref(m), lives.get(planner.ref(m)) or self._get(m)) for m in manifests)
        if not exists and state in ("present", "paused"):
            self.check_quota(spec, label)
        elif not exists and state == "resumed":
            raise GpuctlError("cannot resume job '%s' in namespace %s: it does not exist" % (name, self.namespace))
        desired = self._desired(manifests, lives, state)
        changes = []
        for manifest in desired:
            live = lives[planner.ref(manifest)]
            if manifest["kind"] == "PriorityClass":
                pc_name = manifest["metadata"]["name"]
                if live is not None or pc_name in self._planned_priority_classes:
                    changes.append(planner.Change("none", manifest, live or manifest))  # shared by many jobs: create only
                    continue
                self._planned_priority_classes.add(pc_name)
            changes.append(planner.plan(manifest, live, force=force))
        if exists:
            changes.extend(self._stale(name, set(lives)))
        else:
            self._count_new(spec)
        return {"spec": spec, "state": state, "force": force, "name": name, "exists": exists, "changes": changes,
                "desired": desired, "manifests": manifests, "workload_ref": workload_ref}

    # ------------------------------------------------------------ execution
    def apply(self, planned):
        """Execute a plan from ``plan``."""
        spec, state, name, exists = planned["spec"], planned["state"], planned["name"], planned["exists"]
        changes = (self._namespace_change() if not exists else []) + planned["changes"]
        results = {}
        for change in changes:
            results[change.ref] = execute(self.client, change, grace_period=0 if planned["force"] else None,
                                          delete_timeout=self.delete_timeout)
        changed = any(c.changed for c in changes)
        workload_ref = planned["workload_ref"]
        workload = results.get(workload_ref) or planned["desired"][[planner.ref(m) for m in planned["manifests"]].index(workload_ref)]
        summary = status.job_summary(workload)
        if self.dry_run and not exists:
            summary["status"] = "paused" if state == "paused" else "pending"
        return {"job_id": render.job_id(name, self.namespace), "name": name, "kind": spec["kind"], "namespace": self.namespace,
                "pool": (spec.get("resources") or {}).get("pool"), "status": summary["status"], "changed": changed,
                "created_at": summary["created_at"],
                "actions": dict((c.ref, c.action) for c in changes),
                "message": _message(spec, state, changed, exists),
                "_changes": changes, "_workload_ref": workload_ref}

    def ensure(self, spec, state="present", force=False, label=None):
        """Bring one job to ``state`` (present, paused, resumed). Returns a result dict."""
        return self.apply(self.plan(spec, state, force, label))

    def absent(self, name, kind=None, force=False):
        """Delete every object of job ``name`` (or job id). ``force`` deletes with grace period 0."""
        changes = []
        workload = self.find(name)
        if workload is not None:
            name = status.labels_of(workload).get(names.LABEL_JOB) or name
        for owned_kind in OWNED_KINDS:
            for obj in self.client.list(owned_kind, self.namespace, label_selector="%s=%s" % (names.LABEL_JOB, name)):
                obj.setdefault("kind", owned_kind)
                if status.labels_of(obj).get(names.LABEL_MANAGED_BY) == names.MANAGED_BY:
                    changes.append(planner.Change("delete", None, obj))
        if force and changes:
            # the garbage collector would give pods their own grace period; --force means now
            for pod in self.client.list("Pod", self.namespace, label_selector="%s=%s" % (names.LABEL_JOB, name)):
                pod.setdefault("kind", "Pod")
                changes.append(planner.Change("delete", None, pod))
        for change in changes:
            execute(self.client, change, grace_period=0 if force else None)
        changed = bool(changes)
        return {"job_id": render.job_id(name, self.namespace), "name": name, "namespace": self.namespace,
                "kind": status.labels_of(workload).get(names.LABEL_KIND) if workload else kind,
                "status": "terminating" if changed else "absent", "changed": changed,
                "actions": dict((c.ref, "delete") for c in changes),
                "message": ("job deleted%s" % (" immediately (grace period 0)" if force else "")) if changed else "job does not exist",
                "_changes": changes}

    def set_paused_by_name(self, name, paused):
        """Pause or resume an existing job found by name or job id (no spec needed)."""
        workload = self.find(name)
        if workload is None:
            raise GpuctlError("job '%s' not found in namespace %s" % (name, self.namespace))
        spec = status.stored_spec(workload)
        if not spec:
            raise GpuctlError("%s has no gpuctl spec annotation (%s); it was not created by gpuctl"
                              % (planner.ref(workload), names.ANNOTATION_SPEC))
        return self.ensure(spec, "paused" if paused else "resumed")

    # ------------------------------------------------------------ waiting
    def wait(self, result, wait_for="ready", timeout=300, sleep=1.0):
        """Poll until the job is running/ready (or completed). Raises on failure or timeout."""
        if self.dry_run:
            return result
        kind, name = result["_workload_ref"].split("/")[0], result["name"]
        deadline = time.time() + timeout
        while True:
            obj = self.client.get(kind, name, self.namespace)
            if obj is None:
                raise GpuctlError("%s disappeared while waiting" % result["_workload_ref"])
            obj.setdefault("kind", kind)
            current = status.workload_status(obj)
            if current == "failed":
                raise GpuctlError("job '%s' failed while waiting: %s" % (name, _conditions_text(obj)),
                                  job_id=result["job_id"], status=current)
            if current in ("succeeded", "paused"):
                break
            if current == "running" and _fully_ready(obj) and (wait_for == "ready" or kind != "Job"):
                break
            if time.time() >= deadline:
                raise GpuctlError("timed out after %ss waiting for job '%s' to be %s (status: %s)" % (timeout, name, wait_for, current),
                                  job_id=result["job_id"], status=current)
            time.sleep(sleep)
        result["status"] = current
        return result


def _has_legacy_service(spec, live):
    template = (((live.get("spec") or {}).get("template") or {}).get("spec")) or {}
    return spec["kind"] == "training" and live.get("kind", "Job") == "Job" and bool(template.get("subdomain")) \
        and ((spec.get("resources") or {}).get("nodes") or 1) == 1


def _deployment_replicas(desired, live, state, has_hpa):
    """Paused deployments remember their replica count in an annotation; resume restores it."""
    annotations = desired["metadata"].setdefault("annotations", {})
    live_annotations = ((live or {}).get("metadata") or {}).get("annotations") or {}
    saved = live_annotations.get(names.ANNOTATION_PAUSED_REPLICAS)
    if state == "paused":
        if saved:
            annotations[names.ANNOTATION_PAUSED_REPLICAS] = saved
        else:
            before = (live or {}).get("spec", {}).get("replicas", desired["spec"]["replicas"])
            annotations[names.ANNOTATION_PAUSED_REPLICAS] = str(before or desired["spec"]["replicas"] or 1)
        desired["spec"]["replicas"] = 0
    elif state == "resumed":
        if saved:
            desired["spec"]["replicas"] = int(saved)
        annotations[names.ANNOTATION_PAUSED_REPLICAS] = None
        if live and not saved and has_hpa:
            desired["spec"].pop("replicas")
    elif saved or (live and has_hpa):
        desired["spec"].pop("replicas")


def _fully_ready(obj):
    spec, obj_status = obj.get("spec") or {}, obj.get("status") or {}
    if obj["kind"] == "Job":
        return (obj_status.get("ready") or 0) >= (spec.get("parallelism") or 1)
    return (obj_status.get("availableReplicas") or 0) >= (spec.get("replicas") or 0)


def _conditions_text(obj):
    parts = []
    for cond in (obj.get("status") or {}).get("conditions") or []:
        why = ": ".join(x for x in (cond.get("reason"), cond.get("message")) if x)
        parts.append("%s=%s%s" % (cond.get("type"), cond.get("status"), " (%s)" % why if why else ""))
    return "; ".join(parts) or "no conditions"


def _message(spec, state, changed, existed):
    pool = (spec.get("resources") or {}).get("pool")
    if not changed:
        return "job is already %s" % state
    if state == "paused":
        return "job paused; its definition is kept"
    if state == "resumed":
        return "job resumed"
    return "job updated" if existed else "job submitted%s" % (" to pool %s" % pool if pool else "")
