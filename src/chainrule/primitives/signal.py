"""Convolution of signals: one primitive, the full n-dimensional convolution, with NumPy's
1-D ``convolve`` and ``correlate`` built on it (``chainrule.scipy.signal`` adds SciPy's n-d
``convolve`` and ``correlate``).

The kernel convolves the last ``nd`` axes of its two inputs; their leading axes broadcast (the
batch axes of tangents and cotangents ride on them). Convolution is linear in each input: the
forward rule convolves the tangent with the other input, and the reverse rule correlates the
cotangent with it (a convolution with the other input flipped, cut to the input's extent).
"""

from __future__ import annotations

import numpy as np

from ._core import Primitive, apply, register, tensor_types
from .complex import conj
from .reduction import sum_to
from .shape import batch_align, flip, getitem, reshape


def _full_impl(a, v, nd):
    ca, cv = a.shape[a.ndim - nd:], v.shape[v.ndim - nd:]
    lead = np.broadcast_shapes(a.shape[: a.ndim - nd], v.shape[: v.ndim - nd])
    dtype = np.result_type(a, v)
    if a.size == 0 or v.size == 0:
        return np.zeros(lead + tuple(max(p + q - 1, 0) for p, q in zip(ca, cv)), dtype=dtype)
    if nd == 1 and a.ndim == 1 and v.ndim == 1:
        return np.convolve(a, v)
    if np.prod(cv) > np.prod(ca):  # loop over the smaller operand (convolution commutes)
        a, v, ca, cv = v, a, cv, ca
    out = np.zeros(lead + tuple(p + q - 1 for p, q in zip(ca, cv)), dtype=dtype)
    for idx in np.ndindex(*cv):
        w = v[(Ellipsis,) + idx]
        w = np.reshape(w, np.shape(w) + (1,) * nd)
        out[(Ellipsis,) + tuple(slice(i, i + n) for i, n in zip(idx, ca))] += a * w
    return out


def _core(shape, nd):
    return tuple(shape[len(shape) - nd:])


def _vjp(g, x_shape, other, nd):
    """The cotangent of one input: g correlated with the other input, cut to the input's
    extent, summed over broadcast axes."""
    cx, co = _core(x_shape, nd), _core(other.shape, nd)
    axes = tuple(range(-nd, 0))
    full = apply(CONVOLVE_FULL, (g, flip(other, axes)), (nd,))
    cut = getitem(full, (Ellipsis,) + tuple(slice(q - 1, q - 1 + p) for p, q in zip(cx, co)))
    out_nd = len(np.broadcast_shapes(x_shape[: len(x_shape) - nd],
                                     other.shape[: other.ndim - nd])) + nd
    return sum_to(cut, x_shape, g.ndim - out_nd)


def _align(t, x_nd, other, nd):
    out_lead = max(x_nd, other.ndim) - nd
    k = out_lead - (x_nd - nd)
    if k <= 0 or t.ndim == x_nd:
        return t
    lead = t.shape[: t.ndim - x_nd]
    return reshape(t, lead + (1,) * k + t.shape[len(lead):])


def _batch(vals, bat, params, B, pbat):
    """vmap: the kernel broadcasts leading axes, so the batched operands get singleton axes after
    the batch axis, up to the most leading axes of any example, to line the examples up."""
    nd = params[0]
    rank = max(np.ndim(_data(v)) - (1 if s else 0) for v, s in zip(vals, bat))
    rank = max(rank, nd)
    return apply(CONVOLVE_FULL, tuple(batch_align(v, rank) if s else v
                                      for v, s in zip(vals, bat)), params)


def _data(x):
    return x._data if type(x) in tensor_types else x


CONVOLVE_FULL = Primitive(
    "convolve_full", _full_impl, nin=2, save=(0, 1),
    vjp=(lambda g, a, v, nd: _vjp(g, a.shape, v, nd),
         lambda g, a, v, nd: _vjp(g, v.shape, a, nd)),
    jvp=(lambda t, a, v, nd: apply(CONVOLVE_FULL, (_align(t, a.ndim, v, nd), v), (nd,)),
         lambda t, a, v, nd: apply(CONVOLVE_FULL, (a, _align(t, v.ndim, a, nd)), (nd,))),
    batch=_batch,
)
register(CONVOLVE_FULL)


def _shape(x):
    return x._data.shape if type(x) in tensor_types else np.shape(x)


def convolve_full(a, v, nd: int):
    """The full convolution over the last ``nd`` axes (leading axes broadcast)."""
    return apply(CONVOLVE_FULL, (a, v), (nd,))


def _check_real(op, *xs):
    for x in xs:
        if type(x) in tensor_types and x._data.dtype.kind == "c" and (
                x._edge is not None or getattr(x, "_fw", None)):
            raise NotImplementedError(f"{op}: gradients of complex signals are not supported yet")


def _numpy_1d(op, a, v, mode):
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"{op}: mode must be 'full', 'same' or 'valid', got {mode!r}")
    sa, sv = _shape(a), _shape(v)
    if len(sa) != 1 or len(sv) != 1:
        raise ValueError(f"{op}: a and v must be 1-D, got shapes {sa} and {sv}; for "
                         f"n-dimensional signals use chainrule.scipy.signal.{op}")
    if not sa[0] or not sv[0]:
        raise ValueError(f"{op}: {'a' if not sa[0] else 'v'} cannot be empty")
    _check_real(op, a, v)
    return sa[0], sv[0]


def _numpy_mode(full, n, m, mode, correlate=False):
    """NumPy's 'same' (length max(n, m)) and 'valid' (max - min + 1) parts of a full result."""
    if mode == "full":
        return full
    lo, hi = min(n, m), max(n, m)
    if mode == "valid":
        start, length = lo - 1, hi - lo + 1
    else:  # NumPy's centring; correlate with the longer v centres one place further right
        start, length = (n // 2 if correlate and n < m else (lo - 1) // 2), hi
    return getitem(full, (slice(start, start + length),))


def convolve(a, v, mode: str = "full"):
    """``numpy.convolve``: the discrete linear convolution of two 1-D sequences, differentiable
    in both."""
    if type(a) not in tensor_types and type(v) not in tensor_types:
        return np.convolve(a, v, mode)
    n, m = _numpy_1d("convolve", a, v, mode)
    return _numpy_mode(convolve_full(a, v, 1), n, m, mode)


def correlate(a, v, mode: str = "valid"):
    """``numpy.correlate`` (default mode 'valid'): c[k] = sum_n a[n + k] v[n], differentiable in
    both."""
    if type(a) not in tensor_types and type(v) not in tensor_types:
        return np.correlate(a, v, mode)
    n, m = _numpy_1d("correlate", a, v, mode)
    return _numpy_mode(convolve_full(a, conj(flip(v)), 1), n, m, mode, correlate=True)


__all__ = ["convolve", "correlate"]
