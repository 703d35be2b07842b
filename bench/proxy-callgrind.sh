#!/usr/bin/env bash
# User-space instructions per proxied request, meshsim proxy against nginx as
# the same reverse proxy, counted rather than timed (issue 20: `meshsim proxy`
# at most 0.8x nginx's CPU per request). Each proxy runs under valgrind's
# callgrind with instrumentation off while it starts; after a warm-up, it is
# switched on for WRK_SECONDS of `wrk -c CONNS`, then the counts are dumped
# and divided by the requests wrk completed. Same upstream (nginx answering a
# 2-byte "ok", keep-alive), same client, same rules as bench/run-peers.sh (the
# Hightower demo's rules for bar, telemetry on, trace sampling 1%). The
# machine's load moves the request count, not the instructions per request.
# Kernel time (about 60% of the proxy's CPU on loopback) is not in these
# counts: run-peers.sh measures the whole.
# Usage: bench/proxy-callgrind.sh [build-dir]   env: CONNS (10), WRK_SECONDS (10), PORT_BASE (18280),
#   MESHSIM (another binary: a before/after comparison), OUT (profiles' folder)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
MESHSIM=${MESHSIM:-$BUILD/app/meshsim}
CONNS=${CONNS:-10}
WRK_SECONDS=${WRK_SECONDS:-10}
PORT_BASE=${PORT_BASE:-18280}
UP_PORT=$PORT_BASE NGX_PORT=$((PORT_BASE + 1)) MESH_PORT=$((PORT_BASE + 3))
for tool in valgrind callgrind_control nginx wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "proxy-callgrind.sh: needs $tool" >&2; exit 2; }
done
[ -x "$MESHSIM" ] || { echo "build $MESHSIM first" >&2; exit 2; }
OUT=${OUT:-$(mktemp -d /tmp/proxy-callgrind.XXXXXX)}
mkdir -p "$OUT"
chmod 755 "$OUT"  # nginx workers run as nobody when started as root
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

nginx_conf() {  # dir, server block
  mkdir -p "$1"
  cat >"$1/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process $3;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $1/cb; proxy_temp_path $1/p; fastcgi_temp_path $1/f; uwsgi_temp_path $1/u; scgi_temp_path $1/s;
  keepalive_timeout 65s; keepalive_requests 100000000; tcp_nodelay on;
$2
}
EOF
}
wait_port() {  # port
  for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done
  echo "proxy-callgrind.sh: nothing answers on port $1" >&2; exit 1
}

nginx_conf "$OUT/up" "  server { listen 127.0.0.1:$UP_PORT backlog=4096; location / { return 200 \"ok\"; } }" on
nginx_conf "$OUT/ngx" "  upstream up { server 127.0.0.1:$UP_PORT; keepalive 128; }
  server { listen 127.0.0.1:$NGX_PORT backlog=4096;
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }" off
python3 bench/demo-rules.py scenarios/hightower-demo.yaml bar "$MESHSIM" >"$OUT/rules.yaml"

nginx -p "$OUT/up" -e "$OUT/up/error.log" -c "$OUT/up/nginx.conf" >/dev/null 2>&1 &
PIDS+=($!)
wait_port "$UP_PORT"

# count NAME PORT COMMAND... -> writes "instructions requests" to $OUT/count.NAME
# (run in this shell, not a subshell, so the cleanup trap knows its process)
count() {
  local name=$1 port=$2; shift 2
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/cg.$name.out" "$@" >"$OUT/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_port "$port"
  wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$port/" >/dev/null  # warm-up: connections, pools, caches
  callgrind_control -i on "$pid" >/dev/null 2>&1
  wrk -t1 -c"$CONNS" -d"${WRK_SECONDS}s" "http://127.0.0.1:$port/" >"$OUT/wrk.$name.txt"
  callgrind_control -i off "$pid" >/dev/null 2>&1
  callgrind_control -d "$pid" >/dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local requests instructions
  requests=$(awk '/requests in/ { print $1 }' "$OUT/wrk.$name.txt")
  instructions=$(cat "$OUT"/cg.$name.out* | awk '/^totals:/ { s += $2 } END { print s }')
  [ -n "$requests" ] && [ "$requests" -gt 0 ] || { echo "proxy-callgrind.sh: wrk completed no request through $name" >&2; exit 1; }
  echo "$instructions $requests" >"$OUT/count.$name"
}

echo "$("$MESHSIM" --version), nginx $(nginx -v 2>&1 | sed 's/.*\///'), wrk -c$CONNS ${WRK_SECONDS}s, load $(cut -d' ' -f1-3 /proc/loadavg), profiles in $OUT"
printf '| proxy | requests counted | instructions | per request |\n|---|---|---|---|\n'
count nginx "$NGX_PORT" nginx -p "$OUT/ngx" -e "$OUT/ngx/error.log" -c "$OUT/ngx/nginx.conf"
count meshsim "$MESH_PORT" "$MESHSIM" proxy --listen "127.0.0.1:$MESH_PORT" --upstream "127.0.0.1:$UP_PORT" \
  --admin-port 0 -f "$OUT/rules.yaml" --service bar --trace-sampling 1
read -r ngx_i ngx_r <"$OUT/count.nginx"
read -r mesh_i mesh_r <"$OUT/count.meshsim"
awk -v a="$ngx_i" -v b="$ngx_r" 'BEGIN { printf "| nginx | %d | %d | %.0f |\n", b, a, a / b }'
awk -v a="$mesh_i" -v b="$mesh_r" -v n="$ngx_i" -v m="$ngx_r" \
  'BEGIN { printf "| meshsim | %d | %d | %.0f (%.2fx nginx) |\n", b, a, a / b, (a / b) / (n / m) }'
