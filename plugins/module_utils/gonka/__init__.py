# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Gonka domain: ML nodes on a network node's Admin API (``/admin/v1/``).

connection (options, ``client_from_params``) -> client (HTTP) -> validation ->
planner (would-change) -> service (executes the plan, one entry per module).
"""
