"""Every transform composes with every other, in both modes, with respect to every array it
takes: the proof, primitive by primitive and function by function.

For every differentiable primitive of the table (the cases of
tests/primitives/test_primitive_table.py, with its cases_*.py families) and every
differentiable entry of the NumPy/SciPy coverage table (tools/numpy_coverage.py, at the
sample it is probed at), tests/functional/_composition.py checks eight second-order
compositions against central differences of the first-order quantity:

- f as a function of x: jvp of jvp, vjp of jvp, jvp of vjp, vjp of vjp;
- the jvp (x, v) -> J(x) v as a function of the primal and the tangent: jvp of it, vjp of it;
- the vjp (x, u) -> J(x)^T u as a function of the primal and the cotangent: jvp, vjp of it.

Each check draws random directions and weights and compares one number, so the default run
does all eight for every case (about 20 s of one core). The full sweep,
``CHAINRULE_FULL=1 python -m pytest tests/functional/test_composition.py`` (about 90 s), adds
two more random draws per case and the third order: w^T D3 f[a, b, c] by all eight nestings of
three transforms (fff ... rrr), against central differences of the second-order form.

A planted rule that is right to first order but drops its dependence on the cotangent (or on
the tangent) when it is differentiated again passes gradcheck and is flagged here.
"""

from __future__ import annotations

import itertools
import math
import os

import numpy as np
import pytest
from tests.functional._composition import CHECKS, Composition, symmetric
from tests.helpers import check_grads
from tests.primitives.test_primitive_table import CASES
from tools import numpy_coverage as _coverage
from tools.numpy_coverage import _quiet

import chainrule as cr
from chainrule.autograd import forward_ad as fwad
from chainrule.autograd import gradcheck
from chainrule.autograd.dispatch import is_tensor
from chainrule.primitives import REGISTRY
from chainrule.primitives._core import Primitive, apply
from chainrule.primitives.elementwise import cos

FULL = os.environ.get("CHAINRULE_FULL", "") not in ("", "0")
SEEDS = (0, 1, 2) if FULL else (0,)

# Third order of these is refused by design, with a NotImplementedError that says which orders
# are provided (docs: the order derivatives of the Bessel functions, gammainc's shape).
THIRD_ORDER_REFUSED = {
    "gammainc_da", "scipy.special.iv", "scipy.special.ive", "scipy.special.jv",
    "scipy.special.kv", "scipy.special.kve", "scipy.special.yv",
}




# --- the cases ------------------------------------------------------------------------------------
def _primitive_case(name):
    """(function of the differentiated inputs, those inputs) for a primitive-table case."""
    inputs, params = CASES[name]
    prim = REGISTRY[name]
    diff = [k for k, a in enumerate(inputs) if isinstance(a, np.ndarray) and a.dtype.kind in "fc"]

    def fn(*xs):
        full = list(inputs)
        for k, x in zip(diff, xs):
            full[k] = x
        return apply(prim, tuple(full), params)

    return fn, [inputs[k] for k in diff], None


def _coverage_case(row):
    """(function of the float arguments, their values, direction projections) for a row of the
    coverage table, as its probe calls it."""
    s = _coverage._Scalarised(row.fn, row.args)
    xs = [_coverage._get(row.args, slot) for slot in s.slots]
    project = [symmetric if isinstance(_coverage._arg(row.args, slot), _coverage.Sym) else None
               for slot in s.slots]

    def fn(*floats):
        return row.fn(*s.full(floats))

    return fn, xs, project


@pytest.fixture(scope="module")
def coverage_rows():
    rows = [r for rs in _coverage.rows().values() for r in rs
            if r.reverse in ("yes", "yes (0)")]
    assert len(rows) > 300 and all(r.fn is not None for r in rows)
    return rows


SHARDS = 8


def _shard(rows, k):
    return [r for i, r in enumerate(rows) if i % SHARDS == k]


def _second_order_failures(fn, xs, project, seeds=SEEDS):
    out = []
    for seed in seeds:
        with _quiet():
            c = Composition(fn, xs, project, seed=seed)
            if not c.differentiable:
                return ["no float output or input: nothing composed"]
            out += [f"seed {seed}: {f}" for f in c.failures(CHECKS)]
    return out


