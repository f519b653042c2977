# -*- coding: utf-8 -*-
# Copyright: (c) 2026, gpufleet.ops contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # Attribute blocks shared by the modules, as community.docker does with its attributes fragment.
    DOCUMENTATION = r'''
options: {}
'''

    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    support: full
    description: Only reads, so it runs the same in check mode.
  diff_mode:
    support: none
    description: Only reads, so there is nothing to diff.
  idempotent:
    support: full
    description: Only reads; never changes anything.
'''

    ACTIONGROUP_GONKA = r'''
options: {}
attributes:
  action_group:
    support: full
    description: Use C(group/gpufleet.ops.gonka) in C(module_defaults) to set the Admin API options once.
    membership:
      - gpufleet.ops.gonka
'''

    ACTIONGROUP_GPUCTL = r'''
options: {}
attributes:
  action_group:
    support: full
    description: Use C(group/gpufleet.ops.gpuctl) in C(module_defaults) to set the connection options once.
    membership:
      - gpufleet.ops.gpuctl
'''

    ACTIONGROUP_COMPUTE = r'''
options: {}
attributes:
  action_group:
    support: full
    description: Use C(group/gpufleet.ops.compute) in C(module_defaults) to set the registry options once.
    membership:
      - gpufleet.ops.compute
'''
