#!/bin/bash
# pip install --no-build-isolation of the repository into a fresh virtual
# environment (Debian's site packages visible: numpy, nibabel), without a
# package index, then an import and a round trip from outside the tree, and
# the voxcache command the install puts on the environment's PATH.
# Usage: pip_install_test.sh SOURCE_DIR BUILD_DIR PYTHON
set -euo pipefail
src=$1 build=$2 py=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A copy of what the package is built from, so that setuptools' build/ and
# egg-info land there and not in the tree under test.
mkdir "$work/src"
for f in CMakeLists.txt LICENSE README.md cmake docs examples include packaging python src \
         setup.py pyproject.toml web; do
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

# The command: installed beside the interpreter, the C++ binary inside the
# package, reading what the package wrote.
[[ -x "$work/venv/bin/voxcache" ]] || { echo "pip installed no voxcache command" >&2; exit 1; }
"$work/venv/bin/voxcache" --version | grep -q "^voxcache 0.1.0 " ||
  { echo "the installed voxcache command does not run" >&2; exit 1; }
listed=$(PATH="$work/venv/bin:$PATH" voxcache --db "$work/pip.db" ls --json)
"$work/venv/bin/python" - "$listed" <<'PY'
import json, sys
entries = json.loads(sys.argv[1])
assert len(entries) == 1 and entries[0]["volume"]["size"] == [5, 4, 3], entries
print("the installed voxcache command lists", entries[0]["key"][:16])
PY
# It hands import-store this interpreter, which has the package.
"$work/venv/bin/python" - "$work" <<'PY'
import os, subprocess, sys
out = subprocess.run([sys.argv[1] + "/venv/bin/voxcache", "--db", sys.argv[1] + "/pip.db",
                      "import-store", "voxlogica", sys.argv[1] + "/absent.db"],
                     capture_output=True, text=True, env={k: v for k, v in os.environ.items()
                                                          if k not in ("VOXCACHE_PYTHON", "PYTHONPATH")})
# The importer ran (in the venv's interpreter; Debian's python3 has no
# voxcache package) and refused a missing store.
assert "no VoxLogicA-2 store at" in out.stderr, (out.returncode, out.stderr)
assert "needs the voxcache Python package" not in out.stderr, out.stderr
PY
echo "pip install: the package and the voxcache command work"
