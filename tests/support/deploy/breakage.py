# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Break a converged test deployment one thing at a time, and put it back (the doctor's tests).

Every breakage is a context manager: it breaks on enter and restores on exit, even when the
test's assertions fail, so the next case starts from the converged deployment. Only the test
engine's own containers, files and processes are touched.
"""
import contextlib
import json
import os
import subprocess
import time
import urllib.error
import urllib.request


def http(method, url, body=None, timeout=10):
    """(status, decoded JSON or text) of one request; HTTP errors are answers too."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw, status = resp.read(), resp.status
    except urllib.error.HTTPError as err:
        raw, status = err.read(), err.code
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def wait_admin(base, timeout=90):
    """Until GET <base>/admin/v1/nodes answers 200 (the api's admin server waits for the chain)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            status, _data = http("GET", base + "/admin/v1/nodes", timeout=3)
            if status == 200:
                return
            last = status
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    raise AssertionError("the Admin API at %s did not come back: %s" % (base, last))


def _cli_ok(eng, *args):
    res = eng.cli(*args)
    assert res.returncode == 0, (args, res.stderr.decode())
    return res.stdout.decode()


@contextlib.contextmanager
def edited_file(path, edit):
    """``edit(text) -> text`` written in place (same inode: a file bind mount sees it)."""
    with open(path) as handle:
        original = handle.read()
    with open(path, "r+") as handle:
        handle.seek(0)
        handle.write(edit(original))
        handle.truncate()
    try:
        yield
    finally:
        with open(path, "r+") as handle:
            handle.seek(0)
            handle.write(original)
            handle.truncate()


def compose_up(eng, project, directory, service, env_file="config.env"):
    """Recreate one service of a compose project from its files (no dependencies touched)."""
    args = ["compose", "-p", project, "--project-directory", directory, "-f",
            os.path.join(directory, "docker-compose.yml")]
    if env_file:
        args += ["--env-file", os.path.join(directory, env_file)]
    res = eng.cli(*(args + ["up", "-d", "--no-deps", service]), timeout=180)
    assert res.returncode == 0, res.stderr.decode()


@contextlib.contextmanager
def api_env(eng, nn_dir, admin_base, name, value, project="join"):
    """The api container recreated with ``name`` changed in config.env (as a wrong inventory would do)."""
    path = os.path.join(nn_dir, "config.env")

    def edit(text):
        lines = [("export %s='%s'" % (name, value)) if line.startswith("export %s=" % name) else line
                 for line in text.splitlines()]
        return "\n".join(lines) + "\n"
    try:
        with edited_file(path, edit):
            compose_up(eng, project, nn_dir, "api")
            wait_admin(admin_base)
            yield
    finally:
        compose_up(eng, project, nn_dir, "api")
        wait_admin(admin_base)


def _proxy_pids(host_ip, port):
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=False).stdout
    pids = []
    for line in out.splitlines():
        pid, _sep, args = line.strip().partition(" ")
        words = args.split()
        if words and os.path.basename(words[0]) == "docker-proxy" and "-host-ip" in words and "-host-port" in words \
                and words[words.index("-host-ip") + 1] == host_ip and words[words.index("-host-port") + 1] == str(port):
            pids.append(int(pid))
    return pids


@contextlib.contextmanager
def closed_port(eng, host_ip, port, container, admin_base):
    """The published port closed on the host (the test engine's docker-proxy for it stopped), as a
    firewall would close it; restored by restarting the container, which publishes it again."""
    pids = _proxy_pids(host_ip, port)
    assert pids, "no docker-proxy publishes %s:%s" % (host_ip, port)
    for pid in pids:
        os.kill(pid, 15)
    deadline = time.monotonic() + 10
    while _proxy_pids(host_ip, port) and time.monotonic() < deadline:
        time.sleep(0.2)
    try:
        yield
    finally:
        _cli_ok(eng, "restart", container)
        wait_admin(admin_base)


@contextlib.contextmanager
def stopped(eng, container):
    _cli_ok(eng, "stop", "-t", "1", container)
    try:
        yield
    finally:
        _cli_ok(eng, "start", container)


@contextlib.contextmanager
def swapped_image(eng, container, image):
    """The same compose service (labels, network alias) run from another image; the original kept aside."""
    info = json.loads(_cli_ok(eng, "inspect", container))[0]
    labels = info["Config"]["Labels"]
    networks = info["NetworkSettings"]["Networks"]
    network = sorted(networks)[0]
    service = labels["com.docker.compose.service"]
    aside = container + "-aside"
    _cli_ok(eng, "stop", "-t", "1", container)
    _cli_ok(eng, "rename", container, aside)
    try:
        _cli_ok(eng, "run", "-d", "--name", container, "--network", network, "--network-alias", service,
                "--label", "com.docker.compose.project=%s" % labels["com.docker.compose.project"],
                "--label", "com.docker.compose.service=%s" % service, image)
        yield
    finally:
        eng.cli("rm", "-f", container)
        _cli_ok(eng, "rename", aside, container)
        _cli_ok(eng, "start", container)


@contextlib.contextmanager
def admin_change(break_call, restore_call):
    """An Admin API (or simulator control) change and its undo, both (method, url, body)."""
    status, data = http(*break_call)
    assert status == 200, (break_call, status, data)
    try:
        yield data
    finally:
        status, data = http(*restore_call)
        assert status == 200, (restore_call, status, data)
