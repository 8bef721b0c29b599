"""``chainrule.scipy.stats``: SciPy's distributions, differentiable in the data and in every
parameter. See ``_distributions`` for the univariate ones and the Dirichlet.

Each distribution is also registered as a module, ``chainrule.scipy.stats.<name>``, so that
HIPS autograd's spelling works: ``import chainrule.scipy.stats.norm as norm`` (then
``norm.logpdf(x, loc, scale)``), ``from chainrule.scipy.stats.t import logpdf``.
"""

import sys as _sys
from importlib.machinery import ModuleSpec as _ModuleSpec

from ._distributions import (
    beta,
    binom,
    cauchy,
    chi2,
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
    "beta", "binom", "cauchy", "chi2", "dirichlet", "expon", "gamma", "laplace", "lognorm",
    "multivariate_normal", "norm", "poisson", "t", "uniform",
]

for _name in __all__:
    _dist = globals()[_name]
    _dist.__spec__ = _ModuleSpec(_dist.__name__, None, origin=__file__)
    _dist.__package__ = __name__
    _sys.modules.setdefault(_dist.__name__, _dist)
del _name, _dist
