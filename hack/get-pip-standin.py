# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the ``get-pip.py`` bootstrap script that ansible-test downloads.

ansible-test creates every sanity-test virtual environment without pip and then runs
``get-pip.py <pip options> pip==X.Y`` to bootstrap it.  It downloads that script from a
host that is not reachable here and caches it at
``~/.ansible/test/cache/get_pip_<X_Y>.py`` (hack/sanity.sh points HOME at build/, so that
is the checkout's cache, never the user's).  ``--install`` first tries the real download and
caches the real script; only when that is impossible does it place this file at that path,
and it says so.  The stand-in makes the
bootstrap install the requested pip from a pip wheel kept next to it (downloaded once
from the configured package index by ``--install``; running pip straight from its wheel
takes ~2 s), or, without that wheel, from the interpreter's bundled ``ensurepip``
followed by an ordinary ``pip install`` (~10 s per virtualenv).

Usage:
    python hack/get-pip-standin.py --install   # real get-pip.py into ansible-test's cache, else the stand-in
    python get_pip_X_Y.py [pip install args]   # what ansible-test runs (the stand-in itself)
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import subprocess
import sys

MARKER = "gpufleet-get-pip-standin"  # identifies our stand-in in the cache
# get-pip.py options that ``pip install`` does not understand
GET_PIP_ONLY_OPTIONS = ("--no-setuptools", "--no-wheel", "--no-pip")


def ansible_test_pip_version():
    """Return the pip version ansible-test bootstraps into its sanity venvs."""
    try:
        import types

        from ansible_test._internal.python_requirements import get_venv_packages

        version = "%d.%d" % sys.version_info[:2]
        return get_venv_packages(types.SimpleNamespace(version=version))["pip"]
    except Exception:  # pylint: disable=broad-except
        pass
    import ansible_test  # fall back to reading the source

    path = os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")
    with open(path) as handle:
        match = re.search(r"pip='([0-9.]+)'", handle.read())
    if not match:
        raise SystemExit("cannot determine the pip version ansible-test bootstraps (%s)" % path)
    return match.group(1)


def wheel_dir():
    """The pip wheel lies next to the installed stand-in (ansible-test's cache directory)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "get_pip_wheels")


def find_pip_wheel(version):
    name = "pip-%s-py3-none-any.whl" % version
    path = os.path.join(wheel_dir(), name)
    return path if os.path.isfile(path) else None


def real_script_url(version):
    """Where ansible-test downloads get-pip.py from (ansible_test/_util/target/setup/requirements.py)."""
    return "https://ci-files.testing.ansible.com/ansible-test/get-pip-%s.py" % version


def download_real_script(version, dest, timeout=10):
    """Fetch the real get-pip.py into ``dest``; return None on success or the reason it failed."""
    from urllib.request import urlopen  # ansible-test's own controller Pythons are all Python 3
    tmp = dest + ".download"
    try:
        response = urlopen(real_script_url(version), timeout=timeout)  # nosec: fixed https URL
        body = response.read()
        if b"def bootstrap" not in body and b"get-pip" not in body:
            return "the download is not a get-pip.py script (%d bytes)" % len(body)
        with open(tmp, "wb") as handle:
            handle.write(body)
        os.rename(tmp, dest)
        return None
    except Exception as exc:  # pylint: disable=broad-except
        if os.path.exists(tmp):
            os.remove(tmp)
        return str(exc) or exc.__class__.__name__


def install():
    """Give ansible-test a get-pip script: the real one when it can be downloaded, else this stand-in."""
    version = ansible_test_pip_version()
    cache = os.path.expanduser("~/.ansible/test/cache/get_pip_%s.py" % version.replace(".", "_"))
    if not os.path.isdir(os.path.dirname(cache)):
        os.makedirs(os.path.dirname(cache))
    if os.path.exists(cache):
        with open(cache) as handle:
            if MARKER not in handle.read():
                print("get-pip: using the real get-pip.py %s cached at %s" % (version, cache))
                return
    reason = download_real_script(version, cache)
    if reason is None:
        print("get-pip: downloaded the real get-pip.py %s to %s" % (version, cache))
        return
    wheels = os.path.join(os.path.dirname(cache), "get_pip_wheels")
    if not os.path.isfile(os.path.join(wheels, "pip-%s-py3-none-any.whl" % version)):
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
               "-d", wheels, "pip==%s" % version]
        if subprocess.call(cmd) != 0:
            print("get-pip: could not download the pip %s wheel; sanity venvs will bootstrap with ensurepip" % version)
    shutil.copyfile(os.path.abspath(__file__), cache)
    print("get-pip: the real get-pip.py %s cannot be downloaded from %s (%s);"
          " using the offline stand-in at %s" % (version, real_script_url(version), reason, cache))


def bootstrap(argv):
    """Behave like get-pip.py: make pip available in this interpreter, then install argv."""
    args = [arg for arg in argv if arg not in GET_PIP_ONLY_OPTIONS]
    versions = [arg.split("==", 1)[1] for arg in args if arg.startswith("pip==")]
    wheel = find_pip_wheel(versions[0]) if versions else None
    if wheel:
        # pip runs straight from its wheel (as get-pip.py does from its embedded copy)
        cmd = [sys.executable, os.path.join(wheel, "pip"), "install", "--disable-pip-version-check",
               "--no-index", "--find-links", wheel_dir()] + args
        if subprocess.call(cmd) == 0:
            return
        sys.stderr.write("warning: %s failed; falling back to ensurepip\n" % " ".join(cmd))
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
    if not [arg for arg in args if not arg.startswith("-")]:
        return
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check"] + args
    if subprocess.call(cmd) != 0:
        # The bundled pip is new enough for ansible-test's requirement installs; go on with it.
        sys.stderr.write("warning: %s failed; keeping the pip bundled with ensurepip\n" % " ".join(cmd))


if __name__ == "__main__":
    if sys.argv[1:] == ["--install"]:
        install()
    else:
        bootstrap(sys.argv[1:])
