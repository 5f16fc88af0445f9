"""voxcache.Cache: a voxcache database, from Python."""

from __future__ import annotations

import atexit
import os
import weakref
from typing import (Any, Callable, Dict, Iterator, List, Optional, ParamSpec, Sequence, Tuple,
                    TypeVar, Union, overload)

import numpy as np

from . import _core
from ._memoize import memoize as _memoize
from ._volume import Volume

KeyLike = Union[_core.Key, _core.KeyBuilder, str]
_P = ParamSpec("_P")
_R = TypeVar("_R")
_MISSING = object()
_AXES = {"x": 0, "y": 1, "z": 2, "sagittal": 0, "coronal": 1, "axial": 2}


# Every Cache not closed yet. At exit each is closed, which writes its
# pending access records and counters: a Cache still referenced then (a
# daemon thread's, a global in a cycle) would otherwise never write them,
# and eviction would take its hot entries for unused ones.
_OPEN: "weakref.WeakSet[Cache]" = weakref.WeakSet()


@atexit.register
def _close_at_exit() -> None:
    for cache in list(_OPEN):
        try:
            cache.close()
        except Exception:  # nothing may stop the others from closing
            pass


def _metadata(metadata: Any) -> Optional[str]:
    """JSON text of ``metadata``: a str as given, else canonical JSON, with the
    values' rules (str dict keys, no tuples, NumPy numbers as numbers)."""
    if metadata is None:
        return None
    if isinstance(metadata, str):
        try:
            metadata.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("metadata holds a lone surrogate, which UTF-8 JSON cannot hold") from None
        return metadata
    return _core._json_text(metadata, "metadata", False)


