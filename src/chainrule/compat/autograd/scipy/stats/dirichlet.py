"""``autograd.scipy.stats.dirichlet``: chainrule's differentiable ``scipy.stats.dirichlet``."""

from .._delegate import delegate

delegate(__name__, "chainrule.scipy.stats", "dirichlet", fallback=("scipy.stats", "dirichlet"),
         fallback_names=("rvs",))
