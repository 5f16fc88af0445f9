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


def test_a_scaled_file_is_not_scaled_twice(cli, tmp_path):
    img = nibabel.Nifti1Image(np.arange(60, dtype=np.int16).reshape(3, 4, 5), np.eye(4))
    img.header.set_slope_inter(2.0, 1.0)
    path = str(tmp_path / "scaled.nii")
    nibabel.save(img, path)
    db = str(tmp_path / "c.db")
    key = imported(cli, db, path)
    run(cli, "--db", db, "export", key, str(tmp_path / "back.nii"))
    back = nibabel.load(tmp_path / "back.nii")
    want = np.asanyarray(nibabel.load(path).dataobj)  # 2 * raw + 1
    assert want[0, 0, 1] == 3.0
    assert np.array_equal(np.asanyarray(back.dataobj), want)
    # Stored as the float32 ITK reads it; written back as float32 (issue 24:
    # re-quantising to int16 with the old scaling is left).
    assert back.get_data_dtype() == np.float32
