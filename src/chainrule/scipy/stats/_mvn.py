"""``multivariate_normal`` with ``scipy.stats``' signature, differentiable in x, mean and cov.

The log-density is computed from a Cholesky factor L of the covariance and one triangular
solve, z = L^-1 (x - mean): logpdf = -(d log 2 pi + 2 sum log diag L + |z|^2) / 2. No inverse
is formed. With ``allow_singular=True`` the covariance is factored by ``eigh`` instead, as SciPy
does (pseudo-determinant and pseudo-inverse over the eigenvalues above SciPy's cut-off; points
outside the covariance's support get -inf).

Shapes follow SciPy: ``x`` holds points along its last axis (a 1-D ``x`` is one point, or, when
the dimension is 1, several), ``cov`` may be a scalar (times the identity), a vector (the
diagonal) or a matrix, and length-1 axes of the result are squeezed.
"""

from __future__ import annotations

import numpy as np

from ...numpy import linalg as _nl
from ...primitives import decompositions as _d
from ...primitives._core import is_tensor, values_of
from ...primitives.elementwise import exp, log, sqrt, where
from ...primitives.linalg import einsum, matmul
from ...primitives.reduction import sum
from ...primitives.shape import reshape
from ._distributions import _ModuleLike

_LOG_2PI = float(np.log(2 * np.pi))


def _data(x):
    return x._data if is_tensor(x) else np.asarray(x, dtype=float)


def _float(x):
    if is_tensor(x):
        return x if x._data.dtype.kind == "f" else x.astype(np.float64)
    return np.asarray(x, dtype=float)


def _params(mean, cov):
    """SciPy's _process_parameters: (dim, mean (dim,), cov (dim, dim))."""
    if mean is None:
        c = _data(1.0 if cov is None else cov)
        dim = 1 if c.ndim < 2 else c.shape[0]
        mean = np.zeros(dim)
    else:
        mean = _float(mean)
        dim = int(_data(mean).size)
        if _data(mean).ndim == 0:
            mean = reshape(mean, (1,))
    cov = _float(1.0 if cov is None else cov)
    ms, cs = _data(mean).shape, _data(cov).shape
    if len(ms) != 1 or ms[0] != dim:
        raise ValueError(f"multivariate_normal: mean must be a vector of length {dim}, got "
                         f"shape {ms}")
    eye = np.eye(dim)
    if len(cs) == 0:
        cov = cov * eye
    elif len(cs) == 1:
        if cs[0] != dim:
            raise ValueError(f"multivariate_normal: a 1-D cov is the diagonal and must have "
                             f"length {dim} (the dimension of mean), got shape {cs}")
        cov = reshape(cov, (1, dim)) * eye
    elif cs != (dim, dim):
        raise ValueError(f"multivariate_normal: cov must be a scalar, a vector of length {dim} "
                         f"or a {dim} x {dim} matrix (mean has length {dim}), got shape {cs}")
    return dim, mean, cov


def _points(x, dim):
    """SciPy's _process_quantiles: x with the points along the last axis."""
    x = _float(x)
    nd = _data(x).ndim
    if nd == 0:
        x = reshape(x, (1,))
    elif nd == 1:
        x = reshape(x, (-1, 1) if dim == 1 else (1, -1))
    if _data(x).shape[-1] != dim:
        raise ValueError(f"multivariate_normal: x has {_data(x).shape[-1]} entries along its "
                         f"last axis but the distribution has dimension {dim}")
    return x


def _squeeze(out):
    shape = tuple(s for s in out.shape if s != 1)
    return reshape(out, shape) if is_tensor(out) else np.reshape(out, shape)[()]


def _cholesky(cov, dim):
    try:
        return _nl.cholesky(cov) if is_tensor(cov) else np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(
            "multivariate_normal: when allow_singular is False, the covariance matrix must be "
            "symmetric positive definite; pass allow_singular=True for a degenerate "
            "distribution") from None


