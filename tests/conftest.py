"""Shared pytest set-up: import paths for ``tests.*`` and for the collection itself.

``ansible_collections.gpufleet.ops`` resolves through build/collections, a
symlink to this repository, so unit tests import module_utils the way Ansible does.
"""
import os
import sys

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from tests.support.ansible_run import ensure_collection_link  # noqa: E402

_collections = ensure_collection_link()
if _collections not in sys.path:
    sys.path.insert(0, _collections)
