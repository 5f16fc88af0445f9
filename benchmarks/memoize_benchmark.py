#!/usr/bin/env python3
"""One memoized call, three memoizers (docs/python.md, docs/benchmarks.md 14).

A function of a ch2-sized float32 array (181 x 217 x 181, 28.4 MB) that
returns an array of the same size, memoized by

* voxcache        @cache.memoize on voxcache.Cache, the defaults
* joblib.Memory   Memory(location).cache, the defaults (Debian's python3-joblib)
* diskcache       diskcache.Cache(directory).memoize(), the defaults
                  (Debian's python3-diskcache)

in one process, one after the other. Each is timed on its first call (a
miss: compute and store), its hit in this process, and its hit in a fresh
instance over the same directory (what the next run of a pipeline sees).
Best of REPS; every hit is compared with the computed array.

    PYTHONPATH=build/python /usr/bin/python3 benchmarks/memoize_benchmark.py [--reps N]
"""

import argparse
import os
import shutil
import tempfile
import time

import nibabel
import numpy as np

import voxcache

CH2 = "/usr/share/mricron/templates/ch2.nii.gz"


def smooth(a):
    # A stand-in computation: what is measured is the memoizer around it.
    return (a * np.float32(0.5)).astype(np.float32)


def voxcache_memoizer(root):
    c = voxcache.Cache(os.path.join(root, "cache.db"))
    return c.memoize(smooth), c.close


def joblib_memoizer(root):
    import joblib

    m = joblib.Memory(os.path.join(root, "joblib"), verbose=0)
    return m.cache(smooth), lambda: None


def diskcache_memoizer(root):
    import diskcache

    c = diskcache.Cache(os.path.join(root, "diskcache"))
    return c.memoize()(smooth), c.close


def best(reps, fn):
    out = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t0)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=5)
    args = p.parse_args()
    a = np.ascontiguousarray(np.asanyarray(nibabel.load(CH2).dataobj), dtype=np.float32)
    expected = smooth(a)
    print(f"argument and result: {a.shape} float32, {a.nbytes / 1e6:.1f} MB\n")
    print("| memoizer | first call (miss) | hit, same process | hit, fresh instance | stored MB |")
    print("|---|---|---|---|---|")
    for name, make in (("voxcache", voxcache_memoizer), ("joblib.Memory", joblib_memoizer),
                       ("diskcache", diskcache_memoizer)):
        root = tempfile.mkdtemp(prefix="memoize-bench-")
        try:
            f, close = make(root)
            t0 = time.perf_counter()
            assert np.array_equal(f(a), expected)
            miss = time.perf_counter() - t0

            def hit(f=f):
                assert np.array_equal(f(a), expected)

            warm = best(args.reps, hit)
            close()

            def fresh():
                g, close_g = make(root)
                assert np.array_equal(g(a), expected)
                close_g()

            cold = best(args.reps, fresh)
            stored = sum(os.path.getsize(os.path.join(d, x)) for d, _, xs in os.walk(root)
                         for x in xs)
            print(f"| {name} | {miss * 1e3:.0f} ms | {warm * 1e3:.1f} ms | {cold * 1e3:.1f} ms | "
                  f"{stored / 1e6:.1f} |")
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\nthe computation alone: {best(args.reps, lambda: smooth(a)) * 1e3:.1f} ms; "
          f"np.array_equal of the result: {best(args.reps, lambda: np.array_equal(expected, expected)) * 1e3:.1f} ms "
          "(in every hit above)")


if __name__ == "__main__":
    main()
