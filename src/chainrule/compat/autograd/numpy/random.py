"""``autograd.numpy.random``: NumPy's random module (random draws are not differentiated)."""

from __future__ import annotations

import numpy.random as _npr
from numpy.random import *  # noqa: F401,F403

__all__ = list(_npr.__all__)


def __getattr__(name):  # noqa: N807
    return getattr(_npr, name)
