#!/usr/bin/env bash
# `meshsim load` against wrk (Debian's wrk 4.1) on the same server: both as
# fast as CONNECTIONS keep-alive connections allow (closed loop: wrk's only
# mode, `meshsim load --qps 0`), one client thread each, the server
# (bench/h2c_ok_server, a 200 "ok") pinned to one core and the client to the
# other when taskset exists. Prints, per round, requests/s and the client's
# CPU time per request (user + sys): the load generator's own overhead.
# Usage: bench/load-vs-wrk.sh [DURATION=5 REPEATS=3 CONNECTIONS=4 PORT=18090]
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-5}
REPEATS=${REPEATS:-3}
CONNECTIONS=${CONNECTIONS:-4}
PORT=${PORT:-18090}
command -v wrk >/dev/null || { echo "load-vs-wrk.sh: wrk not found (apt-get install wrk)" >&2; exit 2; }
cmake --build build --target meshsim h2c_ok_server >/dev/null
PIN_SERVER=() PIN_CLIENT=()
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then PIN_SERVER=(taskset -c 0) PIN_CLIENT=(taskset -c 1); fi
"${PIN_SERVER[@]}" build/bench/h2c_ok_server "$PORT" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
sleep 0.5
URL="http://127.0.0.1:$PORT/"
out=$(mktemp -d)
# CPU seconds (user + sys) of the command, from bash's `time`.
cpu_of() { local TIMEFORMAT='%U %S'; { time "$@" >"$out/stdout" 2>"$out/stderr"; } 2>"$out/time"; awk '{print $1 + $2}' "$out/time"; }
printf '%-8s %-6s %12s %16s %10s %10s\n' client round 'requests/s' 'CPU us/request' 'p50 ms' 'p99 ms'
for round in $(seq 1 "$REPEATS"); do
  cpu=$(cpu_of "${PIN_CLIENT[@]}" wrk -t1 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$URL")
  rps=$(awk '/Requests\/sec/ {print $2}' "$out/stdout")
  total=$(awk '/requests in/ {print $1}' "$out/stdout")
  p50=$(awk '$1 == "50%" {print $2}' "$out/stdout")
  p99=$(awk '$1 == "99%" {print $2}' "$out/stdout")
  printf '%-8s %-6s %12.0f %16.2f %10s %10s\n' wrk "$round" "$rps" "$(echo "$cpu * 1000000 / $total" | bc -l)" "$p50" "$p99"
  cpu=$(cpu_of "${PIN_CLIENT[@]}" build/app/meshsim load --qps 0 -c "$CONNECTIONS" -t "${DURATION}s" --json - "$URL")
  read -r rps total p50 p99 < <(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); h=j["DurationHistogram"]; p={x["Percentile"]: x["Value"] for x in h["Percentiles"]}; print(j["ActualQPS"], h["Count"], p[50]*1000, p[99]*1000)' "$out/stdout")
  printf '%-8s %-6s %12.0f %16.2f %10.3f %10.3f\n' meshsim "$round" "$rps" "$(echo "$cpu * 1000000 / $total" | bc -l)" "$p50" "$p99"
done
rm -rf "$out"
