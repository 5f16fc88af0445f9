#!/usr/bin/env python3
"""Small values from Python: voxcache against diskcache and plain sqlite3 (docs/benchmarks.md 21).

A float put and got by key with N entries already present, in one process
and one run:

* voxcache    voxcache.Cache(path), the defaults: put(key, x) and get(key),
              the key voxcache.key("value", name=...) made in the timed call
              (a SHA-256 of the name, docs/python.md), as diskcache's is;
              get twice: the first from the database (a new handle), the
              others from the memory tier
* diskcache   diskcache.Cache(directory), the defaults: set(key, x), get(key)
              (Debian's python3-diskcache)
* sqlite3     one table (key TEXT PRIMARY KEY, value REAL), WAL,
              synchronous=NORMAL, INSERT OR REPLACE / SELECT: the floor

Medians of REPS calls, microseconds; every get is compared with what was put.

    PYTHONPATH=build/python /usr/bin/python3 benchmarks/small_values_benchmark.py [--entries N] [--reps N]
"""

import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time


def median_us(fn, reps):
    times = []
    for i in range(reps):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def value(i):
    return 0.5 + i


def check(got, i):
    if got != value(i):
        raise SystemExit(f"a get returned {got!r} for {value(i)!r}")


def bench_voxcache(root, n, reps):
    import voxcache

    path = os.path.join(root, "voxcache.db")
    c = voxcache.Cache(path)
    key = voxcache.key
    for i in range(n):
        c.put(key("value", name=f"present-{i}"), value(i))
    put = median_us(lambda i: c.put(key("value", name=f"new-{i}"), value(i)), reps)
    c.close()
    c = voxcache.Cache(path)  # a new handle: its first get of each key reads the database
    first = median_us(lambda i: check(c.get(key("value", name=f"new-{i}")), i), reps)
    again = median_us(lambda i: check(c.get(key("value", name=f"new-{i}")), i), reps)
    c.close()
    return put, first, again


def bench_diskcache(root, n, reps):
    import diskcache

    c = diskcache.Cache(os.path.join(root, "diskcache"))
    for i in range(n):
        c.set(f"present-{i}", value(i))
    put = median_us(lambda i: c.set(f"new-{i}", value(i)), reps)
    c.close()
    c = diskcache.Cache(os.path.join(root, "diskcache"))
    first = median_us(lambda i: check(c.get(f"new-{i}"), i), reps)
    again = median_us(lambda i: check(c.get(f"new-{i}"), i), reps)
    c.close()
    return put, first, again


def bench_sqlite3(root, n, reps):
    db = sqlite3.connect(os.path.join(root, "plain.db"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value REAL)")
    db.execute("BEGIN")
    db.executemany("INSERT INTO kv VALUES (?, ?)", ((f"present-{i}", value(i)) for i in range(n)))
    db.execute("COMMIT")
    put = median_us(lambda i: db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)",
                                         (f"new-{i}", value(i))), reps)

    def get(i):
        check(db.execute("SELECT value FROM kv WHERE key = ?", (f"new-{i}",)).fetchone()[0], i)

    first = median_us(get, reps)
    again = median_us(get, reps)
    db.close()
    return put, first, again


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--entries", type=int, default=10000, help="entries present before timing")
    p.add_argument("--reps", type=int, default=2000)
    args = p.parse_args()
    root = tempfile.mkdtemp(prefix="small-values-")
    rows = {}
    try:
        for name, fn in (("voxcache", bench_voxcache), ("diskcache", bench_diskcache),
                         ("sqlite3", bench_sqlite3)):
            rows[name] = fn(root, args.entries, args.reps)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"a float, {args.entries} entries present, median of {args.reps} calls (us)\n")
    print("| store | put | first get (new handle) | get again |")
    print("|---|---|---|---|")
    for name, (put, first, again) in rows.items():
        print(f"| {name} | {put:.1f} | {first:.1f} | {again:.1f} |")
    v, d = rows["voxcache"], rows["diskcache"]
    print(f"\nvoxcache against diskcache: put {d[0] / v[0]:.2f}x, first get {d[1] / v[1]:.2f}x, "
          f"get again {d[2] / v[2]:.2f}x as fast (target >= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
