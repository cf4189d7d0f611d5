"""poolcheck variants: list the built-in variants and their metadata."""

from __future__ import annotations

import argparse

from model.variants import registry
from poolcheck.common import OK, add_common, emit_json

NAME = "variants"
HELP = "list the built-in variants (reference, mutants, design alternatives)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_common(p, variant=False)


def run(args: argparse.Namespace) -> int:
    reg = registry()
    if args.json:
        emit_json({"variants": [cls.meta() for cls in reg.values()]})
        return OK
    w = max(len(n) for n in reg)
    for name, cls in reg.items():
        exp = ",".join(cls.expected) + (" (equivalent)" if cls.equivalent else "")
        print(f"{name:<{w}}  {cls.kind:<9} {cls.layer:<7} {exp:<12} {cls.description}")
    return OK
