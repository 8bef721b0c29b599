"""``method="dogbox"``: a dogleg method in a rectangular trust region (Voglis & Lagaris, 2004).

The trust region is a box (Delta * x_scale on each side) intersected with the bounds; the
variables on a bound whose gradient points outward are held there (the active set), and the
free ones take a dogleg step from the Cauchy point toward the minimum-norm Gauss-Newton step,
stopped where it leaves the box."""

from __future__ import annotations

import numpy as onp

from ._lsq_tr import (
    SVDModel,
    col_norms,
    converged,
    initial_scale_inv,
    minimize_1d,
    quadratic,
    quadratic_1d,
    ratio_and_radius,
    step_to_bound,
)


def _dogleg(x, newton, g, a, b, tr_bounds, lb, ub):
    """(step, bounds it lands on (-1/1), whether it met the trust region's edge)."""
    lo = onp.maximum(lb - x, -tr_bounds)
    hi = onp.minimum(ub - x, tr_bounds)
    real_lo, real_hi = lo == lb - x, hi == ub - x
    hits = onp.zeros(x.size, dtype=int)
    if onp.all((newton >= lo) & (newton <= hi)):
        return newton, hits, False
    to_box = step_to_bound(onp.zeros_like(x), -g, lo, hi)[0]
    cauchy = -minimize_1d(a, b, 0.0, to_box)[0] * g
    diff = newton - cauchy
    t, meet = step_to_bound(cauchy, diff, lo, hi)
    hits[(meet < 0) & real_lo] = -1
    hits[(meet > 0) & real_hi] = 1
    tr_hit = bool(onp.any(((meet < 0) & ~real_lo) | ((meet > 0) & ~real_hi)))
    return cauchy + t * diff, hits, tr_hit


def solve(R, L, pt, lb, ub, ftol, xtol, gtol, x_scale, max_nfev):
    """Iterate from ``pt``: (point, status, iterations)."""
    x = pt.x
    f_s, J_s = L.scale(pt.f, R.jac(pt))
    cost = L.cost(pt.f)
    g = J_s.T @ f_s
    jac_scale = isinstance(x_scale, str)
    scale_inv = initial_scale_inv(J_s, x_scale)
    delta = onp.linalg.norm(x * scale_inv, onp.inf)
    if delta == 0:
        delta = 1.0
    on_bound = onp.zeros(x.size, dtype=int)
    on_bound[x == lb] = -1
    on_bound[x == ub] = 1
    nit, status = 0, None
    while True:
        active = on_bound * g < 0
        free = ~active
        g_free = g[free]
        g_full = g.copy()
        g[active] = 0.0
        if onp.linalg.norm(g, onp.inf) < gtol:
            status = 1
        g = g_full
        if status is not None or R.nfev >= max_nfev:
            break
        scale = 1 / scale_inv
        J_free = J_s[:, free]
        newton = SVDModel(J_free, f_s).gn
        a, b, _ = quadratic_1d(J_free, g_free, -g_free)
        actual = -1.0
        while actual <= 0 and R.nfev < max_nfev:
            step_free, hits_free, tr_hit = _dogleg(x[free], newton, g_free, a, b,
                                                   delta * scale[free], lb[free], ub[free])
            step = onp.zeros_like(x)
            step[free] = step_free
            predicted = -quadratic(J_free, g_free, step_free)
            x_new = onp.clip(x + step, lb, ub)
            new_on = on_bound.copy()
            new_on[free] = hits_free
            x_new[new_on == -1] = lb[new_on == -1]
            x_new[new_on == 1] = ub[new_on == 1]
            step_h_norm = onp.linalg.norm(step * scale_inv, onp.inf)
            new = R.eval(x_new)
            if not onp.all(onp.isfinite(new.f)):
                delta = 0.25 * step_h_norm
                continue
            cost_new = L.cost(new.f)
            actual = cost - cost_new
            delta, ratio = ratio_and_radius(delta, actual, predicted, step_h_norm, tr_hit)
            status = converged(actual, cost, onp.linalg.norm(step), onp.linalg.norm(x), ratio,
                               ftol, xtol)
            if status is not None:
                break
        if actual > 0:
            nit += 1
            on_bound = new_on
            pt, x, cost = new, new.x, cost_new
            f_s, J_s = L.scale(pt.f, R.jac(pt))
            g = J_s.T @ f_s
            if jac_scale:
                scale_inv = onp.maximum(scale_inv, col_norms(J_s))
        elif status is None and R.nfev >= max_nfev:
            break
    return pt, (0 if status is None else status), nit
