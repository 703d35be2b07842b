#!/bin/sh
# Installs what is missing, builds, and runs meshsim's main job: the
# Hightower demo replay (scenarios/hightower-demo.yaml), report files in out/.
set -eu
cd "$(dirname "$0")/.."
scripts/build.sh
exec build/app/meshsim run scenarios/hightower-demo.yaml --out out/hightower-demo "$@"
