# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection argument spec every Gonka module shares (see doc fragment gonka)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.basic import env_fallback

from ansible_collections.gpufleet.ops.plugins.module_utils.gonka_api import AdminClient

GONKA_COMMON_ARGS = dict(
    admin_url=dict(type="str", default="http://localhost:9200", fallback=(env_fallback, ["GONKA_ADMIN_API_URL"])),
    timeout=dict(type="int", default=30),
    retries=dict(type="int", default=3),
    validate_certs=dict(type="bool", default=True),
    ca_path=dict(type="path"),
)


def admin_client(module):
    params = module.params
    url = params["admin_url"]
    if not url.startswith(("http://", "https://")):
        url = "http://" + url
    if params["timeout"] < 1 or params["retries"] < 0:
        module.fail_json(msg="timeout must be >= 1 and retries >= 0 (got timeout=%s, retries=%s)"
                         % (params["timeout"], params["retries"]))
    return AdminClient(url, timeout=params["timeout"], retries=params["retries"],
                       validate_certs=params["validate_certs"], ca_path=params["ca_path"])
