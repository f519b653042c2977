# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The job templates of docs/awx.md, run the way AWX runs them (tests/support/runner.py).

ansible-runner on a private data directory; credentials from the collection's credential
types injected as AWX renders them; the inventory plugin as the inventory source; a real
PostgreSQL registry (tests/support/postgres.py) and the Gonka Admin API simulator.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from tests.support import gonka_sim, postgres
from tests.support.ansible_run import REPO_ROOT
from tests.support.fake_awx import TOKEN, FakeAwx
from tests.support.runner import AwxJob, credential_type
from tests.support.tls import TLSMaterial, free_port

KEY = "awx-Registry-Key-52c8"

REGISTER_COMPUTE = """---
- name: Register compute nodes (job template "gpufleet - register compute nodes")
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Register the node and test its Docker TLS endpoint
      gpufleet.ops.compute_node:
        name: "{{ item.name }}"
        region: "{{ item.region }}"
        docker_host: "{{ item.docker_host }}"
        tls: true
        ca_path: "{{ gpufleet_docker_ca_path }}"
        client_cert: "{{ gpufleet_docker_client_cert }}"
        client_key: "{{ gpufleet_docker_client_key }}"
        timeout: 2
      loop: "{{ compute_nodes }}"
      loop_control:
        label: "{{ item.name }}"
"""

MONITOR = """---
# job template "gpufleet - compute monitor", scheduled every minute
- name: Compute monitor
  ansible.builtin.import_playbook: gpufleet.ops.compute_node_monitor
"""

REGISTER_ML = """---
- name: Register ML nodes (job template "gpufleet - register ML nodes")
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Register the ML nodes in one request
      gpufleet.ops.mlnode:
        nodes: "{{ gonka_mlnodes }}"
      register: registration
"""


@pytest.fixture(scope="module")
def pg():
    return postgres.test_server()


def _no_secret(job, result):
    text = result.text()
    for secret in job.secrets:
        assert secret not in text, "a credential secret was shown by the job"


def test_compute_jobs_with_injected_credentials_and_the_inventory_source(pg, tmp_path):
    url = pg.new_database()
    tls = TLSMaterial(str(tmp_path / "tls"))
    job = AwxJob(tmp_path / "private")
    job.add_credential("gpufleet_compute_registry", {"registry": url, "password": postgres.PASSWORD,
                                                     "registry_key": KEY})
    job.add_credential("gpufleet_docker_tls", {"ca": tls.pem["ca"], "cert": tls.pem["client_cert"],
                                               "key": tls.pem["client_key"]})
    job.project_file("register_compute_nodes.yml", REGISTER_COMPUTE)
    job.project_file("compute_monitor.yml", MONITOR)
    job.inventory_file("fleet.gpufleet.yml", "plugin: gpufleet.ops.gpufleet\nregistry: true\n")
    closed = free_port()  # nothing listens: the probe records docker_status=failed
    nodes = [{"name": "gpu-%d" % i, "region": "eu", "docker_host": "tcp://127.0.0.1:%d" % closed}
             for i in range(3)]

    # an empty registry: the inventory source warns and lists localhost only
    listing, err = job.inventory()
    assert sorted(listing["_meta"]["hostvars"]) == ["localhost"], err

    result = job.run("register_compute_nodes.yml", extravars={"compute_nodes": nodes})
    assert result.status == "successful" and result.rc == 0, result.stdout[-4000:]
    _no_secret(job, result)
    stored = pg.psql("SELECT data FROM gpufleet_nodes ORDER BY name", database=url.rsplit("/", 1)[1])
    assert stored.count('"docker_status": "failed"') == 3 and tls.pem["client_key"].splitlines()[1] not in stored

    # check mode of the monitor writes nothing (read-only transactions); the real run records the probe
    before = pg.psql("SELECT string_agg(data, '|' ORDER BY name) FROM gpufleet_nodes", database=url.rsplit("/", 1)[1])
    result = job.run("compute_monitor.yml", check=True)
    assert result.status == "successful", result.stdout[-4000:]
    assert pg.psql("SELECT string_agg(data, '|' ORDER BY name) FROM gpufleet_nodes",
                   database=url.rsplit("/", 1)[1]) == before
    result = job.run("compute_monitor.yml", extravars={"compute_monitor_rounds": 1})
    assert result.status == "successful", result.stdout[-4000:]
    probe = result.task_results("Probe every compute node's Docker endpoint and record its status")
    assert probe and probe[0]["summary"]["failed"] == 3
    _no_secret(job, result)

    # the inventory source reads the PostgreSQL registry with the injected DSN and PGPASSWORD
    listing, err = job.inventory()
    hosts = listing["_meta"]["hostvars"]
    assert sorted(h for h in hosts if h != "localhost") == ["gpu-0", "gpu-1", "gpu-2"], err
    assert postgres.PASSWORD not in str(listing) and postgres.PASSWORD not in err


