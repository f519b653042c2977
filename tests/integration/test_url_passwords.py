# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A password written into a URL option never reaches the output, at any verbosity.

Ansible masks no_log values only; a URL option is not one, so without the collection's own
masking the password shows in ``invocation.module_args`` (-v and the JSON result) and in the
task's header at -vvv.
"""

from __future__ import absolute_import, division, print_function

import os

from tests.support import gonka_sim
from tests.support.ansible_run import run_playbook

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = "Url-Pa55word-7e1c"


def test_admin_url_password_is_masked_in_results_and_at_vvvv():
    sim = gonka_sim.start("current")
    try:
        url = sim.url.replace("http://", "http://operator:%s@" % PASSWORD)
        # From the environment, as AWX injects it (an -e value would be echoed by ansible-playbook itself).
        res = run_playbook(os.path.join(HERE, "playbooks", "mlnode_task.yml"), verbosity=4, json_output=False,
                           env={"GONKA_ADMIN_API_URL": url},
                           extra_vars={"module_name": "mlnode_info", "module_args": {}})
    finally:
        sim.stop()
    assert res.rc == 0, res.stdout[-3000:]
    assert "operator:" in res.stdout            # the URL itself is shown, masked
    assert PASSWORD not in res.stdout + res.stderr


def test_registry_url_password_is_masked_in_the_failure():
    # Nothing listens on port 9: the connection fails, and the failure must not carry the password.
    registry = "postgresql://fleet:%s@127.0.0.1:9/fleet" % PASSWORD
    res = run_playbook(os.path.join(HERE, "playbooks", "compute", "info.yml"), verbosity=4, json_output=False,
                       env={"GPUFLEET_REGISTRY": registry}, extra_vars={"info_args": {}})
    assert res.rc != 0
    assert "127.0.0.1:9" in res.stdout
    assert PASSWORD not in res.stdout + res.stderr
