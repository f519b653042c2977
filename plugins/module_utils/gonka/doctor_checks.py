# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The doctor's verdicts: evidence in, one check out (status, evidence, fix).

Pure functions, no I/O: the probes (doctor.py) collect the evidence, these decide what it
means, so the unit tests feed them recorded answers. Each check names the thing it is about
(``target``: a network node or an ML node id) and says in one sentence how to fix it.
Seed 002's checklist (callback URL, ports, RUNPOD_ID, nginx, participants, registration, the
RunPod proxy) and seed 001's callback/port notes are the source of the checks.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.module_utils.six.moves.urllib.parse import quote, urlsplit

OK, WARN, FAIL, SKIPPED = "ok", "warn", "fail", "skipped"
STATUSES = (FAIL, WARN, OK, SKIPPED)  # severity order, worst first
# Hosts the ML nodes of another machine cannot reach (seed 001: never keep http://api:9100 there).
INTERNAL_CALLBACK_HOSTS = ("api", "localhost")


def check(target, name, status, evidence, fix=None):
    return {"target": target, "check": name, "status": status, "evidence": evidence,
            "fix": fix if status in (WARN, FAIL) else None}


def skipped(target, name, reason):
    return check(target, name, SKIPPED, reason)


def version_tuple(text):
    """``3.0.14-post2`` -> (3, 0, 14, 2); ``latest`` -> None."""
    numbers = re.findall(r"\d+", text or "")
    if not numbers:
        return None
    return tuple(int(n) for n in numbers[:4])


def image_tag(image):
    """The tag of an image reference (no digest): ``ghcr.io/x/mlnode:3.0.8`` -> ``3.0.8``."""
    ref = (image or "").split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else "latest"


def callback_route(callback_url, route, model):
    """The URL an ML node POSTs its PoC batches to: callback URL + the release's route."""
    path = route.replace("{model}", quote(model or "", safe=""))
    return callback_url.rstrip("/") + path


# -- network node ---------------------------------------------------------------------------
def admin_api(target, url, status, count, error=None):
    if error:
        return check(target, "admin_api", FAIL, "GET %s: %s" % (url, error),
                     "Start the api container and check gonka_network_node_admin_url / the admin bind address "
                     "(the admin server comes up only after the chain has synced).")
    return check(target, "admin_api", OK, "GET %s: HTTP %s, %d node(s) registered" % (url, status, count))


def setup_report(target, url, status, report, error=None):
    """GET setup/report (v0.2.4+): overall_status PASS/FAIL/UNAVAILABLE and its failed checks."""
    if status in (404, 405):
        return skipped(target, "setup_report", "GET %s: HTTP %s: this Admin API release has no setup/report "
                       "(v0.2.4 and later have it)" % (url, status))
    if error:
        return check(target, "setup_report", WARN, "GET %s: %s" % (url, error),
                     "Read the api container's log (docker logs api): setup/report did not answer.")
    report = report if isinstance(report, dict) else {}
    overall = report.get("overall_status")
    failed = [c for c in report.get("checks") or [] if isinstance(c, dict) and c.get("status") == "FAIL"]
    shown = "; ".join("%s: %s" % (c.get("id"), c.get("message")) for c in failed[:5])
    if overall == "PASS" and not failed:
        return check(target, "setup_report", OK, "GET %s: HTTP 200, overall_status PASS (%d checks)"
                     % (url, len(report.get("checks") or [])))
    if overall == "FAIL" or failed:
        recs = (report.get("summary") or {}).get("recommendations") or []
        return check(target, "setup_report", FAIL, "GET %s: overall_status %s: %s" % (url, overall, shown),
                     recs[0] if recs else "Fix the failed setup checks named in the evidence (keys, permissions, "
                     "ML nodes), then read setup/report again.")
    return check(target, "setup_report", WARN, "GET %s: overall_status %s" % (url, overall),
                 "setup/report could not run all its checks: read the api container's log.")


