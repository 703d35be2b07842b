#!/bin/sh
# Builds the live code and its tests with ThreadSanitizer (build-tsan/) and
# runs the tests that use real sockets, child processes and threads: the
# serve/proxy/ctl/demo processes (live_test) and the asio listener tests.
# Any data race or TSan report fails the run (halt_on_error), in the test
# program and in the meshsim processes it starts (live_process.cc reads
# their stderr). Each test program is bounded by MESHSIM_TSAN_TIMEOUT seconds.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR=build-tsan
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMESHSIM_TSAN=ON \
    -DMESHSIM_BUILD_BENCH=OFF >&2
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" --target meshsim live_test proxy_core_test >&2
# exitcode=66 (TSan's own default, said here because the tests rely on it):
# a child that reports exits 66, so a test expecting 0 or 2 fails too.
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
LIMIT=${MESHSIM_TSAN_TIMEOUT:-900}
# (The live smuggling rows are Envoy/Smuggling.Live*: "Smuggling*" matched none.)
# The live tests start build-tsan/app/meshsim, so the processes under test
# are checked too; their reports fail the test that started them.
timeout "$LIMIT" "$BUILD_DIR/tests/live_test"
timeout "$LIMIT" "$BUILD_DIR/tests/proxy_core_test" --gtest_filter='Asio*:HttpListener*:*Smuggling.Live*'
