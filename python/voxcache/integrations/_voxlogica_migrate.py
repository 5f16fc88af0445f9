"""Copying an existing VoxLogicA-2 results store into voxcache:
``voxlogica.migrate`` and ``voxcache import-store voxlogica`` (docs/python.md,
"Switching VoxLogicA-2").

Two store schemas are read, told apart by the columns of their ``results``
table:

- legacy (``~/.voxlogica/storage.db``): ``results(operation_id, data,
  data_type, created_at, size_bytes, metadata)``, ``data`` a pickle, decoded
  by _voxlogica_pickle without running it;
- current (``results.db`` and its ``results.db.files/`` payload folder):
  ``results(node_id, status, vox_type, payload_json, payload_file, ...)``
  with VoxLogicA's pod_codec encodings.

The source is opened read-only (SQLite ``mode=ro``, ``query_only``); rows
are streamed, never all held. An entry already in the cache is not decoded
again, so a second run copies nothing. Each copy is read back from the
database (not from a memory tier) and compared with the source, voxel for
voxel and field for field; one that differs is erased and reported.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import sqlite3
import struct
import urllib.parse
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from voxcache._cache import Cache
from voxcache._core import Key
from voxcache._volume import Volume
from voxcache.integrations import _voxlogica_pickle as vpickle
from voxcache.integrations.voxlogica import _NODE_ID, _vox_type, write_result

_LEGACY = {"operation_id", "data", "data_type", "created_at", "size_bytes", "metadata"}
_CURRENT = {"node_id", "status", "vox_type", "payload_json", "payload_file", "metadata_json",
            "expression_json", "dependencies_json", "runtime_version", "created_at",
            "updated_at"}
_SCALARS: Dict[str, Any] = {"null": type(None), "boolean": bool, "integer": int, "number": (int, float),
            "string": str}


class NotAStore(ValueError):
    """The path is not a VoxLogicA-2 results store."""


class _Skip(Exception):
    """This entry is not copied, for the reason given."""


class _Entry:
    """One source result, decoded: what write_result takes."""

    def __init__(self, node_id: str, source_bytes: int) -> None:
        self.node_id = node_id
        self.source_bytes = source_bytes
        self.vox_type = "unknown"
        self.value: Any = None
        self.image: Optional[Dict[str, Any]] = None
        self.metadata: Dict[str, Any] = {}
        self.expression: Dict[str, Any] = {}
        self.dependencies: List[Any] = []
        self.runtime_version = "unknown"
        self.created_at = 0.0
        self.updated_at = 0.0


def _open_read_only(path: Path) -> sqlite3.Connection:
    """The store, read-only. With no -wal file beside it the store is
    checkpointed and closed, and is opened immutable: SQLite then makes no
    -wal or -shm file, so not a byte of the store's folder changes. With
    one (VoxLogicA is running, or stopped without closing), the rows in the
    WAL are read through it."""
    if not path.is_file():
        raise FileNotFoundError(f"no VoxLogicA-2 store at {path}")
    wal = path.with_name(path.name + "-wal").exists()
    uri = "file:" + urllib.parse.quote(str(path.resolve())) + (
        "?mode=ro" if wal else "?mode=ro&immutable=1")
    conn = sqlite3.connect(uri, uri=True)
    conn.execute("PRAGMA query_only = 1")
    return conn


def _schema(conn: sqlite3.Connection, path: Path) -> str:
    try:
        columns = {str(r[1]) for r in conn.execute("PRAGMA table_info(results)")}
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
    except sqlite3.DatabaseError as e:
        raise NotAStore(f"{path} is not a SQLite database ({e})") from None
    if application_id == 0x56584341:  # "VXCA": its results table has the legacy columns
        raise NotAStore(f"{path} is a voxcache database, not a VoxLogicA-2 store")
    if _LEGACY <= columns:
        return "legacy"
    if _CURRENT <= columns:
        return "current"
    raise NotAStore(f"{path} has no VoxLogicA-2 results table")


def _json_object(text: Any, what: str) -> Dict[str, Any]:
    if text is None or text == "":
        return {}
    try:
        value = json.loads(text)
    except (TypeError, ValueError) as e:
        raise _Skip(f"{what} is not JSON ({e})") from None
    if not isinstance(value, dict):
        raise _Skip(f"{what} is not a JSON object")
    return value


def _timestamp(text: Any) -> Optional[float]:
    # SQLite's CURRENT_TIMESTAMP: "YYYY-MM-DD HH:MM:SS", UTC.
    try:
        t = datetime.datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return t.replace(tzinfo=datetime.timezone.utc).timestamp()


def _storable(value: Any, top: bool, entry: _Entry) -> Any:
    """A decoded legacy value as voxcache stores it: images become Volumes
    (the top-level one keeps its SimpleITK record for get_record)."""
    if isinstance(value, vpickle.PickledImage):
        try:
            volume, record = vpickle.image_volume(value)
        except ValueError as e:
            raise _Skip(str(e)) from None
        if top:
            entry.image = record
        return volume
    if isinstance(value, (list, tuple)):
        return type(value)(_storable(v, False, entry) for v in value)
    if isinstance(value, dict):
        return {k: _storable(v, False, entry) for k, v in value.items()}
    return value


# The legacy data_type column is type(value).__name__; VoxLogicA's names.
_LEGACY_TYPES = {"Image": "image", "float": "number", "int": "integer", "bool": "boolean",
                 "NoneType": "null", "str": "string", "bytes": "bytes", "dict": "mapping",
                 "list": "sequence", "tuple": "sequence", "ndarray": "ndarray"}

# A source row before it is read: (node id, bytes in the source, status,
# the kind the row says it holds).
_Row = Tuple[str, int, Any, str]


def _legacy_rows(conn: sqlite3.Connection) -> Iterator[_Row]:
    for node_id, size, data_type in conn.execute(
            "SELECT operation_id, length(data), data_type FROM results ORDER BY rowid"):
        yield str(node_id), int(size or 0), "materialized", _LEGACY_TYPES.get(
            str(data_type), str(data_type))


def _legacy_entry(conn: sqlite3.Connection, node_id: str, size: int) -> _Entry:
    row = conn.execute("SELECT data, created_at, metadata FROM results WHERE operation_id = ?",
                       (node_id,)).fetchone()
    entry = _Entry(node_id, size)
    data, created, metadata = row
    if not isinstance(data, bytes):
        raise _Skip("data is not a BLOB")
    try:
        value = vpickle.loads(data)
    except vpickle.Refused as e:
        raise _Skip(str(e)) from None
    except Exception as e:  # a damaged pickle: any error the unpickler raises
        raise _Skip(f"damaged pickle ({type(e).__name__}: {e})") from None
    entry.vox_type = "image" if isinstance(value, vpickle.PickledImage) else _vox_type(value)
    entry.value = _storable(value, True, entry)
    entry.metadata = _json_object(metadata, "metadata")
    entry.created_at = entry.updated_at = _timestamp(created) or 0.0
    return entry


_CURRENT_SELECT = ("SELECT status, vox_type, payload_json, payload_file, metadata_json, "
                   "expression_json, dependencies_json, runtime_version, created_at, "
                   "updated_at FROM results WHERE node_id = ?")


def _current_rows(conn: sqlite3.Connection, files: Path) -> Iterator[_Row]:
    for node_id, status, pj, pf, vox_type in conn.execute(
            "SELECT node_id, status, length(payload_json), payload_file, vox_type "
            "FROM results ORDER BY rowid"):
        size = int(pj or 0)
        if isinstance(pf, str) and _plain_name(pf) and (files / pf).is_file():
            size += (files / pf).stat().st_size
        yield str(node_id), size, status, str(vox_type or "unknown")


def _plain_name(name: str) -> bool:
    return name == os.path.basename(name) and name not in ("", ".", "..")


def _payload(files: Path, name: Any, expected: int) -> bytes:
    if not isinstance(name, str) or not _plain_name(name):
        raise _Skip(f"payload file {name!r} is not a file name in {files.name}")
    path = files / name
    try:
        size = path.stat().st_size
    except OSError:
        raise _Skip(f"payload file {name} is missing") from None
    if size != expected:  # checked before anything is read
        raise _Skip(f"payload file {name} has {size} bytes, its header says {expected}")
    return path.read_bytes()


def _array(pj: Dict[str, Any], files: Path, name: Any) -> "np.ndarray[Any, Any]":
    try:
        dtype = np.dtype(str(pj["dtype"]))
        shape = tuple(pj["shape"])
    except (KeyError, TypeError) as e:
        raise _Skip(f"array header is not usable ({e})") from None
    if dtype.kind not in "biuf" or not all(
            isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise _Skip(f"array of dtype {dtype} and shape {shape!r} is not a numeric array")
    if pj.get("order", "C") != "C" or pj.get("byte_order", "little") != "little":
        raise _Skip("array is not C-ordered little-endian")
    count = int(np.prod(shape, dtype=np.int64))
    data = _payload(files, name, count * dtype.itemsize)
    return np.frombuffer(data, dtype=dtype.newbyteorder("<")).reshape(shape).astype(
        dtype.newbyteorder("="), copy=False)


def _image(pj: Dict[str, Any],
           array: "np.ndarray[Any, Any]") -> Tuple[Any, Optional[Dict[str, Any]]]:
    meta = pj.get("metadata") or {}
    if not isinstance(meta, dict) or meta.get("runtime") != "simpleitk":
        return array, None  # VoxLogicA gives such an image back as its array
    components = meta.get("components", 1)
    if not isinstance(components, int) or components < 1:
        raise _Skip("image components is not a positive integer")
    dim = array.ndim - (1 if components > 1 else 0)
    if dim not in (2, 3) or (components > 1 and array.shape[-1] != components):
        raise _Skip(f"image of shape {array.shape} with {components} components is not 2D or 3D")
    record: Dict[str, Any] = {"runtime": "simpleitk", "components": components}
    for name, n in (("spacing", dim), ("origin", dim), ("direction", dim * dim)):
        v = meta.get(name)
        if not isinstance(v, list) or len(v) != n or not all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
            raise _Skip(f"image {name} is not {n} numbers")
        record[name] = [float(x) for x in v]
    volume = Volume(np.ascontiguousarray(array), spacing=record["spacing"],
                    origin=record["origin"], direction=record["direction"], dimension=dim)
    return volume, record


def _current_entry(conn: sqlite3.Connection, files: Path, node_id: str, size: int) -> _Entry:
    (status, vox_type, pj_text, pf, meta, expr, deps, runtime, created,
     updated) = conn.execute(_CURRENT_SELECT, (node_id,)).fetchone()
    entry = _Entry(node_id, size)
    pj = _json_object(pj_text, "payload_json")
    entry.vox_type = vt = str(vox_type or "")
    encoding = pj.get("encoding")
    if vt in _SCALARS and encoding == "scalar-json-v1":
        entry.value = pj.get("value")
        if not isinstance(entry.value, _SCALARS[vt]) or (
                vt in ("integer", "number") and isinstance(entry.value, bool)):
            raise _Skip(f"a {vt} whose value is {type(entry.value).__name__}")
    elif vt == "bytes" and encoding == "bytes-binary-v1":
        length = pj.get("length")
        if not isinstance(length, int) or length < 0:
            raise _Skip("bytes length is not a count")
        entry.value = _payload(files, pf, length)
    elif vt == "ndarray" and encoding == "ndarray-binary-v1":
        entry.value = _array(pj, files, pf)
    elif vt == "image" and encoding == "image-array-binary-v1":
        entry.value, entry.image = _image(pj, _array(pj, files, pf))
    elif vt == "mapping" and encoding == "mapping-json-v1" and isinstance(pj.get("value"), dict):
        entry.value = pj["value"]
    elif vt == "sequence" and encoding == "sequence-json-v1" and isinstance(
            pj.get("value"), list):
        entry.value = pj["value"]
    elif vt == "overlay":
        raise _Skip("an overlay (layers of embedded records) is not migrated")
    else:
        raise _Skip(f"unknown value kind {vt!r} with encoding {encoding!r}")
    entry.metadata = _json_object(meta, "metadata_json")
    entry.expression = _json_object(expr, "expression_json")
    dependencies = _json_object(deps, "dependencies_json").get("dependencies") or []
    entry.dependencies = list(dependencies) if isinstance(dependencies, list) else []
    entry.runtime_version = str(runtime or "unknown")
    for field, v in (("created_at", created), ("updated_at", updated)):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            setattr(entry, field, float(v))
    return entry


def _bits(v: float) -> bytes:
    return struct.pack("<d", v)


def _same(a: Any, b: Any) -> bool:
    """Equal bit for bit: dtype, shape, every voxel, every geometry field,
    and the exact Python type of every other value."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Volume):
        return (_same(a.array, b.array) and a.dimension == b.dimension and all(
            _same(tuple(getattr(a, f)), tuple(getattr(b, f)))
            for f in ("spacing", "origin", "direction")))
    if isinstance(a, np.ndarray):
        return bool(a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes())
    if isinstance(a, float):
        return _bits(a) == _bits(b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, np.generic):
        return bool(a.dtype == b.dtype and a.tobytes() == b.tobytes())
    return bool(a == b)


