"""Never a wrong voxel (docs/reliability.md, "Aliasing"): every read path,
with the memory tier on and off, in both chunk layouts, with and without a
remote tier, reads the same key three times in one process and compares
every voxel and geometry field with the source; then writes into what it
got and reads again; then changes the source's own buffer after the put and
reads again. What a caller holds never changes what the cache returns."""

import numpy as np
import pytest

import voxcache

GEOMETRY = dict(spacing=(0.7, 1.1, 2.3), origin=(-90.5, 12.25, -3.0),
                direction=(-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0))
SHAPE = (9, 10, 11)  # (z, y, x): several 4x4x4 bricks, clipped at the edges
PATHS = ["get", "get_or_compute", "mapping", "memoize", "read_region", "read_slice",
         "read_volume"]


def source():
    a = (np.arange(np.prod(SHAPE), dtype=np.int64) * 37 % 30011 - 15000).astype(np.int16)
    return voxcache.Volume(a.reshape(SHAPE), **GEOMETRY)


def same(got, want):
    assert got.array.dtype == want.array.dtype and got.array.shape == want.array.shape
    assert np.array_equal(got.array, want.array), "every voxel"
    assert got.spacing == want.spacing and got.origin == want.origin
    assert got.direction == want.direction


class Reads:
    """One read path over `reader`, of the key `writer` stored."""

    def __init__(self, path, writer, reader, src):
        self.path, self.writer, self.reader = path, writer, reader
        self.key = voxcache.key("aliasing", path=path)
        if path == "memoize":
            box = [src]  # the function returns this volume: its buffer is the source's

            def make(tag: str) -> voxcache.Volume:
                return box[0]

            # `box` is not keyed, so that a hit is what is tested after the
            # source changes (keyed, the change would be a new key: a miss).
            self.store_fn = writer.memoize(make, ignore=["box"])
            self.read_fn = reader.memoize(make, ignore=["box"])
            same(self.store_fn("t"), src)  # computes and stores
        else:
            writer.put(self.key, src)

    def read(self):
        p, c, k = self.path, self.reader, self.key
        if p == "get":
            return c.get(k)
        if p == "get_or_compute":
            return c.get_or_compute(k, lambda: pytest.fail("a hit must not compute"))
        if p == "mapping":
            return c[k]
        if p == "memoize":
            return self.read_fn("t")
        if p == "read_region":
            return c.read_region(k, (0, 0, 0), SHAPE)
        if p == "read_slice":  # compared with the source's slice by the caller
            return c.read_slice(k, "z", 4)
        slabs = [slab for _, slab in c.read_volume(k)]
        return voxcache.Volume(np.concatenate(slabs), **GEOMETRY)

    def expected(self, src):
        if self.path != "read_slice":
            return src
        origin = tuple(np.add(src.origin, np.reshape(src.direction, (3, 3)) @ (
            np.array(src.spacing) * (0, 0, 4))))
        return voxcache.Volume(src.array[4:5].copy(), src.spacing, origin, src.direction)


@pytest.fixture(params=["remote", "no-remote"])
def remote_url(request):
    if request.param == "no-remote":
        yield None
        return
    server = request.getfixturevalue("redis")
    yield server.url


@pytest.mark.parametrize("layout", ["z-slabs", "bricks 4x4x4"])
# Memory off as well as on: the two tiers serve different buffers.
@pytest.mark.parametrize("memory", ["default", "off"])
@pytest.mark.parametrize("path", PATHS)
def test_what_a_caller_holds_never_changes_what_the_cache_returns(tmp_path, path, memory,
                                                                  layout, remote_url):
    options = {"layout": layout}
    if memory == "off":
        options["memory_budget_bytes"] = 0  # the twin of "default": decoded buffers, no tier
    if remote_url:
        options["remote"] = remote_url
    src = source()
    pristine = voxcache.Volume(src.array.copy(), src.spacing, src.origin, src.direction)
    writer = voxcache.Cache(tmp_path / "writer.db", **options)
    # With a remote, a second machine's cache reads what the first stored.
    reader = voxcache.Cache(tmp_path / "reader.db", **options) if remote_url else writer
    try:
        r = Reads(path, writer, reader, src)
        if remote_url:  # the reader's own database lacks it: its reads go to the remote
            stored = r.store_fn.key("t") if path == "memoize" else r.key
            with voxcache.Cache(tmp_path / "reader.db") as local_only:
                assert stored not in local_only
        want = r.expected(pristine)
        for _ in range(3):
            same(r.read(), want)
        got = r.read()
        got.array[...] = 7  # the caller's to change...
        for _ in range(3):
            same(r.read(), want)  # ...and it changes nothing the cache returns
        src.array[...] = -1  # the source's own buffer, after the put
        for _ in range(3):
            same(r.read(), want)
    finally:
        reader.close()
        writer.close()


def test_a_get_is_writable_and_the_cache_keeps_its_own(cache):
    src = source()
    k = voxcache.content_key(src)
    cache.put(k, src)
    first = cache.get(k)
    second = cache.get(k)  # from the memory tier
    assert cache.stats()["handle"]["memory_hits"] >= 1
    assert first.array.flags.writeable and second.array.flags.writeable
    assert not np.shares_memory(first.array, second.array)
    assert not np.shares_memory(first.array, src.array)


def test_the_issue_21_repro_prints_the_right_voxels_on_every_line(cache):
    k = voxcache.key("repro")
    cache.put(k, voxcache.Volume(np.arange(64, dtype=np.uint8).reshape(4, 4, 4)))
    for _ in range(3):
        assert list(cache.get(k).array.ravel()[:8]) == list(range(8))

    @cache.memoize
    def seg(t: float) -> voxcache.Volume:
        return voxcache.Volume(np.full((4, 4, 4), 9, np.uint8))

    assert [bool((seg(1.0).array == 9).all()) for _ in range(3)] == [True, True, True]


def test_a_stream_piece_of_another_dtype_is_refused(cache):
    k = voxcache.key("stream-dtype")
    with pytest.raises(TypeError, match="float64 piece for a volume of float32"):
        with cache.write_volume(k, (2, 3, 4), np.float32) as w:
            w.write(np.zeros((1, 3, 4), np.float32))
            w.write(np.zeros((1, 3, 4), np.float64))
    assert k not in cache, "nothing was stored"
    with pytest.raises(TypeError, match="int16 piece for a volume of uint16"):
        with cache.write_volume(k, (1, 3, 4), np.uint16) as w:
            w.write(np.zeros((1, 3, 4), np.int16))
    # Raw bytes are the voxels' bytes, and a bool mask goes into a u8 volume.
    with cache.write_volume(k, (1, 3, 4), np.uint16) as w:
        w.write(np.arange(12, dtype="<u2").tobytes())
    assert np.array_equal(cache.get(k).array.ravel(), np.arange(12))
    mask = voxcache.key("mask")
    with cache.write_volume(mask, (1, 2, 2), np.uint8) as w:
        w.write(np.array([[[True, False], [False, True]]]))
    assert cache.get(mask).array.ravel().tolist() == [1, 0, 0, 1]
