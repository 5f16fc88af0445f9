"""voxcache serve's HTTP API (docs/serve.md) through a real HTTP client
against the real server on a loopback port, on the demo's database; every
volume it sends is compared voxel for voxel and field for field with what
the library returns."""

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess

import nibabel
import numpy as np
import pytest
from PIL import Image

import voxcache
from conftest import CLI, entries_by_operation


@pytest.fixture(scope="module")
def demo(demo_db, tmp_path_factory):
    """A copy of the demo's database, its entries by operation, and the library's volumes."""
    db = tmp_path_factory.mktemp("api") / "cache.db"
    shutil.copy(demo_db, db)
    by_op = entries_by_operation(db)
    return db, by_op


def library_volume(db, key):
    # A copy of the database, so that the library's own reads (access
    # times) leave the served file as it was.
    copy = str(db) + ".library.db"
    if not os.path.exists(copy):
        shutil.copy(db, copy)
    with voxcache.Cache(copy) as c:
        return c.get(key)


def nifti(body):
    return nibabel.Nifti1Image.from_bytes(body)


def digest(path):
    h = hashlib.sha256()
    for suffix in ("", "-wal"):
        if os.path.exists(str(path) + suffix):
            with open(str(path) + suffix, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


def test_stats_and_entries(demo, serve):
    db, by_op = demo
    s = serve(db)
    stats = s.json("/api/stats")
    assert stats["entries"] == len(by_op) == 4
    assert {t["data_type"] for t in stats["by_type"]} == {"volume"}
    page = s.json("/api/entries")
    assert page["total"] == 4 and page["offset"] == 0 and len(page["entries"]) == 4
    assert {e["key"] for e in page["entries"]} == {e["key"] for e in by_op.values()}
    # The same record ls --json prints, field for field, but the lineage a
    # listing does not read (ls --json shows it empty).
    for e in page["entries"]:
        assert "inputs" not in e and "dependents" not in e
        listed = {k: v for k, v in by_op[e["operation"]].items()
                  if k not in ("inputs", "dependents")}
        assert e == listed
    # Pages, sorting, filters.
    first = s.json("/api/entries?limit=1&sort=size")
    second = s.json("/api/entries?limit=1&offset=1&sort=size")
    assert first["total"] == 4 and len(first["entries"]) == 1
    assert first["entries"][0]["stored_bytes"] >= second["entries"][0]["stored_bytes"]
    assert max(e["stored_bytes"] for e in by_op.values()) == first["entries"][0]["stored_bytes"]
    assert s.json("/api/entries?offset=10")["entries"] == []
    only = s.json("/api/entries?op=itk.OtsuThreshold")
    assert [e["operation"] for e in only["entries"]] == ["itk.OtsuThreshold"]
    assert s.json("/api/entries?type=float64")["total"] == 0
    assert s.json("/api/entries?pinned=1")["total"] == 0
    assert s.json("/api/entries?larger_than=1G")["total"] == 0


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "offset=-1", "sort=name",
                                   "larger_than=lots", "older_than=3x"])
def test_bad_listing_requests_are_400(demo, serve, query):
    db, _ = demo
    s = serve(db)
    body = s.json("/api/entries?" + query, status=400)
    assert body["kind"] == "bad_request" and body["error"]


def test_entry_by_key_and_prefix(demo, serve):
    db, by_op = demo
    s = serve(db)
    e = by_op["itk.OtsuThreshold"]
    full = s.json("/api/entries/" + e["key"])
    assert full["key"] == e["key"]
    assert full["inputs"] == [by_op["itk.SmoothingRecursiveGaussian"]["key"]]
    assert full["dependents"] == [by_op["itk.ConnectedComponents+Relabel"]["key"]]
    assert full["volume"] == e["volume"] and full["checksum"] == e["checksum"]
    assert s.json("/api/entries/" + e["key"][:10]) == full
    # The CLI's show --json is the same record.
    shown = json.loads(subprocess.run([CLI, "--db", str(db), "--read-only", "show", "--json",
                                       e["key"]], check=True, capture_output=True).stdout)
    for field in ("key", "inputs", "dependents", "volume", "intensity", "recipe", "checksum"):
        assert shown[field] == full[field]


