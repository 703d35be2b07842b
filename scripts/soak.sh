#!/bin/bash
# Soak: `meshsim serve` on the demo under a steady load for MINUTES (default
# 60) while a loop pushes configs through the admin API (valid ones that
# move bar between v1 and v2, and invalid ones that must change nothing) and
# probes the routing through the ingress after each push. Prints RSS and open
# file descriptors over time, wrk's latency percentiles, and the pushes and
# probes; exits 1 if a probe saw the wrong version, a push got an unexpected
# status, serve died, or RSS or descriptors kept growing after the first
# quarter of the run (more than 10% / 16 above their level then).
#   scripts/soak.sh 60        (wrk from Debian; 127.0.0.1 only)
# SOAK_SAMPLES=FILE keeps every sample (seconds rss_kb fds allocated_kb heap_kb).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-60}
RATE_DELAY_MS=${SOAK_DELAY_MS:-10}   # each of the 4 wrk connections waits this long between requests
MESHSIM_EXTRA_PACKAGES="wrk curl" scripts/install-deps.sh
MESHSIM_BUILD_TARGET=meshsim scripts/build.sh
work=$(mktemp -d)
trap 'kill $serve_pid $wrk_pid 2>/dev/null || true; [ -n "${SOAK_SAMPLES:-}" ] && cp "$work/samples" "$SOAK_SAMPLES" 2>/dev/null; rm -rf "$work"' EXIT

build/app/meshsim serve scenarios/hightower-demo.yaml --manual --port 0 --admin-port 0 --speed 1 \
  >"$work/serve.out" 2>"$work/serve.err" &
serve_pid=$!
for _ in $(seq 100); do grep -q "admin http://" "$work/serve.err" && break; sleep 0.1; done
ingress=$(sed -n 's/.*ingress http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/serve.err")
admin=$(sed -n 's/.*admin http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$work/serve.err")
[ -n "$ingress" ] && [ -n "$admin" ] || { cat "$work/serve.err"; echo "soak: serve did not start" >&2; exit 1; }
# Every step of the demo, so sidecars, both bar versions and the rules exist.
while curl -sf -X POST "http://127.0.0.1:$admin/step" >/dev/null; do :; done

bar_to() {
  printf 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: bar}\nspec:\n  hosts: [bar]\n  http:\n  - route: [{destination: {host: bar, subset: %s}}]\n' "$1"
}
cat >"$work/pace.lua" <<LUA
function delay() return $RATE_DELAY_MS end
LUA
wrk -t1 -c4 -d"${MINUTES}m" --latency -s "$work/pace.lua" "http://127.0.0.1:$ingress/" >"$work/wrk.out" 2>&1 &
wrk_pid=$!

pushes=0 rejected=0 probes=0 wrong=0 bad_status=0
# The allocator's figures from the admin API's /memory (Envoy's fields), in KiB:
# what serve holds (allocated) and what the allocator keeps (heap_size), so a
# leak (allocated grows) tells apart from pages the allocator keeps.
memory_kb() {
  curl -s "http://127.0.0.1:$admin/memory" |
    awk -F'"' '{for (i = 2; i < NF; i += 4) v[$i] = $(i + 2)} END {printf "%d %d", v["allocated"] / 1024, v["heap_size"] / 1024}'
}
sample() { # seconds rss_kb fds allocated_kb heap_kb
  echo "$SECONDS $(awk '/VmRSS/ {print $2}' /proc/$serve_pid/status) $(ls /proc/$serve_pid/fd | wc -l) $(memory_kb)"
}
echo "soak: serve pid $serve_pid, ingress :$ingress, admin :$admin, $MINUTES min"
echo "seconds rss_kb fds allocated_kb heap_kb" >"$work/samples"
end=$((SECONDS + MINUTES * 60))
version=v1
while [ $SECONDS -lt $end ] && kill -0 $serve_pid 2>/dev/null; do
  version=$([ $version = v1 ] && echo v2 || echo v1)
  status=$(bar_to $version | curl -s -o /dev/null -w '%{http_code}' --data-binary @- "http://127.0.0.1:$admin/config" || true)
  pushes=$((pushes + 1)); [ "$status" = 200 ] || bad_status=$((bad_status + 1))
  # An invalid push (a misspelt field) is refused and leaves bar where it is.
  status=$( (bar_to v1; echo '  htttp: []') | curl -s -o /dev/null -w '%{http_code}' --data-binary @- "http://127.0.0.1:$admin/config" || true)
  rejected=$((rejected + 1)); [ "$status" = 400 ] || bad_status=$((bad_status + 1))
  for _ in 1 2 3 4 5; do
    body=$(curl -s "http://127.0.0.1:$ingress/" || true)  # a dead serve ends the loop below, with the summary
    probes=$((probes + 1))
    case "$body" in *"bar $version"*) ;; *) wrong=$((wrong + 1)); echo "probe after bar->$version: $body" ;; esac
  done
  sample >>"$work/samples"
  sleep 2
done
alive=yes; kill -0 $serve_pid 2>/dev/null || alive=no
wait $wrk_pid || true
echo "--- RSS and descriptors (every ~2 s; first, after 60 s, last)"
awk 'NR==2 {print "start:", $0} NR>1 && $1>=60 && !m {print "1 min:", $0; m=1}
     NR>1 && $1>=600*(t+1) {t=int($1/600); print t*10 " min:", $0} END {print "end:  ", $0}' "$work/samples"
[ -n "${SOAK_SAMPLES:-}" ] && cp "$work/samples" "$SOAK_SAMPLES"
echo "--- wrk"
grep -E "Latency|50%|99%|Requests/sec|requests in|Non-2xx|Socket errors" "$work/wrk.out" || cat "$work/wrk.out"
echo "--- pushes $pushes valid, $rejected invalid, $bad_status unexpected statuses; probes $probes, $wrong wrong; serve alive: $alive"
# Flat means flat once the stores that are bounded by construction have
# filled: the time series' 4,096 bins take ~23 minutes on the demo's three
# services, about 1 MB since the bins are compact (README, "What a run
# keeps"). So the level is taken at a quarter of the run (15 minutes of an
# hour) and the end must stay within 10% of it. The samples' allocated_kb
# (flat) against heap_kb (growing) tells the allocator's kept pages from a leak.
warm=$((MINUTES * 15))
verdict=$(awk -v warm=$warm 'NR>1 && $1>=warm && !m {r=$2; f=$3; m=1} END {if (m && ($2 > r*1.10 || $3 > f+16)) print "growing"; else print "flat"}' "$work/samples")
echo "--- memory and descriptors from $((warm / 60)) min to the end: $verdict"
[ $alive = yes ] && [ $wrong = 0 ] && [ $bad_status = 0 ] && [ "$verdict" = flat ]
