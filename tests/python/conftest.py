"""Fixtures of the Python package's tests: a fresh database per test on the
options users get (memory tier on), the real CLI binary, the mricron volumes
(ctest sets their paths), and a real redis-server for the remote tier."""

import os
import shutil
import socket
import subprocess
import time

import pytest

import voxcache

TEMPLATES = os.environ.get("VOXCACHE_TEMPLATES_DIR", "/usr/share/mricron/templates")
CLI = os.environ.get("VOXCACHE_CLI", "")


@pytest.fixture
def cache(tmp_path):
    # The defaults, as a user opens it: a wrong-voxels defect once hid behind
    # a fixture that turned the memory tier off.
    with voxcache.Cache(tmp_path / "cache.db") as c:
        yield c


@pytest.fixture
def cli():
    if not CLI or not os.path.exists(CLI):
        pytest.skip("VOXCACHE_CLI is not set (ctest sets it)")
    return CLI


class RedisServer:
    """redis-server on a unix socket in a temporary folder, started and
    stopped by the test (the same settings as tests/tier/redis_server.h)."""

    def __init__(self, folder):
        self.socket = os.path.join(folder, "redis.sock")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", self.socket, "--unixsocketperm",
             "700", "--save", "", "--appendonly", "no", "--dir", folder,
             "--logfile", os.path.join(folder, "redis.log")])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.connect(self.socket)
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        self.stop()
        raise RuntimeError(f"redis-server did not start; see {folder}/redis.log")

    @property
    def url(self):
        return "unix://" + self.socket

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed (quickstart.sh test installs it)")
    # A short folder: a unix socket path has a length limit (108 bytes).
    import tempfile
    folder = tempfile.mkdtemp(prefix="vcr")
    server = RedisServer(folder)
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def simpleitk(monkeypatch):
    """The SimpleITK stand-in of voxlogica_stores.py as the importable
    SimpleITK (Debian 12 has no SimpleITK)."""
    import sys

    import voxlogica_stores
    package, inner = voxlogica_stores.simpleitk_module()
    monkeypatch.setitem(sys.modules, "SimpleITK", package)
    monkeypatch.setitem(sys.modules, "SimpleITK.SimpleITK", inner)
    return package
