# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The AWX credential types (extensions/awx/credential_types) inject only what the plugins read.

Every injected environment variable must be an ``env_fallback`` of a module's argument spec
(imported here, not copied), every template may only use the type's own inputs and
``tower.filename.<file>``, and secret inputs are marked secret.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re

import pytest
import yaml

from ansible_collections.gpufleet.ops.plugins.modules import (
    compute_node, compute_node_info, compute_node_probe, compute_registry_migrate, mlnode)
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.connection import CONNECTION_SPEC

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TYPES = sorted(glob.glob(os.path.join(ROOT, "extensions", "awx", "credential_types", "*.yml")))
SECRET_IDS = ("password", "registry_key", "key")
# Read by libpq itself, which is how the inventory plugin's registry source gets the password.
LIBPQ_ENV = ("PGPASSWORD",)


def env_names(spec):
    names = set()
    for option in spec.values():
        fallback = option.get("fallback")
        if fallback and fallback[0].__name__ == "env_fallback":
            names.update(fallback[1])
    return names


def read_env_names():
    names = env_names(CONNECTION_SPEC)
    for module in (compute_node, compute_node_info, compute_node_probe, compute_registry_migrate, mlnode):
        names |= env_names(module.argument_spec())
    return names


def load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def test_three_types_ship():
    assert [os.path.basename(p) for p in TYPES] == [
        "gonka_admin_api.yml", "gpufleet_compute_registry.yml", "gpufleet_docker_tls.yml"]


@pytest.mark.parametrize("path", TYPES, ids=os.path.basename)
def test_injected_env_is_read_by_the_modules(path):
    injected = set(load(path)["injectors"].get("env", {}))
    unknown = injected - read_env_names() - set(LIBPQ_ENV)
    assert not unknown, "%s injects variables no plugin reads: %s" % (os.path.basename(path), sorted(unknown))


@pytest.mark.parametrize("path", TYPES, ids=os.path.basename)
def test_templates_use_only_inputs_and_injected_files(path):
    definition = load(path)
    inputs = set(f["id"] for f in definition["inputs"]["fields"])
    files = set(k.split(".", 1)[1] for k in definition["injectors"].get("file", {}))
    for section, values in definition["injectors"].items():
        for name, template in values.items():
            for ref in re.findall(r"[{][{%]\s*(?:if\s+)?([a-z_][a-z_.]*)", template):
                if ref in ("endif", "else"):
                    continue
                if ref.startswith("tower.filename."):
                    assert ref.split(".", 2)[2] in files, (name, ref)
                else:
                    assert ref in inputs, "%s.%s uses %s, not an input" % (section, name, ref)
    for field in definition["inputs"]["fields"]:
        if field["id"] in SECRET_IDS or field["id"] == "admin_url":
            assert field.get("secret") is True, field["id"]
    assert set(definition["inputs"].get("required", [])) <= inputs


def test_registry_type_covers_the_registry_spec():
    injected = set(load(os.path.join(ROOT, "extensions", "awx", "credential_types",
                                     "gpufleet_compute_registry.yml"))["injectors"]["env"])
    assert {"GPUFLEET_REGISTRY", "GPUFLEET_REGISTRY_KEY", "PGPASSWORD"} <= injected
    spec = compute_node.argument_spec()
    assert spec["registry_password"]["no_log"] and spec["registry_key"]["no_log"]


def test_docker_tls_extra_vars_are_documented():
    with open(os.path.join(ROOT, "docs", "awx.md")) as handle:
        doc = handle.read()
    extra = load(os.path.join(ROOT, "extensions", "awx", "credential_types", "gpufleet_docker_tls.yml"))
    for name in extra["injectors"]["extra_vars"]:
        assert name in doc
