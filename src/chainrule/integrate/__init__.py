"""``chainrule.integrate``: differentiable quadrature and ODE solvers with SciPy's names and
conventions (docs/integrate.md). ``quad`` is adaptive Gauss-Kronrod, differentiable with
respect to its limits and ``args`` by Leibniz's rule to any order; ``fixed_quad``,
``trapezoid``, ``simpson`` and ``cumulative_trapezoid`` are fixed weighted sums, differentiated
through their operations. ``odeint`` and ``solve_ivp`` solve initial value problems (explicit
Runge-Kutta and Radau IIA), differentiable with respect to the initial state, the times and
the parameters by the sensitivity method of one's choice."""

from ._adaptive import IntegrationError
from ._fixed import cumulative_trapezoid, fixed_quad, simpson, trapezoid
from ._gauss import gauss_kronrod, gauss_legendre
from ._ode_common import ODEError
from ._odeint import odeint, solve_ivp
from ._quad import quad

__all__ = ["IntegrationError", "ODEError", "cumulative_trapezoid", "fixed_quad",
           "gauss_kronrod", "gauss_legendre", "odeint", "quad", "simpson", "solve_ivp",
           "trapezoid"]
