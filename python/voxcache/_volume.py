"""voxcache.Volume: a NumPy array with the geometry voxcache keeps bit-exact."""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

_IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
# ITK (and voxcache) use LPS world coordinates, NIfTI and nibabel RAS.
_LPS_FROM_RAS = np.diag([-1.0, -1.0, 1.0])


class Volume:
    """An image and its geometry: a 3D volume, a 2D image or a 4D series.

    ``array`` is C-contiguous, x varying fastest as in ITK, NIfTI files and
    voxcache's format, with a last axis for multi-component pixels:

    ============  ===================  ==========================
    dimension     array shape          components
    ============  ===================  ==========================
    2 (image)     ``(y, x)``           ``(y, x, c)``
    3 (volume)    ``(z, y, x)``        ``(z, y, x, c)``
    4 (series)    ``(t, z, y, x)``     ``(t, z, y, x, c)``
    ============  ===================  ==========================

    Without ``dimension`` it is 2 for a 2D array, 3 for a 3D or 4D one
    (the fourth axis components) and 4 for a 5D one; an RGB image of shape
    ``(y, x, 3)`` needs ``dimension=2``. Space is always 3D, as in NIfTI:
    ``spacing`` and ``origin`` are (x, y, z) triples and ``direction`` the
    row-major 3x3 matrix whose columns are the axis directions, as ITK has
    them (the physical point of index (i, j, k) is
    ``origin + direction @ (spacing * (i, j, k))``); a 2D image may give
    two numbers and a 2x2 direction, for the plane z = 0. A series also has
    ``time_spacing`` (NIfTI's TR) and ``time_origin`` (toffset).

    Voxels are (u)int8..64, float32, float64 or bool (a mask). No copy is
    made of ``array``; a Volume read from a cache views the buffer the
    library decoded into, and keeps it alive.
    """

    __slots__ = ("array", "spacing", "origin", "direction", "dimension", "time_spacing",
                 "time_origin")

    def __init__(
        self,
        array: "np.ndarray[Any, Any]",
        spacing: Sequence[float] = (1.0, 1.0, 1.0),
        origin: Sequence[float] = (0.0, 0.0, 0.0),
        direction: Sequence[float] = _IDENTITY,
        *,
        dimension: Optional[int] = None,
        time_spacing: float = 1.0,
        time_origin: float = 0.0,
    ) -> None:
        if not isinstance(array, np.ndarray):
            raise TypeError(f"Volume takes a numpy.ndarray, not {type(array).__name__}")
        if dimension is None:
            dimension = {2: 2, 3: 3, 4: 3, 5: 4}.get(array.ndim, 0)
        if dimension not in (2, 3, 4) or array.ndim not in (dimension, dimension + 1):
            raise ValueError(
                f"a Volume of dimension {dimension} has an array of shape "
                + {2: "(y, x[, c])", 3: "(z, y, x[, c])", 4: "(t, z, y, x[, c])"}.get(
                    dimension, "(y, x), (z, y, x) or (t, z, y, x), with components last")
                + f", got {array.shape}"
            )
        if not array.flags.c_contiguous:
            raise ValueError(
                "Volume.array must be C-contiguous (x fastest); numpy.ascontiguousarray copies it"
            )
        if array.dtype.kind not in "iufb" or (array.dtype.kind == "f" and array.dtype.itemsize < 4):
            raise TypeError(
                "a Volume holds (u)int8..64, float32, float64 or bool voxels, not dtype "
                f"{array.dtype}" + (" (float16)" if array.dtype == np.float16 else "")
            )
        if not array.dtype.isnative:
            # Big-endian data (nibabel loads such files as they are): the
            # same values in this machine's order, a copy. Keys are of values.
            array = array.astype(array.dtype.newbyteorder("="))
        self.array = array
        self.dimension = dimension
        d = np.asarray(direction, dtype=np.float64)
        if dimension == 2:
            # The plane z = 0: two numbers and a 2x2 direction are enough.
            spacing = tuple(spacing) + (1.0,) if len(spacing) == 2 else spacing
            origin = tuple(origin) + (0.0,) if len(origin) == 2 else origin
            if d.size == 4:
                d = np.array([[d.flat[0], d.flat[1], 0.0], [d.flat[2], d.flat[3], 0.0],
                              [0.0, 0.0, 1.0]])
        self.spacing = _floats(spacing, 3, "spacing")
        self.origin = _floats(origin, 3, "origin")
        if d.shape == (3, 3):
            d = d.reshape(9)
        self.direction = _floats(d, 9, "direction")
        self.time_spacing = float(time_spacing)
        self.time_origin = float(time_origin)
        # The checks the C++ Volume makes, here rather than at the first put.
        if not all(np.isfinite(self.spacing)) or 0.0 in self.spacing:
            raise ValueError(f"Volume.spacing must be finite and non-zero, got {self.spacing}")
        if not all(np.isfinite(self.origin)) or not all(np.isfinite(self.direction)):
            raise ValueError("Volume.origin and Volume.direction must be finite")
        if not abs(np.linalg.det(np.reshape(self.direction, (3, 3)))) > 1e-12:
            raise ValueError(
                "the direction matrix is singular: its axes do not span 3D space"
            )
        if dimension != 4 and (_bits((self.time_spacing, self.time_origin)) != _bits((1.0, 0.0))):
            raise ValueError("only a series (dimension 4) has a time axis")
        if not (np.isfinite(self.time_spacing) and np.isfinite(self.time_origin)):
            raise ValueError("Volume.time_spacing and Volume.time_origin must be finite")

    @property
    def shape(self) -> Tuple[int, ...]:
        """The array's shape: (y, x), (z, y, x) or (t, z, y, x), then components."""
        return self.array.shape

    @property
    def size(self) -> Tuple[int, int, int]:
        """Voxels along x, y and z, as ITK counts them (z is 1 for an image)."""
        a = self.array.shape
        if self.dimension == 2:
            return (a[1], a[0], 1)
        if self.dimension == 4:
            return (a[3], a[2], a[1])
        return (a[2], a[1], a[0])

    @property
    def frames(self) -> int:
        """Volumes of a series; 1 for an image or a volume."""
        return self.array.shape[0] if self.dimension == 4 else 1

    @property
    def components(self) -> int:
        return self.array.shape[-1] if self.array.ndim == self.dimension + 1 else 1

    @property
    def xyz(self) -> "np.ndarray[Any, Any]":
        """The voxels indexed [x, y(, z)(, t)(, c)], as nibabel indexes them (a view)."""
        axes = tuple(reversed(range(self.dimension)))
        if self.array.ndim > self.dimension:
            axes += (self.dimension,)
        return self.array.transpose(axes)

    def __eq__(self, other: object) -> bool:
        """Same dtype and voxels, geometry equal bit for bit."""
        if not isinstance(other, Volume):
            return NotImplemented
        return (
            self.array.dtype == other.array.dtype
            and self.array.shape == other.array.shape
            and np.array_equal(self.array.view(np.uint8), other.array.view(np.uint8))
            and _bits(self.spacing) == _bits(other.spacing)
            and _bits(self.origin) == _bits(other.origin)
            and _bits(self.direction) == _bits(other.direction)
            and self.dimension == other.dimension
            and _bits((self.time_spacing, self.time_origin))
            == _bits((other.time_spacing, other.time_origin))
        )

    __hash__ = None  # type: ignore[assignment]  # mutable array inside

    def __repr__(self) -> str:
        time = (
            f", time_spacing={self.time_spacing}, time_origin={self.time_origin}"
            if self.dimension == 4 else ""
        )
        return (
            f"voxcache.Volume(shape={self.shape}, dtype={self.array.dtype}, "
            f"dimension={self.dimension}, spacing={self.spacing}, origin={self.origin}{time})"
        )

    # --- nibabel ---------------------------------------------------------

    @classmethod
    def from_nibabel(cls, image: Any) -> "Volume":
        """A Volume of a nibabel image, without copying where its array is
        Fortran-ordered (as nibabel loads NIfTI): the (x, y[, z[, t]]) array
        seen as ([t, ][z, ]y, x). The affine (RAS) becomes spacing, origin
        and direction (LPS), as ITK reads the same file. A 2D image is an
        image, a fourth axis longer than 1 a series (time spacing the
        fourth zoom, time origin ``toffset``), a fifth NIfTI's vector
        components: the rule ``voxcache import`` follows, so that a file has
        one key from either side."""
        data = np.asanyarray(image.dataobj)
        shape = data.shape
        if len(shape) > 5 or len(shape) < 2:
            raise ValueError(f"an image of 2 to 4 dimensions with optional components, "
                             f"not shape {shape}")
        components = len(shape) == 5
        frames = shape[3] if len(shape) >= 4 else 1
        if len(shape) >= 4 and frames == 1:  # x, y, z, t=1[, c]: a volume
            data = data[:, :, :, 0, ...]
        dimension = 4 if frames > 1 else min(len(shape), 3)
        axes = tuple(reversed(range(dimension))) + ((dimension,) if components else ())
        array = data.transpose(axes)
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)
        affine = np.asarray(image.affine, dtype=np.float64)
        spacing, origin, direction = _geometry_of_affine(affine)
        time = {}
        if dimension == 4:
            header = image.header
            # As stored (float32: NIfTI's pixdim[4], MGH's TR), never a unit
            # conversion: the C++ reader takes pixdim[4] and toffset as they are.
            zooms = header.get_zooms()
            time = dict(time_spacing=float(np.float32(zooms[3])) + 0.0,
                        time_origin=float(np.float32(header["toffset"])) + 0.0
                        if "toffset" in header else 0.0)
        return cls(array, spacing, origin, direction, dimension=dimension, **time)

    def affine(self) -> "np.ndarray[Any, Any]":
        """The 4x4 RAS affine of this geometry, as nibabel and NIfTI use."""
        d = np.asarray(self.direction, dtype=np.float64).reshape(3, 3)
        a = np.eye(4)
        a[:3, :3] = _LPS_FROM_RAS @ d @ np.diag(self.spacing)
        a[:3, 3] = _LPS_FROM_RAS @ np.asarray(self.origin)
        return a

    def to_nibabel(self) -> Any:
        """A nibabel Nifti1Image viewing this volume's voxels (no copy);
        components go on NIfTI's fifth (vector) axis, as ITK writes them; a
        series keeps its time spacing (pixdim[4]) and origin (toffset). A
        mask is written as uint8 0 and 1: NIfTI has no bool."""
        import nibabel  # type: ignore[import]

        xyz = self.xyz
        if xyz.dtype == np.bool_:
            xyz = xyz.view(np.uint8)
        if xyz.ndim > self.dimension:  # components: NIfTI's vector layout, x, y, z, t, c
            while xyz.ndim < 5:
                xyz = xyz[..., np.newaxis, :]
        image = nibabel.Nifti1Image(xyz, self.affine())
        zooms = tuple(self.spacing[: min(self.dimension, 3)])
        if self.dimension == 4:
            zooms += (self.time_spacing,)
            image.header["toffset"] = self.time_origin
        image.header.set_zooms(zooms + image.header.get_zooms()[len(zooms):])
        if xyz.ndim == 5:
            image.header.set_intent("vector")
        return image

    # --- SimpleITK (when it is installed) ----------------------------------

    @classmethod
    def from_sitk(cls, image: Any) -> "Volume":
        """A Volume of a SimpleITK.Image (its array is copied by SimpleITK)."""
        sitk = _sitk()

        array = sitk.GetArrayFromImage(image)  # (z, y, x[, c]), a copy
        return cls(
            np.ascontiguousarray(array), image.GetSpacing(), image.GetOrigin(), image.GetDirection()
        )

    def to_sitk(self) -> Any:
        """A SimpleITK.Image of this volume (SimpleITK copies the voxels)."""
        sitk = _sitk()

        image = sitk.GetImageFromArray(self.array, isVector=self.array.ndim == 4)
        image.SetSpacing(self.spacing)
        image.SetOrigin(self.origin)
        image.SetDirection(self.direction)
        return image


