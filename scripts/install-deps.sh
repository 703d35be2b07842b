#!/bin/sh
# Installs the Debian packages meshsim builds and tests with, only those missing.
# Idempotent and fast when everything is present (one dpkg-query call).
# `install-deps.sh build`: only what compiling the meshsim program needs
# (scripts/demo.sh); `install-deps.sh` or `all`: the test tools as well.
set -eu

PACKAGES="g++ cmake ninja-build ccache pkg-config
libboost-dev libyaml-cpp-dev libfmt-dev libcxxopts-dev libre2-dev
nlohmann-json3-dev libgoogle-perftools-dev libnghttp2-dev librhonabwy-dev"
# libyaml: the config loader's YAML parser (config/yaml_node.cc, issue 20).
PACKAGES="$PACKAGES libyaml-dev"
if [ "${1:-all}" != build ]; then
  PACKAGES="$PACKAGES libgtest-dev libgmock-dev libbenchmark-dev python3-jsonschema python3-yaml"
  # clang + compiler-rt for the libFuzzer smoke targets; the report-file tests
  # check metrics with promtool, render the graph with dot, parse XML with
  # xmllint and open report.html in headless Chromium.
  PACKAGES="$PACKAGES clang libclang-rt-14-dev prometheus graphviz libxml2-utils chromium"
  # HTTP/2 peers for the h2c tests: nghttp and h2load (curl has HTTP/2 already).
  PACKAGES="$PACKAGES nghttp2-client"
  # Real gRPC peers (C++ client and server from tests/grpc/echo.proto) for grpc_live_test.
  PACKAGES="$PACKAGES libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler"
  # Node for the export manifest schema test (npm packages: scripts/install-npm-deps.sh);
  # Debian's npm only when no npm is on the PATH (NodeSource's nodejs ships
  # its own and conflicts with Debian's npm package).
  PACKAGES="$PACKAGES nodejs"
  command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"
  # `meshsim export local`'s run.sh posts to the proxies and polls Prometheus
  # with curl (export_local_test; prometheus is above).
  PACKAGES="$PACKAGES curl"
fi
[ "${MESHSIM_EXTRA_PACKAGES:-}" ] && PACKAGES="$PACKAGES $MESHSIM_EXTRA_PACKAGES"

# One dpkg-query for all packages (a warm demo.sh run spends most of its time here).
installed=" $(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null |
  awk '/ install ok installed$/ {printf "%s ", $1}')"
missing=""
for p in $PACKAGES; do
  case "$installed" in *" $p "*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# `apt-get update` only when the package lists are absent or a first try fails.
if ! ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || \
   ! $SUDO apt-get install -y --no-install-recommends $missing >&2; then
  $SUDO apt-get update -qq >&2
  $SUDO apt-get install -y --no-install-recommends $missing >&2
fi
