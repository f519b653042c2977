# Build and quality gates for the gpufleet.ops collection (repository root = collection root).
#
#   make test         venv, collection, sanity, lint, docs, unit, integration, molecule, importer,
#                     ee, changelog-check, home-check (stops at the first failure, then prints a
#                     per-stage timing summary)
#   make venv         .venv from requirements-dev.txt (+ Debian packages when root)
#   make sanity       ansible-test sanity on a copy in build/sanity (hack/sanity.sh)
#   make lint         ansible-lint --profile production (.ansible-lint)
#   make docs         antsibull-docs lint-collection-docs (plugin and role documentation)
#   make unit         tests/unit with pytest, then with ansible-test units (hack/units.sh)
#   make importer     build the tarball, check it with galaxy-importer (local, offline)
#   make ee           ansible-builder create for execution-environment.yml (context in build/ee)
#   make changelog    CHANGELOG.md from changelogs/ (antsibull-changelog); docs-site: the HTML docs
#   make integration | molecule | demo | bench | clean | distclean

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
BUILD := $(CURDIR)/build
STAGES := venv collection sanity lint docs unit integration molecule importer ee changelog-check home-check

# Tools from .venv first; the collection resolvable as gpufleet.ops; no colour codes in logs.
export PATH := $(VENV_ABS)/bin:$(PATH)
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS_DIR)
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_FORCE_COLOR := 0
export NO_COLOR := 1
export PY_COLORS := 0
# Nothing outside the checkout and the system temp directory: Ansible's home (galaxy cache,
# local temp, molecule's cache), the "remote" temp and async job files of local connections,
# ansible-lint's cache and pip's cache all go under build/ (`make home-check` proves it).
export ANSIBLE_HOME := $(BUILD)/ansible-home
export ANSIBLE_LOCAL_TEMP := $(BUILD)/ansible-home/tmp
export ANSIBLE_REMOTE_TEMP := $(BUILD)/ansible-home/remote-tmp
export ANSIBLE_ASYNC_DIR := $(BUILD)/ansible-home/async
export XDG_CACHE_HOME := $(BUILD)/cache
export PIP_CACHE_DIR := $(BUILD)/cache/pip
# Where `make home-check` looks for files a run wrote (ansible-test's own home is build/ too).
HOME_PATHS := $(HOME)/.ansible $(HOME)/.ansible_async $(HOME)/.cache/ansible-lint $(HOME)/.cache/molecule \
  $(HOME)/.cache/ansible-compat $(HOME)/.cache/gpufleet-inventory
HOME_STAMP := $(BUILD)/test-start.stamp

.PHONY: help venv system-deps collection sanity lint docs unit units integration molecule importer ee docs-site changelog changelog-check home-check \
  test demo bench clean distclean

help:
	@sed -n '1,/^$$/p' $(firstword $(MAKEFILE_LIST))

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
	$(VENV_ABS)/bin/ansible-lint --offline --profile production --nocolor

# Plugin and role documentation as docs.ansible.com renders it (argument_specs of roles too).
docs: venv collection
	$(VENV_ABS)/bin/antsibull-docs lint-collection-docs --plugin-docs .

# pytest exits 5 when it collected no tests: that is a failure here, and says so.
define pytest
	@rc=0; $(VPY) -m pytest $(1) -q --durations=15 || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "ERROR: pytest collected no tests in $(1) (exit 5) -- failing" >&2; fi; \
	exit $$rc
endef

# The same tests twice: pytest from .venv (quick, what developers run), then ansible-test units
# (its own pytest configuration and virtualenv, as collection CI runs them).
unit: venv collection
	$(call pytest,tests/unit)
	@$(MAKE) --no-print-directory units

units: venv
	@VENV=$(VENV_ABS) bash hack/units.sh

integration: venv collection
	$(call pytest,tests/integration)