def _geometry_of_affine(affine: "np.ndarray[Any, Any]") -> Tuple[Tuple[float, ...], Tuple[float, ...], Tuple[float, ...]]:
    # The same arithmetic as the C++ reader of NIfTI files
    # (src/itk/nifti_geometry.cc), so that a file's content key is the same
    # from `voxcache import` and from here: RAS -> LPS by negating rows 0
    # and 1, column norms summed in row order, no -0.0.
    m = np.array(affine[:3, :3], dtype=np.float64)
    m[:2] = -m[:2]
    spacing = np.sqrt((m[0] * m[0] + m[1] * m[1]) + m[2] * m[2])
    if not np.all(spacing > 0) or not np.all(np.isfinite(spacing)):
        raise ValueError("the affine has an axis of zero length (or one that is not finite)")
    direction = m / spacing + 0.0
    origin = np.array([-affine[0, 3], -affine[1, 3], affine[2, 3]], dtype=np.float64) + 0.0
    if not np.all(np.isfinite(origin)):
        raise ValueError("the affine's origin is not finite")
    # A singular direction is refused by the Volume constructor.
    return tuple(spacing.tolist()), tuple(origin.tolist()), tuple(direction.reshape(9).tolist())


def _sitk() -> Any:
    """SimpleITK, imported when first used (Debian 12 does not package it)."""
    import SimpleITK  # type: ignore[import]

    return SimpleITK


def _floats(values: Any, n: int, what: str) -> Tuple[float, ...]:
    try:
        out = tuple(float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1))
    except (TypeError, ValueError) as e:
        raise ValueError(f"Volume.{what} must be {n} numbers: {e}") from None
    if len(out) != n:
        raise ValueError(f"Volume.{what} must be {n} numbers, got {len(out)}")
    return out


def _bits(values: Tuple[float, ...]) -> bytes:
    return np.asarray(values, dtype=np.float64).tobytes()
