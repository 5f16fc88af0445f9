#!/usr/bin/env python3
"""voxcache serve: first paint of an entry page in a browser (docs/benchmarks.md 22).

A CT-like int16 phantom of N^3 voxels (default 512^3, 256 MiB) and ch2 are
stored with the defaults; the real `voxcache serve` serves them on a free
loopback port; Debian's headless Chromium (Selenium, WebGL on SwiftShader:
this machine has no GPU) opens each entry page, REPS times, from a fresh
page load. Measured, medians:

* first paint: from navigation start to NiiVue having drawn the volume
  (the page's window.voxcacheViewer.readyMs);
* the viewer's volume: the volume.nii reply as the browser received it
  (resource timing), and the same call from Python's HTTP client;
* the contender in the same run: the whole volume at full resolution as
  NIfTI (the region call over every voxel), what a viewer without the
  server's bound would load.

    PYTHONPATH=build/python /usr/bin/python3 benchmarks/serve_benchmark.py \\
        [--cli build/voxcache] [--size 512] [--reps 5]
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request

import nibabel
import numpy as np

import voxcache

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "cli", "serve"))
import conftest  # noqa: E402  (the Server helper of serve's tests)
from chromium import Browser  # noqa: E402


def phantom(n):
    """A head-like int16 phantom: a skull shell, soft tissue, two ventricles, noise."""
    z, y, x = np.ogrid[:n, :n, :n]
    c = (n - 1) / 2
    r = np.sqrt((x - c) ** 2 + ((y - c) * 1.15) ** 2 + ((z - c) * 1.05) ** 2) / (n / 2)
    v = np.where(r < 0.92, 40, -1000).astype(np.int16)
    v[(r >= 0.85) & (r < 0.92)] = 1200
    vent = np.sqrt((np.abs(x - c) - n * 0.08) ** 2 + (y - c) ** 2 / 4 + (z - c) ** 2) < n * 0.06
    v[vent] = 5
    rng = np.random.default_rng(0)
    v += rng.integers(-8, 9, size=v.shape, dtype=np.int16)
    return v


def fetch_seconds(url):
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as r:
        n = len(r.read())
    return time.perf_counter() - t0, n


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cli", default=os.path.join(HERE, "..", "build", "voxcache"))
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--reps", type=int, default=5)
    args = p.parse_args()
    conftest.CLI = args.cli
    root = tempfile.mkdtemp(prefix="serve-bench-")
    try:
        db = os.path.join(root, "cache.db")
        ch2 = voxcache.Volume.from_nibabel(nibabel.load("/usr/share/mricron/templates/ch2.nii.gz"))
        with voxcache.Cache(db) as c:
            big = voxcache.key("phantom", size=args.size)
            c.put(big, voxcache.Volume(phantom(args.size)))
            small = voxcache.content_key(ch2)
            c.put(small, ch2)
        server = conftest.Server(db)
        b = Browser()
        rows = []
        try:
            for label, key in ((f"phantom {args.size}^3 i16", big.hex), ("ch2 181x217x181 u8", small.hex)):
                paint, volume = [], []
                for _ in range(args.reps):
                    b.driver.get("about:blank")
                    b.driver.get(f"{server.url}/entries/{key}")
                    b.wait_for("return window.voxcacheViewer && window.voxcacheViewer.ready", 300)
                    paint.append(b.driver.execute_script("return window.voxcacheViewer.readyMs"))
                    volume.append(b.driver.execute_script(
                        "const e = performance.getEntriesByType('resource').find("
                        "r => r.name.includes('volume.nii')); return e.responseEnd - e.startTime"))
                step = b.driver.execute_script(
                    "return document.getElementById('step-note').textContent") or "every voxel"
                bounded = [fetch_seconds(f"{server.url}/api/entries/{key}/volume.nii")
                           for _ in range(args.reps)]
                n = args.size if key == big.hex else None
                box = f"0,0,0,{n},{n},{n}" if n else "0,0,0,181,217,181"
                full = [fetch_seconds(f"{server.url}/api/entries/{key}/region?box={box}&format=nii")
                        for _ in range(min(args.reps, 3))]
                rows.append((label, statistics.median(paint), statistics.median(volume),
                             statistics.median(t for t, _ in bounded), bounded[0][1],
                             statistics.median(t for t, _ in full), full[0][1], step))
        finally:
            b.quit()
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"median of {args.reps} page loads; Chromium {b.driver.capabilities.get('browserVersion')}"
          " headless, WebGL on SwiftShader\n")
    print("| entry | first paint | viewer's volume in the browser | viewer's volume (Python) | "
          "whole volume as NIfTI (Python) | shown |")
    print("|---|---|---|---|---|---|")
    for label, paint, vol, bounded, nb, full, nf, step in rows:
        print(f"| {label} | {paint / 1e3:.2f} s | {vol / 1e3:.2f} s | {bounded:.2f} s, "
              f"{nb / 2**20:.0f} MiB | {full:.2f} s, {nf / 2**20:.0f} MiB | {step} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
