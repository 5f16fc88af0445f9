"""Region reads over time on a BOLD-sized series (docs/benchmarks.md 12)."""
import os
import tempfile
import time
import numpy as np
import voxcache

def best(f, n=5):
    t = []
    for _ in range(n):
        s = time.perf_counter(); f(); t.append(time.perf_counter() - s)
    return min(t)

rng = np.random.default_rng(0)
base = (rng.normal(1000, 50, (36, 64, 64))).astype(np.int16)
a = np.stack([base + rng.integers(-20, 20, base.shape, dtype=np.int16) for _ in range(200)])
v = voxcache.Volume(a, spacing=(3, 3, 3.5), dimension=4, time_spacing=2.0)
with tempfile.TemporaryDirectory() as d:
    for layout in (None, "bricks"):
        path = os.path.join(d, f"{layout}.db")
        with voxcache.Cache(path, memory_budget_bytes=0) as c:  # every read decodes from disk
            k = voxcache.key("bold")
            c.put(k, v, layout=layout)
            full = best(lambda: c.get(k))
            frame = best(lambda: c.read_region(k, (100, 0, 0, 0), (1, 36, 64, 64)))
            course = best(lambda: c.read_region(k, (0, 18, 32, 32), (200, 1, 1, 1)))
            info = c.info(k)
            print(f"{layout or 'z-slabs':8} stored {info['stored_bytes']/2**20:.1f} MiB of "
                  f"{a.nbytes/2**20:.1f}; get {full*1e3:.0f} ms; one frame {frame*1e3:.1f} ms "
                  f"({full/frame:.0f}x less); one voxel's time course {course*1e3:.1f} ms "
                  f"({full/course:.1f}x less)")
