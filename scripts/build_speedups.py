"""Compile the sandbox's hot guards (webapp/sandbox/_fast.py) to a C extension with Cython.

Run by scripts/setup.sh. The module works uncompiled too (slower): when there is no C compiler,
this prints why and exits 0, and the app runs on the plain Python file. With ``--require`` (CI)
a failed build is an error.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join("webapp", "sandbox", "_fast.py")


def build() -> None:
    from Cython.Build import cythonize
    from setuptools import Distribution

    os.chdir(ROOT)
    modules = cythonize([SOURCE], quiet=True, language_level=3,
                        compiler_directives={"annotation_typing": False, "binding": False})
    dist = Distribution({"ext_modules": modules})
    cmd = dist.get_command_obj("build_ext")
    tmp = tempfile.mkdtemp(prefix="sandbox-build-")
    try:
        cmd.inplace = True
        cmd.build_temp = tmp
        cmd.build_lib = os.path.join(tmp, "lib")
        cmd.ensure_finalized()
        cmd.run()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        c_file = os.path.splitext(SOURCE)[0] + ".c"
        if os.path.exists(c_file):
            os.remove(c_file)


def main() -> int:
    require = "--require" in sys.argv[1:]
    try:
        build()
    except Exception as exc:  # noqa: BLE001 - any build failure means: run uncompiled
        print(f"warning: could not compile the sandbox speedups ({type(exc).__name__}: {exc}); "
              "scripts still run, with slower guards", file=sys.stderr)
        return 1 if require else 0
    sys.path.insert(0, ROOT)
    from webapp.sandbox import _fast

    if not _fast.compiled():
        print("warning: the compiled sandbox speedups did not load", file=sys.stderr)
        return 1 if require else 0
    print(f"compiled {SOURCE} -> {os.path.relpath(_fast.__file__, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
