"""Univariate distributions and the Dirichlet, with ``scipy.stats``' names and signatures.

Each distribution is an object with SciPy's methods (``logpdf``/``pdf`` or ``logpmf``/``pmf``,
``cdf``, ``logcdf``, ``sf``, ``logsf``, and ``ppf``/``isf`` where the quantile has a closed form),
taking the data, then the shape parameters, then ``loc`` and ``scale`` (discrete distributions:
``loc`` only), positionally or by name; calling the object freezes the parameters, as in SciPy.
Every method is composed from differentiable primitives, so it is differentiable in the data and
in every parameter (the cdf of ``gamma``, ``beta`` and ``t`` through the shape derivatives of
``gammainc``, ``betainc`` and ``stdtr``).

Values equal SciPy's: outside the support the log-density is ``-inf`` (density 0), with gradient
0; invalid parameters (``scale <= 0``, a non-positive shape) give nan. Methods that chainrule does
not differentiate (``rvs``, ``mean``, ``entropy``, ...) are handed to SciPy when no argument is a
Tensor, and raise a TypeError otherwise.

Each distribution object is also a module (a ``types.ModuleType``), registered as
``chainrule.scipy.stats.<name>`` by the package: HIPS autograd's
``import autograd.scipy.stats.norm as norm; norm.logpdf(x, loc, scale)`` works with chainrule's
name in its place.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from ...primitives._core import array_of, is_concrete, is_tensor, values_of
from ...primitives.elementwise import abs, exp, expm1, floor, log, log1p, where
from ...primitives.math import arctan
from ...primitives.reduction import sum
from ...primitives.special import (
    betainc,
    betaincc,
    betaln,
    gammainc,
    gammaincc,
    gammaln,
    log_ndtr,
    ndtr,
    ndtri,
    stdtr,
    xlog1py,
    xlogy,
)

__all__ = [
    "norm", "t", "gamma", "beta", "poisson", "binom", "dirichlet", "expon", "uniform", "laplace",
    "cauchy", "lognorm", "chi2",
]

_LOG_SQRT_2PI = float(0.5 * np.log(2 * np.pi))
_LOG2 = float(np.log(2.0))
_LOG_PI = float(np.log(np.pi))


def _vals(x):
    """``x``'s values as a raw array, for the masks of valid parameters and of the support; or,
    while ``chainrule.compile`` traces ``x``, the tensor ``x`` itself, so that the masks are
    computed with tensor operations, which the trace records."""
    if not is_concrete(x) and is_tensor(x):
        return x
    return values_of(x, "scipy.stats")


def _masked(value, mask, fill):
    """``value`` where ``mask`` (a raw bool array) holds, else the constant ``fill``."""
    if mask is True or (isinstance(mask, np.ndarray) and mask.all()):
        return value
    return where(mask, value, fill)


def _safe(x, mask, inside):
    """``x`` where ``mask``, else a point ``inside`` the domain: the formulas stay finite (and so
    do their gradients) at the entries that ``_masked`` replaces."""
    if mask is True or (isinstance(mask, np.ndarray) and mask.all()):
        return x
    return where(mask, x, inside)


class _Frozen:
    """A distribution with its parameters fixed: ``norm(loc=1, scale=2).logpdf(x)``."""

    def __init__(self, dist, args, kwds):
        self.dist, self.args, self.kwds = dist, args, kwds

    def __getattr__(self, method):
        fn = getattr(self.dist, method)
        if not callable(fn):
            return fn

        def call(*x, **kw):
            return fn(*x, *self.args, **{**self.kwds, **kw})

        return call

    def __repr__(self):
        return f"<frozen chainrule.scipy.stats.{self.dist.name}{self.args!r} {self.kwds!r}>"


class _ModuleLike(ModuleType):
    """A distribution that is also the module ``chainrule.scipy.stats.<name>``: its methods are
    the module's functions (``norm.logpdf``), and it stays callable (freezing)."""

    name = ""

    def __init__(self):
        super().__init__(f"chainrule.scipy.stats.{self.name}", type(self).__doc__)

    def __dir__(self):
        return sorted(n for n in set(dir(type(self))) | set(vars(self)) if not n.startswith("_"))

    def __reduce__(self):  # pickled by reference, as SciPy's distribution objects are
        return self.name