def _third_order_failures(name, fn, xs, project):
    with _quiet():
        c = Composition(fn, xs, project, seed=3)
        ref = c.chain_reference(3)
        out = []
        for modes in ("".join(m) for m in itertools.product("fr", repeat=3)):
            try:
                got = c.chain(modes)
            except NotImplementedError as e:
                if name in THIRD_ORDER_REFUSED and "not provided" in str(e):
                    continue
                out.append(f"{modes}: raised NotImplementedError: {e}")
                continue
            except Exception as e:  # noqa: BLE001 - reported
                out.append(f"{modes}: raised {type(e).__name__}: {str(e)[:300]}")
                continue
            if not math.isclose(got, ref, rel_tol=1e-4, abs_tol=1e-5):
                out.append(f"{modes}: {got:.10g} vs finite differences {ref:.10g}")
    return out


# --- every primitive ------------------------------------------------------------------------------
def test_every_differentiable_primitive_is_composed():
    differentiable = {n for n, p in REGISTRY.items() if p.vjp is not None}
    assert differentiable <= set(CASES), sorted(differentiable - set(CASES))


@pytest.mark.parametrize("name", sorted(CASES))
def test_primitive_second_order_compositions(name):
    fn, xs, project = _primitive_case(name)
    bad = _second_order_failures(fn, xs, project)
    assert not bad, f"{name}:\n" + "\n".join(bad)


# --- every entry of the coverage table ------------------------------------------------------------
@pytest.mark.parametrize("shard", range(SHARDS))
def test_coverage_second_order_compositions(coverage_rows, shard):
    bad = []
    for row in _shard(coverage_rows, shard):
        with _quiet():
            fn, xs, project = _coverage_case(row)
        bad += [f"{row.name}: {f}" for f in _second_order_failures(fn, xs, project)]
    assert not bad, "\n".join(bad)


def test_coverage_shards_cover_every_entry(coverage_rows):
    names = [r.name for k in range(SHARDS) for r in _shard(coverage_rows, k)]
    assert sorted(names) == sorted(r.name for r in coverage_rows)


# --- the full sweep: third order --------------------------------------------------------------
if FULL:  # (defined only for the full sweep, so that the default run lists no skipped tests)

    @pytest.mark.parametrize("name", sorted(CASES))
    def test_primitive_third_order_compositions(name):
        fn, xs, project = _primitive_case(name)
        bad = _third_order_failures(name, fn, xs, project)
        assert not bad, f"{name}:\n" + "\n".join(bad)

    @pytest.mark.parametrize("shard", range(SHARDS))
    def test_coverage_third_order_compositions(coverage_rows, shard):
        bad = []
        for row in _shard(coverage_rows, shard):
            with _quiet():
                fn, xs, project = _coverage_case(row)
            bad += [f"{row.name}: {f}" for f in _third_order_failures(row.name, fn, xs, project)]
        assert not bad, "\n".join(bad)


# --- the check catches what first order cannot see ------------------------------------------------
def _plain(a):
    return a._data if is_tensor(a) else a


# Right on raw arrays (first order), but the recorded rule is detached from the cotangent: a
# derivative of the gradient with respect to the cotangent comes out zero.
PLANTED_VJP = Primitive("planted_sin", np.sin, save=(0,),
                        vjp=lambda g, x: _plain(g) * cos(x), jvp=lambda t, x: t * cos(x))
# The same for the forward rule and its tangent.
PLANTED_JVP = Primitive("planted_sin", np.sin, save=(0,),
                        vjp=lambda g, x: g * cos(x), jvp=lambda t, x: _plain(t) * cos(x))
X3 = np.array([0.3, -0.5, 1.1])


def test_planted_cotangent_bug_passes_gradcheck_and_is_flagged():
    def f(x):
        return apply(PLANTED_VJP, (x,), ())

    x = cr.tensor(X3.copy(), requires_grad=True)
    assert gradcheck(f, (x,))
    assert cr.jvp(f, (X3,), (np.ones(3),))[1] == pytest.approx(np.cos(X3))
    bad = Composition(f, [X3]).failures()
    assert [b.split(":")[0] + ":" + b.split(":")[1] for b in bad] == ["vjp:fr", "vjp:rr"], bad
    # the honest rule passes every check
    assert not Composition(cr.sin, [X3]).failures()


def test_planted_tangent_bug_passes_check_grads_and_is_flagged():
    """check_grads covers first and second order in reverse mode, forward mode and forward over
    reverse; only reverse over forward and forward over forward see the forward rule
    differentiated with respect to its tangent."""

    def f(x):
        return apply(PLANTED_JVP, (x,), ())

    check_grads(f, X3)
    bad = Composition(f, [X3]).failures()
    assert [b.split(":")[0] + ":" + b.split(":")[1] for b in bad] == ["jvp:ff", "jvp:rf"], bad


