"""``method="lm"``: Moré's scaled trust-region Levenberg-Marquardt method, as MINPACK's lmder
(Moré, "The Levenberg-Marquardt algorithm: implementation and theory", 1978).

The step solves min ||J p + f|| subject to ||D p|| <= Delta, with D the column norms of J
(never decreasing: Moré's scaling, x_scale="jac") or 1/x_scale; the Levenberg-Marquardt
parameter is found by Moré's safeguarded Newton iteration, here on an SVD of J D^-1 rather
than MINPACK's pivoted QR. Radius updates and stopping tests are lmder's."""

from __future__ import annotations

import numpy as onp

from ._lsq_tr import EPS, SVDModel, col_norms


def solve(R, L, pt, ftol, xtol, gtol, x_scale, max_nfev, factor=1.0):
    """Iterate from ``pt``: (point, status, iterations). Status follows SciPy's codes:
    1 gtol, 2 ftol, 3 xtol, 4 ftol and xtol, 0 max_nfev."""
    x = pt.x
    f_s, J_s = L.scale(pt.f, R.jac(pt))
    fnorm = onp.linalg.norm(f_s)
    cost, g = L.cost(pt.f), J_s.T @ f_s
    jac_scale = isinstance(x_scale, str)
    D = col_norms(J_s) if jac_scale else 1 / x_scale
    if jac_scale:
        D[D == 0] = 1.0
    delta = factor * onp.linalg.norm(D * x)
    if delta == 0:
        delta = factor
    par, nit, first = 0.0, 0, True
    while True:
        norms = col_norms(J_s)
        if jac_scale:
            D = onp.maximum(D, norms)
        # lmder's gradient test: the largest cosine between f and a column of J
        gnorm = 0.0
        if fnorm > 0:
            nz = norms > 0
            if onp.any(nz):
                gnorm = float(onp.max(onp.abs(J_s.T[nz] @ f_s) / (norms[nz] * fnorm)))
        if gnorm <= gtol:
            return pt, 1, nit
        model = SVDModel(J_s / D, f_s)
        xnorm = onp.linalg.norm(D * x)
        while True:
            if R.nfev >= max_nfev:
                return pt, 0, nit
            q, par, _ = model.step(delta, par, rtol=0.1)
            p = q / D
            pnorm = onp.linalg.norm(q)
            if first:
                delta = min(delta, pnorm)
            new = R.eval(x + p)
            if not onp.all(onp.isfinite(new.f)):
                delta *= 0.25
                par *= 4.0
                continue
            # lmder's reductions, relative to the cost (= ||f||^2 / 2 for the linear loss)
            cost_new = L.cost(new.f)
            actred = 1 - cost_new / cost if cost_new < 100 * cost else -1.0
            gp = float(g @ p)
            Jp = J_s @ p
            prered = -(2 * gp + Jp @ Jp) / (2 * cost)
            dirder = gp / (2 * cost)
            ratio = actred / prered if prered != 0 else 0.0
            if ratio <= 0.25:
                temp = 0.5 if actred >= 0 else 0.5 * dirder / (dirder + 0.5 * actred)
                if cost_new >= 100 * cost or temp < 0.1:
                    temp = 0.1
                delta = temp * min(delta, pnorm / 0.1)
                par /= temp
            elif par == 0 or ratio >= 0.75:
                delta = pnorm / 0.5
                par *= 0.5
            if ratio >= 1e-4:
                first = False
                nit += 1
                pt, x = new, new.x
                f_s, J_s = L.scale(pt.f, R.jac(pt))
                fnorm = onp.linalg.norm(f_s)
                cost, g = cost_new, J_s.T @ f_s
                xnorm = onp.linalg.norm(D * x)
            f_ok = abs(actred) <= ftol and prered <= ftol and 0.5 * ratio <= 1
            x_ok = delta <= xtol * xnorm
            if f_ok or x_ok:
                return pt, (4 if f_ok and x_ok else 2 if f_ok else 3), nit
            # lmder's "tolerance too small" tests: nothing more float64 can resolve
            if (abs(actred) <= EPS and prered <= EPS and 0.5 * ratio <= 1) or \
                    delta <= EPS * xnorm:
                return pt, 2, nit
            if ratio >= 1e-4:
                break

