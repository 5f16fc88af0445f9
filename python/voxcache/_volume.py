"""voxcache.Volume: a NumPy array with the geometry voxcache keeps bit-exact."""

from __future__ import annotations

from typing import Any, Sequence, Tuple

import numpy as np

_IDENTITY = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
# ITK (and voxcache) use LPS world coordinates, NIfTI and nibabel RAS.
_LPS_FROM_RAS = np.diag([-1.0, -1.0, 1.0])


class Volume:
    """A 3D image: voxels and geometry.

    ``array`` has shape ``(z, y, x)``, or ``(z, y, x, components)`` for
    multi-component pixels, and is C-contiguous: x varies fastest, as in
    ITK, NIfTI files and voxcache's format. ``spacing`` and ``origin`` are
    (x, y, z) triples and ``direction`` the row-major 3x3 matrix whose
    columns are the axis directions, all as ITK has them: the physical point
    of index (i, j, k) is ``origin + direction @ (spacing * (i, j, k))``.

    No copy is made of ``array``; a Volume read from a cache views the
    buffer the library decoded into, and keeps it alive.
    """

    __slots__ = ("array", "spacing", "origin", "direction")

    def __init__(
        self,
        array: np.ndarray,
        spacing: Sequence[float] = (1.0, 1.0, 1.0),
        origin: Sequence[float] = (0.0, 0.0, 0.0),
        direction: Sequence[float] = _IDENTITY,
    ) -> None:
        if not isinstance(array, np.ndarray):
            raise TypeError(f"Volume takes a numpy.ndarray, not {type(array).__name__}")
        if array.ndim not in (3, 4):
            raise ValueError(
                f"Volume.array must have shape (z, y, x) or (z, y, x, components), got {array.shape}"
            )
        if not array.flags.c_contiguous:
            raise ValueError(
                "Volume.array must be C-contiguous (x fastest); numpy.ascontiguousarray copies it"
            )
        if array.dtype.kind not in "iuf" or (array.dtype.kind == "f" and array.dtype.itemsize < 4):
            raise TypeError(
                f"a Volume holds (u)int8..64, float32 or float64 voxels, not dtype {array.dtype}"
                + (" (float16)" if array.dtype == np.float16 else "")
            )
        if not array.dtype.isnative:
            # Big-endian data (nibabel loads such files as they are): the
            # same values in this machine's order, a copy. Keys are of values.
            array = array.astype(array.dtype.newbyteorder("="))
        self.array = array
        self.spacing = _floats(spacing, 3, "spacing")
        self.origin = _floats(origin, 3, "origin")
        d = np.asarray(direction, dtype=np.float64)
        if d.shape == (3, 3):
            d = d.reshape(9)
        self.direction = _floats(d, 9, "direction")
        # The checks the C++ Volume makes, here rather than at the first put.
        if not all(np.isfinite(self.spacing)) or 0.0 in self.spacing:
            raise ValueError(f"Volume.spacing must be finite and non-zero, got {self.spacing}")
        if not all(np.isfinite(self.origin)) or not all(np.isfinite(self.direction)):
            raise ValueError("Volume.origin and Volume.direction must be finite")
        if not abs(np.linalg.det(np.reshape(self.direction, (3, 3)))) > 1e-12:
            raise ValueError(
                "the direction matrix is singular: its axes do not span 3D space"
            )

    @property
    def shape(self) -> Tuple[int, ...]:
        """The array's shape, (z, y, x[, components])."""
        return self.array.shape

    @property
    def size(self) -> Tuple[int, int, int]:
        """Voxels along x, y and z, as ITK counts them."""
        return (self.array.shape[2], self.array.shape[1], self.array.shape[0])

    @property
    def components(self) -> int:
        return 1 if self.array.ndim == 3 else self.array.shape[3]

    @property
    def xyz(self) -> np.ndarray:
        """The voxels indexed [x, y, z(, c)], as nibabel indexes them (a view)."""
        return self.array.transpose(2, 1, 0, 3) if self.array.ndim == 4 else self.array.T

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
        )

    __hash__ = None  # type: ignore[assignment]  # mutable array inside

    def __repr__(self) -> str:
        return (
            f"voxcache.Volume(shape={self.shape}, dtype={self.array.dtype}, "
            f"spacing={self.spacing}, origin={self.origin})"
        )

    # --- nibabel ---------------------------------------------------------

    @classmethod
    def from_nibabel(cls, image: Any) -> "Volume":
        """A Volume of a nibabel image, without copying where its array is
        Fortran-ordered (as nibabel loads NIfTI): the (x, y, z) array seen
        as (z, y, x). The affine (RAS) becomes spacing, origin and direction
        (LPS), as ITK reads the same file."""
        data = np.asanyarray(image.dataobj)
        if data.ndim == 4:
            # A fourth axis is time (fMRI, DWI), not components: taking it for
            # 30 components of one volume was a silent wrong reading.
            raise ValueError(
                f"a 4D series of shape {data.shape} (x, y, z, t): voxcache stores 3D volumes; "
                "store each one, e.g. Volume.from_nibabel(image.slicer[..., t])"
            )
        if data.ndim == 5 and data.shape[3] == 1:  # NIfTI vectors: x, y, z, t=1, c
            data = data[:, :, :, 0, :]
        if data.ndim not in (3, 4):
            raise ValueError(f"a 3D image with optional components, not shape {data.shape}")
        array = data.transpose(2, 1, 0, 3) if data.ndim == 4 else data.T
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)
        affine = np.asarray(image.affine, dtype=np.float64)
        spacing, origin, direction = _geometry_of_affine(affine)
        return cls(array, spacing, origin, direction)

    def affine(self) -> np.ndarray:
        """The 4x4 RAS affine of this geometry, as nibabel and NIfTI use."""
        d = np.asarray(self.direction, dtype=np.float64).reshape(3, 3)
        a = np.eye(4)
        a[:3, :3] = _LPS_FROM_RAS @ d @ np.diag(self.spacing)
        a[:3, 3] = _LPS_FROM_RAS @ np.asarray(self.origin)
        return a

    def to_nibabel(self) -> Any:
        """A nibabel Nifti1Image viewing this volume's voxels (no copy);
        components go on NIfTI's fifth (vector) axis, as ITK writes them."""
        import nibabel

        xyz = self.xyz
        if xyz.ndim == 4:  # components: NIfTI's vector layout, x, y, z, t=1, c
            xyz = xyz[:, :, :, np.newaxis, :]
        image = nibabel.Nifti1Image(xyz, self.affine())
        image.header.set_zooms(tuple(self.spacing) + image.header.get_zooms()[3:])
        if xyz.ndim == 5:
            image.header.set_intent("vector")
        return image

    # --- SimpleITK (when it is installed) ----------------------------------

    @classmethod
    def from_sitk(cls, image: Any) -> "Volume":
        """A Volume of a SimpleITK.Image (its array is copied by SimpleITK)."""
        import SimpleITK as sitk

        array = sitk.GetArrayFromImage(image)  # (z, y, x[, c]), a copy
        return cls(
            np.ascontiguousarray(array), image.GetSpacing(), image.GetOrigin(), image.GetDirection()
        )

    def to_sitk(self) -> Any:
        """A SimpleITK.Image of this volume (SimpleITK copies the voxels)."""
        import SimpleITK as sitk

        image = sitk.GetImageFromArray(self.array, isVector=self.array.ndim == 4)
        image.SetSpacing(self.spacing)
        image.SetOrigin(self.origin)
        image.SetDirection(self.direction)
        return image


def _geometry_of_affine(affine: np.ndarray):
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


def _floats(values: Any, n: int, what: str) -> tuple:
    try:
        out = tuple(float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1))
    except (TypeError, ValueError) as e:
        raise ValueError(f"Volume.{what} must be {n} numbers: {e}") from None
    if len(out) != n:
        raise ValueError(f"Volume.{what} must be {n} numbers, got {len(out)}")
    return out


def _bits(values: tuple) -> bytes:
    return np.asarray(values, dtype=np.float64).tobytes()
