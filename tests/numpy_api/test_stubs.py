"""chainrule/numpy/__init__.pyi lists the namespace for IDEs and type checkers: it is generated
(``python -m chainrule.numpy._stubs``) and must name exactly what the namespace provides."""

from __future__ import annotations

import ast

import chainrule.numpy as np
from chainrule.numpy import _stubs

REGENERATE = "python -m chainrule.numpy._stubs"


def _stub_names(text: str) -> set[str]:
    """The public names a type checker sees in the stub: its defs, annotated names and
    ``import x as x`` re-exports (a plain import is not an export)."""
    names = set()
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname for a in node.names if a.asname == a.name)
    return {n for n in names if not n.startswith("_")}


def test_stub_names_are_the_namespaces_public_names():
    runtime = {n for n in vars(np) if not n.startswith("_")}
    stub = _stub_names(_stubs.STUB_PATH.read_text())
    assert set(np.__all__) <= runtime
    assert stub == runtime, (f"in the stub only: {sorted(stub - runtime)}; in the namespace "
                             f"only: {sorted(runtime - stub)}; run `{REGENERATE}`")


def test_stub_is_current():
    assert _stubs.STUB_PATH.read_text() == _stubs.render(), (
        f"chainrule/numpy/__init__.pyi is stale: run `{REGENERATE}` and commit the result")


def test_stub_kinds():
    """Ufuncs are ufuncs (with reduce and friends), functions keep their parameters, NumPy's
    objects are NumPy's."""
    text = _stubs.STUB_PATH.read_text()
    assert "\nadd: _Ufunc\n" in text and "\nmatmul: _Ufunc\n" in text
    assert ("\ndef sum(a, axis=..., dtype=..., out=..., keepdims=..., initial=..., "
            "where=...)") in text
    assert "    float64 as float64,\n" in text and "    random as random,\n" in text
    assert "    linalg as linalg,\n" in text and "    r_ as r_,\n" in text
