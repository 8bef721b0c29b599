"""``autograd.scipy.stats.gamma``: chainrule's differentiable ``scipy.stats.gamma``."""

from .._delegate import delegate

delegate(__name__, "chainrule.scipy.stats", "gamma", fallback=("scipy.stats", "gamma"),
         fallback_names=("rvs",))
