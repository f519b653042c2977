# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The gpufleet.ops.gpufleet inventory plugin, in process, against stored expected JSON.

The plugin loads through Ansible's plugin loader (tests/conftest.py installs the collection
loader, as ansible-test units does).

As netbox.netbox's inventory tests do, each case builds the inventory from stored backend
answers (fixtures/: an Admin API node list, Kubernetes Node and Pod lists, registry records as
stored, secrets included) and compares what ``ansible-inventory --list`` would print with
fixtures/expected/<case>.json. Only the transport is faked: the clients come from each backend's
``client_from_params``, the options go through the modules' argument specs.

After an intended change of the output, rewrite the expected files and review their diff:
    GPUFLEET_REGENERATE_EXPECTED=1 python -m pytest tests/unit/plugins/inventory -q
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os

import pytest

from ansible.module_utils.six.moves.urllib.parse import urlsplit

from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader

from ansible_collections.gpufleet.ops.plugins.module_utils.compute import connection as compute_connection
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.errors import RegistryMissing
from ansible_collections.gpufleet.ops.plugins.module_utils.compute.validation import public_record
from ansible_collections.gpufleet.ops.plugins.module_utils.gonka import connection as gonka_connection
from ansible_collections.gpufleet.ops.plugins.module_utils.gpuctl import connection as kube_connection

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
REGENERATE = os.environ.get("GPUFLEET_REGENERATE_EXPECTED") == "1"
SECRET_TEXT = ("gAAAA", "secret-ssh-password", "pw-in-url")


def fixture(name):
    with open(os.path.join(FIXTURES, name)) as handle:
        return json.load(handle)


# -- fake transports: the stored answers, and a record of what the plugin asked for ---------
# The real factories still run first: they check the options (and send nothing).
REAL_ADMIN_CLIENT = gonka_connection.client_from_params
REAL_KUBE_CLIENT = kube_connection.client_from_params


class FakeAdminClient(object):
    def __init__(self, params, check_mode):
        REAL_ADMIN_CLIENT(params, check_mode)
        self.params, self.check_mode = params, check_mode

    def list_nodes(self):
        """The stored answer of the network node this client was made for (fixture keyed by host)."""
        return fixture("admin_api_nodes.json").get(urlsplit(self.params["admin_url"]).hostname, [])


class FakeKubeClient(object):
    def __init__(self, params, check_mode):
        REAL_KUBE_CLIENT(params, check_mode)
        self.params, self.check_mode = params, check_mode

    def list(self, kind, namespace=None, label_selector=None, field_selector=None):
        return fixture("k8s_objects.json")[kind]


class FakeRegistry(object):
    def __init__(self, location, read_only, must_exist, password):
        self.location, self.read_only, self.must_exist, self.password = location, read_only, must_exist, password

    def public_records(self):
        return [public_record(record) for record in fixture("registry_records.json")]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture()
def opened(monkeypatch):
    """Every client or registry the plugin opens, with the options it was given."""
    seen = []

    def remember(factory):
        def make(*args, **kwargs):
            obj = factory(*args, **kwargs)
            seen.append(obj)
            return obj
        return make

    monkeypatch.setattr(gonka_connection, "client_from_params", remember(FakeAdminClient))
    monkeypatch.setattr(kube_connection, "client_from_params", remember(FakeKubeClient))
    monkeypatch.setattr(compute_connection, "open_registry",
                        remember(lambda location=None, read_only=True, must_exist=True, password=None:
                                 FakeRegistry(location, read_only, must_exist, password)))
    for name in list(os.environ):
        if name.startswith(("K8S_AUTH_", "GONKA_ADMIN_API_", "GPUFLEET_REGISTRY")) or name in ("KUBECONFIG", "PGPASSWORD"):
            monkeypatch.delenv(name)
    return seen


def parse(tmp_path, config, cache=False):
    """Run the plugin on ``config``; return (plugin, InventoryData)."""
    plugin = inventory_loader.get("gpufleet.ops.gpufleet")
    path = tmp_path / "fleet.gpufleet.yml"
    path.write_text(json.dumps(dict(config, plugin="gpufleet.ops.gpufleet")))
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=cache)
    return plugin, inventory


