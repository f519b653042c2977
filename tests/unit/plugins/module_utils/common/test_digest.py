# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""common/digest.py: a file keyed by its content."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib

from ansible_collections.gpufleet.ops.plugins.module_utils.common.digest import file_digest


def test_content_not_name(tmp_path):
    first, second = tmp_path / "a.pem", tmp_path / "b.pem"
    first.write_bytes(b"same")
    second.write_bytes(b"same")
    assert file_digest(str(first)) == file_digest(str(second)) == hashlib.sha256(b"same").hexdigest()
    second.write_bytes(b"other")
    assert file_digest(str(first)) != file_digest(str(second))


def test_no_path_and_unreadable(tmp_path):
    assert file_digest(None) is None and file_digest("") is None
    missing = str(tmp_path / "missing.pem")
    assert file_digest(missing) == "unreadable:" + missing


def test_inventory_and_gpuctl_use_it():
    from ansible_collections.gpufleet.ops.plugins.inventory import gpufleet
    from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection
    assert gpufleet.file_digest is file_digest and connection.file_digest is file_digest
