"""Array operations that need a rule of their own: the cumulative product.

``cumprod`` is a primitive rather than ``exp(cumsum(log(x)))`` or a loop of products because
both of those are wrong or slow with zeros in the input: the derivative of the running product
with respect to a zero entry is the product of the *other* entries, which no division by ``x``
can give. Without zeros the rules are the usual O(n) formulas; with zeros they split each slice
at its first zero (see the rules), still O(n) per zero in a slice and exact to every order.

The axis parameter is stored negative, so the same rules serve batched tangents and cotangents.
"""

from __future__ import annotations

import numpy as np

from ._core import ANS, Primitive, apply, data_of, register
from .complex import conj
from .elementwise import where
from .reduction import cumsum, sum
from .shape import flip, normalize_dim, reshape


def _rev_cumsum(v, axis):
    return flip(cumsum(flip(v, axis), axis), axis)


def _zero_masks(x, axis):
    """Per slice along ``axis``: the positions before its first zero, and the first zero."""
    zero = data_of(x) == 0
    seen = np.cumsum(zero, axis=axis)
    return seen == 0, zero & (seen == 1)


# With zeros, split each slice at its first zero z (value x_z = 0):
#   i < z: the usual formula, exact there (no zero among x_0..x_i);
#   i = z: the products of the others are the cumprod of x with x_z set to 1 (xp);
#   i > z: every such product holds the factor x_z, so the term is x_z times the same rule at
#          xp, which has one zero fewer (a recursion as deep as the zeros in one slice).
# Written this way the rules stay exact as functions of x, so they differentiate again, and
# they cost O(n) per zero instead of forming n products of n - 1 factors.
def _cumprod_vjp(g, x, ans, axis):
    if data_of(x).dtype.kind == "c":
        # cumprod is holomorphic: its reverse rule is J^H g = conj(J^T conj(g))
        # (docs/semantics.md, "Complex numbers")
        return conj(_cumprod_vjp_t(conj(g), x, ans, axis))
    return _cumprod_vjp_t(g, x, ans, axis)


def _cumprod_vjp_t(g, x, ans, axis):
    """J^T g (no conjugation)."""
    if not np.any(data_of(x) == 0):  # d ans[k] / d x[i] = ans[k] / x[i] for i <= k
        return _rev_cumsum(g * ans, axis) / x
    before, first = _zero_masks(x, axis)
    xp = where(first, 1, x)
    yp = cumprod(xp, axis)
    x_z = sum(where(first, x, 0), axis, True)
    return where(before, _rev_cumsum(g * ans, axis) / where(before, x, 1),
                 where(first, _rev_cumsum(g * yp, axis), x_z * _cumprod_vjp_t(g, xp, yp, axis)))


def _cumprod_jvp(t, x, ans, axis):
    if not np.any(data_of(x) == 0):
        return ans * cumsum(t / x, axis)
    before, first = _zero_masks(x, axis)
    xp = where(first, 1, x)
    yp = cumprod(xp, axis)
    x_z = sum(where(first, x, 0), axis, True)
    t_z = sum(where(first, t, 0), axis, True)
    head = ans * cumsum(where(before, t, 0) / where(before, x, 1), axis)
    tail = t_z * yp + x_z * _cumprod_jvp(where(first, 0, t), xp, yp, axis)
    return where(before, head, tail)


CUMPROD = Primitive("cumprod", lambda x, axis: np.cumprod(x, axis=axis), save=(0, ANS),
                    vjp=_cumprod_vjp, jvp=_cumprod_jvp)

register(CUMPROD)


def cumprod(x, axis):
    """Cumulative product along ``axis``; the gradient is exact with zeros in the input."""
    nd = data_of(x).ndim if hasattr(data_of(x), "ndim") else np.ndim(x)
    if nd == 0:
        return reshape(apply(CUMPROD, (reshape(x, (1,)),), (-1,)), ())
    return apply(CUMPROD, (x,), (normalize_dim(axis, nd, "cumprod") - nd,))


__all__ = ["CUMPROD", "cumprod"]
