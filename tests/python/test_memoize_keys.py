"""memoize's keys are injective (docs/format.md 3.4): two different calls
never share a key, so one call's result is never returned for another.
Pairs that collided before, closures, lambdas and globals, and a property
test over drawn argument structures."""

import math
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import voxcache

FACTOR = 2  # read by scaled(): a module global that is part of its key


def scaled(x):
    return x * FACTOR


def helper(x):
    return x + 1


def uses_helper(x):
    return helper(x) * 10


def identity(*args, **kwargs):
    return None


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """identity's key for a call: keys need no database work."""
    with voxcache.Cache(tmp_path_factory.mktemp("k") / "k.db") as c:
        yield c.memoize(identity).key


@pytest.mark.parametrize("a, b", [
    ({1: "a"}, {"1": "a"}),
    ({None: 1}, {"null": 1}),
    ({True: 1}, {"true": 1}),
    ({1.0: 1}, {"1.0": 1}),
    (None, ["py.none"]),
    ({"a": 1}, ["py.json", '{"a":1}']),
    ({"a": 1}, ["py.dict", ["a", 1]]),
    ((1, 2), [1, 2]),
    ([1, 2], ["py.list", 1, 2]),
    (1, 1.0),
    (1, True),
    (0.0, -0.0),
    ("1", b"1"),
    (b"x", bytearray(b"x")),
    ({1, 2}, frozenset({1, 2})),
    ({1, 2}, [1, 2]),
    (np.int64(1), 1),
    (np.float32(0.5), 0.5),
    (np.float64(0.5), 0.5),
    (np.bool_(True), True),
    (np.int32(1), np.int64(1)),
    (np.zeros(3, np.float32), np.zeros(3, np.float64)),
    (np.zeros((2, 3)), np.zeros((3, 2))),
    (2**64, str(2**64)),
    (2**64, ["py.int", str(2**64)]),
])
def test_pairs_that_collided_before_have_distinct_keys(keys, a, b):
    assert keys(a) != keys(b)


def test_equal_dicts_and_sets_are_one_key_whatever_their_order(keys):
    assert keys({"a": 1, "b": [2, 3]}) == keys({"b": [2, 3], "a": 1})
    assert keys({3, 1, 2}) == keys({1, 2, 3})
    assert keys({1: "x", "1": "y"}) == keys({"1": "y", 1: "x"})


def test_an_array_is_keyed_by_its_c_order_bytes_whatever_its_memory(keys):
    # docs/format.md 3.4: SHA-256 of the C-order bytes, hashed where they
    # are (a view, not a copy). A strided view, a Fortran-ordered copy and
    # a bool array key by their values; the dtype and shape stay apart.
    import hashlib

    from voxcache import _memoize

    a = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    assert _memoize._array_digest(a) == hashlib.sha256(a.tobytes()).digest()
    assert keys(np.asfortranarray(a)) == keys(a)
    strided = np.arange(48, dtype=np.int16).reshape(2, 3, 8)[:, :, ::2]
    assert keys(strided) == keys(np.ascontiguousarray(strided))
    assert keys(strided) != keys(a)
    assert keys(a.astype(np.int32)) != keys(a)
    assert keys(a.reshape(4, 6)) != keys(a)
    m = np.array([[True, False], [False, True]])
    assert _memoize._array_digest(m) == hashlib.sha256(b"\x01\x00\x00\x01").digest()
    assert _memoize._array_digest(np.zeros((0, 3))) == hashlib.sha256(b"").digest()


def test_volumes_in_a_dict_keep_their_places(keys):
    v1 = voxcache.Volume(np.zeros((1, 1, 2), np.uint8))
    v2 = voxcache.Volume(np.ones((1, 1, 2), np.uint8))
    # The same inputs in the same traversal order, paired with other names.
    assert keys({"a": v1, "b": v2}) != keys({"b": v1, "a": v2})
    assert keys({"a": v1, "b": v2}) == keys({"b": v2, "a": v1})
    assert keys([v1, v2]) != keys([v2, v1])
    assert keys(v1, [v2]) != keys([v1], v2)


