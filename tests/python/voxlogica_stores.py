"""VoxLogicA-2 results stores written the way VoxLogicA-2 writes them, for
the migration tests and benchmark.

- ``LegacyStore``: the pickle store of VoxLogicA-2 before its storage rewrite
  (commit 2bd2cae^, storage.py): ``pickle.dumps(value)``, its tables,
  WAL mode, ``INSERT OR IGNORE``.
- ``CurrentStore``: SQLiteResultsDatabase.put_success (storage.py) with
  pod_codec's encodings: a ``results`` row per node, binary payloads in
  ``<db>.files/<node_id>.bin``.
- ``Image`` and ``simpleitk_module``: a SimpleITK stand-in (Debian 12 has
  no SimpleITK) registered as ``SimpleITK.SimpleITK.Image``, whose
  ``__reduce_ex__`` is SimpleITK's (Wrapping/Python/sitkImage.i), so that
  ``pickle`` emits the same stream as for a real image.
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


class Image:
    """SimpleITK.Image, as voxcache's backend and VoxLogicA-2 use it: pixels
    in (z, y, x[, c]) order (``array``), the geometry of an image of its
    dimension, and SimpleITK's pickling (sitkImage.i, protocol < 5):
    ``__reduce_ex__`` gives ``(Image, (size, pixel_id, components), (0,
    buffer, origin, spacing, direction, metadata))`` and unpickling calls
    ``Image(size, pixel_id, components)`` and ``__setstate__``."""

    def __init__(self, *args):
        self.array, self.vector, self.metadata = None, False, {}
        self.size = None  # a test's lie about the size in the pickle; None: the array's
        if len(args) == 3:  # unpickling: what __setstate__ fills in
            self._pickled = args

    @classmethod
    def of(cls, array, vector=False, spacing=None, origin=None, direction=None, metadata=None):
        image = cls()
        image.array = np.ascontiguousarray(array)
        image.vector = vector
        dim = image.dim
        image.spacing = tuple(spacing or (1.0,) * dim)
        image.origin = tuple(origin or (0.0,) * dim)
        image.direction = tuple(direction or tuple(np.eye(dim).reshape(-1)))
        image.metadata = dict(metadata or {})
        return image

    @property
    def dim(self):
        return self.array.ndim - (1 if self.vector else 0)

    def GetDimension(self):
        return self.dim

    def GetNumberOfComponentsPerPixel(self):
        return self.array.shape[-1] if self.vector else 1

    def GetSpacing(self):
        return self.spacing

    def GetOrigin(self):
        return self.origin

    def GetDirection(self):
        return self.direction

    def SetSpacing(self, v):
        self.spacing = tuple(v)

    def SetOrigin(self, v):
        self.origin = tuple(v)

    def SetDirection(self, v):
        self.direction = tuple(v)

    def __reduce_ex__(self, protocol):
        size = self.size or tuple(reversed(self.array.shape[:self.dim]))
        pixel_id = PIXEL_IDS[self.array.dtype] + (12 if self.vector else 0)
        state = (0, self.array.tobytes(), tuple(self.origin), tuple(self.spacing),
                 tuple(self.direction), dict(self.metadata))
        return self.__class__, (size, pixel_id, self.GetNumberOfComponentsPerPixel()), state

    def __setstate__(self, state):  # SimpleITK's _SetImageFromArray copies
        size, pixel_id, components = self._pickled
        dtype = {i: d for d, i in PIXEL_IDS.items()}[pixel_id % 12 if pixel_id >= 12 else pixel_id]
        self.vector = pixel_id >= 12
        shape = tuple(reversed(size)) + ((components,) if self.vector else ())
        self.array = np.frombuffer(state[1], dtype).reshape(shape).copy()
        self.origin, self.spacing, self.direction = state[2], state[3], state[4]
        self.metadata = dict(state[5])


Image.__module__ = "SimpleITK.SimpleITK"  # where pickle looks it up, as SimpleITK's


def simpleitk_module():
    """A stand-in SimpleITK package (and its SimpleITK.SimpleITK module):
    Image and the array calls, copying where SimpleITK copies
    (GetImageFromArray, GetArrayFromImage) and viewing, read-only, where
    it views (GetArrayViewFromImage)."""
    package = types.ModuleType("SimpleITK")
    inner = types.ModuleType("SimpleITK.SimpleITK")
    package.Image = inner.Image = Image

    def view(image):
        v = image.array.view()
        v.flags.writeable = False
        return v

    package.GetImageFromArray = lambda array, isVector=False: Image.of(np.array(array), isVector)
    package.GetArrayFromImage = lambda image: image.array.copy()
    package.GetArrayViewFromImage = view
    return package, inner


def sitk_image(array, *, vector=False, spacing=None, origin=None, direction=None,
               metadata=None):
    """An image that pickles as SimpleITK's does."""
    return Image.of(array, vector, spacing, origin, direction, metadata)


def pickled(value):
    """pickle.dumps(value) as VoxLogicA did, protocol 4, with the stand-in
    importable under SimpleITK's name while it runs."""
    package, inner = simpleitk_module()
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
        self.store_blob(operation_id, pickled(value), type(value).__name__, metadata)

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
