"""``autograd.scipy.integrate``: ``odeint(func, y0, t, args=(), **kwargs)`` and
``grad_odeint``, on ``chainrule.scipy.integrate.odeint`` (docs/integrate.md): keyword arguments
are SciPy odeint's (``rtol``, ``atol``, ``mxstep``, ...)."""

from __future__ import annotations

from ....functional import vjp
from ....scipy.integrate import odeint as _odeint

__all__ = ["grad_odeint", "odeint"]


def odeint(func, y0, t, args=(), **kwargs):
    """The states at ``t`` of dy/dt = func(y, t, *args), differentiable in y0, t and args."""
    return _odeint(func, y0, t, args, **kwargs)


def grad_odeint(yt, func, y0, t, func_args, **kwargs):
    """autograd's reverse rule of ``odeint``: ``vjp_all(g)`` returns ``(None, vjp_y0, vjp_t,
    vjp_args)`` for a cotangent ``g`` of the states ``yt`` (which the rule recomputes)."""
    _, pull = vjp(lambda y, s, a: _odeint(func, y, s, a, **kwargs), y0, t, tuple(func_args))

    def vjp_all(g):
        vy0, vt, va = pull(g)
        return None, vy0, vt, va
    return vjp_all
