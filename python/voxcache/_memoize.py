"""@cache.memoize: a function's results kept in a voxcache database.

A call is keyed on the function's qualified name, a hash of its source code
(editing the function invalidates its results), an optional version, and its
arguments, bound to parameter names; volumes and arrays are keyed by their
content. The first call of a key computes; every other call, in any thread
or process sharing the database, waits for it and reads the result.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import threading
from typing import Any, Callable, Dict, Optional

import numpy as np

from . import _core
from ._volume import Volume

__all__ = ["memoize"]


def _source_hash(func: Callable) -> str:
    try:
        text = inspect.getsource(func)
    except (OSError, TypeError):
        # No source file (a REPL, a notebook cell run through exec): the
        # compiled code stands for it.
        code = func.__code__
        text = repr((code.co_code, code.co_consts, code.co_names, code.co_varnames))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _array_digest(a: np.ndarray) -> list:
    if a.dtype.hasobject:
        raise TypeError("memoize cannot key an object array")
    c = np.ascontiguousarray(a)
    h = hashlib.sha256(c.view(np.uint8).reshape(-1) if c.size else b"").digest()
    return ["py.ndarray", a.dtype.str, list(a.shape), h]


def _key_arg(value: Any, name: str, builder: _core.KeyBuilder) -> Any:
    """A KeyBuilder argument for one Python value (inputs go to `builder`)."""
    if value is None:
        return ["py.none"]
    if isinstance(value, (bool, int, float, str, bytes)):
        return value
    if isinstance(value, Volume):
        builder.input(_core.content_key(value))
        return ["py.volume-input"]
    if isinstance(value, (_core.Key, _core.KeyBuilder)):
        builder.input(value)
        return ["py.key-input"]
    if isinstance(value, np.ndarray):
        return _array_digest(value)
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_key_arg(v, name, builder) for v in value]
    if isinstance(value, dict):
        try:
            text = json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as e:
            raise TypeError(f"memoize cannot key argument {name!r}: {e}") from None
        return ["py.json", text]
    raise TypeError(
        f"memoize cannot key argument {name!r} of type {type(value).__name__}: pass plain "
        "values, lists, JSON dicts, numpy arrays, voxcache.Volume or voxcache.Key"
    )


def memoize(cache: Any, func: Optional[Callable] = None, *, version: Optional[str] = None):
    """See Cache.memoize."""

    def decorate(f: Callable) -> Callable:
        operation = f"py:{f.__module__ or '__main__'}.{f.__qualname__}"
        source = _source_hash(f)
        signature = inspect.signature(f)
        lock = threading.Lock()
        counts: Dict[str, int] = {"hits": 0, "misses": 0}

        def key_of(args: tuple, kwargs: dict) -> _core.KeyBuilder:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            b = _core.KeyBuilder(operation)
            b.arg("source", source)
            b.arg("version", version if version is not None else "")
            for name, value in bound.arguments.items():
                b.arg(name, _key_arg(value, name, b))
            return b

        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            recipe = key_of(args, kwargs)
            computed = []

            def compute() -> Any:
                computed.append(True)
                return f(*args, **kwargs)

            result = cache.get_or_compute(recipe, compute)
            with lock:
                counts["misses" if computed else "hits"] += 1
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
        wrapper.key = lambda *a, **k: key_of(a, k).build()  # type: ignore[attr-defined]
        wrapper.operation = operation  # type: ignore[attr-defined]
        return wrapper

    return decorate(func) if func is not None else decorate
