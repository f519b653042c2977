# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The unattended 30-second check: playbooks/compute_node_monitor.yml and its systemd units."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import time

HERE = os.path.dirname(os.path.abspath(__file__))

from tests.support.ansible_run import REPO_ROOT, run_playbook
from tests.support.dockerd import test_daemon
from tests.support.tls import free_port

PB = os.path.join(HERE, "playbooks", "compute")
KEY = "monitor-key"
QUIET = {"ANSIBLE_DISPLAY_FAILED_STDERR": "true", "ANSIBLE_DISPLAY_OK_HOSTS": "false",
         "ANSIBLE_DISPLAY_SKIPPED_HOSTS": "false", "ANSIBLE_DEPRECATION_WARNINGS": "false"}


def test_monitor_logs_only_failures(tmp_path):
    daemon = test_daemon()
    registry = str(tmp_path / "registry.db")
    t = daemon.tls.path
    closed = "tcp://127.0.0.1:%d" % free_port()
    cases = [dict(name="up-node", registry=registry, registry_key=KEY, docker_host=daemon.docker_host,
                  ca_cert=t["ca"], client_cert=t["client_cert"], client_key=t["client_key"]),
             dict(name="down-node", registry=registry, registry_key=KEY, docker_host=closed)]
    res = run_playbook(os.path.join(PB, "node.yml"), extra_vars={"node_cases": cases})
    assert res.rc == 0, res.stdout[-2000:]
    start = time.time()
    res = run_playbook(os.path.join(REPO_ROOT, "playbooks", "compute_node_monitor.yml"), json_output=False,
                       env=QUIET, extra_vars={"compute_monitor_registry": registry,
                                              "compute_monitor_registry_key": KEY,
                                              "compute_monitor_rounds": 2, "compute_monitor_interval": 1})
    elapsed = time.time() - start
    assert res.rc == 0, res.stdout[-3000:] + res.stderr[-3000:]
    line = "compute node down-node (%s): docker_status=failed: connection refused" % closed
    assert line in res.stderr
    assert res.stderr.count("failed: [localhost] (item=down-node)") == 2, res.stderr  # one per round
    assert "up-node" not in res.stderr
    assert KEY not in res.stdout + res.stderr
    assert elapsed < 60
    # fail_job mode fails the run
    res = run_playbook(os.path.join(REPO_ROOT, "playbooks", "compute_node_monitor.yml"), json_output=False,
                       env=QUIET, extra_vars={"compute_monitor_registry": registry,
                                              "compute_monitor_registry_key": KEY,
                                              "compute_monitor_fail_job": True})
    assert res.rc != 0 and line in res.stderr


def test_systemd_units_render(tmp_path):
    res = run_playbook(os.path.join(PB, "monitor_units.yml"), extra_vars={
        "compute_monitor_systemd_dir": str(tmp_path), "compute_monitor_env_file": str(tmp_path / "env" / "m.env"),
        "compute_monitor_manage_service": False, "compute_monitor_registry": "/var/lib/gpufleet/registry.db",
        "compute_monitor_registry_key": "very-secret-key"})
    assert res.rc == 0, res.stdout[-3000:]
    assert "very-secret-key" not in res.stdout
    timer = (tmp_path / "gpufleet-compute-monitor.timer").read_text()
    service = (tmp_path / "gpufleet-compute-monitor.service").read_text()
    assert "OnUnitActiveSec=30s" in timer and "AccuracySec=1s" in timer
    assert "SyslogLevel=err" in service and "StandardOutput=null" in service
    assert "gpufleet.ops.compute_node_monitor" in service
    env = tmp_path / "env" / "m.env"
    assert os.stat(str(env)).st_mode & 0o777 == 0o600
    assert "GPUFLEET_REGISTRY_KEY=very-secret-key" in env.read_text()