class _Distribution(_ModuleLike):
    """The parameter parsing and the methods shared by every distribution."""

    shapes: tuple[str, ...] = ()
    discrete = False

    @property
    def _params(self):
        return (*self.shapes, "loc") if self.discrete else (*self.shapes, "loc", "scale")

    def __call__(self, *args, **kwds):
        self._parse(args, kwds, "freeze")
        return _Frozen(self, args, kwds)

    def __repr__(self):
        return f"<chainrule.scipy.stats.{self.name}>"

    def _parse(self, args, kwds, method):
        names = self._params
        if len(args) > len(names):
            raise TypeError(f"{self.name}.{method}: takes {len(names)} parameters "
                            f"({', '.join(names)}) after the data, got {len(args)}")
        vals = dict(zip(names, args))
        for k, v in kwds.items():
            if k not in names:
                raise TypeError(f"{self.name}.{method}: unexpected parameter {k!r} "
                                f"(the parameters are {', '.join(names)})")
            if k in vals:
                raise TypeError(f"{self.name}.{method}: parameter {k!r} given twice")
            vals[k] = v
        missing = [s for s in self.shapes if s not in vals]
        if missing:
            raise TypeError(f"{self.name}.{method}: missing shape parameter(s) "
                            f"{', '.join(missing)}")
        shapes = tuple(vals[s] for s in self.shapes)
        loc = vals.get("loc", 0.0)
        scale = vals.get("scale", 1.0)
        return shapes, loc, scale

    def _valid(self, shapes, scale):
        """A raw bool mask of valid parameters (SciPy gives nan elsewhere)."""
        ok = _vals(scale) > 0
        for s, cond in zip(shapes, self._shape_conds()):
            ok = ok & cond(_vals(s))
        return ok

    def _shape_conds(self):
        return [lambda v: v > 0] * len(self.shapes)

    def _standardize(self, x, loc, scale):
        y = x - loc if (is_tensor(loc) or np.any(array_of(loc) != 0)) else x
        if is_tensor(scale) or np.any(array_of(scale) != 1):
            y = y / scale
        return y

    def __getattr__(self, method):
        # Methods chainrule does not differentiate go to SciPy, for arrays only.
        if method.startswith("_"):
            raise AttributeError(method)
        import scipy.stats

        target = getattr(getattr(scipy.stats, self.name), method)
        if not callable(target):
            return target

        def call(*args, **kwds):
            if any(is_tensor(a) for a in (*args, *kwds.values())):
                raise TypeError(
                    f"{self.name}.{method} is not differentiable in chainrule; pass NumPy arrays "
                    f"(for example t.detach().numpy()) to get SciPy's result")
            return target(*args, **kwds)

        return call


