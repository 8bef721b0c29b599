"""``autograd.scipy.stats``: chainrule's differentiable distributions, each importable as a
module (``import autograd.scipy.stats.norm as norm``)."""

from . import beta, chi2, dirichlet, gamma, multivariate_normal, norm, poisson, t  # noqa: F401

__all__ = ["beta", "chi2", "dirichlet", "gamma", "multivariate_normal", "norm", "poisson", "t"]


def __getattr__(name):  # noqa: N807 - the other distributions of chainrule.scipy.stats
    import chainrule.scipy.stats as _st

    try:
        return getattr(_st, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