def migrate(src: Any, cache: Optional[Cache], *, dry_run: bool = False) -> Dict[str, Any]:
    """See voxlogica.migrate. Raises NotAStore or FileNotFoundError for a
    source that is no VoxLogicA-2 store; a bad entry is skipped with its
    reason, an entry that fails its read-back check is erased and counted
    under ``failed``. ``dry_run``: every entry is decoded and checked,
    nothing is written; ``cache`` may then be None (a database not made
    yet, that holds nothing)."""
    if cache is None and not dry_run:
        raise ValueError("migrate needs a cache to copy into")
    path = Path(os.fspath(src))
    conn = _open_read_only(path)
    try:
        schema = _schema(conn, path)
        files = path.with_suffix(path.suffix + ".files")
        summary: Dict[str, Any] = {
            "source": str(path), "schema": schema, "dry_run": dry_run,
            "database": cache.path if cache is not None else None,
            "entries": 0, "copied": 0, "present": 0, "skipped": 0, "failed": 0,
            "by_type": {}, "skips": [], "failures": [], "bytes_before": 0, "bytes_after": 0}
        # Read back through a handle of its own with no memory tier, so that
        # the check compares what the database holds, not the value just put.
        reader = None
        if cache is not None and not dry_run:
            reader = Cache(cache.path, memory_budget_bytes=0, read_only=True)
        try:
            rows = _legacy_rows(conn) if schema == "legacy" else _current_rows(conn, files)
            for row in rows:
                _one(conn, schema, files, row, cache, reader, summary)
        finally:
            if reader is not None:
                reader.close()
        return summary
    finally:
        conn.close()


