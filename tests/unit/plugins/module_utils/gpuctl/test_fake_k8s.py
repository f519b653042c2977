# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fake Kubernetes API server itself, checked against the documented semantics it imitates.

References:
- RFC 7386 (JSON Merge Patch), Appendix A "Example Test Cases": https://www.rfc-editor.org/rfc/rfc7386#appendix-A
- Kubernetes, "Update API Objects in Place Using kubectl patch":
  https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
- Kubernetes, strategic merge patch directives:
  https://github.com/kubernetes/community/blob/master/contributors/devel/sig-api-machinery/strategic-merge-patch.md
- Kubernetes, "Dry-run": https://kubernetes.io/docs/reference/using-api/api-concepts/#dry-run
- Kubernetes, "Finalizers": https://kubernetes.io/docs/concepts/overview/working-with-objects/finalizers/
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import inspect
import json
import urllib.request
from urllib.error import HTTPError

import pytest

from tests.support import fake_k8s
from tests.support.fake_k8s import patches, server as fake_server
from tests.support.fake_k8s.patches import PatchError, json_merge_patch, strategic_merge_patch


# ---------------------------------------------------------------- RFC 7386, Appendix A, every case
@pytest.mark.parametrize("original, patch, result", [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
])
def test_json_merge_patch_rfc7386_appendix_a(original, patch, result):
    assert json_merge_patch(original, patch) == result


# ---------------------------------------------------------------- strategic merge patch
def deployment(containers, tolerations=None):
    spec = {"containers": containers}
    if tolerations is not None:
        spec["tolerations"] = tolerations
    return {"kind": "Deployment", "metadata": {"name": "patch-demo"}, "spec": {"replicas": 2, "template": {"spec": spec}}}


def test_smp_merges_containers_by_name_and_replaces_tolerations():
    """kubectl patch task: the containers list is merged by name, the tolerations list (no patchStrategy) replaced."""
    original = deployment([{"name": "patch-demo-ctr", "image": "nginx"}],
                          [{"effect": "NoSchedule", "key": "dedicated", "value": "test-team"}])
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "patch-demo-ctr-2", "image": "redis"}]}}}}
    out = strategic_merge_patch(original, patch, "Deployment")
    assert out["spec"]["template"]["spec"]["containers"] == [{"name": "patch-demo-ctr", "image": "nginx"},
                                                             {"name": "patch-demo-ctr-2", "image": "redis"}]
    patch = {"spec": {"template": {"spec": {"tolerations": [{"effect": "NoSchedule", "key": "disktype", "value": "ssd"}]}}}}
    out = strategic_merge_patch(original, patch, "Deployment")
    assert out["spec"]["template"]["spec"]["tolerations"] == [{"effect": "NoSchedule", "key": "disktype", "value": "ssd"}]
    # the same patch as a JSON merge patch replaces the containers list
    merged = json_merge_patch(original, {"spec": {"template": {"spec": {"containers": [{"name": "patch-demo-ctr-2", "image": "redis"}]}}}})
    assert merged["spec"]["template"]["spec"]["containers"] == [{"name": "patch-demo-ctr-2", "image": "redis"}]


def test_smp_merges_inside_a_matched_container_by_nested_merge_keys():
    original = deployment([{"name": "c", "image": "a", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "ports": [{"containerPort": 80, "name": "http"}]}])
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "b", "env": [{"name": "B", "value": "3"}],
                                                            "ports": [{"containerPort": 443}]}]}}}}
    container = strategic_merge_patch(original, patch, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "b"
    assert container["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "3"}]
    assert container["ports"] == [{"containerPort": 80, "name": "http"}, {"containerPort": 443}]


def test_smp_service_ports_merge_by_port():
    original = {"kind": "Service", "spec": {"ports": [{"port": 80, "targetPort": 8080}]}}
    out = strategic_merge_patch(original, {"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 443}]}}, "Service")
    assert out["spec"]["ports"] == [{"port": 80, "targetPort": 9090}, {"port": 443}]


def test_smp_delete_directive_in_a_merged_list_deletes_every_match():
    original = deployment([{"name": "nginx", "image": "nginx-1.0"}, {"name": "log-tailer", "image": "lt"}])
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx-1.0"},
                                                           {"$patch": "delete", "name": "log-tailer"}]}}}}
    out = strategic_merge_patch(original, patch, "Deployment")
    assert out["spec"]["template"]["spec"]["containers"] == [{"name": "nginx", "image": "nginx-1.0"}]


