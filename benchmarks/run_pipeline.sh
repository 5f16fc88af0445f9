#!/usr/bin/env bash
# The `voxcache run` benchmark (docs/benchmarks.md section 7): a 3-step shell
# pipeline on ch2, each step a separate program (build/image-step), run
# plainly, then through `voxcache run` on an empty cache (cold) and again
# (warm), with the intermediate files deleted in between.
#
#   benchmarks/run_pipeline.sh [BUILD_DIR] [REPS] [EXT]
#
# EXT is the intermediates' format: .nii.gz (default) or .nii.
set -euo pipefail
shopt -s inherit_errexit
build=$(cd "${1:-build}" && pwd)
reps=${2:-3}
x=${3:-.nii.gz}
vox="$build/voxcache"
step="$build/image-step"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp /usr/share/mricron/templates/ch2.nii.gz "$work/t1.nii.gz"
cd "$work"

pipeline() {  # $1: plain or cached
  $1 --in t1.nii.gz --out smooth$x -- "$step" smooth t1.nii.gz smooth$x
  $1 --in smooth$x --out mask$x -- "$step" otsu smooth$x mask$x
  $1 --in mask$x --out labels$x -- "$step" components mask$x labels$x
}
plain() { shift 5; "$@"; }     # drops "--in X --out Y --"
cached() { "$vox" --db "$work/cache.db" run "$@"; }
seconds() { local t0; t0=$(date +%s.%N); "$@"; echo "$(date +%s.%N) - $t0" | bc; }

for r in $(seq "$reps"); do
  rm -f cache.db* smooth$x mask$x labels$x
  p=$(seconds pipeline plain)
  rm -f smooth$x mask$x labels$x
  c=$(seconds pipeline cached)
  rm -f smooth$x mask$x labels$x
  w=$(seconds pipeline cached)
  # The warm run's outputs hold what the tool writes: same content keys.
  "$step" components mask$x again$x
  [[ "$("$vox" key labels$x | cut -c1-64)" == "$("$vox" key again$x | cut -c1-64)" ]] ||
    { echo "run_pipeline: the warm run's labels differ from the tool's" >&2; exit 1; }
  printf "%s rep %d: plain %.2f s, voxcache run cold %.2f s, warm %.2f s\n" "$x" "$r" "$p" "$c" "$w"
done
