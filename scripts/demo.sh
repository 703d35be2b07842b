#!/bin/sh
# Installs what is missing, builds the meshsim program (only that: the tests
# and benchmarks are scripts/test.sh's job), and runs meshsim's main job: the
# Hightower demo replay (scenarios/hightower-demo.yaml), report files in out/.
set -eu
cd "$(dirname "$0")/.."
MESHSIM_BUILD_TARGET=meshsim scripts/build.sh
exec "${MESHSIM_BUILD_DIR:-build}"/app/meshsim run scenarios/hightower-demo.yaml --out out/hightower-demo "$@"
