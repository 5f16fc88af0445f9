"""The voxcache command on what the Python package stores, and its daily
conventions (issue 30): show describes every Python value kind, looking at
entries is not counted as using them, counts read as English, gc keeps the
stored limits, and the managing commands speak JSON. The real binary."""

import json
import subprocess

import numpy as np
import pytest

import voxcache


def run(cli, db, *args, code=0):
    r = subprocess.run([cli, "--db", str(db), *args], capture_output=True, text=True)
    assert r.returncode == code, (args, r.stdout, r.stderr)
    return r.stdout


def test_show_describes_every_python_value(tmp_path, cli):
    db = tmp_path / "c.db"
    with voxcache.Cache(db) as c:
        c.put(voxcache.key("json"), {"a": 1, "b": [1, 2.5, None]})
        c.put(voxcache.key("array"), np.arange(6.0).reshape(2, 3))
        c.put(voxcache.key("scalar"), np.float32(2.5))
        c.put(voxcache.key("tuple"), (np.arange(3, dtype=np.int16), 1.5, {"x": "y"}))
        c.put(voxcache.key("bytes"), b"\x00\x01")
    shown = {k: json.loads(run(cli, db, "show", "--json", voxcache.key(k).hex))
             for k in ("json", "array", "scalar", "tuple", "bytes")}
    assert shown["json"]["value"] == {"a": 1, "b": [1, 2.5, None]}
    assert shown["array"]["array"] == {"dtype": "<f8", "shape": [2, 3]}
    assert shown["scalar"]["array"] == {"dtype": "<f4", "shape": []}
    items = shown["tuple"]["items"]
    assert items[0]["array"] == {"dtype": "<i2", "shape": [3]} and items[0]["bytes"] > 6
    assert items[1]["value"] == 1.5 and items[2]["value"] == {"x": "y"}
    assert "value" not in shown["bytes"] and "array" not in shown["bytes"]
    text = run(cli, db, "show", voxcache.key("array").hex)
    assert "array        <f8 shape (2, 3)" in text
    text = run(cli, db, "show", voxcache.key("tuple").hex)
    assert "py.ndarray (" in text and "<i2 shape (3,)" in text and 'py.json {"x":"y"}' in text


def test_looking_is_not_using(tmp_path, cli):
    db = tmp_path / "c.db"
    v = voxcache.Volume(np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6))
    with voxcache.Cache(db) as c:
        c.put(voxcache.key("v"), v)
    key = voxcache.key("v").hex
    before = json.loads(run(cli, db, "stats", "--json"))
    run(cli, db, "show", key)
    run(cli, db, "show", "--json", key)
    run(cli, db, "thumbnail", key, str(tmp_path / "v.png"))
    run(cli, db, "verify")
    run(cli, db, "ls")
    after = json.loads(run(cli, db, "stats", "--json"))
    assert after["counters"] == before["counters"]
    assert json.loads(run(cli, db, "ls", "--json"))[0]["access_count"] == 0
    # No lookup at all: no rate, not 0%.
    assert "hit rate -" in run(cli, db, "stats")
    # export is a use: the voxels leave the cache for another tool, and the
    # entry stays recent for eviction.
    run(cli, db, "export", key, str(tmp_path / "v.nii.gz"))
    assert json.loads(run(cli, db, "stats", "--json"))["counters"]["total"]["hits_disk"] == 1
    assert json.loads(run(cli, db, "ls", "--json"))[0]["access_count"] == 1
    # The library's own gets are counted, and then there is a rate.
    with voxcache.Cache(db) as c:
        c.get(key)
        c.get(voxcache.key("absent"), None)
    assert "misses 1, hit rate 66.7%" in run(cli, db, "stats")


def test_counts_read_as_english(tmp_path, cli):
    db = tmp_path / "c.db"
    with voxcache.Cache(db) as c:
        c.put(voxcache.key("one"), 1.5)
    assert "\n1 entry, " in "\n" + run(cli, db, "ls")
    assert "1 entry checked, 0 bad" in run(cli, db, "verify")
    assert "1 entry " in run(cli, db, "stats")
    out = run(cli, db, "clear")
    assert "1 entry removed" in out and "; 0 entries, " in out


def test_gc_without_limits_keeps_the_stored_ones(tmp_path, cli):
    db = tmp_path / "c.db"
    with voxcache.Cache(db) as c:
        for i in range(4):
            c.put(voxcache.key("v", i=i), float(i))
    err = subprocess.run([cli, "--db", str(db), "gc"], capture_output=True, text=True)
    assert err.returncode == 2 and "voxcache config max-size" in err.stderr
    run(cli, db, "config", "max-entries", "3")
    report = json.loads(run(cli, db, "gc", "--json"))
    assert len(report["removed"]) == 1 and report["entries_left"] == 3 and report["limits_met"]
    # Limits given on the command line win over the stored ones.
    report = json.loads(run(cli, db, "gc", "--max-entries", "1", "--json"))
    assert len(report["removed"]) == 2 and report["entries_left"] == 1


