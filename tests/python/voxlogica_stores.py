"""VoxLogicA-2 results stores written the way VoxLogicA-2 writes them, for
the migration tests and benchmark.

- ``LegacyStore``: the pickle store of VoxLogicA-2 before its storage rewrite
  (commit 2bd2cae^, storage.py): ``pickle.dumps(value)``, its tables,
  WAL mode, ``INSERT OR IGNORE``.
- ``CurrentStore``: SQLiteResultsDatabase.put_success (storage.py) with
  pod_codec's encodings: a ``results`` row per node, binary payloads in
  ``<db>.files/<node_id>.bin``.
- ``sitk_image``: a SimpleITK image stand-in registered as
  ``SimpleITK.SimpleITK.Image``, whose ``__reduce_ex__`` is SimpleITK's
  (Wrapping/Python/sitkImage.i), so that ``pickle`` emits the same stream
  as for a real image.
"""

import json
import pickle
import sqlite3
import sys
import time
import types
from pathlib import Path

import numpy as np

# PixelIDValueEnum with 64-bit ids (sitkPixelIDTypeLists.h).
PIXEL_IDS = {np.dtype(n): i for i, n in enumerate(
    ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32",
     "float64"])}
PIXEL_IDS.update({np.dtype("complex64"): 10, np.dtype("complex128"): 11})


class _SitkImage:
    """Pixels in SimpleITK's buffer order (x fastest) and geometry."""

    def __init__(self, array, vector, spacing, origin, direction, metadata):
        self.array = np.ascontiguousarray(array)
        self.vector = vector
        self.dim = self.array.ndim - (1 if vector else 0)
        self.spacing, self.origin, self.direction = spacing, origin, direction
        self.metadata = metadata
        self.size = None  # a test's lie about the size; None: the array's

    # SimpleITK's Image.__reduce_ex__, as sitkImage.i has it (protocol < 5).
    def __reduce_ex__(self, protocol):
        size = self.size or tuple(reversed(self.array.shape[:self.dim]))
        pixel_id = PIXEL_IDS[self.array.dtype] + (12 if self.vector else 0)
        ncomponents = self.array.shape[-1] if self.vector else 1
        state = (0, self.array.tobytes(), tuple(self.origin), tuple(self.spacing),
                 tuple(self.direction), dict(self.metadata))
        return self.__class__, (size, pixel_id, ncomponents), state


def _register():
    package = sys.modules.get("SimpleITK") or types.ModuleType("SimpleITK")
    inner = types.ModuleType("SimpleITK.SimpleITK")
    _SitkImage.__module__ = "SimpleITK.SimpleITK"
    _SitkImage.__qualname__ = _SitkImage.__name__ = "Image"
    inner.Image = _SitkImage
    return package, inner


def sitk_image(array, *, vector=False, spacing=None, origin=None, direction=None,
               metadata=None):
    """An image that pickles as SimpleITK's does. pickle looks the class up
    as SimpleITK.SimpleITK.Image, so the modules are registered while it is
    pickled (``pickled``)."""
    dim = np.asarray(array).ndim - (1 if vector else 0)
    return _SitkImage(array, vector, spacing or (1.0,) * dim, origin or (0.0,) * dim,
                      direction or tuple(np.eye(dim).reshape(-1)), metadata or {})


def pickled(value):
    """pickle.dumps(value) as VoxLogicA did, protocol 4, with the stand-in
    importable under SimpleITK's name while it runs."""
    package, inner = _register()
    saved = {n: sys.modules.get(n) for n in ("SimpleITK", "SimpleITK.SimpleITK")}
    sys.modules["SimpleITK"], sys.modules["SimpleITK.SimpleITK"] = package, inner
    try:
        return pickle.dumps(value, protocol=4)
    finally:
        for n, m in saved.items():
            if m is None:
                sys.modules.pop(n, None)
            else:
                sys.modules[n] = m


