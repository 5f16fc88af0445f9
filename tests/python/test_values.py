"""Values through a real database: every kind round-trips exactly, volumes of
every pixel type with geometry bit for bit, and bad values are refused."""

import gc
import json
import os
import re
import resource
import typing

import numpy as np
import pytest

import voxcache

ODD_GEOMETRY = dict(
    spacing=(0.7, 1.1, 2.3000000000000003),
    origin=(-90.125, 126.1, -72.00000000001),
    direction=(-1.0, 0.0, 0.0, 0.0, -0.9999999, 1e-7, 0.0, 1e-7, 0.9999999),
)
DTYPES = ["u1", "i1", "u2", "i2", "u4", "i4", "u8", "i8", "f4", "f8"]


def ramp(dtype, shape):
    return (np.arange(np.prod(shape)) * 7 % 251).astype(dtype).reshape(shape)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("components", [1, 3])
def test_volumes_of_every_pixel_type_round_trip_bit_exact(cache, dtype, components):
    shape = (13, 17, 19) if components == 1 else (13, 17, 19, components)
    v = voxcache.Volume(ramp("<" + dtype, shape), **ODD_GEOMETRY)
    key = voxcache.content_key(v)
    cache.put(key, v)
    got = cache.get(key)
    assert isinstance(got, voxcache.Volume)
    assert got.array.dtype == np.dtype("<" + dtype)
    assert got.shape == shape
    assert np.array_equal(got.array, v.array)
    assert got == v  # geometry compared bit for bit
    assert got.spacing == ODD_GEOMETRY["spacing"]
    assert got.origin == ODD_GEOMETRY["origin"]
    assert got.direction == ODD_GEOMETRY["direction"]
    info = cache.info(key)
    assert info["volume"]["shape"] == shape[:3]
    assert info["volume"]["components"] == components
    assert info["layout"] == "z-slabs"


@pytest.mark.parametrize(
    "value",
    [None, True, False, 0, -(2**63), 2**63 - 1, 1.5, float("inf"), -0.0, "", "héllo ✓",
     b"", b"\x00\xff raw", {"a": [1, 2.5, "x", None, True]}, [1, [2, [3]]], {}],
)
def test_values_round_trip(cache, value):
    key = voxcache.key("value", v=repr(value))
    cache.put(key, value)
    got = cache.get(key)
    assert type(got) is type(value)
    if isinstance(value, float):
        assert np.float64(got).tobytes() == np.float64(value).tobytes()
    else:
        assert got == value


def test_nan_keeps_its_bits(cache):
    nan = np.frombuffer(np.uint64(0x7FF8000000000123).tobytes(), dtype=np.float64)[0]
    cache.put(voxcache.key("nan"), float(nan))
    assert np.float64(cache.get(voxcache.key("nan"))).tobytes() == nan.tobytes()


@pytest.mark.parametrize("dtype", ["u1", "i8", "f4", "c16", "?"])
def test_arrays_of_any_shape_round_trip(cache, dtype):
    a = ramp(dtype, (3, 0, 5)) if dtype == "u1" else ramp(dtype, (2, 3, 4, 5))
    key = voxcache.key("array", dtype=dtype)
    cache.put(key, a)
    got = cache.get(key)
    assert got.dtype == a.dtype and got.shape == a.shape
    assert np.array_equal(got, a)
    f = np.asfortranarray(ramp("f8", (4, 6)))  # stored C-order, read back equal
    cache.put(voxcache.key("fortran"), f)
    assert np.array_equal(cache.get(voxcache.key("fortran")), f)


def test_a_get_is_the_callers_array_and_outlives_the_cache(tmp_path):
    c = voxcache.Cache(tmp_path / "z.db")
    v = voxcache.Volume(ramp("<i2", (20, 30, 40)))
    key = voxcache.content_key(v)
    c.put(key, v)
    got = c.get(key).array
    assert not got.flags.owndata, "a view of a C++ buffer no one else holds"
    assert type(got.base).__name__ == "PyCapsule"
    got[0, 0, 0] = 1234  # ours to change: nothing else sees this buffer
    c.close()
    del c
    gc.collect()
    assert got[0, 0, 1] == v.array[0, 0, 1]
    assert np.array_equal(got.reshape(-1)[1:], v.array.reshape(-1)[1:])


