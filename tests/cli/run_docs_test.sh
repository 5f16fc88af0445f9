#!/usr/bin/env bash
# The recipes of docs/run.md, as written there.
#
# 1. The shell pipeline (```sh block), with stand-ins for bet, fast and
#    fslstats on PATH: run twice, the second time every step is a hit, its
#    outputs cmp-identical to the first's and MEAN the same.
# 2. The Makefile (```make block): make, make clean, make again takes every
#    output from the cache; then two `make -j2` at once in two folders sharing
#    the database compute each step once.
#
#   run_docs_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "run_docs_test: $*" >&2; exit 1; }
command -v make >/dev/null || fail "no make"
export PATH="$build:$work/bin:$PATH"
export HOME="$work/home"
mkdir -p "$work/bin" "$HOME"
ch2=/usr/share/mricron/templates/ch2.nii.gz

# --- 1. The shell pipeline --------------------------------------------------
awk '/^```sh$/{on=1; next} /^```$/{on=0} on' "$src/docs/run.md" >"$work/pipeline.sh"
grep -q -- "-- bet t1.nii.gz" "$work/pipeline.sh" || fail "no sh block in docs/run.md"
echo 'echo "MEAN=$MEAN"' >>"$work/pipeline.sh"
# Stand-ins that log each run; bet and fast write real NIfTI files.
cat >"$work/bin/bet" <<'SH'
#!/bin/sh
[ "$1" = -V ] && { echo "BET (Brain Extraction Tool) v2.1 - FMRIB Analysis Group" >&2; exit 0; }
echo bet >>"$TOOL_LOG"; cp "$1" "$2"
SH
cat >"$work/bin/fast" <<'SH'
#!/bin/sh
echo fast >>"$TOOL_LOG"; cp "$3" "$2_seg.nii.gz"; cp "$3" "$2_pve_0.nii.gz"; echo "fast: done"
SH
cat >"$work/bin/fslstats" <<'SH'
#!/bin/sh
echo fslstats >>"$TOOL_LOG"; echo "$(wc -c <"$1") 0.5"
SH
chmod +x "$work/bin/"*
mkdir -p "$work/sh" && cd "$work/sh"
cp "$ch2" t1.nii.gz
export TOOL_LOG="$work/tools.log" FSLOUTPUTTYPE=NIFTI_GZ
first=$(bash "$work/pipeline.sh")
[[ $(wc -l <"$TOOL_LOG") == 3 ]] || fail "the first pipeline ran $(wc -l <"$TOOL_LOG") tools, not 3"
mkdir ../first && cp brain.nii.gz seg_seg.nii.gz seg_pve_0.nii.gz ../first/
rm -f brain.nii.gz seg_seg.nii.gz seg_pve_0.nii.gz
second=$(bash "$work/pipeline.sh")
[[ $(wc -l <"$TOOL_LOG") == 3 ]] || fail "the second pipeline ran a tool again"
[[ "$second" == "$first" ]] || fail "stdout differs: '$first' then '$second'"
[[ "$first" == *"fast: done"* && "$first" == *"MEAN=3"* ]] || fail "unexpected output '$first'"
for f in brain.nii.gz seg_seg.nii.gz seg_pve_0.nii.gz; do
  cmp -s "$f" "../first/$f" || fail "$f from the cache differs from the tool's"
done
FSLOUTPUTTYPE=NIFTI bash "$work/pipeline.sh" >/dev/null
[[ $(wc -l <"$TOOL_LOG") == 6 ]] || fail "another FSLOUTPUTTYPE did not run the tools again"

# --- 2. The Makefile --------------------------------------------------------
awk '/^```make$/{on=1; next} /^```$/{on=0} on' "$src/docs/run.md" >"$work/Makefile"
grep -q "image-step smooth" "$work/Makefile" || fail "no Makefile block in docs/run.md"
mkdir -p "$work/mk" && cd "$work/mk" && cp "$work/Makefile" . && cp "$ch2" t1.nii.gz
runs() { voxcache --db cache.db ls --json | grep -c '"operation": "image-step",' || true; }
make -s labels.nii.gz >/dev/null
[[ $(runs) == 3 ]] || fail "the first make stored $(runs) runs, not 3"
cp labels.nii.gz ../labels-first.nii.gz
make -s clean
make -s labels.nii.gz >/dev/null
[[ $(runs) == 3 ]] || fail "the second make ran a step again"
cmp -s labels.nii.gz ../labels-first.nii.gz || fail "the second make's labels differ"

# Two make -j2 at once, in two folders, on one fresh database.
for d in a b; do mkdir -p "$work/par/$d" && cp "$work/Makefile" "$ch2" "$work/par/$d/"; done
for d in a b; do mv "$work/par/$d/ch2.nii.gz" "$work/par/$d/t1.nii.gz"; done
export VOXCACHE_RUN_LOG="$work/par/runs.jsonl"
(cd "$work/par/a" && make -s -j2 VOX="voxcache --db $work/par/cache.db run" labels.nii.gz >/dev/null) &
(cd "$work/par/b" && make -s -j2 VOX="voxcache --db $work/par/cache.db run" labels.nii.gz >/dev/null) &
wait
misses=$(grep -c '"outcome":"miss"' "$VOXCACHE_RUN_LOG" || true)
hits=$(grep -c '"outcome":"hit"' "$VOXCACHE_RUN_LOG" || true)
[[ $misses == 3 && $hits == 3 ]] || fail "two parallel makes: $misses misses and $hits hits, not 3 and 3"
cmp -s "$work/par/a/labels.nii.gz" "$work/par/b/labels.nii.gz" || fail "the two makes' labels differ"
echo "run_docs_test: the sh pipeline and the Makefile hit as docs/run.md says"
