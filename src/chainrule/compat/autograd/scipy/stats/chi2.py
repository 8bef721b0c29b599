"""``autograd.scipy.stats.chi2``: chainrule's differentiable ``scipy.stats.chi2``."""

from .._delegate import delegate

delegate(__name__, "chainrule.scipy.stats", "chi2", fallback=("scipy.stats", "chi2"),
         fallback_names=("rvs",))