# --- regressions: traced cotangents and tangents ------------------------------------------------
def vjp_f(x, u):
    _, back = cr.vjp(cr.sin, x)
    return back(u)[0]


def test_jvp_of_vjp_with_respect_to_the_cotangent():
    assert float(cr.jvp(vjp_f, (0.7, 0.3), (0.0, 1.0))[1]) == pytest.approx(np.cos(0.7),
                                                                            rel=1e-14)
    assert float(cr.jvp(vjp_f, (0.7, 0.3), (1.0, 0.0))[1]) == pytest.approx(
        -0.3 * np.sin(0.7), rel=1e-14)
    assert float(cr.grad(vjp_f, 1)(0.7, 0.3)) == pytest.approx(np.cos(0.7), rel=1e-14)


def test_pullback_made_outside_differentiated_inside():
    _, back = cr.vjp(cr.sin, np.array([0.7, 0.2]))
    g = cr.grad(lambda u: cr.sum(back(u)[0] * u))(np.array([0.3, -1.0]))
    # (the pullback's own leaves are no closure: the result is a plain array)
    assert type(g) is np.ndarray
    np.testing.assert_allclose(g, 2 * np.cos([0.7, 0.2]) * [0.3, -1.0])
    t = cr.jvp(lambda u: back(u)[0], (np.array([0.3, -1.0]),), (np.array([1.0, 2.0]),))[1]
    np.testing.assert_allclose(t, np.cos([0.7, 0.2]) * [1.0, 2.0])


def test_tensor_face_cotangent_that_requires_grad():
    _, back = cr.vjp(cr.sin, 0.7)
    u = cr.tensor(0.3, requires_grad=True)
    g = back(u)[0]
    assert is_tensor(g) and g.requires_grad
    g.backward()
    assert float(u.grad) == pytest.approx(np.cos(0.7))


def test_linearize_differentiated_in_the_primal_and_the_tangent():
    def h(x, t):
        _, f_jvp = cr.linearize(cr.sin, x)
        return f_jvp(t)

    assert float(cr.grad(h, 0)(0.7, 2.0)) == pytest.approx(-2 * np.sin(0.7))
    _, f_jvp = cr.linearize(cr.sin, 0.7)  # made outside, differentiated inside
    g = cr.grad(lambda t: f_jvp(t) * t)(2.0)
    assert type(g) is np.float64 and float(g) == pytest.approx(4 * np.cos(0.7))
    assert float(cr.grad(h, 1)(0.7, 2.0)) == pytest.approx(np.cos(0.7))
    assert float(cr.jvp(h, (0.7, 2.0), (0.0, 1.0))[1]) == pytest.approx(np.cos(0.7))
    assert float(cr.jvp(h, (0.7, 2.0), (1.0, 0.0))[1]) == pytest.approx(-2 * np.sin(0.7))


def test_linearize_checks_the_number_of_tangents():
    _, f_jvp = cr.linearize(lambda x, y: x * y, 1.0, 2.0)
    with pytest.raises(ValueError, match="linearize: f_jvp got 1 tangent leaves for 2"):
        f_jvp(1.0)


_M = np.array([[0.7, -0.4, 0.2], [0.1, 0.5, -0.9]])


def _f(x):
    return cr.tanh(cr.matmul(_M, x))


def _jac(x):
    return (1 - np.tanh(_M @ x) ** 2)[:, None] * _M


@pytest.mark.parametrize("how", ["grad", "backward"])
def test_tensor_face_dual_grad_outputs_without_create_graph(how):
    """A cotangent that carries a tangent gives a gradient that carries J^T (its tangent)."""
    x0, u0, t0 = np.array([0.3, -0.8, 1.1]), np.array([0.4, -1.2]), np.array([1.0, 0.5])
    with fwad.dual_level():
        x = cr.tensor(x0, requires_grad=True)
        u = fwad.make_dual(cr.tensor(u0), cr.tensor(t0))
        if how == "grad":
            (g,) = cr.autograd.grad(_f(x), x, grad_outputs=u)
        else:
            _f(x).backward(u)
            g = x.grad
        p, t = fwad.unpack_dual(g)
    np.testing.assert_allclose(p._data, _jac(x0).T @ u0)
    np.testing.assert_allclose(t._data, _jac(x0).T @ t0)
    assert p._edge is None  # nothing recorded: create_graph was off


