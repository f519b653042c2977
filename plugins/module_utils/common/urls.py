# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""URLs as they may be shown: never with the user:password part."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.module_utils.six.moves.urllib.parse import urlsplit, urlunsplit

# scheme://user:password@ -- for URLs urlsplit cannot parse (an unclosed "[", a bad port)
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@")


def redact_url(url):
    """``url`` without credentials, also when it cannot be parsed (the credentials still go)."""
    if not isinstance(url, str) or "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO.sub(r"\1", url)
    if not parts.netloc or "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def url_passwords(value):
    """The passwords of every URL in ``value`` (a str, or lists and dicts of them), e.g. the
    ``pass`` of ``postgresql://user:pass@db/fleet``: values Ansible must mask in its output."""
    found = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, str) and "@" in item and "://" in item:
            try:
                password = urlsplit(item).password
            except ValueError:
                continue
            if password:
                found.add(password)
    return found
