"""NumPy's polynomial functions on coefficient arrays (highest power first), differentiable in
the coefficients and in ``x``: ``polyval``, ``polyadd``, ``polysub``, ``polymul``,
``polyder``, ``polyint`` and ``vander``.
"""

from __future__ import annotations

import numpy as np

from ..primitives import elementwise as E
from ..primitives import shape as S
from ..primitives.signal import convolve
from ._creation import asarray
from ._shape import concatenate, reshape, stack
from ._wrappers import is_tensor, numpy_unless_tensor, public_functions, shape_of, unwrap


@numpy_unless_tensor(np.polyval, stack_lists=True)
def polyval(p, x):
    """``numpy.polyval``: Horner's scheme."""
    if not hasattr(x, "shape"):
        x = np.asarray(x)  # NumPy takes x as an array: a Python float is float64, not weak
    n = shape_of(p)[0]
    y = x * 0.0
    for i in range(n):
        y = y * x + S.getitem(p, i)
    return y


def _align(a, b):
    na, nb = shape_of(a)[0], shape_of(b)[0]
    if na < nb:
        a = concatenate([np.zeros(nb - na, dtype=unwrap(a).dtype), a])
    elif nb < na:
        b = concatenate([np.zeros(na - nb, dtype=unwrap(b).dtype), b])
    return a, b


def _asarray(a):
    return a if is_tensor(a) else asarray(a)


@numpy_unless_tensor(np.polyadd, stack_lists=True)
def polyadd(a1, a2):
    """``numpy.polyadd``: the sum of two polynomials."""
    a, b = _align(_asarray(a1), _asarray(a2))
    return a + b


@numpy_unless_tensor(np.polysub, stack_lists=True)
def polysub(a1, a2):
    """``numpy.polysub``: the difference of two polynomials."""
    a, b = _align(_asarray(a1), _asarray(a2))
    return a - b


@numpy_unless_tensor(np.polymul, stack_lists=True)
def polymul(a1, a2):
    """``numpy.polymul``: the product of two polynomials (a convolution of the
    coefficients)."""
    return convolve(a1, a2)


@numpy_unless_tensor(np.polyder, stack_lists=True)
def polyder(p, m=1):
    """``numpy.polyder``: the ``m``-th derivative."""
    for _ in range(m):
        n = shape_of(p)[0]
        if n <= 1:
            return p * 0.0 if n else p
        p = S.getitem(p, slice(0, n - 1)) * np.arange(n - 1, 0, -1)
    return p


@numpy_unless_tensor(np.polyint, stack_lists=True)
def polyint(p, m=1, k=None):
    """``numpy.polyint``: the ``m``-th antiderivative, with integration constants ``k``
    (default 0)."""
    ks = np.zeros(m) if k is None else k
    for i in range(m):
        n = shape_of(p)[0]
        c = S.getitem(ks, i) if is_tensor(ks) else np.atleast_1d(ks)[i if np.ndim(ks) else 0]
        p = concatenate([p / np.arange(n, 0, -1), reshape(c * 1.0, (1,))])
    return p


@numpy_unless_tensor(np.vander, stack_lists=True)
def vander(x, N=None, increasing=False):  # noqa: N803 - NumPy's argument name
    """``numpy.vander``: the Vandermonde matrix, whose columns are powers of ``x``."""
    n = shape_of(x)[0] if N is None else N
    powers = range(n) if increasing else range(n - 1, -1, -1)
    x = E.astype(x, np.promote_types(unwrap(x).dtype, int))  # NumPy's result dtype
    cols = [x ** p for p in powers]  # x ** 0 is 1, with derivative 0
    return stack(cols, axis=1) if cols else np.zeros((shape_of(x)[0], 0))


__all__: list[str] = public_functions(globals(), __name__)