@pytest.mark.parametrize("key,status", [("0" * 64, 404), ("deadbeef", 404), ("abc", 400),
                                        ("ZZZZZZZZZZ", 400), ("a" * 65, 400)])
def test_bad_and_unknown_keys(demo, serve, key, status):
    db, _ = demo
    s = serve(db)
    for what in ("", "/lineage", "/volume.nii", "/slice.png", "/thumbnail.png",
                 "/region?box=0,0,0,1,1,1"):
        body = s.json("/api/entries/" + key + what, status=status)
        assert body["kind"] == ("not_found" if status == 404 else "bad_request")


def test_lineage_is_the_recipe_dag(demo, serve):
    db, by_op = demo
    s = serve(db)
    labels = by_op["itk.ConnectedComponents+Relabel"]
    g = s.json(f"/api/entries/{labels['key']}/lineage")
    assert g["root"] == labels["key"] and not g["truncated"]
    ops = {n["key"]: n.get("operation") for n in g["nodes"]}
    chain = [by_op[o]["key"] for o in ("itk.ConnectedComponents+Relabel", "itk.OtsuThreshold",
                                       "itk.SmoothingRecursiveGaussian")]
    source = by_op[None]["key"]  # ch2, stored under its content key
    assert set(ops) == set(chain) | {source}
    edges = {(e["from"], e["to"]) for e in g["edges"]}
    assert edges == {(chain[1], chain[0]), (chain[2], chain[1]), (source, chain[2])}
    assert all(n["present"] for n in g["nodes"])
    smooth = next(n for n in g["nodes"] if n["key"] == chain[2])
    assert smooth["recipe"]["operation"] == "itk.SmoothingRecursiveGaussian"


@pytest.mark.parametrize("op", [None, "itk.SmoothingRecursiveGaussian", "itk.OtsuThreshold",
                                "itk.ConnectedComponents+Relabel"])
def test_volume_nifti_is_the_library_volume(demo, serve, op):
    db, by_op = demo
    s = serve(db)
    key = by_op[op]["key"]
    code, headers, body = s.get(f"/api/entries/{key}/volume.nii")
    assert code == 200 and headers["X-Voxcache-Step"] == "1"
    img = nifti(body)
    v = library_volume(db, key)
    data = np.asanyarray(img.dataobj)
    assert data.dtype == v.xyz.dtype and data.shape == v.xyz.shape
    assert np.array_equal(data, v.xyz)
    # NIfTI keeps the affine in float32 (srow): equal to that precision.
    assert np.allclose(img.affine, v.affine(), rtol=0, atol=1e-4)
    assert np.allclose(img.header.get_zooms()[:3], v.spacing, rtol=1e-6)


def test_volume_nifti_step_is_every_nth_voxel(demo, serve):
    db, by_op = demo
    s = serve(db)
    key = by_op[None]["key"]
    code, headers, body = s.get(f"/api/entries/{key}/volume.nii?step=3")
    assert code == 200 and headers["X-Voxcache-Step"] == "3"
    img = nifti(body)
    v = library_volume(db, key)
    assert np.array_equal(np.asanyarray(img.dataobj), v.xyz[::3, ::3, ::3])
    assert np.allclose(img.header.get_zooms()[:3], np.asarray(v.spacing) * 3, rtol=1e-6)
    # The first voxel stays where it was.
    assert np.allclose(img.affine[:3, 3], v.affine()[:3, 3], atol=1e-4)
    assert s.json(f"/api/entries/{key}/volume.nii?step=0", status=400)["kind"] == "bad_request"


def test_region_raw_and_nifti(demo, serve):
    db, by_op = demo
    s = serve(db)
    key = by_op["itk.SmoothingRecursiveGaussian"]["key"]
    v = library_volume(db, key)
    code, headers, body = s.get(f"/api/entries/{key}/region?box=10,20,30,40,50,60")
    assert code == 200
    assert headers["X-Voxcache-Size"] == "40,50,60,1"
    dtype = {"u8": np.uint8, "f32": np.float32}[headers["X-Voxcache-Pixel-Type"]]
    got = np.frombuffer(body, dtype=dtype).reshape(60, 50, 40)  # (z, y, x)
    assert np.array_equal(got, v.array[30:90, 20:70, 10:50])
    code, _, body = s.get(f"/api/entries/{key}/region?box=10,20,30,40,50,60&format=nii")
    assert code == 200
    assert np.array_equal(np.asanyarray(nifti(body).dataobj), v.xyz[10:50, 20:70, 30:90])


