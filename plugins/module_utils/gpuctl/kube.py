# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A thin REST wrapper over the official ``kubernetes`` client.

It uses the client's configuration loading (kubeconfig, in-cluster, bearer token,
TLS) and its HTTP transport, but speaks plain JSON dicts on known resource paths,
so no discovery round-trips are needed. Every non-2xx answer becomes ApiError with
the HTTP status and the server's own message.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import ApiError, GpuctlError

try:
    from urllib.parse import quote, urlencode
except ImportError:  # pragma: no cover
    from urllib import quote, urlencode

KUBERNETES_IMP_ERR = None
try:
    from kubernetes.client.rest import ApiException
    HAS_KUBERNETES = True
except ImportError as _exc:  # pragma: no cover - exercised via missing_required_lib
    import traceback
    KUBERNETES_IMP_ERR = traceback.format_exc()
    HAS_KUBERNETES = False

    class ApiException(Exception):
        pass

# kind -> (api prefix, plural, namespaced)
KINDS = {
    "Namespace": ("/api/v1", "namespaces", False),
    "Node": ("/api/v1", "nodes", False),
    "Pod": ("/api/v1", "pods", True),
    "Service": ("/api/v1", "services", True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Event": ("/api/v1", "events", True),
    "Deployment": ("/apis/apps/v1", "deployments", True),
    "Job": ("/apis/batch/v1", "jobs", True),
    "HorizontalPodAutoscaler": ("/apis/autoscaling/v2", "horizontalpodautoscalers", True),
    "PriorityClass": ("/apis/scheduling.k8s.io/v1", "priorityclasses", False),
    "PodMetrics": ("/apis/metrics.k8s.io/v1beta1", "pods", True),
}

AUTH_ARG_SPEC = dict(
    kubeconfig=dict(type="path"),
    context=dict(type="str"),
    host=dict(type="str"),
    api_key=dict(type="str", no_log=True),
    validate_certs=dict(type="bool", aliases=["verify_ssl"]),
    ca_cert=dict(type="path", aliases=["ssl_ca_cert"]),
    client_cert=dict(type="path", aliases=["cert_file"]),
    client_key=dict(type="path", aliases=["key_file"], no_log=False),
    request_timeout=dict(type="int", default=30),
)

AUTH_ENV = dict(kubeconfig="K8S_AUTH_KUBECONFIG", context="K8S_AUTH_CONTEXT", host="K8S_AUTH_HOST",
                api_key="K8S_AUTH_API_KEY", validate_certs="K8S_AUTH_VERIFY_SSL", ca_cert="K8S_AUTH_SSL_CA_CERT",
                client_cert="K8S_AUTH_CERT_FILE", client_key="K8S_AUTH_KEY_FILE")


def auth_argument_spec(env_fallback):
    """The shared connection options with K8S_AUTH_* environment fallbacks."""
    spec = {}
    for key, val in AUTH_ARG_SPEC.items():
        val = dict(val)
        if key in AUTH_ENV:
            val["fallback"] = (env_fallback, [AUTH_ENV[key]])
        spec[key] = val
    return spec


def resource_path(kind, namespace=None, name=None, sub=None):
    if kind not in KINDS:
        raise GpuctlError("gpuctl does not manage objects of kind %s" % kind)
    prefix, plural, namespaced = KINDS[kind]
    path = prefix
    if namespaced and namespace:
        path += "/namespaces/%s" % quote(namespace, safe="")
    path += "/" + plural
    if name:
        path += "/" + quote(name, safe="")
    if sub:
        path += "/" + sub
    return path


class KubeClient(object):
    """Minimal JSON client. ``stats['requests']`` counts HTTP requests sent."""

    def __init__(self, params=None, api_client=None):
        if not HAS_KUBERNETES:  # pragma: no cover
            raise GpuctlError("the kubernetes Python library is required")
        self.params = params or {}
        self.timeout = self.params.get("request_timeout") or 30
        self.api = api_client or self._make_api_client(self.params)
        self.stats = {"requests": 0}

    @staticmethod
    def _make_api_client(p):
        from kubernetes import client as kclient, config as kconfig
        cfg = kclient.Configuration()
        if p.get("kubeconfig") or p.get("context") or not p.get("host"):
            try:
                if p.get("kubeconfig") or p.get("context"):
                    kconfig.load_kube_config(config_file=p.get("kubeconfig"), context=p.get("context"), client_configuration=cfg)
                else:
                    try:
                        kconfig.load_incluster_config(client_configuration=cfg)
                    except kconfig.ConfigException:
                        kconfig.load_kube_config(client_configuration=cfg)
            except Exception as exc:
                if not p.get("host"):
                    raise GpuctlError("cannot load Kubernetes configuration (set host or kubeconfig): %s" % exc)
        if p.get("host"):
            cfg.host = p["host"].rstrip("/")
        if p.get("api_key"):
            cfg.api_key = {"authorization": "Bearer " + p["api_key"]}
            cfg.api_key_prefix = {}
        if p.get("validate_certs") is not None:
            cfg.verify_ssl = p["validate_certs"]
        if p.get("ca_cert"):
            cfg.ssl_ca_cert = p["ca_cert"]
        if p.get("client_cert"):
            cfg.cert_file = p["client_cert"]
        if p.get("client_key"):
            cfg.key_file = p["client_key"]
        return kclient.ApiClient(cfg)

    # ------------------------------------------------------------ transport
    def request(self, method, path, query=None, body=None, content_type="application/json", raw=False):
        query = [(k, v) for k, v in (query or {}).items() if v is not None]
        url_path = path + ("?" + urlencode(query) if query else "")
        headers = {"Accept": "application/json, */*", "Content-Type": content_type}
        self.stats["requests"] += 1
        api = self.api
        try:
            if hasattr(api, "param_serialize"):  # kubernetes >= 35 (new generator)
                m, url, hdrs, b, post = api.param_serialize(method, path, query_params=query or None, header_params=headers,
                                                            body=body, auth_settings=["BearerToken"])
                resp = api.call_api(m, url, hdrs, b, post, _request_timeout=self.timeout)
                resp.read()
                status, data = resp.status, resp.data
            else:  # older clients
                resp = api.call_api(path, method, query_params=query, header_params=headers, body=body,
                                    auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True,
                                    _request_timeout=self.timeout)
                status, data = resp.status, resp.data
        except ApiException as exc:
            status, data = exc.status, (exc.body or b"")
        except Exception as exc:
            raise GpuctlError("cannot reach the Kubernetes API (%s %s): %s" % (method, url_path, exc))
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        if not 200 <= int(status or 0) <= 299:
            message, reason = data, None
            try:
                parsed = json.loads(data)
                message, reason = parsed.get("message", data), parsed.get("reason")
            except (ValueError, AttributeError):
                pass
            raise ApiError(status, method, url_path, (message or "").strip() or "(empty response)", reason)
        if raw:
            return data
        return json.loads(data) if data else {}

    # ------------------------------------------------------------ verbs
    def get(self, kind, name, namespace=None, missing_ok=True):
        try:
            return self.request("GET", resource_path(kind, namespace, name))
        except ApiError as exc:
            if exc.status == 404 and missing_ok:
                return None
            raise

    def list(self, kind, namespace=None, label_selector=None, field_selector=None, limit=500, max_pages=50):
        items, token = [], None
        for dummy in range(max_pages):
            query = {"labelSelector": label_selector, "fieldSelector": field_selector, "limit": limit, "continue": token}
            out = self.request("GET", resource_path(kind, namespace), query)
            for item in out.get("items") or []:
                item.setdefault("kind", kind)
                items.append(item)
            token = (out.get("metadata") or {}).get("continue")
            if not token:
                return items
        raise GpuctlError("listing %s returned more than %d pages; narrow the selector" % (kind, max_pages))

    def create(self, manifest, dry_run=False):
        meta = manifest["metadata"]
        return self.request("POST", resource_path(manifest["kind"], meta.get("namespace")), {"dryRun": "All" if dry_run else None}, manifest)

    def patch(self, kind, name, patch, namespace=None, dry_run=False, patch_type="merge"):
        ctype = {"merge": "application/merge-patch+json", "json": "application/json-patch+json",
                 "strategic": "application/strategic-merge-patch+json"}[patch_type]
        return self.request("PATCH", resource_path(kind, namespace, name), {"dryRun": "All" if dry_run else None}, patch, ctype)

    def delete(self, kind, name, namespace=None, grace_period=None, propagation="Background", missing_ok=True):
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
        if grace_period is not None:
            body["gracePeriodSeconds"] = grace_period
        try:
            return self.request("DELETE", resource_path(kind, namespace, name),
                                {"gracePeriodSeconds": grace_period, "propagationPolicy": propagation}, body)
        except ApiError as exc:
            if exc.status == 404 and missing_ok:
                return None
            raise

    def logs(self, pod, namespace, tail=None, container=None):
        return self.request("GET", resource_path("Pod", namespace, pod, "log"),
                            {"tailLines": tail, "container": container}, raw=True)
