# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A module's ``main()`` run in-process with the real AnsibleModule (unit tests of argument handling).

``run_main(module, args)`` feeds ``args`` the way Ansible does, turns ``exit_json`` / ``fail_json``
into a returned ``("exit" | "fail", result)`` and lets any other exception escape (a traceback is a
test failure). The connection environment of every domain is removed for the run, so only ``env``
(and the task's options) reach the module.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

# Environment fallbacks of the connection specs (and the Kubernetes client's own variables).
CONNECTION_ENV_PREFIXES = ("GPUFLEET_REGISTRY", "PGPASSWORD", "GONKA_", "K8S_AUTH_")


class _Exit(Exception):
    pass


class _Fail(Exception):
    pass


def run_main(module, args, check=False, diff=False, env=None):
    """Run ``module.main()`` with ``args``; return (``"exit"``|``"fail"``, result dict)."""
    args = dict(args, _ansible_check_mode=check, _ansible_diff=diff, _ansible_remote_tmp="/tmp",
                _ansible_keep_remote_files=False)
    payload = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))

    def exit_json(self, **kw):
        raise _Exit(kw)

    def fail_json(self, **kw):
        raise _Fail(kw)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(basic, "_ANSIBLE_ARGS", payload)
        if hasattr(basic, "_ANSIBLE_PROFILE"):
            mp.setattr(basic, "_ANSIBLE_PROFILE", "legacy")
        mp.setattr(basic.AnsibleModule, "exit_json", exit_json)
        mp.setattr(basic.AnsibleModule, "fail_json", fail_json)
        for name in list(os.environ):
            if name.startswith(CONNECTION_ENV_PREFIXES):
                mp.delenv(name, raising=False)
        for name, value in (env or {}).items():
            mp.setenv(name, value)
        try:
            module.main()
        except _Exit as exc:
            return "exit", exc.args[0]
        except _Fail as exc:
            return "fail", exc.args[0]
    raise AssertionError("main() returned without exit_json or fail_json")
