# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role gpufleet.ops.gpuctl_cluster: what it would apply (values, objects) and the k8s part against the fake API server.

The helm binary cannot be had here (no Debian package, no official PyPI wheel, no Go toolchain), so the Helm
releases are tested as the values the role hands to kubernetes.core.helm, and the role's refusal without helm.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import kubernetes_validate
import pytest
import yaml

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import names
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render
from tests.support import fake_k8s
from tests.support.ansible_run import run_playbook

ROLE = "gpufleet.ops.gpuctl_cluster : "
PC_TASK = ROLE + "PriorityClasses of job.priority (gpuctl-high, gpuctl-medium, gpuctl-low)"
PLAYBOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "playbooks", "gpuctl", "cluster_role.yml")


@pytest.fixture
def server():
    srv = fake_k8s.start(token="role-token")
    yield srv
    srv.stop()


def run(server, check=False, **extra):
    env = {"K8S_AUTH_HOST": server.url, "K8S_AUTH_API_KEY": "role-token", "K8S_AUTH_VERIFY_SSL": "false"}
    return run_playbook(PLAYBOOK, extra_vars=extra, env=env, check=check, timeout=300)


def _load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_values_and_objects_the_role_applies(server, tmp_path):
    out = str(tmp_path)
    res = run(server, gpuctl_cluster_install_charts=False, gpuctl_cluster_render_dir=out, gpuctl_cluster_dcgm_exporter_version="4.2.0",
              gpuctl_cluster_prometheus_adapter_values={"replicas": 2})
    assert res.rc == 0, res.stdout[-3000:]
    releases = dict((r["release"], r) for r in _load(os.path.join(out, "releases.yaml")))
    assert {k: (v["chart"], str(v["version"])) for k, v in releases.items()} == {
        "hami": ("hami", "2.6.1"), "dcgm-exporter": ("dcgm-exporter", "4.2.0"), "prometheus-adapter": ("prometheus-adapter", "4.14.1")}
    hami = _load(os.path.join(out, "hami.values.yaml"))
    # the resource names gpuctl renders for gpu / gpu_share are the ones the HAMi device plugin registers
    assert (hami["resourceName"], hami["resourceMem"], hami["resourceCores"]) == (names.GPU_RESOURCE, names.HAMI_MEMORY, names.HAMI_CORES)
    adapter = _load(os.path.join(out, "prometheus-adapter.values.yaml"))
    assert adapter["replicas"] == 2, "overrides merge over the role's values"
    assert adapter["rules"]["default"] is False
    rules = dict((r["name"]["as"], r) for r in adapter["rules"]["custom"])
    # the HPA's metrics and gpuctl_job_info's are exactly the adapter's rule names
    assert render.DCGM_GPU_UTIL in rules and render.DCGM_MEM_UTIL in rules
    memory = rules[render.DCGM_MEM_UTIL]["metricsQuery"]
    assert "DCGM_FI_DEV_FB_USED" in memory and "DCGM_FI_DEV_FB_FREE" in memory and "MEM_COPY" not in memory
    assert set(rules) >= {"gpuctl_requests_per_second", "gpuctl_request_latency_seconds", "DCGM_FI_DEV_FB_USED"}
    for rule in rules.values():
        assert set(rule) == {"seriesQuery", "resources", "name", "metricsQuery"}
        assert "<<.LabelMatchers>>" in rule["metricsQuery"] and "<<.GroupBy>>" in rule["metricsQuery"]
    objects = _load(os.path.join(out, "objects.yaml"))
    assert objects == [render.priority_class(p) for p in ("high", "medium", "low")], "the same PriorityClasses gpuctl_job creates"
    for obj in objects:
        kubernetes_validate.validate(obj, kubernetes_validate.latest_version(), strict=True)


def test_priority_classes_check_mode_and_idempotence(server):
    check = run(server, check=True, gpuctl_cluster_install_charts=False)
    assert check.rc == 0, check.stdout[-3000:]
    assert check.task(PC_TASK)["changed"] is True
    assert server.list("priorityclasses") == [], "check mode creates nothing"
    first = run(server, gpuctl_cluster_install_charts=False)
    assert first.rc == 0, first.stdout[-3000:]
    assert sorted(pc["metadata"]["name"] for pc in server.list("priorityclasses")) == ["gpuctl-high", "gpuctl-low", "gpuctl-medium"]
    again = run(server, gpuctl_cluster_install_charts=False)
    assert again.rc == 0 and again.task(PC_TASK)["changed"] is False


def test_without_helm_the_role_says_so(server):
    res = run(server, gpuctl_cluster_helm_binary="/nonexistent/helm")
    assert res.rc != 0
    msg = res.task(ROLE + "Refuse clearly without helm")["msg"]
    assert "the helm binary '/nonexistent/helm' cannot be run" in msg and "gpuctl_cluster_install_charts: false" in msg
    assert server.list("priorityclasses") == [], "nothing applied before the refusal"


def test_unpinned_chart_version_refused(server):
    res = run(server, gpuctl_cluster_install_charts=False, gpuctl_cluster_hami_version="latest")
    assert res.rc != 0
    assert "gpuctl_cluster_charts.hami: needs release, namespace, chart and a pinned semantic version" in res.stdout
