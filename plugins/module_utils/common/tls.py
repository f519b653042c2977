# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The system trust store, as every domain loads it when no CA is given."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import ssl


def load_system_trust_store(ctx):
    """Load OpenSSL's compiled-in CA file/directory into ``ctx``.

    Only the compiled-in paths are read: SSL_CERT_FILE / SSL_CERT_DIR in the environment are
    ignored, so the task's options alone decide whom a module trusts (issue 16 item 11).
    A system without a compiled-in store gets an empty one: verification then fails, it never
    falls back to whatever the environment names.
    """
    paths = ssl.get_default_verify_paths()
    cafile = paths.openssl_cafile if os.path.isfile(paths.openssl_cafile or "") else None
    capath = paths.openssl_capath if os.path.isdir(paths.openssl_capath or "") else None
    if cafile or capath:
        ctx.load_verify_locations(cafile=cafile, capath=capath)
    return ctx
