# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gpuctl on Kubernetes.

connection (options, client_from_params) -> client (REST, retries, dry runs) ; validation (specs,
options) -> render (manifests) -> planner (would change) -> executor (writes) ; jobs, pools, labels
(write side), readers and status (read side) ; service (one entry per module) ; names (labels,
annotations).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
