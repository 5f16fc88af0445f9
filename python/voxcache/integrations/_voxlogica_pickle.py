"""Reading the pickles of VoxLogicA-2's legacy results store without running
them (docs/python.md, "Switching VoxLogicA-2").

The legacy store keeps each result as ``pickle.dumps(value)``: SimpleITK
images, numbers, None, strings, numpy arrays and the like. ``pickle.loads``
on such a blob runs whatever callable the stream names, so it is never used
here. ``loads`` below is the standard library's unpickler with ``find_class``
closed to everything but the few globals these stores contain, each replaced
by a checked stand-in:

- ``SimpleITK.SimpleITK.Image``: SimpleITK's ``Image.__reduce_ex__``
  (Wrapping/Python/sitkImage.i) pickles an image as
  ``(Image, (size, pixel_id, components), (0, buffer, origin, spacing,
  direction, metadata))``. The stand-in keeps those fields; ``image_volume``
  turns them into a Volume. SimpleITK is never imported.
- numpy's array, dtype and scalar reconstructors, for numeric dtypes only
  (an object or structured dtype would carry arbitrary objects).

Any other global (``os.system``, ``builtins.eval``, a class of VoxLogicA's)
raises ``Refused`` before anything is called; persistent ids are refused too.
"""

from __future__ import annotations

import io
import pickle
from typing import Any, Dict, Tuple

import numpy as np

from voxcache._volume import Volume

# SimpleITK's PixelIDValueEnum: the index of a pixel type in
# InstantiatedPixelIDTypeList (sitkPixelIDTypeLists.h) as SimpleITK is built
# by default and for its wheels, with 64-bit pixel ids on (SITK_INT64_PIXELIDS).
# Scalar ids 0..9, complex 10..11, vector 12..21, label maps 22..25.
_SCALAR_IDS = ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
               "float32", "float64"]
_COMPLEX_IDS = {10: "complex float32", 11: "complex float64"}
_LABEL_IDS = range(22, 26)
# Where a SimpleITK built without 64-bit pixel ids numbers another type of
# the same size, the buffer's length cannot tell which build wrote it: 7 is
# uint64 here and float64 there, 16 vector int32 here and vector float32
# there. Such an image is refused rather than decoded perhaps wrongly.
_AMBIGUOUS_IDS = {7: "uint64 or float64", 16: "vector int32 or vector float32"}


class Refused(pickle.UnpicklingError):
    """The pickle needs a global that is not admitted; nothing was run."""


class PickledImage:
    """What a pickled SimpleITK image holds, kept as data: the arguments of
    its reduce and the state its ``__setstate__`` would be given."""

    def __init__(self, size: Any, pixel_id: Any, components: Any) -> None:
        self.size = size
        self.pixel_id = pixel_id
        self.components = components
        self.state: Any = None

    def __setstate__(self, state: Any) -> None:
        self.state = state


def _reconstruct(cls: Any, shape: Any, typecode: Any) -> Any:
    if cls is not np.ndarray:
        raise Refused(f"an array of class {cls!r} is not admitted")
    return np.ndarray.__new__(np.ndarray, (0,), np.uint8)


def _dtype(spec: Any, align: Any = False, copy: Any = False) -> "np.dtype[Any]":
    if not isinstance(spec, str):
        raise Refused(f"a numpy dtype from {type(spec).__name__} is not admitted")
    dt = np.dtype(spec)
    if dt.kind not in "biufc":
        raise Refused(f"numpy dtype {spec!r} is not numeric")
    return dt


def _scalar(dtype: Any, data: Any) -> Any:
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biufc" or not isinstance(
            data, bytes) or len(data) != dtype.itemsize:
        raise Refused("a numpy scalar other than a numeric one is not admitted")
    return np.frombuffer(data, dtype=dtype)[0]


_ADMITTED = {
    ("SimpleITK.SimpleITK", "Image"): PickledImage,
    ("SimpleITK", "Image"): PickledImage,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _dtype,
}
for _m in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ADMITTED[(_m, "_reconstruct")] = _reconstruct
    _ADMITTED[(_m, "scalar")] = _scalar


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = _ADMITTED.get((module, name))
        if found is None:
            raise Refused(f"the pickle calls {module}.{name}, which is not admitted: not run")
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise Refused("the pickle refers to a persistent id: not run")


def loads(data: bytes) -> Any:
    """The value of a legacy blob; ``Refused`` for one that needs code run,
    ``pickle.UnpicklingError``/``ValueError`` for a damaged one."""
    return _Unpickler(io.BytesIO(data)).load()


def _floats(v: Any, n: int, what: str) -> Tuple[float, ...]:
    if not isinstance(v, (tuple, list)) or len(v) != n or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in v):
        raise ValueError(f"image {what} is not {n} numbers")
    return tuple(float(x) for x in v)


def image_volume(image: PickledImage) -> Tuple[Volume, Dict[str, Any]]:
    """The Volume a pickled SimpleITK image is, and the image record the
    backend keeps (voxlogica.py); ValueError for what is not a storable
    image. Every size is checked against the buffer before it is used."""
    size, pid, nc = image.size, image.pixel_id, image.components
    if not isinstance(size, tuple) or len(size) not in (2, 3) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in size):
        # (A 4D image's direction is 4x4; a Volume's time axis has none.)
        raise ValueError(f"image size {size!r} is not 2 or 3 positive integers")
    if not isinstance(pid, int) or not isinstance(nc, int) or nc < 1:
        raise ValueError("image pixel id or component count is not an integer")
    if pid in _COMPLEX_IDS:
        raise ValueError(f"{_COMPLEX_IDS[pid]} pixels are not a voxcache volume type")
    if pid in _LABEL_IDS:
        raise ValueError("a label map image is not a voxcache volume type")
    if pid in _AMBIGUOUS_IDS:
        raise ValueError(f"SimpleITK pixel id {pid} is {_AMBIGUOUS_IDS[pid]}, depending on "
                         "how SimpleITK was built: not migrated, rather than perhaps wrong")
    if 0 <= pid < 10:
        dtype, vector = np.dtype(_SCALAR_IDS[pid]), False
    elif 12 <= pid < 22:
        dtype, vector = np.dtype(_SCALAR_IDS[pid - 12]), True
    else:
        raise ValueError(f"unknown SimpleITK pixel id {pid}")
    if not vector and nc != 1:
        raise ValueError(f"a scalar pixel id with {nc} components")
    state = image.state
    if not isinstance(state, tuple) or len(state) != 6 or state[0] != 0:
        raise ValueError("not a version 0 SimpleITK image state")
    _, buffer, origin, spacing, direction, metadata = state
    dim = len(size)
    count = int(np.prod(size, dtype=np.int64)) * nc
    if not isinstance(buffer, (bytes, bytearray)) or len(buffer) != count * dtype.itemsize:
        raise ValueError(f"image buffer is not the {count * dtype.itemsize} bytes of its size")
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("image metadata is not a dict of strings")
    shape = tuple(reversed(size)) + ((nc,) if vector else ())
    array = np.frombuffer(bytes(buffer), dtype=dtype.newbyteorder("<")).reshape(shape)
    geometry = {"spacing": list(_floats(spacing, dim, "spacing")),
                "origin": list(_floats(origin, dim, "origin")),
                "direction": list(_floats(direction, dim * dim, "direction"))}
    record: Dict[str, Any] = {"runtime": "simpleitk", **geometry, "components": nc}
    if metadata:
        record["metadata"] = dict(metadata)
    volume = Volume(array, spacing=geometry["spacing"], origin=geometry["origin"],
                    direction=geometry["direction"], dimension=dim)
    return volume, record
