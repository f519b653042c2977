# Build and quality gates for the gpufleet.ops collection (repository root = collection root).
#
#   make test         venv, collection, sanity, lint, unit, integration, molecule (stops at
#                     the first failure, then prints a per-stage timing summary)
#   make venv         .venv from requirements-dev.txt (+ Debian packages when root)
#   make sanity       ansible-test sanity on a copy in build/sanity (hack/sanity.sh)
#   make lint         ansible-lint --profile production (.ansible-lint)
#   make unit | integration | molecule | demo | bench | clean | distclean

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VENV_ABS := $(abspath $(VENV))
VPY := $(VENV_ABS)/bin/python
REQUIREMENTS := requirements-dev.txt requirements.txt
COLLECTIONS_DIR := $(CURDIR)/build/collections
COLLECTION_LINK := $(COLLECTIONS_DIR)/ansible_collections/gpufleet/ops
STAGES := venv collection sanity lint unit integration molecule

# Tools from .venv first; the collection resolvable as gpufleet.ops; no colour codes in logs.
export PATH := $(VENV_ABS)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_DIR)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export ANSIBLE_NOCOLOR := 1

.PHONY: help venv system-deps collection sanity lint unit integration molecule test demo bench clean distclean

help:
	@sed -n '1,10p' $(firstword $(MAKEFILE_LIST))

# ---------------------------------------------------------------------------- venv
venv: system-deps $(VENV)/.stamp

system-deps:
	@bash hack/install-system-deps.sh

# Rebuilt only when a requirements file is newer than the stamp.
$(VENV)/.stamp: $(REQUIREMENTS)
	@if ! $(VENV)/bin/python -c 'import sys' >/dev/null 2>&1; then \
	  rm -rf $(VENV); echo "venv: creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); \
	fi
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -r requirements-dev.txt
	@touch $@

# ---------------------------------------------------------------------------- collection
# build/collections/ansible_collections/gpufleet/ops -> repository root (a symlink, as
# tests/support/ansible_run.py expects).
collection:
	@mkdir -p $(dir $(COLLECTION_LINK))
	@if [ -e $(COLLECTION_LINK) ] && [ ! -L $(COLLECTION_LINK) ]; then \
	  echo "collection: $(COLLECTION_LINK) exists and is not a symlink" >&2; exit 1; \
	fi
	@ln -sfn $(CURDIR) $(COLLECTION_LINK)
	@echo "collection: $(COLLECTION_LINK) -> $$(readlink $(COLLECTION_LINK))"

# ---------------------------------------------------------------------------- gates
sanity: venv
	@VENV=$(VENV_ABS) bash hack/sanity.sh

lint: venv collection
	$(VENV_ABS)/bin/ansible-lint --offline --profile production

# pytest exits 5 when it collected no tests: that is a failure here, and says so.
define pytest
	@rc=0; $(VPY) -m pytest $(1) -q || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected no tests in $(1) (exit 5) -- failing" >&2; fi; \
	exit $$rc
endef

unit: venv collection
	$(call pytest,tests/unit)

integration: venv collection
	$(call pytest,tests/integration)

molecule: venv collection
	@found=0; \
	for scenario in roles/*/molecule/*/molecule.yml; do \
	  [ -e "$$scenario" ] || continue; found=1; \
	  dir=$${scenario%/molecule.yml}; name=$${dir##*/}; role=$${dir%/molecule/*}; \
	  echo "==> molecule: $$role scenario $$name"; \
	  (cd "$$role" && $(VENV_ABS)/bin/molecule test -s "$$name"); \
	done; \
	if [ $$found -eq 0 ]; then echo "no molecule scenarios"; fi


# ---------------------------------------------------------------------------- test
test:
	@declare -a lines=(); failed=""; total_start=$$(date +%s); \
	for stage in $(STAGES); do \
	  echo "==================== $$stage"; start=$$(date +%s); \
	  if $(MAKE) --no-print-directory $$stage; then status=ok; else status=FAILED; failed=$$stage; fi; \
	  lines+=("$$(printf '  %-12s %-7s %6ss' "$$stage" "$$status" "$$(( $$(date +%s) - start ))")"); \
	  if [ -n "$$failed" ]; then break; fi; \
	done; \
	echo "==================== timing summary"; printf '%s\n' "$${lines[@]}"; \
	printf '  %-12s %-7s %6ss\n' total "$$([ -n "$$failed" ] && echo FAILED || echo ok)" "$$(( $$(date +%s) - total_start ))"; \
	if [ -n "$$failed" ]; then echo "make test: stage '$$failed' failed" >&2; exit 1; fi

# ---------------------------------------------------------------------------- demo / bench
demo: venv collection
	@bash hack/demo.sh

bench: venv collection
	@bash hack/bench.sh

# ---------------------------------------------------------------------------- clean
clean:
	rm -rf build tests/output .pytest_cache .cache .hypothesis *.tar.gz
	find . -path ./.venv -prune -o -path ./build -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
