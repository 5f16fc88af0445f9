"""NIfTI headers kept (src/itk/nifti_header.h): `voxcache import` keeps a
.nii's header bytes in the entry's metadata and `export` writes them back,
so that every NIfTI file of mricron-data comes back byte-identical as .nii
and with an identical header as .nii.gz; a volume the header no longer
describes is written plainly."""

import glob
import gzip
import json
import subprocess

import nibabel
import numpy as np
import pytest

import voxcache

FILES = sorted(glob.glob("/usr/share/mricron/templates/*.nii.gz"))


def run(cli, *args):
    r = subprocess.run([cli, *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


def imported(cli, db, path):
    return json.loads(run(cli, "--db", db, "import", "--json", path))[0]["key"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.rsplit("/", 1)[-1])
def test_import_then_export_gives_the_file_back(cli, tmp_path, path):
    db = str(tmp_path / "c.db")
    key = imported(cli, db, path)
    run(cli, "--db", db, "export", key, str(tmp_path / "out.nii"))
    with gzip.open(path, "rb") as f:
        original = f.read()
    assert (tmp_path / "out.nii").read_bytes() == original, "byte for byte"
    run(cli, "--db", db, "export", key, str(tmp_path / "out.nii.gz"))
    back, orig = nibabel.load(tmp_path / "out.nii.gz"), nibabel.load(path)
    assert back.header.binaryblock == orig.header.binaryblock, "every header field"
    assert np.array_equal(np.asanyarray(back.dataobj), np.asanyarray(orig.dataobj))


def test_every_field_the_issue_names_survives(cli, tmp_path):
    img = nibabel.Nifti1Image(np.arange(60, dtype=np.int16).reshape(3, 4, 5), np.diag([2.0, 2, 2, 1]))
    h = img.header
    h.set_sform(np.diag([2.0, 2, 2, 1]), code=4)
    h.set_qform(None, code=0)
    h["descrip"] = b"kept by voxcache"
    h["aux_file"] = b"aux.txt"
    h.set_intent("t test", (12.0,), name="tmap")
    h.set_xyzt_units("mm", "sec")
    h.set_dim_info(freq=0, phase=1, slice=2)
    h["cal_min"], h["cal_max"] = 0.0, 59.0
    img.header.extensions.append(nibabel.nifti1.Nifti1Extension("comment", b"an extension"))
    path = str(tmp_path / "rich.nii")
    nibabel.save(img, path)
    db = str(tmp_path / "c.db")
    key = imported(cli, db, path)
    run(cli, "--db", db, "export", key, str(tmp_path / "back.nii"))
    assert (tmp_path / "back.nii").read_bytes() == (tmp_path / "rich.nii").read_bytes()
    back = nibabel.load(tmp_path / "back.nii").header
    assert back["descrip"].item() == b"kept by voxcache" and back["sform_code"] == 4
    assert back.get_intent() == ("t test", (12.0,), "tmap")
    assert back.extensions[0].get_content() == b"an extension"


def test_what_the_header_no_longer_describes_is_written_plainly(cli, tmp_path):
    path = "/usr/share/mricron/templates/ch2.nii.gz"
    db = str(tmp_path / "c.db")
    key = imported(cli, db, path)
    out = str(tmp_path / "box.nii")
    run(cli, "--db", db, "export", "--region", "10,10,10,20,30,40", key, out)
    box = nibabel.load(out)
    assert box.shape == (20, 30, 40), "a region is another volume: not under ch2's header"
    orig = nibabel.load(path)
    assert np.array_equal(np.asanyarray(box.dataobj), np.asanyarray(orig.dataobj)[10:30, 10:40, 10:50])


@pytest.mark.parametrize("dtype", ["<i2", "<u1", ">i2", "<i4", "<f4", "<f8"])
@pytest.mark.parametrize("slope, inter", [(2.0, 1.0), (0.3, 1.5), (1.0, -1024.0), (-0.5, 0.0)])
def test_a_scaled_file_is_nibabels_values_and_comes_back_as_it_was(cli, tmp_path, dtype, slope,
                                                                  inter):
    raw = (np.arange(120) - 40).astype(dtype).reshape(4, 5, 6)
    if raw.dtype.kind == "u":
        raw = np.arange(120).astype(dtype).reshape(4, 5, 6)
    # nibabel.save would choose its own scaling: write the header and the
    # raw bytes, in the header's byte order.
    h = nibabel.Nifti1Header(endianness=raw.dtype.byteorder if raw.dtype.byteorder in "<>" else "<")
    h.set_data_shape(raw.shape)
    h.set_data_dtype(raw.dtype)
    h.set_sform(np.diag([2.0, 3.0, 4.0, 1.0]), code=2)
    h.set_data_offset(352)
    h["scl_slope"], h["scl_inter"] = slope, inter
    path = tmp_path / "scaled.nii"
    path.write_bytes(h.binaryblock + b"\0" * 4 + raw.tobytes(order="F"))
    loaded = nibabel.load(path)
    want = np.asanyarray(loaded.dataobj)  # raw * slope + inter, float64
    assert want.dtype == np.float64
    db = str(tmp_path / "c.db")
    key = imported(cli, db, str(path))
    assert key == voxcache.content_key(voxcache.Volume.from_nibabel(loaded)).hex, "one key"
    run(cli, "--db", db, "export", key, str(tmp_path / "back.nii"))
    # Not scaled twice, and not float at twice the size: the file's own bytes.
    assert (tmp_path / "back.nii").read_bytes() == path.read_bytes()
    # A volume computed from it has no header: it is written as the float64 it is.
    with voxcache.Cache(db) as c:
        v = c.get(key)
        v.array[0, 0, 0] += 0.125
        c.put(voxcache.key("edited"), v)
        edited = c.info(voxcache.key("edited"))["key"]
    run(cli, "--db", db, "export", edited, str(tmp_path / "edited.nii"))
    e = nibabel.load(tmp_path / "edited.nii")
    assert e.get_data_dtype() == np.float64
    assert np.array_equal(np.asanyarray(e.dataobj).T, v.array)
