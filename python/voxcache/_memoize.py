"""@cache.memoize: a function's results kept in a voxcache database.

A call is keyed on the function's qualified name, its code (a hash of its
source and of its compiled code, so that editing it, or two lambdas on one
line, give different keys), an optional version, the values of the module
globals and closure variables it reads, and its arguments bound to parameter
names; volumes and arrays are keyed by their content. The first call of a
key computes; every other call, in any thread or process sharing the
database, waits for it and reads the result.

The argument encoding is injective (docs/format.md 3.4): every Python value
becomes a KeyBuilder argument that no other value becomes. Plain bool, int,
float, str and bytes are themselves; everything else is a list whose first
element is a tag ("py.list", "py.tuple", "py.dict", ...) and a bare value is
never a list, so no user data can imitate another value's encoding.
"""

from __future__ import annotations

import ast
import dis
import enum
import functools
import hashlib
import inspect
import os
import sys
import textwrap
import threading
import time
import types
import typing
import warnings
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

import numpy as np

from . import _core
from ._volume import Volume

__all__ = ["memoize"]

_INT64 = (-(1 << 63), (1 << 63) - 1)
# Values a function reads that are code or namespaces, not data: a module,
# a class, a builtin. Their changes are not tracked (docs/python.md).
_NOT_DATA = (types.ModuleType, type, types.BuiltinFunctionType, types.BuiltinMethodType,
             types.MethodWrapperType, types.WrapperDescriptorType, types.MethodDescriptorType,
             np.ufunc)


def _const_text(c: Any) -> str:
    """A stable text of a code constant (no addresses, no set order)."""
    if isinstance(c, types.CodeType):
        return "code:" + _code_digest(c)
    if isinstance(c, tuple):
        return "(" + ",".join(_const_text(x) for x in c) + ")"
    if isinstance(c, frozenset):
        return "frozenset(" + ",".join(sorted(_const_text(x) for x in c)) + ")"
    return f"{type(c).__name__}:{c!r}"


@functools.lru_cache(maxsize=None)
def _code_digest(code: types.CodeType) -> str:
    """SHA-256 of what a code object does: bytecode, constants, names. A
    function's first constant is its docstring (None when it has none), left
    out: editing a docstring changes nothing the function does."""
    consts = code.co_consts
    if not code.co_name.startswith("<") and consts and isinstance(consts[0], str):
        consts = (None,) + consts[1:]
    parts = [
        code.co_code.hex(),
        _const_text(consts),
        repr(code.co_names),
        repr(code.co_varnames),
        repr(code.co_freevars),
        repr(code.co_cellvars),
        repr((code.co_argcount, code.co_posonlyargcount, code.co_kwonlyargcount, code.co_flags)),
    ]
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def _source_shape(text: str) -> str:
    """The syntax tree of a function's source, without what does not change
    what it computes: comments and formatting (not in the tree), docstrings,
    and the decorators of the function itself (``@cache.memoize(...)``, whose
    version is keyed apart). Text that does not parse alone (a lambda's
    line) stands as it is."""
    try:
        tree = ast.parse(textwrap.dedent(text))
    except SyntaxError:
        return text
    if tree.body and isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        tree.body[0].decorator_list = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


@functools.lru_cache(maxsize=4096)
def _function_digest(func: Callable[..., Any]) -> str:
    """The function's source, as a syntax tree (so that a comment, a docstring
    or a reformatting keeps its results: joblib's issues 1587, 1710, 1533),
    and its compiled code: the source alone is one line for two lambdas on
    it, and the file may have been edited since the code was compiled.
    Cached: a call may read several functions, and reading source is file
    I/O."""
    try:
        shape = _source_shape(inspect.getsource(func))
    except (OSError, TypeError):
        shape = ""  # a REPL, or code run through exec: the compiled code stands for it
    return hashlib.sha256(
        (shape + "\0" + _code_digest(func.__code__)).encode("utf-8", "surrogatepass")
    ).hexdigest()


