#!/usr/bin/env bash
# Installs this build to a temporary prefix and builds two programs against
# it as users would: a C++-only CMake project (find_package) and a plain
# g++ command (pkg-config). In a shared build it also makes the Debian
# packages (cpack -G DEB), checks their contents and dependencies, and runs
# lintian on them, which must report no error and no warning; with
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
# lib/ or, on Debian, lib/<multiarch>/: where voxcache.pc is.
libdir=$(cd "$prefix" && dirname "$(dirname "$(find lib* -name voxcache.pc | head -1)")")
for f in bin/voxcache include/voxcache/cache.h include/voxcache/itk.h \
         "$libdir/pkgconfig/voxcache.pc" "$libdir/pkgconfig/voxcache-itk.pc" \
         "$libdir/cmake/voxcache/voxcacheConfig.cmake" share/man/man1/voxcache.1.gz \
         share/doc/voxcache/cli.md share/doc/voxcache/copyright; do
  [[ -e "$prefix/$f" ]] || fail "the install lacks $f"
done
shared=0
[[ -e "$prefix/$libdir/libvoxcache.so" ]] && shared=1
"$prefix/bin/voxcache" --version | grep -q "^voxcache " || fail "the installed CLI does not run"
# The manual: its hand-written sections, and one for each command, filled
# paragraphs (no CLI11 help in no-fill blocks); man renders it without a
# warning, and every command --help lists is in it.
zcat "$prefix/share/man/man1/voxcache.1.gz" >"$work/voxcache.1"
for section in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
  grep -q "^\.SH \"\?$section\"\?$" "$work/voxcache.1" || fail "the man page lacks the section $section"
done
for cmd in $("$prefix/bin/voxcache" --help | awk '/^Subcommands:/{on=1; next} on && NF{print $1}'); do
  [[ $cmd == help || $cmd == remote ]] && continue
  grep -q "^\.SS \"voxcache $cmd\"$" "$work/voxcache.1" || fail "the man page lacks the command $cmd"
