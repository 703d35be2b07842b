#!/bin/sh
# What a service call costs, counted rather than timed (issue 20): the same
# generated trees as bench/scale-bench.sh, run under valgrind's callgrind with
# collection on inside the simulation only (Scheduler::run: no loading, no
# report), so neither a busy machine nor startup shows in the figures. Per size
# it prints instructions per call and, with a simulated last-level cache of
# LL bytes (default 1 MiB, 8-way: about an L2), the data misses per call.
# Instructions that grow with the mesh are an algorithmic leak; misses that
# grow with it are a working set that no longer fits.
# callgrind runs ~50-100x slower than the binary: the 1,000-service tree at
# 60,000 calls takes several minutes even on a quiet machine.
# Usage: bench/hop-callgrind.sh [build-dir]   env: SIZES, CALLS, LL ("size,assoc,line"), MESHSIM_RUN
# Per-function figures: callgrind_annotate --inclusive=yes OUT/cg.N.out
set -eu
BUILD=${1:-build}
MESHSIM=$BUILD/app/meshsim
RUN=${MESHSIM_RUN:-$MESHSIM}
SIZES=${SIZES:-"10 1000"}
CALLS=${CALLS:-60000}
LL=${LL:-1048576,8,64}
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)" >&2; exit 2; }
[ -x "$MESHSIM" ] || { echo "build $MESHSIM first" >&2; exit 2; }
OUT=${OUT:-$(mktemp -d)}
echo "$($RUN --version), load $(cut -d' ' -f1-3 /proc/loadavg), LL $LL, profiles in $OUT"
printf '| services | calls | instructions/call | LL data misses/call (read + write) |\n|---|---|---|---|\n'
for n in $SIZES; do
  rate=$(awk -v c="$CALLS" -v n="$n" 'BEGIN { printf "%.6g", c / n / 60 }')
  "$MESHSIM" generate tree --services "$n" --versions 2 --rules split --rate "$rate" --duration 60s -o "$OUT/tree$n.yaml"
  valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.$n.out" --toggle-collect='meshsim::sim::Scheduler::run*' \
    --cache-sim=yes --LL="$LL" "$RUN" run -q "$OUT/tree$n.yaml" >"$OUT/run$n.log" 2>&1
  # "Collected : Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw"
  grep "Collected" "$OUT/run$n.log" | awk -v n="$n" -v c="$CALLS" '{
    printf "| %d | %d | %.0f | %.1f (%.1f + %.1f) |\n", n, c, $4 / c, ($11 + $12) / c, $11 / c, $12 / c }'
done
