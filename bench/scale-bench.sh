#!/bin/sh
# Cost against mesh size and memory against run length (issue 20).
# Generated trees (`meshsim generate tree`, fan-out 3, every service at v1+v2
# behind a 90/10 VirtualService and DestinationRule, sidecars everywhere) of
# 10, 100 and 1,000 services, each driven to the same number of service calls
# (CALLS, default 60,000: a client request calls every service once, so the
# rate is CALLS / services / 60 s). Per size it prints:
#   startup  CPU time (user+sys) of a run with no traffic (load, compile, first event)
#   short    60 s simulated: CPU time per service call (after startup) and peak RSS
#   long     LONG_FACTOR x 60 s at the same rate (default 10x): the same figures
# CPU time rather than wall time, since the machine is shared and a busy
# neighbour stretches wall time; figures, not assertions: compare within one run.
# Usage: bench/scale-bench.sh [build-dir]   env: SIZES, CALLS, LONG_FACTOR, MEM_LIMIT_MB,
#   MESHSIM_RUN (another meshsim binary to run the generated scenarios: a before/after comparison)
set -eu
BUILD=${1:-build}
MESHSIM=$BUILD/app/meshsim
RUN=${MESHSIM_RUN:-$MESHSIM}
SIZES=${SIZES:-"10 100 1000"}
CALLS=${CALLS:-60000}
LONG_FACTOR=${LONG_FACTOR:-10}
# A run above this is stopped and reported as such, so one benchmark cannot
# take the memory of a shared machine.
MEM_LIMIT_MB=${MEM_LIMIT_MB:-6000}
[ -x "$MESHSIM" ] || { echo "build $MESHSIM first (cmake --build $BUILD --target meshsim)" >&2; exit 2; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# measure FILE -> "cpu_seconds peak_rss_kb" (or "killed" if over the limit)
measure() {
  if ( ulimit -v $((MEM_LIMIT_MB * 1024)); /usr/bin/time -f "%U %S %M" -o "$TMP/time" "$RUN" run -q "$1" >/dev/null 2>"$TMP/err" ); then :; fi
  if [ -s "$TMP/time" ] && ! grep -q "signal\|status" "$TMP/time"; then tail -n1 "$TMP/time" | awk '{ printf "%.3f %d\n", $1 + $2, $3 }'; else echo killed; fi
  rm -f "$TMP/time"
}

echo "$($RUN --version), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
printf '| services | startup | short: calls | short: us/call | short: peak RSS | long: calls | long: us/call | long: peak RSS |\n'
printf '|---|---|---|---|---|---|---|---|\n'
for n in $SIZES; do
  rate=$(awk -v c="$CALLS" -v n="$n" 'BEGIN { printf "%.6g", c / n / 60 }')
  long_s=$((60 * LONG_FACTOR))
  "$MESHSIM" generate tree --services "$n" --versions 2 --rules split --rate "$rate" --duration 1ms -o "$TMP/start.yaml"
  "$MESHSIM" generate tree --services "$n" --versions 2 --rules split --rate "$rate" --duration 60s -o "$TMP/short.yaml"
  "$MESHSIM" generate tree --services "$n" --versions 2 --rules split --rate "$rate" --duration "${long_s}s" -o "$TMP/long.yaml"
  set -- $(measure "$TMP/start.yaml"); start_s=$1
  set -- $(measure "$TMP/short.yaml"); short="$*"
  set -- $(measure "$TMP/long.yaml"); long="$*"
  row=$(awk -v n="$n" -v st="$start_s" -v c="$CALLS" -v f="$LONG_FACTOR" -v s="$short" -v l="$long" 'BEGIN {
    split(s, a, " "); split(l, b, " ");
    sc = c; lc = c * f;
    sp = (a[1] == "killed") ? "killed" : sprintf("%.2f", (a[1] - st) * 1e6 / sc);
    sr = (a[1] == "killed") ? "over limit" : sprintf("%.0f MB", a[2] / 1024);
    lp = (b[1] == "killed") ? "killed" : sprintf("%.2f", (b[1] - st) * 1e6 / lc);
    lr = (b[1] == "killed") ? "over limit" : sprintf("%.0f MB", b[2] / 1024);
    printf "| %d | %.0f ms | %d | %s | %s | %d | %s | %s |", n, st * 1000, sc, sp, sr, lc, lp, lr }')
  echo "$row"
done
