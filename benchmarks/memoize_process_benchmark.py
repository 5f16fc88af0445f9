#!/usr/bin/env python3
"""A memoized call's hit in a new process: voxcache against joblib.Memory (docs/benchmarks.md 20).

What the next run of a pipeline sees: a new Python process imports the
memoizer, opens the store the last run filled and calls the function with
the same argument. Each hit runs in a process of its own (this script, run
again as a child), in the same run for both memoizers, on the same
function and argument:

* voxcache        voxcache.Cache(path).memoize(f), the defaults
* joblib.Memory   joblib.Memory(location).cache(f), the defaults (Debian's python3-joblib)

on ch2 (181 x 217 x 181) as uint8 and as float32. The child loads the
argument from a .npy file before any clock starts, then times the import,
the open and the call apart, compares the result with the computed one
after the clock stops, and prints its times as JSON. Medians over REPS
processes, the two memoizers interleaved so that drift on this machine
hits both alike.

    PYTHONPATH=build/python /usr/bin/python3 benchmarks/memoize_process_benchmark.py [--reps N]

Exit status 1 when a hit returns something other than the computed result.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

CH2 = "/usr/share/mricron/templates/ch2.nii.gz"
MEMOIZERS = ("voxcache", "joblib")


def smooth(a):
    # A stand-in computation: what is measured is the memoizer around it.
    # Not its time: a hit never runs it.
    return (a // 2) if a.dtype.kind == "u" else (a * a.dtype.type(0.5))


def child(memoizer, root, argument_path, expected_path):
    import numpy as np

    a = np.load(argument_path)
    t0 = time.perf_counter()
    if memoizer == "voxcache":
        import voxcache
    else:
        import joblib
    t1 = time.perf_counter()
    if memoizer == "voxcache":
        c = voxcache.Cache(os.path.join(root, "cache.db"))
        f = c.memoize(smooth)
    else:
        f = joblib.Memory(os.path.join(root, "joblib"), verbose=0).cache(smooth)
    t2 = time.perf_counter()
    out = f(a)
    t3 = time.perf_counter()
    same = bool(np.array_equal(out, np.load(expected_path)) and out.dtype == a.dtype)
    hits = None
    if memoizer == "voxcache":
        h = c.stats()["handle"]
        hits = (h["disk_hits"], h["misses"])
        c.close()
    print(json.dumps({"import": t1 - t0, "open": t2 - t1, "call": t3 - t2, "same": same,
                      "hits": hits}))


def run_child(memoizer, root, argument_path, expected_path):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", memoizer, root,
                          argument_path, expected_path], check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--child", nargs=4, metavar=("MEMOIZER", "ROOT", "ARG", "EXPECTED"))
    args = p.parse_args()
    if args.child:
        child(*args.child)
        return 0

    import nibabel
    import numpy as np

    ch2 = np.ascontiguousarray(np.asanyarray(nibabel.load(CH2).dataobj))
    print(f"argument and result: ch2 {ch2.shape}, one process a hit, median of {args.reps}\n")
    print("| argument | memoizer | import | open | hit (the call) | import + open + hit |")
    print("|---|---|---|---|---|---|")
    failed = False
    ratios = []
    for dtype in (np.uint8, np.float32):
        a = ch2.astype(dtype)
        root = tempfile.mkdtemp(prefix="memoize-process-")
        try:
            argument_path = os.path.join(root, "argument.npy")
            expected_path = os.path.join(root, "expected.npy")
            np.save(argument_path, a)
            np.save(expected_path, smooth(a))
            # The first call of each fills its store (a miss) in a process of its own.
            for m in MEMOIZERS:
                run_child(m, root, argument_path, expected_path)
            times = {m: [] for m in MEMOIZERS}
            for _ in range(args.reps):
                for m in MEMOIZERS:
                    r = run_child(m, root, argument_path, expected_path)
                    if not r["same"] or (m == "voxcache" and r["hits"] != [1, 0]):
                        print(f"{m}: a hit returned something else ({r})", file=sys.stderr)
                        failed = True
                    times[m].append(r)
            med = {m: {k: statistics.median(r[k] for r in times[m])
                       for k in ("import", "open", "call")} for m in MEMOIZERS}
            for m in MEMOIZERS:
                t = med[m]
                total = statistics.median(r["import"] + r["open"] + r["call"] for r in times[m])
                print(f"| {np.dtype(dtype).name} | {m} | {t['import'] * 1e3:.1f} ms | "
                      f"{t['open'] * 1e3:.1f} ms | {t['call'] * 1e3:.1f} ms | "
                      f"{total * 1e3:.1f} ms |")
            ratios.append((np.dtype(dtype).name, med["voxcache"]["call"] / med["joblib"]["call"]))
        finally:
            shutil.rmtree(root, ignore_errors=True)
    print()
    for name, r in ratios:
        print(f"{name}: voxcache's hit takes {r:.2f}x joblib.Memory's (target <= 0.5x)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