def test_managing_commands_speak_json(tmp_path, cli):
    db = tmp_path / "c.db"
    with voxcache.Cache(db) as c:
        for i in range(3):
            c.put(voxcache.key("v", i=i), float(i))
    keys = [voxcache.key("v", i=i).hex for i in range(3)]
    assert json.loads(run(cli, db, "pin", "--json", keys[0][:10])) == {"pinned": [keys[0]]}
    assert json.loads(run(cli, db, "unpin", "--json", keys[0])) == {"unpinned": [keys[0]]}
    assert json.loads(run(cli, db, "rm", "--json", keys[1], keys[2])) == {"removed": keys[1:]}
    sizes = json.loads(run(cli, db, "vacuum", "--json"))
    assert sizes["bytes_after"] <= sizes["bytes_before"]
    with voxcache.Cache(db) as c:
        assert list(c) == [keys[0]]


@pytest.mark.parametrize("level", ["0"])
def test_raw_chunks_show_no_level(tmp_path, cli, level):
    db = tmp_path / "c.db"
    with voxcache.Cache(db) as c:
        c.put(voxcache.key("n"), np.random.default_rng(0).integers(0, 255, 100000, dtype=np.uint8))
    run(cli, db, "recompress", "--level", level)
    assert "codec        none (raw chunks)" in run(cli, db, "show", voxcache.key("n").hex)


def test_record_reads_false_from_python_counts_nothing(tmp_path):
    db = tmp_path / "c.db"
    with voxcache.Cache(db) as c:
        c.put(voxcache.key("x"), 1.5)
    with voxcache.Cache(db, record_reads=False) as c:
        assert c.get(voxcache.key("x")) == 1.5
        assert c.get(voxcache.key("absent"), None) is None
        counters = c.stats()["counters"]["total"]
    assert counters["hits_disk"] == 0 and counters["misses"] == 0
    with voxcache.Cache(db) as c:  # the defaults count
        c.get(voxcache.key("x"))
        assert c.stats()["counters"]["total"]["hits_disk"] == 1


def test_ls_filters_by_pixel_type_too(tmp_path, cli):
    db = tmp_path / "c.db"
    with voxcache.Cache(db) as c:
        c.put(voxcache.key("f"), voxcache.Volume(np.zeros((2, 3, 4), np.float32)))
        c.put(voxcache.key("u"), voxcache.Volume(np.zeros((2, 3, 4), np.uint8)))
        c.put(voxcache.key("x"), 1.5)

    def keys(t):
        return {e["key"] for e in json.loads(run(cli, db, "ls", "--json", "--type", t))}

    assert keys("f32") == {voxcache.key("f").hex}
    assert keys("u8") == {voxcache.key("u").hex}
    assert keys("volume") == {voxcache.key("f").hex, voxcache.key("u").hex}
    assert keys("float64") == {voxcache.key("x").hex}
    assert keys("i16") == set()


def write_nifti(path, data):
    import nibabel

    nibabel.save(nibabel.Nifti1Image(data, np.eye(4)), str(path))
    return str(path)


def test_import_json_lists_every_file_and_ls_names_the_source(tmp_path, cli):
    db = tmp_path / "c.db"
    good = write_nifti(tmp_path / "good.nii.gz", np.arange(24, dtype=np.int16).reshape(2, 3, 4))
    junk = tmp_path / "junk.nii"
    junk.write_bytes(b"not an image")
    r = subprocess.run([cli, "--db", str(db), "import", "--json", good, str(tmp_path / "absent.nii"),
                        str(junk)], capture_output=True, text=True)
    assert r.returncode == 2, r.stderr  # an absent file is a usage error
    items = json.loads(r.stdout)
    assert [i["file"] for i in items] == [good, str(tmp_path / "absent.nii"), str(junk)]
    assert len(items[0]["key"]) == 64 and "error" not in items[0] and "evicted" not in items[0]
    assert items[1]["error"].startswith("NotFound: ") and "key" not in items[1]
    assert "key" not in items[2] and "junk.nii" in items[2]["error"]
    # The errors are on stderr too, for a person watching.
    assert "absent.nii" in r.stderr and "junk.nii" in r.stderr
    # ls says where an imported entry came from; its JSON leaves out the
    # lineage a listing does not read, rather than claiming there is none.
    assert f"imported from {good}" in run(cli, db, "ls")
    listed = json.loads(run(cli, db, "ls", "--json"))
    assert json.loads(json.dumps(listed[0]["metadata"]))["source"] == good
    assert "inputs" not in listed[0] and "dependents" not in listed[0]
    assert "inputs" in json.loads(run(cli, db, "show", "--json", items[0]["key"]))
    with voxcache.Cache(db) as c:  # the Python package's listing is the same record
        assert "inputs" not in c.list()[0] and "dependents" not in c.list()[0]
        assert c.info(items[0]["key"])["inputs"] == []


