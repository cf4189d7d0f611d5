"""The variant mechanism: registry names, file.py:Name, module:Name, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.variants import Model, VariantError, registry, resolve, spec_of

GOOD = '''
from model.variants import Model
class Mine(Model):
    name = "mine"
    layer = "pool"
    kind = "design"
    description = "the reference under another name"
'''


def test_registry_has_the_reference_and_the_seed_mutants() -> None:
    reg = registry()
    assert reg["reference"] is Model
    for name in ("push-no-typ-check", "chain-next-after-pop"):
        cls = reg[name]
        assert cls.kind == "mutant" and cls.expected and cls.description
        cls.check_metadata()


def test_file_and_module_specs(tmp_path: Path) -> None:
    f = tmp_path / "my_variant.py"
    f.write_text(GOOD)
    cls = resolve(f"{f}:Mine")
    assert cls.name == "mine" and issubclass(cls, Model)
    assert spec_of(cls) == f"{f}:Mine"
    assert resolve("model.variants.dequeue_mutants:PushNoTypCheck").name == "push-no-typ-check"


@pytest.mark.parametrize("text,fragment", [
    ("raise RuntimeError('boom')", "importing"),
    ("from model.variants import Model\nclass Mine(Model):\n    name = 'mine'\n    layer = 'nowhere'\n", "`layer`"),
    ("from model.variants import Model\nclass Mine(Model):\n    name = 'x'\n    kind = 'mutant'\n"
     "    description = 'a bug'\n", "`expected`"),
    ("class Mine:\n    pass\n", "not a subclass"),
])
def test_bad_variant_files(tmp_path: Path, text: str, fragment: str) -> None:
    f = tmp_path / "bad.py"
    f.write_text(text)
    with pytest.raises(VariantError) as e:
        resolve(f"{f}:Mine")
    assert fragment in str(e.value)


def test_unknown_name_lists_the_choices() -> None:
    with pytest.raises(VariantError) as e:
        resolve("nope")
    assert "reference" in str(e.value) and "path/to/file.py:Class" in str(e.value)
