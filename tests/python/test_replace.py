"""put(replace=True): a key that names a node (a pipeline's own ids) takes a
new value and metadata in one transaction, and no handle, in this process
or another, serves the old value from its memory tier afterwards. Every
handle here has the default options (memory tier on)."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import voxcache


def warm(cache, key):
    """Gets ``key`` until the memory tier of ``cache`` answers."""
    before = cache.stats()["handle"]["memory_hits"]
    cache.get(key)
    cache.get(key)
    assert cache.stats()["handle"]["memory_hits"] > before


def test_replace_takes_value_and_metadata_and_no_memory_tier_keeps_the_old(tmp_path):
    db = tmp_path / "r.db"
    k = voxcache.key("node", id="n1")
    with voxcache.Cache(db) as writer, voxcache.Cache(db) as reader:
        assert writer.put(k, np.zeros(5), metadata={"run": 1})
        warm(reader, k)
        assert not writer.put(k, np.ones(5)), "without replace: the key is stored already"
        assert writer.put(k, np.ones(5), metadata={"run": 2}, replace=True)
        for c in (writer, reader):
            value, info = c.get(k, with_info=True)
            assert np.array_equal(value, np.ones(5)) and info["metadata"] == {"run": 2}
        # erase, then another value: the same guarantee.
        warm(reader, k)
        writer.erase(k)
        writer.put(k, "third")
        assert reader.get(k) == "third"


def test_a_replace_in_another_process_is_seen_by_this_ones_memory_tier(tmp_path):
    db = tmp_path / "r.db"
    k = voxcache.key("node", id="n2")
    with voxcache.Cache(db) as c:
        c.put(k, 1.5)
        warm(c, k)
        code = ("import voxcache, sys; c = voxcache.Cache(sys.argv[1]); "
                "assert c.put(voxcache.key('node', id='n2'), 2.5, replace=True); c.close()")
        subprocess.run([sys.executable, "-c", code, str(db)], check=True,
                       env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
        assert c.get(k) == 2.5


def test_with_info_pairs_each_value_with_its_own_record_during_replaces(tmp_path):
    db = tmp_path / "r.db"
    k = voxcache.key("node", id="n3")
    with voxcache.Cache(db) as writer:
        writer.put(k, 0, metadata={"v": 0})
        done = threading.Event()
        mismatched = []

        def read():
            with voxcache.Cache(db) as c:
                while not done.is_set():
                    value, info = c.get(k, with_info=True)
                    if info["metadata"] != {"v": value}:
                        mismatched.append((value, info["metadata"]))

        readers = [threading.Thread(target=read) for _ in range(2)]
        for t in readers:
            t.start()
        for i in range(1, 40):
            writer.put(k, i, metadata={"v": i}, replace=True)
        done.set()
        for t in readers:
            t.join()
    assert mismatched == []


def test_replace_is_refused_with_a_remote_and_says_why(tmp_path, redis):
    k = voxcache.key("node", id="n4")
    with voxcache.Cache(tmp_path / "a.db", remote=redis.url) as c:
        c.put(k, 1)
        with pytest.raises(ValueError, match="other nodes keep the copies"):
            c.put(k, 2, replace=True)
        assert c.get(k) == 1
