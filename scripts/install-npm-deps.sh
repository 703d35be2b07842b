#!/bin/sh
# Installs the npm schema packages the export-manifest test validates with
# (tests/export/validate_manifests.mjs, which reads YAML with `yaml`) into DIR/node_modules, outside the
# tracked files (default: build/npm, git-ignored). Pinned versions, so the
# schemas do not change under the test. Idempotent: nothing to do when the
# pinned versions are present. Needs node and npm (Debian: nodejs, npm,
# listed in install-deps.sh). Without the network it says so and exits 0:
# the test then reports SKIPPED.
#   scripts/install-npm-deps.sh [DIR]
set -eu
cd "$(dirname "$0")/.."
DIR=${1:-${MESHSIM_NPM_DIR:-${MESHSIM_BUILD_DIR:-build}/npm}}
PACKAGES="kubernetes-models@5.1.0 @kubernetes-models/istio@3.0.1 @kubernetes-models/gateway-api@2.0.0 @kubernetes-models/argo-rollouts@2.0.0 yaml@2.9.1"

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
  echo "install-npm-deps: node or npm missing (apt-get install nodejs npm); the manifest schema test will be skipped" >&2
  exit 0
fi
present=yes
for spec in $PACKAGES; do
  name=${spec%@*}
  version=${spec##*@}
  file="$DIR/node_modules/$name/package.json"
  if [ ! -f "$file" ] || ! grep -q "\"version\": \"$version\"" "$file"; then present=no; fi
done
[ "$present" = yes ] && exit 0

mkdir -p "$DIR"
[ -f "$DIR/package.json" ] || echo '{"name": "meshsim-schema-deps", "private": true}' > "$DIR/package.json"
echo "install-npm-deps: installing $PACKAGES into $DIR" >&2
# shellcheck disable=SC2086
if ! npm install --prefix "$DIR" --no-audit --no-fund --save-exact $PACKAGES >&2; then
  echo "install-npm-deps: npm install failed (offline?); the manifest schema test will be skipped" >&2
fi
exit 0
