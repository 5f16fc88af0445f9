#!/usr/bin/env python3
"""VoxLogicA-2's results on voxcache against its own stores, on its data
shape: 188x256x190 uint8 images, 9.1 MB each (docs/benchmarks.md 17).

The images are the mricron ch2 brain, centred in a 188x256x190 field of
view, and what a VoxLogicA program makes of it: threshold masks (0/1),
a smoothed copy, an intensity band. For each store this measures, with
every value read back compared voxel for voxel and geometry field for
field:

- **VoxLogicA-2's current store** (its own ``SQLiteResultsDatabase``, the
  code of a VoxLogicA-2 checkout: ``--voxlogica`` names its
  ``implementation/python``): ``put_success`` and ``get_record`` per image,
  bytes on disk (database and its ``.files`` folder);
- **its legacy pickle store** (``pickle.dumps`` into SQLite, as before its
  storage rewrite; tests/python/voxlogica_stores.py): bytes on disk;
- **voxcache** through ``VoxcacheResultsDatabase``, at the defaults: the
  same calls, bytes on disk;

gets from a new handle, again on the same one, and from disk (the files
dropped from the page cache), each checked after the clock stops;
- **the migration** of each VoxLogicA store (``voxcache import-store``'s
  ``migrate``): its time, and bytes before and after.

SimpleITK is not in Debian 12: images are a stand-in
(tests/python/voxlogica_stores.py) whose array calls copy where SimpleITK's do (GetArrayFromImage, GetImageFromArray, unpickling) and
view where it views (GetArrayViewFromImage). VoxLogicA's hashing needs the
canonicaljson package, which nothing here calls; a stub stands in when it
is missing.

    git clone https://github.com/VoxLogicA-Project/VoxLogicA-2 /tmp/VoxLogicA-2
    PYTHONPATH=build/python /usr/bin/python3 benchmarks/voxlogica_benchmark.py \\
        --voxlogica /tmp/VoxLogicA-2/implementation/python [--images 8] [--reps 3]
"""

import argparse
import hashlib
import os
import pickle
import sys
import tempfile
import time
import types

import nibabel
import numpy as np

SHAPE = (190, 256, 188)  # (z, y, x): size 188x256x190
SPACING, ORIGIN = (1.0, 1.0, 1.0), (-94.0, -128.0, -95.0)
DIRECTION = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


def images(n):
    ch2 = np.asarray(nibabel.load("/usr/share/mricron/templates/ch2.nii.gz").dataobj)
    brain = np.zeros(SHAPE, np.uint8)
    z, y, x = (np.array(SHAPE) - np.array(ch2.T.shape)) // 2
    brain[z:z + ch2.shape[2], y:y + ch2.shape[1], x:x + ch2.shape[0]] = ch2.T
    smooth = brain.astype(np.float32)
    for axis in range(3):
        smooth = (np.roll(smooth, 1, axis) + smooth + np.roll(smooth, -1, axis)) / 3
    out = [brain, smooth.astype(np.uint8)]
    for level in (40, 70, 100, 130, 160):
        out.append((brain > level).astype(np.uint8))
    out.append(np.where((brain > 60) & (brain < 120), brain, 0).astype(np.uint8))
    return [out[i % len(out)] for i in range(n)]


def disk_bytes(*paths):
    total = 0
    for p in paths:
        if os.path.isdir(p):
            total += sum(os.path.getsize(os.path.join(p, f)) for f in os.listdir(p))
        else:
            for suffix in ("", "-wal"):
                if os.path.exists(p + suffix):
                    total += os.path.getsize(p + suffix)
    return total