def participants(target, url, wanted, found, error=None):
    """``found``: participants.find_participant's answer."""
    if not url:
        return skipped(target, "participants", "no participants URL (gonka_doctor_participants_url)")
    if not wanted:
        return skipped(target, "participants", "no participant address or public URL to look for")
    if error:
        return check(target, "participants", WARN, "GET %s: %s" % (url, error),
                     "Point gonka_doctor_participants_url at a public Gonka API that answers "
                     "/v1/epochs/current/participants.")
    if found.get("found"):
        return check(target, "participants", OK, "%s is among the %d participants of epoch %s"
                     % (wanted, found.get("participants", 0), found.get("epoch_group_id")))
    return check(target, "participants", WARN, "%s is not among the %d participants of epoch %s (GET %s)"
                 % (wanted, found.get("participants", 0), found.get("epoch_group_id"), url),
                 "A host joins the list after the next PoC (1-3 h) with at least one registered, enabled, "
                 "reachable ML node; if it stays out, read `docker logs api`.")


def callback_url(target, actual, expected, split, source):
    """DAPI_API__POC_CALLBACK_URL as the api container really runs it."""
    name = "callback_url"
    if actual is None:
        return check(target, name, FAIL, "%s: DAPI_API__POC_CALLBACK_URL is not set" % source,
                     "Set gonka_network_node_poc_callback_url and re-run site.yml (the api needs it).")
    line = "%s: DAPI_API__POC_CALLBACK_URL=%s" % (source, actual)
    host = (urlsplit(actual).hostname or "").lower()
    if split and (host in INTERNAL_CALLBACK_HOSTS or host.startswith("127.")):
        return check(target, name, FAIL, line + " (ML nodes on other machines cannot reach %s)" % host,
                     "Set gonka_network_node_poc_callback_url to http://<network node private IP>:9100 and re-run "
                     "site.yml, which recreates the api container.")
    if expected and actual.rstrip("/") != expected.rstrip("/"):
        return check(target, name, WARN, line + " but the inventory says %s" % expected,
                     "Re-run site.yml so the api container runs with the inventory's callback URL.")
    return check(target, name, OK, line)


def callback_port(target, address, port, error):
    """TCP connect to the callback URL's host:port from the network node."""
    if error:
        return check(target, "callback_port", FAIL, "connect %s:%s: %s" % (address, port, error),
                     "Publish 9100 on the private address and open it to the ML nodes "
                     "(gonka_network_node_poc_callback_bind_address, firewall); the api's ML server must listen.")
    return check(target, "callback_port", OK, "connect %s:%s: open" % (address, port))


def exposure(target, vantage, address, port, is_open, error, want_open):
    """One port seen from the inventory's outside vantage point."""
    name = "exposure_%s" % port
    seen = "open" if is_open else "closed (%s)" % (error or "no answer")
    line = "from %s, %s:%s is %s" % (vantage, address, port, seen)
    if is_open and not want_open:
        return check(target, name, FAIL, line,
                     "Bind %s to a private address or firewall it (seed 001: 9200 never public, 9100 only for "
                     "ML nodes, 5050/8080 only for the network node)." % port)
    if want_open and not is_open:
        return check(target, name, FAIL, line, "Open %s to %s (firewall, bind address)." % (port, vantage))
    return check(target, name, OK, line)


def unknown_registrations(target, registered_ids, inventory_ids):
    extra = sorted(set(registered_ids) - set(inventory_ids))
    if extra:
        return check(target, "inventory_match", WARN, "registered but not in the inventory: %s" % ", ".join(extra),
                     "Add them to the inventory or remove them (playbooks/mlnode_remove.yml, DELETE /admin/v1/nodes/<id>).")
    return check(target, "inventory_match", OK, "%d registered node(s), all in the inventory" % len(registered_ids))


# -- one ML node, seen from its network node ---------------------------------------------------
def registered(node_id, entry, expected, nodes_url):
    """``entry``: the node's item of GET nodes (None when absent); ``expected``: host/ports the inventory gives."""
    if entry is None:
        return check(node_id, "registered", FAIL, "GET %s: no node with id %s" % (nodes_url, node_id),
                     "Register it: re-run site.yml (or gpufleet.ops.mlnode with the node's config).")
    node = entry.get("node") or {}
    got = (node.get("host"), node.get("poc_port"), node.get("inference_port"))
    want = (expected.get("host"), expected.get("poc_port"), expected.get("inference_port"))
    line = "registered as host %s, poc_port %s, inference_port %s" % got
    if all(w is not None for w in want) and tuple(str(x) for x in got) != tuple(str(x) for x in want):
        return check(node_id, "registered", WARN, line + "; the inventory says %s, %s, %s" % want,
                     "Re-run site.yml to re-register it with the inventory's host and ports.")
    return check(node_id, "registered", OK, line)


