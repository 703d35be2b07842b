#!/usr/bin/env bash
# `meshsim proxy` in h2c mode against nginx (grpc_pass: its HTTP/2 upstream)
# and haproxy (proto h2 both sides) with h2load, same run, same pinning:
# proxy on CPU 0; h2load and the upstream (build/bench/h2c_ok_server, 200 "ok"
# over h2c) on CPU 1. Streams per connection: $STREAMS (default "10 100").
# Reports req/s and the proxy's CPU time per request (utime+stime from
# /proc/PID/stat over the run; the figure peers.sh calls put_us/r).
# A peer that is not installed is reported as missing, not installed here.
# Usage: bench/run-h2-peers.sh   (env: REQUESTS=50000 CONNS=1 STREAMS="10 100" BUILD=build)
set -euo pipefail
cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-50000}
CONNS=${CONNS:-1}
STREAMS=${STREAMS:-"10 100"}
BUILD=${BUILD:-build}
UP=18180
for tool in h2load taskset curl; do
  command -v "$tool" >/dev/null || { echo "run-h2-peers.sh: $tool not installed (nghttp2-client, util-linux, curl)" >&2; exit 2; }
done
[ -x "$BUILD/app/meshsim" ] && [ -x "$BUILD/bench/h2c_ok_server" ] ||
  cmake --build "$BUILD" --target meshsim h2c_ok_server >&2

tmp=$(mktemp -d)
groups=()  # process groups this script started (setsid), killed by id on exit
cleanup() {
  for g in "${groups[@]}"; do kill -- "-$g" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
last=""
start() {  # start CPU NAME CMD...: runs CMD pinned, in its own process group ($last)
  local cpu=$1 name=$2
  shift 2
  setsid taskset -c "$cpu" "$@" >"$tmp/$name.log" 2>&1 &
  last=$!
  groups+=("$last")
}
wait_h2c() {  # the port answers h2c within 10 s
  for _ in $(seq 100); do
    curl -s --http2-prior-knowledge -o /dev/null --max-time 1 "http://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  echo "run-h2-peers.sh: nothing answers h2c on port $1" >&2
  return 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
proxy_pid() { pgrep -g "$1" | tail -1; }  # the proxy itself, inside the group started by setsid

start 1 upstream "$BUILD/bench/h2c_ok_server" "$UP"
wait_h2c "$UP"

targets=(direct)
declare -A port pid
port[direct]=$UP
start 0 meshsim "$BUILD/app/meshsim" proxy --listen 127.0.0.1:18183 --upstream "127.0.0.1:$UP" \
  --upstream-protocol http2 --admin-port 0 --trace-sampling 0
g=$last
wait_h2c 18183 && { targets+=(meshsim); port[meshsim]=18183; pid[meshsim]=$(proxy_pid "$g"); }
# The same proxy with an HTTP/1.1 upstream: what the h2c upstream hop costs on top.
start 0 meshsim-h1up "$BUILD/app/meshsim" proxy --listen 127.0.0.1:18184 --upstream "127.0.0.1:$UP" \
  --admin-port 0 --trace-sampling 0
g=$last
wait_h2c 18184 && { targets+=(meshsim-h1up); port[meshsim-h1up]=18184; pid[meshsim-h1up]=$(proxy_pid "$g"); }
if command -v nginx >/dev/null; then
  mkdir -p "$tmp/nginx"
  cat >"$tmp/nginx/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $tmp/nginx/pid; error_log $tmp/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000000;  # nginx closes a connection after 1000 requests by default (h2load -c 1 would stop there)
  upstream up { server 127.0.0.1:$UP; keepalive 64; keepalive_requests 100000000; }
  server { listen 127.0.0.1:18181 http2; location / { grpc_pass grpc://up; } }
}
CONF
  start 0 nginx nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log"
  g=$last
  wait_h2c 18181 && { targets+=(nginx); port[nginx]=18181; pid[nginx]=$(pgrep -f "nginx: worker" -g "$g" | head -1); }
else
  echo "nginx: not installed (apt-get install nginx); left out" >&2
fi
if command -v haproxy >/dev/null; then
  cat >"$tmp/haproxy.cfg" <<CONF
global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend f
  bind 127.0.0.1:18182 proto h2
  default_backend b
backend b
  server s 127.0.0.1:$UP proto h2
CONF
  start 0 haproxy haproxy -f "$tmp/haproxy.cfg"
  g=$last
  wait_h2c 18182 && { targets+=(haproxy); port[haproxy]=18182; pid[haproxy]=$(proxy_pid "$g"); }
else
  echo "haproxy: not installed (apt-get install haproxy); left out" >&2
fi

printf '# run-h2-peers.sh  %s  host: %s CPU  requests=%s conns=%s\n' "$(date -u +%FT%TZ)" "$(nproc)" "$REQUESTS" "$CONNS"
printf 'target\tstreams\treq/s\tsucceeded\tproxy_us/req\n'
for m in $STREAMS; do
  for t in "${targets[@]}"; do
    before=0
    [ -n "${pid[$t]:-}" ] && before=$(cpu_ticks "${pid[$t]}")
    out=$(taskset -c 1 h2load -n "$REQUESTS" -c "$CONNS" -m "$m" "http://127.0.0.1:${port[$t]}/" 2>&1)
    us="-"
    if [ -n "${pid[$t]:-}" ]; then
      after=$(cpu_ticks "${pid[$t]}")
      us=$(awk -v d=$((after - before)) -v n="$REQUESTS" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", d * 1e6 / hz / n}')
    fi
    rps=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
    ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' <<<"$out")
    printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$m" "${rps:-?}" "${ok:-?}" "$us"
  done
done
