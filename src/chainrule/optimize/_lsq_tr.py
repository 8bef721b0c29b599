"""What the trust-region methods of ``least_squares`` share: the scaled trust-region
subproblem solved through one SVD (Moré's Newton iteration on the Levenberg-Marquardt
parameter), the quadratic model, bound geometry and the stopping tests."""

from __future__ import annotations

import numpy as onp

EPS = onp.finfo(float).eps


class SVDModel:
    """min ||J p + f|| over ||p|| <= Delta for one J and f, solved for any Delta from the SVD
    J = U diag(s) V^T (the Levenberg-Marquardt step p(lam) = -V s uf / (s^2 + lam))."""

    def __init__(self, J, f):
        m, n = J.shape
        U, s, Vt = onp.linalg.svd(J, full_matrices=False)
        self.s, self.V = s, Vt.T
        self.uf = U.T @ f
        tol = EPS * max(m, n) * (s[0] if s.size else 0.0)
        self.full_rank = s.size == n and s[-1] > tol
        keep = s > tol
        self.gn = -self.V[:, keep] @ (self.uf[keep] / s[keep])  # minimum-norm Gauss-Newton
        self.su = s * self.uf

    def _phi(self, lam, delta):
        w = self.su / (self.s**2 + lam)
        norm = onp.linalg.norm(w)
        dphi = -onp.sum(self.su**2 / (self.s**2 + lam) ** 3) / norm
        return norm - delta, dphi

    def step(self, delta, lam0=0.0, rtol=0.01, maxiter=10):
        """(p, lam, on_boundary): the subproblem's solution for radius ``delta``."""
        if onp.linalg.norm(self.gn) <= delta:
            return self.gn.copy(), 0.0, False
        # Moré (1978): Newton's method on 1/||p(lam)|| - 1/Delta, safeguarded by [lo, hi].
        if self.full_rank:
            phi, dphi = self._phi(0.0, delta)
            lo = -phi / dphi
        else:
            lo = 0.0
        hi = onp.linalg.norm(self.su) / delta
        lam = lam0
        if not lo < lam < hi:
            lam = max(0.001 * hi, (lo * hi) ** 0.5)
        for _ in range(maxiter):
            if not lo < lam < hi:
                lam = max(0.001 * hi, (lo * hi) ** 0.5)
            phi, dphi = self._phi(lam, delta)
            if phi < 0:
                hi = lam
            ratio = phi / dphi
            lo = max(lo, lam - ratio)
            lam -= (phi + delta) / delta * ratio
            if abs(phi) < rtol * delta:
                break
        lam = max(lam, 0.0)
        p = -self.V @ (self.su / (self.s**2 + lam))
        # the boundary radius is met to rtol: scale onto it so that ||p|| <= Delta holds
        norm = onp.linalg.norm(p)
        if norm > delta:
            p *= delta / norm
        return p, lam, True


def quadratic(J, g, p, diag=None) -> float:
    """0.5 p^T (J^T J + diag(diag)) p + g^T p: the model's change of cost along p."""
    Jp = J @ p
    q = 0.5 * Jp @ Jp + g @ p
    if diag is not None:
        q += 0.5 * p @ (diag * p)
    return float(q)


def quadratic_1d(J, g, s, s0=None, diag=None):
    """(a, b, c) of the model along s0 + t s as a t^2 + b t + c."""
    Js = J @ s
    a = Js @ Js
    if diag is not None:
        a += s @ (diag * s)
    a *= 0.5
    b = g @ s
    c = 0.0
    if s0 is not None:
        Js0 = J @ s0
        b += Js0 @ Js
        c = 0.5 * Js0 @ Js0 + g @ s0
        if diag is not None:
            b += s0 @ (diag * s)
            c += 0.5 * s0 @ (diag * s0)
    return a, b, c


def minimize_1d(a, b, lo, hi, c=0.0):
    """The minimum of a t^2 + b t + c over [lo, hi]: (t, value)."""
    ts = [lo, hi]
    if a != 0:
        t = -0.5 * b / a
        if lo < t < hi:
            ts.append(t)
    ts = onp.array(ts)
    v = a * ts**2 + b * ts + c
    k = int(onp.argmin(v))
    return float(ts[k]), float(v[k])


def step_to_bound(x, s, lb, ub):
    """(t, hits): the largest t with x + t s inside [lb, ub], and which bound each component
    meets there (-1 lower, 1 upper, 0 none)."""
    nz = s != 0
    with onp.errstate(divide="ignore", invalid="ignore"):
        steps = onp.where(nz, onp.maximum((lb - x) / s, (ub - x) / s), onp.inf)
    t = float(onp.min(steps)) if steps.size else onp.inf
    hits = onp.where(steps == t, onp.sign(s), 0).astype(int) if onp.isfinite(t) else \
        onp.zeros(x.size, int)
    return t, hits


def intersect_sphere(x, s, delta):
    """(t_neg, t_pos): where ||x + t s|| = delta."""
    a, b, c = s @ s, x @ s, x @ x - delta**2
    d = max(b * b - a * c, 0.0) ** 0.5
    q = -(b + onp.copysign(d, b))
    t1, t2 = (q / a, c / q) if q != 0 else (0.0, 0.0)
    return min(t1, t2), max(t1, t2)


def strictly_feasible(x, lb, ub, rstep=1e-10):
    """x moved just inside the bounds it sits on or beyond."""
    y = x.copy()
    if rstep == 0:
        y[x <= lb] = onp.nextafter(lb[x <= lb], onp.inf)
        y[x >= ub] = onp.nextafter(ub[x >= ub], -onp.inf)
    else:
        lo, hi = x <= lb, x >= ub
        y[lo] = lb[lo] + rstep * onp.maximum(1, onp.abs(lb[lo]))
        y[hi] = ub[hi] - rstep * onp.maximum(1, onp.abs(ub[hi]))
    both = (y < lb) | (y > ub)
    y[both] = 0.5 * (lb[both] + ub[both])
    return y


def ratio_and_radius(delta, actual, predicted, step_norm, hit):
    """Trust-region radius update: shrink to a quarter of the step on a poor model, double on
    a good one that reached the boundary."""
    if predicted > 0:
        ratio = actual / predicted
    elif predicted == actual == 0:
        ratio = 1.0
    else:
        ratio = 0.0
    if ratio < 0.25:
        delta = 0.25 * step_norm
    elif ratio > 0.75 and hit:
        delta *= 2.0
    return delta, ratio


def converged(dF, F, dx_norm, x_norm, ratio, ftol, xtol):
    """SciPy's stopping codes: 2 ftol, 3 xtol, 4 both, None neither."""
    f_ok = dF < ftol * F and ratio > 0.25
    x_ok = dx_norm < xtol * (xtol + x_norm)
    if f_ok and x_ok:
        return 4
    if f_ok:
        return 2
    if x_ok:
        return 3
    return None


def col_norms(J):
    return onp.sqrt(onp.einsum("ij,ij->j", J, J))


def initial_scale_inv(J_s, x_scale) -> onp.ndarray:
    """The inverse variable scales trf and dogbox start from: the Jacobian's column norms for
    ``x_scale="jac"`` (a zero column counts as 1), else ``1 / x_scale``."""
    if isinstance(x_scale, str):
        scale_inv = col_norms(J_s)
        scale_inv[scale_inv == 0] = 1.0
        return scale_inv
    return 1 / x_scale
