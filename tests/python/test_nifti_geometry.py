"""NIfTI geometry as nibabel reads it (src/itk/nifti_geometry.h): every NIfTI
file Debian's mricron-data ships, read by the real CLI (C++, ITK's niftilib)
and by nibabel through Volume.from_nibabel, gives one content key and the
affine nibabel gives; import then export keeps the affine; headers that give
no usable geometry, and files that do not hold their voxels, are errors."""

import glob
import json
import struct
import subprocess

import nibabel
import numpy as np
import pytest

import voxcache

FILES = sorted(glob.glob("/usr/share/mricron/templates/*.nii.gz"))


def run(cli, *args):
    return subprocess.run([cli, *args], capture_output=True, text=True)


def test_there_are_files_whose_sform_and_qform_disagree():
    assert len(FILES) >= 13
    jhu = nibabel.load("/usr/share/mricron/templates/JHU-WhiteMatter-labels-2mm.nii.gz").header
    assert jhu["sform_code"] == 4 and jhu["qform_code"] == 4
    assert jhu.get_sform()[2, 2] == 2.0 and jhu.get_qform()[2, 2] == -2.0


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.rsplit("/", 1)[-1])
def test_one_key_and_nibabels_affine_from_either_side(cli, tmp_path, path):
    img = nibabel.load(path)
    from_python = voxcache.Volume.from_nibabel(img)
    np.testing.assert_allclose(from_python.affine(), img.affine, rtol=0, atol=1e-6)
    key = run(cli, "key", path)
    assert key.returncode == 0, key.stderr
    assert key.stdout.split()[0] == str(voxcache.content_key(from_python)), "the same key"

    # Through the database and out again: nibabel reads the affine it read
    # from the original, and the same voxels.
    db = str(tmp_path / "c.db")
    imp = run(cli, "--db", db, "import", "--json", path)
    assert imp.returncode == 0, imp.stderr
    stored = json.loads(imp.stdout)[0]["key"]
    for ext in (".nii.gz", ".nii"):
        out = str(tmp_path / ("out" + ext))
        exp = run(cli, "--db", db, "export", stored, out)
        assert exp.returncode == 0, exp.stderr
        back = nibabel.load(out)
        np.testing.assert_allclose(back.affine, img.affine, rtol=0, atol=1e-5)
        assert np.array_equal(np.asanyarray(back.dataobj), np.asanyarray(img.dataobj))
        again = run(cli, "key", out)
        assert again.stdout.split()[0] == str(voxcache.content_key(voxcache.Volume.from_nibabel(back)))


def test_the_jhu_atlas_stays_where_it_is(cli, tmp_path):
    """The world position of voxel (45, 54, 60): z = +48 mm by the sform; the
    qform says -192 mm, and ITK's reader took it."""
    path = "/usr/share/mricron/templates/JHU-WhiteMatter-labels-2mm.nii.gz"
    db, out = str(tmp_path / "c.db"), str(tmp_path / "out.nii.gz")
    imp = run(cli, "--db", db, "import", "--json", path)
    assert imp.returncode == 0, imp.stderr
    assert run(cli, "--db", db, "export", json.loads(imp.stdout)[0]["key"], out).returncode == 0
    world = nibabel.load(out).affine @ np.array([45, 54, 60, 1.0])
    assert world[2] == pytest.approx(48.0)


def qform_only(tmp_path, name, pixdim):
    """A small uint8 NIfTI whose geometry comes from its qform and pixdim."""
    img = nibabel.Nifti1Image(np.arange(24, dtype=np.uint8).reshape(2, 3, 4), np.eye(4))
    img.header.set_sform(None, code=0)
    img.header.set_qform(np.eye(4), code=1)
    path = str(tmp_path / name)
    nibabel.save(img, path)
    with open(path, "r+b") as f:  # pixdim[1..3], past nibabel's repairs
        f.seek(80)
        f.write(struct.pack("<3f", *pixdim))
    return path


