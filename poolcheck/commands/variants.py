"""poolcheck variants: list the built-in variants and their metadata (no --variant: it lists them all)."""

from __future__ import annotations

import argparse

from model.variants import registry
from poolcheck.common import add_common, finish
from poolcheck.engine import Verdict

NAME = "variants"
HELP = "list the built-in variants (reference, mutants, design alternatives)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p, variant=False)


def run(args: argparse.Namespace) -> int:
    reg = registry()
    w = max(len(n) for n in reg)
    lines = []
    for name, cls in reg.items():
        exp = ",".join(cls.expected) + (" (equivalent)" if cls.equivalent else "")
        lines.append(f"{name:<{w}}  {cls.kind:<9} {cls.layer:<7} {exp:<12} {cls.description}")
    return finish(args, NAME, Verdict.PASS, {"variants": [cls.meta() for cls in reg.values()]}, lines)
