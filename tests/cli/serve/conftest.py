"""Fixtures of voxcache serve's tests: the demo's database (the real demo
program on ch2), the real voxcache binary serving it on a free loopback
port, started and stopped by each test module."""

import json
import os
import signal
import subprocess
import urllib.error
import urllib.request

import pytest

CLI = os.environ.get("VOXCACHE_CLI", "")
DEMO = os.environ.get("VOXCACHE_DEMO", "")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """ch2, its smoothed result, the Otsu mask and the labelled components,
    with their lineage: what ./quickstart.sh demo leaves."""
    if not DEMO or not CLI:
        pytest.fail("VOXCACHE_DEMO and VOXCACHE_CLI are not set (ctest sets them)")
    db = tmp_path_factory.mktemp("demo") / "cache.db"
    subprocess.run([DEMO, "--db", str(db)], check=True, capture_output=True)
    return db


def entries_by_operation(db):
    out = subprocess.run([CLI, "--db", str(db), "ls", "--json"], check=True, capture_output=True,
                         text=True).stdout
    return {e["operation"]: e for e in json.loads(out)}


class Server:
    """`voxcache --db DB serve --port 0 ARGS`: the port it printed, and HTTP GETs."""

    def __init__(self, db, *args, env=None):
        self.proc = subprocess.Popen([CLI, "--db", str(db), "serve", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=env)
        line = self.proc.stdout.readline()
        if not line.startswith("voxcache serve: http://"):
            self.proc.kill()
            raise RuntimeError(f"serve did not start: {line!r} {self.proc.stderr.read()}")
        self.url = line.split()[2].rstrip("/")

    def get(self, path, headers=None):
        """(status, headers, body bytes), for errors too."""
        req = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, path, status=200):
        code, _, body = self.get(path)
        assert code == status, (path, code, body[:500])
        return json.loads(body)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        assert rc == 0, self.proc.stderr.read()


@pytest.fixture
def serve():
    started = []

    def start(db, *args, env=None):
        s = Server(db, *args, env=env)
        started.append(s)
        return s

    yield start
    for s in started:
        if s.proc.poll() is None:
            s.stop()