def _module_name(f: Callable[..., Any]) -> str:
    """The module a function is keyed under: a script's functions are in
    ``__main__`` when it runs and in its own name when imported, so
    ``python pipeline.py`` and ``import pipeline`` must name them alike:
    ``__main__`` is the name ``-m`` ran it under, else the script's stem."""
    module = f.__module__ or "__main__"
    if module != "__main__":
        return module
    g = getattr(f, "__globals__", {})  # the script's own, not whatever runs it
    spec = g.get("__spec__")
    if spec is not None and spec.name:
        return str(spec.name)
    path = g.get("__file__")
    return os.path.splitext(os.path.basename(str(path)))[0] if path else module


@functools.lru_cache(maxsize=4096)
def _globals_read(code: types.CodeType) -> Tuple[str, ...]:
    """The global names a code object and the code nested in it load
    (cached: every call of a memoized function asks)."""
    names = set()
    stack = [code]
    while stack:
        c = stack.pop()
        for ins in dis.get_instructions(c):
            if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                names.add(ins.argval)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return tuple(sorted(names))


# Content digests of files by their identity (device, inode, size, times),
# so a file passed to many calls is read once while it is unchanged, as
# `voxcache run` remembers its inputs (docs/run.md).
_FILE_DIGESTS: Dict[Tuple[int, int, int, int, int], bytes] = {}
_FILE_DIGESTS_LOCK = threading.Lock()
# A file changed less than this long ago may be written again within the
# same timestamp tick, its size, mtime and ctime unchanged: its digest is
# not remembered, so it is read on every call until it settles (ccache's
# "too new" rule, as `voxcache run` applies it).
_TOO_NEW_NS = 2_000_000_000


def _identity_record(path: str, st: os.stat_result) -> _core.KeyBuilder:
    """The key of the entry that remembers a settled file's digest across
    processes (operation ``py:file-identity``), as `voxcache run` keeps its
    ``run:file-identity`` records: the absolute path and the identity."""
    b = _core.KeyBuilder("py:file-identity")
    b.arg("path", os.fsencode(os.path.abspath(path)))
    for name in ("st_dev", "st_ino", "st_size", "st_mtime_ns", "st_ctime_ns"):
        b.arg(name[3:], getattr(st, name))
    return b  # a recipe: the entry's operation says what it is


def _file_digest(path: str, st: os.stat_result, store: Any = None) -> bytes:
    """The SHA-256 of the file at ``path`` whose stat is ``st``; ``store``
    (a cache's core, or None) remembers it across processes."""
    identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    with _FILE_DIGESTS_LOCK:
        known = _FILE_DIGESTS.get(identity)
    if known is not None:
        return known
    record = _identity_record(path, st) if store is not None else None
    if record is not None:
        try:  # contains first: a file not seen yet is no miss in the statistics
            got = store.get(record) if store.contains(record) else None
        except Exception:  # a closed cache, a damaged record, anything: the file says
            got = None
        if isinstance(got, bytes) and len(got) == 32:
            with _FILE_DIGESTS_LOCK:
                _FILE_DIGESTS[identity] = got
            return got
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    digest = h.digest()
    after = os.stat(path)
    settled = time.time_ns() - max(after.st_mtime_ns, after.st_ctime_ns) >= _TOO_NEW_NS
    if settled and (after.st_size, after.st_mtime_ns, after.st_ctime_ns) == identity[2:]:
        with _FILE_DIGESTS_LOCK:  # changed while read: hashed again next time
            if len(_FILE_DIGESTS) > 65536:
                _FILE_DIGESTS.clear()
            _FILE_DIGESTS[identity] = digest
        if record is not None:
            try:
                store.put(record, digest, None, None, [], False)
            except Exception:  # read-only, full: the next process reads the file
                pass
    return digest