@pytest.mark.parametrize("box", ["", "1,2,3", "0,0,0,0,1,1", "180,0,0,2,1,1", "0,0,0,1,1,999",
                                 "a,b,c,d,e,f", "18446744073709551615,0,0,2,1,1"])
def test_bad_regions_are_400(demo, serve, box):
    db, by_op = demo
    s = serve(db)
    key = by_op[None]["key"]
    assert s.json(f"/api/entries/{key}/region?box={box}", status=400)["kind"] == "bad_request"
    assert s.json(f"/api/entries/{key}/region?box=0,0,0,1,1,1&format=tiff",
                  status=400)["kind"] == "bad_request"


def test_slices_and_thumbnails_are_pngs(demo, serve):
    db, by_op = demo
    s = serve(db)
    key = by_op[None]["key"]
    x, y, z = library_volume(db, key).size
    for axis, index, wh in (("z", 90, (x, y)), ("y", 100, (x, z)), ("x", 0, (y, z))):
        code, headers, body = s.get(f"/api/entries/{key}/slice.png?axis={axis}&index={index}")
        assert code == 200 and headers["Content-Type"] == "image/png"
        img = Image.open(io.BytesIO(body))
        assert img.size == wh and img.mode == "L"
        assert np.asarray(img).std() > 0  # a brain, not a blank
    code, _, body = s.get(f"/api/entries/{key}/thumbnail.png")
    assert code == 200 and Image.open(io.BytesIO(body)).size == (x, y)
    assert s.json(f"/api/entries/{key}/slice.png?axis=w", status=400)["kind"] == "bad_request"
    assert s.json(f"/api/entries/{key}/slice.png?axis=z&index={z}",
                  status=400)["kind"] == "bad_request"


def test_pages_and_assets(demo, serve):
    db, by_op = demo
    s = serve(db)
    code, headers, body = s.get("/")
    assert code == 200 and headers["Content-Type"].startswith("text/html")
    assert b"/static/entries.js" in body
    code, _, body = s.get("/entries/" + by_op[None]["key"])
    assert code == 200 and b"/static/entry.js" in body
    for asset in ("common.js", "entries.js", "entry.js", "inspector.css"):
        assert s.get("/static/" + asset)[0] == 200
    # NiiVue's bundle, as quickstart.sh fetched it beside the binary.
    code, _, body = s.get("/static/niivue.umd.js")
    assert code == 200 and len(body) > 1_000_000


@pytest.mark.parametrize("path", ["/static/../../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd",
                                  "/etc/passwd", "/static/nothing.js", "/entries/../cache.db",
                                  "/api/entries/" + "a" * 64 + "/../../x", "/api/nothing"])
def test_no_path_reaches_the_file_system(demo, serve, path):
    db, _ = demo
    s = serve(db)
    code, _, body = s.get(path)
    assert code in (400, 404)
    assert b"root:" not in body and b"SQLite format" not in body


def test_read_only_every_call_changes_nothing(demo, serve, tmp_path):
    db, by_op = demo
    copy = tmp_path / "cache.db"
    shutil.copy(db, copy)
    def stats():
        return json.loads(subprocess.run([CLI, "--db", str(copy), "--read-only", "stats",
                                          "--json"], check=True, capture_output=True).stdout)

    counters = stats()["counters"]
    before = digest(copy)
    s = serve(copy)
    for e in by_op.values():
        k = e["key"]
        for path in ("", "/lineage", "/volume.nii", "/slice.png", "/thumbnail.png",
                     "/region?box=0,0,0,8,8,8"):
            assert s.get(f"/api/entries/{k}{path}")[0] == 200
    s.json("/api/entries")
    s.json("/api/stats")
    # Writes are refused before any route.
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        import urllib.request
        req = urllib.request.Request(s.url + "/api/entries/" + by_op[None]["key"], method=method,
                                     data=b"{}")
        try:
            urllib.request.urlopen(req, timeout=30)
            raise AssertionError(method + " was accepted")
        except urllib.error.HTTPError as err:
            assert err.code == 405
    s.stop()
    assert digest(copy) == before
    # No hit was counted either: the statistics are the cache's users'.
    assert stats()["counters"] == counters