def test_register_ml_nodes_job_with_the_gonka_credential(tmp_path):
    sim = gonka_sim.start("current")
    try:
        job = AwxJob(tmp_path / "private")
        job.add_credential("gonka_admin_api", {"admin_url": sim.url, "validate_certs": True})
        job.project_file("register_mlnodes.yml", REGISTER_ML)
        mlnodes = [{"id": "node%d" % i, "host": "10.0.0.%d" % i, "models": {"Qwen/Qwen3-32B-FP8": {"args": []}}}
                   for i in (1, 2)]
        first = job.run("register_mlnodes.yml", extravars={"gonka_mlnodes": mlnodes})
        assert first.status == "successful", first.stdout[-4000:]
        assert first.task_results("Register the ML nodes in one request")[0]["changed"] is True
        second = job.run("register_mlnodes.yml", extravars={"gonka_mlnodes": mlnodes})
        assert second.task_results("Register the ML nodes in one request")[0]["changed"] is False
        registered = sim.snapshot()["nodes"]
        ids = sorted(registered) if isinstance(registered, dict) else sorted(n["node"]["id"] for n in registered)
        assert ids == ["node1", "node2"]
    finally:
        sim.stop()


def test_credential_types_playbook_runs_under_runner(tmp_path):
    job = AwxJob(tmp_path / "private")
    job.project_copy(os.path.join(REPO_ROOT, "playbooks", "awx_credential_types.yml"), "playbooks/awx_credential_types.yml")
    job.project_copy(os.path.join(REPO_ROOT, "extensions"), "extensions")
    result = job.run("playbooks/awx_credential_types.yml", extravars={"awx_credential_types_load_only": True})
    assert result.status == "successful", result.stdout[-4000:]
    shown = result.task_results("Show what would be created")
    assert any("PGPASSWORD" in r.get("msg", "") for r in shown), shown


def test_credential_types_are_created_in_awx_with_their_templates_verbatim(tmp_path):
    """awx.awx.credential_type against the AWX API: the injectors reach AWX as templates, not rendered."""
    awx = FakeAwx()
    try:
        job = AwxJob(tmp_path / "private")
        job.envvars.update(CONTROLLER_HOST=awx.url, CONTROLLER_OAUTH_TOKEN=TOKEN, CONTROLLER_VERIFY_SSL="false")
        job.project_copy(os.path.join(REPO_ROOT, "playbooks", "awx_credential_types.yml"),
                         "playbooks/awx_credential_types.yml")
        job.project_copy(os.path.join(REPO_ROOT, "extensions"), "extensions")
        first = job.run("playbooks/awx_credential_types.yml")
        assert first.status == "successful", first.stdout[-4000:]
        created = dict((t["name"], t) for t in awx.types.values())
        for name in ("gonka_admin_api", "gpufleet_compute_registry", "gpufleet_docker_tls"):
            shipped = credential_type(name)
            stored = created[shipped["name"]]
            assert stored["injectors"] == shipped["injectors"] and stored["inputs"] == shipped["inputs"]
            assert stored["kind"] == "cloud"
        assert [r["method"] for r in awx.writes()] == ["POST"] * 3
        # a second run finds them equal and writes nothing
        second = job.run("playbooks/awx_credential_types.yml")
        assert second.status == "successful", second.stdout[-4000:]
        assert [r["method"] for r in awx.writes()] == ["POST"] * 3
        assert not any(r["changed"] for r in second.task_results("Create the credential types"))
    finally:
        awx.stop()