def _path_content(path: str, store: Any = None) -> List[Any]:
    """What a path holds: a file's SHA-256, a folder's sorted entries each
    with its own, a path that is not there as such."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return ["py.missing"]
    if os.path.isdir(path):
        return ["py.folder"] + [[name, _path_content(os.path.join(path, name), store)]
                                for name in sorted(os.listdir(path))]
    return ["py.file", _file_digest(path, st, store)]


def _array_digest(a: "np.ndarray[Any, Any]") -> bytes:
    # The bytes are hashed where they are: tobytes() copied them first, which
    # took 110 ms of a 28 MB float32 hit in a new process (fresh pages).
    c = np.ascontiguousarray(a)
    return hashlib.sha256(c.view(np.uint8).reshape(-1).data if c.size else b"").digest()


class _Encoder:
    """Turns the Python values of one call into KeyBuilder arguments; the
    Volumes and Keys met become the recipe's inputs, in order, each named by
    its position so that the pairing of arguments and inputs is explicit."""

    def __init__(self, builder: Optional[_core.KeyBuilder], ignore: FrozenSet[str],
                 home: str, store: Any = None) -> None:
        self.builder = builder  # None: a dry run, inputs named by their key
        self.inputs = 0
        self.ignore = ignore
        self.home = home  # the memoized function's module: its helpers are keyed by code
        self.store = store  # the cache's core, which remembers file digests
        self.seen: Set[Callable[..., Any]] = set()  # functions being encoded, against cycles

    def _input(self, key: Any, tag: str) -> List[Any]:
        if self.builder is None:
            k = key if isinstance(key, _core.Key) else key.build()
            return [tag, k.hex]
        self.builder.input(key)
        self.inputs += 1
        return [tag, self.inputs - 1]

    def value(self, v: Any, what: str) -> Any:
        if v is None:
            return ["py.none"]
        if isinstance(v, np.generic):  # before float: numpy.float64 is a float
            if v.dtype.hasobject:
                raise TypeError(f"memoize cannot key {what}: a numpy object scalar")
            return ["py.numpy", v.dtype.str, v.tobytes()]
        if isinstance(v, enum.Enum):  # before int and str: IntEnum is an int
            t = type(v)
            return ["py.enum", f"{t.__module__}.{t.__qualname__}", self.value(v.value, what)]
        if type(v) in (bool, float, str, bytes):
            return v
        if type(v) is int:
            return v if _INT64[0] <= v <= _INT64[1] else ["py.int", str(v)]
        if isinstance(v, (bytearray, memoryview)):
            return ["py." + type(v).__name__, bytes(v)]
        if isinstance(v, Volume):
            return self._input(_core.content_key(v), "py.volume")
        if isinstance(v, (_core.Key, _core.KeyBuilder)):
            return self._input(v, "py.key")
        if isinstance(v, np.ndarray):
            if v.dtype.hasobject:
                raise TypeError(f"memoize cannot key {what}: an object array")
            return ["py.ndarray", v.dtype.str, list(v.shape), _array_digest(v)]
        if type(v) in (list, tuple):
            return ["py." + type(v).__name__] + [self.value(x, what) for x in v]
        if type(v) in (set, frozenset):
            members = list(v)
            order = sorted((self._sort_key(x), i) for i, x in enumerate(members))
            return ["py." + type(v).__name__] + [self.value(members[i], what) for _, i in order]
        if type(v) is dict:
            # Equal dicts are one key, whatever their insertion order: items go
            # in the order of their keys' encodings, each item [key, value].
            items = sorted(((self._sort_key(k), i) for i, k in enumerate(v)))
            keys = list(v)
            return ["py.dict"] + [
                [self.value(keys[i], what), self.value(v[keys[i]], what)] for _, i in items
            ]
        if isinstance(v, types.FunctionType):
            return self.function(v, what)
        if isinstance(v, os.PathLike):
            # By the path as given and what is there now: an edited file is a
            # new key (a path string alone would return the old result), and
            # two files of one content stay two calls (a result may name it).
            path = os.fspath(v)
            text = path if isinstance(path, str) else os.fsdecode(path)
            return ["py.path", text, _path_content(path, self.store)]
        if type(v).__module__.startswith("nibabel") and hasattr(v, "dataobj") and hasattr(
                v, "affine"):
            # A nibabel image by its voxels and geometry (its content key) and
            # its whole header, which a computation may read.
            header = getattr(getattr(v, "header", None), "binaryblock", b"")
            return self._input(_core.content_key(Volume.from_nibabel(v)), "py.nibabel") + [
                type(v).__name__, hashlib.sha256(header).digest()]
        hook = getattr(type(v), "__voxcache_key__", None)
        if hook is not None:  # an object that says what it stands for
            t = type(v)
            return ["py.keyed", f"{t.__module__}.{t.__qualname__}",
                    self.value(hook(v), f"{what}.__voxcache_key__()")]
        if isinstance(v, functools.partial):
            return ["py.partial", self.value(v.func, what), self.value(list(v.args), what),
                    self.value(dict(v.keywords), what)]
        raise TypeError(
            f"memoize cannot key {what} of type {type(v).__name__}: use plain values, lists, "
            "tuples, dicts, sets, numpy arrays and scalars, voxcache.Volume or voxcache.Key"
        )

    def _sort_key(self, v: Any) -> bytes:
        """The canonical bytes of a value's encoding, inputs named by key."""
        dry = _Encoder(None, self.ignore, self.home, self.store)
        dry.seen = self.seen
        b = _core.KeyBuilder("")
        b.arg("", dry.value(v, "a dict key or set item"))
        return b.canonical_encoding()

    def function(self, f: Callable[..., Any], what: str) -> List[Any]:
        """A function a call depends on. One of the memoized function's own
        module (a helper it calls, a function it was given) by its code and
        what that reads; one of another module (a library's) by its name, as
        its version is the installed package's."""
        wrapped = getattr(f, "__voxcache_memoized__", None)
        if wrapped is not None:  # another memoized function: keyed by its own recipe
            f = wrapped
        name = f"{_module_name(f)}.{f.__qualname__}"
        if f.__module__ != self.home:
            return ["py.function-ref", name]
        if f in self.seen:  # recursion: its code is in the key already
            return ["py.function-cycle", name]
        self.seen.add(f)
        try:
            return ["py.function", name, _function_digest(f)] + self.free(f)
        finally:
            self.seen.discard(f)

    def free(self, f: Callable[..., Any]) -> List[Any]:
        """[name, value] of every closure variable and module global `f` reads,
        by name; modules, classes and builtins are not data and are left out."""
        out = []
        cells = dict(zip(f.__code__.co_freevars, f.__closure__ or ()))
        for name in sorted(cells):
            if name in self.ignore:
                continue
            try:
                content = cells[name].cell_contents
            except ValueError:  # not assigned yet
                out.append([name, ["py.empty-cell"]])
                continue
            if isinstance(content, _NOT_DATA):  # a module imported in the enclosing function
                continue
            out.append([name, self.free_value(content, f, name, "closure variable")])
        g = f.__globals__
        for name in _globals_read(f.__code__):
            if name in self.ignore or name not in g:
                continue  # a builtin, or not defined (yet): the call raises NameError itself
            value = g[name]
            if isinstance(value, _NOT_DATA):
                continue
            out.append([name, self.free_value(value, f, name, "global")])
        return out

    def instance(self, v: Any, method: str) -> Any:
        """``self`` of a method: by its ``__voxcache_key__()`` when its class
        has one, else by its class and attributes, which a result may depend
        on (never ignored: that would be one instance's result for another)."""
        if getattr(type(v), "__voxcache_key__", None) is not None:
            return self.value(v, "self")
        t = type(v)
        try:
            state = vars(v)
        except TypeError:  # __slots__
            state = {n: getattr(v, n) for n in getattr(t, "__slots__", ()) if hasattr(v, n)}
        try:
            return ["py.self", f"{t.__module__}.{t.__qualname__}",
                    self.value(dict(state), "an attribute of self")]
        except TypeError as e:
            raise TypeError(
                f"memoize cannot key self of {method}, a {t.__qualname__}, by its attributes "
                f"({e}); give {t.__qualname__} a __voxcache_key__(self) method returning what "
                "its results depend on, or memoize(ignore=['self']) if they depend on none"
            ) from None

    def free_value(self, value: Any, f: Callable[..., Any], name: str, kind: str) -> Any:
        try:
            return self.value(value, f"{kind} {name!r}")
        except TypeError as e:
            raise TypeError(
                f"memoize cannot key the {kind} {name!r} that {f.__qualname__} reads, of type "
                f"{type(value).__name__}: its value could change the result. Pass it as an "
                f"argument, or name it in memoize(ignore=[...]) if it cannot ({e})"
            ) from None


