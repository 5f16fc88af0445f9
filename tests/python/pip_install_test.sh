#!/bin/bash
# pip install --no-build-isolation of the repository into a fresh virtual
# environment (Debian's site packages visible: numpy, nibabel), without a
# package index, then an import and a round trip from outside the tree.
# Usage: pip_install_test.sh SOURCE_DIR BUILD_DIR PYTHON
set -euo pipefail
src=$1 build=$2 py=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A copy of what the package is built from, so that setuptools' build/ and
# egg-info land there and not in the tree under test.
mkdir "$work/src"
for f in CMakeLists.txt LICENSE README.md cmake docs examples include python src setup.py \
         pyproject.toml; do
  cp -r "$src/$f" "$work/src/"
done

"$py" -m venv --system-site-packages "$work/venv"
# The test suite's configured build directory: CMake only relinks the module.
VOXCACHE_CMAKE_BUILD_DIR="$build" "$work/venv/bin/pip" install --quiet --no-build-isolation \
  --no-deps --no-index "$work/src"

cd "$work"
"$work/venv/bin/python" - "$work" <<'PY'
import sys
import numpy as np
import voxcache

assert voxcache.__file__.startswith(sys.argv[1] + "/venv/"), voxcache.__file__
with voxcache.Cache(sys.argv[1] + "/pip.db") as c:
    v = voxcache.Volume(np.arange(60, dtype=np.int16).reshape(3, 4, 5), spacing=(1, 2, 3))
    k = voxcache.content_key(v)
    c.put(k, v)
    assert c.get(k) == v
# The subpackage is installed too.
from voxcache.integrations import voxlogica
assert voxlogica.__file__.startswith(sys.argv[1] + "/venv/"), voxlogica.__file__
print("installed", voxcache.__version__, "at", voxcache.__file__)
PY
shown=$("$work/venv/bin/pip" show voxcache)
grep -x "Version: 0.1.0" <<<"$shown"