done
grep -q '^\.TP$' "$work/voxcache.1" || fail "the man page has no option paragraphs"
grep -q -- '--window' "$work/voxcache.1" && fail "the man page has unescaped option dashes"
warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$work/voxcache.1" 2>&1 >/dev/null || true)
[[ -z "$warnings" ]] || fail "man warns about the page: $warnings"
# The .pc files name the prefix they were installed to, plainly.
grep -qx "prefix=$prefix" "$prefix/$libdir/pkgconfig/voxcache.pc" ||
  fail "voxcache.pc does not name its prefix: $(head -1 "$prefix/$libdir/pkgconfig/voxcache.pc")"
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
[[ ${#debs[@]} == 4 ]] || fail "expected 4 packages, got: ${debs[*]}"
pkg_of() { for d in "${debs[@]}"; do [[ "$(dpkg-deb -f "$d" Package)" == "$1" ]] && echo "$d"; done; }
# Library packages are named by their SONAME (Debian policy 8.1).
lib=$(pkg_of libvoxcache0.1) itk=$(pkg_of libvoxcache-itk0.1) dev=$(pkg_of libvoxcache-dev) cli=$(pkg_of voxcache)
[[ -n "$lib" && -n "$itk" && -n "$dev" && -n "$cli" ]] ||
  fail "packages are not libvoxcache0.1, libvoxcache-itk0.1, libvoxcache-dev, voxcache"
# Listings and fields are read whole first: grep -q would close the pipe.
for p in lib itk dev cli; do dpkg-deb -c "${!p}" >"$work/$p.list"; dpkg-deb -f "${!p}" Depends >"$work/$p.deps"; done
has() { grep -q -- "$2" "$work/$1.list" || fail "$3"; }
has lib "libvoxcache.so.0.1" "libvoxcache0.1 lacks the shared library"
has itk "libvoxcache_itk.so.0.1" "libvoxcache-itk0.1 lacks the ITK adapter"
for p in lib itk dev cli; do
  name=$(dpkg-deb -f "${!p}" Package)
  has "$p" "usr/share/doc/$name/copyright$" "$name lacks /usr/share/doc/$name/copyright"
  has "$p" "usr/share/doc/$name/changelog.gz$" "$name lacks /usr/share/doc/$name/changelog.gz"
done
has cli "man1/voxcache.1.gz" "voxcache lacks the compressed man page"
has dev "include/voxcache/cache.h" "libvoxcache-dev lacks the headers"
has dev "voxcacheConfig.cmake" "libvoxcache-dev lacks the CMake files"
has dev "pkgconfig/voxcache-itk.pc" "libvoxcache-dev lacks the pkg-config files"
has cli "bin/voxcache$" "voxcache lacks the CLI"
((niivue == 0)) || has cli "share/voxcache/web/niivue.umd.js" "voxcache lacks serve's NiiVue bundle"
for need in libsqlite3 libzstd libxxhash libssl libhiredis; do
  grep -q "$need" "$work/lib.deps" || fail "libvoxcache0.1 does not depend on $need: $(cat "$work/lib.deps")"
done
grep -q libinsighttoolkit "$work/itk.deps" || fail "libvoxcache-itk0.1 does not depend on ITK: $(cat "$work/itk.deps")"
for p in itk dev cli; do
  grep -Eq "(^|, )libvoxcache0\.1 \(= " "$work/$p.deps" || fail "$p does not depend on libvoxcache0.1: $(cat "$work/$p.deps")"
done
for p in dev cli; do
  grep -Eq "(^|, )libvoxcache-itk0\.1 \(= " "$work/$p.deps" || fail "$p does not depend on libvoxcache-itk0.1: $(cat "$work/$p.deps")"
done
grep -q "libc6" "$work/cli.deps" || fail "voxcache's dependencies were not computed: $(cat "$work/cli.deps")"
# Inside: no RUNPATH under /usr, a .pc naming /usr, the changelog at this version.
mkdir "$work/root"
for p in lib itk dev cli; do dpkg-deb -x "${!p}" "$work/root"; done
for f in "$work/root/usr/bin/voxcache" "$work/root"/usr/lib/*/libvoxcache*.so.*.*.*; do
  if readelf -d "$f" | grep -Eq "RUNPATH|RPATH"; then fail "$f has a RUNPATH: $(readelf -d "$f" | grep PATH)"; fi
done
grep -qx "prefix=/usr" "$work"/root/usr/lib/*/pkgconfig/voxcache.pc || fail "the packaged voxcache.pc does not say prefix=/usr"
zcat "$work/root/usr/share/doc/voxcache/changelog.gz" | head -1 | grep -qF "voxcache ($(dpkg-deb -f "$cli" Version))" ||
  fail "the changelog's first entry is not this version: $(zcat "$work/root/usr/share/doc/voxcache/changelog.gz" | head -1)"
# lintian, Debian's own check of packages: no error, no warning.
if command -v lintian >/dev/null 2>&1; then
  lintian --fail-on error,warning --tag-display-limit 0 "${debs[@]}" >"$work/lintian.log" 2>&1 ||
    { cat "$work/lintian.log" >&2; fail "lintian reports errors or warnings"; }
  if grep -E "^[EW]: " "$work/lintian.log"; then fail "lintian reports errors or warnings"; fi
  echo "packaging_test: lintian: no errors, no warnings"
else
  fail "lintian is not installed (quickstart.sh test installs it)"
fi
echo "packaging_test: libvoxcache0.1 Depends: $(cat "$work/lib.deps")"

if [[ "${VOXCACHE_TEST_DEB_INSTALL:-0}" == 1 && $(id -u) == 0 ]]; then
  if dpkg -s libvoxcache0.1 >/dev/null 2>&1; then fail "libvoxcache0.1 is installed already: not touching it"; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${debs[@]}" >"$work/apt.log" 2>&1 ||
    { cat "$work/apt.log" >&2; fail "apt-get install of the packages failed"; }
  trap 'DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq voxcache libvoxcache-dev libvoxcache-itk0.1 libvoxcache0.1 >/dev/null 2>&1; rm -rf "$work"' EXIT
  /usr/bin/voxcache --version | grep -q "^voxcache " || fail "the packaged CLI does not run"
  dpkg -L voxcache | grep -q "man1/voxcache.1.gz" || fail "the voxcache package has no man page"
  man -w voxcache >/dev/null 2>&1 || [[ ! -x /usr/bin/man ]] || fail "man does not find voxcache(1)"
  cmake -S "$src/tests/packaging/consumer" -B "$work/deb-consumer" >/dev/null 2>&1 ||
    fail "find_package(voxcache) fails against the installed packages"
  cmake --build "$work/deb-consumer" -j2 >/dev/null 2>&1 || fail "the consumer does not build against the packages"
  "$work/deb-consumer/consumer" "$work/c.db" "$image" | grep -q "consumer ok" ||
    fail "the consumer built against the packages failed"
  echo "packaging_test: packages installed with apt-get, used, and removed"
fi
echo "packaging_test: install, CMake and pkg-config consumers, and the .deb packages ok"
