"""``autograd.scipy.special``: chainrule's differentiable ``scipy.special``."""

from ._delegate import delegate

delegate(__name__, "chainrule.scipy.special", names=(
    "beta", "betainc", "betaln", "polygamma", "psi", "digamma", "gamma", "gammaln", "gammainc",
    "gammaincc", "multigammaln", "iv", "ive", "i0", "i1", "erf", "erfc", "erfinv", "erfcinv",
    "logit", "expit", "logsumexp"))
