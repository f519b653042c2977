# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The connection contract and the REST client against the fake API server."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import RequestError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.client import KubeRequestError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError, OptionError

from tests.support import fake_k8s

CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "default"}, "data": {"k": "v"}}


def test_client_errors_carry_status_and_server_message(client):
    with pytest.raises(KubeRequestError) as info:
        client.request("GET", "/apis/example.com/v1/widgets")
    assert info.value.status == 404 and "fake_k8s" in info.value.msg
    assert isinstance(info.value, RequestError) and info.value.method == "GET"
    assert info.value.url.endswith("/apis/example.com/v1/widgets") and "fake_k8s" in info.value.server_message
    assert client.get("ConfigMap", "nope", "default") is None


def test_bearer_token_is_sent():
    srv = fake_k8s.start(token="s3cret")
    try:
        with pytest.raises(KubeRequestError) as info:
            connection.client_from_params({"host": srv.url}).list("Node")
        assert info.value.status == 401
        assert connection.client_from_params({"host": srv.url, "api_key": "s3cret"}).list("Node") == []
    finally:
        srv.stop()


def test_list_pages_through_continue_tokens(client, server):
    for i in range(7):
        client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm-%d" % i, "namespace": "default"}})
    before = server.count_requests()
    assert len(client.list("ConfigMap", "default", limit=3)) == 7
    assert server.count_requests(before) == 3


def test_stale_resource_version_gives_409(client):
    node = client.get("Node", "gpu-0")
    client.patch("Node", "gpu-0", {"metadata": {"labels": {"x": "1"}}})
    with pytest.raises(KubeRequestError) as info:
        client.patch("Node", "gpu-0", {"metadata": {"labels": {"x": "2"}, "resourceVersion": node["metadata"]["resourceVersion"]}})
    assert info.value.status == 409 and "modified" in info.value.msg


def test_kubeconfig_with_context_and_token(server, tmp_path):
    cfg = tmp_path / "kubeconfig"
    cfg.write_text("""apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster: {server: "%s"}
users:
- name: dev
  user: {token: abc}
contexts:
- name: gpu
  context: {cluster: fake, user: dev}
- name: other
  context: {cluster: fake, user: dev}
current-context: other
""" % server.url)
    server.cluster.token = "abc"
    client = connection.client_from_params({"kubeconfig": str(cfg), "context": "gpu"})
    assert len(client.list("Node")) == 3
    with pytest.raises(GpuctlError) as info:
        connection.client_from_params({"kubeconfig": str(cfg), "context": "missing"})
    assert "cannot load Kubernetes configuration" in info.value.msg


def test_fake_server_is_loud_about_what_it_does_not_do(client, server):
    for method, path, code in (("GET", "/apis/apps/v1/statefulsets", 404), ("GET", "/api/v1/pods?watch=true", 501),
                               ("DELETE", "/api/v1/namespaces/default/configmaps", 501),
                               ("GET", "/api/v1/namespaces/default/pods/x/exec", 404)):
        path, dummy, query = path.partition("?")
        with pytest.raises(KubeRequestError) as info:
            client.request(method, path, dict([query.split("=")]) if query else None)
        assert info.value.status == code, (method, path, info.value.msg)
    assert "GET /apis/apps/v1/statefulsets" in server.unhandled
    with pytest.raises(KubeRequestError) as info:
        client.patch("ConfigMap", "x", {}, "default")
    assert info.value.status == 404


# ---------------------------------------------------------------- check mode by construction

def test_dry_run_client_sends_every_write_as_a_server_side_dry_run(client, dry_client, server):
    client.create(dict(CONFIGMAP, metadata={"name": "keep", "namespace": "default"}))
    before = server.persisted_writes()
    created = dry_client.create(CONFIGMAP)
    assert created["metadata"]["uid"], "the server's own answer, not the client's copy"
    patched = dry_client.patch("ConfigMap", "keep", {"data": {"k": "new"}}, "default")
    assert patched["data"] == {"k": "new"}
    dry_client.delete("ConfigMap", "keep", "default")
    assert server.persisted_writes() == before
    dry = [r for r in server.requests if r[0] != "GET" and "dryRun=All" in r[1]]
    assert [r[0] for r in dry] == ["POST", "PATCH", "DELETE"]
    assert server.get("configmaps", "default", "cm") is None and server.get("configmaps", "default", "keep")["data"] == {"k": "v"}


def test_dry_run_reports_what_the_server_refuses(client, dry_client):
    with pytest.raises(KubeRequestError) as info:
        dry_client.create(dict(CONFIGMAP, metadata={"name": "bad", "namespace": "default", "labels": {"x": "not a label value!"}}))
    assert info.value.status == 422 and "dryRun=All" in info.value.url


