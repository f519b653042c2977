# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gonka_doctor's verdicts on recorded evidence, and its service against the simulator with a recorded docker CLI.

The recorded strings (docker ps/inspect/exec output, nginx -t, the callback POST) are what the
integration test's deployment (tests/integration/test_doctor.py) produced for each breakage.
"""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.common.errors import ValidationError
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka import doctor_checks as v
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka import doctor_report
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.connection import connection_spec
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.doctor import CALLBACK_SCRIPT, DoctorService, doctor_spec
from tests.support import gonka_sim

QWEN32 = "Qwen/Qwen3-32B-FP8"
NGINX_T_OK = ("nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
              "nginx: configuration file /etc/nginx/nginx.conf test is successful\n")
NGINX_T_BAD = ('nginx: [emerg] unknown directive "this_is_not_nginx" in /etc/nginx/nginx.conf:41\n'
               "nginx: configuration file /etc/nginx/nginx.conf test failed\n")


# -- verdicts on recorded evidence ---------------------------------------------------------------
def test_callback_url_docker_internal_in_split_mode_fails_with_the_config_line():
    c = v.callback_url("nn1", "http://api:9100", "http://10.150.0.1:9100", True, "api container api env")
    assert c["status"] == "fail" and c["evidence"].startswith("api container api env: DAPI_API__POC_CALLBACK_URL=http://api:9100")
    assert "private IP" in c["fix"]
    assert v.callback_url("box", "http://api:9100", "http://api:9100", False, "env")["status"] == "ok"  # single machine
    assert v.callback_url("nn1", "http://127.0.0.1:9100", None, True, "env")["status"] == "fail"
    drift = v.callback_url("nn1", "http://10.0.0.9:9100", "http://10.0.0.10:9100", True, "env")
    assert drift["status"] == "warn" and "the inventory says http://10.0.0.10:9100" in drift["evidence"]


def test_callback_port_closed_and_open():
    c = v.callback_port("nn1", "10.150.0.1", 9100, "Connection refused")
    assert c == {"target": "nn1", "check": "callback_port", "status": "fail",
                 "evidence": "connect 10.150.0.1:9100: Connection refused", "fix": c["fix"]}
    assert "9100" in c["fix"] and v.callback_port("nn1", "10.150.0.1", 9100, None)["status"] == "ok"


def test_nginx_t_failure_names_the_line():
    c = v.nginx_config("ml1", "gonka-mlnode-ml1-inference-1", 1, NGINX_T_BAD)
    assert c["status"] == "fail"
    assert c["evidence"] == ('docker exec gonka-mlnode-ml1-inference-1 nginx -t: nginx: [emerg] unknown directive '
                             '"this_is_not_nginx" in /etc/nginx/nginx.conf:41')
    ok = v.nginx_config("ml1", "c", 0, NGINX_T_OK)
    assert ok["status"] == "ok" and ok["fix"] is None


def test_unregistered_disabled_failed_states():
    assert v.registered("ml2", None, {}, "http://x/admin/v1/nodes")["evidence"] == "GET http://x/admin/v1/nodes: no node with id ml2"
    entry = {"node": {"id": "ml1", "host": "10.0.0.21", "poc_port": 8080, "inference_port": 5050, "models": {QWEN32: {}}},
             "state": {"admin_state": {"enabled": False, "epoch": 0}, "current_status": "UNKNOWN"}}
    assert v.registered("ml1", entry, {"host": "10.0.0.21", "poc_port": 8080, "inference_port": 5050}, "u")["status"] == "ok"
    moved = v.registered("ml1", entry, {"host": "10.0.0.22", "poc_port": 8080, "inference_port": 5050}, "u")
    assert moved["status"] == "warn" and "10.0.0.22" in moved["evidence"]
    off = v.admin_state("ml1", entry)
    assert off["status"] == "fail" and off["evidence"] == "admin_state enabled=false epoch=0" and "/enable" in off["fix"]
    assert v.admin_state("ml1", None)["status"] == "skipped"
    entry["state"].update(current_status="FAILED", failure_reason="vLLM exited")
    assert v.node_state("ml1", entry)["status"] == "fail" and "vLLM exited" in v.node_state("ml1", entry)["evidence"]


def test_unapproved_model_from_governance_and_from_the_registration():
    entry = {"node": {"models": {QWEN32: {"args": []}}}}
    c = v.model_approved("ml1", QWEN32, {"MiniMaxAI/MiniMax-M2.7"}, entry, "http://g/v1/governance/models")
    assert c["status"] == "fail" and "is not among the 1 approved models" in c["evidence"]
    # v0.2.12+ drops an unapproved model from the registration without a word
    dropped = v.model_approved("ml1", QWEN32, {QWEN32}, {"node": {"models": {}}}, "g")
    assert dropped["status"] == "fail" and "registered models are []" in dropped["evidence"]
    assert v.model_approved("ml1", QWEN32, None, entry, "g")["status"] == "skipped"
    assert v.model_approved("ml1", QWEN32, {QWEN32}, entry, "g")["status"] == "ok"


def test_reachable_and_stale_image():
    base = "http://10.150.0.1:18081/v3.0.8"
    stale = v.reachable("ml2", base, (404, None), (200, None), "nn1")
    assert stale["status"] == "fail" and "/health: 404" in stale["evidence"] and "older than 3.0.10" in stale["evidence"]
    assert v.reachable("ml2", base, (200, None), (200, None), "nn1")["status"] == "ok"
    down = v.reachable("ml2", base, (None, "Connection refused"), (None, "Connection refused"), "nn1")
    assert down["status"] == "fail" and "Connection refused" in down["evidence"]
    img = v.image_version("ml2", "gonka-mlnode-ml2-mlnode-308-1", "ghcr.io/product-science/mlnode:3.0.8",
                          "ghcr.io/gonka-ai/mlnode:3.0.14-post2", "3.0.10")
    assert img["status"] == "fail" and "older than 3.0.10" in img["evidence"]
    pinned = v.image_version("ml2", "c", "ghcr.io/gonka-ai/mlnode:3.0.13", "ghcr.io/gonka-ai/mlnode:3.0.14-post2", "3.0.10")
    assert pinned["status"] == "warn"
    assert v.image_version("ml2", "c", "ghcr.io/gonka-ai/mlnode:3.0.14-post2", "ghcr.io/gonka-ai/mlnode:3.0.14-post2",
                           "3.0.10")["status"] == "ok"


def test_runpod_proxy_down_bad_config_wrong_id():
    up = ["http://10.150.0.1:41234"]
    assert v.runpod_proxy("rp1", "gonka-runpod-rp1-inference-rp1-1", False, (0, ""), "", up, "x")["evidence"] == \
        "container gonka-runpod-rp1-inference-rp1-1 is not running"
    assert v.runpod_proxy("rp1", None, None, (0, ""), "", up, "x")["status"] == "fail"
    assert "unknown directive" in v.runpod_proxy("rp1", "c", True, (1, NGINX_T_BAD), "", up, "x")["evidence"]
    wrong = v.runpod_proxy("rp1", "c", True, (0, NGINX_T_OK), "set $runpod https://old-8080.proxy.runpod.net;",
                           ["https://new-8080.proxy.runpod.net"], "new")
    assert wrong["status"] == "fail" and "https://old-8080.proxy.runpod.net" in wrong["evidence"] and "RUNPOD_ID new" in wrong["evidence"]
    ok = v.runpod_proxy("rp1", "c", True, (0, NGINX_T_OK), "set $runpod http://10.150.0.1:41234;", up, "x")
    assert ok["status"] == "ok"


def test_callback_post_outcomes():
    url = "http://10.150.0.1:9100/v2/poc-batches/Qwen%2FQwen3-32B-FP8/generated"
    assert v.callback_route("http://10.150.0.1:9100/", "/v2/poc-batches/{model}/generated", QWEN32) == url
    assert v.callback_post("ml1", "inside c", url, 0, "HTTP 400\n")["status"] == "ok"
    missing = v.callback_post("ml1", "inside c", url, 4, "HTTP 404\n")
    assert missing["status"] == "fail" and "no such route" in missing["evidence"]
    refused = v.callback_post("ml1", "inside c", url, 3, "no answer: [Errno 111] Connection refused\n")
    assert refused["evidence"].endswith("no answer: [Errno 111] Connection refused")


def test_setup_report_and_participants():
    assert v.setup_report("nn1", "u", 404, None, "HTTP 404")["status"] == "skipped"
    bad = v.setup_report("nn1", "u", 200, {"overall_status": "FAIL", "checks": [
        {"id": "mlnode_ml1", "status": "FAIL", "message": "MLNode health check failed"}],
        "summary": {"recommendations": ["Check MLNode 'ml1' is running"]}}, None)
    assert bad["status"] == "fail" and "mlnode_ml1: MLNode health check failed" in bad["evidence"]
    assert bad["fix"] == "Check MLNode 'ml1' is running"
    out = v.participants("nn1", "u", "http://h:8000", {"found": False, "participants": 3, "epoch_group_id": 42}, None)
    assert out["status"] == "warn" and "not among the 3 participants of epoch 42" in out["evidence"]
    assert v.participants("nn1", None, "x", {}, None)["status"] == "skipped"


def test_exposure_from_outside():
    assert v.exposure("nn1", "outside", "203.0.113.10", 9200, True, None, False)["status"] == "fail"
    assert v.exposure("nn1", "outside", "203.0.113.10", 9200, False, "timed out", False)["status"] == "ok"
    assert v.exposure("nn1", "outside", "203.0.113.10", 9100, False, "refused", True)["status"] == "fail"


def test_report_table_markdown_json():
    checks = [v.check("ml1", "admin_state", "fail", "admin_state enabled=false epoch=0", "Enable it."),
              v.check("nn1", "admin_api", "ok", "GET u: HTTP 200"), v.skipped("ml2", "reachable", "not registered")]
    lines = doctor_report.table(checks)
    assert lines[1].split()[:3] == ["FAIL", "ml1", "admin_state"] and lines[2].strip() == "fix: Enable it."
    assert lines[-1] == "1 ok, 0 warn, 1 fail, 1 skipped"
    md = doctor_report.markdown(checks, generated="2026-11-30T08:00:00Z")
    assert "| fail | ml1 | admin_state | admin_state enabled=false epoch=0 | Enable it. |" in md
    doc = doctor_report.document(checks)
    assert doc["any_failed"] is True and doc["counts"]["fail"] == 1 and doc["checks"][0]["status"] == "fail"


# -- the service with a recorded docker CLI and the simulator ------------------------------------
class FakeModule(object):
    def __init__(self, params, docker=None):
        spec = connection_spec()
        spec.update(doctor_spec())
        self.params = dict((k, o.get("default")) for k, o in spec.items())
        self.params.update(params)
        for node in self.params.get("mlnodes") or []:
            for key, option in doctor_spec()["mlnodes"]["options"].items():
                node.setdefault(key, option.get("default"))
        self.docker = docker or {}
        self.calls = []

    def run_command(self, argv):
        self.calls.append(argv)
        for key, answer in self.docker.items():
            if key(argv):
                return answer
        return 1, "", "Error: No such object"

    def get_bin_path(self, name):
        return None


def _ps(project, service):
    return lambda argv: argv[1] == "ps" and "label=com.docker.compose.project=%s" % project in argv and (
        service is None or "label=com.docker.compose.service=%s" % service in argv)


def _exec(container, *words):
    return lambda argv: argv[1:3] == ["exec", container] and all(w in argv for w in words)


@pytest.fixture
def sim():
    s = gonka_sim.start("v0.2.14")
    yield s
    s.stop()


class MlnodeServer(object):
    """Many ML nodes behind one port: node N answers under /v3.0.8/nN/ after delay(N) seconds."""

    def __init__(self, delay=lambda n: 0.0, health=200):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                parts = self.path.split("/")  # ['', 'v3.0.8', 'n7', 'health']
                n = int(parts[2][1:]) if len(parts) > 2 and parts[2][:1] == "n" else 0
                time.sleep(delay(n))
                status = outer.health if self.path.endswith("/health") else 200
                body = json.dumps({"state": "STOPPED"}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            request_queue_size = 256  # a fleet's probes arrive at once

        self.health = health
        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def seed(sim, count, port, disabled=()):
    nodes = []
    for n in range(count):
        nid = "ml%d" % n
        nodes.append({"node": {"id": nid, "host": "127.0.0.1", "inference_port": port, "poc_port": port,
                               "poc_segment": "/n%d" % n, "inference_segment": "", "max_concurrent": 10,
                               "models": {QWEN32: {"args": []}}},
                      "state": {"admin_state": {"enabled": nid not in disabled, "epoch": 0}}})
    sim.state.seed_nodes(nodes)
    return [{"id": "ml%d" % n, "host": "127.0.0.1", "poc_port": port, "inference_port": port, "poc_segment": "/n%d" % n,
             "model": QWEN32} for n in range(count)]


API_ENV = (0, json.dumps(["DAPI_API__POC_CALLBACK_URL=http://127.0.0.1:9", "PATH=/usr/bin"]), "")


def test_network_node_scope_against_the_simulator(sim):
    ml = MlnodeServer()
    try:
        mlnodes = seed(sim, 3, ml.port, disabled=("ml1",))
        mlnodes[2]["id"] = "ml9"  # in the inventory, never registered; ml2 registered, not in the inventory
        module = FakeModule({"scope": "network_node", "name": "nn1", "admin_url": sim.url, "governance_url": sim.url,
                             "participants_url": sim.url, "participant": "http://127.0.0.1:8000",
                             "callback_url": "http://127.0.0.1:9", "split": False, "mlnodes": mlnodes},
                            docker={lambda a: a[1] == "inspect": API_ENV})
        result = DoctorService(module).run()
    finally:
        ml.stop()
    flagged = {(c["target"], c["check"]): c for c in result["checks"] if c["status"] in ("warn", "fail")}
    assert set(flagged) == {("ml1", "admin_state"), ("ml9", "registered"), ("nn1", "callback_port"),
                            ("nn1", "inventory_match")}, flagged
    assert flagged[("nn1", "inventory_match")]["evidence"] == "registered but not in the inventory: ml2"
    by = {(c["target"], c["check"]): c for c in result["checks"]}
    assert by[("ml0", "reachable")]["evidence"].startswith("from nn1: GET http://127.0.0.1:%d/v3.0.8/n0/health: 200" % ml.port)
    assert by[("nn1", "setup_report")]["status"] == "ok" and by[("nn1", "participants")]["status"] == "ok"
    assert result["callback_url"] == "http://127.0.0.1:9" and result["changed"] is False
    assert all(c["host"] == "nn1" and c["scope"] == "network_node" for c in result["checks"])
    # read-only: the simulator saw GETs only
    assert {r["method"] for r in sim.requests} == {"GET"}


def test_network_node_scope_names_an_admin_api_that_does_not_answer():
    module = FakeModule({"scope": "network_node", "name": "nn1", "admin_url": "http://127.0.0.1:9", "retries": 0,
                         "mlnodes": [{"id": "ml1", "model": QWEN32}]})
    result = DoctorService(module).run()
    by = {(c["target"], c["check"]): c for c in result["checks"]}
    assert by[("nn1", "admin_api")]["status"] == "fail" and "no answer" in by[("nn1", "admin_api")]["evidence"]
    assert by[("ml1", "registered")]["status"] == "skipped"
    assert by[("nn1", "callback_url")]["evidence"].startswith("docker inspect api: ")


def test_mlnode_scope_with_recorded_docker_answers():
    project = "gonka-mlnode-ml1"
    ml, ngx = "gonka-mlnode-ml1-mlnode-308-1", "gonka-mlnode-ml1-inference-1"
    docker = {
        lambda a: a[1] == "version": (0, "26.1.5\n", ""),
        _ps(project, "mlnode-308"): (0, "%s\trunning\tghcr.io/gonka-ai/mlnode:3.0.14-post2\n" % ml, ""),
        _ps(project, "inference"): (0, "%s\trunning\tnginx:1.28.0\n" % ngx, ""),
        _exec(ngx, "nginx", "-t"): (1, "", NGINX_T_BAD),
        _exec(ml, "python3", CALLBACK_SCRIPT): (0, "HTTP 400\n", ""),
    }
    module = FakeModule({"scope": "mlnode", "name": "ml1", "mlnode_image": "ghcr.io/gonka-ai/mlnode:3.0.14-post2",
                         "mlnodes": [{"id": "ml1", "project": project, "model": QWEN32,
                                      "callback_url": "http://10.150.0.1:9100"}]}, docker=docker)
    result = DoctorService(module).run()
    by = {c["check"]: c for c in result["checks"]}
    assert by["nginx_config"]["status"] == "fail" and "unknown directive" in by["nginx_config"]["evidence"]
    assert by["image_version"]["status"] == "ok" and by["callback_route"]["status"] == "ok"
    assert by["callback_route"]["evidence"] == ("inside %s: POST http://10.150.0.1:9100/v2/poc-batches/Qwen%%2FQwen3-32B-FP8"
                                                "/generated: HTTP 400" % ml)
    verbs = {argv[1] for argv in module.calls}
    assert verbs == {"version", "ps", "exec"}  # nothing but reads
    assert any(argv[-1].endswith("/generated") for argv in module.calls if argv[1] == "exec")


def test_mlnode_scope_container_stopped_and_runpod():
    docker = {lambda a: a[1] == "version": (0, "26.1.5\n", ""),
              _ps("p", "mlnode-308"): (0, "c1\texited\tghcr.io/gonka-ai/mlnode:3.0.14-post2\n", ""),
              _ps("p", "inference"): (0, "", "")}
    module = FakeModule({"scope": "mlnode", "name": "ml1", "mlnodes": [
        {"id": "ml1", "project": "p", "model": QWEN32, "callback_url": "http://x:9100"},
        {"id": "rp1", "runpod": True, "callback_from": "none", "model": QWEN32}]}, docker=docker)
    by = {(c["target"], c["check"]): c for c in DoctorService(module).run()["checks"]}
    assert by[("ml1", "callback_route")]["evidence"] == "container c1 is exited"
    assert by[("ml1", "nginx_config")]["evidence"] == "no container found"
    assert by[("rp1", "callback_route")]["status"] == "skipped" and "by hand" in by[("rp1", "callback_route")]["evidence"]


def test_summary_merges_and_validation_names_fields():
    a = {"checks": [v.check("ml1", "admin_state", "fail", "e", "f")]}
    b = {"checks": [v.check("nn1", "admin_api", "ok", "e")]}
    result = DoctorService(FakeModule({"scope": "summary", "reports": [a, b]})).run()
    assert result["any_failed"] is True and result["counts"]["fail"] == 1 and "| fail | ml1 |" in result["markdown"]
    assert result["report"]["checks"][0]["check"] == "admin_state"
    with pytest.raises(ValidationError) as err:
        DoctorService(FakeModule({"scope": "mlnode", "mlnodes": [{"id": "a", "poc_port": 70000}, {"id": "a"}],
                                  "reports": [{"x": 1}], "governance_url": "ftp://x"})).run()
    text = str(err.value)
    for field in ("mlnodes[0].poc_port", "mlnodes[1].id", "mlnodes[0].callback_url", "mlnodes[0].project",
                  "reports[0].checks", "governance_url"):
        assert field in text, (field, text)


def test_single_machine_node_is_probed_from_the_api_container(sim):
    """Registered as "inference" (a name only the compose project resolves): asked from inside the api container."""
    sim.state.seed_nodes([{"node": {"id": "box", "host": "inference.invalid", "inference_port": 5000, "poc_port": 8080,
                                    "models": {QWEN32: {"args": []}}}}])
    docker = {lambda a: a[1] == "inspect": (0, json.dumps(["DAPI_API__POC_CALLBACK_URL=http://api:9100"]), ""),
              _exec("api", "curl", "http://inference.invalid:8080/v3.0.8/health"): (22, "", "curl: (22) 404"),
              _exec("api", "curl", "http://inference.invalid:8080/v3.0.8/api/v1/state"): (0, "", "")}
    module = FakeModule({"scope": "network_node", "name": "box", "admin_url": sim.url, "split": False,
                         "callback_url": "http://api:9100",
                         "mlnodes": [{"id": "box", "host": "inference.invalid", "poc_port": 8080, "inference_port": 5000}]},
                        docker=docker)
    by = {(c["target"], c["check"]): c for c in DoctorService(module).run()["checks"]}
    reach = by[("box", "reachable")]
    assert reach["status"] == "fail" and "(docker exec api curl)" in reach["evidence"], reach
    assert "curl exit 22" in reach["evidence"] and "/api/v1/state: 200" in reach["evidence"]
    assert by[("box", "callback_url")]["status"] == "ok"  # http://api:9100 is right on one machine
    assert by[("box", "callback_port")]["status"] == "skipped"  # "api" resolves only inside the compose project


def test_vantage_scope_open_and_closed_ports():
    import socket
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    closed_port = closed.getsockname()[1]
    closed.close()
    try:
        module = FakeModule({"scope": "vantage", "name": "outside", "probe_timeout": 2, "exposure": [
            {"target": "nn1", "address": "127.0.0.1", "port": listener.getsockname()[1], "want_open": False},
            {"target": "nn1", "address": "127.0.0.1", "port": closed_port, "want_open": True}]})
        for item in module.params["exposure"]:
            item.setdefault("want_open", False)
        checks = DoctorService(module).run()["checks"]
    finally:
        listener.close()
    assert [c["status"] for c in checks] == ["fail", "fail"]
    assert any("is open" in c["evidence"] and "Bind" in c["fix"] for c in checks)
    assert any("is closed" in c["evidence"] and "Open" in c["fix"] for c in checks)


def test_mlnode_scope_without_a_docker_engine_says_so():
    down = (1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n")
    module = FakeModule({"scope": "mlnode", "name": "ml1", "mlnodes": [
        {"id": "ml1", "project": "p", "model": QWEN32, "callback_url": "http://x:9100"}]},
        docker={lambda a: a[1] == "version": down})
    checks = DoctorService(module).run()["checks"]
    assert {c["check"] for c in checks} == {"image_version", "nginx_config", "callback_route"}
    assert all(c["status"] == "fail" and c["evidence"].startswith("docker version: Cannot connect to the Docker daemon")
               for c in checks)
