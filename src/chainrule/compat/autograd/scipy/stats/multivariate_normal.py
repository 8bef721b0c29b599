"""``autograd.scipy.stats.multivariate_normal``: chainrule's differentiable
``scipy.stats.multivariate_normal``."""

from .._delegate import delegate

delegate(__name__, "chainrule.scipy.stats", "multivariate_normal",
         fallback=("scipy.stats", "multivariate_normal"), fallback_names=("rvs",))
