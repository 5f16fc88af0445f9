"""2D images, 4D series and masks from Python (issue 24): each round-trips
through a cache on the default options (memory tier on) and from disk,
voxel for voxel with its geometry and time axis; a NIfTI series or 2D image
has one key from `voxcache import` and from nibabel, and comes back from
`export` as it was; region reads over time; big-endian arrays; bool masks."""

import json
import subprocess

import nibabel
import numpy as np
import pytest

import voxcache


def run(cli, *args):
    r = subprocess.run([cli, *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def imported(cli, db, path):
    return json.loads(run(cli, "--db", db, "import", "--json", str(path)))[0]


def series():
    rng = np.random.default_rng(7)
    a = rng.integers(-500, 3000, (12, 7, 11, 13), dtype=np.int16)  # (t, z, y, x)
    return voxcache.Volume(a, spacing=(2.0, 2.5, 3.0), origin=(-10.0, 4.0, 7.5),
                           dimension=4, time_spacing=2.2, time_origin=-0.7)


def same(a, b):
    assert a == b  # dtype, shape, voxel bytes, dimension, geometry and time axis bit for bit
    assert a.dimension == b.dimension and a.frames == b.frames
    assert (a.time_spacing, a.time_origin) == (b.time_spacing, b.time_origin)


def round_trip(tmp_path, volume, name):
    path = tmp_path / f"{name}.db"
    k = voxcache.key(name)
    with voxcache.Cache(path) as c:
        c.put(k, volume)
        same(c.get(k), volume)
        same(c.get(k), volume)  # from the memory tier
        assert c.info(k)["volume"]["dimension"] == volume.dimension
    with voxcache.Cache(path) as c:
        same(c.get(k), volume)  # from disk
        assert c.verify(k) == []


def test_a_series_an_image_and_masks_round_trip(tmp_path):
    round_trip(tmp_path, series(), "series")
    rgb = np.random.default_rng(1).integers(0, 255, (29, 41, 3), dtype=np.uint8)
    image = voxcache.Volume(rgb, spacing=(0.5, 0.25), origin=(3.0, 4.0), dimension=2)
    assert image.size == (41, 29, 1) and image.components == 3
    assert image.spacing == (0.5, 0.25, 1.0) and image.origin == (3.0, 4.0, 0.0)
    round_trip(tmp_path, image, "rgb")
    round_trip(tmp_path, voxcache.Volume(np.eye(30, dtype=np.float32)), "gray")
    mask = np.random.default_rng(2).random((9, 10, 11)) > 0.6
    round_trip(tmp_path, voxcache.Volume(mask), "mask")
    round_trip(tmp_path, voxcache.Volume(np.stack([mask] * 3), dimension=4), "mask-series")


def test_a_mask_is_returned_as_bool_and_compresses(tmp_path, cache):
    mask = np.zeros((64, 64, 64), dtype=bool)
    mask[10:50, 20:40, 5:60] = True
    cache.put(voxcache.key("mask"), voxcache.Volume(mask))
    back = cache.get(voxcache.key("mask"))
    assert back.array.dtype == np.bool_ and np.array_equal(back.array, mask)
    info = cache.info(voxcache.key("mask"))
    assert info["volume"]["dtype"] == "bool"
    assert info["stored_bytes"] < mask.size / 100, "one byte a voxel, compressed"
    # A computed mask, memoized (the memory tier keeps it; a write into the
    # returned array changes nothing stored).
    @cache.memoize
    def threshold(v, level):
        return voxcache.Volume(v.array > level)

    v = voxcache.Volume(np.arange(27, dtype=np.float32).reshape(3, 3, 3))
    first = threshold(v, 13.0)
    first.array[:] = False
    assert threshold(v, 13.0).array.sum() == 13


def test_regions_over_time(cache):
    s = series()
    cache.put(voxcache.key("bold"), s)
    frame = cache.read_region(voxcache.key("bold"), (5, 0, 0, 0), (1, 7, 11, 13))
    assert frame.dimension == 4 and frame.frames == 1
    assert np.array_equal(frame.array[0], s.array[5])
    assert frame.time_origin == s.time_origin + s.time_spacing * 5
    course = cache.read_region(voxcache.key("bold"), (0, 3, 4, 5), (12, 1, 1, 1))
    assert np.array_equal(course.array.ravel(), s.array[:, 3, 4, 5])
    every = cache.read_region(voxcache.key("bold"), (3, 4, 5), (1, 1, 1))  # (z, y, x): every frame
    assert every.frames == 12 and np.array_equal(every.array.ravel(), s.array[:, 3, 4, 5])
    box = cache.read_region(voxcache.key("bold"), (2, 1, 2, 3), (4, 5, 6, 7))
    assert np.array_equal(box.array, s.array[2:6, 1:6, 2:8, 3:10])
    with pytest.raises(ValueError):
        cache.read_region(voxcache.key("bold"), (12, 0, 0, 0), (1, 1, 1, 1))
    # Memoized over a series: its key is the series' content, time axis
    # included (entries counted: a closure's counter would be part of the key).
    @cache.memoize
    def mean_over_time(series):
        return voxcache.Volume(series.array.mean(axis=0), series.spacing, series.origin)

    before = len(cache.list())
    m = mean_over_time(s)
    assert np.array_equal(m.array, s.array.mean(axis=0))
    assert np.array_equal(mean_over_time(s).array, m.array)
    assert len(cache.list()) == before + 1, "computed once"
    shifted = voxcache.Volume(s.array, s.spacing, s.origin, dimension=4, time_spacing=2.2,
                              time_origin=0.0)
    mean_over_time(shifted)
    assert len(cache.list()) == before + 2, "another time axis is another input"



def test_a_nifti_series_has_one_key_and_comes_back_as_it_was(cli, tmp_path):
    data = np.random.default_rng(3).integers(0, 4000, (10, 12, 7, 15)).astype(np.int16)
    img = nibabel.Nifti1Image(data, np.diag([2.0, 2.0, 3.0, 1.0]))
    img.header.set_zooms((2.0, 2.0, 3.0, 2.5))
    img.header["toffset"] = 1.5
    img.header.set_xyzt_units("mm", "sec")
    img.header["descrip"] = b"a BOLD run"
    path = tmp_path / "bold.nii"
    nibabel.save(img, path)
    db = str(tmp_path / "c.db")
    entry = imported(cli, db, path)
    assert entry["dimension"] == 4 and entry["frames"] == 15
    v = voxcache.Volume.from_nibabel(nibabel.load(path))
    assert v.dimension == 4 and v.frames == 15 and v.time_spacing == 2.5 and v.time_origin == 1.5
    assert entry["key"] == voxcache.content_key(v).hex, "the same key from either side"
    run(cli, "--db", db, "export", entry["key"], str(tmp_path / "back.nii"))
    assert (tmp_path / "back.nii").read_bytes() == path.read_bytes(), "byte for byte"
    # One volume, and one voxel's time course, through the CLI.
    run(cli, "--db", db, "export", entry["key"], str(tmp_path / "f4.nii.gz"), "--frames", "4")
    f4 = nibabel.load(tmp_path / "f4.nii.gz")
    assert np.array_equal(np.asanyarray(f4.dataobj)[..., 0], data[..., 4])
    assert f4.header["toffset"] == 1.5 + 4 * 2.5 and f4.header.get_zooms()[3] == 2.5
    run(cli, "--db", db, "export", entry["key"], str(tmp_path / "tc.nii"), "--region",
        "3,4,5,1,1,1")
    tc = nibabel.load(tmp_path / "tc.nii")
    assert np.array_equal(np.asanyarray(tc.dataobj).ravel(), data[3, 4, 5, :])
    # Thumbnails of a series: a projection over every frame, or a slice of
    # its first frame, drawn as the same slice of that frame alone is.
    run(cli, "--db", db, "thumbnail", entry["key"], str(tmp_path / "mip.png"))
    run(cli, "--db", db, "thumbnail", entry["key"], str(tmp_path / "s.png"), "--slice", "z=3")
    run(cli, "--db", db, "export", entry["key"], str(tmp_path / "f0.nii"), "--frames", "0")
    f0 = imported(cli, db, tmp_path / "f0.nii")["key"]
    run(cli, "--db", db, "thumbnail", f0, str(tmp_path / "s0.png"), "--slice", "z=3")
    assert (tmp_path / "s.png").read_bytes() == (tmp_path / "s0.png").read_bytes()
    show = json.loads(run(cli, "--db", db, "show", "--json", entry["key"]))
    assert show["volume"]["frames"] == 15 and show["volume"]["time_spacing"] == 2.5
    # From Python to nibabel and back: the same series.
    again = voxcache.Volume.from_nibabel(v.to_nibabel())
    same(again, v)


def test_a_nifti_image_of_two_dimensions(cli, tmp_path):
    data = np.random.default_rng(4).random((20, 30)).astype(np.float32)
    affine = np.diag([0.5, 0.75, 1.0, 1.0])
    affine[:3, 3] = (-5.0, 6.0, 40.0)  # a slice at z = 40 mm
    path = tmp_path / "slice.nii"
    nibabel.save(nibabel.Nifti1Image(data, affine), path)
    db = str(tmp_path / "c.db")
    entry = imported(cli, db, path)
    v = voxcache.Volume.from_nibabel(nibabel.load(path))
    assert v.dimension == 2 and v.shape == (30, 20) and v.origin[2] == 40.0
    assert entry["dimension"] == 2 and entry["key"] == voxcache.content_key(v).hex
    run(cli, "--db", db, "export", entry["key"], str(tmp_path / "back.nii"))
    assert (tmp_path / "back.nii").read_bytes() == path.read_bytes()
    img = v.to_nibabel()
    assert img.shape == (20, 30) and np.allclose(img.affine, affine)


def test_a_2d_png_through_the_cli_is_an_image(cli, tmp_path):
    rgb = voxcache.Volume(np.random.default_rng(5).integers(0, 255, (17, 33, 3), dtype=np.uint8),
                          dimension=2)
    db = str(tmp_path / "c.db")
    with voxcache.Cache(db) as c:
        c.put(voxcache.key("photo"), rgb)
        key = c.info(voxcache.key("photo"))["key"]
    run(cli, "--db", db, "export", key, str(tmp_path / "photo.png"))
    entry = imported(cli, db, tmp_path / "photo.png")
    assert entry["dimension"] == 2
    assert entry["key"] == voxcache.content_key(rgb).hex, "the PNG is the same image"


def test_big_endian_arrays_are_stored_as_their_values(cache, tmp_path):
    data = np.arange(60, dtype=">i2").reshape(3, 4, 5)
    path = tmp_path / "be.nii"
    img = nibabel.Nifti1Image(data, np.eye(4))
    nibabel.save(img, path)
    loaded = nibabel.load(path)
    v = voxcache.Volume.from_nibabel(loaded)
    assert v.array.dtype == np.dtype("<i2") or v.array.dtype.isnative
    cache.put(voxcache.key("be"), v)
    assert np.array_equal(cache.get(voxcache.key("be")).xyz, data)
    assert voxcache.Volume(np.arange(24, dtype=">f8").reshape(2, 3, 4)) == voxcache.Volume(
        np.arange(24, dtype="<f8").reshape(2, 3, 4))


def test_malformed_images_are_refused_clearly():
    with pytest.raises(ValueError, match="shape"):
        voxcache.Volume(np.zeros((2, 3, 4, 5)), dimension=2)  # (y, x, c) at most
    with pytest.raises(ValueError, match="shape"):
        voxcache.Volume(np.zeros((2, 3, 4, 5, 6, 7)))
    with pytest.raises(TypeError, match="bool"):
        voxcache.Volume(np.zeros((2, 3, 4), dtype=np.complex64))
    with pytest.raises(ValueError, match="time axis"):
        voxcache.Volume(np.zeros((3, 4, 5)), time_spacing=2.0)
    with pytest.raises(ValueError, match="finite"):
        voxcache.Volume(np.zeros((2, 3, 4, 5)), dimension=4, time_spacing=float("nan"))
    with pytest.raises(ValueError, match="shape"):
        voxcache.Volume.from_nibabel(nibabel.Nifti1Image(np.zeros((2, 2, 2, 2, 2, 2)), np.eye(4)))


def test_freesurfer_mgh_through_nibabel(cache, cli, tmp_path):
    # Debian's ITK reads no MGH: the CLI says where to go; nibabel reads it.
    data = np.random.default_rng(6).random((6, 7, 8, 4)).astype(np.float32)
    affine = np.array([[-1.0, 0, 0, 3], [0, 0, 1, -4], [0, -1, 0, 5], [0, 0, 0, 1]])
    path = tmp_path / "bold.mgz"
    nibabel.save(nibabel.MGHImage(data, affine), path)
    v = voxcache.Volume.from_nibabel(nibabel.load(path))
    assert v.dimension == 4 and v.frames == 4
    assert np.allclose(v.affine(), affine)
    cache.put(voxcache.key("mgh"), v)
    back = cache.get(voxcache.key("mgh"))
    same(back, v)
    assert np.array_equal(back.xyz, data)
    r = subprocess.run([cli, "--db", str(tmp_path / "c.db"), "import", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "from_nibabel" in r.stderr


def test_nifti2_through_nibabel(cache, cli, tmp_path):
    # ITK 5.2 reads NIfTI-1 only (and Debian's libnifti2 cannot share a
    # process with it): the CLI says where to go; nibabel reads NIfTI-2.
    data = np.arange(2 * 3 * 4 * 5, dtype=np.int16).reshape(2, 3, 4, 5)
    img = nibabel.Nifti2Image(data, np.diag([2.0, 2.0, 3.0, 1.0]))
    img.header.set_zooms((2.0, 2.0, 3.0, 1.25))
    path = tmp_path / "n2.nii.gz"
    nibabel.save(img, path)
    v = voxcache.Volume.from_nibabel(nibabel.load(path))
    assert v.dimension == 4 and v.frames == 5 and v.time_spacing == 1.25
    cache.put(voxcache.key("n2"), v)
    assert np.array_equal(cache.get(voxcache.key("n2")).xyz, data)
    r = subprocess.run([cli, "--db", str(tmp_path / "c.db"), "import", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "NIfTI-2" in r.stderr and "from_nibabel" in r.stderr
