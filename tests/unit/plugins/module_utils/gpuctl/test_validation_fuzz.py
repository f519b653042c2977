# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based: malformed specs always give a clean SpecError with field paths, never a traceback."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json
import os

import tempfile

import kubernetes_validate
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

# keep hypothesis' caches out of the repository (no example database is used either)
set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "gpuctl-hypothesis"))

from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import render
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import validation
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import SpecError

FIXTURES = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "fixtures", "gpuctl"))
SEEDS = []
for _name in ("training-job.yaml", "inference-service.yaml", "notebook-job.yaml", "train-pool.yaml"):
    with open(os.path.join(FIXTURES, _name), encoding="utf-8") as _h:
        SEEDS.extend(validation.load_documents(_h.read(), _name))

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10 ** 6, 10 ** 6), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["", "-1", "2Gi", "0.5", "30s", "a100", "/x", "{{nope}}", "{{model.name}}"]))


def _containers(inner):
    return st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3))


values = st.recursive(scalars, _containers, max_leaves=8)


def paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for key, val in doc.items():
            yield from paths(val, prefix + (key,))
    elif isinstance(doc, list):
        for i, val in enumerate(doc):
            yield from paths(val, prefix + (i,))


@st.composite
def mutated(draw):
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for dummy in range(draw(st.integers(1, 4))):
        all_paths = [p for p in paths(doc) if p]
        if not all_paths:
            break
        target = draw(st.sampled_from(all_paths))
        parent = doc
        try:
            for key in target[:-1]:
                parent = parent[key]
        except (KeyError, IndexError, TypeError):
            continue
        op = draw(st.sampled_from(["replace", "delete", "add"]))
        try:
            if op == "replace":
                parent[target[-1]] = draw(values)
            elif op == "delete":
                del parent[target[-1]]
            elif isinstance(parent, dict):
                parent[draw(st.text(min_size=1, max_size=10))] = draw(values)
        except (KeyError, IndexError, TypeError):
            continue
    return doc


def check_clean(doc):
    try:
        spec = validation.parse_spec(doc)
    except SpecError as exc:
        assert exc.errors, "SpecError without errors"
        for path, reason in exc.errors:
            assert isinstance(path, str) and isinstance(reason, str) and reason
        assert exc.msg.startswith("invalid gpuctl spec: ")
        return None
    assert validation.parse_spec(copy.deepcopy(spec)) == spec, "a normalised spec must parse to itself"
    manifests = render.render(spec, "fuzz", validated=True)
    assert manifests
    return manifests


@settings(database=None, max_examples=int(os.environ.get("GPUCTL_FUZZ_EXAMPLES", "300")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_seed_specs_fail_cleanly_or_render(doc):
    check_clean(doc)


@settings(database=None, max_examples=150, deadline=None)
@given(values)
def test_arbitrary_values_fail_cleanly(doc):
    check_clean(doc)


@settings(database=None, max_examples=100, deadline=None)
@given(st.fixed_dictionaries({"kind": st.sampled_from(validation.KINDS)}, optional={
    "job": values, "environment": values, "resources": values, "storage": values, "service": values,
    "autoscaling": values, "model": values, "pool": values, "nodes": values, "quota": values, "version": values}))
def test_kind_with_random_blocks_fails_cleanly(doc):
    check_clean(doc)


@settings(database=None, max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_random_text_documents_fail_cleanly(text):
    try:
        docs = validation.load_documents(text, "fuzz.yaml")
    except SpecError as exc:
        assert exc.errors[0][0].startswith("fuzz.yaml")
        return
    try:
        validation.parse_documents(docs, "fuzz.yaml")
    except SpecError as exc:
        assert all(err[0].startswith("fuzz.yaml#") for err in exc.errors)


@settings(database=None, max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_whatever_renders_is_schema_valid(doc):
    manifests = check_clean(doc)
    for manifest in manifests or []:
        kubernetes_validate.validate(manifest, kubernetes_validate.latest_version(), strict=True)


# ---------------------------------------------------------------- hostile input (issue 16 item 9)
# The five causes of the tracebacks a 10,312-case fuzz found: deep nesting, PyYAML tags on text that
# is not of that type, quantities of hundreds of digits, and pool node keys of mixed types.

def _nested(depth):
    doc = "x"
    for dummy in range(depth):
        doc = [doc] if depth % 2 else {"k": doc}
    return doc


hostile_scalars = st.one_of(
    scalars,
    st.integers(300, 450).map(lambda n: "1" * n),
    st.integers(300, 450).map(lambda n: "9" * n + "Gi"),
    st.integers(300, 450).map(lambda n: 10 ** n),
    st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308, "1e400", "0.0000000001m", "2000Ti", "-1Gi"]),
)
hostile = st.one_of(
    st.recursive(hostile_scalars, _containers, max_leaves=6),
    st.sampled_from([40, 100, 600, 3001]).map(_nested),
    st.dictionaries(st.one_of(st.integers(), st.text(max_size=6), st.booleans()), st.one_of(st.none(), st.fixed_dictionaries({})),
                    max_size=4),
)


@settings(database=None, max_examples=int(os.environ.get("GPUCTL_FUZZ_HOSTILE_EXAMPLES", "5000")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.fixed_dictionaries({"kind": st.sampled_from(validation.KINDS)}, optional={
    "job": hostile, "environment": hostile, "resources": st.one_of(hostile, st.fixed_dictionaries(
        {"gpu": st.integers(0, 4)}, optional={"cpu": hostile_scalars, "memory": hostile_scalars, "gpu_share": hostile_scalars})),
    "pool": hostile, "nodes": hostile, "quota": hostile, "storage": hostile}))
def test_hostile_blocks_fail_cleanly(doc):
    check_clean(doc)


YAML_TAGS = ["!!timestamp", "!!int", "!!float", "!!binary", "!!bool", "!!null", "!!set", "!!omap", "!!python/name:os.system",
             "!!str", "!!map", "!!seq"]


@settings(database=None, max_examples=int(os.environ.get("GPUCTL_FUZZ_HOSTILE_EXAMPLES", "5000")), deadline=None)
@given(st.sampled_from(["kind", "job", "resources"]), st.sampled_from(YAML_TAGS), st.text(max_size=20),
       st.sampled_from([0, 3, 30, 40, 800, 5000]))
def test_hostile_yaml_text_fails_cleanly(key, tag, text, depth):
    for document in ("%s: %s %s\n" % (key, tag, json.dumps(text)), "%s: %s\n" % (key, "[" * depth + "]" * depth)):
        try:
            docs = validation.load_documents(document, "fuzz.yaml")
        except SpecError as exc:
            assert exc.errors[0][0].startswith("fuzz.yaml")
            continue
        try:
            validation.parse_documents(docs, "fuzz.yaml")
        except SpecError as exc:
            assert all(err[0].startswith("fuzz.yaml#") for err in exc.errors)