class LegacyStore:
    def __init__(self, path):
        self.path = Path(path)
        self.conn = sqlite3.connect(str(self.path), isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("""CREATE TABLE IF NOT EXISTS results (
            operation_id TEXT PRIMARY KEY, data BLOB NOT NULL, data_type TEXT NOT NULL,
            created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, size_bytes INTEGER,
            metadata TEXT)""")
        self.conn.execute("""CREATE TABLE IF NOT EXISTS execution_state (
            operation_id TEXT PRIMARY KEY, status TEXT NOT NULL, started_at TIMESTAMP,
            completed_at TIMESTAMP, error_message TEXT, worker_id TEXT)""")
        self.conn.execute("CREATE INDEX IF NOT EXISTS idx_results_created_at "
                          "ON results(created_at)")

    def store(self, operation_id, value, metadata=None):
        self.store_blob(operation_id, pickled(value), type(value).__name__
                        if not isinstance(value, _SitkImage) else "Image", metadata)

    def store_blob(self, operation_id, blob, data_type, metadata=None):
        self.conn.execute(
            "INSERT OR IGNORE INTO results (operation_id, data, data_type, size_bytes, "
            "metadata) VALUES (?, ?, ?, ?, ?)",
            (operation_id, blob, data_type, len(blob),
             json.dumps(metadata) if metadata else None))

    def close(self):
        self.conn.close()


def _dumps(value):  # pod_codec.dumps_json
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


class CurrentStore:
    def __init__(self, path, runtime_version="2.1.0"):
        self.path = Path(path)
        self.files = self.path.with_suffix(self.path.suffix + ".files")
        self.files.mkdir(parents=True, exist_ok=True)
        self.runtime_version = runtime_version
        self.conn = sqlite3.connect(str(self.path), isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("""CREATE TABLE results (
            node_id TEXT PRIMARY KEY, status TEXT NOT NULL, format_version TEXT NOT NULL,
            vox_type TEXT, descriptor_json TEXT NOT NULL, payload_json TEXT NOT NULL,
            payload_file TEXT, error TEXT, metadata_json TEXT NOT NULL,
            expression_json TEXT NOT NULL, dependencies_json TEXT NOT NULL,
            runtime_version TEXT NOT NULL, created_at REAL NOT NULL,
            updated_at REAL NOT NULL)""")
        self.conn.execute("CREATE INDEX idx_results_status ON results(status)")
        self.conn.execute("PRAGMA user_version = 2")

    def row(self, node_id, vox_type, payload_json, payload_bin=None, *, status="materialized",
            metadata=None, expression=None, dependencies=(), payload_file=None):
        if payload_bin is not None:
            payload_file = payload_file or f"{node_id}.bin"
            (self.files / payload_file).write_bytes(payload_bin)
        now = time.time()
        self.conn.execute(
            "INSERT INTO results (node_id, status, format_version, vox_type, descriptor_json, "
            "payload_json, payload_file, error, metadata_json, expression_json, "
            "dependencies_json, runtime_version, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (node_id, status, "voxpod/1", vox_type, _dumps({"vox_type": vox_type}),
             _dumps(payload_json), payload_file, None, _dumps(dict(metadata or {})),
             _dumps(expression or {}), _dumps({"dependencies": list(dependencies)}),
             self.runtime_version, now - 10, now))

    # pod_codec.encode_for_storage, kind by kind.
    def put_scalar(self, node_id, vox_type, value, **kw):
        self.row(node_id, vox_type, {"encoding": "scalar-json-v1", "value": value}, **kw)

    def put_array(self, node_id, array, **kw):
        self.row(node_id, "ndarray", {"encoding": "ndarray-binary-v1", "dtype": str(array.dtype),
                                      "shape": list(array.shape), "order": "C",
                                      "byte_order": "little"}, array.tobytes(), **kw)

    def put_image(self, node_id, image, **kw):
        meta = {"runtime": "simpleitk", "spacing": [float(v) for v in image.spacing],
                "origin": [float(v) for v in image.origin],
                "direction": [float(v) for v in image.direction],
                "components": image.array.shape[-1] if image.vector else 1}
        self.row(node_id, "image", {"encoding": "image-array-binary-v1",
                                    "dtype": str(image.array.dtype),
                                    "shape": list(image.array.shape), "order": "C",
                                    "byte_order": "little", "metadata": meta},
                 image.array.tobytes(), **kw)

    def close(self):
        self.conn.close()
