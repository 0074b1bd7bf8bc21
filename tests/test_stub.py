"""The type stub of the compiled module (python/dlnfast/_core.pyi) names what the module has.

The stub is generated (CONTRIBUTING.md, "The compiled module's type stub"); a binding added or
removed without regenerating it fails here. The stub is read with ``ast`` (no import of it), the
module by introspection: they share nothing.
"""

import ast
from pathlib import Path

import pytest

from dlnfast import _core

STUB = Path(_core.__file__).with_name("_core.pyi")
REGENERATE = "regenerate it: see CONTRIBUTING.md, \"The compiled module's type stub\""


def _public(names):
    return {n for n in names if not n.startswith("_")}


def _declared(body):
    """Names a stub body declares: functions, classes and annotated attributes."""
    out = set()
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out.add(node.target.id)
    return _public(out)


@pytest.fixture(scope="module")
def stub():
    if not STUB.exists():
        pytest.fail(f"{STUB} is missing (it ships with the package); {REGENERATE}")
    return ast.parse(STUB.read_text(encoding="utf-8"))


def test_stub_top_level_names_are_the_modules(stub):
    in_stub = _declared(stub.body)
    in_module = _public(dir(_core))
    assert in_stub == in_module, (
        f"stub only: {sorted(in_stub - in_module)}, module only: {sorted(in_module - in_stub)}; {REGENERATE}"
    )


def test_stub_all_is_the_modules_public_names(stub):
    (value,) = [n.value for n in stub.body if isinstance(n, ast.AnnAssign) and getattr(n.target, "id", "") == "__all__"]
    assert set(ast.literal_eval(value)) == _public(dir(_core)), REGENERATE


def test_stub_class_members_are_the_classes(stub):
    classes = {node.name: node for node in stub.body if isinstance(node, ast.ClassDef)}
    assert classes, "the stub declares no class"
    for name, node in classes.items():
        in_stub = _declared(node.body)
        in_class = _public(vars(getattr(_core, name)))
        assert in_stub == in_class, (
            f"_core.{name}: stub only {sorted(in_stub - in_class)}, module only {sorted(in_class - in_stub)}; "
            f"{REGENERATE}"
        )
