"""``autograd.scipy.stats.poisson``: chainrule's differentiable ``scipy.stats.poisson``."""

from .._delegate import delegate

delegate(__name__, "chainrule.scipy.stats", "poisson", fallback=("scipy.stats", "poisson"),
         fallback_names=("rvs",))
