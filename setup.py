"""Builds voxcache._core, and the voxcache command, with the project's CMake
(pyproject.toml has the metadata). VOXCACHE_CMAKE_BUILD_DIR names a
configured build directory to build in (the test suite's own); otherwise a
fresh one is configured under setuptools' build_temp, static, without tests
or benchmarks, with ITK when this machine has it (the command needs it; the
module does not).

The command goes into the package as voxcache/bin/voxcache, and the
console script `voxcache` (voxcache._cli) runs it."""

import os
import pathlib
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = pathlib.Path(__file__).resolve().parent


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = os.environ.get("VOXCACHE_CMAKE_BUILD_DIR")
        if not build:
            build = str(pathlib.Path(self.build_temp).resolve() / "cmake")
            configure = [
                "cmake", "-S", str(ROOT), "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                # The static libraries inside the module and the command: the
                # installed package needs no libvoxcache.so beside it.
                "-DBUILD_SHARED_LIBS=OFF", "-DVOXCACHE_BUILD_TESTS=OFF",
                "-DVOXCACHE_BUILD_BENCHMARKS=OFF", "-DVOXCACHE_BUILD_PYTHON=ON",
                f"-DPython_EXECUTABLE={sys.executable}",
            ]
            if subprocess.call(configure + ["-DVOXCACHE_BUILD_ITK=ON"]) != 0:
                print("voxcache: no ITK 5 (or CLI11, cpp-httplib) here: building the Python "
                      "package without the voxcache command", file=sys.stderr)
                shutil.rmtree(build, ignore_errors=True)
                subprocess.check_call(configure + ["-DVOXCACHE_BUILD_ITK=OFF"])
        with_cli = "VOXCACHE_BUILD_ITK:BOOL=ON" in (pathlib.Path(build) / "CMakeCache.txt").read_text()
        targets = ["voxcache_python"] + (["voxcache_cli"] if with_cli else [])
        subprocess.check_call(["cmake", "--build", build, "--target", *targets,
                               "-j", str(os.cpu_count() or 2)])
        built = sorted((pathlib.Path(build) / "python" / "voxcache").glob("_core*.so"))
        if not built:
            raise RuntimeError(f"CMake built no voxcache/_core module in {build}")
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)
        if with_cli:
            (target.parent / "bin").mkdir(exist_ok=True)
            shutil.copy2(pathlib.Path(build) / "voxcache", target.parent / "bin" / "voxcache")


setup(
    package_dir={"": "python"},
    packages=["voxcache", "voxcache.integrations"],
    package_data={"voxcache": ["py.typed", "*.pyi"]},
    ext_modules=[Extension("voxcache._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)