def evict(*paths):
    """Drops the store's files from the page cache (written back first), so
    that the next read comes from the disk: a node that did not write them,
    or a cache read after a while."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += [os.path.join(p, f) for f in os.listdir(p)]
        else:
            files += [p + s for s in ("", "-wal", "-shm") if os.path.exists(p + s)]
    for f in files:
        fd = os.open(f, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def same(image, array):
    assert image.array.dtype == np.uint8 and np.array_equal(image.array, array)
    assert tuple(image.GetSpacing()) == SPACING and tuple(image.GetOrigin()) == ORIGIN
    assert tuple(image.GetDirection()) == DIRECTION


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--voxlogica",
                    help="a VoxLogicA-2 checkout's implementation/python folder; without "
                    "it, its store is left out and the current-schema store migrated is "
                    "written by tests/python/voxlogica_stores.py (what ctest runs)")
    ap.add_argument("--images", type=int, default=8)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(1, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                    "python"))
    sys.modules.setdefault("canonicaljson", types.ModuleType("canonicaljson"))
    from voxlogica_stores import CurrentStore, LegacyStore, simpleitk_module, sitk_image
    sys.modules["SimpleITK"], sys.modules["SimpleITK.SimpleITK"] = simpleitk_module()
    if args.voxlogica:
        sys.path.insert(0, args.voxlogica)
        from voxlogica.storage import SQLiteResultsDatabase

    import voxcache
    from voxcache.integrations import voxlogica

    arrays = images(args.images)
    ids = [hashlib.sha256(f"node {i}".encode()).hexdigest() for i in range(len(arrays))]
    raw = sum(a.nbytes for a in arrays)
    print(f"{len(arrays)} images of {SHAPE[2]}x{SHAPE[1]}x{SHAPE[0]} uint8, "
          f"{raw / len(arrays) / 1e6:.1f} MB each, {raw / 1e6:.1f} MB raw")
    with tempfile.TemporaryDirectory() as d:
        rows = []

        def run(name, open_store, where):
            """Best of reps: puts into a new store each time, then gets from
            a fresh handle on the last one."""
            def put_all(rep):
                store = open_store(where(rep))
                elapsed = 0.0
                for i, a in zip(ids, arrays):
                    image = sitk_image(a, spacing=SPACING, origin=ORIGIN, direction=DIRECTION)
                    t = time.perf_counter()
                    store.put_success(i, image, {"elapsed": 1.0})
                    elapsed += time.perf_counter() - t
                store.close()
                return elapsed

            put = min(put_all(rep) for rep in range(args.reps)) / len(arrays)
            last = where(args.reps - 1)

            def gets(store):
                """Seconds to get every record; each is checked after the
                clock stops."""
                t = time.perf_counter()
                records = [store.get_record(i) for i in ids]
                elapsed = time.perf_counter() - t
                for r, a in zip(records, arrays):
                    same(r.value, a)
                return elapsed

            def new_handle():
                t = time.perf_counter()
                store = open_store(last)
                opened = time.perf_counter() - t
                elapsed = opened + gets(store)
                store.close()
                return elapsed

            get = min(new_handle() for _ in range(args.reps)) / len(arrays)
            # VoxLogicA's MaterializationStore keeps only the node id of an
            # image and asks the backend again at every use: gets again on
            # one open store.
            store = open_store(last)
            gets(store)
            again = min(gets(store) for _ in range(args.reps)) / len(arrays)
            store.close()
            cold = float("inf")
            for _ in range(args.reps):
                evict(last, last + ".files")
                cold = min(cold, new_handle() / len(arrays))
            rows.append((name, put, get, again, cold, disk_bytes(last, last + ".files"), last))

        if args.voxlogica:
            run("VoxLogicA-2 store (raw .bin files)",
                lambda p: SQLiteResultsDatabase(p, runtime_version="bench"),
                lambda rep: os.path.join(d, f"vl{rep}", "results.db"))
            vl_db = rows[0][6]
        else:
            vl_db = os.path.join(d, "vl", "results.db")
            os.makedirs(os.path.dirname(vl_db))
            current = CurrentStore(vl_db)
            for i, a in zip(ids, arrays):
                current.put_image(i, sitk_image(a, spacing=SPACING, origin=ORIGIN,
                                                direction=DIRECTION))
            current.close()
        run("voxcache (VoxcacheResultsDatabase)",
            lambda p: voxlogica.VoxcacheResultsDatabase(p, runtime_version="bench"),
            lambda rep: os.path.join(d, f"vc{rep}", "cache.db"))

        os.makedirs(os.path.join(d, "legacy"))
        legacy = LegacyStore(os.path.join(d, "legacy", "storage.db"))
        t = time.perf_counter()
        for i, a in zip(ids, arrays):
            image = sitk_image(a, spacing=SPACING, origin=ORIGIN, direction=DIRECTION)
            legacy.store_blob(i, pickle.dumps(image, protocol=4), "Image")
        legacy_put = (time.perf_counter() - t) / len(arrays)
        legacy.close()
        legacy_bytes = disk_bytes(str(legacy.path))

        print()
        print("| store | put | get, new handle | get again, same handle | get from disk "
              "| on disk | ratio to raw |")
        print("|---|---|---|---|---|---|---|")
        print(f"| VoxLogicA-2 legacy (pickles in SQLite) | {legacy_put * 1e3:.1f} ms | - | - | - "
              f"| {legacy_bytes / 1e6:.1f} MB | {raw / legacy_bytes:.2f} |")
        for name, put, get, again, cold, size, _ in rows:
            print(f"| {name} | {put * 1e3:.1f} ms | {get * 1e3:.1f} ms | {again * 1e3:.1f} ms "
                  f"| {cold * 1e3:.1f} ms | {size / 1e6:.1f} MB | {raw / size:.2f} |")
        if args.voxlogica:
            vl, vc = rows[0][1:5], rows[1][1:5]
            print("\nVoxLogicA-2's store's time / voxcache's (above 1: voxcache is faster): "
                  + ", ".join(f"{what} {a / b:.2f}" for what, a, b in zip(
                      ("put", "get", "get again", "get from disk"), vl, vc)))

        print("\n| migration | entries | time | before | after | ratio |")
        print("|---|---|---|---|---|---|")
        for label, src, before in (("legacy store", str(legacy.path), legacy_bytes),
                                   ("current store", vl_db, disk_bytes(vl_db, vl_db + ".files"))):
            dest = os.path.join(d, f"migrated-{label.split()[0]}.db")
            with voxcache.Cache(dest) as cache:
                t = time.perf_counter()
                summary = voxlogica.migrate(src, cache)
                took = time.perf_counter() - t
            assert summary["copied"] == len(arrays) and not summary["skips"], summary
            with voxlogica.VoxcacheResultsDatabase(dest) as db:
                for i, a in zip(ids, arrays):
                    same(db.get_record(i).value, a)
            after = disk_bytes(dest)
            print(f"| {label} | {summary['copied']} | {took:.2f} s | {before / 1e6:.1f} MB | "
                  f"{after / 1e6:.1f} MB | {before / after:.2f}x smaller |")


if __name__ == "__main__":
    main()
