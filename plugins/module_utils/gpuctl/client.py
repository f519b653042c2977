# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Kubernetes REST client gpuctl uses: plain JSON on known resource paths.

The transport is the official ``kubernetes`` library's ``ApiClient`` (built by
``connection.client_from_params``), so kubeconfig, in-cluster, token and TLS handling
are the library's. No discovery round-trips: the paths of the kinds gpuctl manages are
known. Every non-2xx answer is a ``KubeRequestError`` with the method, URL, HTTP status
and the server's own message.

Check mode by construction: a client made with ``dry_run=True`` sends every write as a
server-side dry run (``dryRun=All``), so the API server validates it and answers with
what it would store, and nothing is persisted. A dry-run client also remembers what it
"created" and "deleted", so a later step of the same task sees that world (a Job it
would delete and recreate, a namespace it would create first).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import threading
import time

from ansible.module_utils.six.moves.urllib.parse import quote, urlencode

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import RequestError
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError

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
CUSTOM_METRICS = "/apis/custom.metrics.k8s.io/v1beta2"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PATCH_TYPES = {"merge": "application/merge-patch+json", "json": "application/json-patch+json",
               "strategic": "application/strategic-merge-patch+json"}
# answers after which the same request may be sent again: the server did not act on it
RETRY_STATUSES = {"GET": (429, 502, 503, 504)}
RETRY_WRITE_STATUSES = (429,)


class _NoAnswer(Exception):
    """The request got no HTTP answer (TLS handshake, connection); ``args[0]`` says why."""

    @property
    def reason(self):
        return self.args[0] if self.args else None


class KubeRequestError(RequestError):
    """A Kubernetes API request that failed: no answer, or a non-2xx status."""

    def describe(self):
        if self.status is None:
            return "cannot reach the Kubernetes API (%s %s): %s" % (self.method, self.url, self.reason)
        return super(KubeRequestError, self).describe()


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


def object_ref(kind, name, namespace=None):
    return "%s/%s/%s" % (kind, namespace, name) if namespace else "%s/%s" % (kind, name)


def _not_sent(exc):
    """True when the connection was never established, so even a write may be retried."""
    text = "%s %r" % (type(exc).__name__, getattr(exc, "reason", exc))
    return any(word in text for word in ("NewConnectionError", "ConnectTimeoutError", "Connection refused"))


