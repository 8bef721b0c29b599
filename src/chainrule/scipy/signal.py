"""``chainrule.scipy.signal``: ``convolve`` and ``correlate`` of n-dimensional signals,
differentiable in both inputs.

Modes 'full', 'same' (the size of ``in1``, centred as SciPy centres it) and 'valid'; every
``method`` ('auto', 'direct', 'fft') computes the direct sum, so the values agree with SciPy's to
rounding. Raw arrays in give SciPy's own results.
"""

from __future__ import annotations

import numpy as _np
import scipy.signal as _ss

from ..primitives._core import tensor_types as _tt
from ..primitives.complex import conj as _conj
from ..primitives.shape import flip as _flip
from ..primitives.shape import getitem as _getitem
from ..primitives.signal import _check_real, convolve_full


def _shape(x):
    return x._data.shape if type(x) in _tt else _np.shape(x)


def _check(op, in1, in2, mode, method):
    if mode not in ("full", "same", "valid"):
        raise ValueError(f"{op}: acceptable mode flags are 'valid', 'same', or 'full', got "
                         f"{mode!r}")
    if method not in ("auto", "direct", "fft"):
        raise ValueError(f"{op}: acceptable method flags are 'auto', 'direct', or 'fft', got "
                         f"{method!r}")
    s1, s2 = _shape(in1), _shape(in2)
    if len(s1) != len(s2):
        raise ValueError(f"{op}: in1 and in2 should have the same dimensionality, got shapes "
                         f"{s1} and {s2}")
    if mode == "valid" and not (all(p >= q for p, q in zip(s1, s2))
                                or all(q >= p for p, q in zip(s1, s2))):
        raise ValueError(f"{op}: for 'valid' mode, one must be at least as large as the other "
                         f"in every dimension, got shapes {s1} and {s2}")
    _check_real(op, in1, in2)
    return s1, s2


def _mode(full, s1, s2, mode):
    if mode == "full" or not s1:
        return full
    fs = tuple(p + q - 1 for p, q in zip(s1, s2))
    if mode == "same":
        index = tuple(slice((f - p) // 2, (f - p) // 2 + p) for f, p in zip(fs, s1))
    else:
        index = tuple(slice(min(p, q) - 1, max(p, q)) for p, q in zip(s1, s2))
    return _getitem(full, index)


def _full(in1, in2, s1, s2):
    if not s1:  # 0-d signals: a product
        return in1 * in2
    return convolve_full(in1, in2, len(s1))


def convolve(in1, in2, mode: str = "full", method: str = "auto"):
    """``scipy.signal.convolve``: n-dimensional convolution, differentiable in both inputs."""
    if type(in1) not in _tt and type(in2) not in _tt:
        return _ss.convolve(in1, in2, mode=mode, method=method)
    s1, s2 = _check("convolve", in1, in2, mode, method)
    return _mode(_full(in1, in2, s1, s2), s1, s2, mode)


def correlate(in1, in2, mode: str = "full", method: str = "auto"):
    """``scipy.signal.correlate``: z[k] = sum_l in1[l + k] in2[l] (n-dimensional),
    differentiable in both inputs."""
    if type(in1) not in _tt and type(in2) not in _tt:
        return _ss.correlate(in1, in2, mode=mode, method=method)
    s1, s2 = _check("correlate", in1, in2, mode, method)
    flipped = _conj(_flip(in2) if s2 else in2)  # SciPy conjugates in2 (a no-op when real)
    return _mode(_full(in1, flipped, s1, s2), s1, s2, mode)


__all__ = ["convolve", "correlate"]