@pytest.mark.parametrize("pixdim", [(0.0, 1.0, 1.0), (1.0, float("nan"), 1.0)], ids=["zero", "nan"])
def test_a_pixdim_that_is_no_voxel_size_is_refused(cli, tmp_path, pixdim):
    path = qform_only(tmp_path, "bad.nii", pixdim)
    db = str(tmp_path / "c.db")
    imp = run(cli, "--db", db, "import", path)
    assert imp.returncode == 1
    assert "pixdim[" in imp.stderr and "not a voxel size" in imp.stderr, imp.stderr
    assert run(cli, "--db", db, "ls", "--json").stdout.strip() in ("", "[]")


def test_a_negative_pixdim_is_taken_as_nibabel_takes_it(cli, tmp_path):
    path = qform_only(tmp_path, "neg.nii", (-2.0, 3.0, 4.0))
    key = run(cli, "key", path)
    assert key.returncode == 0, key.stderr
    img = nibabel.load(path)  # nibabel repairs it to 2.0 on load
    assert img.header.get_zooms() == (2.0, 3.0, 4.0)
    assert key.stdout.split()[0] == str(voxcache.content_key(voxcache.Volume.from_nibabel(img)))


def test_a_sheared_sform_keeps_its_shear(cli, tmp_path):
    affine = np.array([[2.0, 0.5, 0, -10], [0, 2.0, 0.25, -20], [0, 0, 2.0, -30], [0, 0, 0, 1]])
    img = nibabel.Nifti1Image(np.arange(60, dtype=np.int16).reshape(3, 4, 5), affine)
    path = str(tmp_path / "shear.nii")
    nibabel.save(img, path)
    v = voxcache.Volume.from_nibabel(nibabel.load(path))
    np.testing.assert_allclose(v.affine(), affine, rtol=0, atol=1e-6)
    key = run(cli, "key", path)
    assert key.stdout.split()[0] == str(voxcache.content_key(v))


def test_a_singular_affine_is_refused(cli, tmp_path):
    affine = np.array([[2.0, 2.0, 0, 0], [0, 0, 0, 0], [0, 0, 2.0, 0], [0, 0, 0, 1]])
    img = nibabel.Nifti1Image(np.zeros((2, 2, 2), dtype=np.uint8), affine)
    path = str(tmp_path / "flat.nii")
    nibabel.save(img, path)
    imp = run(cli, "--db", str(tmp_path / "c.db"), "import", path)
    assert imp.returncode == 1
    assert "singular" in imp.stderr, imp.stderr
    with pytest.raises(ValueError, match="singular"):
        voxcache.Volume.from_nibabel(nibabel.load(path))


def test_a_nifti_cut_in_half_is_an_error_not_zeros(cli, tmp_path):
    img = nibabel.Nifti1Image(np.arange(32768, dtype=np.int16).reshape(32, 32, 32), np.eye(4))
    path = str(tmp_path / "half.nii")
    nibabel.save(img, path)
    with open(path, "r+b") as f:
        f.truncate(352 + 32768)
    db = str(tmp_path / "c.db")
    imp = run(cli, "--db", db, "import", path)
    assert imp.returncode == 1
    assert "truncated" in imp.stderr, imp.stderr
    assert run(cli, "--db", db, "ls", "--json").stdout.strip() in ("", "[]")


def test_a_direction_of_zeros_is_refused_not_taken_for_the_identity():
    with pytest.raises(ValueError, match="singular"):
        voxcache.Volume(np.zeros((2, 3, 4), dtype=np.uint8), direction=(0.0,) * 9)


