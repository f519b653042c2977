#!/usr/bin/env python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compare a Gonka release's deploy/join files with the roles' release table.

For maintainers, with internet (or a local git mirror); not run in CI.

    # from a local git mirror (bare repository) at a commit
    hack/gonka_release_drift.py --release 0.2.14 --git-dir /path/to/gonka.git --commit ee730031
    # from a URL prefix under which deploy/join/<file> can be fetched
    hack/gonka_release_drift.py --release 0.2.14 \
        --url https://raw.githubusercontent.com/gonka-ai/gonka/<commit>
    # print a new table entry to paste into the roles' vars/main.yml (then review it)
    hack/gonka_release_drift.py --release 0.2.15 --git-dir ... --commit ... --emit

It compares what a host runs: services, image references, environment variable names,
published ports (network node and ML node compose files), the names config.env.template
exports, and nginx.conf's ML node route, timeouts and resolver. Exit status 0 when there is
no difference, 1 when there is one, 2 when the files could not be read.
"""
import argparse
import os
import re
import subprocess
import sys
import urllib.request

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
NETWORK_VARS = os.path.join(REPO, "roles", "gonka_network_node", "vars", "main.yml")
MLNODE_VARS = os.path.join(REPO, "roles", "gonka_mlnode", "vars", "main.yml")
FILES = ("docker-compose.yml", "docker-compose.mlnode.yml", "config.env.template", "nginx.conf")


def read_upstream(args):
    texts = {}
    for name in FILES:
        path = "deploy/join/" + name
        if args.git_dir:
            res = subprocess.run(["git", "--git-dir", args.git_dir, "show", "%s:%s" % (args.commit, path)],
                                 capture_output=True, text=True, check=False)
            if res.returncode != 0:
                raise RuntimeError("git show %s:%s: %s" % (args.commit, path, res.stderr.strip()))
            texts[name] = res.stdout
        else:
            with urllib.request.urlopen(args.url.rstrip("/") + "/" + path, timeout=30) as resp:
                texts[name] = resp.read().decode("utf-8")
    return texts


def env_names(service):
    env = service.get("environment") or []
    if isinstance(env, dict):
        return sorted(env)
    return sorted(item.split("=", 1)[0] for item in env)


def compose_facts(services):
    """{service: {image, env, ports}} of a compose services mapping."""
    return {name: {"image": svc.get("image"), "env": env_names(svc), "ports": [str(p) for p in svc.get("ports") or []],
                   "container_name": svc.get("container_name")}
            for name, svc in (services or {}).items()}


def config_env_names(text):
    return sorted(re.findall(r"^export\s+([A-Za-z_][A-Za-z0-9_]*)=", text, re.M))


def config_env_values(text):
    return dict(re.findall(r"^export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$", text, re.M))


def nginx_facts(text):
    return {
        "route": sorted(set(re.findall(r"location\s+(/v[0-9.]+/)", text))),
        "timeouts": sorted(set(re.findall(r"proxy_(?:connect|send|read)_timeout\s+(\S+);", text))),
        "resolver": (re.findall(r"^\s*resolver\s+(\S+)", text, re.M) or [None])[0],
    }


def diff_dicts(label, upstream, role, out):
    for key in sorted(set(upstream) | set(role)):
        if key not in role:
            out.append("%s %s: upstream has it, the role data does not" % (label, key))
        elif key not in upstream:
            out.append("%s %s: the role data has it, upstream does not" % (label, key))
        elif upstream[key] != role[key]:
            if not (isinstance(upstream[key], dict) and isinstance(role[key], dict)):
                out.append("%s %s: upstream %r, role data %r" % (label, key, upstream[key], role[key]))
                continue
            for field in sorted(set(upstream[key]) | set(role[key])):
                a, b = upstream[key].get(field), role[key].get(field)
                if a == b:
                    continue
                if isinstance(a, list) and isinstance(b, list):
                    extra = ["+" + x for x in a if x not in b] + ["-" + x for x in b if x not in a]
                    out.append("%s %s %s: upstream vs role data %s" % (label, key, field, " ".join(extra) or "(order)"))
                else:
                    out.append("%s %s %s: upstream %r, role data %r" % (label, key, field, a, b))


def compare(release, texts):
    with open(NETWORK_VARS) as handle:
        network = (yaml.safe_load(handle)["gonka_network_node_releases"] or {}).get(release)
    with open(MLNODE_VARS) as handle:
        mlnode = (yaml.safe_load(handle)["gonka_mlnode_releases"] or {}).get(release)
    if network is None or mlnode is None:
        return ["release %s: no entry in %s" % (release, NETWORK_VARS if network is None else MLNODE_VARS)]
    out = []
    up = compose_facts(yaml.safe_load(texts["docker-compose.yml"])["services"])
    mine = compose_facts(network["services"])
    diff_dicts("network node service", up, mine, out)
    up = compose_facts(yaml.safe_load(texts["docker-compose.mlnode.yml"])["services"])
    mine = compose_facts(mlnode["services"])
    diff_dicts("ML node service", up, mine, out)
    up_env = config_env_names(texts["config.env.template"])
    my_env = sorted(network["config_env"])
    for name in sorted(set(up_env) ^ set(my_env)):
        out.append("config.env %s: %s" % (name, "upstream only" if name in up_env else "role data only"))
    up_nginx = nginx_facts(texts["nginx.conf"])
    my_nginx = {"route": ["/%s/" % mlnode["chain_mlnode_version"]], "timeouts": [mlnode["nginx"]["timeout"]],
                "resolver": mlnode["nginx"]["resolver"]}
    diff_dicts("nginx.conf", up_nginx, my_nginx, out)
    return out


def emit(release, texts, args):
    """A new table entry from upstream's files, to review and paste."""
    source = {"repository": "gonka-ai/gonka", "commit": args.commit or args.url,
              "files": ["deploy/join/" + name for name in FILES]}
    network = {"source": source, "services": yaml.safe_load(texts["docker-compose.yml"])["services"],
               "config_env": config_env_values(texts["config.env.template"])}
    nginx = nginx_facts(texts["nginx.conf"])
    mlnode = {"source": source, "services": yaml.safe_load(texts["docker-compose.mlnode.yml"])["services"],
              "chain_mlnode_version": nginx["route"][0].strip("/") if nginx["route"] else "v3.0.8",
              "poc_generated_path": "/v2/poc-batches/{model}/generated  # CHECK decentralized-api/internal/server/mlnode/server.go",
              "minimum_mlnode_version": "3.0.10  # CHECK mlnode/packages/api routes the api calls",
              "nginx": {"timeout": (nginx["timeouts"] or ["24h"])[0], "resolver": nginx["resolver"]}}
    sys.stdout.write("# roles/gonka_network_node/vars/main.yml, under gonka_network_node_releases:\n")
    sys.stdout.write(yaml.safe_dump({release: network}, sort_keys=False, width=200))
    sys.stdout.write("\n# roles/gonka_mlnode/vars/main.yml, under gonka_mlnode_releases:\n")
    sys.stdout.write(yaml.safe_dump({release: mlnode}, sort_keys=False, width=200))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--release", required=True, help="table key, for example 0.2.14")
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--git-dir", help="a local (bare) git mirror of gonka-ai/gonka or a fork carrying its releases")
    src.add_argument("--url", help="URL prefix under which deploy/join/<file> is served (raw file host at a commit)")
    parser.add_argument("--commit", help="commit to read with --git-dir")
    parser.add_argument("--emit", action="store_true", help="print a table entry instead of comparing")
    args = parser.parse_args(argv)
    if args.git_dir and not args.commit:
        parser.error("--git-dir needs --commit")
    try:
        texts = read_upstream(args)
    except Exception as exc:  # noqa: BLE001 - any read failure is reported the same way
        sys.stderr.write("cannot read upstream files: %s\n" % exc)
        return 2
    if args.emit:
        emit(args.release, texts, args)
        return 0
    where = "%s@%s" % (args.git_dir, args.commit) if args.git_dir else args.url
    out = compare(args.release, texts)
    sys.stdout.write("release %s, upstream %s: %d difference(s)\n" % (args.release, where, len(out)))
    for line in out:
        sys.stdout.write("  " + line + "\n")
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main())
