"""VoxLogicA-2's results store on voxcache (docs/python.md, "Switching
VoxLogicA-2"). The switch is one line::

    from voxlogica.storage import set_storage
    from voxcache.integrations.voxlogica import VoxcacheResultsDatabase

    set_storage(VoxcacheResultsDatabase())

``VoxcacheResultsDatabase`` answers VoxLogicA-2's ``StorageBackend`` calls
(``has``, ``get_record``, ``put_definition``, ``put_plan_definitions``,
``put_success``, ``delete``, ``clear``, ``close``) with records of the
fields and meaning of its ``ResultRecord``. A node id is already a SHA-256
of the node (``voxlogica.lazy.hash``): it is the entry's key as it is, never
hashed again. Images are stored as volumes with their geometry, arrays as
arrays, the rest as voxcache's own value kinds; nothing is pickled.

Importing this module needs neither VoxLogicA nor SimpleITK: a SimpleITK
image is recognised by its type, and an image is given back as a SimpleITK
image when SimpleITK can be imported, else as a ``voxcache.Volume``.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import threading
import time
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from voxcache._cache import Cache
from voxcache._core import Key
from voxcache._volume import Volume

MATERIALIZED_STATUS = "materialized"
VOX_FORMAT_VERSION = "voxpod/1"
_NODE_ID = re.compile(r"[0-9a-f]{64}")
# The metadata member this backend keeps its record in, beside nothing else.
_RECORD = "voxlogica"


def _voxlogica_record_class() -> Any:
    try:
        return importlib.import_module("voxlogica.storage").ResultRecord
    except Exception:  # VoxLogicA not installed (or not importable): our own
        return None


@dataclasses.dataclass(frozen=True)
class _ResultRecord:
    """VoxLogicA-2's ``ResultRecord``, field for field, for when VoxLogicA
    itself cannot be imported."""

    node_id: str
    status: str
    payload_bin: Optional[bytes]
    format_version: str = VOX_FORMAT_VERSION
    vox_type: Optional[str] = None
    descriptor: Dict[str, Any] = dataclasses.field(default_factory=dict)
    payload_json: Dict[str, Any] = dataclasses.field(default_factory=dict)
    value: Any = None
    error: Optional[str] = None
    metadata: Dict[str, Any] = dataclasses.field(default_factory=dict)
    expression: Dict[str, Any] = dataclasses.field(default_factory=dict)
    dependencies: List[str] = dataclasses.field(default_factory=list)
    created_at: float = 0.0
    updated_at: float = 0.0
    runtime_version: str = "unknown"


ResultRecord: Any = _voxlogica_record_class() or _ResultRecord


def _key(node_id: str) -> Key:
    if not isinstance(node_id, str) or not _NODE_ID.fullmatch(node_id):
        raise ValueError(f"a VoxLogicA node id is 64 lower-case hex digits, got {node_id!r}")
    return Key.from_hex(node_id)


def _is_simpleitk_image(value: Any) -> bool:
    t = type(value)
    return t.__module__.split(".")[0] == "SimpleITK" and t.__name__ == "Image"


def _from_simpleitk(image: Any) -> Tuple[Volume, Dict[str, Any]]:
    """A SimpleITK image as a Volume (a 2D image stays 2D, a vector image
    keeps its components) and what VoxLogicA records of it."""
    sitk = importlib.import_module(type(image).__module__.split(".")[0])
    array = sitk.GetArrayViewFromImage(image)  # (z, y, x[, c]): a view, read once by the put
    dimension = int(image.GetDimension())
    components = int(image.GetNumberOfComponentsPerPixel())
    spacing = [float(v) for v in image.GetSpacing()]
    origin = [float(v) for v in image.GetOrigin()]
    direction = [float(v) for v in image.GetDirection()]
    volume = Volume(np.ascontiguousarray(array), spacing=spacing, origin=origin,
                    direction=direction, dimension=dimension)
    return volume, {"runtime": "simpleitk", "spacing": spacing, "origin": origin,
                    "direction": direction, "components": components}


def _to_simpleitk(volume: Volume, image: Dict[str, Any]) -> Any:
    """The SimpleITK image a Volume was, when SimpleITK is there; else the
    Volume itself, geometry and all."""
    try:
        sitk = importlib.import_module("SimpleITK")
    except ImportError:
        return volume
    out = sitk.GetImageFromArray(volume.array, isVector=int(image.get("components", 1)) > 1)
    for setter, name in (("SetSpacing", "spacing"), ("SetOrigin", "origin"),
                         ("SetDirection", "direction")):
        if isinstance(image.get(name), list):
            getattr(out, setter)(tuple(float(v) for v in image[name]))
    return out


def _vox_type(value: Any) -> str:
    """VoxLogicA's name for the kind of a runtime value (pod_codec)."""
    if value is None:
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return "boolean"
    if isinstance(value, (int, np.integer)):
        return "integer"
    if isinstance(value, (float, np.floating)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "bytes"
    if isinstance(value, Volume) or _is_simpleitk_image(value):
        return "image"
    if isinstance(value, np.ndarray):
        return "ndarray"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "sequence"
    return type(value).__name__


def _node_payload(node: Any) -> Dict[str, Any]:
    """voxlogica.lazy.hash.node_payload when VoxLogicA is there; else the
    same fields read from the node."""
    try:
        return dict(importlib.import_module("voxlogica.lazy.hash").node_payload(node))
    except ImportError:
        return {"kind": getattr(node, "kind", None), "operator": getattr(node, "operator", None),
                "args": list(getattr(node, "args", ())),
                "kwargs": [[k, v] for k, v in sorted(getattr(node, "kwargs", ()))],
                "attrs": dict(getattr(node, "attrs", None) or {}),
                "output_kind": getattr(node, "output_kind", None)}


def _dependencies(node: Any) -> List[str]:
    return list(getattr(node, "args", ())) + [v for _k, v in getattr(node, "kwargs", ())]


class VoxcacheResultsDatabase:
    """VoxLogicA-2's results database on one voxcache database.

    ``db_path``: the database file (None: voxcache's default path,
    ``$VOXCACHE_DIR/cache.db``); ``runtime_version``: recorded with every
    result, as VoxLogicA's own store does; ``options``: voxcache.Cache's
    (``max_bytes``, ``remote``, ...). Thread-safe.

    A second ``put_success`` of a node replaces its value and metadata in
    one transaction (``put(replace=True)``), as VoxLogicA's store does;
    with a ``remote`` the first value stays (replace is local only), which
    for a node id that hashes its computation is the same result.
    """

    def __init__(self, db_path: Any = None, runtime_version: Optional[str] = None,
                 **options: Any) -> None:
        self.runtime_version = runtime_version or "unknown"
        self._cache = Cache(db_path, **options)
        self._remote = bool(options.get("remote"))
        self._lock = threading.Lock()
        self._definitions: Dict[str, Tuple[Dict[str, Any], List[str]]] = {}

    @property
    def cache(self) -> Cache:
        """The voxcache.Cache underneath, for inspection and management."""
        return self._cache

    def has(self, node_id: str) -> bool:
        return _key(node_id) in self._cache

    def put_definition(self, node_id: str, node: Any) -> None:
        """Keeps the node's expression and dependencies for its result's
        record (they are stored with the value by put_success)."""
        _key(node_id)
        with self._lock:
            self._definitions[node_id] = (_node_payload(node), _dependencies(node))

    def put_plan_definitions(self, plan: Any) -> None:
        for node_id, node in dict(plan.nodes).items():
            self.put_definition(node_id, node)

    def put_success(self, node_id: str, value: Any,
                    metadata: Optional[Dict[str, Any]] = None) -> None:
        key = _key(node_id)
        image: Optional[Dict[str, Any]] = None
        stored = value
        if _is_simpleitk_image(value):
            stored, image = _from_simpleitk(value)
        elif isinstance(value, Volume):
            image = {"runtime": "voxcache"}
        with self._lock:
            expression, dependencies = self._definitions.get(node_id, ({}, []))
        now = time.time()
        created_at = now
        try:  # a replaced result keeps when it was first made, as VoxLogicA's store
            created_at = float(_record_of(self._cache.info(key)).get("created_at", now))
        except KeyError:
            pass
        write_result(self._cache, key, stored, vox_type=_vox_type(value), image=image,
                     metadata=metadata, expression=expression, dependencies=dependencies,
                     runtime_version=self.runtime_version, created_at=created_at,
                     updated_at=now, replace=not self._remote)

    def get_record(self, node_id: str) -> Any:
        key = _key(node_id)
        try:
            value, info = self._cache.get(key, with_info=True)
        except KeyError:
            return None
        record = _record_of(info)
        image = record.get("image")
        if isinstance(value, Volume) and isinstance(image, dict) and image.get(
                "runtime") == "simpleitk":
            value = _to_simpleitk(value, image)
        summary: Dict[str, Any] = {}
        if isinstance(info.get("volume"), dict):
            summary = {"dtype": info["volume"]["dtype"], "shape": list(info["volume"]["shape"])}
        elif isinstance(value, np.ndarray):
            summary = {"dtype": str(value.dtype), "shape": list(value.shape)}
        vox_type = str(record.get("vox_type") or _vox_type(value))
        return ResultRecord(
            node_id=node_id,
            status=str(record.get("status", MATERIALIZED_STATUS)),
            # voxcache keeps the bytes compressed and checked; the value is
            # decoded already.
            payload_bin=None,
            format_version=str(record.get("format_version", VOX_FORMAT_VERSION)),
            vox_type=vox_type,
            descriptor={"vox_type": vox_type, "summary": summary},
            payload_json={"encoding": "voxcache", "data_type": info["data_type"]},
            value=value,
            error=None,
            metadata=dict(record.get("metadata") or {}),
            expression=dict(record.get("expression") or {}),
            dependencies=list(info.get("inputs") or []),
            created_at=float(record.get("created_at", info["created_at_ms"] / 1000.0)),
            updated_at=float(record.get("updated_at", info["created_at_ms"] / 1000.0)),
            runtime_version=str(record.get("runtime_version", "unknown")),
        )

    def delete(self, node_id: str) -> None:
        try:
            self._cache.erase(_key(node_id))
        except KeyError:  # VoxLogicA's delete of an unknown id is no error
            pass

    def clear(self) -> None:
        self._cache.clear()
        with self._lock:
            self._definitions.clear()

    def close(self) -> None:
        self._cache.close()

    def __enter__(self) -> "VoxcacheResultsDatabase":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def write_result(cache: Cache, key: Key, stored: Any, *, vox_type: str,
                 image: Optional[Dict[str, Any]], metadata: Optional[Dict[str, Any]],
                 expression: Dict[str, Any], dependencies: List[Any], runtime_version: str,
                 created_at: float, updated_at: float, replace: bool,
                 provenance: Optional[Dict[str, Any]] = None) -> bool:
    """Stores one VoxLogicA result the way get_record reads it back: the
    value under the node id, the record in the entry's metadata, the
    dependencies that are node ids as lineage. put_success and migrate
    (the import of an existing store) both write through here."""
    record: Dict[str, Any] = {
        "status": MATERIALIZED_STATUS, "format_version": VOX_FORMAT_VERSION,
        "vox_type": vox_type, "metadata": dict(metadata or {}), "expression": expression,
        "runtime_version": runtime_version, "created_at": created_at, "updated_at": updated_at}
    if image is not None:
        record["image"] = image
    if provenance is not None:
        record["migrated_from"] = provenance
    inputs = [Key.from_hex(d) for d in dependencies if isinstance(d, str)
              and _NODE_ID.fullmatch(d)]
    return cache.put(key, stored, metadata={_RECORD: record}, inputs=inputs, replace=replace)


def migrate(src: Any, cache: Any, *, dry_run: bool = False) -> Dict[str, Any]:
    """Copies every result of an existing VoxLogicA-2 store at ``src`` (its
    legacy pickle store or its current one, found by its tables) into
    ``cache`` (a voxcache.Cache or a VoxcacheResultsDatabase); returns the
    summary. The source is only read; pickles are decoded without running
    them; a run copies only what is not there yet. See docs/python.md."""
    from voxcache.integrations._voxlogica_migrate import migrate as run

    return run(src, cache.cache if isinstance(cache, VoxcacheResultsDatabase) else cache,
               dry_run=dry_run)


def _record_of(info: Dict[str, Any]) -> Dict[str, Any]:
    """What put_success kept in the entry's metadata; {} for an entry that
    something else wrote."""
    meta = info.get("metadata")
    record = meta.get(_RECORD) if isinstance(meta, dict) else None
    return record if isinstance(record, dict) else {}