class Cache:
    """A voxcache database: results stored under their operation keys.

    ``Cache(path=None, **options)`` opens (and creates) the database at
    ``path``, by default the C++ library's ``DefaultPath`` ($VOXCACHE_DIR,
    else $XDG_CACHE_HOME/voxcache, else ~/.cache/voxcache, cache.db). Options
    are those of the C++ ``Options``: ``read_only``, ``verify_checksums``,
    ``allow_network_filesystem`` (a database on NFS and the like is
    refused unless True), ``record_reads`` (False: gets count no hit and move no access time, for
    a tool that only looks at a cache),
    ``busy_timeout`` (seconds), ``max_bytes``, ``max_entries``, ``max_age``
    (seconds), ``max_database_bytes``, ``compression_level``, ``codec``
    ('zstd', 'lz4'; unset: the database's ``voxcache config codec``, else
    zstd), ``chunk_bytes``,
    ``threads``, ``shuffle`` ('auto', 'always', 'never'),
    ``memory_budget_bytes``, ``layout`` ('z-slabs', 'bricks', 'bricks 32x32x16'),
    ``remote`` (a redis:// URL), ``remote_read_only``, ``remote_timeout``,
    ``remote_password`` (instead of one in the URL), ``remote_secret``
    (signed remote entries, docs/format.md 2.8), ``create_if_missing``.

    A missing database is created, and its folder with it, unless
    ``create_if_missing=False`` or ``read_only=True``, which raise
    FileNotFoundError instead. A SQLite file of another application is a
    ValueError ("not a voxcache database"), told apart from a damaged
    database (CorruptionError).

    Keys are ``voxcache.Key`` objects, ``KeyBuilder`` recipes (their lineage
    is stored too) or 64 hex digits. Values are None, bool, int, float, str,
    bytes, numpy arrays and scalars, ``voxcache.Volume``, lists and tuples
    of these, and JSON dicts; nothing is pickled. A miss is ``KeyError``; a stored entry that fails its
    checks ``voxcache.CorruptionError``; a disk or permission failure
    ``voxcache.IOError`` (an ``OSError``). Thread-safe; every call releases
    the GIL while it compresses, decompresses or waits for SQLite. Use as a
    context manager, or call ``close()``.
    """

    def __init__(self, path: Union[str, "os.PathLike[str]", None] = None, **options: Any) -> None:
        self._c = _core._Cache(os.fspath(path) if path is not None else None, options)
        _OPEN.add(self)

    # --- lifetime --------------------------------------------------------------

    def __enter__(self) -> "Cache":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Writes what is pending (access records) and closes the database.
        Any later call raises ValueError."""
        if not self._c.closed:
            self._c.close()
        _OPEN.discard(self)

    @property
    def closed(self) -> bool:
        return self._c.closed

    @property
    def path(self) -> str:
        return self._c.path

    def __repr__(self) -> str:
        c = getattr(self, "_c", None)  # None after an open that failed
        return f"voxcache.Cache({'closed' if c is None or c.closed else repr(c.path)})"

    # --- values ------------------------------------------------------------------

    def put(self, key: KeyLike, value: Any, *, metadata: Any = None,
            layout: Optional[str] = None, inputs: Sequence[Any] = (),
            replace: bool = False) -> bool:
        """Stores ``value`` under ``key`` in one transaction; True when this
        call wrote it, False when the key was stored already (by this or
        another process: a key names one content, so nothing is lost).
        ``metadata``: a JSON string or a JSON-able object. ``layout``: the
        chunk layout of a Volume (docs/format.md).
        ``inputs``: for a key not built from a recipe, the keys (or Volumes)
        the value was computed from, kept as its lineage (``info()["inputs"]``)
        without changing the key; a KeyBuilder key names its own.
        ``replace=True``: a stored entry under the key is replaced, value and
        metadata, in the same transaction (readers see the old or the new,
        never a miss, and no memory tier serves the old one afterwards); for
        keys that name nodes, not computations. Refused with a remote."""
        return self._c.put(key, value, _metadata(metadata), layout,
                           [_core.content_key(i) if isinstance(i, Volume) else i for i in inputs],
                           replace)

    def _stored(self, key: KeyLike) -> KeyLike:
        """``key``, or the stored key that a str of 8 to 63 hex digits
        starts (as on the command line): KeyError when none does, ValueError
        when several do. Only for calls that read an entry: a put needs the
        whole key."""
        if isinstance(key, str) and 8 <= len(key) < 64:
            return self._c.resolve_prefix(key)
        return key

    def get(self, key: KeyLike, default: Any = _MISSING, *, with_info: bool = False) -> Any:
        """The stored value; KeyError on a miss unless ``default`` is given.
        ``key`` may be a prefix of 8 or more hex digits of a stored key.
        ``with_info=True``: ``(value, info)``, the value and its entry's
        record (metadata, lineage, sizes) together. They cannot disagree:
        the record is read before and after the value, and all three again
        if a ``put(replace=True)`` came between; an entry evicted meanwhile
        is a miss."""
        try:
            k = self._stored(key)
            if with_info:
                return self._with_info(k)
            return self._c.get(k)
        except KeyError:
            if default is _MISSING:
                raise
            return default

    def _with_info(self, key: KeyLike) -> Tuple[Any, Dict[str, Any]]:
        # The record before and after the value: unchanged, the value read
        # between them is that record's (a replace in between reads again).
        for _ in range(16):
            before = self._c.info(key)
            value = self._c.get(key)
            after = self._c.info(key)
            if all(before.get(f) == after.get(f) for f in ("checksum", "created_at_ms", "metadata")):
                return value, after
        raise RuntimeError(f"entry {key!r} was replaced 16 times while it was read")

    def get_or_compute(self, key: KeyLike, compute: Callable[[], Any], *,
                       metadata: Any = None) -> Any:
        """The stored value, or ``compute()``'s, stored. Across threads and
        processes one caller computes and the others wait for its result.
        What ``compute`` raises propagates and nothing is stored; a value
        computed but not stored (a full disk, a read-only cache) is still
        returned, with a RuntimeWarning."""
        return self._c.get_or_compute(key, compute, _metadata(metadata))

    def contains(self, key: KeyLike) -> bool:
        try:
            return self._c.contains(self._stored(key))
        except KeyError:  # a prefix no key starts
            return False

    def erase(self, key: KeyLike) -> None:
        """Removes the entry; KeyError when there is none."""
        self._c.erase(self._stored(key))

    __contains__ = contains

    def __getitem__(self, key: KeyLike) -> Any:
        return self._c.get(self._stored(key))

    def __len__(self) -> int:
        """How many entries the database holds."""
        return self._c.count()

    def keys(self) -> List[str]:
        """Every stored key, as hex, newest first."""
        return self._c.keys()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __setitem__(self, key: KeyLike, value: Any) -> None:
        self._c.put(key, value, None, None, [], False)

    def __delitem__(self, key: KeyLike) -> None:
        self._c.erase(self._stored(key))

    # --- volumes -----------------------------------------------------------------

    def read_region(self, key: KeyLike, start: Sequence[int], size: Sequence[int]) -> Volume:
        """Voxels ``[start, start + size)`` of a stored volume, both in
        (z, y, x) order as arrays are; only the chunks the box meets are
        decompressed. The origin moves to the box's first voxel. For a
        series, (z, y, x) reads the box in every frame, and (t, z, y, x)
        in frames ``[t, t + nt)`` only: ``(t, 0, 0, 0), (1, Z, Y, X)`` is one
        volume of it, ``(0, z, y, x), (T, 1, 1, 1)`` one voxel's time
        course."""
        region: Volume = self._c.read_region(self._stored(key), tuple(start), tuple(size))
        return region

    def read_slice(self, key: KeyLike, axis: Union[int, str], index: int) -> Volume:
        """One slice: ``axis`` 'x' (sagittal, 0), 'y' (coronal, 1) or 'z'
        (axial, 2). The result keeps the axis with size 1."""
        if isinstance(axis, str):
            try:
                axis = _AXES[axis]
            except KeyError:
                raise ValueError(f"axis must be x, y, z, sagittal, coronal or axial, not {axis!r}")
        cut: Volume = self._c.read_slice(self._stored(key), axis, index)
        return cut

    def write_volume(self, key: KeyLike, shape: Sequence[int], dtype: Any, *,
                     components: int = 1, spacing: Sequence[float] = (1.0, 1.0, 1.0),
                     origin: Sequence[float] = (0.0, 0.0, 0.0),
                     direction: Sequence[float] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0),
                     metadata: Any = None, layout: Optional[str] = None) -> "VolumeWriter":
        """Streams a volume larger than memory in: ``shape`` is (z, y, x);
        write C-contiguous pieces in order (slices, slabs, any size) and
        leave the ``with`` block (or call ``commit()``) to store it in one
        transaction. Leaving it by an exception stores nothing."""
        template = Volume(np.zeros((1, 1, 1), dtype=dtype), spacing, origin, direction)
        z, y, x = (int(s) for s in shape)
        w = self._c.write_volume(key, (z, y, x), np.dtype(dtype), components,
                                 template.spacing, template.origin, template.direction,
                                 _metadata(metadata), layout)
        return VolumeWriter(w)

    def read_volume(self, key: KeyLike) -> "VolumeReader":
        """Streams a stored volume out as (first z, slab array) pairs in z
        order, in bounded memory; KeyError on a miss. A series streams as
        its frames stacked along z (frame t's slice z is slice t * Z + z)."""
        return VolumeReader(self._c.read_volume(self._stored(key)))

    # --- looking after it ----------------------------------------------------------

    def info(self, key: KeyLike) -> Dict[str, Any]:
        """What is known about an entry without reading its payload: sizes,
        codec, level, layout, times, metadata, lineage, intensity, geometry."""
        return self._c.info(self._stored(key))

    def list(self) -> List[Dict[str, Any]]:
        """Every entry's info, newest first, without ``inputs`` and
        ``dependents``: a listing reads no lineage (a query per entry), and
        empty lists would say there is none. ``info()`` has them."""
        entries = self._c.list()
        for e in entries:
            e.pop("inputs", None)
            e.pop("dependents", None)
        return entries

    def stats(self) -> Dict[str, Any]:
        """The database's totals and persistent counters, the record
        ``voxcache stats --json`` prints (docs/cli.md), and under ``"handle"``
        this object's own hits, misses and memory tier since it was opened."""
        return self._c.stats()

    def gc(self, max_bytes: int = 0, max_entries: int = 0, max_age: float = 0) -> Dict[str, Any]:
        """Evicts least recently used, unpinned entries until each non-zero
        limit holds (``max_age`` in seconds)."""
        return self._c.gc(int(max_bytes), int(max_entries), int(max_age))

    def clear(self, *, keep_pinned: bool = False) -> Dict[str, Any]:
        """Removes every entry, or every unpinned one with ``keep_pinned``:
        ``{"removed": n, "freed_bytes", "entries_left"}``."""
        return self._c.clear(bool(keep_pinned))

    def pin(self, key: KeyLike) -> None:
        """Keeps the entry through gc and the size limits; KeyError when
        there is none."""
        self._c.pin(self._stored(key), True)

    def unpin(self, key: KeyLike) -> None:
        self._c.pin(self._stored(key), False)

    def verify(self, key: Optional[KeyLike] = None) -> List[Tuple[str, str]]:
        """Reads and checks every chunk. With a key: raises on a bad entry
        (CorruptionError). Without: checks every entry and returns the bad
        ones as (key, message) pairs."""
        if key is not None:
            self._c.verify(self._stored(key))
            return []
        bad = []
        for e in self._c.list():
            try:
                self._c.verify(e["key"])
            except (_core.Error, KeyError) as err:
                bad.append((e["key"], str(err)))
        return bad

    @overload
    def memoize(self, func: Callable[_P, _R]) -> Callable[_P, _R]: ...

    @overload
    def memoize(self, func: None = None, *, version: Optional[str] = None,
                ignore: Sequence[str] = ()) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]: ...

    def memoize(self, func: Optional[Callable[_P, _R]] = None, *, version: Optional[str] = None,
                ignore: Sequence[str] = ()) -> Any:
        """Decorator: keeps the function's results in this cache; the
        memoized function has the function's own signature (ParamSpec).

        ``@cache.memoize`` or ``@cache.memoize(version="2")``. A call is keyed
        on the function's qualified name, a SHA-256 of its source's syntax tree
        and its code (so editing what it computes invalidates its results,
        a comment, docstring or reformatting does not), ``version``, and its arguments
        by parameter name: plain values, lists, JSON dicts; numpy arrays by a
        hash of their bytes; Volumes and Keys as inputs of the recipe (a
        Volume is hashed whole, which costs time for large ones). One call
        computes a missing key across threads and processes. The wrapper has
        ``cache_info()``, ``clear()`` and ``key(*args, **kwargs)``.
        """
        return _memoize(self, func, version=version, ignore=ignore)


class VolumeWriter:
    """A volume being streamed in; see Cache.write_volume."""

    def __init__(self, w: Any) -> None:
        self._w = w

    def write(self, data: Any) -> None:
        self._w.write(data)

    def commit(self) -> None:
        self._w.commit()

    def __enter__(self) -> "VolumeWriter":
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is None:
            self._w.commit()
        else:
            self._w.abandon()


class VolumeReader:
    """A stored volume streamed out; iterate for (first z, slab) pairs."""

    def __init__(self, r: Any) -> None:
        self._r = r

    def __iter__(self) -> Iterator[Tuple[int, "np.ndarray[Any, Any]"]]:
        while True:
            item = self._r.next()
            if item is None:
                return
            yield item