def test_a_put_views_the_array_instead_of_copying_it(tmp_path):
    # 256 MiB of voxels: a copy would raise the peak RSS by as much.
    with voxcache.Cache(tmp_path / "big.db") as c:
        a = np.ones((256, 512, 1024), dtype=np.int16)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
        c.put(voxcache.key("big"), voxcache.Volume(a))
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        assert grown < 100 * 1024, f"peak RSS grew {grown} KiB during the put"


def test_read_only_arrays_are_stored_as_any_other(cache):
    # A SimpleITK view, np.frombuffer, a memory map opened "r": a put only reads.
    a = np.frombuffer(bytes(range(60)), dtype=np.uint8).reshape(3, 4, 5)
    assert not a.flags.writeable
    v = voxcache.Volume(a, spacing=(0.5, 1.0, 2.0))
    cache.put(voxcache.key("ro volume"), v)
    cache.put(voxcache.key("ro array"), a)
    assert voxcache.content_key(v) == voxcache.content_key(voxcache.Volume(a.copy(), spacing=(0.5, 1.0, 2.0)))
    assert cache.get(voxcache.key("ro volume")) == v
    assert np.array_equal(cache.get(voxcache.key("ro array")), a)


def test_unstorable_values_are_refused_clearly(cache):
    for value, error in [
        (object(), TypeError),
        ({1, 2}, TypeError),
        (np.array([object()]), TypeError),
        ({"x": float("nan")}, TypeError),
        (2**64, ValueError),
        (np.array(["text"]), TypeError),
    ]:
        with pytest.raises(error):
            cache.put(voxcache.key("bad"), value)
    assert voxcache.key("bad") not in cache


@pytest.mark.parametrize("value", [np.int64(-3), np.uint8(200), np.float32(1.5), np.float64(0.1),
                                   np.float16(2.5), np.bool_(True), np.complex64(1 - 2j),
                                   np.int16(-1)])
def test_numpy_scalars_come_back_as_the_scalar_they_were(tmp_path, value):
    k = voxcache.key("scalar", value=repr(value), dtype=value.dtype.str)
    with voxcache.Cache(tmp_path / "s.db") as c:  # the defaults: the memory tier answers
        c.put(k, value)
        hot = c.get(k)
    with voxcache.Cache(tmp_path / "s.db") as c:  # a fresh handle decodes the entry
        cold = c.get(k)
    for got in (hot, cold):
        assert type(got) is type(value) and got.dtype == value.dtype
        assert got.tobytes() == value.tobytes()


def test_json_values_never_come_back_changed(cache):
    # What json.dumps would silently turn into another value is refused
    # before anything is stored, with the path to it.
    for value, where in [({1: 10.5}, "int 1"), ({"a": [(1,)]}, "['a'][0]"),
                         ({"a": {None: 1}}, "NoneType None")]:
        with pytest.raises(TypeError, match=re.escape(where)):
            cache.put(voxcache.key("changed"), value)
        with pytest.raises(TypeError, match=re.escape(where)):
            cache.put(voxcache.key("meta"), 1, metadata=value)
    # A tuple is a value of its own (test_sequences.py), but not in metadata,
    # which is JSON.
    with pytest.raises(TypeError, match="tuple"):
        cache.put(voxcache.key("meta"), 1, metadata=(1, 2))
    assert voxcache.key("changed") not in cache and voxcache.key("meta") not in cache
    # NumPy numbers inside JSON (values and metadata) are the numbers they equal.
    k = voxcache.key("numbers")
    cache.put(k, {"n": np.int64(2), "x": [np.float32(0.5)], "ok": np.bool_(False)},
              metadata={"voxels": np.int64(7)})
    assert cache.get(k) == {"n": 2, "x": [0.5], "ok": False}
    assert cache.info(k)["metadata"] == {"voxels": 7}