def test_smp_delete_directive_on_a_map_equals_null():
    original = {"kind": "Deployment", "spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}
    by_directive = strategic_merge_patch(original, {"spec": {"strategy": {"rollingUpdate": {"$patch": "delete"}}}}, "Deployment")
    by_null = strategic_merge_patch(original, {"spec": {"strategy": {"rollingUpdate": None}}}, "Deployment")
    assert by_directive == by_null == {"kind": "Deployment", "spec": {"strategy": {"type": "RollingUpdate"}}}


def test_smp_replace_directive_on_a_map_and_on_a_list():
    original = deployment([{"name": "nginx", "image": "nginx-1.0"}, {"name": "log-tailer", "image": "lt"}])
    patch = {"spec": {"template": {"spec": {"$patch": "replace", "containers": [{"name": "only", "image": "x"}]}}}}
    assert strategic_merge_patch(original, patch, "Deployment")["spec"]["template"]["spec"] == {"containers": [{"name": "only", "image": "x"}]}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": "nginx-1.0"}, {"$patch": "replace"}]}}}}
    assert strategic_merge_patch(original, patch, "Deployment")["spec"]["template"]["spec"]["containers"] == [
        {"name": "nginx", "image": "nginx-1.0"}]


def test_smp_finalizers_are_a_set_with_delete_from_primitive_list():
    original = {"kind": "Job", "metadata": {"finalizers": ["a", "b", "c"]}}
    assert strategic_merge_patch(original, {"metadata": {"finalizers": ["c", "d"]}}, "Job")["metadata"]["finalizers"] == ["a", "b", "c", "d"]
    out = strategic_merge_patch(original, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["b", "c"]}}, "Job")
    assert out["metadata"]["finalizers"] == ["a"]