def test_import_says_when_the_size_limit_evicted_what_it_imported(tmp_path, cli):
    db = tmp_path / "c.db"
    rng = np.random.default_rng(1)
    # Noise does not compress: each file stores about 128 KiB.
    files = [write_nifti(tmp_path / f"n{i}.nii", rng.integers(0, 2**31, (32, 32, 32), np.int32))
             for i in range(4)]
    run(cli, db, "config", "max-size", "300K")
    r = subprocess.run([cli, "--db", str(db), "import", *files], capture_output=True, text=True)
    assert r.returncode == 1, r.stderr
    assert "evicted 2 files of the 4 just imported: " + files[0] + " " + files[1] in r.stderr
    assert "voxcache config max-size" in r.stderr
    assert len(r.stdout.splitlines()) == 4  # every key was stored, and said
    items = json.loads(run(cli, db, "import", "--json", *files, code=1))
    assert [i.get("evicted", False) for i in items] == [True, True, False, False]
    with voxcache.Cache(db) as c:
        assert sorted(c) == sorted(i["key"] for i in items[2:])
    # Under the limit, nothing is said and the exit is 0.
    run(cli, db, "config", "max-size", "10M")
    r = subprocess.run([cli, "--db", str(db), "import", *files], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == ""


def test_export_windows_pictures_and_names_the_target_in_errors(tmp_path, cli):
    from PIL import Image

    db = tmp_path / "c.db"
    f = np.linspace(-2, 2, 4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    u = (np.arange(4 * 5 * 6) % 251).astype(np.uint8).reshape(4, 5, 6)
    with voxcache.Cache(db) as c:
        c.put(voxcache.key("f"), voxcache.Volume(f))
        c.put(voxcache.key("u"), voxcache.Volume(u))
    fk, uk = voxcache.key("f").hex, voxcache.key("u").hex
    png = tmp_path / "out.png"

    def pixels():
        return np.asarray(Image.open(png))

    # A window asked for: MIN..MAX drawn as 0..255, clamped.
    j = json.loads(run(cli, db, "export", "--json", fk, str(png), "--slice", "z=2",
                       "--window", "-1,1"))
    assert j["window"] == [-1.0, 1.0]
    want = (np.clip((f[2].astype(np.float64) + 1) / 2, 0, 1) * 255 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(pixels(), want)
    # Floats to PNG without one: the automatic window, said on stderr.
    r = subprocess.run([cli, "--db", str(db), "export", fk, str(png), "--slice", "z=2"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "f32 values " in r.stderr and "drawn as 0..255" in r.stderr
    shown = pixels()
    assert shown.dtype == np.uint8 and shown.min() == 0 and shown.max() == 255
    assert (np.diff(shown.astype(int).ravel()) >= 0).all()  # the ramp keeps its order
    # u8 to PNG stays exact; a window is applied only when asked for.
    j = json.loads(run(cli, db, "export", "--json", uk, str(png), "--slice", "z=1"))
    assert "window" not in j
    np.testing.assert_array_equal(pixels(), u[1])
    j = json.loads(run(cli, db, "export", "--json", uk, str(png), "--slice", "z=1",
                       "--window", "0,100"))
    np.testing.assert_array_equal(
        pixels(), (np.clip(u[1] / 100, 0, 1) * 255 + 0.5).astype(np.uint8))
    # A mask stays 0 and 1, as in every format without bool.
    m = (np.arange(4 * 5 * 6) % 3 == 0).reshape(4, 5, 6)
    with voxcache.Cache(db) as c:
        c.put(voxcache.key("m"), voxcache.Volume(m))
    j = json.loads(run(cli, db, "export", "--json", voxcache.key("m").hex, str(png), "--slice",
                       "z=1"))
    assert "window" not in j
    np.testing.assert_array_equal(pixels(), m[1].astype(np.uint8))
    # --window belongs to pictures; bad windows are usage errors.
    for bad in (["--window", "auto", fk, str(tmp_path / "o.nii")],
                ["--window", "1,1", fk, str(png), "--slice", "z=0"],
                ["--window", "a,b", fk, str(png), "--slice", "z=0"],
                ["--window", "nan,1", fk, str(png), "--slice", "z=0"]):
        r = subprocess.run([cli, "--db", str(db), "export", *bad], capture_output=True, text=True)
        assert r.returncode == 2 and "--window" in r.stderr, (bad, r.stderr)
    # An error names the file asked for, never voxcache's temporary one.
    r = subprocess.run([cli, "--db", str(db), "export", fk, str(png)], capture_output=True,
                       text=True)
    assert r.returncode == 1 and f"{png}: this format holds 2D images" in r.stderr
    assert ".voxcache-tmp" not in r.stderr


CH2 = "/usr/share/mricron/templates/ch2.nii.gz"


def test_import_reads_standard_input_and_export_writes_standard_output(tmp_path, cli):
    import gzip
    import os
    import pty

    import nibabel

    db = tmp_path / "c.db"
    raw = gzip.decompress(open(CH2, "rb").read())

    def cmd(*args, stdin=b"", stdout=subprocess.PIPE, code=0):
        r = subprocess.run([cli, "--db", str(db), *args], input=stdin, stdout=stdout,
                           stderr=subprocess.PIPE)
        assert r.returncode == code, (args, r.stderr.decode())
        return r

    want = cmd("key", CH2).stdout.split()[0].decode()
    # Gzipped and plain NIfTI, told apart by their first bytes; the same key
    # as the file's; ls says where it came from.
    for data in (open(CH2, "rb").read(), raw):
        items = json.loads(cmd("import", "--json", "-", stdin=data).stdout)
        assert items == [{"key": want, "file": "-", "size": [181, 217, 181], "dimension": 3,
                          "frames": 1}]
    assert "imported from <stdin>" in cmd("ls").stdout.decode()
    # export KEY - writes NIfTI by default: the file's own bytes, header and all.
    out = cmd("export", want[:12], "-")
    assert out.stdout == raw and b"wrote standard output" in out.stderr
    # Other stream formats by --format; nibabel reads what came out.
    gz = cmd("export", want, "-", "--format", "nii.gz").stdout
    assert gzip.decompress(gz) == raw
    (tmp_path / "back.nii.gz").write_bytes(gz)
    np.testing.assert_array_equal(np.asanyarray(nibabel.load(str(tmp_path / "back.nii.gz")).dataobj),
                                  np.asanyarray(nibabel.load(CH2).dataobj))
    png = cmd("export", want, "-", "--slice", "z=90", "--format", "png").stdout
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    # Through a pipe, into another database: the same key.
    other = tmp_path / "o.db"
    items = json.loads(subprocess.run([cli, "--db", str(other), "import", "--json", "-"],
                                      input=gz, capture_output=True, check=True).stdout)
    assert items[0]["key"] == want
    # What cannot work is a usage error before anything is written.
    for args, stdin, says in (
            (["import", "-"], b"plain text, no image", b"standard input holds none of"),
            (["import", "-"], b"", b"standard input is empty"),
            (["import", "-", "-"], raw, b"can be imported once"),
            (["export", want, str(tmp_path / "x.nii"), "--format", "nii"], b"",
             b"--format is for standard output"),
            (["export", want, "-", "--format", "hdr"], b"", b"standard output takes nii"),
            (["export", want, "-", "--json"], b"", b"--json prints to standard output")):
        r = cmd(*args, stdin=stdin, code=2)
        assert says in r.stderr and r.stdout == b"", (args, r.stderr)
    # A terminal on either side is refused, not filled with bytes.
    main, tty = pty.openpty()
    try:
        r = subprocess.run([cli, "--db", str(db), "export", want, "-"], stdout=tty,
                           stderr=subprocess.PIPE)
        assert r.returncode == 2 and b"standard output is a terminal" in r.stderr
        r = subprocess.run([cli, "--db", str(db), "import", "-"], stdin=tty,
                           capture_output=True)
        assert r.returncode == 2 and b"standard input is a terminal" in r.stderr
    finally:
        os.close(main)
        os.close(tty)
    # A failed write names standard output, never the scratch file.
    with open("/dev/full", "wb") as full:
        r = cmd("export", want, "-", stdout=full, code=1)
    assert b"cannot write standard output" in r.stderr and b"voxcache-stdout" not in r.stderr
    # A reader that stops early: a broken pipe is an error, and the scratch
    # folder goes (SIGPIPE would have killed the command and left it).
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = dict(os.environ, TMPDIR=str(scratch))
    p = subprocess.Popen([cli, "--db", str(db), "export", want, "-"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    p.stdout.read(100)
    p.stdout.close()
    err = p.stderr.read()
    assert p.wait() == 1 and b"cannot write standard output: Broken pipe" in err, err
    assert list(scratch.iterdir()) == []
    ok = subprocess.run([cli, "--db", str(db), "export", want, "-"], capture_output=True, env=env)
    assert ok.stdout == raw and list(scratch.iterdir()) == []  # nor after a whole export