def test_a_result_that_cannot_be_stored_is_returned_with_a_warning(cache):
    calls = []

    @cache.memoize
    def region_growing(n):
        calls.append(n)
        return object()  # no value kind holds it

    for _ in range(2):
        with pytest.warns(RuntimeWarning, match="region_growing.*of type object.*not stored"):
            assert type(region_growing(3)) is object
    assert calls == [3, 3], "nothing stored: the next call computes again"
    with pytest.warns(RuntimeWarning, match="not stored"):
        assert cache.get_or_compute(voxcache.key("x"), lambda: {1, 2}) == {1, 2}
    assert voxcache.key("x") not in cache


def test_memoize_says_when_it_decorates_that_the_annotation_cannot_be_stored(cache):
    with pytest.warns(RuntimeWarning, match="annotated to return set"):
        @cache.memoize
        def labels(n: int) -> set:
            return set(range(n))
    class Pair(typing.NamedTuple):  # would come back as a plain tuple
        a: int
        b: int

    with pytest.warns(RuntimeWarning, match="annotated to return Pair"):
        @cache.memoize
        def named(n: int) -> Pair:
            return Pair(n, n)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # storable or unknown: nothing said

        @cache.memoize
        def volume_ml(n: int) -> float:
            return n * 0.001

        @cache.memoize
        def anything(n: int) -> typing.Any:
            return n

        @cache.memoize
        def maybe(n: int) -> "typing.Optional[int]":
            return n

        @cache.memoize
        def pair(n: int) -> "tuple[int, float]":
            return n, n * 0.5
    assert volume_ml(2) == 0.002 and anything(1) == 1 and maybe(3) == 3 and pair(2) == (2, 1.0)


def test_malformed_volumes_are_refused_clearly():
    a = ramp("<i2", (4, 5, 6))
    with pytest.raises(ValueError, match="C-contiguous"):
        voxcache.Volume(a[:, :, ::2])
    with pytest.raises(ValueError, match="shape"):
        voxcache.Volume(a[0, 0])  # one axis: no image (a[0] is a 2D image)
    with pytest.raises(ValueError, match="shape"):
        voxcache.Volume(a, dimension=4)  # a series needs (t, z, y, x)
    with pytest.raises(TypeError):
        voxcache.Volume(a.astype(object))
    with pytest.raises(TypeError):
        voxcache.Volume(a.tolist())
    with pytest.raises(ValueError, match="spacing"):
        voxcache.Volume(a, spacing=(1, 2))
    with pytest.raises(ValueError, match="direction"):
        voxcache.Volume(a, direction=(1, 0, 0))


def test_geometry_and_types_the_library_refuses_are_refused_by_the_constructor(cache):
    # At construction, not at the first put (issue 24).
    with pytest.raises(ValueError, match="spacing"):
        voxcache.Volume(ramp("<i2", (2, 2, 2)), spacing=(1.0, 0.0, 1.0))
    with pytest.raises(TypeError, match="float16"):
        voxcache.Volume(ramp("<f2", (2, 2, 2)))
    assert cache.stats()["handle"]["puts"] == 0


def test_misses_defaults_and_mapping_syntax(cache):
    k = voxcache.key("absent")
    with pytest.raises(KeyError):
        cache.get(k)
    assert cache.get(k, None) is None
    assert cache.get(k, default=7) == 7
    with pytest.raises(KeyError):
        cache.erase(k)
    cache[k] = "here"
    assert k in cache and cache[k] == "here"
    assert cache.get(k.hex) == "here", "keys may be hex strings"
    del cache[k]
    assert k not in cache
    with pytest.raises(ValueError):
        cache.get("not hex")
    with pytest.raises(TypeError):
        cache.get(42)


