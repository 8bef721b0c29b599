"""``autograd.scipy.stats.t``: chainrule's differentiable ``scipy.stats.t``."""

from .._delegate import delegate

delegate(__name__, "chainrule.scipy.stats", "t", fallback=("scipy.stats", "t"),
         fallback_names=("rvs",))
