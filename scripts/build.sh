#!/bin/sh
# Configures and builds meshsim into build/ (or $MESHSIM_BUILD_DIR).
# Extra arguments go to cmake's configure step (e.g. -DMESHSIM_SANITIZE=ON).
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${MESHSIM_BUILD_DIR:-build}
scripts/install-deps.sh
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ $# -gt 0 ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${MESHSIM_BUILD_TYPE:-RelWithDebInfo} "$@" >&2
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" >&2
