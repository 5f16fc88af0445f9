"""Cache(codec='lz4'): entries written with LZ4 come back exact, through a
handle of either codec, on the default options; the codec is recorded per
entry and a wrong name is refused before anything opens."""

import numpy as np
import pytest

import voxcache


def values():
    rng = np.random.default_rng(5)
    ramp = (np.arange(40 * 64 * 64) % 251).astype(np.uint8).reshape(40, 64, 64)
    return {
        "u8": voxcache.Volume(ramp, spacing=(0.5, 0.75, 2.0), origin=(-3.0, 4.5, 9.0)),
        "f32": voxcache.Volume(ramp.astype(np.float32) / 7 + np.float32(np.nan) * (ramp == 3)),
        "mask": ramp > 100,
        "array": rng.integers(-1000, 1000, (50, 60)).astype(np.int16),
        "tuple": (voxcache.Volume(ramp[:10].astype(np.int16)), 1.5, "label"),
        "text": "x" * 70000,
        "number": 2.5,
    }


def same(a, b):
    if isinstance(a, tuple):
        assert type(b) is tuple and len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, voxcache.Volume):
        assert a == b and a.array.tobytes() == b.array.tobytes()  # NaNs bit for bit
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    else:
        assert a == b


def test_lz4_entries_round_trip_through_handles_of_either_codec(tmp_path):
    db = tmp_path / "c.db"
    vs = values()
    with voxcache.Cache(db, codec="lz4") as c:
        for name, v in vs.items():
            c.put(voxcache.key(name), v)
            same(c.get(voxcache.key(name)), v)  # the memory tier's copy
        assert c.info(voxcache.key("u8"))["codec"] == "lz4"
        assert c.info(voxcache.key("u8"))["level"] == 1
    with voxcache.Cache(db) as c:  # the default codec reads them all
        for name, v in vs.items():
            same(c.get(voxcache.key(name)), v)
        c.put(voxcache.key("zstd"), vs["u8"].array[:5].copy())
        assert c.info(voxcache.key("zstd"))["codec"] == "zstd"
        assert c.verify() == []


def test_a_codec_that_does_not_exist_is_refused(tmp_path):
    with pytest.raises(ValueError, match="codec must be 'zstd' or 'lz4'"):
        voxcache.Cache(tmp_path / "c.db", codec="brotli")
    assert not (tmp_path / "c.db").exists()
