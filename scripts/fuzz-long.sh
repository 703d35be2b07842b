#!/bin/sh
# Runs one libFuzzer target for MINUTES (default 60) on one core with its
# dictionary, growing fuzz-corpus/TARGET (not committed) from the committed
# seeds in fuzz/corpus/TARGET. A crash leaves its input in
# fuzz/regressions/TARGET/: commit it with the fix, and the test build
# replays it forever after (fuzz_replay.TARGET).
#   scripts/fuzz-long.sh http_request_fuzz 60
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 TARGET [MINUTES]  (targets: $(sed -n 's/^meshsim_add_fuzzer(\([a-z0-9_]*\) .*/\1/p' fuzz/CMakeLists.txt | tr '\n' ' '))" >&2; exit 2; }
TARGET=$1
MINUTES=${2:-60}
BUILD_DIR=build-fuzz-deep  # the libraries instrumented too (MESHSIM_FUZZ_DEEP)
scripts/install-deps.sh
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMESHSIM_FUZZ=ON -DMESHSIM_FUZZ_DEEP=ON -DMESHSIM_BUILD_BENCH=OFF >&2
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" --target "$TARGET" >&2
corpus="fuzz-corpus/$TARGET"
regressions="fuzz/regressions/$TARGET"
mkdir -p "$corpus" "$regressions"
dict="fuzz/dicts/$(echo "$TARGET" | sed 's/_.*//').dict"  # http_request_fuzz -> http.dict
[ -f "$dict" ] || dict=""
echo "fuzz-long: $TARGET for $MINUTES min; crashes go to $regressions/" >&2
"$BUILD_DIR/fuzz/$TARGET" -max_total_time=$((MINUTES * 60)) -rss_limit_mb=2048 -max_len=8192 \
  -print_final_stats=1 -artifact_prefix="$regressions/" $( [ -n "$dict" ] && echo "-dict=$dict" ) \
  "$corpus" "fuzz/corpus/$TARGET"
