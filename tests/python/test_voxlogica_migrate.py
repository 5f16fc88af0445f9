"""voxlogica.migrate and `voxcache import-store voxlogica`: both VoxLogicA-2
store schemas, written as VoxLogicA-2 writes them (voxlogica_stores.py),
copied into a cache on the default options, every voxel and geometry
field compared; hostile and damaged sources; the source left as it was.
"""

import hashlib
import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import voxcache
from voxcache.integrations import _voxlogica_migrate, voxlogica
from voxlogica_stores import CurrentStore, LegacyStore, pickled, sitk_image

CLI = os.environ.get("VOXCACHE_CLI")


def nid(text):
    return hashlib.sha256(text.encode()).hexdigest()


def tree_digest(folder):
    """Every file under folder and its bytes: what 'left as it was' means."""
    out = {}
    for root, _, names in os.walk(folder):
        for n in names:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, folder)] = hashlib.sha256(f.read()).hexdigest()
    return out


def geometry_image():
    a = (np.arange(5 * 6 * 7) % 251).astype(np.uint8).reshape(5, 6, 7)
    d = np.eye(3)
    d[0, 0], d[1, 1] = -1.0, -1.0
    return sitk_image(a, spacing=(0.9375, 0.9375, 1.5), origin=(-90.25, 126.5, -72.0),
                      direction=tuple(d.reshape(-1)), metadata={"ITK_FileNotes": "t1"})


# name -> (source value, what it is as a voxcache value's parts)
def legacy_values():
    rng = np.random.default_rng(7)
    return {
        "t1": geometry_image(),
        "slice": sitk_image(rng.standard_normal((6, 9)).astype(np.float32), spacing=(0.5, 2.0),
                            origin=(1.0, -3.0)),
        "rgb": sitk_image((np.arange(4 * 5 * 3) % 256).astype(np.uint8).reshape(4, 5, 3),
                          vector=True),
        "ct": sitk_image(rng.integers(-1024, 3000, (3, 4, 5)).astype(np.int16),
                         spacing=(0.7, 0.7, 2.5)),
        "nan": sitk_image(np.array([[[np.nan, -np.inf], [0.0, -0.0]]], np.float64)),
        "volume_ml": 1523.25, "count": 42, "none": None, "flag": True, "label": "left hippocampus",
        "stats": {"mean": 1.5, "labels": [1, 2]}, "pair": [1, "x"],
        "array": rng.integers(0, 9, (3, 4)).astype(np.int16), "scalar": np.float64(0.125),
    }


def check_image(value, src, as_simpleitk):
    """value (what get_record gave) holds src's voxels and geometry exactly."""
    vector = src.vector
    if as_simpleitk:
        assert type(value).__name__ == "Image"
        arr, spacing, origin, direction = (value.array, value.GetSpacing(), value.GetOrigin(),
                                           value.GetDirection())
        assert value.GetNumberOfComponentsPerPixel() == (src.array.shape[-1] if vector else 1)
    else:
        assert isinstance(value, voxcache.Volume)
        assert value.dimension == src.dim
        arr = value.array
        spacing, origin = value.spacing[:src.dim], value.origin[:src.dim]
        direction = np.asarray(value.direction).reshape(3, 3)[:src.dim, :src.dim].reshape(-1)
    assert arr.dtype == src.array.dtype and arr.shape == src.array.shape
    assert arr.tobytes() == src.array.tobytes()  # bit for bit, NaN and -0.0 too
    assert tuple(spacing) == tuple(float(v) for v in src.spacing)
    assert tuple(origin) == tuple(float(v) for v in src.origin)
    assert tuple(float(v) for v in direction) == tuple(float(v) for v in src.direction)


def check_value(value, src):
    if hasattr(src, "vector"):
        return check_image(value, src, as_simpleitk=False)
    assert type(value) is type(src)
    if isinstance(src, (np.ndarray, np.generic)):
        assert value.dtype == src.dtype and value.tobytes() == src.tobytes()
    else:
        assert value == src