# What a value can be (docs/python.md, Values), for the check of a return
# annotation.
_STORABLE = (type(None), bool, int, float, str, bytes, bytearray, memoryview, np.ndarray,
             np.generic, Volume)
# Containers are stored as exactly these types: a subclass (a NamedTuple, an
# OrderedDict) would come back as its base, so it is refused instead.
_CONTAINERS = (dict, list, tuple)


def _unstorable_return(f: Callable[..., Any]) -> Optional[str]:
    """The name of the type ``f``'s return annotation promises when no value
    of it can be stored (a set, a NamedTuple, a class of its own), else None: so
    that memoize says so when it decorates, not after every computation."""
    try:
        hint = typing.get_type_hints(f).get("return")
    except Exception:  # an annotation that does not resolve: nothing to say
        return None
    if hint is None or hint is typing.Any or hint is object:
        return None
    origin = typing.get_origin(hint) or hint
    if not isinstance(origin, type):
        return None  # Any, a Union, a TypeVar: it may be storable
    if origin in _CONTAINERS or (issubclass(origin, _STORABLE) and not issubclass(origin, _CONTAINERS)):
        return None
    return origin.__name__


def _wrap(cache: Any, f: Callable[..., Any], target: Callable[..., Any], name: str,
          operation: str,
          key_of: Callable[[Tuple[Any, ...], Dict[str, Any]], Tuple[_core.KeyBuilder, Any]],
          after: Callable[[Any], None]) -> Callable[..., Any]:
    """The memoized function: ``target`` called on a miss of ``key_of``'s
    recipe (whose second part goes to ``after`` when it computed), with
    ``cache_info()``, ``clear()``, ``key()`` and ``operation``."""
    lock = threading.Lock()
    counts: Dict[str, int] = {"hits": 0, "misses": 0}

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        recipe, extra = key_of(args, kwargs)
        computed = []

        def compute() -> Any:
            computed.append(True)
            return target(*args, **kwargs)

        compute.__qualname__ = name  # what a warning names

        result = cache.get_or_compute(recipe, compute)
        with lock:
            counts["misses" if computed else "hits"] += 1
        if computed:
            after(extra)
        return result

    def cache_info() -> Dict[str, Any]:
        """Hits and misses of this process's calls, and the entries stored."""
        with lock:
            info = dict(counts)
        info["entries"] = sum(1 for e in cache.list() if e["operation"] == operation)
        return info

    def clear() -> int:
        """Removes every stored result of this function (any version or
        source); returns how many."""
        n = 0
        for e in cache.list():
            if e["operation"] == operation:
                try:
                    cache.erase(e["key"])
                    n += 1
                except KeyError:
                    pass  # removed meanwhile
        with lock:
            counts["hits"] = counts["misses"] = 0
        return n

    wrapper.cache_info = cache_info  # type: ignore[attr-defined]
    wrapper.clear = clear  # type: ignore[attr-defined]
    wrapper.key = lambda *a, **k: key_of(a, k)[0].build()  # type: ignore[attr-defined]
    wrapper.operation = operation  # type: ignore[attr-defined]
    return wrapper


