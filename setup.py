"""Build the explorer's compiled search core (proofs/native/_searchcore.c) as an optional extension.

Everything else is in pyproject.toml. If the C compiler is missing or the
build fails, the install still succeeds without the extension: poolcheck
then runs the Python search and says so in one warning line
(proofs/native/__init__.py).
"""

from __future__ import annotations

import sys

from setuptools import Extension, setup  # type: ignore[import-untyped]
from setuptools.command.build_ext import build_ext  # type: ignore[import-untyped]


class OptionalBuildExt(build_ext):  # type: ignore[misc]
    """build_ext that turns any failure to build an extension into one warning line."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as e:  # no compiler at all, or a broken toolchain
            self._skip(e)

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception as e:
            self._skip(e)

    def _skip(self, e: Exception) -> None:
        print(f"poolcheck: warning: the compiled search core was not built ({type(e).__name__}: {e}); the explorer "
              f"will use the Python search", file=sys.stderr)


setup(
    ext_modules=[Extension("proofs.native._searchcore", ["proofs/native/_searchcore.c"],
                           extra_compile_args=["-O2"], optional=True)],
    cmdclass={"build_ext": OptionalBuildExt},
)
