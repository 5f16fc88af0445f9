"""voxcache: memoized 3D image results for imaging pipelines.

    import voxcache
    with voxcache.Cache("cache.db") as cache:
        smoothed = cache.get_or_compute(voxcache.key("smooth", source, sigma=1.5),
                                        lambda: smooth(volume, 1.5))

        @cache.memoize
        def segment(volume: voxcache.Volume, threshold: float) -> voxcache.Volume: ...

The same database as the C++ library and the ``voxcache`` command; see
docs/python.md.
"""

from typing import Any

from ._core import (
    BusyError,
    CorruptionError,
    Error,
    IOError,
    Key,
    KeyBuilder,
    NotSupportedError,
    __version__,
)
from ._core import content_key as _content_key
from ._core import _default_path, _set_volume_class
from ._cache import Cache, VolumeReader, VolumeWriter
from ._volume import Volume

_set_volume_class(Volume)

__all__ = [
    "BusyError",
    "Cache",
    "CorruptionError",
    "Error",
    "IOError",
    "Key",
    "KeyBuilder",
    "NotSupportedError",
    "Volume",
    "VolumeReader",
    "VolumeWriter",
    "content_key",
    "default_path",
    "key",
    "__version__",
]


def key(operation: str, *inputs: Any, **args: Any) -> Key:
    """The key of a recipe: ``key("smooth", source_key, sigma=1.5)`` is
    ``KeyBuilder("smooth").arg("sigma", 1.5).input(source_key).build()``.
    Arguments are added in the order given; inputs are Keys, KeyBuilders,
    hex strings or Volumes (by their content key)."""
    b = KeyBuilder(operation)
    for name, value in args.items():
        b.arg(name, value)
    for i in inputs:
        b.input(content_key(i) if isinstance(i, Volume) else i)
    return b.build()


def content_key(volume: Volume) -> Key:
    """The key of a volume's voxels and geometry, as the C++ content_key and
    ``voxcache key FILE`` compute it."""
    return _content_key(volume)


def default_path() -> str:
    """Where Cache() opens its database when given no path."""
    return _default_path()
