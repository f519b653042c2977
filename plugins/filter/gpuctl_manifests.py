# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
name: gpuctl_manifests
short_description: Render gpuctl specs into Kubernetes manifests, without a cluster
version_added: "0.1.0"
description:
  - Validates one gpuctl spec (C(kind) V(training), V(inference), V(notebook) or V(resource)), or a list of them,
    and returns the list of Kubernetes manifests that M(gpufleet.ops.gpuctl_job) and M(gpufleet.ops.gpuctl_pool) apply.
  - An invalid spec fails with every problem's YAML path and reason.
  - Optionally checks a job against pool quotas given in O(pools), as the modules do against the cluster.
author:
  - gpufleet.ops contributors
positional: namespace
options:
  _input:
    description:
      - A gpuctl spec (dict) or a list of specs.
    type: raw
    required: true
  namespace:
    description:
      - Namespace of the rendered objects.
    type: str
    default: default
  pools:
    description:
      - C(kind) V(resource) specs to check C(resources.pool) and its quota against.
      - When omitted no pool check is made; when given, a job naming a pool not in the list fails.
    type: list
    elements: dict
"""

EXAMPLES = r"""
- name: Render a training job
  ansible.builtin.debug:
    msg: "{{ lookup('ansible.builtin.file', 'training-job.yaml') | from_yaml | gpufleet.ops.gpuctl_manifests }}"

- name: Render into a namespace and check quotas offline
  ansible.builtin.set_fact:
    manifests: "{{ job_spec | gpufleet.ops.gpuctl_manifests('ml', pools=[pool_spec]) }}"

- name: Apply the rendered manifests with kubernetes.core
  kubernetes.core.k8s:
    definition: "{{ job_spec | gpufleet.ops.gpuctl_manifests }}"
"""

RETURN = r"""
_value:
  description: Kubernetes manifests (dicts with apiVersion, kind, metadata, spec/data), in apply order.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import SpecError


def _plain(value):
    """Tagged/lazy Ansible containers -> plain Python data."""
    if isinstance(value, dict):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def gpuctl_manifests(data, namespace="default", pools=None):
    for what, value in (("", data), ("pools", pools)):
        too_deep = validation.nesting_problem(value)
        if too_deep:  # refused before _plain recurses over it
            raise AnsibleFilterError(SpecError([too_deep], prefix=what or None).msg)
    data = _plain(data)
    docs = data if isinstance(data, list) else [data]
    pool_defs = None
    try:
        if pools is not None:
            pool_defs = {}
            for i, pool in enumerate(_plain(pools)):
                parsed = validation.parse_spec(pool, prefix="pools[%d]" % i)
                if parsed["kind"] != "resource":
                    raise SpecError([("kind", "pools must be kind 'resource'")], prefix="pools[%d]" % i)
                pool_defs[parsed["pool"]["name"]] = parsed
        out = []
        counts = {}
        for i, doc in enumerate(docs):
            label = "spec[%d]" % i if isinstance(data, list) else None
            spec = validation.parse_spec(doc, prefix=label)
            if pool_defs is not None and spec["kind"] != "resource":
                pool = (spec.get("resources") or {}).get("pool")
                validation.check_quota(spec, pool_defs.get(pool), counts.get(pool, 0), path_prefix=label)
                if pool:
                    counts[pool] = counts.get(pool, 0) + 1
            pool_def = (pool_defs or {}).get((spec.get("resources") or {}).get("pool"))
            out.extend(render.render(spec, namespace, validated=True, pool_taint=validation.pool_taints_nodes(pool_def)))
        return out
    except SpecError as exc:
        raise AnsibleFilterError(exc.msg)


class FilterModule(object):
    def filters(self):
        return {"gpuctl_manifests": gpuctl_manifests}
