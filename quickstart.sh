#!/usr/bin/env bash
# voxcache quick start on Debian 12.
#   ./quickstart.sh demo   install what is missing, build, run the ch2 pipeline demo twice
#   ./quickstart.sh test   install what is missing, build, run the whole test suite: the
#                          core suite under AddressSanitizer and UBSan, the concurrency
#                          tests under ThreadSanitizer, each fuzzer for a bounded time,
#                          the process and thread tests of the Release build 10 times in
#                          a row, then every test of the Release build, the Python
#                          package's pytest suites among them (docs/reliability.md)
# Environment: VOXCACHE_BUILD_DIR (default: build), VOXCACHE_FUZZ_SECONDS (default 20).
set -euo pipefail
cd "$(dirname "$0")"

mode=${1:-}
if [[ "$mode" != demo && "$mode" != test ]]; then
  echo "usage: $0 demo|test" >&2
  exit 2
fi

# Debian packages. The demo needs only the first list: the library, the ITK
# adapter, the CLI and the brain MRI volumes (mricron-data); libgdcm-tools
# silences ITK's CMake warnings. The tests also need GoogleTest, Google
# Benchmark, gnuplot for the benchmark charts, clang with its runtime for
# the fuzzers, and redis-server, which the remote tier's tests start and stop.
demo_packages=(
  cmake g++ make pkg-config
  libsqlite3-dev libzstd-dev liblz4-dev libxxhash-dev libssl-dev
  nlohmann-json3-dev libcli11-dev libhiredis-dev libcpp-httplib-dev
  libinsighttoolkit5-dev libgdcm-tools mricron-data
)
# voxcache serve's viewer, NiiVue, comes from the npm registry
# (web/fetch_niivue.sh): Debian's npm where the machine has none.
command -v npm >/dev/null 2>&1 || demo_packages+=(npm)
# dpkg-dev and file: cpack's Debian packages (dpkg-shlibdeps) in the packaging
# test, which runs lintian on them (and man, which lintian brings, on the manual).
# The Python package (docs/python.md): pybind11 and Python's headers to build
# it; numpy, nibabel, pytest and hypothesis to test it; venv, pip and setuptools for its
# pip install test; joblib, diskcache and zarr for its benchmarks; mypy for its types.
# serve's browser test drives Debian's Chromium through Selenium and reads its
# screenshots with PIL.
test_packages=(libgtest-dev libbenchmark-dev gnuplot-nox clang libclang-rt-14-dev redis-server
  dpkg-dev file lintian pybind11-dev python3-dev python3-numpy python3-nibabel python3-pytest
  python3-hypothesis python3-venv python3-pip python3-setuptools python3-joblib
  python3-diskcache python3-zarr python3-mypy chromium chromium-driver python3-selenium
  python3-pil)
packages=("${demo_packages[@]}")
[[ "$mode" == test ]] && packages+=("${test_packages[@]}")

