# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """How a node's Docker engine is reached (``compute/connection.py`` DOCKER_SPEC, TIMEOUT_SPEC)."""

    DOCUMENTATION = r'''
options:
  docker_host:
    description:
      - Docker API address, for example C(tcp://10.0.0.5:2376). C(https://), C(http://) and C(unix://) work too.
        The port must be between 1 and 65535.
      - Without it the node's C(docker_status) is C(unknown).
    type: str
  tls:
    description:
      - Use TLS to reach O(docker_host), verifying the server certificate. A new node gets C(true) when
        this is not set.
      - C(false) to a non-loopback address is refused unless O(allow_insecure=true). Loopback means a
        C(unix://) socket, an IP address in C(127.0.0.0/8), C(::1), or the name C(localhost).
    type: bool
  allow_insecure:
    description:
      - Allow plain TCP (O(tls=false)) to a non-loopback O(docker_host). Anyone on that network can then
        control the engine; a warning is emitted on every save.
      - A new node gets C(false) when this is not set.
    type: bool
  ca_path:
    description:
      - CA certificate that signed the Docker server certificate; a file path or the PEM text.
        A certificate that does not parse is refused.
      - The server is verified against this CA only (or the system store when it is not set), never
        against E(REQUESTS_CA_BUNDLE), E(CURL_CA_BUNDLE), E(SSL_CERT_FILE) or other environment settings.
      - Stored in the record as C(ca_cert).
    type: str
    aliases: [ca_cert]
  client_cert:
    description: Client certificate; a file path or the PEM text. Needs O(client_key).
    type: str
  client_key:
    description:
      - Client private key; a file path or the PEM text. Stored encrypted; needs O(registry_key).
        Never returned, logged or quoted in an error.
      - An empty string removes the stored key.
    type: str
'''

    # The time limit of a connection test: with DOCUMENTATION for compute_node, alone for the
    # modules that probe stored nodes.
    TIMEOUT = r'''
options:
  timeout:
    description:
      - Seconds one Docker connection test may take in all (connect, TLS handshake and API calls);
        more than 0 and at most 300.
    type: float
    default: 5.0
    aliases: [request_timeout]
'''
