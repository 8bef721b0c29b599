"""``autograd.scipy.misc``: ``logsumexp`` (where old SciPy kept it)."""

from ..scipy.special import logsumexp  # noqa: F401

__all__ = ["logsumexp"]
