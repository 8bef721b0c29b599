"""``method="trf"``: the trust-region reflective algorithm (Branch, Coleman & Li, 1999).

Bounds enter through the Coleman-Li scaling: the variables are rescaled by the distance to the
bound the gradient points at, the trust-region subproblem is solved in those variables (one
SVD of the augmented Jacobian), and a step that leaves the box is replaced by the best of three
candidates: the step stopped short of the bound, its reflection off the bound, and the scaled
steepest-descent (Cauchy) step. Without bounds it is the plain trust-region Gauss-Newton /
Levenberg-Marquardt method with the radius update of SciPy's trf."""

from __future__ import annotations

import numpy as onp

from ._lsq_tr import (
    SVDModel,
    col_norms,
    converged,
    initial_scale_inv,
    intersect_sphere,
    minimize_1d,
    quadratic,
    quadratic_1d,
    ratio_and_radius,
    step_to_bound,
    strictly_feasible,
)


def _coleman_li(x, g, lb, ub):
    """v (distance to the bound the descent direction meets, 1 where none) and dv (its
    derivative in x)."""
    v, dv = onp.ones_like(x), onp.zeros_like(x)
    up = (g < 0) & onp.isfinite(ub)
    v[up], dv[up] = ub[up] - x[up], -1.0
    down = (g > 0) & onp.isfinite(lb)
    v[down], dv[down] = x[down] - lb[down], 1.0
    return v, dv


def _select(x, J_h, diag_h, g_h, p, p_h, d, delta, lb, ub, theta):
    """The best of the stopped, reflected and Cauchy steps (in x and hat variables) with its
    predicted reduction."""
    if onp.all((x + p >= lb) & (x + p <= ub)):
        return p, p_h, -quadratic(J_h, g_h, p_h, diag_h)
    stride, hits = step_to_bound(x, p, lb, ub)
    r_h = p_h.copy()
    r_h[hits != 0] *= -1
    r = d * r_h
    p, p_h = p * stride, p_h * stride
    on_bound = x + p
    to_tr = intersect_sphere(p_h, r_h, delta)[1]
    to_bound = step_to_bound(on_bound, r, lb, ub)[0]
    r_stride = min(to_bound, to_tr)
    if r_stride > 0:
        lo = (1 - theta) * stride / r_stride
        hi = theta * to_bound if r_stride == to_bound else to_tr
    else:
        lo, hi = 0.0, -1.0
    r_value = onp.inf
    if lo <= hi:
        a, b, c = quadratic_1d(J_h, g_h, r_h, s0=p_h, diag=diag_h)
        t, r_value = minimize_1d(a, b, lo, hi, c=c)
        r_h = p_h + t * r_h
        r = d * r_h
    p, p_h = p * theta, p_h * theta
    p_value = quadratic(J_h, g_h, p_h, diag_h)
    ag_h = -g_h
    ag = d * ag_h
    to_tr = delta / onp.linalg.norm(ag_h)
    to_bound = step_to_bound(x, ag, lb, ub)[0]
    t_max = theta * to_bound if to_bound < to_tr else to_tr
    a, b, _ = quadratic_1d(J_h, g_h, ag_h, diag=diag_h)
    t, ag_value = minimize_1d(a, b, 0.0, t_max)
    ag, ag_h = ag * t, ag_h * t
    k = int(onp.argmin([p_value, r_value, ag_value]))
    return [(p, p_h, -p_value), (r, r_h, -r_value), (ag, ag_h, -ag_value)][k]


def solve(R, L, pt, lb, ub, ftol, xtol, gtol, x_scale, max_nfev):
    """Iterate from ``pt``: (point, status, iterations)."""
    bounded = bool(onp.any(onp.isfinite(lb)) or onp.any(onp.isfinite(ub)))
    x = pt.x
    J = R.jac(pt)
    f_s, J_s = L.scale(pt.f, J)
    cost = L.cost(pt.f)
    g = J_s.T @ f_s
    jac_scale = isinstance(x_scale, str)
    scale_inv = initial_scale_inv(J_s, x_scale)
    scale = 1 / scale_inv
    v, dv = _coleman_li(x, g, lb, ub) if bounded else (onp.ones_like(x), onp.zeros_like(x))
    v[dv != 0] *= scale_inv[dv != 0]
    delta = onp.linalg.norm(x * scale_inv / v**0.5)
    if delta == 0:
        delta = 1.0
    lam = 0.0
    nit, status = 0, None
    while True:
        if bounded:
            v, dv = _coleman_li(x, g, lb, ub)
            v[dv != 0] *= scale_inv[dv != 0]
            g_norm = onp.linalg.norm(g * v, onp.inf)
        else:
            g_norm = onp.linalg.norm(g, onp.inf)
        if g_norm < gtol:
            status = 1
        if status is not None or R.nfev >= max_nfev:
            break
        d = v**0.5 * scale
        J_h = J_s * d
        g_h = d * g
        if bounded:
            diag_h = g * dv * scale
            model = SVDModel(onp.vstack([J_h, onp.diag(onp.sqrt(diag_h))]),
                             onp.concatenate([f_s, onp.zeros_like(x)]))
            theta = max(0.995, 1 - g_norm)
        else:
            diag_h = None
            model = SVDModel(J_h, f_s)
        actual = -1.0
        while actual <= 0 and R.nfev < max_nfev:
            p_h, lam, _ = model.step(delta, lam)
            p = d * p_h
            if bounded:
                step, step_h, predicted = _select(x, J_h, diag_h, g_h, p, p_h, d, delta, lb,
                                                  ub, theta)
                x_new = strictly_feasible(x + step, lb, ub, rstep=0)
            else:
                step, step_h = p, p_h
                predicted = -quadratic(J_h, g_h, p_h)
                x_new = x + step
            step_h_norm = onp.linalg.norm(step_h)
            new = R.eval(x_new)
            if not onp.all(onp.isfinite(new.f)):
                delta = 0.25 * step_h_norm
                continue
            cost_new = L.cost(new.f)
            actual = cost - cost_new
            delta_new, ratio = ratio_and_radius(delta, actual, predicted, step_h_norm,
                                                step_h_norm > 0.95 * delta)
            status = converged(actual, cost, onp.linalg.norm(step), onp.linalg.norm(x), ratio,
                               ftol, xtol)
            if status is not None:
                break
            lam *= delta / delta_new if delta_new > 0 else 1.0
            delta = delta_new
        if actual > 0:
            nit += 1
            pt, x, cost = new, new.x, cost_new
            J = R.jac(pt)
            f_s, J_s = L.scale(pt.f, J)
            g = J_s.T @ f_s
            if jac_scale:
                scale_inv = onp.maximum(scale_inv, col_norms(J_s))
                scale = 1 / scale_inv
        elif status is None and R.nfev >= max_nfev:
            break
    return pt, (0 if status is None else status), nit

