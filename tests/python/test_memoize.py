"""@cache.memoize: keyed on name, source, version and arguments; one
computation across threads and processes."""

import importlib
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import voxcache


def test_hits_misses_arguments_and_clear(cache):
    calls = []

    @cache.memoize(ignore=["calls"])  # a log of calls: the result does not depend on it
    def threshold(volume, level, invert=False):
        calls.append(level)
        out = (volume.array > level) != invert
        return voxcache.Volume(out.astype(np.uint8), volume.spacing, volume.origin, volume.direction)

    v = voxcache.Volume(np.arange(60, dtype=np.int16).reshape(3, 4, 5), spacing=(0.5, 0.5, 2))
    a = threshold(v, 30)
    assert calls == [30]
    assert np.array_equal(a.array, (v.array > 30).astype(np.uint8)) and a.spacing == v.spacing
    b = threshold(v, 30)
    assert calls == [30], "a hit"
    assert b == a
    threshold(v, level=30, invert=False)  # the same call, spelled otherwise
    assert calls == [30]
    threshold(v, 31)
    threshold(v, 30, True)
    assert calls == [30, 31, 30]
    other = voxcache.Volume(v.array + 1)
    threshold(other, 30)
    assert len(calls) == 4, "volumes are keyed by content"
    info = threshold.cache_info()
    assert info == {"hits": 2, "misses": 4, "entries": 4}
    # The recipe is stored: operation, and the volume as an input.
    entry = cache.info(threshold.key(v, 30))
    assert entry["operation"] == threshold.operation
    assert entry["inputs"] == [voxcache.content_key(v).hex]
    assert threshold.clear() == 4
    threshold(v, 30)
    assert len(calls) == 5


def test_arrays_dicts_and_none_are_keyed_by_value(cache):
    calls = []

    @cache.memoize(ignore=["calls"])
    def f(a, options=None):
        calls.append(1)
        return float(np.sum(a))

    x = np.arange(10.0)
    assert f(x, {"k": 1}) == 45.0
    assert f(x.copy(), {"k": 1}) == 45.0
    assert len(calls) == 1
    f(x, {"k": 2})
    f(x, None)
    f(x[::-1].copy(), None)
    assert len(calls) == 4
    with pytest.raises(TypeError, match="cannot key argument 'options'"):
        f(x, object())


def test_an_exception_is_raised_and_nothing_is_stored(cache):
    @cache.memoize
    def fails(n):
        raise RuntimeError(f"bad {n}")

    with pytest.raises(RuntimeError, match="bad 3"):
        fails(3)
    assert fails.cache_info()["entries"] == 0


def test_version_and_source_change_invalidate(tmp_path, monkeypatch):
    module = tmp_path / "steps_mod.py"
    log = tmp_path / "log"
    body = textwrap.dedent("""
        import voxcache
        cache = voxcache.Cache({db!r})

        @cache.memoize{deco}
        def step(x):
            open({log!r}, "a").write("x\\n")
            return x * {factor}
    """)
    db = str(tmp_path / "m.db")
    monkeypatch.syspath_prepend(str(tmp_path))

    def load(factor, deco=""):
        module.write_text(body.format(db=db, log=str(log), factor=factor, deco=deco))
        if "steps_mod" in sys.modules:
            sys.modules["steps_mod"].cache.close()
            return importlib.reload(sys.modules["steps_mod"])
        return importlib.import_module("steps_mod")

    def computed():
        return log.read_text().count("x") if log.exists() else 0

    m = load(2)
    assert m.step(21) == 42 and m.step(21) == 42
    assert computed() == 1
    m = load(2)  # the same source again: a hit
    assert m.step(21) == 42 and computed() == 1
    m = load(3)  # the function changed: computed again
    assert m.step(21) == 63 and computed() == 2
    m = load(3, '(version="2")')
    assert m.step(21) == 63 and computed() == 3
    m.cache.close()
    del sys.modules["steps_mod"]


def test_threads_compute_once(cache):
    calls = []
    barrier = threading.Barrier(4)

    @cache.memoize(ignore=["calls"])
    def slow(n):
        calls.append(n)
        time.sleep(0.3)
        return n * n

    results = []

    def run():
        barrier.wait()
        results.append(slow(7))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [49] * 4
    assert calls == [7]


WORKER = textwrap.dedent("""
    import os, sys, time
    import voxcache
    db, log, go = sys.argv[1], sys.argv[2], float(sys.argv[3])
    cache = voxcache.Cache(db)

    @cache.memoize
    def expensive(n):
        with open(log, "a") as f:
            f.write(f"{os.getpid()}\\n")
        time.sleep(1.0)
        return list(range(n))

    time.sleep(max(0.0, go - time.time()))
    print(expensive(5) == [0, 1, 2, 3, 4])
    cache.close()
""")


