"""``autograd.scipy.stats.beta``: chainrule's differentiable ``scipy.stats.beta``."""

from .._delegate import delegate

delegate(__name__, "chainrule.scipy.stats", "beta", fallback=("scipy.stats", "beta"),
         fallback_names=("rvs",))