@pytest.fixture
def legacy(tmp_path):
    (tmp_path / "voxlogica").mkdir()
    store = LegacyStore(tmp_path / "voxlogica" / "storage.db")
    values = legacy_values()
    for name, v in values.items():
        store.store(nid(name), v, {"op": name, "elapsed": 0.25})
    store.close()
    return store.path, values


def test_a_legacy_store_migrates_with_every_voxel_and_geometry_field(tmp_path, legacy):
    path, values = legacy
    before = tree_digest(path.parent)
    with voxcache.Cache(tmp_path / "cache.db") as cache:
        summary = voxlogica.migrate(path, cache)
    assert summary["schema"] == "legacy" and summary["entries"] == len(values)
    assert summary["copied"] == len(values), summary["skips"]
    assert summary["skipped"] == summary["failed"] == 0
    assert summary["by_type"]["image"]["copied"] == 5
    assert summary["bytes_before"] == sum(len(pickled(v)) for v in values.values())
    assert tree_digest(path.parent) == before  # the source is as it was
    with voxlogica.VoxcacheResultsDatabase(tmp_path / "cache.db") as db:
        # (These values are tiny; docs/benchmarks.md 17 has the sizes of real ones.)
        assert summary["bytes_after"] == sum(
            db.cache.info(nid(n))["stored_bytes"] for n in values)
        for name, src in values.items():
            record = db.get_record(nid(name))
            check_value(record.value, src)
            assert record.metadata == {"op": name, "elapsed": 0.25}
            assert record.status == "materialized" and record.created_at > 1.7e9
        assert db.get_record(nid("t1")).vox_type == "image"
        info = db.cache.info(nid("t1"))
        assert info["metadata"]["voxlogica"]["image"]["metadata"] == {"ITK_FileNotes": "t1"}
        assert info["metadata"]["voxlogica"]["migrated_from"]["schema"] == "legacy"


def test_migrated_images_come_back_as_simpleitk_images_when_it_is_there(
        tmp_path, legacy, simpleitk):
    path, values = legacy
    with voxcache.Cache(tmp_path / "cache.db") as cache:
        voxlogica.migrate(path, cache)
    with voxlogica.VoxcacheResultsDatabase(tmp_path / "cache.db") as db:
        for name in ("t1", "slice", "rgb", "ct", "nan"):
            check_image(db.get_record(nid(name)).value, values[name], as_simpleitk=True)


def test_a_second_run_copies_nothing(tmp_path, legacy):
    path, values = legacy
    with voxcache.Cache(tmp_path / "cache.db") as cache:
        first = voxlogica.migrate(path, cache)
        second = voxlogica.migrate(path, cache)
        assert len(cache) == len(values)
    assert first["copied"] == len(values)
    assert second["copied"] == 0 and second["present"] == len(values)
    assert second["bytes_after"] == 0


def test_a_store_still_open_in_voxlogica_is_read_with_its_wal(tmp_path):
    store = LegacyStore(tmp_path / "storage.db")
    store.store(nid("a"), 1.5)  # in the WAL: the writer has not closed
    with voxcache.Cache(tmp_path / "cache.db") as cache:
        summary = voxlogica.migrate(store.path, cache)
        assert cache.get(nid("a")) == 1.5
    store.close()
    assert summary["copied"] == 1


MARKER = "voxcache-pickle-ran"


def hostile_pickles(marker):
    """Pickles that would run code under pickle.loads."""
    command = f"touch {marker}"
    # GLOBAL os.system, REDUCE: what `pickle.loads` of a hostile row runs.
    protocol0 = b"cos\nsystem\n(V" + command.encode() + b"\ntR."

    class Evil:
        def __reduce__(self):
            return (os.system, (command,))

    class Sneaky:  # an image whose state smuggles in a call
        def __reduce__(self):
            return (eval, (f"__import__('os').system({command!r})",))

    return {"system0": protocol0, "system4": pickle.dumps(Evil(), protocol=4),
            "eval": pickle.dumps(Sneaky(), protocol=4),
            "nested": pickle.dumps({"ok": 1, "bad": Evil()}, protocol=4),
            "object_array": pickle.dumps(np.array([1, Evil()], dtype=object), protocol=4)}