def test_closures_from_one_factory_are_keyed_by_their_cells(cache):
    def make(k):
        @cache.memoize
        def mul(x):
            return x * k
        return mul

    assert make(2)(5) == 10
    assert make(3)(5) == 15, "not make(2)'s result"
    assert make(2)(5) == 10


def test_two_lambdas_on_one_line_are_keyed_by_their_code(cache):
    inc, dbl = cache.memoize(lambda x: x + 1), cache.memoize(lambda x: x * 2)
    assert inc(5) == 6 and dbl(5) == 10
    assert inc.key(5) != dbl.key(5)


def test_a_global_the_function_reads_is_part_of_the_key(cache):
    global FACTOR
    memo = cache.memoize(scaled)
    try:
        assert memo(5) == 10
        FACTOR = 3
        assert memo(5) == 15, "a new FACTOR is a new key"
        FACTOR = 2
        assert memo(5) == 10 and memo.cache_info()["hits"] == 1
    finally:
        FACTOR = 2


def test_a_helper_of_the_same_module_is_keyed_by_its_code(cache):
    global helper
    memo = cache.memoize(uses_helper)
    original = helper
    try:
        assert memo(1) == 20
        helper = lambda x: x + 2  # noqa: E731: the helper's code changed
        assert memo(1) == 30
    finally:
        helper = original
    # A library's function is keyed by its name: its code is the package's.
    assert cache.memoize(lambda a: np.mean(a) + math.sqrt(4)).key(1) is not None


def test_what_cannot_be_keyed_is_a_clear_error_naming_it(cache):
    lock = object()

    @cache.memoize
    def reads_an_object(x):
        return (lock, x)[1]

    with pytest.raises(TypeError, match="closure variable 'lock'.*ignore"):
        reads_an_object(1)

    @cache.memoize(ignore=["lock"])
    def ignores_it(x):
        return (lock, x)[1]

    assert ignores_it(1) == 1
    with pytest.raises(ValueError, match="neither takes nor reads.*'nothing'"):
        cache.memoize(ignore=["nothing"])(lambda x: x)
    with pytest.raises(TypeError, match="argument 'x' of type object"):
        cache.memoize(lambda x: 1)(object())


def test_a_function_that_changes_what_it_reads_is_warned_about(cache):
    log = []

    @cache.memoize
    def logs(x):
        log.append(x)
        return x

    with pytest.warns(RuntimeWarning, match="changed 'log'.*ignore"):
        logs(1)
    logs(1)  # a miss: its key changed with `log`
    assert log == [1, 1]


def test_the_documented_test_vector():
    # docs/format.md 3.4: memoize's encoding of the call f(1, (2.5, None),
    # {"k": b"v"}) of a function reading nothing, and the key it gives with
    # "S" standing for the source digest (hex from an independent script).
    from voxcache._memoize import _Encoder

    b = voxcache.KeyBuilder("py:doc.f").arg("source", "S").arg("version", "")
    enc = _Encoder(b, frozenset(), "doc")
    b.arg("free", ["py.free"])
    encoded = {n: enc.value(v, n) for n, v in [("a", 1), ("b", (2.5, None)), ("c", {"k": b"v"})]}
    assert encoded == {"a": 1, "b": ["py.tuple", 2.5, ["py.none"]], "c": ["py.dict", ["k", b"v"]]}
    for name, value in encoded.items():
        b.arg(name, value)
    assert b.build().hex == "25520c0ac20d59cf15b46a23bf50156215953b6400fa84f18f163f3e8cc84b9d"


# --- the property: distinct structures, distinct keys ----------------------------

def canon(x):
    """A value's identity for memoize: type and content, floats by their bits
    (NaN is not drawn: every NaN keys alike, docs/format.md 3.1)."""
    t = type(x)
    if t is float:
        return ("float", struct.pack("<d", x))
    if t in (list, tuple):
        return (t.__name__, tuple(canon(v) for v in x))
    if t is dict:
        return ("dict", frozenset((canon(k), canon(v)) for k, v in x.items()))
    if t in (set, frozenset):
        return (t.__name__, frozenset(canon(v) for v in x))
    return (t.__name__, x)


hashables = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False)
    | st.text(max_size=4) | st.binary(max_size=4),
    lambda inner: st.tuples(inner, inner) | st.frozensets(inner, max_size=3),
    max_leaves=6)
