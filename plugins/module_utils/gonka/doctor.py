# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet doctor (module gonka_doctor): read-only probes, verdicts from doctor_checks.py.

Four scopes, one per place a check has to run from:

- ``network_node``: on the network node. The Admin API (nodes, setup/report, each node's state
  and admin state), the epoch's participants, the governance models, the api container's real
  ``DAPI_API__POC_CALLBACK_URL`` (docker inspect), 9100 from the network node, each ML node's
  ``/health`` and ``/api/v1/state`` under ``/<chain ML node version><segment>`` as the api calls
  them, and the RunPod proxies (container, ``nginx -t``, the pod's RunPod names).
- ``mlnode``: on an ML node's host. Its image against the release, ``nginx -t`` in its
  ``inference`` container, and a POST to the callback route from inside ``mlnode-308`` (where
  the ML node process sends its batches).
- ``vantage``: on a host outside the private network: which ports answer from there.
- ``summary``: no probes; merges the other scopes' checks into the table, Markdown and JSON.

Nothing here writes: HTTP probes go through a read-only AdminClient (GET only; the callback POST
is sent from inside the ML node container by ``docker exec``, as the ML node itself would), and
the docker CLI is used for ``ps``, ``inspect`` and ``exec`` of read-only commands only.
Every independent probe runs in common/workers.bounded_map, so a fleet takes about as long as
its slowest check.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import socket
import ssl
import time

from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import ValidationError
from ansible_collections.gpufleet.ops.plugins.module_utils.common.workers import bounded_map
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka import doctor_checks as verdict
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka import doctor_report as report
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.client import AdminClient, GonkaApiError, ssl_context
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.connection import check_http_url, client_from_params
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.participants import find_participant, participants_url

SCOPES = ("network_node", "mlnode", "vantage", "summary")
ANY_STATUS = tuple(range(100, 600))
INTERNAL = object()  # a callback host only the compose project resolves
# The ML node process's POST, run inside its container (python3 is in every ML node image).
# Exit 0: an HTTP answer on the route; 4: 404/405 (no such route); 3: no answer.
CALLBACK_SCRIPT = (
    "import sys, urllib.request, urllib.error\n"
    "req = urllib.request.Request(sys.argv[1], data=b'{}', headers={'Content-Type': 'application/json'}, "
    "method='POST')\n"
    "try:\n"
    "    code = urllib.request.build_opener().open(req, timeout=10).status\n"
    "except urllib.error.HTTPError as err:\n"
    "    code = err.code\n"
    "except Exception as err:\n"
    "    print('no answer: %s' % getattr(err, 'reason', err))\n"
    "    sys.exit(3)\n"
    "print('HTTP %d' % code)\n"
    "sys.exit(4 if code in (404, 405) else 0)\n")

MLNODE_SPEC = dict(
    id=dict(type="str", required=True),
    host=dict(type="str"),
    poc_port=dict(type="int"),
    inference_port=dict(type="int"),
    poc_segment=dict(type="str", default=""),
    model=dict(type="str"),
    project=dict(type="str"),
    mlnode_service=dict(type="str", default="mlnode-308"),
    nginx_service=dict(type="str", default="inference"),
    callback_from=dict(type="str", default="container", choices=["container", "host", "none"]),
    callback_url=dict(type="str"),
    runpod=dict(type="bool", default=False),
    runpod_id=dict(type="str"),
    runpod_proxy_project=dict(type="str"),
    runpod_upstreams=dict(type="list", elements="str", default=[]),
)
EXPOSURE_SPEC = dict(
    target=dict(type="str", required=True),
    address=dict(type="str", required=True),
    port=dict(type="int", required=True),
    want_open=dict(type="bool", default=False),
)


def doctor_spec():
    """Options of gonka_doctor beyond the Admin API connection (added by the module)."""
    return dict(
        scope=dict(type="str", required=True, choices=list(SCOPES)),
        name=dict(type="str"),
        release=dict(type="str", default="0.2.14"),
        chain_mlnode_version=dict(type="str", default="v3.0.8"),
        poc_generated_path=dict(type="str", default="/v2/poc-batches/{model}/generated"),
        minimum_mlnode_version=dict(type="str", default="3.0.10"),
        mlnode_image=dict(type="str"),
        api_container=dict(type="str", default="api"),
        callback_url=dict(type="str"),
        split=dict(type="bool", default=True),
        participants_url=dict(type="str"),
        participant=dict(type="str"),
        governance_url=dict(type="str"),
        mlnodes=dict(type="list", elements="dict", default=[], options=MLNODE_SPEC),
        exposure=dict(type="list", elements="dict", default=[], options=EXPOSURE_SPEC),
        reports=dict(type="list", elements="dict", default=[]),
        docker_cli=dict(type="str", default="docker"),
        docker_host=dict(type="str"),
        probe_timeout=dict(type="int", default=10),
        max_workers=dict(type="int", default=128),
    )


# -- validation -----------------------------------------------------------------------------------
def validate(params):
    """Errors name the option path; nothing is probed before this passes."""
    errors = []
    scope = params["scope"]
    if not 1 <= (params.get("probe_timeout") or 0) <= 300:
        errors.append(("probe_timeout", "must be between 1 and 300 seconds"))
    if not 1 <= (params.get("max_workers") or 0) <= 512:
        errors.append(("max_workers", "must be between 1 and 512"))
    if params.get("ca_path") and params.get("validate_certs", True) is not False:
        try:
            ssl_context(True, params["ca_path"])
        except (ssl.SSLError, OSError, ValueError) as exc:
            errors.append(("ca_path", "%s is not a readable PEM CA bundle (%s)" % (params["ca_path"], exc)))
    for field in ("participants_url", "governance_url", "callback_url"):
        if params.get(field):
            try:
                check_http_url(params[field], field)
            except ValidationError as exc:
                errors.extend(exc.errors)
    if "{model}" not in (params.get("poc_generated_path") or "") and not (
            params.get("poc_generated_path") or "").startswith("/v1/"):
        errors.append(("poc_generated_path", "must be the release's route, /v2/poc-batches/{model}/generated "
                                             "(v0.2.8+) or /v1/poc-batches/generated"))
    seen = set()
    for index, node in enumerate(params.get("mlnodes") or []):
        path = "mlnodes[%d]" % index
        if node["id"] in seen:
            errors.append((path + ".id", "%s appears twice" % node["id"]))
        seen.add(node["id"])
        if scope == "network_node" and node["runpod"] and not node.get("runpod_proxy_project"):
            errors.append((path + ".runpod_proxy_project", "required for a RunPod ML node"))
        if scope == "mlnode" and node["callback_from"] != "none" and not node.get("callback_url"):
            errors.append((path + ".callback_url", "required to check the callback route (or callback_from: none)"))
        if scope == "mlnode" and node["callback_from"] == "container" and not node["runpod"] and not node.get("project"):
            errors.append((path + ".project", "the ML node's compose project is needed to find its containers"))
        for port in ("poc_port", "inference_port"):
            if node.get(port) is not None and not 1 <= node[port] <= 65535:
                errors.append(("%s.%s" % (path, port), "must be between 1 and 65535"))
    for index, item in enumerate(params.get("exposure") or []):
        if not 1 <= item["port"] <= 65535:
            errors.append(("exposure[%d].port" % index, "must be between 1 and 65535"))
    for index, item in enumerate(params.get("reports") or []):
        if not isinstance(item.get("checks"), list):
            errors.append(("reports[%d].checks" % index, "must be the checks list of an earlier gonka_doctor result"))
    if errors:
        raise ValidationError(errors, what="invalid gonka_doctor options")


# -- probes -------------------------------------------------------------------------------------------
class Docker(object):
    """The docker CLI on this host, through the module's run_command (read-only verbs only)."""

    def __init__(self, run_command, cli="docker", host=None):
        self.run_command = run_command
        self.base = [cli] + (["-H", host] if host else [])

    def run(self, *args):
        try:
            rc, out, err = self.run_command(self.base + list(args))
        except (OSError, ValueError) as exc:  # no docker CLI on this host
            return 127, "", str(exc)
        return rc, out or "", err or ""

    def find(self, project, service):
        """(name, state, image) of a compose service's container, or None."""
        rc, out, _err = self.run("ps", "-a", "--filter", "label=com.docker.compose.project=%s" % project,
                                 "--filter", "label=com.docker.compose.service=%s" % service,
                                 "--format", "{{.Names}}\t{{.State}}\t{{.Image}}")
        rows = [line.split("\t") for line in out.splitlines() if line.strip()] if rc == 0 else []
        rows.sort(key=lambda r: r[1] != "running")  # a running one first
        return tuple(rows[0][:3]) if rows and len(rows[0]) >= 3 else None

    def env(self, container):
        """The container's environment as a dict, or (None, error)."""
        rc, out, err = self.run("inspect", "-f", "{{json .Config.Env}}", container)
        if rc != 0:
            return None, (err or out).strip() or "docker inspect %s: rc %s" % (container, rc)
        try:
            pairs = json.loads(out) or []
        except ValueError:
            return None, "docker inspect %s: unreadable answer" % container
        return dict(p.split("=", 1) for p in pairs if "=" in p), None

    def exec_(self, container, *argv):
        rc, out, err = self.run("exec", container, *argv)
        return rc, (out + err)


class _NoMemory(dict):
    """``AdminClient.down`` for probes: remembers nothing. Many ML nodes are many servers, and one
    that refused must not turn another probe into "not sent"."""

    def __setitem__(self, key, value):
        pass


class Prober(object):
    """HTTP GETs and TCP connects; every answer (any status) is evidence, never an exception."""

    def __init__(self, timeout, validate_certs=True, ca_path=None):
        self.timeout = timeout
        # One read-only client for every probe: its TLS context is built once (building one per
        # probe costs more CPU than the probe), its transport is safe across threads.
        self.client = AdminClient("", timeout=timeout, retries=0, validate_certs=validate_certs, ca_path=ca_path,
                                  read_only=True)
        self.client.down = _NoMemory()

    def get(self, url):
        """(status, data, error): status None when no HTTP answer came."""
        try:
            resp = self.client.call("GET", url, retry=False, ok=ANY_STATUS)
        except GonkaApiError as exc:
            return None, None, exc.reason or str(exc)
        return resp.status, resp.data, None

    def connect(self, host, port):
        """None when something accepted the TCP connection, else why not."""
        try:
            sock = socket.create_connection((host, int(port)), timeout=self.timeout)
        except (OSError, socket.timeout) as exc:
            return getattr(exc, "strerror", None) or str(exc) or exc.__class__.__name__
        sock.close()
        return None


def _why(exc):
    """A request error without its method and URL (the check's evidence names them)."""
    if exc.status is None:
        return "no answer (%s)" % _short(exc.reason)
    return "HTTP %s%s" % (exc.status, ": %s" % exc.server_message if exc.server_message else "")


def _unresolved(error):
    text = str(error or "").lower()
    return "name or service not known" in text or "name resolution" in text or "nodename nor servname" in text


def _short(error):
    text = str(error or "")
    return text.split("] ", 1)[-1] if text.startswith("[Errno") else text


# -- the service ---------------------------------------------------------------------------------------
class DoctorService(object):
    """Module gonka_doctor: runs the checks of one scope and returns them (never changes anything)."""

    def __init__(self, module, prober=None, docker=None, clock=time.time):
        self.module = module
        self.params = module.params
        self.clock = clock
        self.prober = prober  # built in run(), after validate(): a bad ca_path is an option error
        self.docker = docker or Docker(module.run_command, self.params.get("docker_cli") or "docker",
                                       self.params.get("docker_host"))

    def run(self):
        validate(self.params)
        if self.prober is None:
            self.prober = Prober(self.params.get("probe_timeout") or 10, self.params.get("validate_certs", True),
                                 self.params.get("ca_path"))
        started = self.clock()
        scope = self.params["scope"]
        extra = {}
        if scope == "network_node":
            checks, extra = self.network_node()
        elif scope == "mlnode":
            checks = self.mlnodes()
        elif scope == "vantage":
            checks = self.vantage()
        else:
            checks = [c for r in self.params["reports"] for c in r["checks"]]
        if scope != "summary":
            host = self.params.get("name") or ""
            for c in checks:
                c["host"] = host
                c["scope"] = scope
        result = dict(changed=False, scope=scope, checks=report.sort_checks(checks), counts=report.counts(checks),
                      any_failed=report.counts(checks)["fail"] > 0, table=report.table(checks),
                      elapsed=round(self.clock() - started, 3))
        result.update(extra)
        if scope == "summary":
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))
            result["markdown"] = report.markdown(checks, generated=stamp)
            result["report"] = report.document(checks, generated=stamp)
        return result

    def _map(self, func, items):
        return bounded_map(func, items, self.params.get("max_workers") or 128)

    # -- network node ---------------------------------------------------------------------------
    def network_node(self):
        p = self.params
        target = p.get("name") or "network node"
        client = client_from_params(p, check_mode=True)
        nodes_url = client.admin_url("nodes")

        def list_nodes():
            try:
                return client.list_nodes(), None
            except GonkaApiError as exc:
                return None, _why(exc)

        def setup():
            try:
                return 200, client.setup_report(), None
            except GonkaApiError as exc:
                return exc.status, None, _why(exc)

        def participants_probe():
            if not p.get("participants_url") or not p.get("participant"):
                return None, None
            status, data, error = self.prober.get(participants_url(p["participants_url"]))
            if error or status != 200:
                return None, error or "HTTP %s" % status
            return find_participant(data, p["participant"]), None

        def governance():
            if not p.get("governance_url"):
                return None, None
            url = p["governance_url"].rstrip("/") + "/v1/governance/models"
            status, data, error = self.prober.get(url)
            if error or status != 200:
                return None, "GET %s: %s" % (url, error or "HTTP %s" % status)
            models = (data or {}).get("models") if isinstance(data, dict) else data
            return set(m.get("id") if isinstance(m, dict) else m for m in models or []), None

        def api_env():
            env, error = self.docker.env(p["api_container"])
            return env, error

        def port_probe():
            url = p.get("callback_url")
            if not url:
                return None
            parts = urlsplit(url)
            if not p["split"] and (parts.hostname or "").lower() in verdict.INTERNAL_CALLBACK_HOSTS:
                return parts.hostname, parts.port or 80, INTERNAL
            return parts.hostname, parts.port or 80, self.prober.connect(parts.hostname, parts.port or 80)

        jobs = [list_nodes, setup, participants_probe, governance, api_env, port_probe]
        (items, nodes_error), (s_status, s_data, s_error), (found, p_error), (approved, g_error), \
            (env, env_error), port = self._map(lambda job: job(), jobs)

        checks = [verdict.admin_api(target, nodes_url, 200, len(items or []), nodes_error)]
        if nodes_error and s_error and s_status is None:
            checks.append(verdict.skipped(target, "setup_report", "the Admin API does not answer (admin_api)"))
        else:
            checks.append(verdict.setup_report(target, client.admin_url("setup", "report"), s_status, s_data, s_error))
        checks.append(verdict.participants(target, p.get("participants_url"), p.get("participant"), found or {}, p_error))
        source = "api container %s env" % p["api_container"]
        if env is None:
            checks.append(verdict.check(target, "callback_url", verdict.FAIL, "docker inspect %s: %s"
                                        % (p["api_container"], env_error),
                                        "Start the network node (site.yml); the api container must run."))
            actual = None
        else:
            actual = env.get("DAPI_API__POC_CALLBACK_URL")
            checks.append(verdict.callback_url(target, actual, p.get("callback_url"), p["split"], source))
        if port is None:
            checks.append(verdict.skipped(target, "callback_port", "no callback URL in the inventory"))
        elif port[2] is INTERNAL:
            checks.append(verdict.skipped(target, "callback_port", "%s:%s is a name inside the compose project (single "
                                          "machine): callback_route checks it from the ML node container" % port[:2]))
        else:
            checks.append(verdict.callback_port(target, port[0], port[1], _short(port[2]) if port[2] else None))

        by_id = {}
        for item in items or []:
            by_id[str((item.get("node") or {}).get("id"))] = item
        if items is not None:
            checks.append(verdict.unknown_registrations(target, list(by_id), [n["id"] for n in p["mlnodes"]]))
        source_url = (p.get("governance_url") or "").rstrip("/") + "/v1/governance/models"

        def one(node):
            return self.mlnode_from_network(node, by_id.get(node["id"]) if items is not None else None,
                                            items is not None, nodes_url, approved, g_error, source_url)
        for node_checks in self._map(one, p["mlnodes"]):
            checks.extend(node_checks)
        return checks, {"callback_url": actual}

    def mlnode_from_network(self, node, entry, listed, nodes_url, approved, g_error, source_url):
        node_id = node["id"]
        out = []
        if not listed:
            out.append(verdict.skipped(node_id, "registered", "the Admin API does not answer (admin_api)"))
        else:
            out.append(verdict.registered(node_id, entry, node, nodes_url))
        out.append(verdict.admin_state(node_id, entry) if listed else
                   verdict.skipped(node_id, "admin_state", "the Admin API does not answer"))
        out.append(verdict.node_state(node_id, entry) if listed else
                   verdict.skipped(node_id, "node_state", "the Admin API does not answer"))
        out.append(verdict.model_approved(node_id, node.get("model"), approved, entry, source_url, g_error))
        proxy_ok = True
        if node["runpod"]:
            proxy = self.runpod_proxy(node)
            proxy_ok = proxy["status"] == verdict.OK
            out.append(proxy)
        if entry is None:
            out.append(verdict.skipped(node_id, "reachable", "not registered" if listed else "no registration to read"))
        elif not proxy_ok:
            out.append(verdict.skipped(node_id, "reachable", "its RunPod proxy is not working (runpod_proxy)"))
        else:
            reg = entry.get("node") or {}
            base = "http://%s:%s/%s%s" % (reg.get("host"), reg.get("poc_port"),
                                          self.params["chain_mlnode_version"].strip("/"), reg.get("poc_segment") or "")
            via = self.params.get("name") or "the network node"
            health = self.prober.get(base + "/health")
            if health[0] is None and _unresolved(health[2]):
                # A Docker-internal name (single machine: "inference"): ask from the api container, as the api does.
                via = "%s (docker exec %s curl)" % (via, self.params["api_container"])
                health, state = self._curl(base + "/health"), self._curl(base + "/api/v1/state")
            else:
                state = self.prober.get(base + "/api/v1/state") if health[0] is not None else health
            out.append(verdict.reachable(node_id, base, (health[0], _short(health[2])), (state[0], _short(state[2])), via))
        return out

    def _curl(self, url):
        """(status, None, error) of GET url from inside the api container (curl is in the api image)."""
        rc, output = self.docker.exec_(self.params["api_container"], "curl", "-sS", "-f", "-o", "/dev/null",
                                       "--max-time", str(self.params.get("probe_timeout") or 10), url)
        if rc == 0:
            return 200, None, None
        if rc == 22:
            return None, None, "HTTP error 400 or above (curl exit 22)"
        return None, None, "curl exit %s: %s" % (rc, verdict.first_error(output))

    def runpod_proxy(self, node):
        # One service per proxy project (inference-<alias>): its only container.
        found = self._any_container(node["runpod_proxy_project"])
        if found is None:
            return verdict.runpod_proxy(node["id"], None, None, (0, ""), "", node["runpod_upstreams"], node.get("runpod_id"))
        name, state, _image = found
        if state != "running":
            return verdict.runpod_proxy(node["id"], name, False, (0, ""), "", node["runpod_upstreams"],
                                        node.get("runpod_id"))
        nginx_t = self.docker.exec_(name, "nginx", "-t")
        _rc, conf = self.docker.exec_(name, "cat", "/etc/nginx/nginx.conf")
        return verdict.runpod_proxy(node["id"], name, True, nginx_t, conf, node["runpod_upstreams"], node.get("runpod_id"))

    def _any_container(self, project):
        rc, out, _err = self.docker.run("ps", "-a", "--filter", "label=com.docker.compose.project=%s" % project,
                                        "--format", "{{.Names}}\t{{.State}}\t{{.Image}}")
        rows = [line.split("\t") for line in out.splitlines() if line.strip()] if rc == 0 else []
        return tuple(rows[0][:3]) if rows and len(rows[0]) >= 3 else None

    # -- ML node host ------------------------------------------------------------------------------
    def mlnodes(self):
        checks = []
        nodes = self.params["mlnodes"]
        if any(not n["runpod"] for n in nodes):
            rc, out, err = self.docker.run("version", "--format", "{{.Server.Version}}")
            if rc != 0:  # no Docker engine to ask: say so once per check instead of "no container"
                why = verdict.first_error(err or out)
                for node in nodes:
                    if not node["runpod"]:
                        checks.extend(verdict.check(node["id"], name, verdict.FAIL, "docker version: %s" % why,
                                                    "Make the docker CLI reach the ML node's engine (DOCKER_HOST, "
                                                    "docker_host, the user's docker group) and run the doctor again.")
                                      for name in ("image_version", "nginx_config", "callback_route"))
                nodes = [n for n in nodes if n["runpod"]]
        for node_checks in self._map(self.mlnode_on_host, nodes):
            checks.extend(node_checks)
        return checks

    def mlnode_on_host(self, node):
        p = self.params
        node_id = node["id"]
        out = []
        route = verdict.callback_route(node.get("callback_url") or "", p["poc_generated_path"], node.get("model"))
        if node["runpod"]:
            out.append(verdict.skipped(node_id, "image_version", "RunPod pod: the image is the pod template's"))
            out.append(verdict.skipped(node_id, "nginx_config", "RunPod: the proxy's nginx is checked by runpod_proxy"))
            if node["callback_from"] == "host":
                rc, output = self._post_here(route)
                out.append(verdict.callback_post(node_id, "inside the pod", route, rc, output))
            else:
                out.append(verdict.skipped(node_id, "callback_route", "the pod is not reachable by Ansible "
                                           "(gonka_mlnode_runpod_pod_reachable): POST %s from inside it by hand" % route))
            return out
        ml = self.docker.find(node["project"], node["mlnode_service"])
        nginx = self.docker.find(node["project"], node["nginx_service"])
        out.append(verdict.image_version(node_id, ml and ml[0], ml and ml[2], p.get("mlnode_image"),
                                         p["minimum_mlnode_version"]))
        down = verdict.container_running(node_id, "nginx_config", nginx and nginx[0], nginx and nginx[1])
        if down:
            out.append(down)
        else:
            rc, output = self.docker.exec_(nginx[0], "nginx", "-t")
            out.append(verdict.nginx_config(node_id, nginx[0], rc, output))
        if node["callback_from"] == "none":
            out.append(verdict.skipped(node_id, "callback_route", "callback_from: none"))
        elif node["callback_from"] == "host":
            rc, output = self._post_here(route)
            out.append(verdict.callback_post(node_id, "from this host", route, rc, output))
        else:
            down = verdict.container_running(node_id, "callback_route", ml and ml[0], ml and ml[1])
            if down:
                out.append(down)
            else:
                rc, output = self.docker.exec_(ml[0], "python3", "-c", CALLBACK_SCRIPT, route)
                out.append(verdict.callback_post(node_id, "inside %s" % ml[0], route, rc, output))
        return out

    def _post_here(self, url):
        """The callback POST from this host itself (a RunPod pod Ansible logs into)."""
        try:
            rc, out, err = self.module.run_command([self.module.get_bin_path("python3") or "python3", "-c",
                                                    CALLBACK_SCRIPT, url])
        except (OSError, ValueError) as exc:
            return 127, str(exc)
        return rc, (out or "") + (err or "")

    # -- outside vantage point ---------------------------------------------------------------------
    def vantage(self):
        where = self.params.get("name") or "the vantage point"

        def one(item):
            error = self.prober.connect(item["address"], item["port"])
            if error and _unresolved(error):
                return verdict.skipped(item["target"], "exposure_%s" % item["port"], "%s does not resolve from %s: "
                                       "set ansible_host to its public address" % (item["address"], where))
            return verdict.exposure(item["target"], where, item["address"], item["port"], error is None,
                                    _short(error), item["want_open"])
        return self._map(one, self.params["exposure"])
