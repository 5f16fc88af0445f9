#!/usr/bin/env bash
# The Makefile of docs/run.md, as written there: make, make clean, make again.
# The second make must take every output from the cache (no new run entry)
# and give labels of the same content.
#
#   run_makefile_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "run_makefile_test: $*" >&2; exit 1; }
command -v make >/dev/null || fail "no make"
# The block between ```make and ``` in docs/run.md.
awk '/^```make$/{on=1; next} /^```$/{on=0} on' "$src/docs/run.md" >"$work/Makefile"
grep -q "image-step smooth" "$work/Makefile" || fail "no Makefile block in docs/run.md"
cp /usr/share/mricron/templates/ch2.nii.gz "$work/t1.nii.gz"
export PATH="$build:$PATH"
cd "$work"
runs() { voxcache --db cache.db ls --json | grep -c '"operation": "image-step",' || true; }
make -s labels.nii.gz >/dev/null
[[ $(runs) == 3 ]] || fail "the first make stored $(runs) runs, not 3"
first=$(voxcache key labels.nii.gz | cut -c1-64)
make -s clean
make -s labels.nii.gz >/dev/null
[[ $(runs) == 3 ]] || fail "the second make ran a step again"
[[ "$(voxcache key labels.nii.gz | cut -c1-64)" == "$first" ]] || fail "the second make's labels differ"
echo "run_makefile_test: the second make took all 3 steps from the cache"
