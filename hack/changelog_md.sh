#!/usr/bin/env bash
# CHANGELOG.md from the committed changelogs/ with antsibull-changelog, without touching the repository's
# change metadata: the release of galaxy.yml's version is made in a temporary copy of the
# collection (a release consumes the fragments; here they stay for the real release), and the
# generated Markdown is copied back.
#
#   bash hack/changelog_md.sh            writes CHANGELOG.md
#   bash hack/changelog_md.sh --check    fails when CHANGELOG.md is not up to date
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
export PATH=$VENV/bin:$PATH
work=$(mktemp -d "${TMPDIR:-/tmp}/gpufleet-changelog.XXXXXX")
trap 'rm -rf "$work"' EXIT
copy=$work/ansible_collections/gpufleet/ops
mkdir -p "$copy"
cd "$ROOT"
# The committed tree (HEAD), not the working tree: work in progress does not reach the changelog.
git archive HEAD galaxy.yml changelogs meta plugins roles playbooks | tar -x -C "$copy"
export ANSIBLE_COLLECTIONS_PATH=$work ANSIBLE_HOME=$work/ansible-home
version=$(sed -n 's/^version:[[:space:]]*//p' galaxy.yml | tr -d '"'"'")
date=${CHANGELOG_DATE:-$(git log -1 --format=%cs -- changelogs galaxy.yml 2>/dev/null || date -u +%F)}
(cd "$copy" && antsibull-changelog lint) || { echo "changelog: fragments do not lint (above); CHANGELOG.md not written" >&2; exit 1; }
if ! grep -q "^  ${version//./\\.}:" "$copy/changelogs/changelog.yaml"; then
  (cd "$copy" && antsibull-changelog release --version "$version" --date "$date" >/dev/null)
fi
(cd "$copy" && antsibull-changelog generate --output "$work/CHANGELOG.md" --output-format md >/dev/null)
if [ "${1:-}" = "--check" ]; then
  diff -u CHANGELOG.md "$work/CHANGELOG.md" || { echo "changelog: CHANGELOG.md is stale (bash hack/changelog_md.sh)" >&2; exit 1; }
  echo "changelog: CHANGELOG.md is up to date"
else
  cp "$work/CHANGELOG.md" CHANGELOG.md
  echo "changelog: CHANGELOG.md for $version ($(grep -c '^\* ' CHANGELOG.md) entries)"
fi
