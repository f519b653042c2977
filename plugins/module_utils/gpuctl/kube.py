# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Transitional: the inventory plugin's old import path. Remove once it calls connection.client_from_params."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.connection import client_from_params


def KubeClient(params):  # noqa: N802 - the old class name the inventory plugin imports
    return client_from_params(params)