install_hint() {
  echo "voxcache needs these Debian 12 packages: ${packages[*]}" >&2
  echo "Install them as root with:" >&2
  echo "  apt-get update && apt-get install -y $*" >&2
  echo "(on another distribution, their equivalents), then run $0 $mode again." >&2
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "quickstart: no dpkg-query here, so installed packages cannot be checked." >&2
  install_hint "${packages[@]}"
  echo "Trying to build with what is installed." >&2
else
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    sudo=()
    if [[ $(id -u) -ne 0 ]]; then
      if ! command -v sudo >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
        echo "quickstart: missing packages: ${missing[*]}" >&2
        install_hint "${missing[@]}"
        exit 1
      fi
      sudo=(sudo)
    elif ! command -v apt-get >/dev/null 2>&1; then
      echo "quickstart: missing packages: ${missing[*]}, and no apt-get to install them" >&2
      install_hint "${missing[@]}"
      exit 1
    fi
    echo "installing: ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

build=${VOXCACHE_BUILD_DIR:-build}
if [[ "$mode" == demo ]]; then
  # Only what the demo runs: no tests, benchmarks or fuzzers to build first.
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DVOXCACHE_BUILD_TESTS=OFF -DVOXCACHE_BUILD_BENCHMARKS=OFF -DVOXCACHE_BUILD_PYTHON=OFF >/dev/null
  cmake --build "$build" -j2 --target voxcache_demo voxcache_cli
  web/fetch_niivue.sh "$build/web" || echo "(voxcache serve will show PNG slices)"
else
  # Shared libraries, as the Debian packages ship them (the tests link a
  # static copy of the same objects to reach the internals). Every option
  # the suite relies on is set here, whatever an earlier configure (the
  # demo's, say) left in the cache.
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
    -DVOXCACHE_BUILD_TESTS=ON -DVOXCACHE_BUILD_BENCHMARKS=ON -DVOXCACHE_BUILD_ITK=ON \
    -DVOXCACHE_BUILD_PYTHON=ON -DVOXCACHE_FUZZ=OFF -DVOXCACHE_SANITIZE= >/dev/null
  cmake --build "$build" -j2
  web/fetch_niivue.sh "$build/web"  # the browser test needs the viewer
fi

case "$mode" in
  demo)
    mkdir -p "$build/demo"
    "$build/voxcache-demo" --db "$build/demo/cache.db"
    echo
    echo "\$ voxcache --db $build/demo/cache.db ls"
    "$build/voxcache" --db "$build/demo/cache.db" ls
    echo
    echo "Look at it in a browser (docs/serve.md):"
    echo "  $build/voxcache --db $build/demo/cache.db serve    # then open http://127.0.0.1:8765/"
    ;;
  test)
    # Reliability stages first, the Release suite last: its summary closes the run.
    # -g1: line tables are all a sanitizer's report needs, and full debug
    # information made these three builds a good part of the run. -O1, as
    # the sanitizers' documentation advises: these builds are most of the
    # run's time, and -O2 bought their tests nothing (33 s of 20 minutes).
    # The test files themselves compile at -O0 (tests/CMakeLists.txt).
    common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
      -DVOXCACHE_BUILD_ITK=OFF -DVOXCACHE_BUILD_BENCHMARKS=OFF)
    echo "== core suite under AddressSanitizer and UndefinedBehaviorSanitizer"
    cmake -S . -B "$build-asan" "${common[@]}" -DVOXCACHE_SANITIZE=address,undefined >/dev/null
    cmake --build "$build-asan" -j2
    ctest --test-dir "$build-asan" --output-on-failure -j2
    echo "== concurrency tests under ThreadSanitizer"
    cmake -S . -B "$build-tsan" "${common[@]}" -DVOXCACHE_SANITIZE=thread >/dev/null
    cmake --build "$build-tsan" -j2 --target voxcache_concurrency_tests
    ctest --test-dir "$build-tsan" --output-on-failure -j2 \
      -R 'ThreadPool|Concurrent|SingleFlightTest\.(Threads|ALong|AFailed|AClockJump)|MemoryTier|StreamTest|RemoteTest|Checkpointer|LocalTier|ReplaceTest'
    echo "== fuzzers, ${VOXCACHE_FUZZ_SECONDS:-20} s each"
    CC=clang CXX=clang++ cmake -S . -B "$build-fuzz" "${common[@]}" -DVOXCACHE_BUILD_TESTS=OFF \
      -DVOXCACHE_FUZZ=ON -DVOXCACHE_FUZZ_SECONDS="${VOXCACHE_FUZZ_SECONDS:-20}" >/dev/null
    cmake --build "$build-fuzz" -j2
    ctest --test-dir "$build-fuzz" --output-on-failure -j2  # each fuzzer is one process
    # Races show as a test that fails one run in N: run the tests of many
    # processes and threads back to back (20 in a row before a change lands).
    echo "== process and thread tests, 10 times in a row"
    ctest --test-dir "$build" --output-on-failure -j2 --repeat until-fail:10 \
      -R 'SingleFlight|Stress|Concurrent|CatalogOpen|TierStack|RemoteTest|Checkpointer|LocalTier|ReplaceTest'
    echo "== the whole Release suite"
    # As root on a machine without voxcache's packages (CI), the packaging
    # test also installs the .deb files it builds with apt-get, uses them
    # and removes them (docs/install.md).
    if [[ $(id -u) == 0 ]] && ! dpkg -s libvoxcache0.1 >/dev/null 2>&1; then
      export VOXCACHE_TEST_DEB_INSTALL=1
    fi
    rm -rf "$build/python-results"
    ctest --test-dir "$build" --output-on-failure -j2 | tee "$build/ctest.log"
    tests/quickstart/suite_counts.sh "$build"
    ;;
esac
