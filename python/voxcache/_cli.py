"""The ``voxcache`` command a pip install puts on PATH: the C++ command,
built with the package (setup.py) and kept inside it as ``voxcache/bin``.
This only hands over to it; the command and its options are docs/cli.md."""

import os
import sys

_MISSING = (
    "voxcache: this install of the Python package has no voxcache command: it was "
    "built without ITK 5, which the command needs for image files.\n"
    "Install libinsighttoolkit5-dev, libcli11-dev and libcpp-httplib-dev "
    "(Debian), then pip install the package again.\n")


def main() -> int:
    exe = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bin", "voxcache")
    if not os.access(exe, os.X_OK):
        sys.stderr.write(_MISSING)
        return 1
    # import-store runs this package's importer: in this interpreter, which
    # has the package, not whichever python3 comes first on PATH.
    os.environ.setdefault("VOXCACHE_PYTHON", sys.executable)
    os.execv(exe, ["voxcache", *sys.argv[1:]])
    return 1  # not reached: execv replaces this process or raises


if __name__ == "__main__":
    sys.exit(main())
