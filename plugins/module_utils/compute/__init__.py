# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The compute domain: node registry, Docker TLS probe, and the services behind
``compute_node``, ``compute_node_info`` and ``compute_node_probe``."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
