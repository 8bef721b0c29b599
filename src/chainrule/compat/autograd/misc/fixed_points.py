"""``autograd.misc.fixed_points.fixed_point``: a fixed point found by iteration, differentiated
implicitly (not by unrolling the iterations).

``fixed_point(f, a, x0, distance, tol)`` iterates ``x <- f(a)(x)`` from ``x0`` until
``distance(x, x_prev) <= tol``. At the fixed point x* = f(a)(x*), the implicit function theorem
gives the cotangent of ``a``: ``w = g + (df/dx)^T w`` is solved for ``w`` by the same
iteration (its own fixed point, so the rule can be differentiated again), then pulled back
through ``f``'s dependence on ``a``.
"""

from __future__ import annotations

from ..core import defvjp, primitive, vspace
from ..differential_operators import make_vjp

__all__ = ["fixed_point"]


@primitive
def fixed_point(f, a, x0, distance, tol):
    step = f(a)
    x, x_prev = step(x0), x0
    while distance(x, x_prev) > tol:
        x, x_prev = step(x), x
    return x


def _fixed_point_vjp(ans, f, a, x0, distance, tol):
    def adjoint_step(params):
        a_, x_star, x_star_bar = params
        vjp_x, _ = make_vjp(f(a_))(x_star)
        vs = vspace(x_star)
        return lambda w: vs.add(vjp_x(w), x_star_bar)

    vjp_a, _ = make_vjp(lambda a_, x: f(a_)(x))(a, ans)

    def vjp(g):
        w = fixed_point(adjoint_step, (a, ans, g), vspace(x0).zeros(), distance, tol)
        return vjp_a(w)

    return vjp


defvjp(fixed_point, None, _fixed_point_vjp, None)
