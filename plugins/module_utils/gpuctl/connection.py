# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How gpuctl connects to a Kubernetes API server: one contract for modules and the inventory plugin.

``argument_spec()`` is the modules' connection options (doc fragment ``gpufleet.ops.k8s_auth``)
with their ``K8S_AUTH_*`` environment fallbacks, as kubernetes.core spells them. The inventory
plugin gets the same options from the fragment's ``PLUGIN`` variant (``env:`` entries).

``client_from_params(params, check_mode)`` turns those options (the canonical names or any
alias) into a ``KubeClient``; ``identity(params)`` names the credentials they resolve to, for
cache keys. Neither sends a request.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import hashlib
import json
import ssl

from ansible.module_utils.basic import env_fallback, missing_required_lib
from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible_collections.gpufleet.ops.plugins.module_utils.common.digest import file_digest
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.client import KubeClient
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl.errors import GpuctlError, OptionError

CONNECTION_SPEC = dict(
    kubeconfig=dict(type="path", fallback=(env_fallback, ["K8S_AUTH_KUBECONFIG"])),
    context=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_CONTEXT"])),
    host=dict(type="str", fallback=(env_fallback, ["K8S_AUTH_HOST"])),
    api_key=dict(type="str", no_log=True, fallback=(env_fallback, ["K8S_AUTH_API_KEY"])),
    validate_certs=dict(type="bool", aliases=["verify_ssl"], fallback=(env_fallback, ["K8S_AUTH_VERIFY_SSL"])),
    ca_path=dict(type="path", aliases=["ca_cert", "ssl_ca_cert"], fallback=(env_fallback, ["K8S_AUTH_SSL_CA_CERT"])),
    client_cert=dict(type="path", aliases=["cert_file"], fallback=(env_fallback, ["K8S_AUTH_CERT_FILE"])),
    client_key=dict(type="path", aliases=["key_file"], no_log=False, fallback=(env_fallback, ["K8S_AUTH_KEY_FILE"])),
    timeout=dict(type="int", default=30, aliases=["request_timeout"]),
    retries=dict(type="int", default=3),
)
MAX_TIMEOUT = 3600
MAX_RETRIES = 10


def argument_spec(**extra):
    """The connection options plus a module's own ``extra`` options."""
    spec = copy.deepcopy(CONNECTION_SPEC)
    spec.update(extra)
    return spec


def canonical(params):
    """``params`` with aliases (``ca_cert``, ``request_timeout``, ...) under their canonical names.

    Modules get this from AnsibleModule; the inventory plugin passes its raw option dict.
    """
    out = {}
    for name, spec in CONNECTION_SPEC.items():
        for key in [name] + list(spec.get("aliases") or []):
            if params.get(key) is not None:
                out[name] = params[key]
                break
        else:
            out[name] = spec.get("default")
    return out


def validate(params):
    """Refuse impossible connection options, naming the option. Returns the canonical params."""
    params = canonical(params)
    errors = []
    timeout, retries = params.get("timeout"), params.get("retries")
    if not isinstance(timeout, int) or isinstance(timeout, bool) or not 1 <= timeout <= MAX_TIMEOUT:
        errors.append(("timeout", "must be a whole number of seconds from 1 to %d (got %r)" % (MAX_TIMEOUT, timeout)))
    if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= MAX_RETRIES:
        errors.append(("retries", "must be from 0 to %d (got %r)" % (MAX_RETRIES, retries)))
    if params.get("api_key") and any(c in str(params["api_key"]) for c in "\r\n"):
        # a bearer token is one line; the value itself is never shown
        errors.append(("api_key", "must be a single line (a bearer token); it contains a line break"))
    if params.get("host"):
        reason = _url_problem(params["host"])
        if reason:
            errors.append(("host", reason))
    if params.get("ca_path"):
        reason = _ca_problem(params["ca_path"])
        if reason:
            errors.append(("ca_path", reason))
    if errors:
        raise OptionError(errors)
    return params


def _url_problem(url):
    try:
        parts = urlsplit(str(url))
        port = parts.port  # raises ValueError for a port out of range
    except ValueError as exc:
        return "is not a valid URL (%s)" % exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host, such as https://k8s.example.com:6443"
    if port == 0:
        return "port must be from 1 to 65535"
    return None


def _ca_problem(path):
    """None, or why ``path`` is not a CA bundle the TLS layer can load (found now, not at the first request)."""
    try:
        ssl.create_default_context(cafile=path)
    except (IOError, OSError) as exc:  # ssl.SSLError is an OSError
        return "is not a readable PEM CA bundle (%s)" % (getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc)
    return None


def _configuration(params):
    """A kubernetes ``Configuration`` for canonical ``params`` (files are read, nothing is sent)."""
    try:
        from kubernetes import client as kube_client, config as kube_config
    except ImportError:
        raise GpuctlError(missing_required_lib("kubernetes"))
    cfg = kube_client.Configuration()
    cfg.retries = False  # KubeClient retries, bounded and only when safe
    if params.get("kubeconfig") or params.get("context") or not params.get("host"):
        try:
            if params.get("kubeconfig") or params.get("context"):
                kube_config.load_kube_config(config_file=params.get("kubeconfig"), context=params.get("context"),
                                             client_configuration=cfg)
            else:
                try:
                    kube_config.load_incluster_config(client_configuration=cfg)
                except kube_config.ConfigException:
                    kube_config.load_kube_config(client_configuration=cfg)
        except Exception as exc:  # the library raises ConfigException, IOError, yaml and key errors
            if not params.get("host"):
                raise GpuctlError("cannot load Kubernetes configuration (set host or kubeconfig): %s" % exc)
    if params.get("host"):
        cfg.host = params["host"].rstrip("/")
    if params.get("api_key"):
        cfg.api_key = {"authorization": "Bearer " + params["api_key"]}
        cfg.api_key_prefix = {}
    if params.get("validate_certs") is not None:
        cfg.verify_ssl = params["validate_certs"]
    if params.get("ca_path"):
        cfg.ssl_ca_cert = params["ca_path"]
    if params.get("client_cert"):
        cfg.cert_file = params["client_cert"]
    if params.get("client_key"):
        cfg.key_file = params["client_key"]
    return cfg


def client_from_params(params, check_mode=False):
    """A ``KubeClient`` for the connection options in ``params``; ``check_mode`` makes every write a dry run."""
    from kubernetes import client as kube_client
    params = validate(params)
    cfg = _configuration(params)
    return KubeClient(kube_client.ApiClient(cfg), dry_run=check_mode, timeout=params["timeout"], retries=params["retries"])


def identity(params):
    """A digest of the server and credentials ``params`` resolve to (kubeconfig, context, token, certificates).

    Two option sets that reach the same server as the same user give the same digest; the
    secret material is hashed, never returned.
    """
    params = validate(params)
    cfg = _configuration(params)
    # certificate files by content: the library writes embedded certificates to random temp paths
    seen = {"host": cfg.host, "auth": cfg.api_key, "cert": file_digest(cfg.cert_file), "key": file_digest(cfg.key_file),
            "ca": file_digest(cfg.ssl_ca_cert), "verify": cfg.verify_ssl, "kubeconfig": params.get("kubeconfig"),
            "context": params.get("context")}
    return hashlib.sha256(json.dumps(seen, sort_keys=True, default=str).encode("utf-8")).hexdigest()
