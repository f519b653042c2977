# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The label, annotation and resource names gpuctl writes into the cluster and selects by.

They are the contract with objects already in clusters: renaming one orphans what
earlier runs created.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

MANAGED_BY = "gpuctl"

# labels
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_JOB = "gpuctl/job"
LABEL_JOB_ID = "gpuctl/job-id"
LABEL_KIND = "gpuctl/kind"
LABEL_POOL = "gpuctl/pool"
LABEL_TYPE = "gpuctl/type"
GPU_TYPE_LABEL = "nvidia.com/gpu-type"
GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"

# annotations
ANNOTATION_SPEC = "gpuctl/spec"
ANNOTATION_DESCRIPTION = "gpuctl/description"
ANNOTATION_PAUSED_REPLICAS = "gpuctl/paused-replicas"
ANNOTATION_PROGRESS = "gpuctl/progress"
ANNOTATION_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"

# extended resources (NVIDIA device plugin, HAMi)
GPU_RESOURCE = "nvidia.com/gpu"
HAMI_MEMORY = "nvidia.com/gpumem"
HAMI_CORES = "nvidia.com/gpucores"

# objects
POOL_CONFIGMAP_PREFIX = "gpuctl-pool-"
PRIORITY_CLASS_PREFIX = "gpuctl-"
DEFAULT_POOL_NAMESPACE = "gpuctl-system"


def pool_configmap_name(pool):
    return POOL_CONFIGMAP_PREFIX + pool


def priority_class_name(priority):
    return PRIORITY_CLASS_PREFIX + priority


def managed_selector(*terms):
    """A label selector for gpuctl's own objects plus terms."""
    return ",".join(("%s=%s" % (LABEL_MANAGED_BY, MANAGED_BY),) + terms)