def admin_state(node_id, entry):
    if entry is None:
        return skipped(node_id, "admin_state", "not registered")
    state = (entry.get("state") or {}).get("admin_state")
    if not isinstance(state, dict):
        return skipped(node_id, "admin_state", "this Admin API release reports no admin_state")
    line = "admin_state enabled=%s epoch=%s" % (str(state.get("enabled")).lower(), state.get("epoch"))
    if state.get("enabled") is False:
        return check(node_id, "admin_state", FAIL, line,
                     "Enable it: POST /admin/v1/nodes/%s/enable on the network node (it gets no work while "
                     "disabled)." % node_id)
    return check(node_id, "admin_state", OK, line)


def node_state(node_id, entry):
    if entry is None:
        return skipped(node_id, "node_state", "not registered")
    state = entry.get("state") or {}
    current = state.get("current_status")
    line = "current_status %s, intended %s, poc %s" % (current, state.get("intended_status"),
                                                       state.get("poc_current_status"))
    if current == "FAILED":
        return check(node_id, "node_state", FAIL, line + ", failure_reason: %s" % (state.get("failure_reason") or "-"),
                     "Read the ML node's log (docker logs of mlnode-308) for the failure reason and fix it; "
                     "the api retries on its own.")
    return check(node_id, "node_state", OK, line)


def model_approved(node_id, model, approved, entry, source, error=None):
    """The inventory's model among the governance models; and still among the registered ones
    (v0.2.12+ drops unapproved models from a registration without a word)."""
    if not model:
        return skipped(node_id, "model_approved", "no model in the inventory (gonka_mlnode_model)")
    registered_models = sorted(((entry or {}).get("node") or {}).get("models") or {})
    if approved is None:
        if entry is not None and model not in registered_models:
            return check(node_id, "model_approved", FAIL, "registered models %s lack %s" % (registered_models, model),
                         "Pick a model the network approves (GET /v1/governance/models) and re-run site.yml.")
        return skipped(node_id, "model_approved", error or "no governance URL (gonka_doctor_governance_url)")
    if model not in approved:
        return check(node_id, "model_approved", FAIL, "GET %s: %s is not among the %d approved models"
                     % (source, model, len(approved)),
                     "Set gonka_mlnode_model to an approved model (GET /v1/governance/models) and re-run site.yml.")
    if entry is not None and model not in registered_models:
        return check(node_id, "model_approved", FAIL, "approved, but the registered models are %s" % registered_models,
                     "Re-run site.yml to register the node with %s." % model)
    return check(node_id, "model_approved", OK, "%s is approved (GET %s)" % (model, source))


def reachable(node_id, base, health, state, via):
    """``health``/``state``: (HTTP status or None, error) of GET <base>/health and <base>/api/v1/state."""
    h_status, h_error = health
    s_status, s_error = state
    line = "from %s: GET %s/health: %s; GET %s/api/v1/state: %s" % (
        via, base, h_status if h_status is not None else h_error, base, s_status if s_status is not None else s_error)
    if h_status == 200 and s_status == 200:
        return check(node_id, "reachable", OK, line)
    if s_status == 200 and h_status == 404:
        return check(node_id, "reachable", FAIL, line + " (no /health: an ML node image older than 3.0.10)",
                     "Run the release's ML node image (gonka_mlnode_images) and re-run site.yml.")
    return check(node_id, "reachable", FAIL, line,
                 "Make the registered host:port reachable from the network node (ML node containers up, "
                 "gonka_mlnode_bind_address, firewall).")


