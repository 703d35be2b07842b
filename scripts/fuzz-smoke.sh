#!/bin/sh
# Builds the libFuzzer targets with clang and runs each for a bounded time
# (FUZZ_SECONDS, default 60) from its seed corpus. Fails on any crash.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
SECONDS_EACH=${FUZZ_SECONDS:-60}
BUILD_DIR=build-fuzz
# MESHSIM_FUZZ_BUILD_DIR: run the targets of a build already configured with
# MESHSIM_SANITIZE_FUZZ (.ci/run's one clang ASan+UBSan build, libraries
# instrumented: a deep smoke) instead of building build-fuzz/ (shallow).
[ -n "${MESHSIM_FUZZ_BUILD_DIR:-}" ] && BUILD_DIR=$MESHSIM_FUZZ_BUILD_DIR
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DMESHSIM_FUZZ=ON -DMESHSIM_BUILD_BENCH=OFF >&2
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" --target fuzz_targets >&2
# The YAML loader also starts from the public samples (Istio bookinfo, Gateway
# API) in ../shared/testdata when present; they are not copied into fuzz/corpus.
TESTDATA=${MESHSIM_TESTDATA_DIR:-../shared/testdata}
# Every target fuzz/CMakeLists.txt registers runs, with its dictionary.
for target in "$BUILD_DIR"/fuzz/*_fuzz; do
  name=$(basename "$target")
  corpus="fuzz-corpus/$name"
  mkdir -p "$corpus"
  seeds="fuzz/corpus/$name"
  public=""
  [ "$name" = yaml_loader_fuzz ] && [ -d "$TESTDATA" ] && public="$TESTDATA"
  dict="fuzz/dicts/$(echo "$name" | sed 's/_.*//').dict"  # http_request_fuzz -> http.dict
  echo "fuzz-smoke: $name for ${SECONDS_EACH}s" >&2
  # -rss_limit_mb bounds memory; -max_len keeps inputs near real file sizes.
  "$target" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
    $( [ -f "$dict" ] && echo "-dict=$dict" ) \
    "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) $public >&2
done
