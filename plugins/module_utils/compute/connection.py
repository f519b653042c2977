# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the compute domain reaches its two backends, and the one way to open the registry.

- The registry (where node records live): ``registry`` (a SQLite file or a
  ``postgresql://`` URL), ``registry_password`` (PostgreSQL) and ``registry_key``,
  documented by the ``gpufleet.ops.compute_registry`` doc fragment (``PLUGIN``
  variant for the inventory plugin).
- A node's Docker engine over TLS: ``docker_host``, ``tls``, ``ca_path`` (alias
  ``ca_cert``), ``client_cert``, ``client_key``, ``allow_insecure`` and ``timeout``
  (alias ``request_timeout``), documented by ``gpufleet.ops.compute_docker``.

Environment variables reach the options through ``env_fallback`` in the specs,
never through code. Check mode is enforced here by construction: a registry opened
for a check-mode run is read-only and refuses every write.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.module_utils.basic import env_fallback

from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import ComputeError
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.registry import open_backend
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.secrets import SecretBox
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.validation import public_record

REGISTRY_SPEC = dict(
    registry=dict(type="str", fallback=(env_fallback, ["GPUFLEET_REGISTRY"])),
    registry_key=dict(type="str", no_log=True, fallback=(env_fallback, ["GPUFLEET_REGISTRY_KEY"])),
    # libpq reads PGPASSWORD itself too (the inventory plugin relies on that).
    registry_password=dict(type="str", no_log=True,
                           fallback=(env_fallback, ["GPUFLEET_REGISTRY_PASSWORD", "PGPASSWORD"])),
)

DEFAULT_TIMEOUT = 5.0
TIMEOUT_SPEC = dict(
    timeout=dict(type="float", default=DEFAULT_TIMEOUT, aliases=["request_timeout"]),
)

DOCKER_SPEC = dict(
    docker_host=dict(type="str"),
    tls=dict(type="bool"),
    ca_path=dict(type="str", aliases=["ca_cert"]),
    client_cert=dict(type="str"),
    client_key=dict(type="str", no_log=True),
    allow_insecure=dict(type="bool"),
)
DOCKER_SPEC.update(TIMEOUT_SPEC)
DOCKER_REQUIRED_TOGETHER = [["client_cert", "client_key"]]


def _copy(spec):
    return dict((name, dict(option)) for name, option in spec.items())


def registry_spec():
    """A copy of the registry options, for a module to extend."""
    return _copy(REGISTRY_SPEC)


def docker_spec():
    """A copy of the Docker TLS connection options (with ``timeout``)."""
    return _copy(DOCKER_SPEC)


def timeout_spec():
    """A copy of ``timeout`` alone (modules that probe stored nodes)."""
    return _copy(TIMEOUT_SPEC)


class RegistryConnection(object):
    """An open registry and, when a key was given, the box that decrypts its secrets.

    ``read_only`` connections refuse writes; ``writer()`` gives the writable handle a
    real run needs, and refuses in check mode.
    """

    def __init__(self, location, key=None, read_only=True, must_exist=False, check_mode=False, password=None):
        self.location = location
        self.key = key
        self.password = password
        self.check_mode = check_mode
        self.read_only = read_only or check_mode
        self.registry = open_backend(location, read_only=self.read_only, must_exist=must_exist, password=password)
        try:
            self.box = SecretBox(self.registry, key) if key else None
        except Exception:
            self.registry.close()
            raise

    def public_records(self):
        """Every record without its secrets (``has_<secret>`` flags instead), sorted by name."""
        return [public_record(record) for record in self.registry.list()]

    def writer(self):
        """A writable connection to the same registry, its box bound to the stored salt.

        Opened only when something is to be written, after validation, so a failing
        run never creates the registry file.
        """
        if self.check_mode:
            raise ComputeError("internal error: a write was attempted in check mode", field="registry")
        if not self.read_only:
            return self
        out = RegistryConnection.__new__(RegistryConnection)
        out.location, out.key, out.check_mode, out.read_only = self.location, self.key, False, False
        out.password = self.password
        out.registry = open_backend(self.location, read_only=False, password=self.password)
        out.box = self.box.for_registry(out.registry) if self.box is not None else None
        return out

    def close(self):
        self.registry.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def open_registry(location=None, key=None, read_only=True, must_exist=True, password=None):
    """Open the registry at ``location`` (a path, ``sqlite:///path`` or ``postgresql://user@host:port/db``;
    None: the default file). ``password``: the database password (libpq also reads ``PGPASSWORD``).

    The defaults are what the inventory plugin needs: read-only (nothing is created,
    changed or initialised on disk) and ``RegistryMissing`` (a ``ComputeError``) when
    the registry does not exist, so the caller can warn and read nothing.
    ``key`` (the registry key) is only needed to decrypt secrets.
    """
    return RegistryConnection(location, key=key, read_only=read_only, must_exist=must_exist, password=password)


def open_registry_from_params(params, check_mode=False, read_only=None):
    """The registry named by a module's ``registry`` / ``registry_key`` options.

    Check mode opens it read-only: a registry that does not exist reads as empty and is
    not created. ``read_only=True`` also opens it read-only outside check mode (info
    modules; services that plan first and call ``writer()`` only to write).
    """
    if read_only is None:
        read_only = check_mode
    return RegistryConnection(params.get("registry"), key=params.get("registry_key"), read_only=read_only,
                              must_exist=False, check_mode=check_mode, password=params.get("registry_password"))
