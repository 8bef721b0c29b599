"""``autograd.numpy.fft``: chainrule's differentiable ``numpy.fft``."""

from __future__ import annotations

import chainrule.numpy.fft as _cf

globals().update({_n: getattr(_cf, _n) for _n in dir(_cf) if not _n.startswith("_")})


def __getattr__(name):  # noqa: N807
    return getattr(_cf, name)
