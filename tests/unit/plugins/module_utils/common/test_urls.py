# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""common/urls.py: credentials never shown, also in URLs that cannot be parsed (issue 16 item 3)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.common.urls import redact_url


@pytest.mark.parametrize("url, shown", [
    ("http://user:pass@host:9200/x", "http://host:9200/x"),
    ("http://host:9200", "http://host:9200"),
    ("http://user:pass@[::1", "http://[::1"),  # urlsplit: "Invalid IPv6 URL"
    ("postgresql://gpufleet:pw@[::1/registry", "postgresql://[::1/registry"),
    ("http://user:pass@host:99999/x?next=a@b", "http://host:99999/x?next=a@b"),
    ("not a url @ all", "not a url @ all"),
    (None, None),
])
def test_credentials_are_removed(url, shown):
    assert redact_url(url) == shown
