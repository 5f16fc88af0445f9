#!/usr/bin/env python3
"""voxcache from Python against what Python pipelines use today (docs/benchmarks.md 9).

On the mricron MRI volumes (read with nibabel), in one process and one run:

* voxcache        voxcache.Cache, defaults, memory tier off (every get decodes)
* pickle+sqlite3  one pickled {array, geometry} BLOB per entry, WAL, synchronous=NORMAL
* npy+sqlite3     numpy.save files beside a sqlite3 index table (WAL)
* joblib.Memory   a memoized function returning the array (if joblib imports)

Put: storing one new entry; warm get: reading it back (files and database in
the page cache). Medians of REPS. Then the per-call cost of a memoized hit
on a small value, with the memory tier on.

    /usr/bin/python3 benchmarks/python_benchmark.py [--quick] [--reps N]

(Debian's interpreter: numpy and nibabel are its packages.) Needs the
package importable: PYTHONPATH=build/python, or installed.
"""

import argparse
import hashlib
import os
import pickle
import shutil
import sqlite3
import statistics
import tempfile
import time

import nibabel
import numpy as np

import voxcache

TEMPLATES = "/usr/share/mricron/templates"
INPUTS = [("ch2 (T1, u8)", "ch2.nii.gz"), ("ch2better (T1, u8)", "ch2better.nii.gz"),
          ("aal (labels, u8)", "aal.nii.gz"),
          ("Harvard-Oxford (labels, i16)", "HarvardOxford-cort-maxprob-thr0-1mm.nii.gz"),
          ("inia19 (T1, f32)", "inia19-t1-brain.nii.gz"),
          ("inia19 NeuroMaps (labels, i16)", "inia19-NeuroMaps.nii.gz")]