class _Continuous(_Distribution):
    # Subclasses define _support(y, *shapes) -> raw bool mask (or True), _inside (a point
    # inside the support), _logpdf(y, *shapes) and, where they can, _cdf/_sf/_logcdf/_logsf/
    # _ppf/_isf, all on the standardised variable.
    _inside = 0.5

    def _support(self, y, *shapes):
        return True

    def _prepare(self, x, args, kwds, method):
        shapes, loc, scale = self._parse(args, kwds, method)
        x = x if is_tensor(x) else np.asarray(x)  # a list, as SciPy takes
        valid = self._valid(shapes, scale)
        # scale <= 0 gives nan (valid); meanwhile 1 keeps log(scale) and x / scale quiet
        scale = _safe(scale, _vals(scale) > 0, 1.0)
        y = self._standardize(x, loc, scale)
        inside = self._support(_vals(y), *(_vals(s) for s in shapes))
        return shapes, scale, y, inside, valid

    def logpdf(self, x, *args, **kwds):
        shapes, scale, y, inside, valid = self._prepare(x, args, kwds, "logpdf")
        lp = self._logpdf(_safe(y, inside, self._inside), *shapes)
        lpv = _vals(lp)
        dead = (lpv == -np.inf) & inside
        if is_tensor(dead) or np.any(dead):  # traced: always (the values are not known)
            # A zero density on the support's edge (gamma or beta at 0 with a > 1): evaluate
            # there at an inner point and mask, so that no 0 * inf reaches the gradient (the
            # density's derivative there is taken as 0).
            inside = inside & ~dead
            lp = self._logpdf(_safe(y, inside, self._inside), *shapes)
        if is_tensor(scale) or np.any(array_of(scale) != 1):
            lp = lp - log(scale)
        return _masked(_masked(lp, inside, -np.inf), valid, np.nan)

    def pdf(self, x, *args, **kwds):
        return exp(self.logpdf(x, *args, **kwds))

    def _below(self, y, shapes):
        """A raw mask of the points left of the support (cdf 0) and right of it (cdf 1)."""
        return None, None

    def _tail(self, fn, method, x, args, kwds, lo_val, hi_val):
        shapes, scale, y, inside, valid = self._prepare(x, args, kwds, method)
        below, above = self._below(_vals(y), [_vals(s) for s in shapes])
        r = fn(_safe(y, inside, self._inside), *shapes)
        if below is not None:
            r = _masked(r, ~below, lo_val)
        if above is not None:
            r = _masked(r, ~above, hi_val)
        return _masked(r, valid, np.nan)

    def cdf(self, x, *args, **kwds):
        return self._tail(self._cdf, "cdf", x, args, kwds, 0.0, 1.0)

    def sf(self, x, *args, **kwds):
        return self._tail(self._sf, "sf", x, args, kwds, 1.0, 0.0)

    def logcdf(self, x, *args, **kwds):
        return self._tail(self._logcdf, "logcdf", x, args, kwds, -np.inf, 0.0)

    def logsf(self, x, *args, **kwds):
        return self._tail(self._logsf, "logsf", x, args, kwds, 0.0, -np.inf)

    def _sf(self, y, *shapes):
        return 1 - self._cdf(y, *shapes)

    def _logcdf(self, y, *shapes):
        return log(self._cdf(y, *shapes))

    def _logsf(self, y, *shapes):
        return log(self._sf(y, *shapes))

    def ppf(self, q, *args, **kwds):
        return self._quantile(self._ppf, "ppf", q, args, kwds)

    def isf(self, q, *args, **kwds):
        return self._quantile(self._isf, "isf", q, args, kwds)

    def _quantile(self, fn, method, q, args, kwds):
        if getattr(type(self), "_" + method, None) is None:
            raise NotImplementedError(
                f"{self.name}.{method}: the quantile function is not provided in chainrule "
                "(only where it has a closed form: norm, expon, uniform, laplace, cauchy, "
                "lognorm)")
        shapes, loc, scale = self._parse(args, kwds, method)
        qd = _vals(q)
        ok = (qd > 0) & (qd < 1)
        r = fn(_safe(q, ok, 0.5), *shapes)
        # q = 0 and q = 1 give the ends of the support (SciPy), constants
        lo, hi = (self._a, self._b) if method == "ppf" else (self._b, self._a)
        r = _masked(_masked(_masked(r, ok | (qd != 0), lo), ok | (qd != 1), hi),
                    (qd >= 0) & (qd <= 1), np.nan)
        r = r * scale + loc
        return _masked(r, self._valid(shapes, scale), np.nan)

    _ppf = _isf = None
    _a, _b = -np.inf, np.inf  # the support of the standardised variable


class _NonNegative(_Continuous):
    """A distribution whose standardised variable lives on [0, inf): gamma, chi2, expon."""

    _inside = 1.0
    _a = 0.0

    def _support(self, y, *shapes):
        return y >= 0

    def _below(self, y, shapes):
        return y < 0, None


