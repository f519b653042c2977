# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Secrets at rest: Fernet encryption with a user-supplied registry key.

The registry stores ``ssh_password`` and ``client_key`` only as Fernet tokens.
The Fernet key is derived from ``registry_key`` with PBKDF2-HMAC-SHA256 and a
random per-registry salt kept in the registry's ``meta`` table; a known token
(``key_check``) lets a wrong key fail with a clear message instead of garbage.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import os
import traceback

from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError

CRYPTOGRAPHY_IMPORT_ERROR = None
try:
    from cryptography.fernet import Fernet, InvalidToken
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
except ImportError:  # pragma: no cover - reported through missing_required_lib
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
    Fernet = InvalidToken = hashes = PBKDF2HMAC = None

SECRET_FIELDS = ("ssh_password", "client_key")
MASK = "********"
KDF_ITERATIONS = 200000
_CHECK_PLAINTEXT = b"gpufleet-registry-key-check-v1"


class SecretBox(object):
    """Encrypts and decrypts secret fields with one registry's key."""

    def __init__(self, registry, passphrase):
        if CRYPTOGRAPHY_IMPORT_ERROR:
            raise ComputeError("the Python library 'cryptography' is needed to encrypt secrets",
                               field="registry_key")
        if not passphrase:
            raise ComputeError("an empty registry_key cannot protect secrets", field="registry_key")
        self._passphrase = passphrase
        self._salt = registry.meta_setdefault("kdf_salt", base64.b64encode(os.urandom(16)).decode("ascii"))
        kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32,
                         salt=base64.b64decode(self._salt), iterations=KDF_ITERATIONS)
        key = base64.urlsafe_b64encode(kdf.derive(passphrase.encode("utf-8")))
        self._fernet = Fernet(key)
        self._verify(registry)

    def _verify(self, registry):
        check = registry.meta_setdefault("key_check", self._fernet.encrypt(_CHECK_PLAINTEXT).decode("ascii"))
        try:
            ok = self._fernet.decrypt(check.encode("ascii")) == _CHECK_PLAINTEXT
        except InvalidToken:
            ok = False
        if not ok:
            raise ComputeError("registry_key does not match the key this registry's secrets were "
                               "encrypted with", field="registry_key")

    def for_registry(self, registry):
        """This box for another handle of the registry (the writable one after a read-only plan).

        When the stored salt is the one this box was derived from (or none is stored yet:
        it is stored now), the box is reused; otherwise a new key is derived.
        """
        if registry.meta_setdefault("kdf_salt", self._salt) != self._salt:
            return SecretBox(registry, self._passphrase)
        self._verify(registry)
        return self

    def encrypt(self, text):
        return self._fernet.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token, field=None, node=None):
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError, AttributeError):
            raise ComputeError("stored secret cannot be decrypted with registry_key", field=field, node=node)


def open_secret_box(registry, passphrase):
    """Return a SecretBox, or None when no key was given."""
    if not passphrase:
        return None
    return SecretBox(registry, passphrase)