def plain(value):
    """Host variables as ansible-inventory prints them, minus the unsafe markers."""
    if isinstance(value, dict):
        return dict((str(k), plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def as_listing(inventory):
    """The ``ansible-inventory --list`` shape: groups with sorted hosts/children, and _meta.hostvars."""
    out = {"_meta": {"hostvars": {}}}
    for name, host in sorted(inventory.hosts.items()):
        hostvars = dict((k, v) for k, v in host.vars.items() if k not in ("inventory_file", "inventory_dir"))
        out["_meta"]["hostvars"][name] = plain(hostvars)
    for name, group in sorted(inventory.groups.items()):
        entry = {}
        if group.hosts:
            entry["hosts"] = sorted(h.name for h in group.hosts)
        if group.child_groups:
            entry["children"] = sorted(g.name for g in group.child_groups)
        if entry:
            out[name] = entry
    return out


def compare_inventory_json(case, listing):
    path = os.path.join(FIXTURES, "expected", case + ".json")
    if REGENERATE:
        with open(path, "w") as handle:
            json.dump(listing, handle, indent=2, sort_keys=True)
            handle.write("\n")
    with open(path) as handle:
        expected = json.load(handle)
    assert listing == expected, "inventory differs from %s (GPUFLEET_REGENERATE_EXPECTED=1 rewrites it)" % path


CASES = {
    "all_sources": {
        "registry": "/srv/gpufleet/registry.db",
        "gonka": [{"admin_url": "http://10.0.0.2:9200", "name": "network-node-1"},
                  {"admin_url": "https://ops:pw-in-url@gonka.example.com:9200", "retries": 1}],
        "kubernetes": {"host": "https://k8s.example.com:6443", "api_key": "token-never-shown"},
        "keyed_groups": [{"key": "gpufleet_compute.region | default('none')", "prefix": "zone"}],
        "compose": {"gpus_free_or_zero": "gpu_free | default(0)"},
    },
    "registry_with_unlisted": {"registry": "/srv/gpufleet/registry.db", "include_unlisted": True},
    "kubernetes_only": {"kubernetes": {"host": "https://k8s.example.com:6443"},
                        "groups": {"has_free_gpus": "gpu_free | default(0) > 0"}},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_inventory_matches_stored_json(case, tmp_path, opened):
    plugin, inventory = parse(tmp_path, CASES[case])
    listing = as_listing(inventory)
    compare_inventory_json(case, listing)
    text = json.dumps(listing)
    assert not [s for s in SECRET_TEXT if s in text] and "token-never-shown" not in text
    # an inventory never writes: every client is a check-mode one, the registry read-only and not created
    for obj in opened:
        assert getattr(obj, "check_mode", True) is True
        assert getattr(obj, "read_only", True) is True and getattr(obj, "must_exist", True) is True


def test_admin_url_credentials_are_used_but_never_shown(tmp_path, opened):
    parse(tmp_path, {"gonka": [{"admin_url": "https://ops:pw-in-url@gonka.example.com:9200", "ca_cert": "/etc/ca.pem",
                                "validate_certs": False, "request_timeout": 7}]})
    client = opened[0]
    # the client gets the URL as given (its credentials authenticate) and the aliases' canonical names
    assert client.params["admin_url"] == "https://ops:pw-in-url@gonka.example.com:9200"
    assert (client.params["ca_path"], client.params["validate_certs"], client.params["timeout"]) == ("/etc/ca.pem", False, 7)


def test_plugin_timeout_is_the_default_of_every_source(tmp_path, opened):
    parse(tmp_path, {"timeout": 9, "gonka": [{"admin_url": "http://10.0.0.2:9200"},
                                             {"admin_url": "http://10.0.0.3:9200", "timeout": 3}],
                     "kubernetes": {"host": "https://k8s.example.com:6443"}})
    assert [obj.params["timeout"] for obj in opened if not isinstance(obj, FakeRegistry)][:3] == [9, 3, 9]


def test_environment_reaches_sources_through_the_modules_specs(tmp_path, opened, monkeypatch):
    monkeypatch.setenv("GONKA_ADMIN_API_CA_PATH", "/etc/gonka-ca.pem")
    monkeypatch.setenv("GONKA_ADMIN_API_VALIDATE_CERTS", "false")
    monkeypatch.setenv("K8S_AUTH_HOST", "https://env-k8s.example.com:6443")
    monkeypatch.setenv("K8S_AUTH_API_KEY", "env-token")
    monkeypatch.setenv("GPUFLEET_REGISTRY", "postgresql://gpufleet@db.example.com:5432/fleet")
    monkeypatch.setenv("GPUFLEET_REGISTRY_PASSWORD", "db-password")
    parse(tmp_path, {"registry": True, "gonka": [{"admin_url": "http://10.0.0.2:9200"}], "kubernetes": {}})
    by_type = dict((type(obj), obj) for obj in opened)
    registry, gonka, kube = by_type[FakeRegistry], by_type[FakeAdminClient], by_type[FakeKubeClient]
    assert (registry.location, registry.password) == ("postgresql://gpufleet@db.example.com:5432/fleet", "db-password")
    assert gonka.params["ca_path"] == "/etc/gonka-ca.pem" and gonka.params["validate_certs"] is False
    assert kube.params["host"] == "https://env-k8s.example.com:6443" and kube.params["api_key"] == "env-token"


@pytest.mark.parametrize("config, field", [
    ({"gonka": [{"admin_url": "http://10.0.0.2:9200", "retries": 11}]}, "retries"),
    ({"gonka": [{"admin_url": "ftp://10.0.0.2"}]}, "admin_url"),
    ({"gonka": [{"admin_url": "http://10.0.0.2:9200", "colour": "blue"}]}, "colour"),
    ({"gonka": ["http://10.0.0.2:9200"]}, "dict"),
    ({"kubernetes": {"host": "https://k8s.example.com:6443", "timeout": 0}}, "timeout"),
    ({"kubernetes": {"host": "https://k8s.example.com:6443", "verify": True}}, "verify"),
])
def test_bad_source_options_name_the_source_and_the_field(config, field, tmp_path, opened):
    with pytest.raises(AnsibleParserError) as err:
        parse(tmp_path, config)
    assert "source %s" % ("kubernetes" if "kubernetes" in config else "gonka:0") in str(err.value)
    assert field in str(err.value)
    assert not [o for o in opened if not isinstance(o, FakeRegistry)], "nothing is opened after a bad option"


def test_missing_registry_is_an_empty_source_with_a_warning(tmp_path, monkeypatch):
    warnings = []
    from ansible_collections.gpufleet.ops.plugins.inventory import gpufleet
    monkeypatch.setattr(gpufleet.display, "warning", warnings.append)
    monkeypatch.setenv("GPUFLEET_REGISTRY", str(tmp_path / "missing" / "registry.db"))
    plugin, inventory = parse(tmp_path, {"registry": True})
    assert not list(inventory.hosts) and not os.path.exists(str(tmp_path / "missing"))
    assert len(warnings) == 1 and "does not exist" in warnings[0] and "source registry" in warnings[0]


def test_open_registry_contract_refuses_a_missing_file(tmp_path):
    """What the plugin relies on: read-only, must_exist raises RegistryMissing and creates nothing."""
    with pytest.raises(RegistryMissing):
        compute_connection.open_registry(str(tmp_path / "none.db"))
    assert os.listdir(str(tmp_path)) == []


# -- the cache key: the resolved identity, hashed -------------------------------------------
def cache_key(tmp_path, config):
    plugin = inventory_loader.get("gpufleet.ops.gpufleet")
    path = tmp_path / "fleet.gpufleet.yml"
    path.write_text(json.dumps(dict(config, plugin="gpufleet.ops.gpufleet")))
    plugin.loader = DataLoader()
    plugin._read_config_data(str(path))
    return plugin._cache_identity(str(path), plugin._sources())


def kubeconfig(path, server, token):
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "ctx",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": token}}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}]}))
    return str(path)


def test_cache_key_follows_the_resolved_identity(tmp_path, opened, monkeypatch):
    a = kubeconfig(tmp_path / "a.yml", "https://a.example.com:6443", "token-a")
    b = kubeconfig(tmp_path / "b.yml", "https://b.example.com:6443", "token-b")
    keys = {}
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", a)
    keys["kubeconfig a"] = cache_key(tmp_path, {"kubernetes": {}})
    monkeypatch.setenv("K8S_AUTH_KUBECONFIG", b)
    keys["kubeconfig b"] = cache_key(tmp_path, {"kubernetes": {}})
    kubeconfig(tmp_path / "b.yml", "https://b.example.com:6443", "token-b-rotated")
    keys["kubeconfig b, new token"] = cache_key(tmp_path, {"kubernetes": {}})
    monkeypatch.delenv("K8S_AUTH_KUBECONFIG")
    keys["host a"] = cache_key(tmp_path, {"kubernetes": {"host": "https://a.example.com:6443", "api_key": "t"}})
    monkeypatch.setenv("K8S_AUTH_API_KEY", "t2")
    keys["host a, env token"] = cache_key(tmp_path, {"kubernetes": {"host": "https://a.example.com:6443"}})
    monkeypatch.setenv("GPUFLEET_REGISTRY", "/srv/one.db")
    keys["registry one"] = cache_key(tmp_path, {"registry": True})
    monkeypatch.setenv("GPUFLEET_REGISTRY", "/srv/two.db")
    keys["registry two"] = cache_key(tmp_path, {"registry": True})
    keys["admin user 1"] = cache_key(tmp_path, {"gonka": [{"admin_url": "http://u1:p@10.0.0.2:9200"}]})
    keys["admin user 2"] = cache_key(tmp_path, {"gonka": [{"admin_url": "http://u2:p@10.0.0.2:9200"}]})
    assert len(set(keys.values())) == len(keys), keys
    # the same identity gives the same key, whichever way it is spelled
    assert cache_key(tmp_path, {"registry": "/srv/two.db"}) == keys["registry two"]
    for key in keys.values():
        assert not [s for s in ("token", "example.com", "/srv/", "u1", "10.0.0.2") if s in key]


# -- the documented source options are the modules' connection options -----------------------
@pytest.mark.parametrize("option, spec, own", [
    ("gonka", gonka_connection.connection_spec(), ("name",)),
    ("kubernetes", kube_connection.argument_spec(), ()),
])
def test_documented_source_options_match_the_backend_spec(option, spec, own):
    """The plugin documents each source's options; the backend's argument spec is what applies them."""
    import yaml
    from ansible_collections.gpufleet.ops.plugins.inventory import gpufleet
    documented = yaml.safe_load(gpufleet.DOCUMENTATION)["options"][option]["suboptions"]
    for name in own:
        documented.pop(name)
    assert sorted(documented) == sorted(spec)
    for name, doc in documented.items():
        assert doc.get("type", "str") == spec[name].get("type", "str"), name
        assert sorted(doc.get("aliases") or []) == sorted(spec[name].get("aliases") or []), name
