"""``voxcache import-store``: copies another tool's results store into a
voxcache database. The voxcache command runs this module
(``python3 -m voxcache.integrations.import_store``) with the database it
resolved; docs/cli.md documents the command.

Exit codes, as the voxcache command's: 0 every entry copied, present
already, or skipped with its reason (skips are listed); 1 an entry failed
its read-back check, or the source could not be read; 2 bad usage, or a
source that is not a store of that tool.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

from voxcache._cache import Cache
from voxcache.integrations import _voxlogica_migrate


def _text(s: Dict[str, Any]) -> str:
    verb = "would copy" if s["dry_run"] else "copied"
    lines = [f"{s['source']} ({s['schema']} VoxLogicA-2 store): {s['entries']} entries",
             f"  {verb} {s['copied']}, present already {s['present']}, skipped {s['skipped']}"
             + (f", failed {s['failed']}" if s["failed"] else "")]
    for kind in sorted(s["by_type"]):
        c = s["by_type"][kind]
        lines.append(f"  {kind:10} " + ", ".join(f"{k} {v}" for k, v in c.items() if v))
    lines.append(f"  bytes: {s['bytes_before']} in the source"
                 + ("" if s["dry_run"] else f", {s['bytes_after']} stored for the copies"))
    for what in ("skips", "failures"):
        for item in s[what]:
            lines.append(f"  {what[:-1] if what == 'skips' else 'failed'} {item['node_id']}: "
                         f"{item['reason']}")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="voxcache import-store",
        description="Copy every result of another tool's store into the voxcache database; "
        "the source is only read.")
    parser.add_argument("tool", choices=["voxlogica"], help="the store's tool")
    parser.add_argument("path", help="the store: VoxLogicA-2's storage.db (legacy) or "
                        "results.db (current, with its results.db.files folder)")
    parser.add_argument("--db", required=True, help="the voxcache database to copy into")
    parser.add_argument("--dry-run", action="store_true",
                        help="decode and check every entry, write nothing")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    try:
        cache: Optional[Cache] = None
        if not args.dry_run:
            cache = Cache(args.db)
        elif Path(args.db).exists():
            cache = Cache(args.db, read_only=True)
        try:
            summary = _voxlogica_migrate.migrate(args.path, cache, dry_run=args.dry_run)
        finally:
            if cache is not None:
                cache.close()
    except _voxlogica_migrate.NotAStore as e:
        print(f"voxcache: {e}", file=sys.stderr)
        return 2
    except (OSError, sqlite3.Error, ValueError) as e:
        print(f"voxcache: import-store: {e}", file=sys.stderr)
        return 1
    print(json.dumps(summary, sort_keys=True) if args.json else _text(summary))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