def test_a_damaged_entry_is_an_error_reply_and_the_server_goes_on(demo, serve, tmp_path):
    db, by_op = demo
    copy = tmp_path / "cache.db"
    shutil.copy(db, copy)
    key = by_op["itk.SmoothingRecursiveGaussian"]["key"]
    with sqlite3.connect(copy) as c:  # one byte of one chunk flipped
        data = bytearray(c.execute("SELECT data FROM chunks WHERE operation_id = ? AND "
                                   "chunk_index = 0", (key,)).fetchone()[0])
        data[len(data) // 2] ^= 0x40
        c.execute("UPDATE chunks SET data = ? WHERE operation_id = ? AND chunk_index = 0",
                  (bytes(data), key))
    s = serve(copy)
    for path in ("/volume.nii", "/thumbnail.png", "/slice.png?axis=z&index=0",
                 "/region?box=0,0,0,181,217,2"):
        body = s.json(f"/api/entries/{key}{path}", status=500)
        assert body["kind"] == "corruption", body
    assert s.json("/api/entries/" + key)["key"] == key  # the record is still shown
    other = by_op[None]["key"]
    assert s.get(f"/api/entries/{other}/volume.nii")[0] == 200


def test_a_hostile_database_is_an_error_reply(tmp_path, serve):
    db = tmp_path / "cache.db"
    with voxcache.Cache(db) as c:
        c.put(voxcache.key("a"), np.arange(1000, dtype=np.float32).reshape(10, 10, 10))
        key = c.list()[0]["key"]
    with sqlite3.connect(db) as c:  # a header that lies about the volume's size
        c.execute("UPDATE results SET data = zeroblob(40) WHERE operation_id = ?", (key,))
    s = serve(db)
    code, _, body = s.get(f"/api/entries/{key}/volume.nii")
    assert code in (404, 500) and json.loads(body)["error"]
    page = s.json("/api/entries")
    assert page["total"] == 1 and page["entries"][0]["problem"]


def test_bind_off_loopback_needs_a_token(demo, serve):
    db, by_op = demo
    r = subprocess.run([CLI, "--db", str(db), "serve", "--bind", "0.0.0.0", "--port", "0"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "--token" in r.stderr
    s = serve(db, "--bind", "127.0.0.1", "--token", "s3cret")
    for path in ("/", "/api/entries", "/api/stats", "/static/entry.js",
                 f"/api/entries/{by_op[None]['key']}/volume.nii"):
        assert s.get(path)[0] == 401
        assert s.get(path + ("&" if "?" in path else "?") + "token=wrong")[0] == 401
    assert s.json("/api/entries?token=s3cret")["total"] == 4
    assert s.get("/api/stats", headers={"Authorization": "Bearer s3cret"})[0] == 200
    assert s.get("/api/stats", headers={"Authorization": "Bearer s3cre"})[0] == 401


def test_token_from_the_environment(demo, serve):
    db, _ = demo
    s = serve(db, env={**os.environ, "VOXCACHE_SERVE_TOKEN": "from-env"})
    assert s.get("/api/stats")[0] == 401
    assert s.get("/api/stats?token=from-env")[0] == 200


def test_many_entries_list_in_pages(tmp_path, serve):
    db = tmp_path / "cache.db"
    n = 20000
    with voxcache.Cache(db) as c:
        for i in range(n):
            c.put(voxcache.key("value", i=i), float(i))
    s = serve(db)
    seen = set()
    offset = 0
    while True:
        page = s.json(f"/api/entries?limit=1000&offset={offset}")
        assert page["total"] == n and len(page["entries"]) <= 1000
        if not page["entries"]:
            break
        seen.update(e["key"] for e in page["entries"])
        offset += len(page["entries"])
    assert len(seen) == n