# prerun: false (.config/molecule/config.yml): molecule would otherwise install this collection
# into Ansible's home, where the copy shadows the checkout in later runs.
molecule: venv collection
	@found=0; \
	for scenario in roles/*/molecule/*/molecule.yml; do \
	  [ -e "$$scenario" ] || continue; found=1; \
	  dir=$${scenario%/molecule.yml}; name=$${dir##*/}; role=$${dir%/molecule/*}; \
	  echo "==> molecule: $$role scenario $$name"; \
	  (cd "$$role" && $(VENV_ABS)/bin/molecule --base-config $(CURDIR)/.config/molecule/config.yml test -s "$$name"); \
	done; \
	if [ $$found -eq 0 ]; then echo "no molecule scenarios"; fi


# ---------------------------------------------------------------------------- packaging
# The tarball users install, checked the way Galaxy imports it, locally: no ansible-test
# container, ansible-lint offline (hack/galaxy-importer.cfg). It writes importer_result.json into
# its working directory: build/importer.
importer: venv
	@rm -rf $(BUILD)/importer && mkdir -p $(BUILD)/importer/tmp
	$(VENV_ABS)/bin/ansible-galaxy collection build --force --output-path $(BUILD)/importer .
	@tarball=$$(ls $(BUILD)/importer/gpufleet-ops-*.tar.gz); \
	if tar -tzf "$$tarball" | grep -E '(^|/)(\.pytest_cache|\.hypothesis|__pycache__|tests/output)(/|$$)'; then \
	  echo "importer: caches in $$tarball (see galaxy.yml build_ignore)" >&2; exit 1; fi; \
	GALAXY_IMPORTER_CONFIG=$(CURDIR)/hack/galaxy-importer.cfg \
	GALAXY_IMPORTER_TMP_ROOT_DIR=$(BUILD)/importer/tmp GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP=$(BUILD)/importer/tmp \
	  bash -c 'cd "$$1" && exec "$$2" -m galaxy_importer.main "$$3"' _ $(BUILD)/importer $(VPY) "$$tarball" \
	  >$(BUILD)/importer/importer.log 2>&1 || rc=$$?; \
	grep -v '^Loading ' $(BUILD)/importer/importer.log; \
	if [ $${rc:-0} -ne 0 ] || grep -q '^ERROR' $(BUILD)/importer/importer.log; then \
	  echo "importer: galaxy-importer rejected $$tarball" >&2; exit 1; fi

# ---------------------------------------------------------------------------- AWX, docs, changelog
# ansible-builder create for execution-environment.yml and a check of the generated context;
# `ansible-builder build` needs a container engine (docs/awx.md).
ee: venv
	@VENV=$(VENV_ABS) bash hack/ee_create.sh

# The documentation site (antsibull-docs + Sphinx): build/docs-site/build/html/index.html.
docs-site: venv collection
	@VENV=$(VENV_ABS) bash hack/docs_site.sh

# CHANGELOG.md from changelogs/ (antsibull-changelog in a scratch copy; fragments stay).
changelog: venv
	@VENV=$(VENV_ABS) bash hack/changelog_md.sh

changelog-check: venv
	@VENV=$(VENV_ABS) bash hack/changelog_md.sh --check

# Fails when a run wrote into the user's home (files newer than the stamp `make test` sets).
home-check:
	@if [ ! -e $(HOME_STAMP) ]; then echo "home-check: no $(HOME_STAMP); run 'make test'" >&2; exit 1; fi; \
	found=$$(find $(HOME_PATHS) -newer $(HOME_STAMP) 2>/dev/null | head -20 || true); \
	if [ -n "$$found" ]; then echo "home-check: the run wrote outside the checkout:" >&2; echo "$$found" >&2; exit 1; fi; \
	echo "home-check: nothing written to $(HOME_PATHS)"

# ---------------------------------------------------------------------------- test
test:
	@mkdir -p $(BUILD) && touch $(HOME_STAMP)
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
	rm -rf build tests/output .pytest_cache .cache .hypothesis .ansible *.tar.gz
	find . -path ./.venv -prune -o -path ./build -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