class norm_gen(_Continuous):
    """The normal distribution."""

    name = "norm"

    def _logpdf(self, y):
        return y * y * -0.5 - _LOG_SQRT_2PI

    def _cdf(self, y):
        return ndtr(y)

    def _sf(self, y):
        return ndtr(-y)

    def _logcdf(self, y):
        return log_ndtr(y)

    def _logsf(self, y):
        return log_ndtr(-y)

    def _ppf(self, q):
        return ndtri(q)

    def _isf(self, q):
        return -ndtri(q)


class t_gen(_Continuous):
    """Student's t distribution, shape ``df``."""

    name = "t"
    shapes = ("df",)

    def _logpdf(self, y, df):
        return (gammaln((df + 1) * 0.5) - gammaln(df * 0.5) - (log(df) + _LOG_PI) * 0.5
                - log1p(y * y / df) * ((df + 1) * 0.5))

    def _cdf(self, y, df):
        return stdtr(df, y)

    def _sf(self, y, df):
        return stdtr(df, -y)


class gamma_gen(_NonNegative):
    """The gamma distribution, shape ``a``."""

    name = "gamma"
    shapes = ("a",)

    def _logpdf(self, y, a):
        return xlogy(a - 1, y) - y - gammaln(a)

    def _cdf(self, y, a):
        return gammainc(a, y)

    def _sf(self, y, a):
        return gammaincc(a, y)


class beta_gen(_Continuous):
    """The beta distribution, shapes ``a`` and ``b``."""

    name = "beta"
    shapes = ("a", "b")

    def _support(self, y, a, b):
        return (y >= 0) & (y <= 1)

    def _below(self, y, shapes):
        return y < 0, y > 1

    def _logpdf(self, y, a, b):
        return xlogy(a - 1, y) + xlog1py(b - 1, -y) - betaln(a, b)

    def _cdf(self, y, a, b):
        return betainc(a, b, y)

    def _sf(self, y, a, b):
        return betaincc(a, b, y)


class chi2_gen(_NonNegative):
    """The chi-squared distribution, shape ``df``: the gamma distribution of shape df / 2 and
    scale 2."""

    name = "chi2"
    shapes = ("df",)

    def _logpdf(self, y, df):
        h = df * 0.5
        return xlogy(h - 1, y) - y * 0.5 - gammaln(h) - h * _LOG2

    def _cdf(self, y, df):
        return gammainc(df * 0.5, y * 0.5)

    def _sf(self, y, df):
        return gammaincc(df * 0.5, y * 0.5)


class expon_gen(_NonNegative):
    """The exponential distribution."""

    name = "expon"

    def _logpdf(self, y):
        return -y

    def _cdf(self, y):
        return -expm1(-y)

    def _sf(self, y):
        return exp(-y)

    def _logcdf(self, y):
        return log(-expm1(-y))

    def _logsf(self, y):
        return -y

    def _ppf(self, q):
        return -log1p(-q)

    def _isf(self, q):
        return -log(q)


class uniform_gen(_Continuous):
    """The uniform distribution on [loc, loc + scale]."""

    name = "uniform"
    _a, _b = 0.0, 1.0

    def _support(self, y):
        return (y >= 0) & (y <= 1)

    def _below(self, y, shapes):
        return y < 0, y > 1

    def _logpdf(self, y):
        return y * 0.0

    def _cdf(self, y):
        return y

    def _sf(self, y):
        return 1 - y

    def _ppf(self, q):
        return q

    def _isf(self, q):
        return 1 - q


class laplace_gen(_Continuous):
    """The Laplace (double exponential) distribution."""

    name = "laplace"

    def _logpdf(self, y):
        return -abs(y) - _LOG2

    def _cdf(self, y):
        # 0.5 exp(y) left of 0, 1 - 0.5 exp(-y) right of it; each branch kept finite.
        neg = y <= 0
        return where(neg, exp(where(neg, y, 0.0)) * 0.5,
                     1 - exp(-where(neg, 0.0, y)) * 0.5)

    def _sf(self, y):
        return self._cdf(-y)

    def _ppf(self, q):
        low = q <= 0.5
        return where(low, log(where(low, q, 0.25) * 2), -log(2 - where(low, 0.75, q) * 2))

    def _isf(self, q):
        return -self._ppf(q)


