#!/bin/sh
# Builds the live code and its tests with ThreadSanitizer (build-tsan/) and
# runs the tests that use real sockets, child processes and threads: the
# serve/proxy/ctl/demo processes (live_test) and the asio listener tests.
# Any data race or TSan report fails the run (halt_on_error).
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD_DIR=build-tsan
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMESHSIM_TSAN=ON \
    -DMESHSIM_BUILD_BENCH=OFF >&2
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" --target meshsim live_test proxy_core_test >&2
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
# The live tests start build-tsan/app/meshsim, so the processes under test
# are checked too; their reports fail the test that started them.
"$BUILD_DIR/tests/live_test"
"$BUILD_DIR/tests/proxy_core_test" --gtest_filter='Asio*:HttpListener*:Smuggling*'
