# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a person reads: the doctor's checks as a fixed-width table, Markdown and a JSON document."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka.doctor_checks import STATUSES

ORDER = dict((status, index) for index, status in enumerate(STATUSES))
EVIDENCE_WIDTH = 110


def counts(checks):
    out = dict((status, 0) for status in STATUSES)
    for item in checks:
        out[item["status"]] = out.get(item["status"], 0) + 1
    return out


def sort_checks(checks):
    """Worst first, then by where and what: the failures are the first lines a person reads."""
    return sorted(checks, key=lambda c: (ORDER.get(c["status"], 9), c.get("target") or "", c.get("check") or ""))


def _cut(text, width):
    text = " ".join(str(text or "").split())
    return text if len(text) <= width else text[:width - 3] + "..."


def table(checks):
    """Lines of a fixed-width table: STATUS TARGET CHECK EVIDENCE (and FIX under each warn/fail)."""
    rows = sort_checks(checks)
    tw = max([len("TARGET")] + [len(c.get("target") or "") for c in rows])
    cw = max([len("CHECK")] + [len(c.get("check") or "") for c in rows])
    fmt = "%-7s  %-" + str(tw) + "s  %-" + str(cw) + "s  %s"
    lines = [fmt % ("STATUS", "TARGET", "CHECK", "EVIDENCE")]
    for c in rows:
        lines.append(fmt % (c["status"].upper(), c.get("target"), c.get("check"), _cut(c.get("evidence"), EVIDENCE_WIDTH)))
        if c.get("fix"):
            lines.append(fmt % ("", "", "", "fix: " + _cut(c["fix"], EVIDENCE_WIDTH)))
    total = counts(rows)
    lines.append("%d ok, %d warn, %d fail, %d skipped" % (total["ok"], total["warn"], total["fail"], total["skipped"]))
    return lines


def _md(text):
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def markdown(checks, title="Gonka fleet doctor", generated=None):
    rows = sort_checks(checks)
    total = counts(rows)
    out = ["# %s" % title, ""]
    if generated:
        out += ["Generated %s." % generated, ""]
    out += ["**%d fail, %d warn, %d ok, %d skipped.**" % (total["fail"], total["warn"], total["ok"], total["skipped"]),
            "", "| status | target | check | evidence | fix |", "| --- | --- | --- | --- | --- |"]
    for c in rows:
        cells = (c["status"], _md(c.get("target")), _md(c.get("check")), _md(c.get("evidence")), _md(c.get("fix") or ""))
        out.append("| %s | %s | %s | %s | %s |" % cells)
    return "\n".join(out) + "\n"


def document(checks, generated=None):
    """The JSON report: counts, then every check, worst first."""
    rows = sort_checks(checks)
    return {"generated": generated, "counts": counts(rows), "any_failed": counts(rows)["fail"] > 0, "checks": rows}
