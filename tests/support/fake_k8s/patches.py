# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fake API server's own patch engines, written from the specifications, not from the client.

- ``json_merge_patch``: RFC 7386 section 2, the pseudo-code transcribed
  (https://www.rfc-editor.org/rfc/rfc7386#section-2). Lists are values: replaced whole.
- ``strategic_merge_patch``: Kubernetes' strategic merge patch as documented in
  https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
  and https://github.com/kubernetes/community/blob/master/contributors/devel/sig-api-machinery/strategic-merge-patch.md:
  lists whose API field carries ``patchStrategy: merge`` are merged by their ``patchMergeKey``
  (containers by ``name``, container ports by ``containerPort``, Service ports by ``port``, ...),
  lists of primitives with that strategy (``finalizers``) are sets, every other list is replaced;
  ``null`` deletes a key; directives ``$patch: replace|delete|merge``, ``$deleteFromPrimitiveList/<list>``,
  ``$setElementOrder/<list>`` and ``$retainKeys``.

The merge keys are those of the Go API types (k8s.io/api) for the objects the fake serves. The
client under test (plugins/module_utils/gpuctl) must never be imported here: the fake exists to
catch the client's wrong predictions.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy


class PatchError(Exception):
    """A patch the API server refuses (the server answers 400 Bad Request)."""


DELETE = object()  # a map that "$patch: delete" removes

# field -> ("merge", merge key, schema of the items) | ("set", None, None) for lists with patchStrategy merge.
CONTAINER = {
    "env": ("merge", "name", {}),
    "ports": ("merge", "containerPort", {}),
    "volumeMounts": ("merge", "mountPath", {}),
    "volumeDevices": ("merge", "devicePath", {}),
}
POD_SPEC = {
    "containers": ("merge", "name", CONTAINER),
    "initContainers": ("merge", "name", CONTAINER),
    "ephemeralContainers": ("merge", "name", CONTAINER),
    "volumes": ("merge", "name", {}),
    "imagePullSecrets": ("merge", "name", {}),
    "hostAliases": ("merge", "ip", {}),
    "topologySpreadConstraints": ("merge", "topologyKey", {}),
    "resourceClaims": ("merge", "name", {}),
}
OBJECT_META = {
    "finalizers": ("set", None, None),
    "ownerReferences": ("merge", "uid", {}),
}
TEMPLATE = {"metadata": OBJECT_META, "spec": POD_SPEC}
CONDITIONS = {"conditions": ("merge", "type", {})}
SCHEMAS = {
    "Pod": {"metadata": OBJECT_META, "spec": POD_SPEC, "status": CONDITIONS},
    "Deployment": {"metadata": OBJECT_META, "spec": {"template": TEMPLATE}, "status": CONDITIONS},
    "Job": {"metadata": OBJECT_META, "spec": {"template": TEMPLATE}, "status": CONDITIONS},
    "Service": {"metadata": OBJECT_META, "spec": {"ports": ("merge", "port", {})}},
    "Node": {"metadata": OBJECT_META, "status": CONDITIONS},
}


def json_merge_patch(target, patch):
    """RFC 7386 MergePatch(Target, Patch)."""
    if isinstance(patch, dict):
        if not isinstance(target, dict):
            target = {}  # ignore the contents and set it to an empty object
        target = dict(target)
        for name, value in patch.items():
            if value is None:
                target.pop(name, None)
            else:
                target[name] = json_merge_patch(target.get(name), value)
        return target
    return copy.deepcopy(patch)


def strategic_merge_patch(original, patch, kind):
    """Apply a strategic merge patch to ``original``, an object of ``kind``. Raises PatchError."""
    if not isinstance(patch, dict):
        raise PatchError("a strategic merge patch must be a JSON object")
    out = _merge_map(copy.deepcopy(original) if isinstance(original, dict) else {}, patch, SCHEMAS.get(kind, {}), "")
    if out is DELETE:
        raise PatchError("$patch: delete on the whole object")
    return out


def _field_strategy(schema, key):
    value = schema.get(key)
    return value if isinstance(value, tuple) else None


def _sub_schema(schema, key):
    value = schema.get(key)
    return value if isinstance(value, dict) else {}


def _merge_map(original, patch, schema, path):
    patch = dict(patch)
    directive = patch.pop("$patch", None)
    if directive == "delete":
        return DELETE
    if directive == "replace":
        return _strip_directives(patch)
    if directive not in (None, "merge"):
        raise PatchError("%s: unknown patch type %r (allowed: replace, merge, delete)" % (path or "<root>", directive))
    retain = patch.pop("$retainKeys", None)
    orders, deletions = {}, {}
    for key in [k for k in patch if k.startswith("$setElementOrder/")]:
        orders[key.split("/", 1)[1]] = patch.pop(key)
    for key in [k for k in patch if k.startswith("$deleteFromPrimitiveList/")]:
        deletions[key.split("/", 1)[1]] = patch.pop(key)
    for key in patch:
        if key.startswith("$"):
            raise PatchError("%s: unknown directive %s" % (path or "<root>", key))
    out = dict(original)
    for key, value in patch.items():
        sub = "%s.%s" % (path, key) if path else key
        strategy = _field_strategy(schema, key)
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            merged = _merge_map(out.get(key) if isinstance(out.get(key), dict) else {}, value, _sub_schema(schema, key), sub)
            if merged is DELETE:
                out.pop(key, None)
            else:
                out[key] = merged
        elif isinstance(value, list) and strategy is not None:
            out[key] = _merge_list(out.get(key) if isinstance(out.get(key), list) else [], value, strategy, sub)
        else:
            out[key] = _strip_directives(value)  # scalars and lists without a merge strategy are replaced
    for key, values in deletions.items():
        strategy = _field_strategy(schema, key)
        if strategy is None or strategy[0] != "set" or not isinstance(values, list):
            raise PatchError("%s: $deleteFromPrimitiveList/%s needs a list field with patchStrategy merge" % (path or "<root>", key))
        kept = [v for v in out.get(key) or [] if v not in values]
        if kept:
            out[key] = kept
        else:
            out.pop(key, None)
    for key, order in orders.items():
        if key in out:
            out[key] = _ordered(out[key], order, _field_strategy(schema, key), path)
    if retain is not None:
        if not isinstance(retain, list) or any(k not in retain for k in patch):
            raise PatchError("%s: $retainKeys must list every key the patch sets" % (path or "<root>"))
        out = dict((k, v) for k, v in out.items() if k in retain)
    return out


def _merge_list(original, patch, strategy, path):
    kind, merge_key, item_schema = strategy
    if any(isinstance(item, dict) and item.get("$patch") == "replace" and len(item) == 1 for item in patch):
        return [_strip_directives(item) for item in patch if not (isinstance(item, dict) and item.get("$patch") == "replace")]
    if kind == "set":
        if any(isinstance(item, (dict, list)) for item in patch):
            raise PatchError("%s: a list of primitives cannot hold objects" % path)
        out = []
        for item in list(original) + list(patch):
            if item not in out:  # sets: de-duplicated, original order first
                out.append(item)
        return out
    out = [copy.deepcopy(item) for item in original]
    for item in patch:
        if not isinstance(item, dict):
            raise PatchError("%s: items of this list must be objects with the merge key %r" % (path, merge_key))
        if merge_key not in item:
            raise PatchError("%s: map %s does not contain declared merge key: %s" % (path, item, merge_key))
        matches = [i for i, have in enumerate(out) if isinstance(have, dict) and have.get(merge_key) == item[merge_key]]
        if item.get("$patch") == "delete":
            out = [have for i, have in enumerate(out) if i not in matches]  # every match is deleted
            continue
        if matches:
            merged = _merge_map(out[matches[0]], item, item_schema, "%s[%s=%s]" % (path, merge_key, item[merge_key]))
            out[matches[0]] = merged
        else:
            added = _merge_map({}, item, item_schema, "%s[%s=%s]" % (path, merge_key, item[merge_key]))
            out.append(added)
    return out


def _ordered(items, order, strategy, path):
    if not isinstance(order, list):
        raise PatchError("%s: $setElementOrder needs a list" % (path or "<root>"))
    if strategy is not None and strategy[0] == "merge":
        key = strategy[1]
        wanted = [entry.get(key) for entry in order if isinstance(entry, dict)]
        position = dict((value, i) for i, value in enumerate(wanted))
        listed = sorted([i for i in items if i.get(key) in position], key=lambda i: position[i.get(key)])
        return listed + [i for i in items if i.get(key) not in position]
    position = dict((value, i) for i, value in enumerate(order))
    return sorted([i for i in items if i in position], key=lambda i: position[i]) + [i for i in items if i not in position]


def _strip_directives(value):
    if isinstance(value, dict):
        return dict((k, _strip_directives(v)) for k, v in value.items() if not k.startswith("$"))
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value