class KubeClient(object):
    """Minimal JSON client. ``stats['requests']`` counts HTTP requests sent (retries included)."""

    def __init__(self, api_client, dry_run=False, timeout=30, retries=3, backoff=0.25):
        self.api = api_client
        self.dry_run = dry_run
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.stats = {"requests": 0}
        self._would_be = {}  # dry run: object ref -> what the server answered (None: deleted)

    @property
    def base_url(self):
        return getattr(getattr(self.api, "configuration", None), "host", "") or ""

    # ------------------------------------------------------------ transport
    def request(self, method, path, query=None, body=None, content_type="application/json", raw=False):
        query = [(k, v) for k, v in (query or {}).items() if v is not None]
        if self.dry_run and method in WRITE_METHODS:
            query.append(("dryRun", "All"))
        url = self.base_url + path + ("?" + urlencode(query) if query else "")
        attempt = 0
        while True:
            try:
                status, data = self._send(method, path, query, body, content_type)
            except Exception as exc:  # the library raises urllib3 and socket errors of many kinds
                if attempt < self.retries and (method == "GET" or _not_sent(exc)):
                    attempt = self._pause(attempt)
                    continue
                raise KubeRequestError(method, url, reason=str(getattr(exc, "reason", None) or exc))
            retry_on = RETRY_STATUSES.get(method, RETRY_WRITE_STATUSES)
            if status in retry_on and attempt < self.retries:
                attempt = self._pause(attempt)
                continue
            break
        if isinstance(data, bytes):
            data = data.decode("utf-8", "replace")
        if not 200 <= int(status or 0) <= 299:
            message, reason = data, None
            try:
                parsed = json.loads(data)
                message, reason = parsed.get("message", data), parsed.get("reason")
            except (ValueError, AttributeError):
                pass
            raise KubeRequestError(method, url, int(status or 0), (message or "").strip() or "(empty response)", reason)
        if raw:
            return data
        return json.loads(data) if data else {}

    def _pause(self, attempt):
        time.sleep(min(self.backoff * 2 ** attempt, 4.0))
        return attempt + 1

    def _send(self, method, path, query, body, content_type):
        from kubernetes.client.rest import ApiException
        headers = {"Accept": "application/json, */*", "Content-Type": content_type}
        self.stats["requests"] += 1
        api = self.api
        try:
            if hasattr(api, "param_serialize"):  # kubernetes >= 35 (new generator)
                serialized = api.param_serialize(method, path, query_params=query or None, header_params=headers,
                                                 body=body, auth_settings=["BearerToken"])
                resp = api.call_api(*serialized, _request_timeout=self.timeout)
                resp.read()
                return resp.status, resp.data
            resp = api.call_api(path, method, query_params=query, header_params=headers, body=body,
                                auth_settings=["BearerToken"], _preload_content=False, _return_http_data_only=True,
                                _request_timeout=self.timeout)
            return resp.status, resp.data
        except ApiException as exc:
            if not exc.status:  # the library reports TLS failures as an ApiException with status 0
                raise _NoAnswer(exc.reason)
            return exc.status, (exc.body or b"")

    # ------------------------------------------------------------ verbs
    def get(self, kind, name, namespace=None, missing_ok=True):
        ref = object_ref(kind, name, namespace)
        if ref in self._would_be:
            return copy.deepcopy(self._would_be[ref])
        try:
            return self.request("GET", resource_path(kind, namespace, name))
        except KubeRequestError as exc:
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

    def create(self, manifest):
        meta = manifest["metadata"]
        ref = object_ref(manifest["kind"], meta["name"], meta.get("namespace"))
        try:
            out = self.request("POST", resource_path(manifest["kind"], meta.get("namespace")), body=manifest)
        except KubeRequestError as exc:
            if not self._dry_run_cannot_see(exc, ref, meta.get("namespace")):
                raise
            out = copy.deepcopy(manifest)  # validated as far as the server can without the earlier step
        if self.dry_run:
            self._would_be[ref] = out
        return out

    def _dry_run_cannot_see(self, exc, ref, namespace):
        """A dry run of step 2 fails only because step 1 (itself a dry run) did not happen."""
        if not self.dry_run:
            return False
        if exc.status == 409 and ref in self._would_be and self._would_be[ref] is None:
            return True  # recreate: the dry-run delete left the object in place
        return exc.status == 404 and bool(namespace) and self._would_be.get(object_ref("Namespace", namespace)) is not None

    def patch(self, kind, name, patch, namespace=None, patch_type="merge"):
        out = self.request("PATCH", resource_path(kind, namespace, name), body=patch, content_type=PATCH_TYPES[patch_type])
        if self.dry_run:
            self._would_be[object_ref(kind, name, namespace)] = out
        return out

    def delete(self, kind, name, namespace=None, grace_period=None, propagation="Background", missing_ok=True):
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
        if grace_period is not None:
            body["gracePeriodSeconds"] = grace_period
        try:
            out = self.request("DELETE", resource_path(kind, namespace, name),
                               {"gracePeriodSeconds": grace_period, "propagationPolicy": propagation}, body)
        except KubeRequestError as exc:
            if exc.status == 404 and missing_ok:
                return None
            raise
        if self.dry_run:
            self._would_be[object_ref(kind, name, namespace)] = None
        return out

    def custom_metric(self, metric, namespace, label_selector, resource="pods", name="*"):
        """MetricValueList items of a custom metric (custom.metrics.k8s.io/v1beta2, prometheus-adapter)."""
        path = "%s/namespaces/%s/%s/%s/%s" % (CUSTOM_METRICS, quote(namespace, safe=""), resource, quote(name, safe="*"),
                                              quote(metric, safe=""))
        return self.request("GET", path, {"labelSelector": label_selector}).get("items") or []

    def pod_proxy(self, namespace, pod, port, path="metrics"):
        """GET through the API server's pod proxy (pods/proxy): e.g. dcgm-exporter's :9400/metrics text."""
        return self.request("GET", "%s/%s:%s/proxy/%s" % (resource_path("Pod", namespace), quote(pod, safe=""), int(port), path),
                            raw=True)

    def follow_logs(self, pod, namespace, seconds, tail=None, container=None):
        """``kubectl logs -f`` for at most ``seconds``: the log so far (``tail`` lines) and what the container
        writes meanwhile. A reader thread holds the stream; when the time is up the connection is shut down."""
        path = resource_path("Pod", namespace, pod, "log")
        query = [(k, v) for k, v in (("follow", "true"), ("tailLines", tail), ("container", container)) if v is not None]
        url = self.base_url + path + "?" + urlencode(query)
        chunks, state = [], {}

        def read():
            try:
                resp = self._open_stream(path, query)
                state["resp"] = resp
                if resp.status != 200:
                    state["error"] = (resp.status, resp.read())
                    return
                for chunk in resp.stream(4096):
                    chunks.append(chunk)
            except Exception as exc:  # pylint: disable=broad-except
                state.setdefault("exception", exc)

        reader = threading.Thread(target=read, name="gpuctl-follow-%s" % pod)
        reader.daemon = True
        reader.start()
        reader.join(seconds)
        resp = state.get("resp")
        if reader.is_alive() and resp is not None:
            (getattr(resp, "shutdown", None) or resp.close)()  # unblocks the read (urllib3 >= 2.3 has shutdown)
            reader.join(2)
        text = b"".join(list(chunks)).decode("utf-8", "replace")
        if "error" in state:
            status, data = state["error"]
            message = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
            try:
                message = json.loads(message).get("message", message)
            except (ValueError, AttributeError):
                pass
            raise KubeRequestError("GET", url, int(status), message.strip() or "(empty response)")
        if "exception" in state and not text and not reader.is_alive() and "resp" not in state:
            raise KubeRequestError("GET", url, reason=str(getattr(state["exception"], "reason", None) or state["exception"]))
        return text

    def _open_stream(self, path, query):
        headers = {"Accept": "*/*"}
        self.stats["requests"] += 1
        api = self.api
        if hasattr(api, "param_serialize"):  # kubernetes >= 35: never preloads; the urllib3 response is .response
            serialized = api.param_serialize("GET", path, query_params=query, header_params=headers, auth_settings=["BearerToken"])
            return api.call_api(*serialized, _request_timeout=(self.timeout, None)).response
        return api.call_api(path, "GET", query_params=query, header_params=headers, auth_settings=["BearerToken"],
                            _preload_content=False, _return_http_data_only=True, _request_timeout=(self.timeout, None))

    def logs(self, pod, namespace, tail=None, container=None):
        return self.request("GET", resource_path("Pod", namespace, pod, "log"),
                            {"tailLines": tail, "container": container}, raw=True)
