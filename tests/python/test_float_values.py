"""Float values are never altered (docs/reliability.md, "Float values"):
quiet and signalling NaNs with payloads, infinities, -0.0 and denormals, in
float32 and float64, through Python's put and get (memory tier on, the
default), through files nibabel writes (scl_slope NaN) imported and exported
by the real CLI into every float-capable format, compared bit for bit."""

import json
import subprocess

import nibabel
import numpy as np
import pytest

import voxcache

BITS = {
    np.float32: (np.uint32, [0x7FC00000, 0x7FC12345, 0xFFC00001, 0x7F800001, 0x7FA0BEEF,
                             0x00000001, 0x807FFFFF, 0x7F800000, 0xFF800000, 0x80000000]),
    np.float64: (np.uint64, [0x7FF8000000000000, 0x7FF8000123456789, 0xFFF8000000000001,
                             0x7FF0000000000001, 0x7FF4000000BEEF00, 0x0000000000000001,
                             0x800FFFFFFFFFFFFF, 0x7FF0000000000000, 0xFFF0000000000000,
                             0x8000000000000000]),
}


def specials(dtype, shape=(3, 4, 5)):
    """A ramp whose first values are every special the type has."""
    uint, bits = BITS[dtype]
    a = (np.arange(np.prod(shape)) / 7).astype(dtype)
    a.view(uint)[:len(bits)] = np.array(bits, dtype=uint)
    return a.reshape(shape)


def same_bits(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape
    uint = BITS[want.dtype.type][0]
    assert np.array_equal(np.ascontiguousarray(got).view(uint), np.ascontiguousarray(want).view(uint))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_python_put_and_get_keep_every_bit(cache, dtype):
    a = specials(dtype)
    k = voxcache.key("floats", dtype=np.dtype(dtype).name)
    cache.put(k, voxcache.Volume(a))
    for _ in range(3):  # from disk, then from the memory tier
        same_bits(cache.get(k).array, a)
    arr = voxcache.key("float-array", dtype=np.dtype(dtype).name)
    cache.put(arr, a[0])
    for _ in range(3):
        same_bits(cache.get(arr), a[0])
    for bits in BITS[np.float64][1]:
        x = np.array([bits], np.uint64).view(np.float64)[0]
        k = voxcache.key("float-scalar", bits=hex(bits))
        cache.put(k, float(x))
        got = cache.get(k)
        assert np.array([got]).view(np.uint64)[0] == bits


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_nibabel_file_through_the_cli_keeps_every_bit(cache, cli, tmp_path, dtype):
    a = specials(dtype, (6, 7, 8))  # nibabel's (x, y, z)
    src = tmp_path / "stat.nii"
    img = nibabel.Nifti1Image(a, np.eye(4))
    nibabel.save(img, src)
    assert np.isnan(nibabel.load(src).header["scl_slope"]), "what nibabel writes for floats"
    db = cache.path
    cache.close()
    run = lambda *args: subprocess.run([cli, "--db", db, *args], capture_output=True, text=True,
                                       check=True).stdout
    key = json.loads(run("import", "--json", str(src)))[0]["key"]
    with voxcache.Cache(db) as c:
        same_bits(c.get(key).array, a.T)  # the volume is (z, y, x)
    for ext in (".nii", ".nii.gz", ".nrrd", ".mha"):
        out = tmp_path / ("back" + ext)
        run("export", key, str(out))
        if ext.startswith(".nii"):
            same_bits(np.asanyarray(nibabel.load(out).dataobj), a)
        # Imported again, the same bits give the same content key.
        again = json.loads(run("import", "--json", str(out)))[0]["key"]
        with voxcache.Cache(db) as c:
            same_bits(c.get(again).array, a.T)


def test_from_nibabel_keeps_every_bit(tmp_path):
    a = specials(np.float32, (6, 7, 8))
    nibabel.save(nibabel.Nifti1Image(a, np.eye(4)), tmp_path / "s.nii.gz")
    v = voxcache.Volume.from_nibabel(nibabel.load(tmp_path / "s.nii.gz"))
    same_bits(v.array, a.T)
    same_bits(np.asanyarray(v.to_nibabel().dataobj), a)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_voxcache_run_restores_every_bit_of_a_float_output(cache, cli, tmp_path, dtype):
    # A hit writes the output from the cache, not the tool: it must be the
    # tool's output bit for bit, NaN payloads and all.
    a = specials(dtype, (6, 7, 8))
    src, out = tmp_path / "stat.nii", tmp_path / "copy.nii"
    nibabel.save(nibabel.Nifti1Image(a, np.eye(4)), src)
    db = cache.path
    cache.close()
    cmd = [cli, "--db", db, "run", "--in", str(src), "--out", str(out), "--", "cp", str(src),
           str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    out.unlink()
    subprocess.run(cmd, check=True, capture_output=True)  # a hit: written by voxcache
    with voxcache.Cache(db) as c:
        total = c.stats()["counters"]["total"]
        assert total["hits_disk"] + total["hits_memory"] >= 1
    same_bits(np.asanyarray(nibabel.load(out).dataobj), a)