def runpod_proxy(node_id, container, running, nginx_t, config_text, expected_upstreams, runpod_id):
    """The network node's nginx proxy for a RunPod pod: running, `nginx -t`, names the pod's RunPod URLs."""
    if container is None:
        return check(node_id, "runpod_proxy", FAIL, "no RunPod proxy container for %s" % node_id,
                     "Re-run site.yml: it starts the proxy on gonka_mlnode_runpod_proxy_host.")
    if not running:
        return check(node_id, "runpod_proxy", FAIL, "container %s is %s" % (container, running is None and "absent" or
                                                                            "not running"),
                     "Start it: docker start %s (or re-run site.yml)." % container)
    rc, output = nginx_t
    if rc != 0:
        return check(node_id, "runpod_proxy", FAIL, "docker exec %s nginx -t: %s" % (container, first_error(output)),
                     "Fix the proxy's nginx.conf (re-run site.yml renders it again).")
    missing = [u for u in expected_upstreams if u and ("set $runpod %s;" % u) not in (config_text or "")]
    if missing:
        names = re.findall(r"set \$runpod (\S+);", config_text or "")
        return check(node_id, "runpod_proxy", FAIL, "nginx.conf forwards to %s, not %s (RUNPOD_ID %s)"
                     % (", ".join(names) or "nothing", ", ".join(missing), runpod_id),
                     "Set gonka_mlnode_runpod_id to the pod's id (console URL podId) and re-run site.yml.")
    shown = [u for i, u in enumerate(expected_upstreams) if u and u not in expected_upstreams[:i]]
    return check(node_id, "runpod_proxy", OK, "container %s running, nginx -t ok, forwards to %s"
                 % (container, ", ".join(shown)))


# -- one ML node, seen on its own host ------------------------------------------------------------
def first_error(output):
    """The line of `nginx -t` (or any command) output that says what is wrong."""
    lines = [line.strip() for line in (output or "").splitlines() if line.strip()]
    for line in lines:
        if "[emerg]" in line or "[error]" in line or "failed" in line:
            return line
    return lines[-1] if lines else "no output"


def image_version(node_id, container, image, expected_image, minimum):
    if container is None:
        return check(node_id, "image_version", FAIL, "no ML node container (service mlnode-308) found",
                     "Start the ML node: re-run site.yml.")
    tag = image_tag(image)
    have, need = version_tuple(tag), version_tuple(minimum)
    line = "container %s runs %s" % (container, image)
    if have is not None and need is not None and have < need:
        return check(node_id, "image_version", FAIL,
                     "%s, older than %s, the oldest the release's api works with (expected %s)"
                     % (line, minimum, expected_image),
                     "Set gonka_mlnode_images.mlnode to %s (or remove the override) and re-run site.yml." % expected_image)
    if expected_image and image != expected_image:
        return check(node_id, "image_version", WARN, "%s; the release runs %s" % (line, expected_image),
                     "Use the release's image %s unless you pinned this one on purpose." % expected_image)
    return check(node_id, "image_version", OK, line)


def container_running(node_id, name, container, state):
    if container is None:
        return check(node_id, name, FAIL, "no container found", "Start it: re-run site.yml.")
    if state != "running":
        return check(node_id, name, FAIL, "container %s is %s" % (container, state),
                     "Start it: docker start %s (and read its log)." % container)
    return None


def nginx_config(node_id, container, rc, output):
    if rc != 0:
        return check(node_id, "nginx_config", FAIL, "docker exec %s nginx -t: %s" % (container, first_error(output)),
                     "Fix nginx.conf in gonka_mlnode_dir (re-run site.yml renders the release's) and restart "
                     "the inference container.")
    return check(node_id, "nginx_config", OK, "docker exec %s nginx -t: %s" % (container, first_error(output)))


def callback_post(node_id, where, url, rc, output):
    """The POST the ML node process makes, from where it runs. Any HTTP answer but 404/405 means
    the api's ML server answered on this release's route (outside a PoC stage it says 400/503)."""
    line = "%s: POST %s: %s" % (where, url, (output or "").strip().splitlines()[-1] if (output or "").strip()
                                else "no output (rc %s)" % rc)
    if rc == 0:
        return check(node_id, "callback_route", OK, line)
    if rc == 4:
        return check(node_id, "callback_route", FAIL, line + " (no such route: not this release's api)",
                     "Make gonka_release match the api the network node runs, or point the callback URL at it.")
    return check(node_id, "callback_route", FAIL, line,
                 "Set DAPI_API__POC_CALLBACK_URL (gonka_network_node_poc_callback_url) to an address this ML node "
                 "reaches, port 9100 open to it, and re-run site.yml.")