def _log_parts(x, mean, cov, dim, allow_singular):
    """(logpdf before squeezing, rank, log pseudo-determinant)."""
    if not allow_singular:
        lo = _cholesky(cov, dim)
        log_det = 2 * sum(log(einsum("ii->i", lo)))
        if x is None:
            return None, dim, log_det
        dev = x - mean
        flat = reshape(dev, (-1, dim))
        z = _d.solve_triangular(lo, einsum("ij->ji", flat), True, False)  # L^-1 (x - mean)
        maha = reshape(sum(z * z, axis=0), _data(dev).shape[:-1])
        return -0.5 * (dim * _LOG_2PI + log_det + maha), dim, log_det
    s, u = _nl.eigh(cov) if is_tensor(cov) else np.linalg.eigh(cov)
    sd = _data(s)
    eps = 1e6 * np.finfo(np.float64).eps * np.max(np.abs(sd), initial=0.0)
    if np.min(sd, initial=0.0) < -eps:
        raise ValueError("multivariate_normal: the covariance matrix must be symmetric positive "
                         "semidefinite")
    keep = sd > eps
    rank = int(np.sum(keep))
    log_pdet = sum(log(where(keep, s, 1.0)))
    if x is None:
        return None, rank, log_pdet
    s_pinv = where(keep, 1.0 / where(keep, s, 1.0), 0.0)
    dev = x - mean
    proj = matmul(dev, u * sqrt(s_pinv))
    maha = sum(proj * proj, axis=-1)
    out = -0.5 * (rank * _LOG_2PI + log_pdet + maha)
    if rank < dim:  # points off the covariance's range have density 0
        devd = values_of(dev, "multivariate_normal")  # the null-space test in NumPy
        null = _data(u)[:, ~keep]
        off = np.abs(devd @ null).max(axis=-1) > 1e-6 * max(1.0, np.abs(devd).max(initial=0.0))
        if np.any(off):
            out = where(off, -np.inf, out)
    return out, rank, log_pdet


class multivariate_normal_gen(_ModuleLike):
    """``scipy.stats.multivariate_normal``: ``logpdf``, ``pdf``, ``entropy`` (differentiable)
    and ``rvs`` (values); calling it freezes mean and cov. Also the module
    ``chainrule.scipy.stats.multivariate_normal``."""

    name = "multivariate_normal"

    def __call__(self, mean=None, cov=1, allow_singular: bool = False, seed=None):
        return multivariate_normal_frozen(mean, cov, allow_singular, seed)

    def __repr__(self):
        return "<chainrule.scipy.stats.multivariate_normal>"

    def logpdf(self, x, mean=None, cov=1, allow_singular: bool = False):
        dim, mean, cov = _params(mean, cov)
        out, _, _ = _log_parts(_points(x, dim), mean, cov, dim, allow_singular)
        return _squeeze(out)

    def pdf(self, x, mean=None, cov=1, allow_singular: bool = False):
        return exp(self.logpdf(x, mean, cov, allow_singular))

    def entropy(self, mean=None, cov=1, allow_singular: bool = False):
        dim, mean, cov = _params(mean, cov)
        _, rank, log_pdet = _log_parts(None, mean, cov, dim, allow_singular)
        return 0.5 * (rank * (_LOG_2PI + 1) + log_pdet)

    def rvs(self, mean=None, cov=1, size=1, random_state=None):
        """Samples (a NumPy array: values only, no gradient)."""
        from scipy import stats

        dim, mean, cov = _params(mean, cov)
        return stats.multivariate_normal.rvs(values_of(mean, "multivariate_normal.rvs"),
                                             values_of(cov, "multivariate_normal.rvs"),
                                             size=size, random_state=random_state)


class multivariate_normal_frozen:
    """``multivariate_normal(mean, cov)``: the same methods with mean and cov fixed."""

    def __init__(self, mean=None, cov=1, allow_singular: bool = False, seed=None):
        self.dim, self.mean, self.cov = _params(mean, cov)
        self.allow_singular = allow_singular
        self.random_state = seed

    def __repr__(self):
        return f"<frozen chainrule.scipy.stats.multivariate_normal dim={self.dim}>"

    def logpdf(self, x):
        out, _, _ = _log_parts(_points(x, self.dim), self.mean, self.cov, self.dim,
                               self.allow_singular)
        return _squeeze(out)

    def pdf(self, x):
        return exp(self.logpdf(x))

    def entropy(self):
        _, rank, log_pdet = _log_parts(None, self.mean, self.cov, self.dim, self.allow_singular)
        return 0.5 * (rank * (_LOG_2PI + 1) + log_pdet)

    def rvs(self, size=1, random_state=None):
        return multivariate_normal.rvs(self.mean, self.cov, size,
                                       self.random_state if random_state is None else random_state)


multivariate_normal = multivariate_normal_gen()

__all__ = ["multivariate_normal"]
