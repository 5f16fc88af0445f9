"""Volumes with their neighbours: nibabel images (RAS) and back, SimpleITK
where it is installed, the C++ CLI on the same database, streams, regions,
and threads that run while the library works."""

import json
import os
import subprocess
import threading
import time

import nibabel
import numpy as np
import pytest

import voxcache
from conftest import TEMPLATES

CH2 = os.path.join(TEMPLATES, "ch2.nii.gz")


def test_nibabel_round_trip_is_exact():
    # Axis-aligned directions with flips, odd spacing: every field survives.
    a = np.arange(5 * 6 * 7, dtype=np.int16).reshape(5, 6, 7)
    v = voxcache.Volume(a, spacing=(0.7, 1.1, 2.3000000000000003), origin=(-90.125, 126.1, -72.5),
                        direction=(-1, 0, 0, 0, 1, 0, 0, 0, -1))
    img = v.to_nibabel()
    assert img.shape == (7, 6, 5)
    assert np.shares_memory(np.asanyarray(img.dataobj), a), "to_nibabel views the voxels"
    back = voxcache.Volume.from_nibabel(img)
    assert back == v
    assert np.shares_memory(back.array, a)


def test_a_nifti_file_reads_the_same_from_the_cli_and_from_nibabel(cache, cli, tmp_path):
    img = nibabel.load(CH2)
    v = voxcache.Volume.from_nibabel(img)
    assert v.size == img.shape[:3]
    # The same file through the C++ CLI into the same database.
    out = subprocess.run([cli, "--db", cache.path, "import", "--json", CH2],
                         capture_output=True, text=True, check=True).stdout
    key = json.loads(out)[0]["key"]
    itk = cache.get(key)
    assert itk == v, "voxels and geometry, bit for bit (docs/format.md 2.5)"
    assert key == str(voxcache.content_key(v))
    np.testing.assert_allclose(itk.spacing, v.spacing, rtol=1e-6)
    np.testing.assert_allclose(itk.origin, v.origin, atol=1e-4)
    np.testing.assert_allclose(itk.direction, v.direction, atol=1e-6)
    # And an affine that goes back to the file's own.
    np.testing.assert_allclose(itk.affine(), img.affine, atol=1e-4)
    again = voxcache.Volume.from_nibabel(v.to_nibabel())
    assert again == v


def test_a_volume_written_from_python_is_read_by_the_cli(cache, cli, tmp_path):
    a = (np.arange(20 * 30 * 40) % 200).astype(np.float32).reshape(20, 30, 40)
    v = voxcache.Volume(a, spacing=(1.5, 1.0, 2.0), origin=(10.0, -5.0, 3.0))
    k = voxcache.content_key(v)
    cache.put(k, v, metadata={"from": "python"})
    cache.close()
    db = str(tmp_path / "cache.db")
    show = json.loads(subprocess.run([cli, "--db", db, "show", k.hex, "--json"],
                                     capture_output=True, text=True, check=True).stdout)
    assert show["metadata"] == {"from": "python"}
    assert show["volume"]["size"] == [40, 30, 20] and show["volume"]["pixel_type"] == "f32"
    assert show["volume"]["spacing"] == [1.5, 1.0, 2.0]
    nii = str(tmp_path / "out.nii.gz")
    subprocess.run([cli, "--db", db, "export", k.hex, nii], check=True, capture_output=True)
    img = nibabel.load(nii)
    back = voxcache.Volume.from_nibabel(img)
    assert np.array_equal(back.array, a)
    np.testing.assert_allclose(back.spacing, v.spacing)
    np.testing.assert_allclose(back.origin, v.origin, atol=1e-5)
    assert subprocess.run([cli, "--db", db, "verify"], capture_output=True).returncode == 0


def test_simpleitk_round_trip():
    sitk = pytest.importorskip("SimpleITK")
    v = voxcache.Volume(np.arange(24, dtype=np.int16).reshape(2, 3, 4), spacing=(0.5, 1, 2))
    assert voxcache.Volume.from_sitk(v.to_sitk()) == v
    del sitk