def _count(summary: Dict[str, Any], vox_type: str, outcome: str) -> None:
    counts = summary["by_type"].setdefault(vox_type, {"copied": 0, "present": 0,
                                                      "skipped": 0, "failed": 0})
    counts[outcome] += 1
    summary[outcome] += 1


def _one(conn: sqlite3.Connection, schema: str, files: Path, row: _Row,
         cache: Optional[Cache], reader: Optional[Cache], summary: Dict[str, Any]) -> None:
    """Copies one row (reader None: a dry run) and counts what became of it."""
    node_id, size, status, kind = row
    summary["entries"] += 1
    summary["bytes_before"] += size
    if not _NODE_ID.fullmatch(node_id):
        summary["skips"].append({"node_id": node_id, "reason": "not a SHA-256 node id"})
        return _count(summary, kind, "skipped")
    key = Key.from_hex(node_id)
    if cache is not None and key in cache:
        return _count(summary, kind, "present")
    try:
        if schema == "legacy":
            entry = _legacy_entry(conn, node_id, size)
        else:
            if status != "materialized":
                raise _Skip(f"status {status!r}: no value was computed")
            entry = _current_entry(conn, files, node_id, size)
    except _Skip as e:
        summary["skips"].append({"node_id": node_id, "reason": str(e)})
        return _count(summary, kind, "skipped")
    if reader is None or cache is None:  # a dry run: it would be copied
        return _count(summary, entry.vox_type, "copied")
    try:
        wrote = write_result(
            cache, key, entry.value, vox_type=entry.vox_type, image=entry.image,
            metadata=entry.metadata, expression=entry.expression,
            dependencies=entry.dependencies, runtime_version=entry.runtime_version,
            created_at=entry.created_at, updated_at=entry.updated_at, replace=False,
            provenance={"store": summary["source"], "schema": schema})
    except (TypeError, ValueError) as e:  # a value voxcache does not store
        summary["skips"].append({"node_id": node_id, "reason": str(e)})
        return _count(summary, entry.vox_type, "skipped")
    if not wrote:  # another process (VoxLogicA itself) stored the node meanwhile: its entry stays
        return _count(summary, entry.vox_type, "present")
    try:
        back = reader.get(key)
        good = _same(entry.value, back)
        problem = "" if good else "the stored copy differs from the source"
    except Exception as e:  # corruption or I/O reading it back: not a good copy
        good, problem = False, f"reading the copy back failed: {e}"
    if not good:  # the copy is this run's own: it goes, and the next run tries again
        try:
            cache.erase(key)
        except Exception as e:  # noqa: BLE001 (reported with the failure)
            problem += f"; erasing the copy failed too: {e}"
        summary["failures"].append({"node_id": node_id, "reason": problem})
        return _count(summary, entry.vox_type, "failed")
    summary["bytes_after"] += int(cache.info(key)["stored_bytes"])
    _count(summary, entry.vox_type, "copied")
