#!/bin/sh
# Configures and builds meshsim into build/ (or $MESHSIM_BUILD_DIR).
# Extra arguments go to cmake's configure step (e.g. -DMESHSIM_SANITIZE=ON).
# $MESHSIM_BUILD_TARGET builds one target (demo.sh: meshsim, with only the
# packages it needs) instead of everything.
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${MESHSIM_BUILD_DIR:-build}
if [ "${MESHSIM_BUILD_TARGET:-}" = meshsim ]; then scripts/install-deps.sh build; else scripts/install-deps.sh; fi
# Configure when asked to, when there is no build yet, and for a full build in
# a folder configured without GoogleTest (demo.sh ran before test.sh).
if [ ! -f "$BUILD_DIR/build.ninja" ] || [ $# -gt 0 ] ||
   { [ -z "${MESHSIM_BUILD_TARGET:-}" ] && [ ! -f "$BUILD_DIR/tests/CTestTestfile.cmake" ]; }; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${MESHSIM_BUILD_TYPE:-RelWithDebInfo} "$@" >&2
fi
build() { cmake --build "$BUILD_DIR" -j"$1" ${MESHSIM_BUILD_TARGET:+--target "$MESHSIM_BUILD_TARGET"} >&2; }
# One retry, one job at a time: CI's stop 35 lost a run to a compiler that
# exited without a word (tests/sim/behavior_index_test.cc, which builds here),
# the mark of a compiler killed for memory. A real compile error fails the
# second try too, and prints itself again.
build "$(nproc)" || { echo "build.sh: the build failed (exit $?); trying once more with -j1" >&2; build 1; }
