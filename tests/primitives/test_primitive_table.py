"""The primitive table as a whole.

Every differentiable primitive in ``chainrule.primitives.REGISTRY`` must have a case here: a
direct application (inputs and parameters) that is gradchecked to first and second order, and
whose forward rule (jvp) and reverse rule (vjp) are checked to be transposes of each other:
<u, J t> = <J^T u, t>. A new primitive without a case fails ``test_every_primitive_is_covered``.
The public functions built on these primitives are tested family by family in the other files.

Families defined outside this file keep their cases beside their tests, in
``tests/primitives/cases_<family>.py`` (each a module-level ``CASES`` dict); they are merged here.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest
from tests.helpers import (
    away_from_zero,
    check_grads,
    distinct,
    positive,
    prims_in_graph,
    rand,
)

import chainrule as cr
from chainrule.primitives import REGISTRY
from chainrule.primitives._core import apply

F64 = np.dtype(np.float64)
IDX = np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]])
FANCY = (np.array([0, 2, 0]), np.array([1, 1, 3]))
_PROD_X = rand((2, 3), 5)
_PROD_X[0, 1] = 0.0

# name: (inputs, params). Float arrays are differentiated; other inputs are constants.
CASES = {
    "add": ((rand((2, 3), 1), rand((3,), 2)), ()),
    "sub": ((rand((2, 1), 1), rand((3,), 2)), ()),
    "mul": ((rand((2, 3), 1), rand((), 2)), ()),
    "div": ((rand((2, 3), 1), away_from_zero((3,), 2)), ()),
    "pow": ((positive((2, 3), 1), rand((3,), 2)), ()),
    "maximum": ((np.array([[0.1, 1.2, -0.4]]), np.array([[0.5], [-1.0]])), ()),
    "minimum": ((np.array([[0.1, 1.2, -0.4]]), np.array([[0.5], [-1.0]])), ()),
    "remainder": ((np.array([[2.5, -1.3, 0.4]]), np.array([[1.0], [-2.0]])), ()),
    "floor_divide": ((np.array([[2.5, -1.3, 0.4]]), np.array([[1.0], [-2.0]])), ()),
    "where": ((np.array([True, False, True]), rand((2, 3), 1), rand((3,), 2)), ()),
    "neg": ((rand((2, 3)),), ()),
    "exp": ((rand((2, 3)),), ()),
    "expm1": ((rand((2, 3)),), ()),
    "log": ((positive((2, 3)),), ()),
    "log1p": ((positive((2, 3)),), ()),
    "sqrt": ((positive((2, 3)),), ()),
    "sin": ((rand((2, 3)),), ()),
    "cos": ((rand((2, 3)),), ()),
    "tan": ((rand((2, 3), 0, -1.2, 1.2),), ()),
    "tanh": ((rand((2, 3)),), ()),
    "sigmoid": ((rand((2, 3)),), ()),
    "erf": ((rand((2, 3)),), ()),
    "relu": ((away_from_zero((2, 3)),), ()),
    "abs": ((away_from_zero((2, 3)),), ()),
    "sign": ((away_from_zero((2, 3)),), ()),
    "floor": ((np.array([0.5, -1.3, 2.7]),), ()),
    "ceil": ((np.array([0.5, -1.3, 2.7]),), ()),
    "round": ((np.array([0.3, -1.3, 2.7]),), ()),
    "trunc": ((np.array([0.5, -1.3, 2.7]),), ()),
    "clip": ((np.array([-1.0, -0.2, 0.3, 0.9]),), (-0.5, 0.5)),
    "cast": ((rand((2, 3)),), (F64,)),
    "reshape": ((rand((2, 3)),), ((3, 2),)),
    "permute": ((rand((2, 3, 2)),), ((2, 0, 1),)),
    "broadcast_to": ((rand((3, 1)),), ((2, 3, 2),)),
    "flip": ((rand((2, 3)),), ((-1,),)),
    "getitem": ((rand((3, 4)),), (FANCY, False, 2)),
    "index_add": ((rand((3,)),), (FANCY, (3, 4), False, 1)),
    "take_along_axis": ((rand((3, 4)),), (IDX, -1)),
    "along_axis_add": ((rand((3, 3)),), (IDX, -1, (3, 4))),
    "concatenate": ((rand((2, 3), 1), rand((1, 3), 2), rand((2, 3), 3)), (-2,)),
    "pad": ((rand((2, 3)),), (((1, 0), (0, 2)), 0.5)),
    "sum": ((rand((2, 3, 2)),), ((-3, -1), False)),
    "amax": ((distinct((2, 3)),), ((-1,), True)),
    "amin": ((distinct((2, 3)),), ((-2,), False)),
    "prod": ((_PROD_X,), ((-1,), False)),
    "cumsum": ((rand((2, 3)),), (-1,)),
    "matmul": ((rand((2, 2, 3), 1), rand((3, 2), 2)), ()),
    "swapaxes": ((rand((2, 3, 2)),), ()),
    "einsum": ((rand((2, 3), 1), rand((3, 3), 2)), ((("ij", "jj"), "ij"),)),
    # (N, C, H, W) = (2, 3, 4, 5), kernel (2, 3), stride (2, 1), asymmetric padding, dilation
    # (1, 2): windows (C, kH, kW, N, oH, oW) = (3, 2, 3, 2, 2, 2); padded positions hold 0.5
    # (the forward rule pads 0).
    "unfold": ((rand((2, 3, 4, 5)),), ((4, 5), (2, 3), (2, 1), ((1, 0), (0, 1)), (1, 2), 0.5)),
    "fold": ((rand((3, 2, 3, 2, 2, 2)),), ((4, 5), (2, 3), (2, 1), ((1, 0), (0, 1)), (1, 2))),
}



def _merge_family_cases():
    from tests import primitives as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("cases_"):
            extra = importlib.import_module(f"tests.primitives.{info.name}").CASES
            twice = sorted(set(extra) & set(CASES))
            if twice:
                raise ValueError(f"{info.name}: cases defined twice: {twice}")
            CASES.update(extra)


_merge_family_cases()


def test_every_primitive_is_covered():
    differentiable = {name for name, p in REGISTRY.items() if p.vjp is not None}
    missing = sorted(differentiable - set(CASES))
    assert not missing, f"differentiable primitives without a test case here: {missing}"
    stale = sorted(set(CASES) - differentiable)
    assert not stale, f"cases for primitives that are not (or no longer) differentiable: {stale}"


# Inputs and parameters of the non-differentiable primitives that need their own (a check).
_NONDIFF_CALLS = {"linalg_check": (lambda: (cr.tensor(np.eye(2), requires_grad=True),),
                                   ("phase", "svd", "", np.dtype(np.float64)))}


def test_nondifferentiable_primitives_record_no_graph():
    for name, p in REGISTRY.items():
        if p.vjp is None:
            nin = p.nin or 1
            args = [cr.tensor(np.array([1, 2]) > 1) for _ in range(nin)] \
                if name.startswith(("logical", "bitwise")) or name == "invert" else \
                [cr.tensor([1.0, 2.0], requires_grad=True) for _ in range(nin)]
            params = ()
            if name in _NONDIFF_CALLS:
                make, params = _NONDIFF_CALLS[name]
                args = make()
            out = apply(p, tuple(args), params)
            assert out.requires_grad is False, name


def _apply(name, params):
    prim = REGISTRY[name]
    return lambda *xs: apply(prim, xs, params)


@pytest.mark.parametrize("name", CASES)
def test_primitive_gradcheck(name):
    inputs, params = CASES[name]
    check_grads(_apply(name, params), *inputs)


@pytest.mark.parametrize("name", CASES)
def test_case_exercises_its_primitive(name):
    inputs, params = CASES[name]
    xs = [cr.tensor(a, requires_grad=a.dtype.kind in "fc") for a in inputs]
    out = _apply(name, params)(*xs)
    assert name in prims_in_graph(out)


def _float(a):
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def _randn(r, shape, like):
    x = r.standard_normal(shape)
    return x + 1j * r.standard_normal(shape) if np.iscomplexobj(like) else x


def _dot(a, b):
    """The real inner product Re(sum(conj(a) b)) under which the reverse rules are adjoints
    (complex numbers as pairs of reals; for real arrays the usual sum(a b))."""
    return np.real(np.sum(np.conj(a) * b))


@pytest.mark.parametrize("name", CASES)
def test_jvp_and_vjp_are_transposes(name):
    """<u, J t> computed by the forward rules equals <J^T u, t> by the reverse rules (rules
    called directly on raw arrays, as the engine calls them without create_graph). With complex
    data <a, b> is Re(sum(conj(a) b)): the reverse rule is the adjoint of the forward rule with
    complex numbers taken as pairs of reals."""
    from chainrule.primitives.reduction import sum_to

    prim = REGISTRY[name]
    assert prim.jvp is not None, f"{name} has a reverse rule but no forward rule"
    inputs, params = CASES[name]
    out = prim.impl(*inputs, *params)
    saved = (prim.saver(inputs, out) if prim.saver else ()) + tuple(params)
    r = np.random.default_rng(0)
    u = _randn(r, out.shape, out)
    jt, vju = 0.0, 0.0
    for i, x in enumerate(inputs):
        if not _float(x):
            continue
        t = _randn(r, x.shape, x)
        ji = np.asarray(prim.jvp[i](t, *saved))
        jt += _dot(u, np.broadcast_to(ji, out.shape))
        gi = np.asarray(prim.vjp[i](u, *saved))
        if gi.shape != x.shape:
            gi = np.asarray(sum_to(gi, x.shape))
        assert gi.dtype.kind == x.dtype.kind, f"{name}: gradient dtype {gi.dtype} for {x.dtype}"
        vju += _dot(gi, t)
    np.testing.assert_allclose(jt, vju, rtol=1e-10, atol=1e-12)
