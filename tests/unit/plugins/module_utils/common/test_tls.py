# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""common/tls.py: the one system trust store loader, blind to SSL_CERT_FILE / SSL_CERT_DIR."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ssl

from ansible_collections.gpufleet.ops.plugins.module_utils.common import tls
from ansible_collections.gpufleet.ops.plugins.module_utils.compute import client as compute_client
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka import client as gonka_client
from tests.support.tls import TLSMaterial


def _subjects(ctx):
    return sorted(str(cert.get("subject")) for cert in ctx.get_ca_certs())


def test_environment_does_not_add_a_ca(tmp_path, monkeypatch):
    material = TLSMaterial(str(tmp_path))
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    plain = _subjects(tls.load_system_trust_store(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)))
    monkeypatch.setenv("SSL_CERT_FILE", material.path["ca"])
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with_env = _subjects(tls.load_system_trust_store(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)))
    assert with_env == plain
    assert not any("gpufleet" in subject.lower() for subject in with_env)


def test_missing_compiled_in_store_gives_an_empty_store(monkeypatch, tmp_path):
    paths = ssl.DefaultVerifyPaths(cafile=None, capath=None, openssl_cafile_env="SSL_CERT_FILE",
                                   openssl_cafile=str(tmp_path / "none.pem"), openssl_capath_env="SSL_CERT_DIR",
                                   openssl_capath=str(tmp_path / "none"))
    monkeypatch.setattr(ssl, "get_default_verify_paths", lambda: paths)
    monkeypatch.setenv("SSL_CERT_FILE", TLSMaterial(str(tmp_path)).path["ca"])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert tls.load_system_trust_store(ctx) is ctx
    assert ctx.get_ca_certs() == []


def test_both_domains_use_it():
    assert gonka_client.load_system_trust_store is tls.load_system_trust_store
    assert compute_client.load_system_trust_store is tls.load_system_trust_store
