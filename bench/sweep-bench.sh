#!/bin/sh
# A seed sweep against the same seeds one after another (issue 20): SEEDS
# (default 1..64) of SCENARIO (default scenarios/hightower-demo.yaml) with
# `meshsim run --seeds` on JOBS processes (default every core), then serially
# (--jobs 1). Prints both wall times and their ratio, and the merged verdict.
# Usage: bench/sweep-bench.sh [build-dir]   env: SCENARIO, SEEDS, JOBS
set -eu
BUILD=${1:-build}
MESHSIM=$BUILD/app/meshsim
SCENARIO=${SCENARIO:-scenarios/hightower-demo.yaml}
SEEDS=${SEEDS:-1..64}
JOBS=${JOBS:-$(nproc)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
echo "$SCENARIO, seeds $SEEDS, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
# Wall time is the figure (the point is using every core); CPU time (user +
# sys, the seeds' processes included) says whether the two did the same work.
t0=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$TMP/cpu-parallel" "$MESHSIM" run "$SCENARIO" --seeds "$SEEDS" --jobs "$JOBS" --out "$TMP/parallel" >"$TMP/verdict.txt" || true
t1=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$TMP/cpu-serial" "$MESHSIM" run "$SCENARIO" --seeds "$SEEDS" --jobs 1 --out "$TMP/serial" >/dev/null || true
t2=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" -v c="$t2" -v j="$JOBS" -v cp="$(tail -n1 "$TMP/cpu-parallel")" -v cs="$(tail -n1 "$TMP/cpu-serial")" 'BEGIN {
  split(cp, x, " "); split(cs, y, " ");
  p = b - a; s = c - b;
  printf "--jobs %d: %.1f s wall, %.1f s CPU   --jobs 1: %.1f s wall, %.1f s CPU   wall ratio %.2f\n", j, p, x[1] + x[2], s, y[1] + y[2], p / s }'
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
cat "$TMP/verdict.txt"
