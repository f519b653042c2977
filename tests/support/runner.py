# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Jobs run the way AWX runs them: ansible-runner on a private data directory.

``AwxJob(directory)`` lays out what AWX's task manager hands to ansible-runner:

- ``env/envvars`` and ``env/extravars`` (YAML), ``env/settings``;
- ``inventory/`` (here: a static ``localhost`` plus the collection's inventory plugin
  config, the way an AWX inventory source uses it);
- ``project/`` (the playbooks of an AWX project);
- credentials rendered from the collection's credential types
  (extensions/awx/credential_types) as AWX renders them: each injector is a Jinja2
  template over the inputs, file injectors become private files whose paths are
  ``tower.filename.<name>``, env injectors join ``env/envvars``, extra_vars injectors
  join ``env/extravars``.

``run(playbook)`` starts the ``ansible-runner run`` command with stdin from /dev/null, the
working directory in the private data directory (never the checkout, so no ansible.cfg of
the checkout applies), and the connection environment of the test process removed: only
injected credentials reach the job. The collection is found as an execution environment
has it installed (``ANSIBLE_COLLECTIONS_PATH`` in envvars).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import json
import os
import shutil
import subprocess
import sys

import yaml
from jinja2.sandbox import SandboxedEnvironment

from tests.support.ansible_run import REPO_ROOT, ensure_collection_link

CREDENTIAL_TYPES = os.path.join(REPO_ROOT, "extensions", "awx", "credential_types")
# Inherited variables that would let a job read a connection it was not given a credential for.
CONNECTION_ENV_PREFIXES = ("GPUFLEET_", "GONKA_", "PG", "K8S_AUTH_", "KUBECONFIG", "CONTROLLER_", "TOWER_",
                           "ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_INVENTORY")


def credential_type(name):
    with open(os.path.join(CREDENTIAL_TYPES, name + ".yml")) as handle:
        return yaml.safe_load(handle)


class JobResult(object):
    def __init__(self, status, rc, events, stdout):
        self.status = status
        self.rc = rc
        self.events = events
        self.stdout = stdout

    def task_results(self, task):
        """``res`` of every runner_on_ok / runner_on_failed event of the task called ``task``."""
        return [e["event_data"]["res"] for e in self.events
                if e.get("event") in ("runner_on_ok", "runner_on_failed", "runner_item_on_ok")
                and e.get("event_data", {}).get("task") == task]

    def text(self):
        """Everything the job showed: stdout and every event (what AWX stores and displays)."""
        return self.stdout + "\n" + json.dumps(self.events)


