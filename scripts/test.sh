#!/bin/sh
# Installs what is missing, builds everything (tests and benchmarks too), and runs every test.
set -eu
cd "$(dirname "$0")/.."
MESHSIM_BUILD_TARGET= scripts/build.sh "$@"
BUILD_DIR=${MESHSIM_BUILD_DIR:-build}
ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j"$(nproc)"
