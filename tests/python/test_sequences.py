"""Lists and tuples as values: `return mask, float(volume_ml)` is stored, each
item in its own typed form (docs/format.md 2.1), and comes back as the
container it was, with every item exact, from the memory tier and from the
database alike."""

import subprocess
import json
import typing

import numpy as np
import pytest

import voxcache


def segment():
    """What a segmentation step returns: a mask, a volume in ml, labels."""
    rng = np.random.default_rng(7)
    mask = rng.random((20, 24, 28)) > 0.7
    image = voxcache.Volume(rng.random((20, 24, 28), dtype=np.float32),
                            spacing=(0.5, 0.7, 1.25), origin=(-9.5, 3.0, 0.125))
    return mask, float(mask.sum() * 0.001), ["csf", "gm"], image, np.float32(0.25)


def same(a, b):
    """Equal, of the same type, item by item (arrays by dtype and bytes)."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    else:
        assert a == b


VALUES = [
    (),
    [],
    (1, 2.5, "x", None, True, b"raw"),
    [1, [2, [3, (4,)]]],
    ([{"a": 1}], {"b": [1, 2]}),
    (np.int64(-3), np.bool_(False), np.uint8(200)),
    [float("nan"), float("inf"), -0.0],  # not JSON: kept bit for bit
    ["\udcff lone surrogate"],
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_lists_and_tuples_come_back_as_what_they_were(tmp_path, value):
    k = voxcache.key("v")
    with voxcache.Cache(tmp_path / "c.db") as c:  # the defaults: the memory tier answers
        c.put(k, value)
        c.get(k)  # read back from the database, and kept by the memory tier
        hot = c.get(k)
        assert c.stats()["handle"]["memory_hits"] == 1
    with voxcache.Cache(tmp_path / "c.db") as c:  # a fresh handle decodes the entry
        cold = c.get(k)
    for got in (hot, cold):
        if value and value[0] != value[0]:  # NaN: compare the bits
            assert np.array(got).tobytes() == np.array(value).tobytes()
        else:
            same(got, value)


def test_a_segmentation_result_round_trips_with_its_mask_and_geometry(tmp_path):
    calls = []
    with voxcache.Cache(tmp_path / "c.db") as c:
        @c.memoize(ignore=["calls"])  # a log of calls: the result does not depend on it
        def step(n):
            calls.append(n)
            return segment()

        first = step(1)
        again = step(1)
    with voxcache.Cache(tmp_path / "c.db") as c:
        info = c.info(c.keys()[0])
        cold = c.get(c.keys()[0])
    assert calls == [1], "the second call is a hit"
    for got in (first, again, cold):
        same(got[:3], segment()[:3])
        assert got[1] == pytest.approx(segment()[1])
        assert got[3] == segment()[3], "the Volume item: voxels and geometry bit for bit"
        same(got[4], segment()[4])
    assert got[0].dtype == np.bool_
    assert info["data_type"] == "tuple"


def test_nothing_the_caller_holds_changes_what_a_list_returns(tmp_path):
    # Put, then write into every array given and every array got back.
    with voxcache.Cache(tmp_path / "c.db") as c:
        k = voxcache.key("owned")
        arr = np.arange(1000, dtype=np.int32)
        vol = voxcache.Volume(np.ones((4, 5, 6), dtype=np.float32))
        c.put(k, (arr, vol))
        arr[:] = -1
        vol.array[:] = -1
        for _ in range(3):
            got = c.get(k)
            assert np.array_equal(got[0], np.arange(1000, dtype=np.int32))
            assert np.all(got[1].array == 1)
            got[0][:] = 7
            got[1].array[:] = 7

        # The same through memoize, whose result the caller then reuses.
        @c.memoize
        def make():
            return [np.zeros(10, dtype=np.uint8), voxcache.Volume(np.zeros((2, 2, 2), np.int16))]

        out = make()
        out[0][:] = 9
        out[1].array[:] = 9
        for _ in range(2):
            got = make()
            assert not got[0].any() and not got[1].array.any()
            got[0][:] = 5


def test_what_a_list_cannot_hold_is_refused_naming_the_item(cache):
    holds_itself = []
    holds_itself.append(holds_itself)

    class Pair(typing.NamedTuple):
        a: int
        b: int

    for value, error, where in [
        ([1, {2, 3}], TypeError, "item 1: voxcache cannot store a set"),
        ((1, (2, object())), TypeError, "item 1: item 1: voxcache cannot store a object"),
        ([0, 2**64], ValueError, "item 1"),
        (holds_itself, ValueError, "nest deeper than 32"),
        (Pair(1, 2), TypeError, "cannot store a Pair"),
        ([{1: 2}], TypeError, "item 0: a dict key"),
    ]:
        with pytest.raises(error, match=where):
            cache.put(voxcache.key("bad"), value)
    assert voxcache.key("bad") not in cache
    deep = 1
    for _ in range(32):
        deep = [deep]
    cache.put(voxcache.key("deep"), deep)
    assert cache.get(voxcache.key("deep")) == deep


def test_the_cli_shows_a_tuples_items(tmp_path, cli):
    with voxcache.Cache(tmp_path / "c.db") as c:
        k = voxcache.key("seg")
        c.put(k, segment())
    out = subprocess.run([cli, "--db", str(tmp_path / "c.db"), "show", k.hex, "--json"],
                         check=True, capture_output=True, text=True).stdout
    items = json.loads(out)["items"]
    assert [i["type"] for i in items] == ["py.ndarray", "float64", "list", "volume",
                                          "py.numpy-scalar"]
    assert items[1]["value"] == pytest.approx(segment()[1])
    assert items[2]["items"] == [{"type": "string", "value": "csf"},
                                 {"type": "string", "value": "gm"}]
    assert items[3]["dims"] == "28x24x20" and items[3]["pixel_type"] == "f32"
    text = subprocess.run([cli, "--db", str(tmp_path / "c.db"), "show", k.hex[:12]],
                          check=True, capture_output=True, text=True).stdout
    assert "items        5" in text and "volume 28x24x20 f32" in text
    assert items[0]["bytes"] > 20 * 24 * 28  # what the CLI cannot decode, described
    assert "py.ndarray (" in text
    assert 'list [string "csf", string "gm"]' in text
