"""Robust loss functions of ``least_squares`` (SciPy's ``loss``): rho(z) of z = (f / f_scale)^2
with its first two derivatives, and the rescaling of residuals and Jacobian that turns a robust
problem into an ordinary least-squares one at each iteration (the approach of SciPy's trf,
used here by every method, lm included)."""

from __future__ import annotations

import numpy as onp

LOSSES = ("linear", "soft_l1", "huber", "cauchy", "arctan")
_EPS = onp.finfo(float).eps


def _linear(z):
    return onp.stack([z, onp.ones_like(z), onp.zeros_like(z)])


def _soft_l1(z):
    t = 1 + z
    s = onp.sqrt(t)
    return onp.stack([2 * (s - 1), 1 / s, -0.5 / (t * s)])


def _huber(z):
    small = z <= 1
    zs = onp.where(small, 1.0, z)  # avoids 0 ** -0.5 in the branch that is not taken
    r = onp.sqrt(zs)
    return onp.stack([onp.where(small, z, 2 * r - 1), onp.where(small, 1.0, 1 / r),
                      onp.where(small, 0.0, -0.5 / (zs * r))])


def _cauchy(z):
    t = 1 + z
    return onp.stack([onp.log1p(z), 1 / t, -1 / t**2])


def _arctan(z):
    t = 1 + z**2
    return onp.stack([onp.arctan(z), 1 / t, -2 * z / t**2])


_RHO = {"soft_l1": _soft_l1, "huber": _huber, "cauchy": _cauchy, "arctan": _arctan,
        "linear": _linear}


def rho0_traced(loss, z):
    """rho(z) alone, written with chainrule.numpy so that it can be differentiated (the
    optimality condition of implicit differentiation); a callable loss is called as it is."""
    import chainrule.numpy as np

    if callable(loss):
        return loss(z)[0]
    if loss == "linear":
        return z
    if loss == "soft_l1":
        return 2 * (np.sqrt(1 + z) - 1)
    if loss == "huber":
        return np.where(z <= 1, z, 2 * np.sqrt(np.where(z <= 1, 1.0, z)) - 1)
    if loss == "cauchy":
        return np.log1p(z)
    return np.arctan(z)


class Loss:
    """rho and the per-iteration rescaling for one loss and ``f_scale``."""

    def __init__(self, loss, f_scale: float, m: int):
        if callable(loss):
            self.name, self._rho = "callable", loss
        elif loss in _RHO:
            self.name, self._rho = loss, _RHO[loss]
        else:
            raise ValueError(f"least_squares: unknown loss {loss!r}; use one of {LOSSES} or a "
                             f"callable rho(z) returning an array of shape (3, m)")
        f_scale = float(f_scale)
        if not f_scale > 0:
            raise ValueError(f"least_squares: f_scale must be positive, got {f_scale}")
        self.f_scale, self.m, self.spec = f_scale, m, loss
        self.linear = self.name == "linear"

    def rho(self, f) -> onp.ndarray:
        """(3, m): rho, rho', rho'' at z = (f / f_scale)^2 (rho' and rho'' in z)."""
        z = (f / self.f_scale) ** 2
        r = onp.asarray(self._rho(z), dtype=float)
        if r.shape != (3, self.m):
            raise ValueError(f"least_squares: the callable loss must return an array of shape "
                             f"(3, {self.m}) (rho, rho', rho''), got {r.shape}")
        return r

    def cost(self, f) -> float:
        if self.linear:
            return 0.5 * float(f @ f)
        return 0.5 * self.f_scale**2 * float(self.rho(f)[0].sum())

    def scale(self, f, J):
        """Residuals and Jacobian rescaled so that the Gauss-Newton model of the scaled problem
        matches the second-order model of the robust cost (Triggs et al.): returns (f_s, J_s)
        with J_s^T f_s the gradient of the cost."""
        if self.linear:
            return f, J
        r = self.rho(f)
        z = (f / self.f_scale) ** 2
        w = r[1] + 2 * r[2] * z
        w = onp.sqrt(onp.maximum(w, _EPS))
        return r[1] / w * f, J * w[:, None]

    def grad_weights(self, f) -> onp.ndarray:
        """rho'(z), the weights of the cost's gradient J^T (rho' f)."""
        return onp.ones_like(f) if self.linear else self.rho(f)[1]
