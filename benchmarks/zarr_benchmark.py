#!/usr/bin/env python3
"""voxcache against zarr 2 + Blosc, what a Python user picks for chunked
volumes, and against np.save / np.load, in one process (docs/benchmarks.md
19).

For each mricron template: put and get MB/s of raw voxels, best of REPS,
and the stored ratio. voxcache at its defaults (zstd) and with
codec='lz4'; gets come from a handle without a memory tier, so that each
decodes from the database as zarr's decode from its files. zarr arrays in a
DirectoryStore with Blosc zstd and Blosc lz4 (numcodecs' defaults: level 5,
byte shuffle), chunked in z-slabs of about 1 MiB like voxcache's, Blosc on
as many threads as voxcache's pool. Every get is compared with what was put.

    PYTHONPATH=build/python /usr/bin/python3 benchmarks/zarr_benchmark.py [--reps N] [--quick]
"""

import argparse
import os
import shutil
import tempfile
import time

import nibabel
import numpy as np

import voxcache

TEMPLATES = "/usr/share/mricron/templates"
INPUTS = ["ch2.nii.gz", "ch2better.nii.gz", "aal.nii.gz",
          "HarvardOxford-cort-maxprob-thr0-1mm.nii.gz", "inia19-t1-brain.nii.gz",
          "inia19-NeuroMaps.nii.gz"]


def du(path):
    if os.path.isfile(path):
        return sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s))
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(path) for f in fs)


def best(fn, reps):
    t_best, out = float("inf"), None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        t_best = min(t_best, time.perf_counter() - t)
    return t_best, out


def voxcache_contender(d, codec):
    path = os.path.join(d, f"{codec}.db")

    def put(vol, rep):
        with voxcache.Cache(path, codec=codec) as c:
            k = voxcache.key("v", rep=rep)
            t = time.perf_counter()
            c.put(k, vol)
            took = time.perf_counter() - t
            return took, c.info(k)["stored_bytes"]

    def get(rep):
        # No memory tier: every get decodes from the database, as zarr's do.
        with voxcache.Cache(path, memory_budget_bytes=0) as c:
            return best(lambda: c.get(voxcache.key("v", rep=rep)), 1)

    return put, get


def zarr_contender(d, cname):
    import numcodecs
    import zarr

    numcodecs.blosc.set_nthreads(os.cpu_count() or 1)  # voxcache's pool: one per core
    compressor = numcodecs.Blosc(cname=cname, clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)

    def put(vol, rep):
        a = vol.array
        z_per_chunk = max(1, (1 << 20) // (a.shape[1] * a.shape[2] * a.itemsize))
        path = os.path.join(d, f"zarr-{cname}-{rep}")
        t = time.perf_counter()
        z = zarr.open_array(zarr.DirectoryStore(path), mode="w", shape=a.shape, dtype=a.dtype,
                            chunks=(z_per_chunk,) + a.shape[1:], compressor=compressor)
        z[:] = a
        took = time.perf_counter() - t
        return took, du(path)

    def get(rep):
        path = os.path.join(d, f"zarr-{cname}-{rep}")
        return best(lambda: zarr.open_array(zarr.DirectoryStore(path), mode="r")[:], 1)

    return put, get


def npy_contender(d):
    def put(vol, rep):
        path = os.path.join(d, f"raw-{rep}.npy")
        t = time.perf_counter()
        np.save(path, vol.array)
        return time.perf_counter() - t, du(path)

    def get(rep):
        return best(lambda: np.load(os.path.join(d, f"raw-{rep}.npy")), 1)

    return put, get


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="ch2 alone, once (what ctest runs)")
    args = ap.parse_args()
    reps = 1 if args.quick else args.reps
    names = INPUTS[:1] if args.quick else INPUTS
    print("| input | voxcache zstd | voxcache lz4 | zarr blosc-zstd | zarr blosc-lz4 "
          "| np.save / np.load |")
    print("|---|---|---|---|---|---|")
    for name in names:
        vol = voxcache.Volume.from_nibabel(nibabel.load(os.path.join(TEMPLATES, name)))
        mb = vol.array.nbytes / 1e6
        cells = []
        for make in (lambda d: voxcache_contender(d, "zstd"), lambda d: voxcache_contender(d, "lz4"),
                     lambda d: zarr_contender(d, "zstd"), lambda d: zarr_contender(d, "lz4"),
                     npy_contender):
            d = tempfile.mkdtemp()
            try:
                put, get = make(d)
                puts = [put(vol, rep) for rep in range(reps)]
                t_put, stored = min(puts)
                t_get, back = min((get(rep) for rep in range(reps)), key=lambda r: r[0])
                back_array = back.array if isinstance(back, voxcache.Volume) else back
                assert back_array.dtype == vol.array.dtype
                assert back_array.tobytes() == vol.array.tobytes(), (name, make)
                cells.append(f"{mb / t_put:.0f} / {mb / t_get:.0f} "
                             f"({vol.array.nbytes / stored:.2f}x)")
            finally:
                shutil.rmtree(d)
        print(f"| {name.split('.')[0]} {vol.array.dtype} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
