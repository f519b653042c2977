# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import validation as V
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError

SECRET_LINES = ["QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo-secret-one", "c2Vjb25kLXNlY3JldC1saW5l-secret-two"]


@pytest.mark.parametrize("value", ["\n".join(SECRET_LINES), SECRET_LINES[0], "x" * 2000 + "\n-----END",
                                   "/nonexistent/key.pem\x00"])
def test_a_secret_is_never_quoted(value):
    with pytest.raises(ComputeError) as exc:
        V.load_pem(value, "client_key")
    text = str(exc.value) + repr(exc.value.to_result())
    assert exc.value.field == "client_key" and "secret and not shown" in text
    for line in SECRET_LINES:
        assert line not in text and line[5:25] not in text
    assert "/nonexistent/key.pem" not in text


def test_a_path_is_shown_for_a_certificate():
    with pytest.raises(ComputeError) as exc:
        V.load_pem("/nonexistent/ca.pem", "ca_cert", "ca_path")
    assert exc.value.field == "ca_path" and "/nonexistent/ca.pem" in str(exc.value)


def test_a_broken_certificate_is_refused():
    with pytest.raises(ComputeError) as exc:
        V.load_pem("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", "ca_cert")
    assert exc.value.field == "ca_cert" and "not a usable PEM certificate" in str(exc.value)


@pytest.mark.parametrize("value", [0, -1, 300.5, float("nan"), float("inf"), "abc", True, None])
def test_timeout_range(value):
    with pytest.raises(ComputeError) as exc:
        V.check_timeout(value)
    assert exc.value.field == "timeout"


def test_timeout_and_workers_in_range():
    assert V.check_timeout(0.5) == 0.5 and V.check_timeout("300") == 300.0
    assert V.check_max_workers(1) == 1 and V.check_max_workers(1024) == 1024
    for bad in (0, 1025, 10 ** 20, True, "8"):
        with pytest.raises(ComputeError):
            V.check_max_workers(bad)


def test_option_name_follows_what_the_user_wrote():
    assert V.option_name({"ca_cert": "x", "ca_path": "x"}, "ca_cert") == "ca_cert"
    assert V.option_name({"ca_path": "x"}, "ca_cert") == "ca_path"
    node = V.validate_node_params({"name": "n", "ca_path": None, "ca_cert": None, "region": "r"})
    assert node.given == {"region": "r"} and node.secrets == {}


def test_public_record_hides_secrets():
    out = V.public_record({"name": "n", "secrets": {"client_key": "token"}})
    assert "secrets" not in out and out["has_client_key"] is True and out["has_ssh_password"] is False
    assert out["docker_status"] == "unknown" and out["region"] is None
