"""``chainrule.scipy.stats``: SciPy's distributions, differentiable in the data and in every
parameter. See ``_distributions`` for the univariate ones and the Dirichlet."""

from ._distributions import (
    beta,
    binom,
    cauchy,
    dirichlet,
    expon,
    gamma,
    laplace,
    lognorm,
    norm,
    poisson,
    t,
    uniform,
)
from ._mvn import multivariate_normal

__all__ = [
    "beta", "binom", "cauchy", "dirichlet", "expon", "gamma", "laplace", "lognorm",
    "multivariate_normal", "norm", "poisson", "t", "uniform",
]