def test_a_rotated_qform_gives_nibabels_affine_bit_for_bit(cli, tmp_path):
    """The qform path (no sform): the quaternion is computed in long double
    as nibabel computes it, so the key is the same from either side."""
    rng = np.random.default_rng(24)
    for i in range(25):
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        if np.linalg.det(q) < 0:
            q[:, 2] = -q[:, 2]  # a rotation; qfac gives the flips
        zooms = rng.uniform(0.3, 3.0, size=3)
        flip = np.diag([1.0, 1.0, -1.0 if i % 2 else 1.0])
        affine = np.eye(4)
        affine[:3, :3] = q @ flip @ np.diag(zooms)
        affine[:3, 3] = rng.uniform(-100, 100, size=3)
        img = nibabel.Nifti1Image(np.zeros((3, 4, 5), dtype=np.uint8), None)
        img.header.set_qform(affine, code=1)
        img.header.set_sform(None, code=0)
        path = str(tmp_path / f"q{i}.nii")
        nibabel.save(img, path)
        loaded = nibabel.load(path)
        assert loaded.header["sform_code"] == 0 and loaded.header["qform_code"] == 1
        key = run(cli, "key", path)
        assert key.returncode == 0, key.stderr
        v = voxcache.Volume.from_nibabel(loaded)
        assert key.stdout.split()[0] == str(voxcache.content_key(v)), f"rotation {i}"
        np.testing.assert_allclose(v.affine(), loaded.affine, rtol=0, atol=1e-5)


def test_no_transform_gives_nibabels_base_affine(cli, tmp_path):
    img = nibabel.Nifti1Image(np.zeros((3, 4, 5), dtype=np.uint8), None)
    img.header.set_qform(None, code=0)
    img.header.set_sform(None, code=0)
    img.header.set_zooms((2.0, 3.0, 4.0))
    path = str(tmp_path / "base.nii")
    nibabel.save(img, path)
    loaded = nibabel.load(path)
    v = voxcache.Volume.from_nibabel(loaded)
    assert loaded.affine[0, 0] == -2.0 and loaded.affine[0, 3] == 2.0  # x flipped, centred
    assert run(cli, "key", path).stdout.split()[0] == str(voxcache.content_key(v))


def test_a_big_endian_file_is_the_same_values(cli, tmp_path):
    data = (np.arange(60, dtype=np.int16) * 37 - 900).reshape(3, 4, 5)
    header = nibabel.Nifti1Header(endianness=">")
    header.set_data_dtype(np.int16)
    big = nibabel.Nifti1Image(data, np.diag([2.0, 2.0, 2.0, 1.0]), header=header)
    path = str(tmp_path / "big.nii")
    big.to_filename(path)
    loaded = nibabel.load(path)
    assert loaded.get_data_dtype().byteorder == ">"
    assert np.asanyarray(loaded.dataobj).dtype.byteorder == ">", "nibabel hands it over as it is"
    v = voxcache.Volume.from_nibabel(loaded)
    assert v.array.dtype == np.dtype("<i2")
    assert np.array_equal(v.xyz, data)
    assert run(cli, "key", path).stdout.split()[0] == str(voxcache.content_key(v))
    db = voxcache.Cache(str(tmp_path / "c.db"))
    db.put(voxcache.key("big"), v)
    assert np.array_equal(db.get(voxcache.key("big")).xyz, data)


def test_a_time_series_is_a_series_not_taken_for_components():
    # Once refused, before that taken for 30 components (a silent misreading).
    bold = nibabel.Nifti1Image(np.zeros((4, 5, 6, 30), dtype=np.int16), np.eye(4))
    v = voxcache.Volume.from_nibabel(bold)
    assert v.dimension == 4 and v.frames == 30 and v.components == 1
    assert v.shape == (30, 6, 5, 4) and v.size == (4, 5, 6)


def test_components_go_to_niftis_vector_axis_and_back():
    a = np.arange(2 * 3 * 4 * 3, dtype=np.float32).reshape(2, 3, 4, 3)
    v = voxcache.Volume(a, spacing=(0.5, 1.0, 2.0))
    img = v.to_nibabel()
    assert img.shape == (4, 3, 2, 1, 3) and img.header.get_intent()[0] == "vector"
    assert voxcache.Volume.from_nibabel(img) == v
