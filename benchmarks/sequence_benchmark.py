#!/usr/bin/env python3
"""A segmentation's result as one tuple against its parts stored apart
(docs/format.md 2.1, docs/benchmarks.md 15).

`return mask, volume, float(ml)` stores a tuple whose largest item is the
volume; its chunks take the shuffle filter of that volume's pixel size, as
the volume's own would. For each mricron template, as stored and as
float32, this puts (mask, volume, 1.5) as one entry, and the mask (a bool
ndarray) and the volume on keys of their own, into one cache at the
defaults; it prints the stored sizes and the time to get the tuple, and
the two parts, from a fresh handle (best of REPS). Every get is compared
with what was put.

    PYTHONPATH=build/python /usr/bin/python3 benchmarks/sequence_benchmark.py [--reps N] [--quick]
"""

import argparse
import os
import tempfile
import time

import nibabel
import numpy as np

import voxcache

TEMPLATES = "/usr/share/mricron/templates"


def best_get(path, keys, reps):
    best = float("inf")
    for _ in range(reps):
        with voxcache.Cache(path) as c:
            t = time.perf_counter()
            values = [c.get(k) for k in keys]
            best = min(best, time.perf_counter() - t)
    return best, values


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="ch2 alone (what ctest runs)")
    args = ap.parse_args()
    names = ["ch2.nii.gz"] if args.quick else ["ch2.nii.gz", "ch2better.nii.gz", "aal.nii.gz"]
    print("| volume | parts apart: stored, get | one tuple: stored, get | stored | get |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "c.db")
        for name in names:
            v = voxcache.Volume.from_nibabel(nibabel.load(os.path.join(TEMPLATES, name)))
            f = voxcache.Volume(v.array.astype(np.float32), spacing=v.spacing, origin=v.origin,
                                direction=v.direction)
            for vol in (v, f):
                mask = vol.array > vol.array.mean()
                k = dict(name=name, dtype=str(vol.array.dtype))
                parts = [voxcache.key("mask", **k), voxcache.key("volume", **k)]
                pair = voxcache.key("tuple", **k)
                with voxcache.Cache(path) as c:
                    c.put(parts[0], mask)
                    c.put(parts[1], vol)
                    c.put(pair, (mask, vol, 1.5))
                    a = sum(c.info(p)["stored_bytes"] for p in parts)
                    b = c.info(pair)["stored_bytes"]
                ta, (got_mask, got_vol) = best_get(path, parts, args.reps)
                tb, (got,) = best_get(path, [pair], args.reps)
                assert got_vol == vol and got[1] == vol and got[2] == 1.5
                for m in (got_mask, got[0]):
                    assert np.array_equal(m, mask) and m.dtype == np.bool_
                print(f"| {name[:-7]} {vol.array.dtype} | {a / 1e6:.2f} MB, {ta * 1e3:.1f} ms "
                      f"| {b / 1e6:.2f} MB, {tb * 1e3:.1f} ms | {100 * (b - a) / a:+.1f}% "
                      f"| {tb / ta:.2f}x |")


if __name__ == "__main__":
    main()
