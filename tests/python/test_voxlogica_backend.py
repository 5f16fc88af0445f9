"""VoxLogicA-2's StorageBackend contract, as its storage.py and its tests
state it, run against voxcache.integrations.voxlogica.VoxcacheResultsDatabase
on the default options (memory tier on).

SimpleITK is not packaged for Debian 12, so the image conversion runs
against a stand-in module named SimpleITK (voxlogica_stores.py): a
numpy-backed Image with the calls the backend makes (GetArrayViewFromImage,
GetImageFromArray, the geometry getters and setters), each behaving as
SimpleITK documents.
"""

import dataclasses
import hashlib
import subprocess
import sys
import threading
import types

import numpy as np
import pytest

import voxcache
import voxlogica_stores
from voxcache.integrations import voxlogica


def node_id(text):
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def store(tmp_path):
    db = voxlogica.VoxcacheResultsDatabase(tmp_path / "results.db", runtime_version="2.0-test")
    yield db
    db.close()


@dataclasses.dataclass(frozen=True)
class NodeSpec:  # VoxLogicA's voxlogica.lazy.ir.NodeSpec, field for field
    kind: str
    operator: str
    args: tuple = ()
    kwargs: tuple = ()
    attrs: dict = dataclasses.field(default_factory=dict)
    output_kind: str = "value"


VALUES = [None, True, 7, -2.5, "text", b"\x00raw", {"a": [1, 2]}, [1, "x"], (1, 2.5),
          np.arange(12, dtype=np.int16).reshape(3, 4), np.float32(0.25),
          voxcache.Volume(np.arange(60, dtype=np.float32).reshape(3, 4, 5), spacing=(0.5, 1, 2))]
VOX_TYPES = ["null", "boolean", "integer", "number", "string", "bytes", "mapping", "sequence",
             "sequence", "ndarray", "number", "image"]


def same(a, b):
    assert type(a) is type(b)
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and a == b
    else:
        assert a == b


@pytest.mark.parametrize("i", range(len(VALUES)))
def test_every_value_kind_comes_back_in_a_record(store, i):
    nid = node_id(f"value {i}")
    assert not store.has(nid)
    store.put_success(nid, VALUES[i], {"elapsed_s": 0.5})
    assert store.has(nid)
    record = store.get_record(nid)
    assert record.node_id == nid and record.status == "materialized"
    same(record.value, VALUES[i])
    assert record.vox_type == VOX_TYPES[i]
    assert record.metadata == {"elapsed_s": 0.5}
    assert record.runtime_version == "2.0-test"
    assert record.format_version == "voxpod/1" and record.error is None
    assert 0 < record.created_at <= record.updated_at
    # The node id is the key as it is: voxcache's own tools find it by it.
    assert store.cache.info(nid)["key"] == nid


def test_unknown_and_malformed_ids(store):
    nid = node_id("never stored")
    assert not store.has(nid)
    assert store.get_record(nid) is None
    store.delete(nid)  # no error, as VoxLogicA's store
    for bad in ("abc", nid.upper(), 42):
        with pytest.raises(ValueError, match="64 lower-case hex digits"):
            store.has(bad)


def test_a_second_put_replaces_value_and_metadata_and_keeps_created_at(tmp_path, store):
    nid = node_id("replaced")
    store.put_success(nid, 1.0, {"run": 1})
    first = store.get_record(nid)
    other = voxlogica.VoxcacheResultsDatabase(tmp_path / "results.db")  # its own memory tier
    try:
        assert other.get_record(nid).value == 1.0
        assert other.get_record(nid).value == 1.0  # now from its memory tier
        store.put_success(nid, 2.0, {"run": 2})
        for db in (store, other):
            record = db.get_record(nid)
            assert record.value == 2.0 and record.metadata == {"run": 2}
            assert record.created_at == first.created_at
            assert record.updated_at >= first.updated_at
    finally:
        other.close()
    assert len(store.cache) == 1