def test_a_hostile_pickle_runs_nothing_and_the_rest_is_copied(tmp_path):
    marker = tmp_path / MARKER
    store = LegacyStore(tmp_path / "storage.db")
    for name, blob in hostile_pickles(marker).items():
        store.store_blob(nid(name), blob, "Evil")
    store.store(nid("good"), geometry_image())
    store.close()
    with voxcache.Cache(tmp_path / "cache.db") as cache:
        summary = voxlogica.migrate(store.path, cache)
        assert not marker.exists()  # nothing ran
        reasons = {s["node_id"]: s["reason"] for s in summary["skips"]}
        assert "os.system" in reasons[nid("system0")] and "not run" in reasons[nid("system0")]
        assert "posix.system" in reasons[nid("system4")] or "os.system" in reasons[nid("system4")]
        assert "builtins.eval" in reasons[nid("eval")]
        assert "system" in reasons[nid("nested")]
        assert "is not numeric" in reasons[nid("object_array")]
        assert summary["skipped"] == 5 and summary["copied"] == 1
        assert len(cache) == 1
    # The same bytes do run under pickle.loads: the test can fail.
    pickle.loads(hostile_pickles(marker)["system0"])
    assert marker.exists()


def test_damaged_and_lying_images_are_skipped_before_anything_is_allocated(tmp_path):
    store = LegacyStore(tmp_path / "storage.db")
    good = pickled(geometry_image())
    store.store_blob(nid("truncated"), good[: len(good) // 2], "Image")
    store.store_blob(nid("garbage"), b"\x80\x04not a pickle", "Image")
    short = geometry_image()
    short.size = (7, 6, 6)  # one slice more than the buffer holds
    store.store(nid("short"), short)
    huge = sitk_image(np.zeros((1, 1, 1), np.uint8))
    huge.size = (100000, 100000, 100000)  # 10^15 voxels claimed, one given
    store.store(nid("huge"), huge)
    complex_image = sitk_image(np.zeros((1, 2, 2), np.complex64))
    store.store(nid("complex"), complex_image)
    store.store(nid("4d"), sitk_image(np.zeros((2, 2, 2, 2), np.uint8)))
    # Pixel id 7: uint64 in SimpleITK's default build, float64 without 64-bit ids.
    store.store(nid("u64"), sitk_image(np.arange(8, dtype=np.uint64).reshape(2, 2, 2)))
    store.store("not-a-node-id", 1.0)
    store.close()
    with voxcache.Cache(tmp_path / "cache.db") as cache:
        summary = voxlogica.migrate(store.path, cache)
        assert len(cache) == 0
    reasons = {s["node_id"]: s["reason"] for s in summary["skips"]}
    assert "damaged pickle" in reasons[nid("truncated")]
    assert "damaged pickle" in reasons[nid("garbage")]
    assert "buffer is not the 252 bytes" in reasons[nid("short")]
    assert "buffer is not the 1000000000000000 bytes" in reasons[nid("huge")]
    assert "2 or 3" in reasons[nid("4d")]
    assert "complex float32 pixels" in reasons[nid("complex")]
    assert "uint64 or float64" in reasons[nid("u64")]
    assert reasons["not-a-node-id"] == "not a SHA-256 node id"
    assert summary["skipped"] == 8 and summary["copied"] == 0


def write_current(path):
    rng = np.random.default_rng(3)
    store = CurrentStore(path)
    src = {}
    img = geometry_image()
    store.put_image(nid("t1"), img, metadata={"elapsed": 1.0},
                    expression={"operator": "load"}, dependencies=[])
    src["t1"] = img
    rgb = sitk_image((np.arange(2 * 3 * 4 * 3) % 256).astype(np.uint8).reshape(2, 3, 4, 3),
                     vector=True, spacing=(1.0, 2.0, 3.0))
    store.put_image(nid("rgb"), rgb)
    src["rgb"] = rgb
    mask = rng.integers(0, 2, (4, 5, 6)).astype(bool)
    store.put_array(nid("mask"), mask, expression={"operator": "threshold", "args": [nid("t1")]},
                    dependencies=[nid("t1")])
    src["mask"] = mask
    store.put_scalar(nid("volume"), "number", 12.5)
    store.put_scalar(nid("n"), "integer", 3)
    store.put_scalar(nid("null"), "null", None)
    store.put_scalar(nid("yes"), "boolean", False)
    store.put_scalar(nid("s"), "string", "ok")
    store.row(nid("b"), "bytes", {"encoding": "bytes-binary-v1", "length": 3}, b"\x00\x01\x02")
    store.row(nid("map"), "mapping", {"encoding": "mapping-json-v1", "value": {"a": [1, 2]}})
    store.row(nid("seq"), "sequence", {"encoding": "sequence-json-v1", "value": [1, "x"],
                                       "length": 2})
    src.update(volume=12.5, n=3, null=None, yes=False, s="ok", b=b"\x00\x01\x02",
               map={"a": [1, 2]}, seq=[1, "x"])
    # What is not copied, each for its reason.
    store.row(nid("planned"), None, {}, status="planned")
    store.row(nid("overlay"), "overlay", {"encoding": "overlay-v1", "layers": []})
    store.row(nid("escape"), "bytes", {"encoding": "bytes-binary-v1", "length": 1}, None,
              payload_file="../outside.bin")
    store.row(nid("missing"), "bytes", {"encoding": "bytes-binary-v1", "length": 1}, None,
              payload_file="gone.bin")
    store.row(nid("lying"), "ndarray", {"encoding": "ndarray-binary-v1", "dtype": "float64",
                                        "shape": [1000, 1000, 1000], "order": "C",
                                        "byte_order": "little"}, b"\x00" * 8)
    store.row(nid("objects"), "ndarray", {"encoding": "ndarray-binary-v1", "dtype": "object",
                                          "shape": [1]}, b"\x00" * 8)
    store.put_scalar(nid("badscalar"), "integer", "three")
    store.close()
    (path.parent / "outside.bin").write_bytes(b"x")
    return src


def test_a_current_store_migrates_with_every_voxel_geometry_field_and_lineage(tmp_path):
    path = tmp_path / "vl" / "results.db"
    path.parent.mkdir()
    src = write_current(path)
    before = tree_digest(path.parent)
    with voxcache.Cache(tmp_path / "cache.db") as cache:
        summary = voxlogica.migrate(path, cache)
    assert tree_digest(path.parent) == before
    assert summary["schema"] == "current"
    assert summary["copied"] == len(src), summary["skips"]
    reasons = {s["node_id"]: s["reason"] for s in summary["skips"]}
    assert "no value" in reasons[nid("planned")]
    assert "overlay" in reasons[nid("overlay")]
    assert "not a file name" in reasons[nid("escape")]
    assert "missing" in reasons[nid("missing")]
    assert "8 bytes, its header says 8000000000" in reasons[nid("lying")]
    assert "numeric" in reasons[nid("objects")]
    assert "integer" in reasons[nid("badscalar")]
    assert summary["skipped"] == 7
    with voxlogica.VoxcacheResultsDatabase(tmp_path / "cache.db") as db:
        for name, value in src.items():
            record = db.get_record(nid(name))
            check_value(record.value, value)
            assert record.runtime_version == "2.1.0"
        mask = db.get_record(nid("mask"))
        assert mask.dependencies == [nid("t1")]
        assert mask.expression == {"operator": "threshold", "args": [nid("t1")]}
        assert db.cache.info(nid("t1"))["dependents"] == [nid("mask")]
        t1 = db.get_record(nid("t1"))
        assert t1.metadata == {"elapsed": 1.0} and t1.created_at < t1.updated_at


def test_a_copy_that_does_not_read_back_equal_is_erased_and_reported(tmp_path, monkeypatch):
    store = LegacyStore(tmp_path / "storage.db")
    store.store(nid("a"), geometry_image())
    store.close()
    monkeypatch.setattr(_voxlogica_migrate, "_same", lambda a, b: False)
    with voxcache.Cache(tmp_path / "cache.db") as cache:
        summary = voxlogica.migrate(store.path, cache)
        assert summary["failed"] == 1 and summary["copied"] == 0
        assert "differs" in summary["failures"][0]["reason"]
        assert nid("a") not in cache
    # The command's importer says so in its exit code (1) and its summary.
    from voxcache.integrations import import_store
    assert import_store.main(["voxlogica", str(store.path), "--db",
                              str(tmp_path / "cli.db"), "--json"]) == 1


def test_a_node_voxlogica_stores_meanwhile_keeps_its_entry(tmp_path, monkeypatch):
    store = LegacyStore(tmp_path / "storage.db")
    store.store(nid("a"), 1.0)
    store.close()
    real = _voxlogica_migrate.write_result

    def racing(cache, key, *args, **kwargs):  # VoxLogicA's put lands between check and copy
        with voxlogica.VoxcacheResultsDatabase(cache.path) as other:
            other.put_success(nid("a"), 2.0)
        return real(cache, key, *args, **kwargs)

    monkeypatch.setattr(_voxlogica_migrate, "write_result", racing)
    with voxcache.Cache(tmp_path / "cache.db") as cache:
        summary = voxlogica.migrate(store.path, cache)
        assert summary["present"] == 1 and summary["copied"] == summary["failed"] == 0
        assert cache.get(nid("a")) == 2.0  # its entry, not erased for differing


def test_what_is_not_a_store_is_told_apart(tmp_path):
    with voxcache.Cache(tmp_path / "cache.db") as cache:
        with pytest.raises(FileNotFoundError):
            voxlogica.migrate(tmp_path / "nothing.db", cache)
        (tmp_path / "text.db").write_text("not sqlite at all, but long enough to be read " * 20)
        with pytest.raises(_voxlogica_migrate.NotAStore):
            voxlogica.migrate(tmp_path / "text.db", cache)
        with pytest.raises(_voxlogica_migrate.NotAStore):
            voxlogica.migrate(cache.path, cache)  # a voxcache database is not one


def cli(*args, env=None):
    return subprocess.run([CLI, *args], capture_output=True, text=True,
                          env=env or dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))


@pytest.mark.skipif(not CLI, reason="VOXCACHE_CLI names the voxcache binary (the test command sets it)")
def test_the_cli_dry_run_writes_nothing_then_the_run_copies(tmp_path, legacy):
    path, values = legacy
    db = tmp_path / "cli.db"
    dry = cli("--db", str(db), "import-store", "voxlogica", str(path), "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    summary = json.loads(dry.stdout)
    assert summary["dry_run"] and summary["copied"] == len(values)
    assert not db.exists()
    run = cli("--db", str(db), "import-store", "voxlogica", str(path))
    assert run.returncode == 0, run.stderr
    assert f"copied {len(values)}, present already 0, skipped 0" in run.stdout
    again = cli("--db", str(db), "import-store", "voxlogica", str(path), "--json")
    assert json.loads(again.stdout)["present"] == len(values)
    ls = cli("--db", str(db), "ls", "--json")
    assert len(json.loads(ls.stdout)) == len(values)


@pytest.mark.skipif(not CLI, reason="VOXCACHE_CLI names the voxcache binary (the test command sets it)")
def test_the_cli_tells_bad_usage_from_a_failure(tmp_path):
    db = str(tmp_path / "cli.db")
    (tmp_path / "x.txt").write_text("hello")
    assert cli("--db", db, "import-store", "voxlogica", str(tmp_path / "x.txt")).returncode == 2
    assert cli("--db", db, "import-store", "zarr", str(tmp_path / "x.txt")).returncode == 2
    missing = cli("--db", db, "import-store", "voxlogica", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and "no VoxLogicA-2 store" in missing.stderr
    no_python = cli("--db", db, "import-store", "voxlogica", str(tmp_path / "none.db"),
                    env=dict(os.environ, VOXCACHE_PYTHON=str(tmp_path / "no-python")))
    assert no_python.returncode == 1 and "python" in no_python.stderr.lower()
