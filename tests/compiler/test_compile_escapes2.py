"""``chainrule.compile`` of more library functions that read a traced value's array in Python
(sorting and histograms, reductions, linalg, nn.functional, scipy.stats): each, compiled once
and called on two inputs with different values, equals eager execution on both with one trace,
or is refused with a ``TracingError`` naming it (the result's shape depends on the values, or
the values are checked or used by NumPy in Python). Before, several of them silently repeated
the first call's values (a plain view of the traced array computed constants).
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.compiler._helpers import T, arrays, same_as_eager

import chainrule as cr
import chainrule.numpy as cnp
import chainrule.scipy.stats as cst
from chainrule import TracingError

F = cr.nn.functional
X = np.array([[0.5, -1.0, 3.0, 0.0], [2.0, 2.0, -4.0, 1.5], [0.0, 7.0, 1.0, -0.5]])
Y = np.array([[1.5, 0.0, -3.0, 2.0], [0.0, 0.0, 4.0, -1.5], [6.0, -7.0, 0.0, 0.5]])
V1, V2 = np.array([1.0, -2.0, 3.0]), np.array([-1.0, 2.0, -30.0])
SEQ = np.array([0.0, 1.0, 2.0, 5.0])
A1 = np.array([[2.0, 1.0], [0.0, 3.0]])
A2 = np.array([[0.0, 1.0], [-1.0, 0.0]])  # complex eigenvalues
S1 = np.array([[2.0, 1.0], [1.0, -3.0]])
S2 = np.array([[-1.0, 0.5], [0.5, 4.0]])


def _differ(f, a, b):
    """The two calls of a test must differ eagerly, or the test could not catch a constant."""
    ra, rb = arrays(f(*[T(x) for x in a])), arrays(f(*[T(x) for x in b]))
    assert any(x.shape != y.shape or not np.array_equal(x, y) for x, y in zip(ra, rb))


TRACED = [
    # sorting: searchsorted / bucketize / isin are primitives with both operands as inputs
    ("searchsorted", lambda s, v: cr.searchsorted(s, v), [(SEQ, V1), (SEQ + 1, V2)]),
    ("searchsorted_right", lambda s, v: cr.searchsorted(s, v, right=True, out_int32=True),
     [(SEQ, np.array([1.0, 5.0])), (SEQ - 2, np.array([1.0, 5.0]))]),
    ("searchsorted_rows", lambda s, v: cr.searchsorted(s, v, side="right"),
     [(np.stack([SEQ, -SEQ[::-1]]), np.array([[0.5, 2.0], [-1.0, 0.0]])),
      (np.stack([SEQ * 2, SEQ]), np.array([[0.5, 9.0], [1.0, 3.0]]))]),
    ("searchsorted_sorter", lambda s, i, v: cr.searchsorted(s, v, sorter=i),
     [(np.array([3.0, 1.0, 2.0]), np.array([1, 2, 0]), V1),
      (np.array([3.0, 1.0, 2.0]), np.array([1, 2, 0]), V2)]),
    ("bucketize", lambda v, b: cr.bucketize(v, b), [(V1, SEQ), (V2, SEQ * 3)]),
    ("bucketize_right", lambda v: cr.bucketize(v, SEQ, right=True), [(V1,), (V2,)]),
    ("isin", lambda e, t: cr.isin(e, t), [(X, np.array([0.0, 2.0])), (Y, np.array([0.0, 2.0]))]),
    ("bincount_weights", lambda w: cr.bincount(np.array([0, 2, 2]), w), [(V1,), (V2,)]),
    ("isin_invert", lambda e: cr.isin(e, np.array([0.0, 2.0]), invert=True), [(X,), (Y,)]),
    # reductions: masks and counts with primitives
    ("all", lambda x: cr.all(x, 1), [(X,), (Y,)]),
    ("any", lambda x: cr.any(x, 0, keepdim=True), [(X * (X > 1),), (Y * (Y > 1),)]),
    ("all_uint8", lambda x: cr.all(x), [(np.array([1, 2], np.uint8),),
                                        (np.array([1, 0], np.uint8),)]),
    ("count_nonzero", lambda x: cr.count_nonzero(x, 1), [(X,), (Y,)]),
    ("norm_zero", lambda x: cr.norm(x, 2, 1), [(X * (X > 1),), (Y * (Y > 1),)]),
    ("norm_p3", lambda x: cr.norm(x, 3, 1), [(X * (X > 1),), (Y * (Y > 1),)]),
    ("renorm", lambda x: cr.renorm(x, 2, 0, 3.0), [(X,), (Y / 4,)]),
    ("cnp.sum_where", lambda x, w: cnp.sum(x, axis=1, where=w), [(X, X > 0), (X, Y > 0)]),
    ("cnp.mean_where", lambda x, w: cnp.mean(x, where=w), [(X, X > 0), (X, Y > 0)]),
    ("cnp.var_where", lambda x, w: cnp.var(x, axis=0, where=w, ddof=1),
     [(X, X != 0), (X, Y != 0)]),
    ("cnp.max_where", lambda x, w: cnp.max(x, axis=1, where=w, initial=-10.0),
     [(X, X > 0), (X, Y > 0)]),
    ("cnp.max_initial", lambda x: cnp.max(x, axis=1, initial=2.5), [(X,), (Y,)]),
    ("cnp.std", lambda x: cnp.std(x, axis=0), [(X * 0,), (Y,)]),
    ("cnp.nansum", lambda x: cnp.nansum(x, axis=1),
     [(np.where(X > 2, np.nan, X),), (np.where(Y > 2, np.nan, Y),)]),
    ("cnp.nanmean", lambda x: cnp.nanmean(x), [(np.where(X > 2, np.nan, X),),
                                              (np.where(Y > 2, np.nan, Y),)]),
    ("cnp.nanmax", lambda x: cnp.nanmax(x, axis=0),
     [(np.where(X > 2, np.nan, X),), (np.where(Y > 1, np.nan, Y),)]),
    # linalg
    ("eig", lambda a: cnp.linalg.eig(a), [(A1,), (A2,)]),
    ("eigvals", lambda a: cnp.linalg.eigvals(a), [(A1,), (A2,)]),
    ("svd_hermitian", lambda a: cnp.linalg.svd(a, hermitian=True), [(S1,), (S2,)]),
    ("svdvals_hermitian", lambda a: cnp.linalg.svd(a, hermitian=True, compute_uv=False),
     [(S1,), (S2,)]),
    ("slogdet", cr.slogdet, [(A1,), (np.array([[0.0, 1.0], [1.0, 0.0]]),),
                             (np.array([[1.0, 2.0], [2.0, 4.0]]),)]),  # det < 0, det = 0
    ("cnp.slogdet", cnp.linalg.slogdet, [(A1,), (np.array([[0.0, 1.0], [1.0, 0.0]]),),
                                         (np.array([[1.0, 2.0], [2.0, 4.0]]),)]),
    ("linalg.norm_0", lambda x: cnp.linalg.norm(x, 0, axis=1), [(X,), (Y,)]),
    ("linalg.norm_3", lambda x: cnp.linalg.norm(x, 3, axis=1), [(X * (X > 1),), (Y * (Y > 1),)]),
    ("linalg.norm_2", lambda x: cnp.linalg.norm(x, axis=1), [(X * (X > 1),), (Y * (Y > 1),)]),
    # nn.functional: masks as tensor comparisons
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), [(V1,), (V2,)]),
    ("elu", F.elu, [(V1,), (V2,)]),
    ("celu", F.celu, [(V1,), (V2,)]),
    ("selu", F.selu, [(V1,), (V2,)]),
    ("prelu", lambda x: F.prelu(x, np.array([0.2])), [(V1,), (V2,)]),
    ("softplus", lambda x: F.softplus(x, threshold=2.0), [(V1,), (V2,)]),
    ("threshold", lambda x: F.threshold(x, 0.5, 2.0), [(V1,), (V2,)]),
    ("normalize", lambda x: F.normalize(x, dim=1), [(X * (X > 1),), (Y * (Y > 1),)]),
    ("normalize_p3", lambda x: F.normalize(x, p=3, dim=1), [(X * (X > 1),), (Y * (Y > 1),)]),
    ("normalize_p0", lambda x: F.normalize(x, p=0, dim=1), [(X,), (Y,)]),
    ("pairwise_distance_p0", lambda x: F.pairwise_distance(x, np.zeros((1, 4)), p=0,
                                                                 eps=0.0),
     [(X,), (Y,)]),
    ("smooth_l1_loss", lambda x: F.smooth_l1_loss(x, np.zeros(3), reduction="none"),
     [(V1 / 4,), (V2,)]),
    ("huber_loss", lambda x: F.huber_loss(x, np.zeros(3), reduction="none"), [(V1 / 4,), (V2,)]),
    ("poisson_nll_loss", lambda t: F.poisson_nll_loss(np.ones(3), t, log_input=True, full=True,
                                                      reduction="none"),
     [(np.array([0.5, 2.0, 3.0]),), (np.array([3.0, 0.0, 1.0]),)]),
    ("multi_margin_loss", lambda x: F.multi_margin_loss(x, np.array([1, 0, 3]), reduction="none"),
     [(X,), (Y,)]),
    ("soft_margin_loss", lambda x: F.soft_margin_loss(x, np.ones((3, 4)), reduction="none"),
     [(X * 20,), (Y * 20,)]),
    ("attention_masked", lambda q, m: F.scaled_dot_product_attention(q, q, q, attn_mask=m),
     [(X[None], np.array([[True] * 3, [False] * 3, [True, False, True]])),
      (X[None], np.array([[False] * 3, [True] * 3, [True, True, False]]))]),
    # scipy.stats: the masks of valid parameters and of the support
    ("norm.logpdf", lambda x, s: cst.norm.logpdf(x, 1.0, s),
     [(V1, np.array(2.0)), (V2, np.array(-1.0))]),
    ("expon.logpdf", lambda x: cst.expon.logpdf(x), [(V1,), (V2,)]),
    ("gamma.logpdf", lambda x, a: cst.gamma.logpdf(x, a), [(V1, np.array(2.0)),
                                                    (np.array([0.0, 2, 3]), np.array(0.5))]),
    ("beta.cdf", lambda x: cst.beta.cdf(x, 2.0, 3.0), [(V1 / 4,), (V2 / 4 + 0.5,)]),
    ("norm.ppf", lambda q: cst.norm.ppf(q), [(np.array([0.1, 0.5, 1.0]),),
                                            (np.array([0.0, 2.0, 0.25]),)]),
    ("poisson.logpmf", lambda k, mu: cst.poisson.logpmf(k, mu),
     [(np.array([0.0, 1.0, 2.5]), np.array(2.0)),
      (np.array([3.0, -1.0, 2.0]), np.array(-1.0))]),
    ("binom.cdf", lambda k, n: cst.binom.cdf(k, n, 0.3),
     [(np.array([0.0, 1.0, 2.0]), np.array(4.0)),
      (np.array([3.0, -1.0, 5.0]), np.array(2.5))]),
]


@pytest.mark.parametrize("name, f, calls", TRACED, ids=[t[0] for t in TRACED])
def test_traced(name, f, calls):
    _differ(f, calls[0], calls[1])
    exact = name not in ("svd_hermitian", "svdvals_hermitian")
    same_as_eager(f, *calls, exact=exact)


def test_traced_gradients():
    for f, a, b in [
        (lambda x: cnp.sum(cnp.nansum(x, axis=1) ** 2), np.where(X > 2, np.nan, X),
         np.where(Y > 2, np.nan, Y)),
        # the second call has a zero row, where the gradient is 0 (not nan): the mask is traced
        (lambda x: cr.sum(cr.norm(x, 2, 1)), Y * (Y > 1), X * (X > 2.5)),
        (lambda x: cr.sum(cr.norm(x, 3, 1)), Y * (Y > 1), X * (X > 2.5)),
        (lambda x: cnp.sum(cnp.linalg.norm(x, axis=1)), Y * (Y > 1), X * (X > 2.5)),
        (lambda x: cnp.sum(cnp.linalg.norm(x, 3, axis=1)), Y * (Y > 1), X * (X > 2.5)),
        (lambda x: cnp.sum(cnp.std(x, axis=1)), Y, X * (X > 2.5)),
        (lambda x: cr.sum(F.normalize(x, dim=1)[:, 0]), Y * (Y > 1), X * (X > 2.5)),
        (lambda x: cr.sum(F.elu(x) * x), V1, V2),
        (lambda x: cr.sum(cst.gamma.logpdf(x, 2.0)), V1, np.abs(V2)),
        (lambda a: cr.sum(cnp.linalg.svd(a, hermitian=True, compute_uv=False)), S1, S2),
    ]:
        g = cr.compile(cr.grad(f))
        for x in (a, b):
            want = cr.grad(f)(x)
            assert np.all(np.isfinite(want))
            np.testing.assert_allclose(g(x), want, rtol=1e-12)
        assert g.traces == 1


@pytest.mark.parametrize("name, f, args", [
    ("unique_consecutive", lambda x: cr.unique_consecutive(x), (X,)),
    ("unique", lambda x: cr.unique(x), (X,)),
    ("histc", lambda x: cr.histc(x, 4), (X,)),
    ("bincount", lambda i: cr.bincount(i), (np.array([0, 2, 2]),)),
    ("histogram", lambda x: cr.histogram(x, 3), (V1,)),
    ("histogramdd", lambda x: cr.histogramdd(x, 2), (X,)),
    ("quantile", lambda x, q: cr.quantile(x, q), (X, np.array([0.5]))),
    ("gradient", lambda x, s: cr.gradient(x, spacing=(s,), dim=0), (V1, np.array([0., 1., 3.]))),
    ("percentile", lambda x, q: cnp.percentile(x, q), (X, np.array([50.0]))),
    ("quantile", lambda x, q: cnp.quantile(x, q), (X, np.array([0.5]))),
    ("bincount", lambda i: cnp.bincount(i), (np.array([0, 2, 2]),)),
    ("average with weights", lambda x, w: cnp.average(x, weights=w), (V1, V1 * 0 + 1)),
    ("lu", lambda a: cr.linalg.lu_factor(a), (A1,)),
    ("linalg.inv_ex", lambda a: cr.linalg.inv_ex(a), (A1,)),
    ("linalg.solve_ex", lambda a: cr.linalg.solve_ex(a, np.ones(2)), (A1,)),
    ("lu_solve", lambda p: cr.linalg.lu_solve(T(A1), p, np.ones((2, 1))),
     (np.array([1, 2], np.int32),)),
    ("linalg.matrix_rank", lambda t: cr.linalg.matrix_rank(T(A1), rtol=t), (np.array(0.1),)),
    ("linalg.pinv", lambda t: cr.linalg.pinv(T(A1), atol=t), (np.array(0.1),)),
    ("embedding_bag", lambda i: F.embedding_bag(i, np.ones((4, 2)), np.array([0, 1])),
     (np.array([0, 3, 1]),)),
    ("ctc_loss", lambda t: F.ctc_loss(np.log(np.full((3, 1, 2), 0.5)), t, np.array([3]),
                                      np.array([1])), (np.array([[1]]),)),
    ("fractional_max_pool2d", lambda s: F.fractional_max_pool2d(
        np.ones((1, 1, 4, 4)), 2, output_size=2, _random_samples=s), (np.full((1, 1, 2), .5),)),
    ("dirichlet", lambda x: cst.dirichlet.logpdf(x, np.array([1.0, 2.0])),
     (np.array([0.25, 0.75]),)),
    ("yn", lambda n: cr.scipy.special.yn(n, np.array([1.0])), (np.array(2.0),)),
])
def test_refused(name, f, args):
    with pytest.raises(TracingError, match=name):
        cr.compile(f)(*args)


def test_batch_norm_running_stats_refused():
    # running statistics are state updated in place: a trace cannot record that
    rm, rv = np.zeros(2), np.ones(2)
    with pytest.raises(TracingError, match="batch_norm"):
        cr.compile(lambda x: F.batch_norm(x, rm, rv, training=True))(X[:, :2])
    # in evaluation, nothing is updated
    same_as_eager(lambda x: F.batch_norm(x, rm, rv, training=False), (X[:, :2],), (Y[:, :2],))


def test_eager_unchanged():
    # raw NumPy in, raw NumPy out (as before); tensors in, tensors out
    r = cr.searchsorted(SEQ, V1)
    assert type(r) is np.ndarray and r.dtype == np.int64
    np.testing.assert_array_equal(r, np.searchsorted(SEQ, V1))
    r = cr.bucketize(T(V1), T(SEQ), out_int32=True)
    assert isinstance(r, cr.Tensor) and r.dtype == np.int32 and not r.requires_grad
    with pytest.raises(ValueError, match="boundaries must be 1-D"):
        cr.bucketize(V1, np.ones((2, 2)))
    with pytest.raises(ValueError, match="leading dims"):
        cr.searchsorted(np.ones((2, 3)), np.ones((3, 1)))
    np.testing.assert_array_equal(cr.isin(X, np.array([0.0])), np.isin(X, [0.0]))
    assert cr.count_nonzero(T(X)).dtype == np.int64
    with pytest.raises(ZeroDivisionError, match="weights sum to zero"):
        cnp.average(T(V1), weights=T(np.zeros(3)))
