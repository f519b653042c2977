# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the benchmarks share: run ansible-playbook with the module's interpreter wrapped
so the module process's own time and peak RSS are measured, and min/median summaries.

Not a benchmark itself (hack/bench.sh runs ``bench/*_bench.py`` only).
"""
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.support.ansible_run import ensure_collection_link  # noqa: E402

# The interpreter Ansible runs each module with: runs the real Python as a child and
# appends the child's peak RSS (KiB) and wall seconds to a log, one line per module run.
WRAPPER = """#!%(python)s
import resource, subprocess, sys, time
start = time.monotonic()
rc = subprocess.call([%(python)r] + sys.argv[1:])
with open(%(log)r, "a") as handle:
    handle.write("%%d %%.4f\\n" %% (resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.monotonic() - start))
sys.exit(rc)
"""


class Run(object):
    """One ansible-playbook run: ``wall`` (whole command), ``module`` (module process
    seconds, summed over its module runs), ``rss_kib`` (largest module process), output."""

    def __init__(self, wall, module, rss_kib, rc, stdout, stderr):
        self.wall, self.module, self.rss_kib = wall, module, rss_kib
        self.rc, self.stdout, self.stderr = rc, stdout, stderr

    def json(self):
        return json.loads(self.stdout[self.stdout.index("{"):])


class Playbooks(object):
    """Runs playbooks from ``workdir`` with the measuring interpreter."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.log = os.path.join(workdir, "module-process.log")
        self.python = os.path.join(workdir, "python-measured")
        with open(self.python, "w") as handle:
            handle.write(WRAPPER % {"python": sys.executable, "log": self.log})
        os.chmod(self.python, 0o755)

    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as handle:
            handle.write(text)
        return path

    def run(self, playbook, extra_vars=None, vars_file=None, inventory="localhost,", env=None, json_output=False,
            args=(), timeout=3600, check=True):
        bindir = os.path.dirname(sys.executable)
        cmd = [os.path.join(bindir, "ansible-playbook"), playbook, "-i", inventory,
               "-e", json.dumps({"ansible_python_interpreter": self.python, "ansible_connection": "local"})]
        if extra_vars:
            cmd += ["-e", json.dumps(extra_vars)]
        if vars_file:
            cmd += ["-e", "@" + vars_file]
        cmd += list(args)
        run_env = base_env()
        if json_output:
            run_env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
        run_env.update(env or {})
        if os.path.exists(self.log):
            os.unlink(self.log)
        start = time.monotonic()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env, cwd=self.workdir, timeout=timeout,
                              check=False)
        wall = time.monotonic() - start
        if check and proc.returncode != 0:
            sys.exit("%s failed (rc=%d):\n%s\n%s" % (playbook, proc.returncode, proc.stdout[-3000:],
                                                     proc.stderr[-3000:]))
        measured = []
        if os.path.exists(self.log):
            with open(self.log) as handle:
                measured = [line.split() for line in handle if line.strip()]
        return Run(wall, sum(float(m[1]) for m in measured), max([int(m[0]) for m in measured] or [0]),
                   proc.returncode, proc.stdout, proc.stderr)


def base_env():
    """The environment tests/support/ansible_run.py gives ansible commands."""
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ)
    env.update({"ANSIBLE_COLLECTIONS_PATH": ensure_collection_link(), "ANSIBLE_HOST_KEY_CHECKING": "false",
                "ANSIBLE_RETRY_FILES_ENABLED": "false", "ANSIBLE_NOCOLOR": "1", "ANSIBLE_FORCE_COLOR": "0",
                "ANSIBLE_LOCALHOST_WARNING": "false", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
                "PATH": bindir + os.pathsep + env.get("PATH", "")})
    return env


def timed(cmd, env=None, cwd=None, timeout=3600):
    """Wall seconds of one command (which must succeed) and its stdout."""
    start = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env or base_env(), cwd=cwd, timeout=timeout,
                          check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit("%s failed (rc=%d):\n%s\n%s" % (" ".join(cmd[:3]), proc.returncode, proc.stdout[-3000:],
                                                 proc.stderr[-3000:]))
    return elapsed, proc.stdout


def min_median(values):
    values = list(values)
    return min(values), statistics.median(values)


def verdict(ok):
    return "met" if ok else "NOT met"
