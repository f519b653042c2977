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


# ---------------------------------------------------------------- issue 13's new fields

POOL_SEED = [d for d in SEEDS if d.get("kind") == "resource"][0]
label_values = st.one_of(st.sampled_from(["a100-80g", "t4", "A100-100G", "", "-bad", "x" * 64, "ok.type_1"]), st.text(max_size=10))


@settings(database=None, max_examples=200, deadline=None)
@given(st.fixed_dictionaries({}, optional={
    "gpuType": st.one_of(values, st.lists(label_values, max_size=4)), "exclusive": values, "taintNodes": values,
    "nodes": st.one_of(values, st.dictionaries(st.sampled_from(["node1", "node2", "n-3"]),
                                               st.one_of(st.none(), st.fixed_dictionaries({"gpu-type": label_values})), max_size=3))}))
def test_pool_allow_list_and_isolation_fields_fail_cleanly(extra):
    doc = copy.deepcopy(POOL_SEED)
    doc.update(extra)
    try:
        spec = validation.parse_spec(doc)
    except SpecError as exc:
        known = ("gpuType", "exclusive", "taintNodes", "nodes")
        assert all(path.split(".")[0].split("[")[0] in known for path, dummy in exc.errors), exc.errors
        return
    allowed = spec.get("gpuType")
    for node, conf in (spec.get("nodes") or {}).items():
        assert not (allowed and (conf or {}).get("gpu-type") and conf["gpu-type"] not in allowed)
    assert isinstance(validation.pool_taints_nodes(spec), bool)


@settings(database=None, max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.one_of(st.none(), st.lists(label_values, min_size=1, max_size=3)), st.booleans())
def test_allow_list_at_submit_and_pool_taint_render_cleanly(doc, allowed, taint):
    """check_quota with any allow-list names resources.gpu-type or passes; a tolerating render stays schema-valid."""
    try:
        spec = validation.parse_spec(doc)
    except SpecError:
        return
    if spec["kind"] == "resource":
        return
    pool = (spec.get("resources") or {}).get("pool")
    pool_def = {"kind": "resource", "pool": {"name": pool or "p"}, "gpuType": allowed} if allowed else {"kind": "resource", "pool": {"name": "p"}}
    try:
        validation.check_quota(spec, pool_def)
    except SpecError as exc:
        assert [path for path, dummy in exc.errors] == ["resources.gpu-type"]
        assert (spec.get("resources") or {}).get("gpu-type") not in allowed
    for manifest in render.render(spec, "fuzz", validated=True, pool_taint=taint):
        kubernetes_validate.validate(manifest, kubernetes_validate.latest_version(), strict=True)


@settings(database=None, max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_node_lines_never_raise(text):
    lines = validation.node_lines(text, "fuzz.yaml")
    assert all(key.startswith("fuzz.yaml#") for key in lines)
    assert all(isinstance(line, int) and line >= 1 for nodes in lines.values() for line in nodes.values())


@settings(database=None, max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=40), st.sampled_from(["app=x", "a=b,c=d", "app.kubernetes.io/name=dcgm-exporter", ",", "a==b", "=x", "a=b,"])))
def test_selector_option_is_checked_not_raised(selector):
    problem = validation.selector_problem(selector)
    assert problem is None or isinstance(problem, str)
