# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the collection promises about itself, checked against the tree: the ansible-core it
claims, the Python packages it lists, its licence file, the tarball users get, and the
get-pip handling of hack/sanity.sh. (galaxy-importer and antsibull-docs run in `make test`.)"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ast
import importlib.util
import os
import re
import subprocess
import sys
import tarfile

import pytest
import yaml

import ansible

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# requirements.txt name -> the top-level module it provides
IMPORT_NAMES = {"pyyaml": "yaml", "kubernetes": "kubernetes", "cryptography": "cryptography", "psycopg": "psycopg"}


def read(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return handle.read()


def test_requires_ansible_is_the_tested_release_and_the_readme_says_so():
    """Only the ansible-core in .venv is tested: the claim starts there, and the README agrees."""
    claim = yaml.safe_load(read("meta", "runtime.yml"))["requires_ansible"]
    lowest = re.match(r">=\s*(\d+\.\d+)", claim).group(1)
    tested = ".".join(ansible.__version__.split(".")[:2])
    assert lowest == tested, "meta/runtime.yml claims %s, the tests run %s" % (claim, ansible.__version__)
    readme = read("README.md")
    assert "ansible-core %s" % tested in readme and "Python 3.11" in readme
    assert not re.search(r"Python 3\.(9|10)\+|ansible-core 2\.1[78]", readme)


def third_party_imports():
    """Top-level modules the plugins import that are neither the standard library nor Ansible."""
    found = set()
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "plugins")):
        for name in files:
            if name.endswith(".py"):
                tree = ast.parse(read(folder, name))
                for node in ast.walk(tree):
                    if isinstance(node, ast.Import):
                        found.update(alias.name.split(".")[0] for alias in node.names)
                    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                        found.add(node.module.split(".")[0])
    stdlib = set(sys.stdlib_module_names)
    return set(m for m in found if m not in stdlib and m not in ("ansible", "ansible_collections", "__future__"))


def test_requirements_txt_lists_exactly_what_the_plugins_import():
    listed = set()
    for line in read("requirements.txt").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            listed.add(IMPORT_NAMES.get(re.split(r"[<>=!\[; ]", line, 1)[0].lower(), line))
    imported = third_party_imports()
    assert listed == imported, "requirements.txt lists %s; plugins import %s" % (sorted(listed), sorted(imported))


def test_copying_is_the_licence_the_headers_name():
    text = read("COPYING")
    assert "GNU GENERAL PUBLIC LICENSE" in text and "Version 3, 29 June 2007" in text
    assert "GPL-3.0-or-later" in yaml.safe_load(read("galaxy.yml"))["license"]


def test_every_role_has_a_readme():
    roles = sorted(os.listdir(os.path.join(ROOT, "roles")))
    assert roles and [r for r in roles if not os.path.isfile(os.path.join(ROOT, "roles", r, "README.md"))] == []


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp("tarball")
    # the module, not the script: ansible-test units puts ansible on PYTHONPATH, not on PATH
    galaxy = [sys.executable, "-m", "ansible.cli.galaxy"]
    cache = os.path.join(ROOT, ".pytest_cache")  # a cache in the checkout must never travel
    made = not os.path.exists(cache)
    if made:
        os.makedirs(os.path.join(cache, "v"))
    try:
        subprocess.run(galaxy + ["collection", "build", "--force", "--output-path", str(out), ROOT],
                       check=True, capture_output=True, text=True)
    finally:
        if made:
            os.rmdir(os.path.join(cache, "v"))
            os.rmdir(cache)
    with tarfile.open(str(next(out.glob("*.tar.gz")))) as archive:
        return set(archive.getnames())


def test_tarball_holds_what_users_need_and_no_developer_tooling_or_caches(tarball):
    assert {"COPYING", "README.md", "requirements.txt", "meta/runtime.yml", "plugins/inventory/gpufleet.py"} <= tarball
    assert not [n for n in tarball if re.search(r"(^|/)(\.pytest_cache|\.hypothesis|__pycache__|\.venv|build)(/|$)", n)]
    # the Makefile calls hack/: the tarball carries both or neither
    makefile_uses_hack = "Makefile" in tarball and "hack/" in read("Makefile")
    assert not makefile_uses_hack or [n for n in tarball if n.startswith("hack/")]
    assert "Makefile" not in tarball and not [n for n in tarball if n.startswith(("hack/", ".ci/", "bench/"))]


def load_get_pip_standin():
    spec = importlib.util.spec_from_file_location("get_pip_standin", os.path.join(ROOT, "hack", "get-pip-standin.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_get_pip_standin_only_when_the_real_script_cannot_be_downloaded(tmp_path, monkeypatch, capsys):
    standin = load_get_pip_standin()
    monkeypatch.setenv("HOME", str(tmp_path))  # hack/ansible-test-env.sh points HOME at build/
    monkeypatch.setattr(standin, "ansible_test_pip_version", lambda: "24.2")
    monkeypatch.setattr(standin, "real_script_url", lambda version: "http://127.0.0.1:9/get-pip-%s.py" % version)
    cache = tmp_path / ".ansible" / "test" / "cache"
    cache.joinpath("get_pip_wheels").mkdir(parents=True)
    cache.joinpath("get_pip_wheels", "pip-24.2-py3-none-any.whl").write_text("")  # no wheel download here
    standin.install()
    said = capsys.readouterr().out
    assert "cannot be downloaded" in said and "offline stand-in" in said and "127.0.0.1:9" in said
    assert standin.MARKER in cache.joinpath("get_pip_24_2.py").read_text()
    # a real script in the cache is kept as it is
    cache.joinpath("get_pip_24_2.py").write_text("# the real get-pip.py\n")
    standin.install()
    assert "using the real get-pip.py" in capsys.readouterr().out
    assert cache.joinpath("get_pip_24_2.py").read_text() == "# the real get-pip.py\n"


def test_ansible_test_never_writes_into_the_users_home():
    env = read("hack", "ansible-test-env.sh")
    assert re.search(r'^export HOME="\$ANSIBLE_TEST_HOME"', env, re.M)
    assert "ansible-test-env.sh" in read("hack", "sanity.sh") and "ansible-test-env.sh" in read("hack", "units.sh")
