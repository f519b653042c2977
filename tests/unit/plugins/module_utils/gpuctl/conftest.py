# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.gpufleet.ops`` importable for the gpuctl unit tests."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", ".."))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.helpers.ansible_run import ensure_collection_link  # noqa: E402

_COLL = ensure_collection_link()
if _COLL not in sys.path:
    sys.path.insert(0, _COLL)

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "gpuctl")