def median_time(reps, fn):
    times = []
    for i in range(reps):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def wal_database(path):
    """A sqlite3 connection in WAL mode, synchronous=NORMAL, as both stores use."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


class PickleStore:
    name = "pickle+sqlite3"

    def __init__(self, root):
        self.path = os.path.join(root, "pickle.db")
        self.db = wal_database(self.path)
        self.db.execute("CREATE TABLE results(key TEXT PRIMARY KEY, data BLOB NOT NULL)")

    def put(self, key, v):
        blob = pickle.dumps({"array": v.array, "spacing": v.spacing, "origin": v.origin,
                             "direction": v.direction}, protocol=pickle.HIGHEST_PROTOCOL)
        self.db.execute("BEGIN")
        self.db.execute("INSERT INTO results VALUES (?, ?)", (key, blob))
        self.db.execute("COMMIT")

    def get(self, key):
        row = self.db.execute("SELECT data FROM results WHERE key = ?", (key,)).fetchone()
        return pickle.loads(row[0])["array"]

    def stored(self, key):
        return self.db.execute("SELECT length(data) FROM results WHERE key = ?", (key,)).fetchone()[0]

    def close(self):
        self.db.close()


class NpyStore:
    name = "npy+sqlite3"

    def __init__(self, root):
        self.root = os.path.join(root, "npy")
        os.mkdir(self.root)
        self.db = wal_database(os.path.join(self.root, "index.db"))
        self.db.execute("CREATE TABLE results(key TEXT PRIMARY KEY, file TEXT, spacing TEXT)")

    def put(self, key, v):
        file = os.path.join(self.root, key + ".npy")
        np.save(file, v.array)
        self.db.execute("INSERT INTO results VALUES (?, ?, ?)", (key, file, repr(v.spacing)))

    def get(self, key):
        (file,) = self.db.execute("SELECT file FROM results WHERE key = ?", (key,)).fetchone()
        return np.load(file)

    def stored(self, key):
        return os.path.getsize(os.path.join(self.root, key + ".npy"))

    def close(self):
        self.db.close()


class JoblibStore:
    name = "joblib.Memory"

    def __init__(self, root):
        import joblib

        self.root = os.path.join(root, "joblib")
        self.memory = joblib.Memory(self.root, verbose=0)
        self.current = None
        self.fn = self.memory.cache(self._produce)

    def _produce(self, key):
        return self.current.array

    def put(self, key, v):
        self.current = v
        self.fn(key)  # a miss: computes and stores

    def get(self, key):
        return self.fn(key)  # a hit: loads

    def stored(self, key):
        return dir_bytes(self.root) // max(1, self.puts)

    def close(self):
        pass


class VoxcacheStore:
    name = "voxcache"
    # The memory tier off: every get decodes from the database, the figure to
    # set beside the other stores'. VoxcacheMemoryStore is its twin on the
    # defaults.
    options = {"memory_budget_bytes": 0}

    def __init__(self, root):
        self.cache = voxcache.Cache(os.path.join(root, "voxcache.db"), **self.options)

    def put(self, key, v):
        self.cache.put(key, v)

    def get(self, key):
        return self.cache.get(key).array

    def stored(self, key):
        return self.cache.info(key)["stored_bytes"]

    def close(self):
        self.cache.close()


class VoxcacheMemoryStore(VoxcacheStore):
    """The defaults: after the first get, gets are memory-tier hits, each an
    array the caller owns (a copy of the decoded voxels, docs/python.md)."""

    name = "voxcache, memory tier"
    options = {}


def contenders():
    out = [VoxcacheStore, VoxcacheMemoryStore, PickleStore, NpyStore]
    try:
        import joblib  # noqa: F401

        out.append(JoblibStore)
    except ImportError:
        print("(joblib is not importable: install python3-joblib for its column)")
    return out


def memoized_hit_us(root, calls):
    with voxcache.Cache(os.path.join(root, "memo.db")) as cache:
        @cache.memoize
        def volume_ml(label: int, scale: float) -> float:
            return label * scale

        volume_ml(3, 0.5)
        t0 = time.perf_counter()
        for _ in range(calls):
            volume_ml(3, 0.5)
        per_call = (time.perf_counter() - t0) / calls * 1e6
        plain_get = voxcache.key("x")
        cache.put(plain_get, 1.5)
        t0 = time.perf_counter()
        for _ in range(calls):
            cache.get(plain_get)
        get_us = (time.perf_counter() - t0) / calls * 1e6
    return per_call, get_us


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    reps = 2 if args.quick else args.reps
    inputs = INPUTS[:1] if args.quick else INPUTS
    root = tempfile.mkdtemp(prefix="voxcache-pybench-")
    rows, hits = [], []
    try:
        volumes = [(label, voxcache.Volume.from_nibabel(nibabel.load(os.path.join(TEMPLATES, f))))
                   for label, f in inputs]
        for cls in contenders():
            for label, v in volumes:
                sub = tempfile.mkdtemp(dir=root)
                store = cls(sub)
                store.puts = reps
                keys = [hashlib.sha256(f"{label}-{i}".encode()).hexdigest() for i in range(reps)]
                put = median_time(reps, lambda i: store.put(keys[i], v))
                got = store.get(keys[0])
                assert np.array_equal(got, v.array), f"{cls.name} returned other voxels"
                get = median_time(reps, lambda i: store.get(keys[i]))
                rows.append((label, cls.name, v.array.nbytes, put, get, store.stored(keys[0])))
                if cls is VoxcacheMemoryStore:  # the same key again: memory-tier hits
                    hot = median_time(reps, lambda i: store.get(keys[0]))
                    hits.append((label, v.array.nbytes, get, hot))
                store.close()
                shutil.rmtree(sub)
        hit_us, get_us = memoized_hit_us(root, 2000 if args.quick else 20000)
    finally:
        shutil.rmtree(root)

    print("| input | contender | raw MB | put MB/s | warm get MB/s | stored MB | ratio |")
    print("|---|---|---|---|---|---|---|")
    for label, name, raw, put, get, stored in rows:
        print(f"| {label} | {name} | {raw / 1e6:.1f} | {raw / 1e6 / put:.0f} | "
              f"{raw / 1e6 / get:.0f} | {stored / 1e6:.2f} | {raw / stored:.2f}x |")
    print("\n| input | put vs pickle+sqlite3 | warm get vs pickle+sqlite3 | size vs pickle |")
    print("|---|---|---|---|")
    by = {(r[0], r[1]): r for r in rows}
    for label, _ in volumes:
        vc, pk = by[(label, "voxcache")], by[(label, "pickle+sqlite3")]
        print(f"| {label} | {pk[3] / vc[3]:.2f}x | {pk[4] / vc[4]:.2f}x | "
              f"{vc[5] / pk[5]:.3f} |")
    print("\nWith the memory tier (the defaults): a key's first get decodes and copies "
          "(the tier keeps the decoded volume, the caller gets its own); later gets copy.")
    print("\n| input | first get MB/s | memory-tier hit MB/s |")
    print("|---|---|---|")
    for label, raw, first, hot in hits:
        print(f"| {label} | {raw / 1e6 / first:.0f} | {raw / 1e6 / hot:.0f} |")
    print(f"\nmemoized hit of a small value: {hit_us:.1f} us a call "
          f"(a plain get from the memory tier: {get_us:.1f} us)")


if __name__ == "__main__":
    main()
