# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared pytest set-up: Ansible's directories under build/, import paths for ``tests.*`` and
for the collection itself.

``ansible_collections.gpufleet.ops`` resolves through build/collections, a symlink to this
repository, with Ansible's collection loader installed before any test module imports it: the
same set-up ``ansible-test units`` gives, so plugins load through Ansible's plugin loader
(``inventory_loader.get("gpufleet.ops.gpufleet")``) under plain pytest too.
"""
import os
import sys

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

# A test run writes nothing into the user's home, also when pytest runs without `make` (whose
# values win): Ansible's home, temp and async directories live under build/. Set before Ansible
# is imported, which reads them once; playbooks the tests start inherit them.
_ANSIBLE_HOME = os.path.join(REPO_ROOT, "build", "ansible-home")
for _name, _value in (("ANSIBLE_HOME", _ANSIBLE_HOME), ("ANSIBLE_LOCAL_TEMP", os.path.join(_ANSIBLE_HOME, "tmp")),
                      ("ANSIBLE_REMOTE_TEMP", os.path.join(_ANSIBLE_HOME, "remote-tmp")),
                      ("ANSIBLE_ASYNC_DIR", os.path.join(_ANSIBLE_HOME, "async"))):
    os.environ.setdefault(_name, _value)

from ansible.plugins.loader import init_plugin_loader  # noqa: E402
from ansible.utils.collection_loader import AnsibleCollectionConfig  # noqa: E402

from tests.support.ansible_run import ensure_collection_link  # noqa: E402

_collections = ensure_collection_link()
if _collections not in sys.path:
    sys.path.insert(0, _collections)
if AnsibleCollectionConfig.collection_finder is None:  # ansible-test units installs its own
    init_plugin_loader([_collections])
