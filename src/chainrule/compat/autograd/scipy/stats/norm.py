"""``autograd.scipy.stats.norm``: chainrule's differentiable ``scipy.stats.norm``."""

from .._delegate import delegate

delegate(__name__, "chainrule.scipy.stats", "norm", fallback=("scipy.stats", "norm"),
         fallback_names=("rvs",))