@pytest.mark.parametrize("layout", [None, "bricks", "bricks 8x8x4"])
def test_regions_slices_and_layouts(cache, layout):
    a = np.random.default_rng(1).integers(0, 1000, size=(24, 20, 28), dtype=np.int16)
    v = voxcache.Volume(a, spacing=(0.5, 0.7, 1.3), origin=(1.0, 2.0, 3.0))
    k = voxcache.content_key(v)
    cache.put(k, v, layout=layout)
    assert cache.info(k)["layout"] == {None: "z-slabs", "bricks": "bricks 28x20x24",
                                       "bricks 8x8x4": "bricks 8x8x4"}[layout]
    r = cache.read_region(k, (3, 4, 5), (10, 9, 8))  # (z, y, x)
    assert np.array_equal(r.array, a[3:13, 4:13, 5:13])
    assert r.origin == (1.0 + 5 * 0.5, 2.0 + 4 * 0.7, 3.0 + 3 * 1.3)
    for axis, index, cut in (("x", 7, a[:, :, 7:8]), ("y", 0, a[:, 0:1, :]), ("z", 23, a[23:24]),
                             (0, 27, a[:, :, 27:28])):
        assert np.array_equal(cache.read_slice(k, axis, index).array, cut)
    with pytest.raises(ValueError):
        cache.read_region(k, (0, 0, 0), (25, 1, 1))
    with pytest.raises(ValueError):
        cache.read_slice(k, "w", 0)
    with pytest.raises(KeyError):
        cache.read_slice(voxcache.key("none"), "z", 0)


def test_a_layout_keeps_the_recipe_and_is_only_for_volumes(cache):
    v = voxcache.Volume(np.arange(6 * 5 * 4, dtype=np.int16).reshape(6, 5, 4))
    recipe = voxcache.KeyBuilder("smooth").arg("sigma", 1.5).input(voxcache.content_key(v))
    cache.put(recipe, v, layout="bricks")
    info = cache.info(recipe)
    assert info["operation"] == "smooth" and info["layout"].startswith("bricks")
    streamed = voxcache.KeyBuilder("stream").arg("n", 1)
    with cache.write_volume(streamed, v.array.shape, np.int16, layout="bricks") as w:
        w.write(v.array)
    assert cache.info(streamed)["operation"] == "stream"
    with pytest.raises(ValueError, match="for volumes"):
        cache.put(voxcache.key("scalar"), 3.5, layout="bricks")
    assert voxcache.key("scalar") not in cache


def test_streams_in_and_out(cache):
    shape = (40, 32, 48)
    full = np.random.default_rng(2).integers(0, 4000, size=shape, dtype=np.uint16)
    k = voxcache.key("streamed")
    with cache.write_volume(k, shape, np.uint16, spacing=(1, 1, 2), layout="bricks") as w:
        for z in range(0, 40, 7):
            w.write(full[z:z + 7])
    got = cache.get(k)
    assert np.array_equal(got.array, full) and got.spacing == (1.0, 1.0, 2.0)
    pieces = list(cache.read_volume(k))
    assert pieces[0][0] == 0
    assert np.array_equal(np.concatenate([p for _, p in pieces]), full)
    # Leaving the block by an exception stores nothing; a short stream is refused.
    k2 = voxcache.key("abandoned")
    with pytest.raises(RuntimeError):
        with cache.write_volume(k2, shape, np.uint16) as w:
            w.write(full[:10])
            raise RuntimeError("stop")
    assert k2 not in cache
    with pytest.raises(ValueError):
        with cache.write_volume(k2, shape, np.uint16) as w:
            w.write(full[:10])
    with pytest.raises(ValueError, match="C-contiguous"):
        cache.write_volume(k2, shape, np.uint16).write(full[:, :, ::2])


def test_the_gil_is_released_while_the_library_works(tmp_path):
    # A put of 128 MiB of noise takes a while in zstd; if the GIL were held,
    # this thread's Python loop could not run meanwhile.
    a = np.random.default_rng(3).integers(0, 2**16, size=(128, 512, 1024), dtype=np.uint16)
    with voxcache.Cache(tmp_path / "gil.db", threads=1) as c:
        done = threading.Event()
        ticks = 0

        def put():
            c.put(voxcache.key("noise"), voxcache.Volume(a))
            done.set()

        t = threading.Thread(target=put)
        t.start()
        time.sleep(0.05)  # the put is under way
        start = time.time()
        while not done.is_set():
            ticks += 1
        t.join()
        elapsed = time.time() - start
    assert elapsed > 0.05, "the put finished before it could be watched"
    assert ticks / elapsed > 100_000, f"{ticks} Python iterations in {elapsed:.2f} s"


def test_a_stream_outlives_a_close_of_its_cache(tmp_path):
    c = voxcache.Cache(tmp_path / "s.db")
    full = np.arange(4 * 5 * 6, dtype=np.int16).reshape(4, 5, 6)
    w = c.write_volume(voxcache.key("late"), full.shape, np.int16)
    r_key = voxcache.key("early")
    c.put(r_key, voxcache.Volume(full))
    reader = iter(c.read_volume(r_key))
    c.close()  # the streams under way keep the database open until they end
    w.write(full)
    w.commit()
    assert np.array_equal(np.concatenate([s for _, s in reader]), full)
    with voxcache.Cache(tmp_path / "s.db") as again:
        assert np.array_equal(again.get(voxcache.key("late")).array, full)
