#!/usr/bin/env python3
"""The dependency rules of docs/architecture.md, checked on every source file:
each folder of src/ includes only the folders below it, the public headers
name no dependency's types, and the programs and bindings over the public
API (cli, demo, python, itk) include nothing private. A new include that runs
back up a layer fails here, with the file and line.

Usage: layering_test.py SOURCE_DIR"""

import pathlib
import re
import sys

# Folder -> the project folders its files may include ("voxcache" is the
# public API in include/voxcache/).
ALLOWED = {
    "util": {"util", "voxcache"},
    "key": {"key", "util", "voxcache"},
    "value": {"value", "util", "voxcache"},
    "codec": {"codec", "value", "key", "util", "voxcache"},
    "store": {"store", "util", "voxcache"},
    "tier": {"tier", "store", "codec", "util", "voxcache"},
    "cache": {"cache", "tier", "codec", "store", "key", "value", "util", "voxcache"},
    "itk": {"itk", "voxcache"},
    "python": {"python", "voxcache"},
    "cli": {"cli", "voxcache"},
    "demo": {"voxcache"},
}
# Below the facade nothing needs the Cache class; in cache/ only the facade
# and the way it is opened do (the result types are in records.h).
FACADE = {"voxcache/cache.h", "voxcache/admin.h"}
FACADE_USERS = {"src/cache/cache.cc", "src/cache/open.h", "src/cache/open.cc",
                "src/cache/admin.h", "src/cache/admin.cc"}
BELOW_FACADE = {"util", "key", "value", "codec", "store", "tier", "cache"}
# What a public header may include: the standard library, its own headers,
# and for the ITK adapter ITK's.
PUBLIC_OK = re.compile(r'^(voxcache/[a-z_]+\.h|[a-z_]+(\.h)?|itk[A-Za-z0-9_]+\.h)$')

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def main(root: pathlib.Path) -> int:
    problems = []
    for path in sorted((root / "src").rglob("*")):
        if path.suffix not in (".cc", ".h"):
            continue
        rel = path.relative_to(root).as_posix()
        folder = path.relative_to(root / "src").parts[0]
        allowed = ALLOWED.get(folder)
        if allowed is None:
            problems.append(f"{rel}: folder src/{folder} has no rule here")
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m or m.group(1) != '"':
                continue
            target = m.group(2)
            top = target.split("/")[0] if "/" in target else None
            if top is None:
                problems.append(f"{rel}:{n}: include \"{target}\" without its folder")
            elif top not in allowed:
                problems.append(f"{rel}:{n}: src/{folder} includes {target}, above it")
            elif (target in FACADE and folder in BELOW_FACADE and rel not in FACADE_USERS):
                problems.append(f"{rel}:{n}: includes {target} below the facade "
                                "(the result types are in voxcache/records.h)")
    for path in sorted((root / "include" / "voxcache").glob("*.h")):
        rel = path.relative_to(root).as_posix()
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if m and not PUBLIC_OK.match(m.group(2)):
                problems.append(f"{rel}:{n}: a public header includes {m.group(2)}")
    for p in problems:
        print(p)
    print(f"layering: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
