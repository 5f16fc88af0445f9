"""Builds voxcache._core with the project's CMake (pyproject.toml has the
metadata). VOXCACHE_CMAKE_BUILD_DIR names a configured build directory to
build in (the test suite's own); otherwise a fresh one is configured under
setuptools' build_temp, without ITK, tests or benchmarks."""

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
            subprocess.check_call([
                "cmake", "-S", str(ROOT), "-B", build, "-DCMAKE_BUILD_TYPE=Release",
                # The static library inside the module: the installed package
                # needs no libvoxcache.so beside it.
                "-DBUILD_SHARED_LIBS=OFF",
                "-DVOXCACHE_BUILD_ITK=OFF", "-DVOXCACHE_BUILD_TESTS=OFF",
                "-DVOXCACHE_BUILD_BENCHMARKS=OFF", "-DVOXCACHE_BUILD_PYTHON=ON",
                f"-DPython_EXECUTABLE={sys.executable}",
            ])
        subprocess.check_call(["cmake", "--build", build, "--target", "voxcache_python",
                               "-j", str(os.cpu_count() or 2)])
        built = sorted((pathlib.Path(build) / "python" / "voxcache").glob("_core*.so"))
        if not built:
            raise RuntimeError(f"CMake built no voxcache/_core module in {build}")
        target = pathlib.Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built[0], target)


setup(
    package_dir={"": "python"},
    packages=["voxcache", "voxcache.integrations"],
    package_data={"voxcache": ["py.typed", "*.pyi"]},
    ext_modules=[Extension("voxcache._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
)