def test_a_closed_cache_says_so(tmp_path):
    c = voxcache.Cache(tmp_path / "closed.db")
    c.close()
    c.close()  # twice is fine
    assert c.closed
    for call in (lambda: c.get(voxcache.key("x")), lambda: c.put(voxcache.key("x"), 1),
                 lambda: c.list(), lambda: c.stats()):
        with pytest.raises(ValueError, match="closed"):
            call()


def test_options_are_checked(tmp_path):
    with pytest.raises(TypeError, match="unknown Cache option"):
        voxcache.Cache(tmp_path / "o.db", no_such_option=1)
    with pytest.raises(ValueError):
        voxcache.Cache(tmp_path / "o.db", shuffle="sometimes")
    with pytest.raises(ValueError):
        voxcache.Cache(tmp_path / "o.db", layout="cubes")


def test_metadata_info_list_stats_and_gc(cache):
    v = voxcache.Volume(ramp("<f4", (8, 9, 10)))
    recipe = voxcache.KeyBuilder("blur").arg("sigma", 2.0).input(voxcache.content_key(v))
    cache.put(recipe, v, metadata={"by": "test"})
    info = cache.info(recipe)
    assert info["metadata"] == {"by": "test"}
    assert info["operation"] == "blur"
    assert info["recipe"]["operation"] == "blur"
    assert info["inputs"] == [voxcache.content_key(v).hex]
    assert info["intensity"][0]["max"] == float(v.array.max())
    assert [e["key"] for e in cache.list()] == [recipe.build().hex]
    cache.get(recipe)
    s = cache.stats()
    assert s["entries"] == 1 and s["handle"]["disk_hits"] == 1
    assert s["counters"]["total"]["hits_disk"] == 1 and s["counters"]["volume"]["puts"] == 1
    report = cache.gc(max_entries=0, max_bytes=1)
    assert report["removed"] == [recipe.build().hex] and report["limits_met"]
    assert cache.list() == []


def test_strs_with_lone_surrogates_are_stored_exactly(tmp_path):
    # os.listdir and sys.argv decode undecodable file names to lone
    # surrogates (surrogateescape); VoxLogicA-2 keeps such strings too.
    s = "scan_\udcff.nii"
    keyed = voxcache.key("open", path=s)
    assert keyed != voxcache.key("open", path="scan_.nii")
    with voxcache.Cache(tmp_path / "s.db") as c:  # the defaults: memory tier on
        c.put(keyed, s)
        c.put(voxcache.key("json"), {"name": s, s: [s]})
        assert c.get(keyed) == s
    with voxcache.Cache(tmp_path / "s.db") as c:  # decoded from the database
        assert c.get(keyed) == s
        assert c.get(voxcache.key("json")) == {"name": s, s: [s]}
        # Metadata is JSON the library parses as UTF-8: a clear refusal.
        for metadata in ({"name": s}, '{"name": "' + s + '"}'):
            with pytest.raises(ValueError, match="lone surrogate"):
                c.put(voxcache.key("m"), 1, metadata=metadata)
        assert voxcache.key("m") not in c


def test_opening_the_wrong_file_or_none_says_so(tmp_path):
    import sqlite3

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE mine (x)").connection.commit()
    with pytest.raises(ValueError, match="not a voxcache database") as e:
        voxcache.Cache(other)
    assert not isinstance(e.value, voxcache.CorruptionError), "the wrong file, not a damaged one"
    for options in ({"read_only": True}, {"create_if_missing": False}):
        with pytest.raises(FileNotFoundError) as e:
            voxcache.Cache(tmp_path / "none.db", **options)
        assert e.value.filename == str(tmp_path / "none.db")
    assert not (tmp_path / "none.db").exists()
    # Documented: a new database's folder is created with it.
    with voxcache.Cache(tmp_path / "new" / "dir" / "c.db") as c:
        assert os.path.isdir(tmp_path / "new" / "dir") and len(c) == 0


