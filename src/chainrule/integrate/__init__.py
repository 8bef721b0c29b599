"""``chainrule.integrate``: differentiable quadrature with SciPy's names and conventions
(docs/integrate.md). ``quad`` is adaptive Gauss-Kronrod, differentiable with respect to its
limits and ``args`` by Leibniz's rule to any order; ``fixed_quad``, ``trapezoid``, ``simpson``
and ``cumulative_trapezoid`` are fixed weighted sums, differentiated through their operations."""

from ._adaptive import IntegrationError
from ._fixed import cumulative_trapezoid, fixed_quad, simpson, trapezoid
from ._gauss import gauss_kronrod, gauss_legendre
from ._quad import quad

__all__ = ["IntegrationError", "cumulative_trapezoid", "fixed_quad", "gauss_kronrod",
           "gauss_legendre", "quad", "simpson", "trapezoid"]
