#!/usr/bin/env bash
# What `voxcache run` adds to a command (docs/benchmarks.md section 11): a
# command that writes a 7.1 MB NIfTI (cp of ch2 as .nii, so that the tool
# itself costs almost nothing), run plainly, through voxcache run on an empty
# database (a miss: key the input, run, store the output), and again after
# deleting the output (a hit: write the output back, replay). Medians of REPS.
#
#   benchmarks/run_overhead.sh [BUILD_DIR] [REPS]
set -euo pipefail
shopt -s inherit_errexit
build=$(cd "${1:-build}" && pwd)
reps=${2:-11}
vox="$build/voxcache"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
gunzip -c /usr/share/mricron/templates/ch2.nii.gz >t1.nii
touch -d '1 hour ago' t1.nii  # an input that has settled, as a pipeline's raw data has
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
plain=() miss=() hit=()
for r in $(seq "$reps"); do
  rm -f cache.db* out.nii
  t0=$(now); cp t1.nii out.nii; t1=$(now)
  plain+=($(((t1 - t0) / 1000)))
  rm -f out.nii
  t0=$(now); "$vox" --db cache.db run --in t1.nii --out out.nii -- cp t1.nii out.nii; t1=$(now)
  miss+=($(((t1 - t0) / 1000)))
  cp out.nii first.nii && rm -f out.nii
  t0=$(now); "$vox" --db cache.db run --in t1.nii --out out.nii -- cp t1.nii out.nii; t1=$(now)
  hit+=($(((t1 - t0) / 1000)))
  cmp -s out.nii first.nii || { echo "run_overhead: the hit's output differs" >&2; exit 1; }
done
p=$(printf '%s\n' "${plain[@]}" | median)
m=$(printf '%s\n' "${miss[@]}" | median)
h=$(printf '%s\n' "${hit[@]}" | median)
echo "7.1 MB NIfTI output, medians of $reps (ms): plain cp $((p / 1000)).$(((p % 1000) / 100)), " \
  "miss $((m / 1000)).$(((m % 1000) / 100)) (+$(((m - p) / 1000)) ms), " \
  "hit $((h / 1000)).$(((h % 1000) / 100)) (+$(((h - p) / 1000)) ms)"
