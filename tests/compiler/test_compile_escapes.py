"""``chainrule.compile`` of library functions that used to read a traced value's array in
Python (``numpy.asarray(x._data)`` gives a plain view, which NumPy code turned into constants:
the compiled function silently repeated the first call's values).

Each function is either traced (its index normalised and bound-checked by recorded operations:
compiled once, called on two inputs with different values, it equals eager execution on both,
with one trace; gradients too where differentiable), or refused with a ``TracingError`` naming
it (functions whose result's shape or Python value depends on the values, or whose positions
are computed with NumPy).
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.compiler._helpers import T, same_as_eager

import chainrule as cr
import chainrule.numpy as cnp
from chainrule import TracingError

X = np.arange(12.0).reshape(3, 4)
Y = np.linspace(-2.0, 3.0, 12).reshape(3, 4)


def _same_grad(f, *calls):
    """The gradient (in the first argument) of ``compile(f)`` equals the eager one."""
    loss = lambda *a: cnp.sum(cnp.sin(f(*a)))  # noqa: E731
    g = cr.grad(cr.compile(loss))
    for args in calls:
        np.testing.assert_allclose(g(*args), cr.grad(loss)(*args), rtol=1e-12)


def _refuses(f, args, name):
    with pytest.raises(TracingError, match=name):
        cr.compile(f)(*args)


I0, I1 = np.array([0, 2]), np.array([3, -1])  # the second has a negative index


# --- traced ----------------------------------------------------------------------------------
def test_brief_reproductions_traced():
    # inside a compiled function the arguments are tensors (cr.tensor(x) would copy values)
    same_as_eager(lambda x, i: cr.index_select(x, 1, i), (X, np.array([0])), (X, np.array([2])))
    src = np.ones((3, 1))
    same_as_eager(lambda x, i: x.scatter_add(1, i, src), (X, np.array([[0], [1], [2]])),
          (X, np.array([[3], [1], [-1]])))
    same_as_eager(lambda x, i: x.scatter(1, i, src, reduce="add"),
          (X, np.array([[0], [1], [2]])), (X, np.array([[3], [1], [0]])))
    same_as_eager(lambda x, i: x.index_add(1, i, np.ones((3, 2)), alpha=2), (X, I0), (X, I1))
    same_as_eager(lambda x: x.new_tensor(x), (X,), (Y,))
    same_as_eager(lambda x: x.new_tensor(x, dtype=np.float32), (X,), (Y,))
    # a constant operand with a traced index
    same_as_eager(lambda i: cr.index_select(np.arange(5.0), 0, i), (np.array([0]),),
                  (np.array([3]),))
    same_as_eager(lambda i: cnp.take(np.arange(5.0), i), (np.array([0]),), (np.array([-2]),))


@pytest.mark.parametrize("name, f, calls", [
    ("index_select", lambda x, i: cr.index_select(x, 1, i), [(X, I0), (X, I1)]),
    ("index_select0", lambda x, i: cr.index_select(x, 0, i), [(X, np.array(1)), (X, np.array(-3))]),
    ("take", lambda x, i: cr.take(x, i), [(X, np.array([[0, 5]])), (X, np.array([[11, -12]]))]),
    ("gather", lambda x, i: cr.gather(x, 1, i),
     [(X, np.array([[0, 1], [2, 3], [0, 0]])), (X, np.array([[-1, 1], [3, -4], [2, 2]]))]),
    ("take_along_dim", lambda x, i: cr.take_along_dim(x, i, 1),
     [(X, np.array([[0], [2], [3]])), (X, np.array([[-1], [1], [0]]))]),
    ("take_along_dim_bcast", lambda x, i: cr.take_along_dim(x, i, 1),
     [(X, np.array([[0, 1]])), (X, np.array([[-1, 2]]))]),
    ("take_along_dim_flat", lambda x, i: cr.take_along_dim(x, i),
     [(X, np.array([0, 7])), (X, np.array([-1, 3]))]),
    ("scatter_reduce_sum", lambda x, i: cr.scatter_reduce(x, 0, i, np.ones((2, 4)), "sum"),
     [(X, np.array([[0, 1, 2, 0], [0, 0, 0, 0]])), (X, np.array([[2, 2, 1, -1], [1, 1, 1, 1]]))]),
    ("index_add", lambda x, i: cr.index_add(x, 0, i, np.ones((2, 4))),
     [(X, I0), (X, np.array([-1, -1]))]),
    ("put_accumulate", lambda x, i: cr.put(x, i, np.array([1.0, 2.0]), accumulate=True),
     [(X, np.array([0, 0])), (X, np.array([11, -3]))]),
    ("index_put_accumulate",
     lambda x, i, j: cr.index_put(x, (i, j), np.array(5.0), accumulate=True),
     [(X, np.array([0, 1]), np.array([2, 2])), (X, np.array([-1, 2]), np.array([0, -1]))]),
    ("masked_fill", lambda x, m: cr.masked_fill(x, m, -1.0), [(X, X > 4), (X, X < 2)]),
    ("where", lambda c, x: cr.where(c, x, 0.0), [(X > 4, Y), (X < 2, Y)]),
    ("where_int", lambda c, x: cr.where(c, x, 0.0), [(np.arange(3), Y[0, :3]),
                                                      (np.arange(3) - 1, Y[0, :3])]),
    ("sgn", lambda z: cr.sgn(z), [(np.array([1 + 1j, 0j, -2j]),), (np.array([0j, 3 + 0j, 1j]),)]),
    ("lerp", lambda a, b, w: cr.lerp(a, b, w), [(X, Y, X / 20), (X, Y, 1 - X / 20)]),
    ("isreal", lambda z: cr.isreal(z), [(np.array([1 + 1j, 2j]),), (np.array([1 + 0j, 2j]),)]),
    ("scatter_reduce_mean_int",  # the input traced, the index constant
     lambda x: cr.scatter_reduce(x, 0, np.array([0, 0, 1]), np.array([1, 2, 3]), "mean"),
     [(np.array([4, 7]),), (np.array([9, -7]),)]),
    ("cnp.where", lambda c, x: cnp.where(c, x, 0.0), [(X > 4, Y), (X < 2, Y)]),
    ("cnp.where_int", lambda c, x: cnp.where(c, x, 0.0), [(np.arange(3), Y[0, :3]),
                                                          (np.arange(3) - 1, Y[0, :3])]),
    ("cnp.take", lambda x, i: cnp.take(x, i, axis=1), [(X, I0), (X, I1)]),
    ("cnp.take_scalar", lambda x, i: cnp.take(x, i, axis=0), [(X, np.array(0)), (X, np.array(-1))]),
    ("cnp.take_wrap", lambda x, i: cnp.take(x, i, mode="wrap"),
     [(X, np.array([0, 13])), (X, np.array([-13, 40]))]),
    ("cnp.take_clip", lambda x, i: cnp.take(x, i, mode="clip"),
     [(X, np.array([0, 13])), (X, np.array([-13, 4]))]),
    ("cnp.take_along_axis", lambda x, i: cnp.take_along_axis(x, i, 1),
     [(X, np.array([[0, 1]])), (X, np.array([[-1, 2]]))]),
    ("cnp.pad", lambda x, c: cnp.pad(x, 1, constant_values=c), [(X, np.array(2.0)),
                                                                (X, np.array(-1.0))]),
])
def test_traced(name, f, calls):
    same_as_eager(f, *calls)


def test_traced_gradients():
    _same_grad(lambda x, i: cr.index_select(x, 1, i), (X, I0), (X, I1))
    _same_grad(lambda x, i: cr.gather(x, 1, i), (X, np.array([[0], [2], [3]])),
               (X, np.array([[-1], [1], [0]])))
    _same_grad(lambda s, i: cr.scatter_add(np.zeros((3, 4)), 1, i, s),
               (np.ones((3, 1)), np.array([[0], [1], [2]])),
               (np.ones((3, 1)), np.array([[3], [-1], [1]])))
    _same_grad(lambda s, i: cr.index_add(np.zeros((3, 4)), 1, i, s),
               (np.ones((3, 2)), I0), (np.ones((3, 2)), I1))
    _same_grad(lambda x, i: cnp.take(x, i, axis=1), (X, I0), (X, I1))


def test_traced_bounds_are_checked_at_every_call():
    f = cr.compile(lambda x, i: cr.index_select(x, 1, i))
    f(X, I0)
    with pytest.raises(IndexError, match="index_select: index 4 is out of range"):
        f(X, np.array([4]))
    with pytest.raises(IndexError, match="index_select"):
        f(X, np.array([-5]))
    g = cr.compile(lambda x, i: cnp.take(x, i))
    g(X, np.array([1]))
    with pytest.raises(IndexError, match="take"):
        g(X, np.array([12]))
    assert f.traces == 1 and g.traces == 1


def test_eager_errors_unchanged():
    with pytest.raises(IndexError, match="index_select: index 4 is out of range for a dim of "
                                         "length 4"):
        cr.index_select(T(X), 1, T(np.array([4])))
    with pytest.raises(IndexError, match="gather: index -5"):
        cr.gather(T(X), 1, T(np.array([[-5]])))


# --- refused: the values decide a shape, a Python value, or positions computed by NumPy -------
M = X > 4
IDX = np.array([[0], [1], [2]])


@pytest.mark.parametrize("name, f, args", [
    ("nonzero", lambda x: cr.nonzero(x), (X,)),
    ("nonzero", lambda x: cr.nonzero(x, as_tuple=True), (X,)),
    ("argwhere", lambda x: cr.argwhere(x), (X,)),
    ("nonzero_static", lambda x: cr.nonzero_static(x, size=3), (X,)),
    ("nonzero", lambda c: cr.where(c), (M,)),
    ("masked_select", lambda x, m: cr.masked_select(x, m), (X, M)),
    ("masked_scatter", lambda x, m: cr.masked_scatter(x, m, np.ones(12)), (X, M)),
    ("scatter", lambda x, i: cr.scatter(x, 1, i, np.ones((3, 1))), (X, IDX)),
    ("scatter", lambda x, i: cr.scatter(x, 1, i, value=2.0), (X, IDX)),
    ("scatter_reduce", lambda x, i: cr.scatter(x, 1, i, np.ones((3, 1)), reduce="multiply"),
     (X, IDX)),
    ("scatter_reduce", lambda x, i: cr.scatter_reduce(x, 1, i, np.ones((3, 1)), "amax"),
     (X, IDX)),
    ("index_copy", lambda x, i: cr.index_copy(x, 0, i, np.ones((2, 4))), (X, I0)),
    ("index_fill", lambda x, i: cr.index_fill(x, 0, i, 1.0), (X, I0)),
    ("index_reduce", lambda x, i: cr.index_reduce(x, 0, i, np.ones((2, 4)), "prod"), (X, I0)),
    ("index_put", lambda x, i: cr.index_put(x, (i,), np.array(1.0)), (X, I0)),
    ("index_put", lambda x, m: cr.index_put(x, (m,), np.array(1.0), accumulate=True), (X, M)),
    ("put", lambda x, i: cr.put(x, i, np.ones(2)), (X, I0)),
    ("select", lambda x, i: cr.select(x, 0, i), (X, np.array(1))),
    ("unravel_index", lambda i: cr.unravel_index(i, (3, 4)), (I0,)),
    ("narrow", lambda x, s: cr.narrow(x, 1, s, 2), (X, np.array(1))),
    ("tensor_split", lambda x, i: cr.tensor_split(x, i, 1), (X, I0)),
    ("repeat_interleave", lambda r: cr.repeat_interleave(r), (np.array([1, 2]),)),
    ("repeat_interleave", lambda x, r: cr.repeat_interleave(x, r, 0), (X, np.array([1, 0, 2]))),
    ("div", lambda a, b: cr.div(a, b, rounding_mode="trunc"), (np.arange(4), np.array(3))),
    ("nextafter", lambda a, b: cr.nextafter(a, b), (X, Y)),
    ("mvlgamma", lambda x: cr.mvlgamma(x + 5.0, 2), (X,)),
    ("is_nonzero", lambda x: cr.is_nonzero(x), (np.array([1.0]),)),
    ("equal", lambda x, y: cr.equal(x, y), (X, Y)),
    ("special.legendre_polynomial_p", lambda x, n: cr.special.legendre_polynomial_p(x, n),
     (X, np.array(2))),
    ("istft", lambda s, w: cr.istft(s, 4, window=w, return_complex=True),
     (np.ones((4, 3), complex), np.hanning(4) + 0.5)),
    ("where", lambda c: cnp.where(c), (M,)),
    ("choose", lambda i: cnp.choose(i, [X[0], Y[0]]), (np.array([0, 1, 1, 0]),)),
    ("compress", lambda c, x: cnp.compress(c, x, axis=1), (np.array([True, False]), X)),
    ("extract", lambda c, x: cnp.extract(c, x), (M, X)),
    ("trim_zeros", lambda x: cnp.trim_zeros(x), (np.array([0.0, 1.0, 0.0]),)),
    ("repeat", lambda x, r: cnp.repeat(x, r, axis=0), (X, np.array([1, 2, 0]))),
    ("insert", lambda x, i: cnp.insert(x, i, 0.0), (X[0], np.array(1))),
    ("delete", lambda x, i: cnp.delete(x, i), (X[0], np.array([1]))),
    ("pad", lambda x, c: cnp.pad(x, 1, constant_values=c), (X, np.array([1.0, 2.0]))),
])
def test_refused(name, f, args):
    _refuses(f, args, name)


@pytest.mark.parametrize("name, write", [
    ("put", lambda a, i: cnp.put(a, i, 1.0)),
    ("put_along_axis", lambda a, i: cnp.put_along_axis(a, i, 1.0, 1)),
    ("place", lambda a, m: cnp.place(a, m, [1.0])),
    ("putmask", lambda a, m: cnp.putmask(a, m, 1.0)),
    ("copyto", lambda a, m: cnp.copyto(a, 1.0, where=m)),
])
def test_refused_numpy_writers(name, write):
    """A NumPy array written at traced positions would be written once, at tracing."""
    arg = np.array([[0, 1]]) if name in ("put", "put_along_axis") else X[:1, :2] > 0

    def f(i):
        a = np.zeros((1, 2))
        write(a, i)
        return a

    _refuses(f, (arg,), name)


def test_refused_numpy_target_of_traced_values():
    def f(v):
        a = np.zeros(3)
        cnp.put(a, [0, 1], v)
        return v + a

    _refuses(f, (np.array([1.0, 2.0]),), "put")


def test_refused_sampler():
    from chainrule.utils.data import WeightedRandomSampler

    _refuses(lambda w: WeightedRandomSampler(w, 2) and w, (np.ones(3),),
             "WeightedRandomSampler")
