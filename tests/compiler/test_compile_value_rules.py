"""Derivative rules that look at values (masks, repeated eigenvalues, singular matrices) under
``chainrule.compile``: where the values are known (eager) they keep their fast special cases;
while traced they use a formula right for all values, and their value checks run as kernels in
the compiled program, at each call (primitives ``is_concrete``, ``decompositions.CHECK``).

Each compiled derivative is compared with the eager one at the special values (ties, NaN,
zeros, a singular matrix, repeated eigenvalues) and at ordinary ones, with ONE trace, so that
nothing of the first call's values is frozen into the program.
"""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.scipy import special as sp

cnp = cr.numpy
LinAlgError = np.linalg.LinAlgError


def _both(f, argnums, inputs):
    """The compiled gradient (compile(grad)) and the compiled backward (grad(compile)) agree
    with the eager gradient at each input set, each from a single trace."""
    cg, fc = cr.compile(cr.grad(f, argnums)), cr.compile(f)
    for xs in inputs:
        want = cr.grad(f, argnums)(*xs)
        for got in (cg(*xs), cr.grad(fc, argnums)(*xs)):
            for g, w in zip(got if isinstance(got, tuple) else (got,),
                            want if isinstance(want, tuple) else (want,)):
                np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
    assert cg.traces == 1 and fc.traces == 1


@pytest.mark.parametrize("fn", [cnp.fmax, cnp.fmin])
def test_fmax_fmin_ties_and_nan(fn):
    x = np.array([1.0, 2.0, np.nan, 3.0, np.nan])
    y = np.array([1.0, 3.0, 1.0, np.nan, np.nan])
    _both(lambda x, y: cnp.sum(fn(x, y) * np.arange(1.0, 6.0)), (0, 1), [(x, y), (y, x)])


@pytest.mark.parametrize("fn, edge", [(sp.xlogy, 0.0), (sp.xlog1py, -1.0)])
def test_xlogy_at_zero(fn, edge):
    # x = 0 with y at the edge of the domain: derivative 0 in x (eagerly a special case)
    x, y = np.array([0.0, 0.0, 1.0]), np.array([edge, edge + 2.0, edge + 0.5])
    f = lambda x, y: cnp.sum(fn(x, y))  # noqa: E731
    _both(f, 0, [(x, y), (x[::-1].copy(), y[::-1].copy())])
    np.testing.assert_array_equal(cr.compile(cr.grad(f))(x, y)[0], 0.0)


def test_det_singular_and_regular_in_one_trace():
    singular = np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]]])
    f = lambda a: cnp.sum(cnp.linalg.det(a) * np.array([1.0, -2.0]))  # noqa: E731
    _both(f, 0, [(singular,), (singular[::-1].copy(),), (singular + 0.5,)])
    # the cofactor matrix at the singular one: [[4, -2], [-2, 1]]
    np.testing.assert_allclose(cr.compile(cr.grad(f))(singular)[0], [[4.0, -2.0], [-2.0, 1.0]])
    # the forward rule too (compile(jacfwd) traces it)
    jf = cr.compile(cr.jacfwd(f))
    for a in (singular, singular + 0.5):
        np.testing.assert_allclose(jf(a), cr.jacfwd(f)(a), rtol=1e-12, atol=1e-12)
    assert jf.traces == 1


def test_det_complex_singular_raises_when_compiled():
    f = lambda a: cnp.real(cnp.linalg.det(a))  # noqa: E731
    cg = cr.compile(cr.grad(f))
    regular = np.array([[1.0, 2.0 + 1j], [3.0, 4.0]])
    np.testing.assert_allclose(cg(regular), cr.grad(f)(regular), rtol=1e-12)
    with pytest.raises(LinAlgError, match="singular complex matrix"):
        cg(np.array([[1.0, 2.0], [2.0, 4.0]], dtype=complex))


def test_eigh_checks_run_in_the_compiled_program():
    repeated, distinct = np.diag([1.0, 1.0, 2.0]), np.diag([1.0, 1.5, 2.0])
    # symmetric in the repeated values: a gradient exists, compiled as eagerly
    _both(lambda a: cnp.sum(cnp.linalg.eigvalsh(a) ** 2), 0, [(repeated,), (distinct,)])
    # one of them alone: no gradient; the compiled program checks at each call
    cg = cr.compile(cr.grad(lambda a: cnp.linalg.eigvalsh(a)[0]))
    np.testing.assert_allclose(cg(distinct), np.diag([1.0, 0.0, 0.0]))
    with pytest.raises(LinAlgError, match="eigh: the gradient is not defined"):
        cg(repeated)
    assert cg.traces == 1


def test_eig_vectors_of_repeated_eigenvalues_raise_when_compiled():
    f = lambda a: cnp.real(cnp.sum(cnp.linalg.eig(a)[1] * np.arange(9.0).reshape(3, 3)))  # noqa: E731,E501
    cg = cr.compile(cr.grad(f))
    distinct = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 0.5], [0.0, 0.0, 5.0]])
    np.testing.assert_allclose(cg(distinct), cr.grad(f)(distinct), rtol=1e-10, atol=1e-12)
    with pytest.raises(LinAlgError, match="eigenvectors of repeated eigenvalues"):
        cg(np.diag([1.0, 1.0, 2.0]))
    # symmetric functions of the repeated eigenvalues are fine there (compile(grad) only:
    # grad(compile(f)) traces f without gradients first, where eig calls NumPy)
    g = lambda a: cnp.real(cnp.sum(cnp.linalg.eig(a)[0] ** 2))  # noqa: E731
    cg = cr.compile(cr.grad(g))
    for a in (np.diag([1.0, 1.0, 2.0]), distinct):
        np.testing.assert_allclose(cg(a), cr.grad(g)(a), rtol=1e-12, atol=1e-12)
    assert cg.traces == 1


def test_svd_phase_check_runs_in_the_compiled_program():
    r = np.random.default_rng(0)
    a = r.standard_normal((3, 3)) + 1j * r.standard_normal((3, 3))
    phase = cr.compile(cr.grad(lambda a: cnp.real(cnp.linalg.svd(a)[0][0, 0])))
    with pytest.raises(LinAlgError, match="phase of complex singular vector pair"):
        phase(a)
    # |u|^2 does not depend on the phase
    _both(lambda a: cnp.sum(cnp.abs(cnp.linalg.svd(a)[0][0]) ** 2), 0, [(a,), (a.T.copy(),)])


def test_svd_forward_rule_at_repeated_values_traces():
    # svdvals' cluster mean and the rotation inside clusters, traced (compile(jacfwd))
    f = lambda a: cnp.sum(cnp.linalg.svd(a, compute_uv=False) ** 3)  # noqa: E731
    cf = cr.compile(cr.jacfwd(f))
    for a in (np.diag([1.0, 1.0, 2.0]), np.diag([1.0, 1.5, 2.0]) + 0.1):
        np.testing.assert_allclose(cf(a), cr.jacfwd(f)(a), rtol=1e-12, atol=1e-12)
    assert cf.traces == 1
