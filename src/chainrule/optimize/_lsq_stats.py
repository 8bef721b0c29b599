"""Fit statistics of ``least_squares`` (docs/optimize.md, "Fit statistics")."""

from __future__ import annotations

import warnings

import numpy as onp

from ._lsq_tr import EPS


def covariance(J, f, cost: float, linear: bool):
    """(cov, dof, rank): s^2 (J^T J)^-1 from the SVD of J, s^2 = 2 cost / (m - n).

    For a robust loss J and f are the loss-rescaled ones and s^2 = ||f||^2 / (m - n): the
    Gauss-Newton approximation of the robust cost's curvature. A rank-deficient J (singular
    values below eps * max(m, n) * s_max) gives the pseudo-inverse and a warning; m <= n gives
    an infinite covariance and a warning.
    """
    m, n = J.shape
    dof = m - n
    if n == 0:
        return onp.zeros((0, 0)), dof, 0
    U, s, Vt = onp.linalg.svd(J, full_matrices=False)
    tol = EPS * max(m, n) * (s[0] if s.size else 0.0)
    keep = s > tol
    rank = int(keep.sum())
    if rank < n:
        warnings.warn(f"least_squares: the Jacobian at the solution is rank-deficient (rank "
                      f"{rank} < {n} parameters): res.cov uses the pseudo-inverse of J^T J, so "
                      f"the parameters along its null space are not determined by the data and "
                      f"their variances are not meaningful; fix or reparametrise them",
                      RuntimeWarning, stacklevel=3)
    V = Vt[keep].T
    inv = (V / s[keep] ** 2) @ V.T  # (J^T J)^+
    if dof <= 0:
        warnings.warn(f"least_squares: {m} residuals for {n} parameters leave no degrees of "
                      f"freedom to estimate the residual variance: res.cov is infinite",
                      RuntimeWarning, stacklevel=3)
        return onp.full((n, n), onp.inf), dof, rank
    s2 = (2 * cost if linear else float(f @ f)) / dof
    return s2 * inv, dof, rank


def correlation(cov):
    sd = onp.sqrt(onp.diag(cov))
    with onp.errstate(divide="ignore", invalid="ignore"):
        return cov / onp.outer(sd, sd), sd
