#!/usr/bin/env bash
# voxcache quick start on Debian 12.
#   ./quickstart.sh demo   install what is missing, build, run the ch2 pipeline demo twice
#   ./quickstart.sh test   install what is missing, build, run the whole test suite
# Environment: VOXCACHE_BUILD_DIR (default: build).
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-}
if [[ "$mode" != demo && "$mode" != test ]]; then
  echo "usage: $0 demo|test" >&2
  exit 2
fi

# Debian packages the build, the tests and the demo need. mricron-data ships
# the real brain MRI volumes; libgdcm-tools silences ITK's CMake warnings;
# gnuplot-nox draws the benchmark charts.
packages=(
  cmake g++ make pkg-config
  libsqlite3-dev libzstd-dev libxxhash-dev libssl-dev
  nlohmann-json3-dev libcli11-dev libgtest-dev libbenchmark-dev
  libinsighttoolkit5-dev libgdcm-tools mricron-data gnuplot-nox
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

build=${VOXCACHE_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2

case "$mode" in
  demo)
    mkdir -p "$build/demo"
    "$build/voxcache-demo" --db "$build/demo/cache.db"
    echo
    echo "\$ voxcache --db $build/demo/cache.db ls"
    "$build/voxcache" --db "$build/demo/cache.db" ls
    ;;
  test)
    ctest --test-dir "$build" --output-on-failure -j2
    ;;
esac
