"""Builds the ziggydb extension against the ZiggyDB C++ engine.

The engine comes as its static library libziggydb.a (position-independent code; the project's
CMake sets CMAKE_POSITION_INDEPENDENT_CODE). ZIGGYDB_LIBRARY_DIR names a directory holding a
prebuilt one (`make python` passes build/release/src); without it this script configures and
builds the library with the project's CMake under python/build/engine. Offline: it needs only
Debian's packages (pybind11-dev, python3-dev, cmake, the engine's -dev libraries).
"""

import concurrent.futures
import os
import pathlib
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent


def pybind11_include():
    try:
        import pybind11  # Debian's python3-pybind11, when this interpreter sees it

        return pybind11.get_include()
    except ImportError:
        # pybind11-dev installs the headers in the system include directory, which an interpreter
        # outside Debian's packages (e.g. one under /usr/local or pyenv) can still compile with.
        if pathlib.Path("/usr/include/pybind11/pybind11.h").exists():
            return "/usr/include"
        sys.exit("ziggydb: pybind11 headers not found (apt-get install pybind11-dev)")


def build_jobs():
    """Parallel compile jobs: ZIGGYDB_BUILD_JOBS, else one per processor."""
    return int(os.environ.get("ZIGGYDB_BUILD_JOBS", os.cpu_count() or 2))


def engine_library():
    """The path of libziggydb.a, built with the project's CMake unless ZIGGYDB_LIBRARY_DIR is set."""
    given = os.environ.get("ZIGGYDB_LIBRARY_DIR")
    if given:
        library = pathlib.Path(given) / "libziggydb.a"
        if not library.exists():
            sys.exit(f"ziggydb: ZIGGYDB_LIBRARY_DIR has no libziggydb.a: {given}")
        return library
    if not (ROOT / "CMakeLists.txt").exists():
        sys.exit("ziggydb: build from the ZiggyDB source tree (python/ inside it), "
                 "or set ZIGGYDB_LIBRARY_DIR")
    build = HERE / "build" / "engine"
    subprocess.check_call([
        "cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
        "-DZIGGY_BUILD_TESTS=OFF", "-DZIGGY_BUILD_TOOLS=OFF", "-DZIGGY_BUILD_BENCH=OFF",
    ])
    subprocess.check_call(["cmake", "--build", str(build), "--target", "ziggydb", "-j", str(build_jobs())])
    return build / "src" / "libziggydb.a"


def compile_in_parallel(compiler, jobs):
    """Makes `compiler` compile an extension's sources `jobs` at a time: setuptools compiles them
    one after another, and each pybind11 source takes seconds."""
    one_by_one = compiler.compile

    def compile_sources(sources, *args, **kwargs):
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            objects = pool.map(lambda source: one_by_one([source], *args, **kwargs), sources)
            return [path for pair in objects for path in pair]

    compiler.compile = compile_sources


class BuildEngineThenExtension(build_ext):
    def build_extensions(self):
        library = engine_library()
        compile_in_parallel(self.compiler, build_jobs())
        for extension in self.extensions:
            extension.extra_objects.append(str(library))
            # setuptools rebuilds an extension only if a source or a `depends` file is newer than
            # it: the engine library too, so that `make test-python` never runs a stale module.
            extension.depends.append(str(library))
            # The engine's private dependencies, from the static library's link interface.
            extension.libraries.extend(["zstd", "lz4", "snappy", "xxhash"])
        # setuptools passes the C flags of the interpreter's build; -Wstrict-prototypes is C-only.
        for flag in ("-Wstrict-prototypes",):
            if flag in self.compiler.compiler_so:
                self.compiler.compiler_so.remove(flag)
        super().build_extensions()


extension = Extension(
    "ziggydb._ziggydb",
    sources=sorted(str(p.relative_to(HERE)) for p in (HERE / "src").glob("*.cc")),
    # A changed header rebuilds the module (setuptools then compiles every source again).
    depends=sorted(str(p.relative_to(HERE)) for p in (HERE / "src").glob("*.h"))
    + sorted(str(p) for p in (ROOT / "include" / "ziggydb").glob("*.h")),
    include_dirs=[str(ROOT / "include"), pybind11_include()],
    language="c++",
    extra_compile_args=["-std=c++20", "-O2", "-fvisibility=hidden", "-g0"],
    extra_link_args=["-pthread"],
)

setup(ext_modules=[extension], cmdclass={"build_ext": BuildEngineThenExtension})
