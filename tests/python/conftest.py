"""Fixtures of the Python package's tests: a fresh database per test, the
real CLI binary and the mricron volumes (ctest sets their paths)."""

import os

import pytest

import voxcache

TEMPLATES = os.environ.get("VOXCACHE_TEMPLATES_DIR", "/usr/share/mricron/templates")
CLI = os.environ.get("VOXCACHE_CLI", "")


@pytest.fixture
def cache(tmp_path):
    with voxcache.Cache(tmp_path / "cache.db", threads=2, memory_budget_bytes=0) as c:
        yield c


@pytest.fixture
def cli():
    if not CLI or not os.path.exists(CLI):
        pytest.skip("VOXCACHE_CLI is not set (ctest sets it)")
    return CLI
