# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fake Kubernetes API server for tests: ``start()`` returns a server with ``.url`` and ``.stop()``."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from tests.support.fake_k8s.server import FakeServer, FakeCluster, HttpError  # noqa: F401


def start(token=None, version="v1.33.0"):
    """Start a fake API server on 127.0.0.1 (random port) in a daemon thread."""
    return FakeServer(token=token, version=version)
