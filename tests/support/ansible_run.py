"""Run real ``ansible-playbook`` against this collection and read its results.

Tests import ``run_playbook``; it points Ansible at a collections tree in which
``ansible_collections/gpufleet/ops`` is this repository, uses the JSON stdout
callback, and pins the interpreter to the running Python (interpreter discovery
on ``localhost`` picks a broken pyenv shim on some machines).
"""
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COLLECTIONS_DIR = os.path.join(REPO_ROOT, "build", "collections")


def ensure_collection_link():
    """Make build/collections/ansible_collections/gpufleet/ops point at the repo."""
    ns_dir = os.path.join(COLLECTIONS_DIR, "ansible_collections", "gpufleet")
    link = os.path.join(ns_dir, "ops")
    os.makedirs(ns_dir, exist_ok=True)
    if not os.path.islink(link):
        if os.path.exists(link):
            raise RuntimeError("%s exists and is not a symlink" % link)
        try:
            os.symlink(REPO_ROOT, link)
        except FileExistsError:  # another xdist worker won the race
            pass
    return COLLECTIONS_DIR


@dataclass
class PlaybookResult:
    rc: int
    stdout: str
    stderr: str
    data: dict = field(default_factory=dict)

    def tasks(self, name):
        """Per-host results of every task called ``name`` (all plays)."""
        found = []
        for play in self.data.get("plays", []):
            for task in play.get("tasks", []):
                if task["task"]["name"] == name:
                    found.append(task["hosts"])
        return found

    def task(self, name, host="localhost"):
        """Result of the single task ``name`` on ``host``."""
        matches = self.tasks(name)
        if len(matches) != 1:
            raise AssertionError("expected one task %r, found %d\n%s" % (name, len(matches), self.stdout[-4000:]))
        return matches[0][host]

    @property
    def stats(self):
        return self.data.get("stats", {})


def run_playbook(playbook, extra_vars=None, check=False, diff=False, verbosity=0,
                 inventory=None, env=None, timeout=600, json_output=True):
    """Run ``ansible-playbook`` and return a PlaybookResult.

    ``extra_vars`` is passed as JSON so types survive. ``json_output=False`` keeps
    the default human callback (used to assert what a person reads).
    """
    collections = ensure_collection_link()
    bindir = os.path.dirname(sys.executable)
    cmd = [os.path.join(bindir, "ansible-playbook"), playbook]
    cmd += ["-i", inventory or "localhost,"]
    cmd += ["-e", json.dumps({"ansible_python_interpreter": sys.executable,
                              "ansible_connection": "local"})]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    if verbosity:
        cmd.append("-" + "v" * verbosity)
    run_env = dict(os.environ)
    run_env.update({
        "ANSIBLE_COLLECTIONS_PATH": collections,
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "PATH": bindir + os.pathsep + run_env.get("PATH", ""),
    })
    if json_output:
        run_env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    if env:
        run_env.update(env)
    proc = subprocess.run(cmd, capture_output=True, text=True, env=run_env, timeout=timeout, check=False)
    data = {}
    if json_output:
        try:
            data = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError:
            data = {}
    return PlaybookResult(proc.returncode, proc.stdout, proc.stderr, data)
