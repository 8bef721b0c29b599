"""``numpy.interp``, differentiable (docs/numpy_arrays.md has the choices at the knots).

Like every function of the namespace it runs NumPy itself when no tensor is among its arguments
(``_wrappers.numpy_unless_tensor``).
"""

from __future__ import annotations

import builtins

import numpy as np

from ..primitives import elementwise as E
from ..primitives import shape as S
from ._wrappers import as_array, data_of, numpy_unless_tensor, public_functions


# --- interpolation -------------------------------------------------------------------------------
@numpy_unless_tensor(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """``numpy.interp``: piecewise-linear interpolation, differentiable in ``x``, ``fp``,
    ``xp``, ``left`` and ``right``. At a knot the slope of the interval to its right is used
    (at the last knot, the interval to its left); outside ``[xp[0], xp[-1]]`` the derivative in
    ``x`` is 0."""
    x, xp, fp = as_array(x), as_array(xp), as_array(fp)
    xpd, fpd = data_of(xp), data_of(fp)
    if xpd.ndim != 1 or fpd.ndim != 1:
        raise ValueError(f"interp: xp and fp must be 1-D, got shapes {xpd.shape} and "
                         f"{fpd.shape}")
    if xpd.shape != fpd.shape:
        raise ValueError(f"interp: fp and xp are not of the same length ({fpd.shape[0]} and "
                         f"{xpd.shape[0]})")
    if xpd.size == 0:
        raise ValueError("interp: array of sample points is empty")
    # NumPy interpolates in float64 (complex128 for complex fp), whatever the input dtypes.
    x, xp = (E.astype(v, np.float64) for v in (x, xp))
    fp = E.astype(fp, np.complex128 if fpd.dtype.kind == "c" else np.float64)
    if period is not None:
        period = builtins.abs(float(data_of(period)))
        if period == 0:
            raise ValueError("interp: period must be a non-zero value")
        left = right = None
        x = E.remainder(x, period)
        xp = E.remainder(xp, period)
        order = np.argsort(data_of(xp), kind="stable")
        xp, fp = S.getitem(xp, order), S.getitem(fp, order)
        xp = S.concatenate([S.getitem(xp, slice(-1, None)) - period, xp,
                            S.getitem(xp, slice(0, 1)) + period], 0)
        fp = S.concatenate([S.getitem(fp, slice(-1, None)), fp, S.getitem(fp, slice(0, 1))], 0)
    xd, xpd = data_of(x), data_of(xp)
    n = xpd.shape[0]
    first, last = S.getitem(fp, 0), S.getitem(fp, n - 1)
    left = first if left is None else as_array(left)
    right = last if right is None else as_array(right)
    if n == 1:
        inside = first
    else:
        # The interval [xp[j], xp[j + 1]] holding x (a knot belongs to the interval on its
        # right, the last knot to the interval on its left).
        j = np.clip(np.searchsorted(xpd, xd, side="right") - 1, 0, n - 2)
        x0, x1 = S.getitem(xp, j), S.getitem(xp, j + 1)
        f0, f1 = S.getitem(fp, j), S.getitem(fp, j + 1)
        slope = (f1 - f0) / (x1 - x0)
        # At the last knot anchor at the right end: exactly fp[-1] (as NumPy), same slope.
        at_end = xd == xpd[-1]
        inside = E.where(at_end, slope * (x - x1) + f1, slope * (x - x0) + f0)
    r = E.where(xd < xpd[0], left, E.where(xd > xpd[-1], right, inside))
    return S.reshape(r, xd.shape) if data_of(r).shape != xd.shape else r

__all__: list[str] = public_functions(globals(), __name__)