def test_tensor_face_traced_grad_outputs_under_create_graph():
    x0, u0 = np.array([0.3, -0.8, 1.1]), np.array([0.4, -1.2])
    x = cr.tensor(x0, requires_grad=True)
    u = cr.tensor(u0, requires_grad=True)
    (g,) = cr.autograd.grad(_f(x), x, grad_outputs=u * 2.0, create_graph=True)
    w = np.array([1.0, -2.0, 0.5])
    (gu,) = cr.autograd.grad((g * cr.tensor(w)).sum(), u)
    np.testing.assert_allclose(gu._data, 2 * _jac(x0) @ w)


def test_hook_sees_a_gradient_that_carries_tangents():
    seen = []
    with fwad.dual_level():
        x = cr.tensor(np.array([0.3, -0.8, 1.1]), requires_grad=True)
        y = _f(x)
        y.register_hook(lambda g: seen.append(fwad.unpack_dual(g).tangent))
        u = fwad.make_dual(cr.tensor(np.array([0.4, -1.2])), cr.tensor(np.array([1.0, 0.5])))
        y.backward(u)
    np.testing.assert_allclose(seen[0]._data, [1.0, 0.5])
    assert type(x.grad._data) is np.ndarray


def test_plain_pullback_records_nothing():
    """The cost rule: a cotangent nothing differentiates gives a gradient without a graph."""
    _, back = cr.vjp(_f, cr.tensor(np.array([0.3, -0.8, 1.1])))
    (g,) = back(np.array([0.4, -1.2]))
    assert is_tensor(g) and g._edge is None
    (g,) = back(cr.tensor(np.array([0.4, -1.2])))  # a constant tensor: nothing to record
    assert g._edge is None
    (g,) = back(cr.tensor(np.array([0.4, -1.2]), requires_grad=True))  # a traced one
    assert g._edge is not None
    _, back = cr.vjp(_f, np.array([0.3, -0.8, 1.1]))
    assert type(back(np.array([0.4, -1.2]))[0]) is np.ndarray
    assert type(back(cr.tensor(np.array([0.4, -1.2])))[0]) is not np.ndarray  # a tensor given
    _, f_jvp = cr.linearize(_f, np.array([0.3, -0.8, 1.1]))
    assert type(f_jvp(np.ones(3))) is np.ndarray


def test_jacobian_auto_mode_of_a_function_that_differentiates_itself():
    def g(x):
        p = cr.tensor(np.zeros(3), requires_grad=True)
        return cr.autograd.grad(cr.sum(_f(x + p) ** 2), p, create_graph=True)[0]

    x0 = np.array([0.3, -0.8, 1.1])
    J = cr.jacobian(g)(x0)
    np.testing.assert_allclose(J, cr.hessian(lambda x: cr.sum(_f(x) ** 2))(x0), rtol=1e-12)


@pytest.mark.parametrize("transform", ["grad", "vjp", "jacrev", "jacfwd", "jvp", "hessian"])
def test_closure_over_a_tensor_that_requires_grad(transform):
    """A transform's result stays differentiable with respect to a tensor the function reads
    from outside (a closure), on the Tensor face, as with torch.func and JAX."""
    x = np.array([0.3, 0.2])
    w = cr.tensor(0.5, requires_grad=True)

    def f(x):
        return cr.sin(x * w)

    if transform == "grad":
        r = cr.grad(lambda x: cr.sum(f(x)))(x)  # cos(x w) w
    elif transform == "vjp":
        r = cr.vjp(f, x)[1](np.ones(2))[0]
    elif transform == "jvp":
        r = cr.jvp(f, (x,), (np.ones(2),))[1]
    elif transform == "hessian":
        r = cr.hessian(lambda x: cr.sum(f(x)))(x)  # diag(-w^2 sin(x w))
    else:
        r = getattr(cr, transform)(f)(x)
    assert is_tensor(r) and r.requires_grad
    r.sum().backward()
    if transform == "hessian":
        expected = np.sum(-2 * 0.5 * np.sin(0.5 * x) - 0.25 * x * np.cos(0.5 * x))
    else:
        expected = np.sum(np.cos(0.5 * x) - 0.5 * x * np.sin(0.5 * x))
    assert float(w.grad) == pytest.approx(expected, rel=1e-12)


def test_no_closure_no_graph():
    """The closure check costs no graph when nothing from outside is read."""
    x = np.array([0.3, 0.2])
    assert type(cr.grad(lambda x: cr.sum(cr.sin(x * 0.5)))(x)) is np.ndarray
    assert type(cr.jacrev(lambda x: cr.sin(x * 0.5))(x)) is np.ndarray
    w = cr.tensor(0.5)  # does not require grad
    assert type(cr.grad(lambda x: cr.sum(cr.sin(x * w)))(x)) is np.ndarray