class cauchy_gen(_Continuous):
    """The Cauchy distribution."""

    name = "cauchy"

    def _logpdf(self, y):
        return -log1p(y * y) - _LOG_PI

    def _cdf(self, y):
        return 0.5 + arctan(y) / np.pi

    def _sf(self, y):
        return 0.5 - arctan(y) / np.pi

    def _ppf(self, q):
        from ...primitives.elementwise import tan

        # tan(pi (q - 1/2)) in the middle; in the tails -1 / tan(pi q) and 1 / tan(pi (1 - q))
        # keep their relative precision (1 - q is exact for q >= 1/2)
        with np.errstate(divide="ignore"):
            tails = where(q < 0.5, -1 / tan(np.pi * q), 1 / tan(np.pi * (1 - q)))
        return where(abs(q - 0.5) < 0.25, tan((q - 0.5) * np.pi), tails)

    def _isf(self, q):
        return -self._ppf(q)


class lognorm_gen(_Continuous):
    """The log-normal distribution, shape ``s`` (the standard deviation of log(x))."""

    name = "lognorm"
    shapes = ("s",)
    _inside = 1.0
    _a = 0.0

    def _support(self, y, s):
        return y > 0

    def _below(self, y, shapes):
        return y <= 0, None

    def _logpdf(self, y, s):
        ly = log(y)
        return -(ly * ly) / (s * s * 2) - ly - log(s) - _LOG_SQRT_2PI

    def _cdf(self, y, s):
        return ndtr(log(y) / s)

    def _sf(self, y, s):
        return ndtr(-log(y) / s)

    def _logcdf(self, y, s):
        return log_ndtr(log(y) / s)

    def _logsf(self, y, s):
        return log_ndtr(-log(y) / s)

    def _ppf(self, q, s):
        return exp(ndtri(q) * s)

    def _isf(self, q, s):
        return exp(-ndtri(q) * s)


# --- discrete -----------------------------------------------------------------------------
class _Discrete(_Distribution):
    discrete = True

    def _prepare(self, k, args, kwds, method):
        shapes, loc, _ = self._parse(args, kwds, method)
        k = k if is_tensor(k) else np.asarray(k)
        kk = k - loc if (is_tensor(loc) or np.any(array_of(loc) != 0)) else k
        sd = [_vals(s) for s in shapes]
        return shapes, kk, _vals(kk), sd, self._valid_d(sd)

    def logpmf(self, k, *args, **kwds):
        shapes, kk, kd, sd, valid = self._prepare(k, args, kwds, "logpmf")
        inside = (kd == floor(kd)) & self._support(kd, *sd)
        lp = self._logpmf(_safe(kk, inside, 0.0), *shapes)
        return _masked(_masked(lp, inside, -np.inf), valid, np.nan)

    def pmf(self, k, *args, **kwds):
        return exp(self.logpmf(k, *args, **kwds))

    def _tail(self, k, args, kwds, method, formula, below_fill):
        """cdf (``below_fill`` 0) or sf (1): ``formula`` on the support, constants outside."""
        shapes, kk, kd, sd, valid = self._prepare(k, args, kwds, method)
        below, above = kd < 0, self._above(kd, *sd)
        inside = ~below & ~above
        r = formula(floor(_safe(kk, inside, 0.0)), *shapes)
        r = _masked(_masked(r, ~below, below_fill), ~above, 1.0 - below_fill)
        return _masked(r, valid, np.nan)

    def cdf(self, k, *args, **kwds):
        return self._tail(k, args, kwds, "cdf", self._cdf, 0.0)

    def sf(self, k, *args, **kwds):
        return self._tail(k, args, kwds, "sf", self._sf, 1.0)

    def logcdf(self, k, *args, **kwds):
        return log(self.cdf(k, *args, **kwds))

    def logsf(self, k, *args, **kwds):
        return log(self.sf(k, *args, **kwds))


