# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Transitional: the inventory plugin still imports ``flatten`` from here.
Delete once plugins/inventory/gpufleet.py imports gonka.records.flatten."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.records import flatten  # noqa: F401  pylint: disable=unused-import
