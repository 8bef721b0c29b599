"""``autograd.scipy.integrate``: ``odeint`` is not provided yet."""

from __future__ import annotations

__all__ = ["odeint"]


def odeint(func, y0, t, *args, **kwargs):
    """Not provided yet: a differentiable ODE solver with its adjoint sensitivities is the
    subject of chainrule's ODE issue (``chainrule.integrate``)."""
    raise NotImplementedError(
        "autograd.scipy.integrate.odeint is not available on chainrule yet: differentiable ODE "
        "solving (with adjoint sensitivities) is left for chainrule's ODE issue "
        "(chainrule.integrate). Run this program with HIPS autograd meanwhile.")


def grad_odeint(*args, **kwargs):
    raise NotImplementedError("autograd.scipy.integrate.grad_odeint: see odeint")
