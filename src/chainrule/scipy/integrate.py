"""``chainrule.scipy.integrate``: ``odeint`` with SciPy's signature (and HIPS autograd's), and
``solve_ivp``, differentiable (docs/integrate.md). Both are ``chainrule.integrate``'s."""

from __future__ import annotations

import math
from collections.abc import Callable

from ..integrate import odeint as _odeint
from ..integrate import solve_ivp

__all__ = ["odeint", "solve_ivp"]


def odeint(func: Callable, y0, t, args: tuple = (), Dfun=None, col_deriv=0, full_output=0,
           ml=None, mu=None, rtol=None, atol=None, tcrit=None, h0=0.0, hmax=0.0, hmin=0.0,
           ixpr=0, mxstep=0, mxhnil=0, mxordn=12, mxords=5, printmessg=0, tfirst=False, *,
           method: str = "dopri5", sensealg: str = "auto"):
    """``scipy.integrate.odeint(func, y0, t, args)``: the states at ``t`` (len(t), n), with
    ``func(y, t, *args)`` (``func(t, y, *args)`` with ``tfirst``), differentiable with respect
    to ``y0``, ``t`` and ``args`` (HIPS autograd's ``autograd.scipy.integrate.odeint``).

    SciPy solves with LSODA; here ``method`` (default ``"dopri5"``; ``"radau"`` for stiff
    problems) and ``sensealg`` are :func:`chainrule.integrate.odeint`'s. ``rtol``/``atol``
    (default 1.49012e-8), ``h0``, ``hmax`` and ``mxstep`` (the step budget per output
    interval, as SciPy's) are honoured; ``Dfun``/``col_deriv`` are not needed (the Jacobian
    comes from automatic differentiation) and are ignored, ``ml``/``mu`` (banded Jacobians),
    ``hmin``, ``tcrit`` and LSODA's order and print settings are refused when set.
    ``full_output`` returns ``(y, infodict)`` with ``nst``, ``nfe``, ``nje``, ``message``."""
    refused = {"ml": ml, "mu": mu, "tcrit": tcrit}
    for name, v in refused.items():
        if v is not None:
            raise ValueError(f"odeint: {name} is LSODA's and is not supported; leave it unset "
                             f"(the solver here is {method!r})")
    if hmin or ixpr or mxhnil or mxordn != 12 or mxords != 5 or printmessg:
        raise ValueError("odeint: hmin, ixpr, mxhnil, mxordn, mxords and printmessg are "
                         "LSODA's settings and are not supported; leave them at their defaults")
    n_out = len(t) if hasattr(t, "__len__") else 1
    kw = dict(method=method, sensealg=sensealg, tfirst=tfirst,
              rtol=1.49012e-8 if rtol is None else rtol,
              atol=1.49012e-8 if atol is None else atol,
              first_step=h0 or None, max_step=hmax or math.inf,
              max_num_steps=(mxstep or 500) * max(n_out - 1, 1))
    if not isinstance(args, tuple):
        args = (args,)
    if full_output:
        from ..integrate._odeint import odeint_with_info
        ys, info = odeint_with_info(func, y0, t, args, **kw)
        return ys, info
    return _odeint(func, y0, t, args, **kw)
