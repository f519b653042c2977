# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Quantities: Kubernetes' notation (``500m``, ``32Gi``, ``1.5G``) and memory sizes in MiB."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
QUANTITY = re.compile(r"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
DECIMAL = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
BINARY = {"Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}

# Memory sizes as operators write them: HAMi-core's own units (8g, 8192m are binary there),
# Kubernetes' (8Gi) and the long forms (8GiB, 8GB treated as GiB the way nvidia-smi counts).
_MEMORY = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$")
_MIB_PER_UNIT = {"": 1, "m": 1, "mi": 1, "mib": 1, "mb": 1,
                 "g": 1024, "gi": 1024, "gib": 1024, "gb": 1024,
                 "t": 1024 * 1024, "ti": 1024 * 1024, "tib": 1024 * 1024, "tb": 1024 * 1024}


def parse_quantity(text):
    """Kubernetes quantity string -> float in base units. Raises ValueError."""
    match = QUANTITY.match(str(text))
    if not match:
        raise ValueError(text)
    number = float(match.group(1))
    suffix = match.group(3) or ""
    if suffix in BINARY:
        return number * BINARY[suffix]
    return number * DECIMAL[suffix]


def mebibytes(text):
    """A memory size (``8g``, ``8192m``, ``8Gi``, ``8GiB``, a bare number = MiB) -> whole MiB.

    Raises ValueError for anything else, or for a size that is not a whole MiB.
    """
    if isinstance(text, bool):
        raise ValueError(text)
    match = _MEMORY.match(str(text))
    if not match or match.group(2).lower() not in _MIB_PER_UNIT:
        raise ValueError(text)
    mib = float(match.group(1)) * _MIB_PER_UNIT[match.group(2).lower()]
    if mib != int(mib):
        raise ValueError(text)
    return int(mib)