def test_four_processes_memoizing_the_same_call_compute_once(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    db, log = str(tmp_path / "p.db"), str(tmp_path / "log")
    voxcache.Cache(db).close()  # created before the race, as a pipeline's first step would
    go = time.time() + 1.5  # all four start together, after their imports
    procs = [subprocess.Popen([sys.executable, str(script), db, log, str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=os.environ.copy())
             for _ in range(4)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert out.strip() == "True"
    with open(log) as f:
        assert len(f.read().split()) == 1, "one process computed, three waited and read"


def test_methods_are_keyed_by_their_instance(cache):
    class Threshold:
        def __init__(self, t):
            self.t = t

        @cache.memoize
        def apply(self, x):
            return x > self.t

    assert Threshold(0.5).apply(0.7) is True
    assert Threshold(0.9).apply(0.7) is False, "another instance's state is another key"
    assert Threshold(0.5).apply(0.7) is True
    assert Threshold.apply.cache_info()["hits"] == 1

    class Model:  # says what its results depend on; the rest is not data
        def __init__(self, weight):
            self.weight, self.log = weight, threading.Lock()

        def __voxcache_key__(self):
            return self.weight

        @cache.memoize
        def predict(self, x):
            return x * self.weight

    assert [Model(2).predict(3), Model(3).predict(3), Model(2).predict(3)] == [6, 9, 6]
    assert Model.predict.cache_info() == {"hits": 1, "misses": 2, "entries": 2}

    class Opaque:
        def __init__(self):
            self.lock = threading.Lock()

        @cache.memoize
        def run(self):
            return 1

        @cache.memoize(ignore=["self"])
        def constant(self):
            return 2

    with pytest.raises(TypeError, match="__voxcache_key__"):
        Opaque().run()  # never ignored silently: that would be one instance's result for another
    assert Opaque().constant() == 2 and Opaque().constant() == 2
    assert Opaque.constant.cache_info()["hits"] == 1


def test_partials_share_results_with_the_function_they_wrap(cache):
    import functools

    def threshold(v, t=0.5):
        return v > t

    direct = cache.memoize(threshold)
    partial = cache.memoize(functools.partial(threshold, t=0.7))
    assert partial(0.6) is False
    assert partial.key(0.6) == direct.key(0.6, t=0.7) == direct.key(0.6, 0.7)
    assert direct(0.6, t=0.7) is False and direct.cache_info()["hits"] == 1
    nested = cache.memoize(functools.partial(functools.partial(threshold, 0.6), t=0.7))
    assert nested.key() == direct.key(0.6, t=0.7)


def test_builtins_and_numpy_functions_are_keyed_by_name_and_library_version(cache):
    sqrt = cache.memoize(np.sqrt)  # a ufunc: no Python code to key
    a = np.arange(5.0)
    assert np.array_equal(sqrt(a), np.sqrt(a)) and np.array_equal(sqrt(a), np.sqrt(a))
    assert sqrt.cache_info()["hits"] == 1 and sqrt.operation == "py:numpy.sqrt"
    info = cache.info(sqrt.key(a))
    assert ["library", "string", np.__version__] in [
        [x["name"], x["type"], x["value"]] for x in info["recipe"]["args"]]
    assert sqrt.key(a) != sqrt.key(a + 1)
    ordered = cache.memoize(sorted)
    assert ordered([3, 1, 2]) == [1, 2, 3] and ordered([3, 1, 2], reverse=True) == [3, 2, 1]
    assert ordered.key([3, 1, 2]) != ordered.key([3, 1, 2], reverse=True)
    mean = cache.memoize(np.mean)  # Python code, whose defaults hold numpy's _NoValue
    assert mean(a) == 2.0 and mean(a) == 2.0 and mean.cache_info()["hits"] == 1


def test_paths_are_keyed_by_what_is_there(cache, tmp_path):
    import pathlib

    calls = []

    @cache.memoize(ignore=["calls"])
    def size(p):
        calls.append(p)
        return len(pathlib.Path(p).read_bytes())

    f = tmp_path / "t1.nii"
    f.write_bytes(b"x" * 10)
    assert size(f) == 10 and size(f) == 10 and len(calls) == 1
    os.utime(f, ns=(1, 1))  # its identity changes, its content not: still a hit
    assert size(f) == 10 and len(calls) == 1
    f.write_bytes(b"y" * 20)  # a path string alone would return 10
    assert size(f) == 20 and len(calls) == 2
    g = tmp_path / "t2.nii"
    g.write_bytes(b"y" * 20)  # the same content under another name: another call
    assert size(g) == 20 and len(calls) == 3
    folder = tmp_path / "dicom"
    folder.mkdir()
    (folder / "1.dcm").write_bytes(b"a")
    k = size.key(folder)
    (folder / "2.dcm").write_bytes(b"b")
    assert size.key(folder) != k, "a folder by its files"
    assert size.key(tmp_path / "absent") != size.key(tmp_path / "absent2")


def test_a_file_rewritten_within_its_timestamp_tick_is_read_again(tmp_path):
    from voxcache import _memoize

    # The stat a second write within one tick leaves is the first one's: the
    # digest of a file that new must not be remembered under it.
    f = tmp_path / "mask.nii"
    f.write_bytes(b"a" * 10)
    st = os.stat(f)
    first = _memoize._file_digest(str(f), st)
    f.write_bytes(b"b" * 10)
    assert _memoize._file_digest(str(f), st) != first, "a stale digest: a stale hit"
    # Once settled, it is read once while its identity holds.
    time.sleep(_memoize._TOO_NEW_NS / 1e9 + 0.1)
    st = os.stat(f)
    assert _memoize._file_digest(str(f), st) != first
    identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    assert identity in _memoize._FILE_DIGESTS


def test_nibabel_images_are_keyed_by_voxels_geometry_and_header(cache):
    nibabel = pytest.importorskip("nibabel")
    a = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    img = nibabel.Nifti1Image(a, np.diag([1.0, 2.0, 3.0, 1.0]))

    @cache.memoize
    def total(image):
        return int(np.asanyarray(image.dataobj).sum())

    assert total(img) == int(a.sum())
    same = nibabel.Nifti1Image(a.copy(), np.diag([1.0, 2.0, 3.0, 1.0]))
    assert total.key(same) == total.key(img)
    assert total.key(nibabel.Nifti1Image(a, np.diag([1.0, 2.0, 4.0, 1.0]))) != total.key(img)
    assert total.key(nibabel.Nifti1Image(a + 1, np.diag([1.0, 2.0, 3.0, 1.0]))) != total.key(img)
    described = nibabel.Nifti1Image(a, np.diag([1.0, 2.0, 3.0, 1.0]))
    described.header["descrip"] = b"another"
    assert total.key(described) != total.key(img)
    assert cache.info(total.key(img))["inputs"] == [
        voxcache.content_key(voxcache.Volume.from_nibabel(img)).hex]


def test_a_memoized_function_keeps_its_signature_and_name(cache):
    import inspect

    def segment(volume: voxcache.Volume, threshold: float = 0.5, *, label: int = 1) -> int:
        """Labels what is over the threshold."""
        return label

    memoized = cache.memoize(segment)
    assert inspect.signature(memoized) == inspect.signature(segment)
    assert memoized.__name__ == "segment" and memoized.__doc__ == segment.__doc__


def test_a_settled_files_digest_is_remembered_for_the_next_process(tmp_path):
    # As `voxcache run` remembers its inputs: the next process keys the
    # call by the file's identity record, without reading the file.
    data = tmp_path / "t1.nii"
    data.write_bytes(b"v" * 4096)
    time.sleep(2.1)  # settled: older than the "too new" window
    db = tmp_path / "c.db"
    script = textwrap.dedent("""
        import builtins, sys, voxcache
        path, db, forbid = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
        if forbid:  # the file must not be opened: its identity record says
            real = builtins.open
            def guarded(file, *a, **k):
                assert str(file) != path, "the file was read again"
                return real(file, *a, **k)
            builtins.open = guarded
        import pathlib
        with voxcache.Cache(db) as c:
            @c.memoize
            def size(p):
                return 4096
            print(size.key(pathlib.Path(path)).hex)
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def key_in_new_process(forbid):
        return subprocess.run([sys.executable, "-c", script, str(data), str(db), forbid],
                              check=True, capture_output=True, text=True, env=env).stdout

    first = key_in_new_process("0")
    assert key_in_new_process("1") == first
    with voxcache.Cache(db) as c:
        records = [e for e in c.list() if e["operation"] == "py:file-identity"]
        assert len(records) == 1 and records[0]["data_type"] == "py.bytes"
    data.write_bytes(b"w" * 4096)  # a new identity: read, and another key
    assert key_in_new_process("0") != first
