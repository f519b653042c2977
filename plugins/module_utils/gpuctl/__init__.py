# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""gpuctl on Kubernetes: spec parsing, rendering, cluster client and managers."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
