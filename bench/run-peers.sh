#!/usr/bin/env bash
# Measures `meshsim proxy` against nginx and haproxy as reverse proxies with
# the shared peers.sh (../shared/bench/peers.sh): same run, same pinning,
# interleaved rounds. Installs nginx, haproxy, wrk and sockperf if missing.
# Usage: bench/run-peers.sh [peers.sh environment, e.g. REPEATS=3 DURATION=6]
#
# The proxy carries the Hightower demo's rules for the service it fronts
# (bar: its Deployments, Service, DestinationRule and the VirtualService the
# demo ends with, from scenarios/hightower-demo.yaml by bench/demo-rules.py),
# with its telemetry (Istio's metrics, traces sampled at TRACE_SAMPLING
# percent, Istio's default 1). RULES=none measures the empty config instead.
set -euo pipefail
cd "$(dirname "$0")/.."
PEERS=${PEERS:-../shared/bench/peers.sh}
[ -x "$PEERS" ] || { echo "run-peers.sh: $PEERS not found (set PEERS=path/to/peers.sh)" >&2; exit 2; }
missing=()
for tool in nginx haproxy wrk sockperf; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  # Debian starts the packaged services; the benchmark runs its own.
  systemctl stop nginx haproxy 2>/dev/null || true
fi
MESHSIM_BUILD_TARGET=meshsim scripts/build.sh >/dev/null
export PROXY_NAME=meshsim
export PROXY_CMD="$PWD/build/app/meshsim proxy --listen 127.0.0.1:18083 --upstream 127.0.0.1:18080 --admin-port 0"
if [ "${RULES:-demo}" = demo ]; then
  rules=$(mktemp --suffix=.yaml /tmp/run-peers-rules.XXXXXX)
  trap 'rm -f "$rules"' EXIT
  python3 bench/demo-rules.py scenarios/hightower-demo.yaml bar build/app/meshsim >"$rules"
  PROXY_CMD="$PROXY_CMD -f $rules --service bar --trace-sampling ${TRACE_SAMPLING:-1}"
  echo "run-peers.sh: meshsim proxy with the Hightower demo's rules for bar ($rules), trace sampling ${TRACE_SAMPLING:-1}%" >&2
fi
"$PEERS"