def test_dry_run_sees_its_own_earlier_steps(client, dry_client, server):
    """A would-be namespace and a would-be deletion are visible to the next dry-run step of the task."""
    dry_client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "new-ns"}})
    inside = dry_client.create(dict(CONFIGMAP, metadata={"name": "cm", "namespace": "new-ns"}))
    assert inside["metadata"]["namespace"] == "new-ns"
    client.create(CONFIGMAP)
    dry_client.delete("ConfigMap", "cm", "default")
    assert dry_client.get("ConfigMap", "cm", "default") is None
    assert dry_client.create(CONFIGMAP)["data"] == {"k": "v"}
    assert server.get("configmaps", "default", "cm") is not None and server.get("namespaces", None, "new-ns") is None
    other = dict(CONFIGMAP, metadata={"name": "other", "namespace": "default"})
    client.create(other)
    with pytest.raises(KubeRequestError) as info:  # a real conflict is still reported
        dry_client.create(other)
    assert info.value.status == 409


# ---------------------------------------------------------------- retries

def test_reads_are_retried_a_bounded_number_of_times(server):
    client = connection.client_from_params({"host": server.url, "retries": 2})
    client.backoff = 0
    server.fail_next("GET", 503, 2)
    assert len(client.list("Node")) == 3
    server.fail_next("GET", 503, 3)
    with pytest.raises(KubeRequestError) as info:
        client.list("Node")
    assert info.value.status == 503


def test_writes_are_not_repeated_after_an_error_answer(server, client):
    client.backoff = 0
    server.fail_next("POST", 503, 1)
    before = server.count_requests()
    with pytest.raises(KubeRequestError):
        client.create(CONFIGMAP)
    assert server.count_requests(before) == 1


def test_unreachable_server_is_named_after_bounded_retries():
    client = connection.client_from_params({"host": "http://127.0.0.1:9", "retries": 1})
    client.backoff = 0
    with pytest.raises(KubeRequestError) as info:
        client.list("Node")
    assert "cannot reach the Kubernetes API" in info.value.msg and info.value.status is None
    assert client.stats["requests"] == 2


# ---------------------------------------------------------------- the connection contract

def test_aliases_reach_the_canonical_options():
    params = connection.canonical({"ca_cert": "/ca.pem", "request_timeout": 7, "verify_ssl": False, "host": "https://k:6443"})
    assert params["ca_path"] == "/ca.pem" and params["timeout"] == 7 and params["validate_certs"] is False
    assert params["retries"] == 3
    spec = connection.argument_spec(extra=dict(type="str"))
    assert "ca_cert" in spec["ca_path"]["aliases"] and "request_timeout" in spec["timeout"]["aliases"]
    assert spec["host"]["fallback"][1] == ["K8S_AUTH_HOST"] and spec["api_key"]["no_log"] is True
    assert spec["extra"] == {"type": "str"}


@pytest.mark.parametrize("params, field", [
    ({"host": "http://[::1"}, "host"),
    ({"host": "ftp://k8s"}, "host"),
    ({"host": "http://127.0.0.1:99999"}, "host"),
    ({"host": "http://k", "timeout": -1}, "timeout"),
    ({"host": "http://k", "timeout": 10 ** 20}, "timeout"),
    ({"host": "http://k", "retries": 99}, "retries"),
])
def test_impossible_connection_options_are_refused_by_name(params, field):
    with pytest.raises(OptionError) as info:
        connection.client_from_params(params)
    assert [path for path, dummy in info.value.errors] == [field]
    assert info.value.msg.startswith("invalid options: %s: " % field)


@pytest.mark.parametrize("content", [None, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", "garbage"])
def test_a_broken_ca_bundle_is_refused_by_name(tmp_path, content):
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_text(content)
    with pytest.raises(OptionError) as info:
        connection.client_from_params({"host": "https://k8s.example.com:6443", "ca_cert": str(path)})
    assert [field for field, dummy in info.value.errors] == ["ca_path"]
    assert "is not a readable PEM CA bundle" in info.value.msg


def test_identity_follows_the_resolved_credentials(server, tmp_path):
    def kubeconfig(name, token):
        path = tmp_path / name
        path.write_text("apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: '%s'}}]\n"
                        "users: [{name: u, user: {token: %s}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
                        "current-context: x\n" % (server.url, token))
        return str(path)
    first, second = kubeconfig("a", "token-a"), kubeconfig("b", "token-b")
    assert connection.identity({"kubeconfig": first}) != connection.identity({"kubeconfig": second})
    assert connection.identity({"kubeconfig": first}) == connection.identity({"kubeconfig": first})
    assert connection.identity({"host": server.url, "api_key": "x"}) != connection.identity({"host": server.url, "api_key": "y"})
    assert "token-a" not in connection.identity({"kubeconfig": first})


def test_tls_failure_is_no_answer_with_the_reason(tmp_path):
    """Speaking TLS to a plain-HTTP server: no HTTP status, the TLS error as the reason."""
    srv = fake_k8s.start()
    try:
        client = connection.client_from_params({"host": srv.url.replace("http://", "https://"), "retries": 0,
                                                "validate_certs": False})
        with pytest.raises(KubeRequestError) as info:
            client.list("Node")
        assert info.value.status is None and "cannot reach the Kubernetes API" in info.value.msg
        assert "SSL" in info.value.msg or "ssl" in info.value.msg
    finally:
        srv.stop()
