#!/usr/bin/env bash
# Installs this build to a temporary prefix and builds two programs against
# it as users would: a C++-only CMake project (find_package) and a plain
# g++ command (pkg-config). In a shared build it also makes the Debian
# packages (cpack -G DEB) and checks their contents and dependencies; with
# VOXCACHE_TEST_DEB_INSTALL=1, as root, it installs them with apt-get, builds
# the consumer against /usr, and removes them again.
#
#   packaging_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
image=/usr/share/mricron/templates/ch2.nii.gz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "packaging_test: $*" >&2; exit 1; }

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(cd "$prefix" && ls -d lib*/ | head -1)
libdir=${libdir%/}
for f in bin/voxcache include/voxcache/cache.h include/voxcache/itk.h \
         "$libdir/pkgconfig/voxcache.pc" "$libdir/pkgconfig/voxcache-itk.pc" \
         "$libdir/cmake/voxcache/voxcacheConfig.cmake" share/man/man1/voxcache.1; do
  [[ -e "$prefix/$f" ]] || fail "the install lacks $f"
done
shared=0
[[ -e "$prefix/$libdir/libvoxcache.so" ]] && shared=1
"$prefix/bin/voxcache" --version | grep -q "^voxcache " || fail "the installed CLI does not run"
grep -q '^\.SS recompress' "$prefix/share/man/man1/voxcache.1" || fail "the man page lacks the commands"
# serve's NiiVue bundle, where quickstart.sh fetched it: installed where the
# installed binary looks for it (docs/serve.md).
niivue=0
if [[ -f "$build/web/niivue.umd.js" ]]; then
  niivue=1
  cmp -s "$build/web/niivue.umd.js" "$prefix/share/voxcache/web/niivue.umd.js" ||
    fail "the install lacks share/voxcache/web/niivue.umd.js"
fi

# 1. CMake, a C++-only project.
cmake -S "$src/tests/packaging/consumer" -B "$work/cmake-consumer" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >"$work/cmake.log" 2>&1 ||
  { cat "$work/cmake.log" >&2; fail "find_package(voxcache) failed in a project(consumer CXX)"; }
cmake --build "$work/cmake-consumer" -j2 >"$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; fail "the CMake consumer did not build"; }
"$work/cmake-consumer/consumer" "$work/a.db" "$image" | grep -q "consumer ok" ||
  fail "the CMake consumer failed"

# 2. pkg-config, no CMake.
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
pkg-config --exists voxcache voxcache-itk || fail "pkg-config does not find voxcache"
[[ "$(pkg-config --modversion voxcache)" == "$("$prefix/bin/voxcache" --version | awk 'NR==1{print $2}')" ]] ||
  fail "voxcache.pc and the CLI disagree on the version"
static=""
[[ $shared == 1 ]] || static=--static
# shellcheck disable=SC2046
g++ -O1 "$src/tests/packaging/consumer/consumer.cc" -o "$work/pc-consumer" \
  $(pkg-config $static --cflags --libs voxcache-itk) -Wl,-rpath,"$prefix/$libdir" ||
  fail "the pkg-config consumer did not build"
"$work/pc-consumer" "$work/b.db" "$image" | grep -q "consumer ok" || fail "the pkg-config consumer failed"

if [[ $shared == 0 ]]; then
  echo "packaging_test: static build: install, CMake and pkg-config consumers ok (no .deb)"
  exit 0
fi

# 3. Debian packages.
(cd "$build" && cpack -G DEB -B "$work/deb" >"$work/cpack.log" 2>&1) ||
  { cat "$work/cpack.log" >&2; fail "cpack -G DEB failed"; }
debs=("$work"/deb/*.deb)
[[ ${#debs[@]} == 3 ]] || fail "expected 3 packages, got: ${debs[*]}"
pkg_of() { for d in "${debs[@]}"; do [[ "$(dpkg-deb -f "$d" Package)" == "$1" ]] && echo "$d"; done; }
lib=$(pkg_of libvoxcache) dev=$(pkg_of libvoxcache-dev) cli=$(pkg_of voxcache)
[[ -n "$lib" && -n "$dev" && -n "$cli" ]] || fail "packages are not libvoxcache, libvoxcache-dev, voxcache"
# Listings and fields are read whole first: grep -q would close the pipe.
for p in lib dev cli; do dpkg-deb -c "${!p}" >"$work/$p.list"; dpkg-deb -f "${!p}" Depends >"$work/$p.deps"; done
has() { grep -q -- "$2" "$work/$1.list" || fail "$3"; }
has lib "libvoxcache.so.0.1" "libvoxcache lacks the shared library"
has lib "libvoxcache_itk.so.0.1" "libvoxcache lacks the ITK adapter"
has dev "include/voxcache/cache.h" "libvoxcache-dev lacks the headers"
has dev "voxcacheConfig.cmake" "libvoxcache-dev lacks the CMake files"
has dev "pkgconfig/voxcache-itk.pc" "libvoxcache-dev lacks the pkg-config files"
has cli "bin/voxcache$" "voxcache lacks the CLI"
has cli "man1/voxcache.1" "voxcache lacks the man page"
((niivue == 0)) || has cli "share/voxcache/web/niivue.umd.js" "voxcache lacks serve's NiiVue bundle"
for need in libsqlite3 libzstd libxxhash libssl libhiredis libinsighttoolkit; do
  grep -q "$need" "$work/lib.deps" || fail "libvoxcache does not depend on $need: $(cat "$work/lib.deps")"
done
grep -Eq "(^|, )libvoxcache \(= " "$work/cli.deps" || fail "voxcache does not depend on libvoxcache: $(cat "$work/cli.deps")"
grep -Eq "(^|, )libvoxcache \(= " "$work/dev.deps" || fail "libvoxcache-dev does not depend on libvoxcache: $(cat "$work/dev.deps")"
echo "packaging_test: libvoxcache Depends: $(cat "$work/lib.deps")"

if [[ "${VOXCACHE_TEST_DEB_INSTALL:-0}" == 1 && $(id -u) == 0 ]]; then
  if dpkg -s libvoxcache >/dev/null 2>&1; then fail "libvoxcache is installed already: not touching it"; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debs[@]}" >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log" >&2; fail "apt-get install of the packages failed"; }
  trap 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq voxcache libvoxcache-dev libvoxcache >/dev/null 2>&1; rm -rf "$work"' EXIT
  /usr/bin/voxcache --version | grep -q "^voxcache " || fail "the packaged CLI does not run"
  dpkg -L voxcache | grep -q "man1/voxcache.1" || fail "the voxcache package has no man page"
  cmake -S "$src/tests/packaging/consumer" -B "$work/deb-consumer" >/dev/null 2>&1 ||
    fail "find_package(voxcache) fails against the installed packages"
  cmake --build "$work/deb-consumer" -j2 >/dev/null 2>&1 || fail "the consumer does not build against the packages"
  "$work/deb-consumer/consumer" "$work/c.db" "$image" | grep -q "consumer ok" ||
    fail "the consumer built against the packages failed"
  echo "packaging_test: packages installed with apt-get, used, and removed"
fi
echo "packaging_test: install, CMake and pkg-config consumers, and the .deb packages ok"
