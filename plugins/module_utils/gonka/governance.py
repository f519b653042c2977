# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which models the chain accepts, and how sure we are about it.

Sources, in order: the user's own list (``approved_models``), the live
governance list of a public API (``governance_url``), the bundled list. Only the
first two are authoritative; a model missing from the bundled list is a warning,
since that list ages and the server decides.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.common.urls import redact_url
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.client import GonkaApiError
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.presets import BUNDLED_MODELS, BUNDLED_MODELS_AS_OF

GOVERNANCE_PATH = "/v1/governance/models"


class ApprovedModels(object):
    def __init__(self, models, source, authoritative, warning=None):
        self.models = frozenset(models)
        self.source = source
        self.authoritative = authoritative
        self.warning = warning

    def as_dict(self):
        return {"source": self.source, "authoritative": self.authoritative, "models": sorted(self.models)}


def governance_models_url(base):
    base = base.rstrip("/")
    return base if base.endswith(GOVERNANCE_PATH) else base + GOVERNANCE_PATH


def parse_governance_models(payload):
    """``{"models": [{"id": ...}, ...]}`` as the public API serves it; a bare list is accepted too."""
    items = payload.get("models") if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise ValueError("expected {\"models\": [...]} from the governance endpoint")
    names = []
    for item in items:
        name = item.get("id") if isinstance(item, dict) else item
        if isinstance(name, str) and name:
            names.append(name)
    return names


def bundled():
    """The bundled list: dated, never authoritative."""
    return ApprovedModels(BUNDLED_MODELS, "bundled (%s)" % BUNDLED_MODELS_AS_OF, False)


def resolve(client, approved_models=None, governance_url=None):
    """Work out the approved list; a live lookup that fails falls back with a warning."""
    if approved_models:
        return ApprovedModels(approved_models, "approved_models option", True)
    bundled_note = "the bundled list of %s (it ages; the chain's governance decides)" % BUNDLED_MODELS_AS_OF
    if governance_url:
        url = governance_models_url(governance_url)
        try:
            return ApprovedModels(parse_governance_models(client.get_json(url)), redact_url(url), True)
        except (GonkaApiError, ValueError) as exc:
            return ApprovedModels(BUNDLED_MODELS, "bundled (%s)" % BUNDLED_MODELS_AS_OF, False,
                                  warning="could not read the live governance model list (%s); checked models "
                                          "against %s instead" % (exc, bundled_note))
    return ApprovedModels(BUNDLED_MODELS, "bundled (%s)" % BUNDLED_MODELS_AS_OF, False)


def check(desired_nodes, approved, mode):
    """Return (errors, warnings) for models outside ``approved``; ``mode``: strict, warn, off."""
    errors, warnings = [], []
    if mode == "off":
        return errors, warnings
    for node in desired_nodes:
        if node.body is None:
            continue
        unknown = sorted(m for m in node.body["models"] if m not in approved.models)
        if not unknown:
            continue
        text = "%s: model(s) %s not in the approved list from %s" % (node.label, ", ".join(unknown), approved.source)
        if approved.authoritative and mode == "strict":
            errors.append(text)
        else:
            warnings.append(text + "; sending anyway, the server decides")
    return errors, warnings
