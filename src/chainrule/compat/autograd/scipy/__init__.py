"""``autograd.scipy``: chainrule's differentiable SciPy (``special``, ``stats``, ``signal``,
``linalg``, ``misc``, ``integrate``)."""

from __future__ import annotations

from . import integrate, linalg, misc, signal, special, stats  # noqa: F401

__all__ = ["integrate", "linalg", "misc", "signal", "special", "stats"]