def test_bad_arguments_name_the_argument_and_the_type(tmp_path):
    for options, message in [({"max_bytes": "ten"}, "'max_bytes' must be a non-negative int, not str"),
                             ({"max_bytes": -1}, "'max_bytes' must be a non-negative int, not int"),
                             ({"read_only": "yes"}, "'read_only' must be a bool, not str"),
                             ({"busy_timeout": "1s"}, "'busy_timeout' must be a number of seconds")]:
        with pytest.raises(TypeError, match=re.escape(message)):
            voxcache.Cache(tmp_path / "o.db", **options)
    for bad, message in [(lambda: voxcache.KeyBuilder(5), "operation is a str, not int"),
                         (lambda: voxcache.KeyBuilder("x").arg(3, 1), "name is a str, not int")]:
        with pytest.raises(TypeError, match=message) as e:
            bad()
        assert "incompatible" not in str(e.value) and "PYBIND11" not in str(e.value)


def test_a_cache_never_closed_writes_its_access_records_at_exit(tmp_path):
    import subprocess
    import sys

    db = tmp_path / "a.db"
    with voxcache.Cache(db) as c:
        c.put(voxcache.key("hot"), 1.5)
    # A daemon thread still holds the Cache when the interpreter exits, so
    # it is never collected: only the exit hook writes its 7 gets.
    script = (
        "import sys, threading, time, voxcache\n"
        "c = voxcache.Cache(sys.argv[1])\n"
        "for _ in range(7): c.get(voxcache.key('hot'))\n"
        "threading.Thread(target=lambda c=c: time.sleep(60), daemon=True).start()\n")
    subprocess.run([sys.executable, "-c", script, str(db)], check=True,
                   env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    with voxcache.Cache(db) as c:
        info = c.info(voxcache.key("hot"))
        assert info["access_count"] == 7
        assert c.stats()["counters"]["total"]["hits_disk"] + \
            c.stats()["counters"]["total"]["hits_memory"] == 7


def test_inputs_record_lineage_of_a_key_without_a_recipe(cache):
    source = voxcache.Volume(np.zeros((2, 3, 4), np.uint8))
    cache.put(voxcache.content_key(source), source)
    mask_key = voxcache.key("mask")
    cache.put(mask_key, 1)
    node = voxcache.key("node-17")  # a pipeline that names its own nodes
    cache.put(node, 2.5, inputs=[source, mask_key])
    info = cache.info(node)
    assert info["inputs"] == [voxcache.content_key(source).hex, mask_key.hex]
    assert info["operation"] is None or info["operation"] == ""
    assert cache.info(mask_key)["dependents"] == [node.hex]
    with pytest.raises(ValueError, match="recipe names its own"):
        cache.put(voxcache.KeyBuilder("r").input(mask_key), 3, inputs=[mask_key])


def test_put_says_whether_it_wrote(tmp_path):
    k = voxcache.key("once")
    with voxcache.Cache(tmp_path / "p.db") as a, voxcache.Cache(tmp_path / "p.db") as b:
        assert a.put(k, np.arange(3)) is True
        assert a.put(k, np.arange(3)) is False
        assert b.put(k, np.arange(3)) is False, "another handle sees it stored"


def test_get_with_info_returns_the_value_and_its_record(cache):
    k = voxcache.key("scan")
    cache.put(k, np.arange(6, dtype=np.int16), metadata={"subject": 7})
    value, info = cache.get(k, with_info=True)
    assert np.array_equal(value, np.arange(6, dtype=np.int16))
    assert info["metadata"] == {"subject": 7} and info["key"] == k.hex
    value, info = cache.get(k.hex[:12], with_info=True)  # a prefix, as elsewhere
    assert info["key"] == k.hex
    assert cache.get(voxcache.key("absent"), None, with_info=True) is None
    with pytest.raises(KeyError):
        cache.get(voxcache.key("absent"), with_info=True)


def test_len_keys_clear_pins_and_key_prefixes(cache):
    keys = [voxcache.key("n", i=i) for i in range(3)]
    for i, k in enumerate(keys):
        cache.put(k, i)
    assert len(cache) == 3
    assert sorted(cache) == sorted(cache.keys()) == sorted(k.hex for k in keys)
    short = keys[1].hex[:10]  # as on the command line: 8 or more hex digits
    assert cache[short] == 1 and cache.get(short) == 1 and short in cache
    assert cache.info(short)["key"] == keys[1].hex
    assert "0123abcd" not in cache and cache.get("0123abcd", "none") == "none"
    with pytest.raises(KeyError):
        cache["0123abcd"]
    with pytest.raises(ValueError):
        cache.put(short, 5)  # storing needs the whole key
    cache.pin(short)
    assert cache.info(keys[1])["pinned"]
    report = cache.clear(keep_pinned=True)
    assert report["removed"] == 2 and report["entries_left"] == 1
    assert list(cache) == [keys[1].hex]
    cache.unpin(keys[1])
    assert cache.clear()["removed"] == 1 and len(cache) == 0
    with pytest.raises(KeyError):
        cache.pin(keys[0])


def test_stats_are_the_clis_record(tmp_path, cli):
    import subprocess

    db = tmp_path / "s.db"
    with voxcache.Cache(db) as c:
        k = voxcache.key("s")
        c.put(k, 1.5)
        c.get(k)
        c.get(voxcache.key("absent"), None)
        mine = c.stats()
    printed = json.loads(subprocess.run([cli, "--db", str(db), "stats", "--json"], check=True,
                                        capture_output=True, text=True).stdout)
    assert mine.pop("handle")["misses"] == 1
    assert mine == printed


def test_corruption_is_an_error_of_its_own_and_io_errors_are_oserrors(tmp_path):
    import sqlite3

    path = tmp_path / "bad.db"
    with voxcache.Cache(path) as c:
        v = voxcache.Volume(ramp("<i2", (64, 64, 64)))
        c.put(voxcache.key("v"), v)
    db = sqlite3.connect(path)
    blob = bytearray(db.execute("SELECT data FROM chunks WHERE chunk_index = 0").fetchone()[0])
    blob[40] ^= 1
    db.execute("UPDATE chunks SET data = ? WHERE chunk_index = 0", (bytes(blob),))
    db.commit()
    db.close()
    with voxcache.Cache(path) as c:
        with pytest.raises(voxcache.CorruptionError, match="chunk 0"):
            c.get(voxcache.key("v"))
        assert isinstance(voxcache.CorruptionError("x"), voxcache.Error)
        bad = c.verify()
        assert [k for k, _ in bad] == [voxcache.key("v").hex] and "chunk 0" in bad[0][1]
    with pytest.raises(voxcache.IOError) as e:
        voxcache.Cache("/proc/no/such/dir/cache.db")
    assert isinstance(e.value, OSError)
    (tmp_path / "text.db").write_text("not sqlite at all, and long enough to be a header" * 10)
    with pytest.raises(voxcache.CorruptionError):
        voxcache.Cache(tmp_path / "text.db")


def test_the_default_path_is_the_libraries(tmp_path, monkeypatch):
    monkeypatch.setenv("VOXCACHE_DIR", str(tmp_path / "dir"))
    assert voxcache.default_path() == str(tmp_path / "dir" / "cache.db")
    with voxcache.Cache() as c:
        c.put(voxcache.key("here"), 1)
        assert c.path == str(tmp_path / "dir" / "cache.db")
    assert (tmp_path / "dir" / "cache.db").exists()


def test_the_open_options_of_this_issue_are_accepted_and_typed(tmp_path):
    # allow_network_filesystem (refusing NFS is tested in C++ with an
    # injected statfs: no NFS server here) and record_reads.
    with voxcache.Cache(tmp_path / "o.db", allow_network_filesystem=True, record_reads=False) as c:
        c.put(voxcache.key("x"), 1)
        assert c.get(voxcache.key("x")) == 1
    for name in ("allow_network_filesystem", "record_reads"):
        with pytest.raises(TypeError, match=name):
            voxcache.Cache(tmp_path / "p.db", **{name: "yes"})