def test_smp_set_element_order():
    original = {"kind": "Pod", "metadata": {"finalizers": ["a", "b", "c"]},
                "spec": {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}, {"name": "c", "image": "3"}]}}
    patch = {"metadata": {"$setElementOrder/finalizers": ["b", "c", "a"]},
             "spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "c"}, {"name": "a"}]}}
    out = strategic_merge_patch(original, patch, "Pod")
    assert out["metadata"]["finalizers"] == ["b", "c", "a"]
    assert [c["name"] for c in out["spec"]["containers"]] == ["b", "c", "a"]


def test_smp_retain_keys_clears_the_other_fields():
    original = {"kind": "Deployment", "spec": {"union": {"foo": "a", "other": "b"}}}
    patch = {"spec": {"union": {"$retainKeys": ["another", "bar"], "another": "d", "bar": "c"}}}
    assert strategic_merge_patch(original, patch, "Deployment")["spec"]["union"] == {"another": "d", "bar": "c"}


@pytest.mark.parametrize("patch", [
    {"spec": {"$patch": "explode"}},
    {"spec": {"template": {"spec": {"containers": [{"image": "no-merge-key"}]}}}},
    {"spec": {"template": {"spec": {"containers": ["not-a-map"]}}}},
    {"metadata": {"$deleteFromPrimitiveList/labels": ["x"]}},
    {"spec": {"$unknownDirective": 1}},
    ["not", "an", "object"],
])
def test_smp_refuses_malformed_patches(patch):
    with pytest.raises(PatchError):
        strategic_merge_patch(deployment([{"name": "c", "image": "i"}]), patch, "Deployment")


def test_the_fake_never_uses_the_clients_code():
    """A fake that merged with the client's own prediction code could never catch a wrong prediction."""
    for module in (patches, fake_server):
        assert "plugins.module_utils" not in inspect.getsource(module)


# ---------------------------------------------------------------- over HTTP: what the API server refuses
@pytest.fixture
def api():
    srv = fake_k8s.start()
    srv.add_node("n1", gpus=1)

    def call(method, path, body=None, ctype="application/json"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(srv.url + path, data=data, method=method, headers={"Content-Type": ctype})
        try:
            with urllib.request.urlopen(req) as resp:
                return resp.status, json.loads(resp.read() or b"{}")
        except HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")
    call.server = srv
    yield call
    srv.stop()


CM = "/api/v1/namespaces/default/configmaps"


def test_http_patch_types_and_refusals(api):
    assert api("POST", CM, {"metadata": {"name": "c"}, "data": {"a": "1"}})[0] == 201
    code, out = api("PATCH", CM + "/c", {"data": {"a": None, "b": "2"}}, "application/merge-patch+json")
    assert code == 200 and out["data"] == {"b": "2"}
    code, out = api("PATCH", CM + "/c", {"data": {"$patch": "bogus"}}, "application/strategic-merge-patch+json")
    assert code == 400 and out["reason"] == "BadRequest"
    code, out = api("PATCH", CM + "/c", ["not", "a", "merge", "patch"], "application/merge-patch+json")
    assert code == 400
    code, out = api("PATCH", CM + "/c", {"data": {}}, "text/plain")
    assert code == 415 and out["reason"] == "UnsupportedMediaType"
    code, out = api("PATCH", CM + "/c", {"metadata": {"labels": {"x": "not valid!"}}}, "application/merge-patch+json")
    assert code == 422 and out["reason"] == "Invalid"
    code, out = api("POST", CM + "?dryRun=Some", {"metadata": {"name": "d"}})
    assert code == 400 and "dryRun" in out["message"]


def test_http_dry_run_validates_and_persists_nothing(api):
    code, out = api("POST", CM + "?dryRun=All", {"metadata": {"name": "dry"}, "data": {}})
    assert code == 201 and out["metadata"]["uid"] and "resourceVersion" not in out["metadata"]
    assert api("GET", CM + "/dry")[0] == 404
    code, out = api("POST", CM + "?dryRun=All", {"metadata": {"name": "dry", "labels": {"bad": "!"}}})
    assert code == 422
    api("POST", CM, {"metadata": {"name": "kept"}})
    assert api("DELETE", CM + "/kept?dryRun=All")[0] == 200 and api("GET", CM + "/kept")[0] == 200
    code, out = api("PATCH", CM + "/kept?dryRun=All", {"data": {"x": "y"}}, "application/merge-patch+json")
    assert code == 200 and out["data"] == {"x": "y"} and "data" not in api("GET", CM + "/kept")[1]


def test_http_finalizers_hold_a_deleted_object(api):
    api("POST", CM, {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    code, out = api("DELETE", CM + "/held")
    assert code == 200 and out["metadata"]["deletionTimestamp"]
    code, out = api("GET", CM + "/held")
    assert code == 200 and out["metadata"]["deletionTimestamp"]
    code, out = api("POST", CM, {"metadata": {"name": "held"}})
    assert code == 409 and "being deleted" in out["message"]
    code, out = api("PATCH", CM + "/held", {"metadata": {"finalizers": ["example.com/hold", "example.com/more"]}},
                    "application/merge-patch+json")
    assert code == 422 and "no new finalizers" in out["message"]
    assert api("PATCH", CM + "/held", {"metadata": {"finalizers": None}}, "application/merge-patch+json")[0] == 200
    assert api("GET", CM + "/held")[0] == 404
    code, out = api("POST", CM, {"metadata": {"name": "badfin", "finalizers": ["unqualified"]}})
    assert code == 422


@pytest.mark.parametrize("path, name", [(CM, "Upper_Case"), ("/api/v1/namespaces/default/services", "9starts-with-digit"),
                                        ("/api/v1/namespaces", "dots.not.allowed"), (CM, "x" * 254)])
def test_http_object_names_are_validated(api, path, name):
    code, out = api("POST", path, {"metadata": {"name": name}})
    assert code == 422 and "metadata.name" in out["message"]