def _memoize_library(cache: Any, target: Callable[..., Any], f: Callable[..., Any],
                     pre_args: Tuple[Any, ...], pre_kwargs: Dict[str, Any],
                     version: Optional[str], ignored: FrozenSet[str]) -> Callable[..., Any]:
    """memoize of what has no Python code to key: a builtin (``sorted``), a
    NumPy ufunc (``np.sqrt``), a C extension's function. Keyed by its name
    and its package's version: an upgrade of the library is a new key
    (joblib keys such a function by name alone)."""
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None)
    if not callable(f) or not name:
        raise TypeError(f"memoize takes a function, not {type(f).__name__}")
    module = getattr(f, "__module__", None) or (
        "numpy" if isinstance(f, np.ufunc) else type(f).__module__)
    package = sys.modules.get(module.split(".")[0])
    release = str(getattr(package, "__version__", "")) if module != "builtins" else sys.version
    operation = f"py:{module}.{name}"
    try:
        signature: Optional[inspect.Signature] = inspect.signature(f)
    except (TypeError, ValueError):  # ufuncs and some builtins have none
        signature = None
    if ignored:
        raise ValueError(f"memoize(ignore=...) of {name}, which has no Python code, "
                         "would key what it does not compute by")
    def key_of(args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> _core.KeyBuilder:
        args, kwargs = pre_args + tuple(args), {**pre_kwargs, **kwargs}
        b = _core.KeyBuilder(operation)
        enc = _Encoder(b, ignored, module, cache._c)
        b.arg("library", release)
        b.arg("version", version if version is not None else "")
        if signature is not None:
            bound = signature.bind(*args, **kwargs)
            items = list(bound.arguments.items())
        else:  # by position and name, as given
            items = [("args", list(args))] + sorted(kwargs.items())
        for n, value in items:
            b.arg(n, enc.value(value, f"argument {n!r}"))
        return b

    return _wrap(cache, f, target, name, operation, lambda a, k: (key_of(a, k), None),
                 lambda _: None)


def memoize(cache: Any, func: Optional[Callable[..., Any]] = None, *,
            version: Optional[str] = None, ignore: Iterable[str] = ()) -> Any:
    """See Cache.memoize."""
    ignored = frozenset(ignore)

    def decorate(target: Callable[..., Any]) -> Callable[..., Any]:
        # A partial is its function with arguments given: keyed as that
        # function called with them, so it shares results with direct calls.
        f: Any = target
        pre_args: Tuple[Any, ...] = ()
        pre_kwargs: Dict[str, Any] = {}
        while isinstance(f, functools.partial):
            pre_args = tuple(f.args) + pre_args
            pre_kwargs = {**f.keywords, **pre_kwargs}
            f = f.func
        if not isinstance(f, types.FunctionType):
            return _memoize_library(cache, target, f, pre_args, pre_kwargs, version, ignored)
        operation = f"py:{_module_name(f)}.{f.__qualname__}"
        promised = _unstorable_return(f)
        if promised is not None:
            warnings.warn(
                f"voxcache: {f.__qualname__} is annotated to return {promised}, which voxcache "
                "cannot store: each call will compute and return its result, stored nowhere",
                RuntimeWarning, stacklevel=3)
        source = _function_digest(f)
        signature = inspect.signature(f)
        params = list(signature.parameters)
        is_method = bool(params) and params[0] == "self" and "." in f.__qualname__
        unknown = ignored - set(signature.parameters) - set(f.__code__.co_freevars) - set(
            _globals_read(f.__code__))
        if unknown:
            raise ValueError(f"memoize(ignore=...) names what {f.__qualname__} neither takes "
                             f"nor reads: {sorted(unknown)}")

        def key_of(args: Tuple[Any, ...],
                   kwargs: Dict[str, Any]) -> Tuple[_core.KeyBuilder, List[Any]]:
            bound = signature.bind(*pre_args, *args, **{**pre_kwargs, **kwargs})
            bound.apply_defaults()
            b = _core.KeyBuilder(operation)
            enc = _Encoder(b, ignored, f.__module__, cache._c)
            enc.seen.add(f)
            free = enc.free(f)
            b.arg("source", source)
            b.arg("version", version if version is not None else "")
            b.arg("free", ["py.free"] + free)
            for name, value in bound.arguments.items():
                if name in ignored:
                    continue
                if is_method and name == "self":
                    b.arg(name, enc.instance(value, f.__qualname__))
                    continue
                try:
                    b.arg(name, enc.value(value, f"argument {name!r}"))
                except TypeError:
                    # A default that is a sentinel object (numpy's _NoValue)
                    # is part of the function, which its code keys.
                    if value is not signature.parameters[name].default:
                        raise
                    b.arg(name, ["py.default"])
            return b, free

        warned = set()

        def warn_if_it_wrote_what_it_reads(before: List[Any]) -> None:
            """A function that changes a variable it reads (appends to a log,
            counts its calls) changes its own key: each call would miss."""
            enc = _Encoder(_core.KeyBuilder(operation), ignored, f.__module__, cache._c)
            enc.seen.add(f)
            after = dict((n, v) for n, v in enc.free(f))
            changed = sorted(n for n, v in before if after.get(n) != v and n not in warned)
            if changed:
                warned.update(changed)
                warnings.warn(
                    f"voxcache: {f.__qualname__} changed {', '.join(map(repr, changed))}, which "
                    "it reads, so its next call has another key and computes again; name it in "
                    "memoize(ignore=[...]) if the result does not depend on it",
                    RuntimeWarning, stacklevel=3)

        def after(free: List[Any]) -> None:
            if free:
                warn_if_it_wrote_what_it_reads(free)

        wrapper = _wrap(cache, f, target, f.__qualname__, operation, key_of, after)
        wrapper.__voxcache_memoized__ = f  # type: ignore[attr-defined]
        return wrapper

    return decorate(func) if func is not None else decorate
