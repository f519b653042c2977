#!/usr/bin/env bash
# The collection's documentation site, as docs.ansible.com renders it: antsibull-docs writes
# reStructuredText for every plugin, module, role (argument_specs) and their examples, Sphinx
# turns it into HTML.
#
#   bash hack/docs_site.sh          -> build/docs-site/build/html/index.html
#
# Uses the checkout through build/collections (`make collection`), no network. The theme is
# Sphinx's own alabaster unless sphinx-ansible-theme is installed (DOCS_THEME overrides);
# --fail-on-error: a plugin whose documentation does not parse fails the build.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
SITE=$ROOT/build/docs-site
export PATH=$VENV/bin:$PATH
export ANSIBLE_COLLECTIONS_PATH=${ANSIBLE_COLLECTIONS_PATH:-$ROOT/build/collections}
cd "$ROOT"

if [ ! -e "$ANSIBLE_COLLECTIONS_PATH/ansible_collections/gpufleet/ops/galaxy.yml" ]; then
  echo "docs_site: gpufleet.ops is not under $ANSIBLE_COLLECTIONS_PATH (run 'make collection')" >&2
  exit 1
fi
theme=${DOCS_THEME:-}
if [ -z "$theme" ]; then
  if python -c 'import sphinx_ansible_theme' 2>/dev/null; then theme=sphinx_ansible_theme; else theme=alabaster; fi
fi

rm -rf "$SITE" && mkdir -p "$SITE" && chmod 0755 "$SITE"
antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --lenient \
  --sphinx-theme "$theme" --title "gpufleet.ops" --project "gpufleet.ops" \
  --copyright "2026, gpufleet.ops contributors" --dest-dir "$SITE" gpufleet.ops >/dev/null
# build.sh: antsibull-docs collection -> rst/, then sphinx-build -> build/html
(cd "$SITE" && ./build.sh) >"$ROOT/build/docs-site.log" 2>&1 || { tail -40 "$ROOT/build/docs-site.log" >&2; exit 1; }

# Every module has a page with its examples, every role with argument_specs a page; the
# warnings Sphinx prints are the intersphinx links to docs.ansible.com it cannot reach offline.
missing=0
for module in plugins/modules/*.py; do
  name=$(basename "$module" .py)
  page="$SITE/build/html/${name}_module.html"
  [ -s "$page" ] || { echo "docs_site: no page for module $name" >&2; missing=1; continue; }
  grep -q 'Examples' "$page" || { echo "docs_site: module $name page has no examples" >&2; missing=1; }
done
for spec in roles/*/meta/argument_specs.yml; do  # antsibull-docs documents roles by their argument_specs
  [ -e "$spec" ] || continue
  name=$(basename "$(dirname "$(dirname "$spec")")")
  [ -s "$SITE/build/html/${name}_role.html" ] || { echo "docs_site: no page for role $name" >&2; missing=1; }
done
[ $missing -eq 0 ] || exit 1
echo "docs_site: $SITE/build/html/index.html ($(find "$SITE/build/html" -maxdepth 1 -name '*.html' | wc -l) pages)"