class AwxJob(object):
    """One private data directory; ``run()`` may be called several times (one artifact dir each)."""

    def __init__(self, directory):
        self.dir = str(directory)
        for sub in ("env", "inventory", "project", "credentials"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        os.chmod(os.path.join(self.dir, "credentials"), 0o700)
        self.envvars = {"ANSIBLE_COLLECTIONS_PATH": ensure_collection_link(),
                        "ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_NOCOLOR": "1",
                        "ANSIBLE_LOCALHOST_WARNING": "False", "ANSIBLE_RETRY_FILES_ENABLED": "False"}
        self.extravars = {}
        self.secrets = []
        self._runs = 0
        # AWX's localhost: a local connection with the execution environment's Python.
        self.inventory_file("hosts", "localhost ansible_connection=local "
                                     "ansible_python_interpreter=\"{{ ansible_playbook_python }}\"\n")

    # -- layout ------------------------------------------------------------------
    def project_file(self, name, text):
        path = os.path.join(self.dir, "project", name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(text)
        return path

    def project_copy(self, source, name):
        """Copy a file or directory of the checkout into the project."""
        target = os.path.join(self.dir, "project", name)
        if os.path.isdir(source):
            shutil.copytree(source, target)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copy(source, target)

    def inventory_file(self, name, text):
        with open(os.path.join(self.dir, "inventory", name), "w") as handle:
            handle.write(text)

    def add_credential(self, type_name, inputs):
        """Render the credential type's injectors with ``inputs`` as AWX does."""
        definition = credential_type(type_name)
        namespace = {}
        for field in definition["inputs"]["fields"]:
            value = inputs.get(field["id"], field.get("default", False if field["type"] == "boolean" else ""))
            namespace[field["id"]] = value
            if field.get("secret") and value not in ("", None, True, False):
                self.secrets.append(str(value))
        env = SandboxedEnvironment()
        files = {}
        for key, template in (definition["injectors"].get("file") or {}).items():
            name = key.split(".", 1)[1]
            path = os.path.join(self.dir, "credentials", "%s_%s" % (type_name, name))
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(env.from_string(template).render(**namespace))
            files[name] = path
        namespace["tower"] = {"filename": files}
        for name, template in (definition["injectors"].get("env") or {}).items():
            self.envvars[name] = env.from_string(template).render(**namespace)
        for name, template in (definition["injectors"].get("extra_vars") or {}).items():
            self.extravars[name] = env.from_string(template).render(**namespace)

    def _write_env(self, extravars):
        with open(os.path.join(self.dir, "env", "envvars"), "w") as handle:
            yaml.safe_dump(self.envvars, handle)
        with open(os.path.join(self.dir, "env", "extravars"), "w") as handle:
            yaml.safe_dump(dict(self.extravars, **(extravars or {})), handle)
        with open(os.path.join(self.dir, "env", "settings"), "w") as handle:
            yaml.safe_dump({"idle_timeout": 300, "job_timeout": 600, "suppress_ansible_output": True}, handle)

    @staticmethod
    def clean_environment():
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith(CONNECTION_ENV_PREFIXES))
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        return env

    # -- running -----------------------------------------------------------------
    def run(self, playbook, extravars=None, check=False, timeout=600):
        self._write_env(extravars)
        self._runs += 1
        ident = "job-%d" % self._runs
        cmd = [os.path.join(os.path.dirname(sys.executable), "ansible-runner"), "run", self.dir,
               "-p", playbook, "--ident", ident]
        cmdline = os.path.join(self.dir, "env", "cmdline")  # extra ansible-playbook arguments, as AWX writes them
        if check:
            with open(cmdline, "w") as handle:
                handle.write("--check --diff")
        elif os.path.exists(cmdline):
            os.unlink(cmdline)
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=self.dir,
                              env=self.clean_environment(), timeout=timeout, check=False)
        artifacts = os.path.join(self.dir, "artifacts", ident)
        events = []
        for path in sorted(glob.glob(os.path.join(artifacts, "job_events", "*.json")),
                           key=lambda p: int(os.path.basename(p).split("-", 1)[0])):
            with open(path) as handle:
                events.append(json.load(handle))
        status = _read(os.path.join(artifacts, "status")) or "missing"
        rc = _read(os.path.join(artifacts, "rc"))
        stdout = _read(os.path.join(artifacts, "stdout")) + proc.stdout + proc.stderr
        return JobResult(status, int(rc) if rc else proc.returncode, events, stdout)

    def inventory(self, timeout=180):
        """The inventory as an AWX inventory update reads it: ``ansible-inventory --list`` through runner."""
        self._write_env(None)
        code = ("import json, sys, ansible_runner\n"
                "out, err = ansible_runner.get_inventory(action='list', inventories=[sys.argv[1]],"
                " response_format='json', envvars=json.loads(sys.argv[2]), quiet=True)\n"
                "print(json.dumps({'out': out, 'err': err}))\n")
        proc = subprocess.run([sys.executable, "-c", code, os.path.join(self.dir, "inventory"),
                               json.dumps(self.envvars)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              cwd=self.dir, env=self.clean_environment(), timeout=timeout, check=False)
        if proc.returncode != 0:
            raise RuntimeError("ansible-inventory through ansible-runner failed: %s" % proc.stderr[-3000:])
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        return result["out"], (result["err"] or "") + proc.stderr


def _read(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except (IOError, OSError):
        return ""
