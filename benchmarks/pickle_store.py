#!/usr/bin/env python3
"""The Python contender of voxcache-bench: what Python pipelines do today.

A volume is pickled (numpy array with its geometry, pickle's default
protocol) into one BLOB per entry of the same `results` schema as the C++
baseline, in a sqlite3 database in WAL mode, synchronous=NORMAL; a get
selects the BLOB and unpickles it. Standard library and numpy only.

    pickle_store.py DB REPS INPUT...    INPUT = name:raw_file:dtype:nx:ny:nz

Prints one JSON object per input: put and get MB/s (of raw voxels) per
repetition, and the stored bytes of one entry. Every get is compared with
what was put.
"""
import hashlib
import json
import pickle
import sqlite3
import sys
import time

import numpy as np


def main():
    db_path, reps, inputs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    db = sqlite3.connect(db_path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS results(operation_id TEXT PRIMARY KEY, data BLOB NOT "
               "NULL, data_type TEXT NOT NULL, created_at TIMESTAMP, size_bytes INTEGER, "
               "metadata TEXT)")
    for spec in inputs:
        name, raw, dtype, nx, ny, nz = spec.split(":")
        # NIfTI order: x fastest, so the array is indexed [z, y, x].
        array = np.fromfile(raw, dtype=np.dtype(dtype)).reshape(int(nz), int(ny), int(nx))
        mb = array.nbytes / 1e6
        puts, gets, stored, key = [], [], 0, ""
        for i in range(reps):
            key = hashlib.sha256(f"{name}-{i}".encode()).hexdigest()
            t0 = time.perf_counter()
            blob = pickle.dumps({"array": array, "spacing": (1.0, 1.0, 1.0),
                                 "origin": (0.0, 0.0, 0.0),
                                 "direction": (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)})
            db.execute("BEGIN")
            db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, 'volume', CURRENT_TIMESTAMP, "
                       "?, NULL)", (key, blob, len(blob)))
            db.execute("COMMIT")
            puts.append(mb / (time.perf_counter() - t0))
            stored = len(blob)
        for i in range(reps):
            t0 = time.perf_counter()
            row = db.execute("SELECT data FROM results WHERE operation_id = ?", (key,)).fetchone()
            value = pickle.loads(row[0])
            gets.append(mb / (time.perf_counter() - t0))
            if not np.array_equal(value["array"], array):
                print(json.dumps({"input": name, "error": "get returned wrong voxels"}))
                return 1
        print(json.dumps({"input": name, "put_mbs": puts, "get_mbs": gets, "stored": stored}),
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