class poisson_gen(_Discrete):
    """The Poisson distribution, shape ``mu``."""

    name = "poisson"
    shapes = ("mu",)

    def _valid_d(self, sd):
        return sd[0] >= 0

    def _support(self, k, mu):
        return k >= 0

    def _above(self, k, mu):
        return np.zeros(np.broadcast_shapes(np.shape(k), np.shape(mu)), bool)

    def _logpmf(self, k, mu):
        return xlogy(k, mu) - gammaln(k + 1) - mu

    def _cdf(self, k, mu):
        return gammaincc(k + 1, mu)

    def _sf(self, k, mu):
        return gammainc(k + 1, mu)


class binom_gen(_Discrete):
    """The binomial distribution, shapes ``n`` (trials) and ``p``."""

    name = "binom"
    shapes = ("n", "p")

    def _valid_d(self, sd):
        n, p = sd
        return (n >= 0) & (n == floor(n)) & (p >= 0) & (p <= 1)

    def _support(self, k, n, p):
        return (k >= 0) & (k <= n)

    def _above(self, k, n, p):
        return k >= n

    def _logpmf(self, k, n, p):
        return (gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1) + xlogy(k, p)
                + xlog1py(n - k, -p))

    def _cdf(self, k, n, p):
        return betainc(n - k, k + 1, 1 - p)

    def _sf(self, k, n, p):
        return betainc(k + 1, n - k, p)


# --- Dirichlet ------------------------------------------------------------------------------
class dirichlet_gen(_ModuleLike):
    """The Dirichlet distribution: ``logpdf(x, alpha)``, ``pdf(x, alpha)``.

    As in SciPy, the components run along the first axis of ``x``, which holds K or K - 1
    entries for K = len(alpha) (the last is then 1 - the sum of the others).
    """

    name = "dirichlet"

    def __call__(self, alpha):
        return _Frozen(self, (alpha,), {})

    def __repr__(self):
        return "<chainrule.scipy.stats.dirichlet>"

    def _check(self, x, alpha):
        # checks of the values in Python (compile: a TracingError)
        ad, xd = values_of(alpha, "dirichlet"), values_of(x, "dirichlet")
        if ad.ndim != 1:
            raise ValueError(f"dirichlet: alpha must be one-dimensional, got shape {ad.shape}")
        if np.min(ad) <= 0:
            raise ValueError("dirichlet: every alpha must be > 0")
        if xd.ndim == 0 or xd.shape[0] not in (ad.shape[0], ad.shape[0] - 1):
            raise ValueError(
                f"dirichlet: x must have len(alpha) = {ad.shape[0]} or {ad.shape[0] - 1} "
                f"entries along its first axis, got shape {xd.shape}")
        if xd.shape[0] != ad.shape[0]:
            from ...primitives.shape import concatenate

            x = concatenate((x, 1 - sum(x, 0, True)), 0)
            xd = values_of(x, "dirichlet")
        if np.min(xd) < 0 or np.max(xd) > 1:
            raise ValueError("dirichlet: every entry of x must lie in [0, 1]")
        if np.any(np.abs(np.sum(xd, 0) - 1.0) > 1e-9):
            raise ValueError(f"dirichlet: x must lie in the simplex (sum along the first axis "
                             f"1), got sums {np.sum(xd, 0)}")
        return x

    def logpdf(self, x, alpha):
        x = self._check(x, alpha)
        from ...primitives.shape import reshape

        nd = np.ndim(array_of(x))
        a = reshape(alpha, (-1,) + (1,) * (nd - 1)) if nd > 1 else alpha
        lnb = sum(gammaln(alpha)) - gammaln(sum(alpha))
        return sum(xlogy(a - 1, x), 0) - lnb

    def pdf(self, x, alpha):
        return exp(self.logpdf(x, alpha))


norm = norm_gen()
t = t_gen()
chi2 = chi2_gen()
gamma = gamma_gen()
beta = beta_gen()
expon = expon_gen()
uniform = uniform_gen()
laplace = laplace_gen()
cauchy = cauchy_gen()
lognorm = lognorm_gen()
poisson = poisson_gen()
binom = binom_gen()
dirichlet = dirichlet_gen()