def test_concurrent_puts_of_one_node_leave_one_whole_record(store):
    nid = node_id("contended")
    errors = []

    def put(i):
        try:
            for _ in range(10):
                store.put_success(nid, np.full(1000, i, dtype=np.int32), {"writer": i})
        except Exception as e:  # noqa: BLE001 - the test reports any
            errors.append(e)

    threads = [threading.Thread(target=put, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    record = store.get_record(nid)
    writer = record.metadata["writer"]
    assert np.array_equal(record.value, np.full(1000, writer, dtype=np.int32))


def test_delete_and_clear(store):
    a, b = node_id("a"), node_id("b")
    store.put_success(a, 1)
    store.put_success(b, 2)
    store.delete(a)
    assert not store.has(a) and store.get_record(a) is None and store.has(b)
    store.clear()
    assert not store.has(b) and len(store.cache) == 0


def test_definitions_give_a_result_its_expression_and_lineage(store):
    x, y = node_id("x"), node_id("y")
    node = NodeSpec("primitive", "dilate", args=(x,), kwargs=(("radius", y),),
                    attrs={"k": 3})
    nid = node_id("dilate")
    plan = types.SimpleNamespace(nodes={nid: node})
    store.put_plan_definitions(plan)
    store.put_success(x, 1)
    store.put_success(y, 2)
    store.put_success(nid, np.zeros(3))
    record = store.get_record(nid)
    assert record.expression["operator"] == "dilate"
    assert record.expression["args"] == [x]
    assert record.dependencies == [x, y]
    assert store.cache.info(x)["dependents"] == [nid]


@pytest.mark.parametrize("shape, vector", [((4, 5, 6), False), ((5, 6), False),
                                           ((4, 5, 6, 3), True)])
def test_simpleitk_images_are_volumes_with_their_geometry(store, simpleitk, shape, vector):
    array = (np.arange(np.prod(shape)) % 251).astype(np.uint8).reshape(shape)
    image = simpleitk.GetImageFromArray(array, isVector=vector)
    dim = image.GetDimension()
    image.SetSpacing([0.7, 1.1, 2.3][:dim])
    image.SetOrigin([-90.5, 12.25, 3.0][:dim])
    direction = np.eye(dim)
    direction[0, 0] = -1.0
    image.SetDirection(direction.reshape(-1))
    nid = node_id(f"image {shape}")
    store.put_success(nid, image)
    info = store.cache.info(nid)
    assert info["data_type"] == "volume" and info["volume"]["dimension"] == dim
    assert info["volume"]["components"] == (3 if vector else 1)
    back = store.get_record(nid).value
    assert isinstance(back, voxlogica_stores.Image)
    assert np.array_equal(back.array, array) and back.array.dtype == np.uint8
    assert back.GetSpacing() == image.GetSpacing()
    assert back.GetOrigin() == image.GetOrigin()
    assert back.GetDirection() == tuple(float(v) for v in image.GetDirection())
    assert back.GetNumberOfComponentsPerPixel() == image.GetNumberOfComponentsPerPixel()


def test_without_simpleitk_an_image_comes_back_as_a_volume(tmp_path, simpleitk, monkeypatch):
    image = simpleitk.GetImageFromArray(np.ones((2, 3, 4), dtype=np.int16))
    image.SetSpacing((2.0, 2.0, 2.0))
    nid = node_id("image")
    with voxlogica.VoxcacheResultsDatabase(tmp_path / "r.db") as db:
        db.put_success(nid, image)
    monkeypatch.setitem(sys.modules, "SimpleITK", None)  # import SimpleITK now fails
    with voxlogica.VoxcacheResultsDatabase(tmp_path / "r.db") as db:
        value = db.get_record(nid).value
    assert isinstance(value, voxcache.Volume) and value.spacing == (2.0, 2.0, 2.0)
    assert np.array_equal(value.array, np.ones((2, 3, 4), dtype=np.int16))


def test_importing_the_backend_needs_neither_voxlogica_nor_simpleitk():
    code = ("import sys; import voxcache.integrations.voxlogica as v; "
            "assert 'SimpleITK' not in sys.modules; "
            "assert v.ResultRecord.__module__ == 'voxcache.integrations.voxlogica'")
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={"PYTHONPATH": ":".join(sys.path)})


def test_what_voxlogica_cannot_store_is_refused_before_anything_is_written(store):
    nid = node_id("bad")
    with pytest.raises(TypeError):
        store.put_success(nid, object())
    with pytest.raises(TypeError):
        store.put_success(nid, 1, {"not json": {1, 2}})
    assert not store.has(nid)
