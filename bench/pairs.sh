#!/bin/sh
# Two meshsim binaries timed in turn on one scenario, N times each (issue 20).
# On a shared machine the CPU's speed moves by tens of percent between
# minutes, so a single run of each says little; runs interleaved pairwise
# meet the same moments. Prints each run's CPU (user + sys) and peak RSS,
# then the means, NEW / BASE, and in how many pairs NEW took less.
# Usage: bench/pairs.sh BASE NEW SCENARIO [N]   env: CPU (default 0: runs pinned there)
# Example: bench/scale-bench.sh's long 1,000-service tree:
#   build/app/meshsim generate tree --services 1000 --versions 2 --rules split --rate 1 --duration 600s -o /tmp/t.yaml
#   bench/pairs.sh /tmp/meshsim-before build/app/meshsim /tmp/t.yaml 5
set -eu
[ $# -ge 3 ] || { echo "usage: bench/pairs.sh BASE NEW SCENARIO [N]" >&2; exit 2; }
BASE=$1; NEW=$2; SCENARIO=$3; N=${4:-5}; CPU=${CPU:-0}
TIME=$(mktemp); RUNS=$(mktemp)
trap 'rm -f "$TIME" "$RUNS"' EXIT
echo "# $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg), CPU $CPU, $N pairs, $SCENARIO"
i=0
while [ "$i" -lt "$N" ]; do
  for which in base new; do
    if [ "$which" = base ]; then bin=$BASE; else bin=$NEW; fi
    # Exit 1 (an expectation failed) is a run like any other; 2 and up mean
    # it did not run the scenario, and its time would say nothing.
    status=0
    /usr/bin/time -f "%U %S %M" -o "$TIME" taskset -c "$CPU" "$bin" run -q "$SCENARIO" >/dev/null 2>&1 || status=$?
    if [ "$status" -ge 2 ]; then echo "bench/pairs.sh: $bin run -q $SCENARIO exited $status" >&2; exit 2; fi
    echo "$which $(tail -n1 "$TIME")" >>"$RUNS"
  done
  i=$((i + 1))
done
awk '
  { cpu = $2 + $3; print $1, cpu " s", $4 " KB"; sum[$1] += cpu; rss[$1] = $4
    if ($1 == "base") last = cpu; else if (cpu < last) lower++ }
  END { n = NR / 2
    ratio = sum["base"] > 0 ? sprintf("%.3f", sum["new"] / sum["base"]) : "-"
    printf "base mean %.3f s, new mean %.3f s, new / base %s; new lower in %d of %d pairs; peak RSS base %d KB, new %d KB\n",
      sum["base"] / n, sum["new"] / n, ratio, lower, n, rss["base"], rss["new"] }' "$RUNS"
