"""fixed_quad, trapezoid, simpson, cumulative_trapezoid: values against SciPy, derivatives."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.helpers import check_forward, check_grads

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import func
from chainrule.integrate import cumulative_trapezoid, fixed_quad, simpson, trapezoid

si = pytest.importorskip("scipy.integrate")

rng = np.random.default_rng(3)


@pytest.mark.parametrize("n", [1, 2, 5, 12])
def test_fixed_quad_matches_scipy_and_differentiates(n):
    f = lambda x, p: cnp.exp(-p * x) * cnp.sin(3 * x)  # noqa: E731
    got, none = fixed_quad(f, 0.2, 1.7, args=(0.8,), n=n)
    ref, _ = si.fixed_quad(lambda x: np.exp(-0.8 * x) * np.sin(3 * x), 0.2, 1.7, n=n)
    assert none is None and abs(got - ref) < 1e-14
    # derivative in b: the rule differentiated (f(b) only in the limit of many nodes)
    if n == 12:
        g = func.grad(lambda b: fixed_quad(f, 0.2, b, args=(0.8,), n=n)[0])(1.7)
        assert abs(g - math.exp(-0.8 * 1.7) * math.sin(5.1)) < 1e-10
    check_grads(lambda a, b, p: fixed_quad(f, a, b, args=(p,), n=n)[0],
                np.array(0.2), np.array(1.7), np.array(0.8))
    check_forward(lambda a, b, p: fixed_quad(f, a, b, args=(p,), n=n)[0],
                  np.array(0.2), np.array(1.7), np.array(0.8))


def test_fixed_quad_errors():
    with pytest.raises(ValueError, match="finite"):
        fixed_quad(cnp.sin, 0.0, math.inf)
    with pytest.raises(ValueError, match="vectorised"):
        fixed_quad(lambda x: 1.0, 0.0, 1.0)


SHAPES = [((7,), -1), ((6,), 0), ((3, 8), 1), ((5, 4), 0), ((2, 2), -1), ((3, 2, 9), -1)]


@pytest.mark.parametrize("shape,axis", SHAPES)
@pytest.mark.parametrize("xkind", ["none", "1d", "full"])
def test_rules_match_scipy(shape, axis, xkind):
    y = rng.standard_normal(shape)
    n = shape[axis]
    if xkind == "none":
        kw, ref_kw = {"dx": 0.3}, {"dx": 0.3}
    else:
        x1 = np.cumsum(rng.uniform(0.2, 1.0, n))
        x = x1 if xkind == "1d" else np.moveaxis(
            np.broadcast_to(x1, np.moveaxis(y, axis, -1).shape), -1, axis).copy()
        kw = ref_kw = {"x": x}
    for ours, theirs in [(trapezoid, si.trapezoid), (simpson, si.simpson)]:
        np.testing.assert_allclose(ours(y, axis=axis, **kw), theirs(y, axis=axis, **ref_kw),
                                   rtol=1e-13, atol=1e-14)
    for initial in (None, 0):
        np.testing.assert_allclose(
            cumulative_trapezoid(y, axis=axis, initial=initial, **kw),
            si.cumulative_trapezoid(y, axis=axis, initial=initial, **ref_kw), rtol=1e-13,
            atol=1e-14)


@pytest.mark.parametrize("n", [2, 3, 6, 7])
def test_rules_differentiate_in_y_and_x(n):
    y = rng.standard_normal(n)
    x = np.cumsum(rng.uniform(0.3, 1.0, n))
    for rule in (trapezoid, simpson):
        check_grads(lambda y, x, rule=rule: rule(y, x=x), y, x, atol=1e-6)
        check_forward(lambda y, x, rule=rule: rule(y, x=x), y, x)
    check_grads(lambda y, x: cumulative_trapezoid(y, x=x, initial=0), y, x, atol=1e-6)


def test_rules_on_tensors():
    y = cr.tensor(np.linspace(0.0, 1.0, 5) ** 2, requires_grad=True)
    s = simpson(y, dx=0.25)
    assert isinstance(s, cr.Tensor) and abs(s.item() - 1 / 3) < 1e-15
    s.backward()
    np.testing.assert_allclose(y.grad.numpy(), np.array([1, 4, 2, 4, 1]) * 0.25 / 3)


def test_rule_errors():
    with pytest.raises(ValueError, match="x has 3 points"):
        trapezoid(np.ones(4), x=np.arange(3.0))
    with pytest.raises(ValueError, match="initial"):
        cumulative_trapezoid(np.ones(4), initial=1.0)
    with pytest.raises(ValueError, match="axis"):
        simpson(np.ones(4), axis=2)
