"""Fixed rules: ``fixed_quad`` (Gauss-Legendre), ``trapezoid``, ``simpson`` and
``cumulative_trapezoid``, SciPy's semantics. Each is a weighted sum written with chainrule
operations, so derivatives with respect to the samples, the abscissae, the limits and
``args`` come from those operations, in both modes and to any order."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import numpy as cnp
from ..ops import reductions as _ops
from ..primitives._core import data_of, is_tensor
from ._gauss import gauss_legendre

__all__ = ["cumulative_trapezoid", "fixed_quad", "simpson", "trapezoid"]


def fixed_quad(func: Callable[..., Any], a, b, args: Any = (), n: int = 5):
    """∫_a^b func(x, *args) dx by n-point Gauss-Legendre: ``(value, None)`` as SciPy.
    ``func`` must accept an array of nodes (its last axis holds the nodes' values)."""
    if not isinstance(args, tuple):
        args = (args,)
    if int(n) != n or n < 1:
        raise ValueError(f"fixed_quad: n must be a positive integer, got {n!r}")
    if not (math.isfinite(float(data_of(a))) and math.isfinite(float(data_of(b)))):
        raise ValueError(f"fixed_quad: Gauss-Legendre needs finite limits, got a={a!r}, "
                         f"b={b!r}; use quad for infinite ranges")
    x, w = gauss_legendre(int(n))
    half = (b - a) / 2
    y = func(half * x + (a + b) / 2, *args)
    if np.shape(data_of(y))[-1:] != (int(n),):
        raise ValueError(f"fixed_quad: func must be vectorised: called on {n} nodes it "
                         f"returned shape {np.shape(data_of(y))}, not (..., {n})")
    return half * cnp.sum(w * y, axis=-1), None


def _last(y, x, axis: int, name: str):
    """y with ``axis`` moved last, and x shaped to broadcast against it (or None)."""
    if not (is_tensor(y) or isinstance(y, np.ndarray)):
        y = np.asarray(y, dtype=np.float64)
    nd = y.ndim
    if nd == 0:
        raise ValueError(f"{name}: y must have at least one dimension, got a scalar")
    if not -nd <= axis < nd:
        raise ValueError(f"{name}: axis {axis} is out of range for y of shape {tuple(y.shape)}")
    y = cnp.moveaxis(y, axis, -1)
    if x is None:
        return y, None
    if not (is_tensor(x) or isinstance(x, np.ndarray)):
        x = np.asarray(x, dtype=np.float64)
    if x.ndim == 1:
        pass
    elif x.ndim == nd:
        x = cnp.moveaxis(x, axis, -1)
    else:
        yshape = tuple(cnp.moveaxis(y, -1, axis).shape)
        raise ValueError(f"{name}: x must be 1-D or have y's shape; got x of shape "
                         f"{tuple(x.shape)} and y of shape {yshape}")
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(f"{name}: x has {x.shape[-1]} samples along the axis, y has "
                         f"{y.shape[-1]}; they must match")
    return y, x


def trapezoid(y, x=None, dx: float = 1.0, axis: int = -1):
    """The trapezoidal rule along ``axis`` (``scipy.integrate.trapezoid``; the Tensor face's
    ``trapezoid``, which ignores ``dx`` when ``x`` is given, as SciPy)."""
    return _ops.trapezoid(y, x, dx=None if x is not None else dx, dim=axis)


def cumulative_trapezoid(y, x=None, dx: float = 1.0, axis: int = -1, initial=None):
    """The running trapezoidal integral along ``axis``; ``initial`` (None or 0, as SciPy)
    is prepended when given."""
    if initial is not None and (np.ndim(data_of(initial)) != 0 or float(data_of(initial)) != 0):
        raise ValueError(f"cumulative_trapezoid: initial must be None or 0 (SciPy's "
                         f"convention), got {initial!r}; add a constant to the result instead")
    out = _ops.cumulative_trapezoid(y, x, dx=None if x is not None else dx, dim=axis)
    if initial is not None:
        out = cnp.moveaxis(out, axis, -1)
        zero = cnp.zeros_like(out[..., :1]) if is_tensor(out) else np.zeros_like(out[..., :1])
        out = cnp.moveaxis(cnp.concatenate([zero, out], axis=-1), -1, axis)
    return out


def _simpson_pairs(y, h0, h1):
    """Simpson's rule on consecutive interval pairs of widths (h0, h1): the three-point
    parabola through (y0, y1, y2) integrated exactly."""
    hs = h0 + h1
    return cnp.sum(hs / 6 * (y[..., 0:-2:2] * (2 - h1 / h0) + y[..., 1:-1:2] * (hs * hs / (h0 * h1))
                             + y[..., 2::2] * (2 - h0 / h1)), axis=-1)


def simpson(y, x=None, dx: float = 1.0, axis: int = -1):
    """Composite Simpson's rule along ``axis`` (``scipy.integrate.simpson``, SciPy >= 1.11):
    with an even number of samples the last interval gets Cartwright's correction, with two
    samples it is the trapezoidal rule."""
    y, x = _last(y, x, axis, "simpson")
    n = y.shape[-1]
    if n == 1:
        return cnp.sum(y, axis=-1) * 0.0
    if x is None:
        h = None
    else:
        h = cnp.diff(x, axis=-1)
    if n == 2:
        width = dx if h is None else h[..., 0]
        return width * (y[..., 0] + y[..., 1]) / 2
    m = n if n % 2 else n - 1  # samples covered by whole pairs
    if h is None:
        res = dx / 3 * cnp.sum(y[..., 0:m - 2:2] + 4 * y[..., 1:m - 1:2] + y[..., 2:m:2], axis=-1)
    else:
        res = _simpson_pairs(y[..., :m], h[..., 0:m - 2:2], h[..., 1:m - 1:2])
    if n % 2:
        return res
    # the last interval: Cartwright's correction from the last three samples
    if h is None:
        a0 = a1 = dx
    else:
        a0, a1 = h[..., -2], h[..., -1]
    alpha = (2 * a1 * a1 + 3 * a0 * a1) / (6 * (a1 + a0))
    beta = (a1 * a1 + 3 * a0 * a1) / (6 * a0)
    eta = a1 * a1 * a1 / (6 * a0 * (a0 + a1))
    return res + alpha * y[..., -1] + beta * y[..., -2] - eta * y[..., -3]
