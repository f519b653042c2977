# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Glue shared by the gpuctl modules: argument spec, client creation, spec loading, errors."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import kube
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import spec as SP
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError, SpecError


def argument_spec(**extra):
    """The shared connection options (doc fragment gpufleet.ops.k8s_auth) plus ``extra``."""
    spec = kube.auth_argument_spec(env_fallback)
    spec.update(extra)
    return spec


def client(module):
    if not kube.HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=kube.KUBERNETES_IMP_ERR)
    return kube.KubeClient(module.params)


def run(module, func):
    """Call ``func()`` and turn gpuctl errors into fail_json (with field paths / HTTP status)."""
    failure = None
    try:
        return func()
    except GpuctlError as exc:  # SpecError and ApiError included
        failure = exc.to_result()
    # outside the except block, so Ansible does not attach a traceback to a clean error
    module.fail_json(**failure)


def load_specs(module, spec_key="spec", src_key="src"):
    """Documents from ``spec`` (a dict or list of dicts) and ``src`` (YAML files, several documents each).

    Returns [(label, parsed_spec)]; labels name the origin (``src.yaml#2``) for error paths.
    """
    out, errors = [], []
    raw = module.params.get(spec_key)
    if raw is not None:
        docs = raw if isinstance(raw, list) else [raw]
        for i, doc in enumerate(docs):
            label = "spec[%d]" % i if isinstance(raw, list) else None
            try:
                out.append((label, SP.parse_spec(doc, prefix=label)))
            except SpecError as exc:
                errors.extend(exc.errors)
    for path in module.params.get(src_key) or []:
        if not os.path.isfile(path):
            errors.append((path, "file not found"))
            continue
        try:
            with open(path, "r", encoding="utf-8") as handle:
                text = handle.read()
        except (IOError, OSError, UnicodeDecodeError) as exc:
            errors.append((path, "cannot read: %s" % exc))
            continue
        try:
            docs = SP.load_documents(text, os.path.basename(path))
        except SpecError as exc:
            errors.extend(exc.errors)
            continue
        for i, doc in enumerate(docs):
            label = "%s#%d" % (os.path.basename(path), i + 1)
            try:
                out.append((label, SP.parse_spec(doc, prefix=label)))
            except SpecError as exc:
                errors.extend(exc.errors)
    if errors:
        raise SpecError(errors)
    return out