values = st.recursive(
    hashables,
    lambda inner: (st.lists(inner, max_size=3) | st.tuples(inner) | st.sets(hashables, max_size=3)
                   | st.dictionaries(hashables, inner, max_size=3)),
    max_leaves=10)


def near(x, rnd, hashable=False):
    """x changed in one place chosen by `rnd`: a container's type, a leaf's type
    or spelling, a dict key's type: the values most likely to share a key."""
    t = type(x)
    if t in (list, tuple, set, frozenset, dict) and x and rnd.random() < 0.7:
        items = list(x.items()) if t is dict else list(x)
        i = rnd.randrange(len(items))
        if t is dict:
            k, v = items[i]
            items[i] = (near(k, rnd, True), v) if rnd.random() < 0.5 else (k, near(v, rnd))
            return dict(items)
        items[i] = near(items[i], rnd, hashable or t in (set, frozenset))
        return t(items)
    swaps = {list: tuple, set: frozenset, tuple: list, frozenset: set}
    if t in swaps and not (hashable and swaps[t] in (list, set)):
        return swaps[t](x)
    if t is dict and not hashable:
        return [[k, v] for k, v in x.items()]
    if t is bool:
        return int(x)
    if t is int:
        return rnd.choice([float(x), str(x), x + 1]) if abs(x) < 2**53 else str(x)
    if t is float:
        return rnd.choice([-x, str(x)] + ([int(x)] if x.is_integer() and abs(x) < 2**63 else []))
    if t is str:
        return x.encode()
    if t is bytes:
        return x.decode("latin-1")
    if x is None:
        return rnd.choice(["null", "None", ("py.none",)] + ([] if hashable else [["py.none"]]))
    return x


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=values, b=values, rnd=st.randoms(use_true_random=False))
def test_distinct_argument_structures_have_distinct_keys(keys, a, b, rnd):
    for other in (b, near(a, rnd), near(near(a, rnd), rnd)):
        if canon(a) == canon(other):
            assert keys(a) == keys(other), (a, other)
        else:
            assert keys(a) != keys(other), (a, other)


def _load(path, name):
    import importlib.util
    import linecache

    linecache.checkcache(str(path))  # inspect reads the file as it is now
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_comments_docstrings_and_formatting_keep_the_key(tmp_path):
    # joblib recomputes on such edits (its issues 1587, 1710, 1533).
    versions = {
        "plain": "def threshold(v, t=0.5):\n    return v > t\n",
        "edited": ('def threshold(v,\n              t=0.5):  # a comment\n'
                   '    """Now with a docstring."""\n'
                   '    # and a comment\n'
                   '    return (v >\n            t)\n'),
        "changed": "def threshold(v, t=0.5):\n    return v >= t\n",
    }
    keys = {}
    with voxcache.Cache(tmp_path / "k.db") as c:
        for n, (label, text) in enumerate(versions.items()):
            path = tmp_path / f"v{n}" / "steps.py"
            path.parent.mkdir()
            path.write_text("import voxcache\n\n" + text)
            f = c.memoize(_load(path, "steps").threshold)
            keys[label] = f.key(3.0)
    assert keys["edited"] == keys["plain"]
    assert keys["changed"] != keys["plain"], "a change of what it computes is a new key"


def test_a_scripts_functions_keep_their_key_when_it_is_imported(tmp_path):
    import subprocess
    import sys

    (tmp_path / "pipeline.py").write_text(
        "import voxcache\n"
        "cache = voxcache.Cache(%r)\n"
        "@cache.memoize\n"
        "def smooth(x):\n"
        "    return x * 2\n"
        "if __name__ == '__main__':\n"
        "    print(smooth.key(3).hex, smooth.operation)\n" % str(tmp_path / "p.db"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = lambda *args: subprocess.run([sys.executable, *args], cwd=tmp_path, env=env,  # noqa: E731
                                       check=True, capture_output=True, text=True).stdout.split()
    as_script = run("pipeline.py")
    imported = run("-c", "import pipeline; print(pipeline.smooth.key(3).hex, "
                         "pipeline.smooth.operation)")
    as_module = run("-m", "pipeline")
    assert as_script == imported == as_module
    assert as_script[1] == "py:pipeline.smooth"
